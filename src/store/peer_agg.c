/*
 * peer_agg.c - in-memory fold of observations per (swarm, address).
 *
 * Why not let SQLite do it: an INSERT ... SELECT ... GROUP BY over the
 * batch's observations costs a sort of every row (about 2.5 us each with
 * blob keys, measured), more than inserting the row did.  A hash table
 * costs one probe per observation, and a fold then writes each distinct
 * (swarm, address) once, in key order, so the B-tree pages it touches are
 * touched in sequence.
 *
 * Layout: entries are a dense array (so a fold walks them without gaps);
 * slots map hash -> entry index + 1 with linear probing at load <= 1/2.
 */
#include "store/peer_agg.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define INITIAL_CAP 1024
#define MAX_CAP     ((size_t)1 << 31)

void sw_peer_agg_init(struct sw_peer_agg *a)
{
	memset(a, 0, sizeof(*a));
}

void sw_peer_agg_deinit(struct sw_peer_agg *a)
{
	if (a == NULL)
		return;
	free(a->entries);
	free(a->slots);
	memset(a, 0, sizeof(*a));
}

void sw_peer_agg_reset(struct sw_peer_agg *a)
{
	if (a->n == 0)
		return;
	a->n = 0;
	memset(a->slots, 0, a->n_slots * sizeof(*a->slots));
}

/* FNV-1a; infohashes are already uniform, addresses are not. */
static uint32_t hash_key(const uint8_t *infohash, const uint8_t *key, size_t key_len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < SW_INFOHASH_LEN; i++)
		h = (h ^ infohash[i]) * 16777619u;
	for (size_t i = 0; i < key_len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

static void place(struct sw_peer_agg *a, size_t idx)
{
	size_t mask = a->n_slots - 1, i = a->entries[idx].hash & mask;

	while (a->slots[i] != 0)
		i = (i + 1) & mask;
	a->slots[i] = (uint32_t)(idx + 1);
}

static int grow(struct sw_peer_agg *a)
{
	size_t cap = a->cap != 0 ? a->cap * 2 : INITIAL_CAP;
	struct sw_peer_agg_entry *entries;
	uint32_t *slots;

	if (cap > MAX_CAP)
		return SW_E_TOO_BIG;
	entries = realloc(a->entries, cap * sizeof(*entries));
	if (entries == NULL)
		return SW_E_NOMEM;
	a->entries = entries;
	slots = calloc(cap * 2, sizeof(*slots));
	if (slots == NULL)
		return SW_E_NOMEM; /* entries grew, nothing else changed */
	free(a->slots);
	a->slots = slots;
	a->n_slots = cap * 2;
	a->cap = cap;
	for (size_t i = 0; i < a->n; i++)
		place(a, i);
	return SW_OK;
}

static struct sw_peer_agg_entry *find_or_add(struct sw_peer_agg *a, const uint8_t *infohash,
                                             const uint8_t *key, size_t key_len, uint32_t h)
{
	size_t mask = a->n_slots - 1, i = h & mask;
	struct sw_peer_agg_entry *e;

	for (; a->slots[i] != 0; i = (i + 1) & mask) {
		e = &a->entries[a->slots[i] - 1];
		if (e->hash == h && e->key_len == key_len &&
		    memcmp(e->infohash, infohash, SW_INFOHASH_LEN) == 0 &&
		    memcmp(e->key, key, key_len) == 0)
			return e;
	}
	e = &a->entries[a->n];
	a->slots[i] = (uint32_t)(a->n + 1);
	a->n++;
	memset(e, 0, sizeof(*e));
	memcpy(e->infohash, infohash, SW_INFOHASH_LEN);
	memcpy(e->key, key, key_len);
	e->key_len = (uint8_t)key_len;
	e->hash = h;
	e->last_seen = INT64_MIN;
	for (int t = 0; t < SW_TIER_COUNT; t++)
		e->first[t] = SW_PEER_AGG_NEVER;
	return e;
}

int sw_peer_agg_add(struct sw_peer_agg *a, const uint8_t infohash[SW_INFOHASH_LEN],
                    const uint8_t *key, size_t key_len, int64_t ts, enum sw_tier tier,
                    const char *country, uint32_t asn)
{
	return sw_peer_agg_add_net(a, infohash, key, key_len, NULL, 0, ts, tier, country, asn);
}

int sw_peer_agg_add_net(struct sw_peer_agg *a, const uint8_t infohash[SW_INFOHASH_LEN],
                        const uint8_t *key, size_t key_len, const uint8_t *net, size_t net_len,
                        int64_t ts, enum sw_tier tier, const char *country, uint32_t asn)
{
	struct sw_peer_agg_entry *e;
	uint32_t h;

	if (key_len == 0 || key_len > SW_SINK_ADDR_MAX || net_len > SW_SINK_ADDR_MAX ||
	    (unsigned)tier >= SW_TIER_COUNT)
		return SW_E_INVALID;
	if (a->n == a->cap) {
		int rc = grow(a);

		if (rc != SW_OK)
			return rc;
	}
	h = hash_key(infohash, key, key_len);
	e = find_or_add(a, infohash, key, key_len, h);
	for (int t = 0; t <= (int)tier; t++) {
		if (ts < e->first[t])
			e->first[t] = ts;
	}
	if (ts > e->last_seen)
		e->last_seen = ts;
	if ((uint8_t)tier > e->best_tier)
		e->best_tier = (uint8_t)tier;
	if (country != NULL && country[0] != '\0') {
		size_t n = strnlen(country, sizeof(e->country) - 1);

		memcpy(e->country, country, n);
		e->country[n] = '\0';
	}
	if (asn != 0)
		e->asn = asn;
	if (net_len > 0) {
		memcpy(e->net, net, net_len);
		e->net_len = (uint8_t)net_len;
	}
	return SW_OK;
}

/* SQLite's BLOB order: memcmp over the shorter length, then shorter first. */
static int blob_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

int sw_peer_agg_cmp(const void *a, const void *b)
{
	const struct sw_peer_agg_entry *x = *(const struct sw_peer_agg_entry *const *)a;
	const struct sw_peer_agg_entry *y = *(const struct sw_peer_agg_entry *const *)b;
	int c = memcmp(x->infohash, y->infohash, SW_INFOHASH_LEN);

	return c != 0 ? c : blob_cmp(x->key, x->key_len, y->key, y->key_len);
}
