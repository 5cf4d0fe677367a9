/*
 * rtable.c - the DHT routing table: see rtable.h.
 */
#include "dht/rtable.h"

#include <string.h>

void sw_rt_init(struct sw_rtable *t, const uint8_t self[SW_NODEID_LEN])
{
	memset(t, 0, sizeof(*t));
	memcpy(t->self, self, SW_NODEID_LEN);
}

unsigned sw_rt_bucket_of(const struct sw_rtable *t, const uint8_t id[SW_NODEID_LEN])
{
	for (unsigned i = 0; i < SW_NODEID_LEN; i++) {
		uint8_t x = (uint8_t)(t->self[i] ^ id[i]);

		if (x != 0) {
			unsigned b = 0;

			while (!(x & 0x80)) {
				x = (uint8_t)(x << 1);
				b++;
			}
			return i * 8 + b;
		}
	}
	return SW_RT_BUCKETS;
}

enum sw_rt_state sw_rt_state(const struct sw_rt_node *n, int64_t now_ms)
{
	if (n->fails >= SW_RT_MAX_FAILS)
		return SW_RT_BAD;
	if (n->last_reply > 0 && (now_ms - n->last_reply < SW_RT_GOOD_MS ||
				  now_ms - n->last_query < SW_RT_GOOD_MS))
		return SW_RT_GOOD;
	return SW_RT_QUESTIONABLE;
}

static void fill(struct sw_rt_node *n, const uint8_t id[SW_NODEID_LEN], const struct sw_addr *addr,
		 bool replied, bool id_valid, int64_t now_ms)
{
	memset(n, 0, sizeof(*n));
	memcpy(n->id, id, SW_NODEID_LEN);
	n->addr = *addr;
	n->added = now_ms;
	n->last_reply = replied ? now_ms : 0;
	n->last_query = replied ? 0 : now_ms;
	n->id_valid = id_valid;
	n->used = true;
}

/* Keep a newcomer in the replacement cache: newest first, oldest dropped. */
static void to_replacements(struct sw_rt_bucket *b, const uint8_t id[SW_NODEID_LEN],
			    const struct sw_addr *addr, bool replied, bool id_valid, int64_t now_ms)
{
	size_t i;

	for (i = 0; i < SW_RT_REPLACEMENTS; i++)
		if (b->repl[i].used && (memcmp(b->repl[i].id, id, SW_NODEID_LEN) == 0 ||
					memcmp(&b->repl[i].addr, addr, sizeof(*addr)) == 0))
			break;
	if (i == SW_RT_REPLACEMENTS)
		i = SW_RT_REPLACEMENTS - 1;
	memmove(&b->repl[1], &b->repl[0], i * sizeof(b->repl[0]));
	fill(&b->repl[0], id, addr, replied, id_valid, now_ms);
}

struct sw_rt_node *sw_rt_heard(struct sw_rtable *t, const uint8_t id[SW_NODEID_LEN],
			       const struct sw_addr *addr, bool replied, bool id_valid,
			       int64_t now_ms, struct sw_rt_node **ping_out)
{
	unsigned bi = sw_rt_bucket_of(t, id);
	struct sw_rt_bucket *b;
	struct sw_rt_node *free_slot = NULL, *bad = NULL, *invalid = NULL, *dubious = NULL;

	if (ping_out)
		*ping_out = NULL;
	if (bi >= SW_RT_BUCKETS)
		return NULL; /* our own id */
	b = &t->b[bi];
	for (size_t i = 0; i < SW_RT_K; i++) {
		struct sw_rt_node *n = &b->nodes[i];

		if (!n->used) {
			if (!free_slot)
				free_slot = n;
			continue;
		}
		if (memcmp(n->id, id, SW_NODEID_LEN) == 0) {
			if (memcmp(&n->addr, addr, sizeof(*addr)) != 0)
				return NULL; /* an id moving address: keep the one we know */
			if (replied) {
				n->last_reply = now_ms;
				n->fails = 0;
				b->changed = now_ms;
			} else {
				n->last_query = now_ms;
			}
			return n;
		}
		if (memcmp(&n->addr, addr, sizeof(*addr)) == 0)
			return NULL; /* an address changing id: refuse the new id */
		switch (sw_rt_state(n, now_ms)) {
		case SW_RT_BAD:
			if (!bad)
				bad = n;
			break;
		case SW_RT_QUESTIONABLE:
			if (!dubious || n->last_reply < dubious->last_reply)
				dubious = n;
			break;
		case SW_RT_GOOD:
			break;
		}
		if (!n->id_valid && !invalid)
			invalid = n;
	}
	if (free_slot) {
		fill(free_slot, id, addr, replied, id_valid, now_ms);
		b->changed = now_ms;
		t->count++;
		if (bi >= t->top)
			t->top = bi + 1;
		return free_slot;
	}
	if (!replied) {
		/* Only nodes that answered us may displace anyone. */
		to_replacements(b, id, addr, replied, id_valid, now_ms);
		if (ping_out)
			*ping_out = dubious;
		return NULL;
	}
	if (!bad && id_valid && invalid)
		bad = invalid; /* BEP 42: a valid id takes the place of an invalid one */
	if (bad) {
		fill(bad, id, addr, replied, id_valid, now_ms);
		b->changed = now_ms;
		return bad;
	}
	to_replacements(b, id, addr, replied, id_valid, now_ms);
	if (ping_out)
		*ping_out = dubious;
	return NULL;
}

struct sw_rt_node *sw_rt_find(struct sw_rtable *t, const uint8_t *id, const struct sw_addr *addr)
{
	unsigned lo = 0, hi = SW_RT_BUCKETS;

	if (id != NULL) {
		lo = sw_rt_bucket_of(t, id);
		if (lo >= SW_RT_BUCKETS)
			return NULL;
		hi = lo + 1;
	}
	for (unsigned bi = lo; bi < hi; bi++)
		for (size_t i = 0; i < SW_RT_K; i++) {
			struct sw_rt_node *n = &t->b[bi].nodes[i];

			if (n->used && memcmp(&n->addr, addr, sizeof(*addr)) == 0)
				return n;
		}
	return NULL;
}

void sw_rt_failed(struct sw_rtable *t, const uint8_t *id, const struct sw_addr *addr)
{
	struct sw_rt_node *n = sw_rt_find(t, id, addr);
	struct sw_rt_bucket *b;
	size_t r;

	if (n == NULL)
		return;
	if (n->fails < UINT8_MAX)
		n->fails++;
	if (n->fails < SW_RT_MAX_FAILS)
		return;
	b = &t->b[sw_rt_bucket_of(t, n->id)];
	/* Bad: take the freshest replacement, preferring one that answered us. */
	for (r = 0; r < SW_RT_REPLACEMENTS; r++)
		if (b->repl[r].used && b->repl[r].last_reply > 0)
			break;
	if (r == SW_RT_REPLACEMENTS)
		for (r = 0; r < SW_RT_REPLACEMENTS; r++)
			if (b->repl[r].used)
				break;
	if (r == SW_RT_REPLACEMENTS)
		return; /* stays, marked bad, until someone better comes */
	*n = b->repl[r];
	memmove(&b->repl[r], &b->repl[r + 1], (SW_RT_REPLACEMENTS - r - 1) * sizeof(b->repl[0]));
	memset(&b->repl[SW_RT_REPLACEMENTS - 1], 0, sizeof(b->repl[0]));
}

int sw_rt_cmp_distance(const uint8_t target[SW_NODEID_LEN], const uint8_t a[SW_NODEID_LEN],
		       const uint8_t b[SW_NODEID_LEN])
{
	for (size_t i = 0; i < SW_NODEID_LEN; i++) {
		uint8_t da = (uint8_t)(a[i] ^ target[i]), db = (uint8_t)(b[i] ^ target[i]);

		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

/* Insert bucket bi's live nodes into out[0..n), sorted by distance, at most max. */
static size_t closest_in(const struct sw_rt_bucket *b, const uint8_t target[SW_NODEID_LEN],
			 const struct sw_rt_node **out, size_t n, size_t max, int64_t now_ms)
{
	for (size_t i = 0; i < SW_RT_K; i++) {
		const struct sw_rt_node *x = &b->nodes[i];
		size_t pos;

		if (!x->used || sw_rt_state(x, now_ms) == SW_RT_BAD)
			continue;
		pos = n;
		while (pos > 0 && sw_rt_cmp_distance(target, x->id, out[pos - 1]->id) < 0)
			pos--;
		if (pos >= max)
			continue;
		if (n < max)
			n++;
		memmove(&out[pos + 1], &out[pos], (n - 1 - pos) * sizeof(out[0]));
		out[pos] = x;
	}
	return n;
}

/*
 * Serving a query asks for the closest nodes every time, so this must not
 * walk all 1,280 slots.  Let b be the bucket the target falls in (the bits
 * it shares with our id).  A node of bucket i differs from our id first at
 * bit i, so its XOR distance to the target is:
 *
 *   i == b   below 2^(159-b)             (it agrees with the target at bit b)
 *   i > b    in [2^(159-b), 2^(160-b))   (it differs at bit b, agrees above)
 *   i < b    in [2^(159-i), 2^(160-i))   (it differs at bit i)
 *
 * So bucket b is closest, then all deeper buckets together, then b-1,
 * b-2, ...: each group is farther than everything before it, and the scan
 * can stop after any group once out is full.  Buckets at or past `top`
 * hold nothing.  The result is exactly the full scan's.
 */
size_t sw_rt_closest(const struct sw_rtable *t, const uint8_t target[SW_NODEID_LEN],
		     const struct sw_rt_node **out, size_t max, int64_t now_ms)
{
	unsigned b = sw_rt_bucket_of(t, target), top = t->top;
	size_t n = 0;

	if (max == 0)
		return 0;
	if (b < top)
		n = closest_in(&t->b[b], target, out, n, max, now_ms);
	if (n >= max)
		return n;
	/* One group: every deeper bucket, even once out is full. */
	for (unsigned bi = b + 1; bi < top; bi++)
		n = closest_in(&t->b[bi], target, out, n, max, now_ms);
	for (unsigned bi = b < top ? b : top; bi-- > 0 && n < max;)
		n = closest_in(&t->b[bi], target, out, n, max, now_ms);
	return n;
}

bool sw_rt_refresh_due(struct sw_rtable *t, int64_t now_ms, const uint8_t rnd[SW_NODEID_LEN],
		       uint8_t target[SW_NODEID_LEN])
{
	/* The deepest bucket that can hold nodes is one past the deepest used. */
	unsigned deepest = 0;

	for (unsigned bi = 0; bi < SW_RT_BUCKETS; bi++)
		for (size_t i = 0; i < SW_RT_K; i++)
			if (t->b[bi].nodes[i].used)
				deepest = bi;
	for (unsigned bi = 0; bi <= deepest + 1 && bi < SW_RT_BUCKETS; bi++) {
		struct sw_rt_bucket *b = &t->b[bi];
		size_t byte = bi / 8;
		uint8_t bit = (uint8_t)(0x80u >> (bi % 8)), keep = (uint8_t)~(0xffu >> (bi % 8));

		if (now_ms - b->changed < SW_RT_REFRESH_MS)
			continue;
		/* A random id sharing exactly bi leading bits with ours. */
		memcpy(target, t->self, byte);
		target[byte] = (uint8_t)((t->self[byte] & keep) | ((t->self[byte] ^ bit) & bit) |
					 (rnd[byte] & (uint8_t)~keep & (uint8_t)~bit));
		memcpy(target + byte + 1, rnd + byte + 1, SW_NODEID_LEN - byte - 1);
		b->changed = now_ms; /* do not ask again until it is due again */
		return true;
	}
	return false;
}

void sw_rt_set_self(struct sw_rtable *t, const uint8_t self[SW_NODEID_LEN], int64_t now_ms)
{
	static struct sw_rtable old; /* one table's worth; set_self is rare */
	struct sw_rtable *o = &old;

	memcpy(o, t, sizeof(*t));
	sw_rt_init(t, self);
	for (unsigned bi = 0; bi < SW_RT_BUCKETS; bi++)
		for (size_t i = 0; i < SW_RT_K; i++) {
			const struct sw_rt_node *n = &o->b[bi].nodes[i];
			struct sw_rt_node *m;

			if (!n->used)
				continue;
			m = sw_rt_heard(t, n->id, &n->addr, n->last_reply > 0, n->id_valid, now_ms,
					NULL);
			if (m != NULL) {
				m->last_reply = n->last_reply;
				m->last_query = n->last_query;
				m->added = n->added;
				m->fails = n->fails;
			}
		}
}

void sw_rt_counts(const struct sw_rtable *t, int64_t now_ms, size_t *good, size_t *dubious)
{
	*good = *dubious = 0;
	for (unsigned bi = 0; bi < SW_RT_BUCKETS; bi++)
		for (size_t i = 0; i < SW_RT_K; i++) {
			const struct sw_rt_node *n = &t->b[bi].nodes[i];

			if (!n->used)
				continue;
			switch (sw_rt_state(n, now_ms)) {
			case SW_RT_GOOD:
				(*good)++;
				break;
			case SW_RT_QUESTIONABLE:
				(*dubious)++;
				break;
			case SW_RT_BAD:
				break;
			}
		}
}
