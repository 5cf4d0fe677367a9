/*
 * test_dht.c - the DHT node's parts: SipHash (the paper's vector), the
 * routing table (buckets, replacement, BEP 42 preference, closest nodes
 * against brute force), the iterative lookup (converges on the exact 8
 * closest of a simulated 2,000-node network), the announced-peer store
 * (caps, expiry, noseed, bloom filters), and three real nodes of ours on
 * loopback sockets: announce, lookup, values, BEP 33 scrape, tokens.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/siphash.h"
#include "core/time.h"
#include "dht/dht.h"
#include "dht/lookup.h"
#include "dht/peerstore.h"
#include "dht/rtable.h"
#include "net/loop.h"
#include "net/udp.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void rand_id(uint8_t *id)
{
	for (int i = 0; i < 20; i++)
		id[i] = (uint8_t)next_rand();
}

static void v4(struct sw_addr *a, unsigned x, uint16_t port)
{
	uint8_t ip[4] = {127, (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};

	sw_addr_init_v4(a, ip, port);
}

static void test_siphash_vector(void **state)
{
	uint8_t key[16], msg[15];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* SipHash-2-4 paper, appendix A: 64-bit output a129ca6149be45e5 (little-endian bytes). */
	assert_true(sw_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
}

static void test_rt_buckets(void **state)
{
	struct sw_rtable *t = calloc(1, sizeof(*t));
	uint8_t self[20] = {0}, id[20];
	struct sw_addr a;
	struct sw_rt_node *ping;

	(void)state;
	sw_rt_init(t, self);
	memset(id, 0, 20);
	id[0] = 0x80;
	assert_int_equal(sw_rt_bucket_of(t, id), 0);
	id[0] = 0x01;
	assert_int_equal(sw_rt_bucket_of(t, id), 7);
	id[0] = 0;
	id[19] = 1;
	assert_int_equal(sw_rt_bucket_of(t, id), 159);
	assert_int_equal(sw_rt_bucket_of(t, self), SW_RT_BUCKETS);
	assert_null(sw_rt_heard(t, self, &a, true, true, 1000, NULL));

	/* Fill bucket 0 (ids starting with a 1 bit), then one more. */
	for (unsigned i = 0; i < SW_RT_K; i++) {
		rand_id(id);
		id[0] |= 0x80;
		v4(&a, i + 1, 6881);
		assert_non_null(sw_rt_heard(t, id, &a, true, true, 1000, NULL));
	}
	assert_int_equal(t->count, SW_RT_K);
	rand_id(id);
	id[0] |= 0x80;
	v4(&a, 100, 6881);
	/* Full of good nodes: the newcomer waits as a replacement. */
	assert_null(sw_rt_heard(t, id, &a, true, true, 2000, &ping));
	assert_null(ping);
	/* Fifteen minutes later every node is questionable: the caller is told to ping one. */
	assert_null(sw_rt_heard(t, id, &a, true, true, 2000 + SW_RT_GOOD_MS, &ping));
	assert_non_null(ping);
	/* That node fails three times: the replacement takes its slot. */
	{
		struct sw_addr pa = ping->addr;

		for (int i = 0; i < SW_RT_MAX_FAILS; i++)
			sw_rt_failed(t, NULL, &pa);
		assert_null(sw_rt_find(t, NULL, &pa));
		assert_non_null(sw_rt_find(t, id, &a));
	}
	/* An address that changes its id is refused. */
	{
		uint8_t other[20];

		rand_id(other);
		other[0] |= 0x80;
		assert_null(sw_rt_heard(t, other, &a, true, true, 3000, NULL));
	}
	free(t);
}

static void test_rt_bep42_preference(void **state)
{
	struct sw_rtable *t = calloc(1, sizeof(*t));
	uint8_t self[20] = {0}, id[20];
	struct sw_addr a;

	(void)state;
	sw_rt_init(t, self);
	for (unsigned i = 0; i < SW_RT_K; i++) {
		rand_id(id);
		id[0] |= 0x80;
		v4(&a, i + 1, 6881);
		assert_non_null(sw_rt_heard(t, id, &a, true, i != 3, 1000, NULL));
	}
	rand_id(id);
	id[0] |= 0x80;
	v4(&a, 50, 6881);
	/* A valid id displaces the invalid one, even though all are good. */
	assert_non_null(sw_rt_heard(t, id, &a, true, true, 1500, NULL));
	v4(&a, 4, 6881);
	assert_null(sw_rt_find(t, NULL, &a));
	free(t);
}

static const uint8_t *sort_target;

static int by_distance(const void *pa, const void *pb)
{
	return sw_rt_cmp_distance(sort_target, pa, pb);
}

static void test_rt_closest(void **state)
{
	struct sw_rtable *t = calloc(1, sizeof(*t));
	uint8_t self[20], target[20];
	uint8_t (*ids)[20] = calloc(3000, 20), (*in)[20] = calloc(3000, 20);
	const struct sw_rt_node *out[8];
	size_t nin = 0, n;

	(void)state;
	rand_id(self);
	rand_id(target);
	sw_rt_init(t, self);
	for (unsigned i = 0; i < 3000; i++) {
		struct sw_addr a;

		rand_id(ids[i]);
		v4(&a, i + 1, 6881);
		if (sw_rt_heard(t, ids[i], &a, true, true, 1000, NULL) != NULL)
			memcpy(in[nin++], ids[i], 20);
	}
	assert_int_equal(nin, t->count);
	sort_target = target;
	qsort(in, nin, 20, by_distance);
	n = sw_rt_closest(t, target, out, 8, 1000);
	assert_int_equal(n, 8);
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(out[i]->id, in[i], 20);
	free(ids);
	free(in);
	free(t);
}

static void test_rt_refresh_target(void **state)
{
	struct sw_rtable *t = calloc(1, sizeof(*t));
	uint8_t self[20], r[20], target[20], id[20];
	struct sw_addr a;

	(void)state;
	rand_id(self);
	sw_rt_init(t, self);
	memcpy(id, self, 20);
	id[2] ^= 0x10; /* bucket 19 */
	v4(&a, 1, 1);
	assert_non_null(sw_rt_heard(t, id, &a, true, true, 1, NULL));
	for (int k = 0; k < 21; k++) {
		rand_id(r);
		assert_true(sw_rt_refresh_due(t, 1 + SW_RT_REFRESH_MS, r, target));
		assert_int_equal(sw_rt_bucket_of(t, target), (unsigned)k);
	}
	assert_false(sw_rt_refresh_due(t, 1 + SW_RT_REFRESH_MS, r, target));
	free(t);
}

/* A simulated network: each node knows the 8 nodes closest to it. */
#define NET 2000
static uint8_t net_ids[NET][20];

static void closest_in_net(const uint8_t *target, size_t *out, size_t k)
{
	size_t n = 0;

	for (size_t i = 0; i < NET; i++) {
		size_t pos = n;

		while (pos > 0 && sw_rt_cmp_distance(target, net_ids[i], net_ids[out[pos - 1]]) < 0)
			pos--;
		if (pos >= k)
			continue;
		if (n < k)
			n++;
		memmove(&out[pos + 1], &out[pos], (n - 1 - pos) * sizeof(out[0]));
		out[pos] = i;
	}
}

static void test_lookup_converges(void **state)
{
	struct sw_lookup l;
	uint8_t target[20];
	size_t truth[8];
	struct sw_lookup_cand *c, *best[8];
	unsigned rounds = 0;

	(void)state;
	for (size_t i = 0; i < NET; i++)
		rand_id(net_ids[i]);
	rand_id(target);
	sw_lookup_init(&l, target, 4);
	/* Start from three random nodes, one of them a bootstrap of unknown id. */
	for (size_t i = 0; i < 3; i++) {
		struct sw_addr a;

		v4(&a, (unsigned)i * 500 + 1, 1);
		sw_lookup_add(&l, i == 0 ? NULL : net_ids[i * 500], &a);
	}
	while (!sw_lookup_done(&l) && rounds++ < 1000) {
		struct sw_addr asked[8];
		size_t nasked = 0;

		while ((c = sw_lookup_next(&l)) != NULL)
			asked[nasked++] = c->addr;
		assert_true(nasked <= 4);
		for (size_t q = 0; q < nasked; q++) {
			unsigned idx = ((unsigned)asked[q].ip[1] << 16 | (unsigned)asked[q].ip[2] << 8 |
					asked[q].ip[3]) - 1;
			size_t known[8];

			c = sw_lookup_find(&l, &asked[q]);
			assert_non_null(c);
			if (idx % 7 == 3) { /* one node in seven is dead */
				sw_lookup_failed(&l, c);
				continue;
			}
			sw_lookup_answered(&l, c, net_ids[idx], (const uint8_t *)"tok", 3);
			/* It answers with the 8 nodes closest to the target that it knows of:
			 * here, those among the 8 closest to itself and 8 random ones. */
			closest_in_net(net_ids[idx], known, 8);
			for (size_t k = 0; k < 8; k++) {
				struct sw_addr a;
				size_t j = (size_t)(next_rand() % NET);

				v4(&a, (unsigned)known[k] + 1, 1);
				sw_lookup_add(&l, net_ids[known[k]], &a);
				v4(&a, (unsigned)j + 1, 1);
				sw_lookup_add(&l, net_ids[j], &a);
			}
		}
	}
	assert_true(sw_lookup_done(&l));
	/* The answered closest must be the true closest live nodes (brute force). */
	{
		size_t n = sw_lookup_closest_answered(&l, best, 8), m = 0;
		static size_t order[NET];

		for (size_t i = 0; i < NET; i++)
			if (i % 7 != 3)
				order[m++] = i;
		for (size_t i = 0; i < 8; i++) {
			size_t b = i, tmp;

			for (size_t j = i + 1; j < m; j++)
				if (sw_rt_cmp_distance(target, net_ids[order[j]], net_ids[order[b]]) < 0)
					b = j;
			tmp = order[i];
			order[i] = order[b];
			order[b] = tmp;
			truth[i] = order[i];
		}
		assert_int_equal(n, 8);
		for (size_t i = 0; i < 8; i++) {
			assert_memory_equal(best[i]->id, net_ids[truth[i]], 20);
			assert_int_equal(best[i]->token_len, 3);
		}
	}
	assert_true(l.queried < 200);
}

static void test_peerstore(void **state)
{
	struct sw_peerstore *s;
	uint8_t ih[20] = {1}, ih2[20] = {2}, samples[20 * 10];
	struct sw_addr a, out[10];
	struct sw_bloom bs, bp;
	size_t total;

	(void)state;
	assert_int_equal(sw_peerstore_new(2, 4, &s), SW_OK);
	for (unsigned i = 0; i < 6; i++) {
		v4(&a, i + 1, (uint16_t)(1000 + i));
		assert_int_equal(sw_peerstore_announce(s, ih, &a, i < 2, 1000 + i), SW_OK);
	}
	/* Capped at 4 peers: the two oldest went. */
	assert_int_equal(sw_peerstore_peers(s), 4);
	assert_int_equal(sw_peerstore_get(s, ih, AF_INET, false, out, 10, 0, 2000), 4);
	assert_int_equal(sw_peerstore_get(s, ih, AF_INET6, false, out, 10, 0, 2000), 0);
	assert_int_equal(sw_peerstore_get(s, ih, AF_INET, true, out, 10, 0, 2000), 4);
	/* Re-announce of a known IP refreshes it, as a seed now. */
	v4(&a, 6, 1005);
	sw_peerstore_announce(s, ih, &a, true, 3000);
	assert_int_equal(sw_peerstore_peers(s), 4);
	assert_int_equal(sw_peerstore_get(s, ih, AF_INET, true, out, 10, 0, 3000), 3);
	assert_true(sw_peerstore_bloom(s, ih, &bs, &bp, 3000));
	assert_true(sw_bloom_contains(&bs, &a));
	assert_false(sw_bloom_contains(&bp, &a));
	/* Two swarms max: a third replaces the least recently announced. */
	sw_peerstore_announce(s, ih2, &a, false, 4000);
	assert_int_equal(sw_peerstore_swarms(s), 2);
	assert_int_equal(sw_peerstore_sample(s, samples, 10, 0, &total, 4000), 2);
	assert_int_equal(total, 2);
	/* Everything expires. */
	assert_int_equal(sw_peerstore_get(s, ih, AF_INET, false, out, 10, 0,
					  5000 + SW_PEERSTORE_TTL_MS),
			 0);
	assert_int_equal(sw_peerstore_sample(s, samples, 10, 0, &total, 5000 + SW_PEERSTORE_TTL_MS),
			 0);
	assert_int_equal(sw_peerstore_peers(s), 0);
	sw_peerstore_free(s);
}

/* --- three of our nodes on loopback ------------------------------------- */

struct live {
	struct sw_loop loop;
	struct sw_udp *u[3];
	struct sw_dht *d[3];
	uint8_t ih[20];
	struct sw_addr got[16];
	size_t ngot;
	bool scraped;
	struct sw_dht_scrape sc;
	unsigned passive;
};

static void on_values(void *ctx, const uint8_t ih[20], const struct sw_addr *p, size_t n)
{
	struct live *lv = ctx;

	assert_memory_equal(ih, lv->ih, 20);
	for (size_t i = 0; i < n && lv->ngot < 16; i++)
		lv->got[lv->ngot++] = p[i];
}

static void on_scrape(void *ctx, const uint8_t ih[20], const struct sw_dht_scrape *s)
{
	struct live *lv = ctx;

	(void)ih;
	lv->sc = *s;
	lv->scraped = true;
	sw_loop_stop(&lv->loop);
}

static void on_query(void *ctx, int method, const uint8_t ih[20], const struct sw_addr *from,
		     bool seed)
{
	struct live *lv = ctx;

	(void)method;
	(void)from;
	(void)seed;
	if (memcmp(ih, lv->ih, 20) == 0)
		lv->passive++;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sw_loop_stop(arg);
}

static void live_three_nodes(int family)
{
	struct live *lv = calloc(1, sizeof(*lv));
	struct sw_errbuf eb = {{0}};
	char boot[64];
	const char *bp = boot;
	struct timeval tv = {10, 0};
	struct event *deadline;

	memset(lv->ih, 0x5a, 20);
	assert_int_equal(sw_loop_init(&lv->loop, &eb), SW_OK);
	for (int i = 0; i < 3; i++) {
		struct sw_addr a;
		struct sw_dht_opts o;

		if (family == AF_INET) {
			v4(&a, 0x00fe00u + (unsigned)i + 1, 0); /* 127.0.254.1..3 */
		} else {
			uint8_t one[16] = {[15] = 1};

			sw_addr_init_v6(&a, one, 0); /* [::1], BEP 32 */
		}
		assert_int_equal(sw_udp_open(&lv->loop, &a, &lv->u[i], &eb), SW_OK);
		memset(&o, 0, sizeof(o));
		o.loop = &lv->loop;
		if (family == AF_INET)
			o.udp4 = lv->u[i];
		else
			o.udp6 = lv->u[i];
		o.allow_private = true;
		o.ctx = lv;
		if (i == 1) { /* the seed: announces itself with port 7001 */
			o.announce_port = 7001;
			o.lookup_interval_ms = 500;
		}
		if (i == 2) { /* the watcher */
			o.on_values = on_values;
			o.on_scrape = on_scrape;
			o.lookup_interval_ms = 1500;
		}
		o.on_query = i == 0 ? on_query : NULL;
		assert_int_equal(sw_dht_new(&o, &lv->d[i], &eb), SW_OK);
	}
	sw_addr_str(sw_udp_local(lv->u[0]), boot, sizeof(boot));
	for (int i = 1; i < 3; i++)
		assert_int_equal(sw_dht_bootstrap(lv->d[i], &bp, 1, &eb), SW_OK);
	assert_int_equal(sw_dht_watch(lv->d[1], lv->ih), SW_OK);
	assert_int_equal(sw_dht_watch(lv->d[2], lv->ih), SW_OK);
	deadline = evtimer_new(lv->loop.base, on_deadline, &lv->loop);
	evtimer_add(deadline, &tv);
	/*
	 * Run until the watcher's scrape came with the seed in it and a lookup
	 * gave its values (or 10 s): a lookup that reached the bootstrap node
	 * before the seed's announce did ends without values, while its scrape,
	 * sent after it converged, may already count the seed.
	 */
	while (!(lv->scraped && lv->sc.peers >= 0.5 && lv->ngot >= 1)) {
		lv->scraped = false;
		sw_loop_run(&lv->loop);
		if (!lv->scraped)
			break;
	}
	event_free(deadline);
	assert_true(lv->scraped);
	assert_true(lv->ngot >= 1);
	{
		struct sw_addr want = *sw_udp_local(lv->u[1]);

		want.port = 7001;
		assert_memory_equal(&lv->got[0], &want, sizeof(want));
	}
	/* One peer in the filters: the estimate of one address. */
	assert_true(lv->sc.peers > 0.5 && lv->sc.peers < 1.5);
	assert_true(lv->sc.seeds < 0.5);
	assert_true(lv->passive >= 2); /* get_peers and announce_peer reached the bootstrap */
	assert_true(sw_dht_table_size(lv->d[2]) >= 1);
	assert_int_equal(sw_dht_stats(lv->d[0])->bad_tokens, 0);
	for (int i = 0; i < 3; i++) {
		sw_dht_free(lv->d[i]);
		sw_udp_close(lv->u[i]);
	}
	sw_loop_deinit(&lv->loop);
	free(lv);
}

static void test_live_three_nodes(void **state)
{
	(void)state;
	live_three_nodes(AF_INET);
}

static void test_live_three_nodes_ipv6(void **state)
{
	(void)state;
	live_three_nodes(AF_INET6);
}

/* BEP 43: a read-only node asks (with ro=1), is not put in others' tables, answers nothing. */
static void test_read_only(void **state)
{
	struct sw_loop loop;
	struct sw_udp *u[2];
	struct sw_dht *d[2];
	struct sw_errbuf eb = {{0}};
	struct timeval tv = {2, 0};
	struct event *deadline;
	char boot[64];
	const char *bp = boot;
	uint8_t ih[20];

	(void)state;
	memset(ih, 0x77, sizeof(ih));
	assert_int_equal(sw_loop_init(&loop, &eb), SW_OK);
	for (int i = 0; i < 2; i++) {
		struct sw_addr a;
		struct sw_dht_opts o;

		v4(&a, 0x00fe15u + (unsigned)i, 0); /* 127.0.254.21, .22 */
		assert_int_equal(sw_udp_open(&loop, &a, &u[i], &eb), SW_OK);
		memset(&o, 0, sizeof(o));
		o.loop = &loop;
		o.udp4 = u[i];
		o.allow_private = true;
		o.read_only = i == 1;
		assert_int_equal(sw_dht_new(&o, &d[i], &eb), SW_OK);
	}
	sw_addr_str(sw_udp_local(u[0]), boot, sizeof(boot));
	assert_int_equal(sw_dht_bootstrap(d[1], &bp, 1, &eb), SW_OK);
	assert_int_equal(sw_dht_watch(d[1], ih), SW_OK);
	sw_dht_add_node(d[0], sw_udp_local(u[1])); /* the other asks it: a ping */
	deadline = evtimer_new(loop.base, on_deadline, &loop);
	evtimer_add(deadline, &tv);
	sw_loop_run(&loop);
	event_free(deadline);
	assert_true(sw_dht_stats(d[1])->tx_queries >= 2);   /* it asked */
	assert_int_equal(sw_dht_table_size(d[1]), 1);       /* and learned the other */
	assert_true(sw_dht_stats(d[1])->rx_queries >= 1);   /* it was asked */
	assert_int_equal(sw_dht_stats(d[1])->tx_replies, 0); /* and answered nothing */
	assert_int_equal(sw_dht_table_size(d[0]), 0);       /* nobody keeps it */
	for (int i = 0; i < 2; i++) {
		sw_dht_free(d[i]);
		sw_udp_close(u[i]);
	}
	sw_loop_deinit(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vector),   cmocka_unit_test(test_rt_buckets),
		cmocka_unit_test(test_rt_bep42_preference), cmocka_unit_test(test_rt_closest),
		cmocka_unit_test(test_rt_refresh_target), cmocka_unit_test(test_lookup_converges),
		cmocka_unit_test(test_peerstore),        cmocka_unit_test(test_live_three_nodes),
		cmocka_unit_test(test_live_three_nodes_ipv6), cmocka_unit_test(test_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
