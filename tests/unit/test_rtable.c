/*
 * test_rtable.c - sw_rt_closest() against a brute-force reference.
 *
 * sw_rt_closest() visits buckets in distance order and stops early (see
 * rtable.c); here every answer is compared with sorting every live node of
 * the table by XOR distance, for tables from sparse to full, targets at
 * every depth from far to our own id, several result sizes, and bad nodes
 * (which both must skip).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/addr.h"
#include "dht/rtable.h"

#define NOW 1000000

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void rand_id(uint8_t id[SW_NODEID_LEN])
{
	for (size_t i = 0; i < SW_NODEID_LEN; i++)
		id[i] = (uint8_t)rnd();
}

/* An id that shares exactly `bits` leading bits with base (bits < 160). */
static void id_at_depth(const uint8_t base[SW_NODEID_LEN], unsigned bits, uint8_t id[SW_NODEID_LEN])
{
	rand_id(id);
	for (unsigned i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		id[i / 8] = (uint8_t)((id[i / 8] & ~m) | (base[i / 8] & m));
	}
	id[bits / 8] =
	    (uint8_t)(id[bits / 8] ^ ((id[bits / 8] ^ ~base[bits / 8]) & (0x80 >> (bits % 8))));
}

static const uint8_t *ref_target;

static int by_distance(const void *a, const void *b)
{
	const struct sw_rt_node *x = *(const struct sw_rt_node *const *)a;
	const struct sw_rt_node *y = *(const struct sw_rt_node *const *)b;

	return sw_rt_cmp_distance(ref_target, x->id, y->id);
}

/* Every live node, sorted by distance to target: the first max of them. */
static size_t reference(const struct sw_rtable *t, const uint8_t *target,
                        const struct sw_rt_node **out, size_t max)
{
	static const struct sw_rt_node *all[SW_RT_BUCKETS * SW_RT_K];
	size_t n = 0;

	for (unsigned b = 0; b < SW_RT_BUCKETS; b++)
		for (size_t i = 0; i < SW_RT_K; i++)
			if (t->b[b].nodes[i].used &&
			    sw_rt_state(&t->b[b].nodes[i], NOW) != SW_RT_BAD)
				all[n++] = &t->b[b].nodes[i];
	ref_target = target;
	qsort(all, n, sizeof(all[0]), by_distance);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

static void fill_table(struct sw_rtable *t, size_t far, size_t near, unsigned bad_every)
{
	uint8_t self[SW_NODEID_LEN], id[SW_NODEID_LEN];
	unsigned k = 0;

	rand_id(self);
	sw_rt_init(t, self);
	for (size_t i = 0; i < far + near; i++) {
		struct sw_addr a;
		uint8_t ip[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		struct sw_rt_node *n;

		if (i < far)
			rand_id(id);
		else
			id_at_depth(self, (unsigned)(rnd() % 40), id); /* near us: deep buckets */
		sw_addr_init_v4(&a, ip, 6881);
		n = sw_rt_heard(t, id, &a, true, true, NOW, NULL);
		if (n != NULL && bad_every && ++k % bad_every == 0)
			n->fails = SW_RT_MAX_FAILS;
	}
}

static void check_table(const struct sw_rtable *t)
{
	static const size_t maxes[] = {1, 3, 8, 16, 64};
	const struct sw_rt_node *got[64], *want[64];
	uint8_t target[SW_NODEID_LEN];

	for (unsigned depth = 0; depth <= SW_RT_BUCKETS; depth++) {
		for (int rep = 0; rep < 3; rep++) {
			if (depth == SW_RT_BUCKETS)
				memcpy(target, t->self, SW_NODEID_LEN);
			else
				id_at_depth(t->self, depth, target);
			for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
				size_t ng = sw_rt_closest(t, target, got, maxes[m], NOW);
				size_t nw = reference(t, target, want, maxes[m]);

				assert_int_equal(ng, nw);
				for (size_t i = 0; i < ng; i++)
					assert_ptr_equal(got[i], want[i]);
			}
		}
	}
}

static void test_closest_sparse(void **state)
{
	struct sw_rtable *t = calloc(1, sizeof(*t));

	(void)state;
	fill_table(t, 5, 5, 0);
	check_table(t);
	fill_table(t, 40, 0, 0);
	check_table(t);
	sw_rt_init(t, t->self); /* empty */
	check_table(t);
	free(t);
}

static void test_closest_full(void **state)
{
	struct sw_rtable *t = calloc(1, sizeof(*t));

	(void)state;
	fill_table(t, 3000, 600, 0);
	assert_true(t->count > 100);
	check_table(t);
	free(t);
}

static void test_closest_skips_bad(void **state)
{
	struct sw_rtable *t = calloc(1, sizeof(*t));

	(void)state;
	fill_table(t, 2000, 400, 3);
	check_table(t);
	free(t);
}

static void test_closest_after_new_id(void **state)
{
	struct sw_rtable *t = calloc(1, sizeof(*t));
	uint8_t self[SW_NODEID_LEN];

	(void)state;
	fill_table(t, 1000, 300, 0);
	rand_id(self);
	sw_rt_set_self(t, self, NOW); /* re-buckets every node: top must follow */
	check_table(t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_closest_sparse),
	    cmocka_unit_test(test_closest_full),
	    cmocka_unit_test(test_closest_skips_bad),
	    cmocka_unit_test(test_closest_after_new_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
