/*
 * peerstore.c - announced peers we serve: see peerstore.h.
 *
 * Small by design (a monitoring node is not a storage node): swarms are
 * found by a linear scan over their first four infohash bytes, which for
 * the default 1,024 swarms costs well under a microsecond.
 */
#include "dht/peerstore.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

struct entry {
	struct sw_addr addr;
	int64_t last;
	bool seed;
};

struct swarm {
	uint8_t ih[SW_INFOHASH_LEN];
	uint32_t key; /* first four bytes of ih */
	int64_t last;
	struct entry *e;
	size_t n;
	bool used;
};

struct sw_peerstore {
	struct swarm *s;
	size_t max_swarms, max_peers;
	size_t nswarms, npeers;
};

int sw_peerstore_new(size_t max_swarms, size_t max_peers, struct sw_peerstore **out)
{
	struct sw_peerstore *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL || max_swarms == 0 || max_peers == 0)
		goto fail;
	s->s = calloc(max_swarms, sizeof(*s->s));
	if (s->s == NULL)
		goto fail;
	s->max_swarms = max_swarms;
	s->max_peers = max_peers;
	*out = s;
	return SW_OK;
fail:
	free(s);
	return max_swarms && max_peers ? SW_E_NOMEM : SW_E_INVALID;
}

void sw_peerstore_free(struct sw_peerstore *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->max_swarms; i++)
		free(s->s[i].e);
	free(s->s);
	free(s);
}

static uint32_t key_of(const uint8_t ih[SW_INFOHASH_LEN])
{
	uint32_t k;

	memcpy(&k, ih, sizeof(k));
	return k;
}

static struct swarm *find(struct sw_peerstore *s, const uint8_t ih[SW_INFOHASH_LEN])
{
	uint32_t k = key_of(ih);

	for (size_t i = 0; i < s->max_swarms; i++)
		if (s->s[i].used && s->s[i].key == k &&
		    memcmp(s->s[i].ih, ih, SW_INFOHASH_LEN) == 0)
			return &s->s[i];
	return NULL;
}

/* Drop expired entries of sw; free it when none is left. */
static void expire(struct sw_peerstore *s, struct swarm *sw, int64_t now_ms)
{
	size_t k = 0;

	for (size_t i = 0; i < sw->n; i++)
		if (now_ms - sw->e[i].last < SW_PEERSTORE_TTL_MS)
			sw->e[k++] = sw->e[i];
	s->npeers -= sw->n - k;
	sw->n = k;
	if (k == 0) {
		free(sw->e);
		memset(sw, 0, sizeof(*sw));
		s->nswarms--;
	}
}

int sw_peerstore_announce(struct sw_peerstore *s, const uint8_t ih[SW_INFOHASH_LEN],
			  const struct sw_addr *peer, bool seed, int64_t now_ms)
{
	struct swarm *sw = find(s, ih);
	struct entry *e = NULL;

	if (sw == NULL) {
		struct swarm *oldest = NULL;

		for (size_t i = 0; i < s->max_swarms; i++) {
			if (!s->s[i].used) {
				sw = &s->s[i];
				break;
			}
			if (oldest == NULL || s->s[i].last < oldest->last)
				oldest = &s->s[i];
		}
		if (sw == NULL) {
			s->npeers -= oldest->n;
			free(oldest->e);
			memset(oldest, 0, sizeof(*oldest));
			s->nswarms--;
			sw = oldest;
		}
		sw->e = calloc(s->max_peers, sizeof(*sw->e));
		if (sw->e == NULL)
			return SW_E_NOMEM;
		memcpy(sw->ih, ih, SW_INFOHASH_LEN);
		sw->key = key_of(ih);
		sw->used = true;
		s->nswarms++;
	}
	sw->last = now_ms;
	for (size_t i = 0; i < sw->n; i++)
		if (sw_addr_same_ip(&sw->e[i].addr, peer)) {
			e = &sw->e[i];
			break;
		}
	if (e == NULL) {
		if (sw->n < s->max_peers) {
			e = &sw->e[sw->n++];
			s->npeers++;
		} else {
			e = &sw->e[0];
			for (size_t i = 1; i < sw->n; i++)
				if (sw->e[i].last < e->last)
					e = &sw->e[i];
		}
	}
	e->addr = *peer;
	e->last = now_ms;
	e->seed = seed;
	return SW_OK;
}

size_t sw_peerstore_get(struct sw_peerstore *s, const uint8_t ih[SW_INFOHASH_LEN], int family,
			bool noseed, struct sw_addr *out, size_t max, uint32_t rnd, int64_t now_ms)
{
	struct swarm *sw = find(s, ih);
	size_t k = 0;

	if (sw == NULL)
		return 0;
	expire(s, sw, now_ms);
	if (!sw->used || sw->n == 0)
		return 0;
	for (size_t j = 0; j < sw->n && k < max; j++) {
		const struct entry *e = &sw->e[(j + rnd) % sw->n];

		if (e->addr.family != family || (noseed && e->seed))
			continue;
		out[k++] = e->addr;
	}
	return k;
}

bool sw_peerstore_bloom(struct sw_peerstore *s, const uint8_t ih[SW_INFOHASH_LEN],
			struct sw_bloom *bf_seeds, struct sw_bloom *bf_peers, int64_t now_ms)
{
	struct swarm *sw = find(s, ih);

	sw_bloom_init(bf_seeds);
	sw_bloom_init(bf_peers);
	if (sw == NULL)
		return false;
	expire(s, sw, now_ms);
	if (!sw->used)
		return false;
	for (size_t i = 0; i < sw->n; i++)
		sw_bloom_insert(sw->e[i].seed ? bf_seeds : bf_peers, &sw->e[i].addr);
	return true;
}

size_t sw_peerstore_sample(struct sw_peerstore *s, uint8_t *out, size_t max, uint32_t rnd,
			   size_t *total, int64_t now_ms)
{
	size_t k = 0;

	for (size_t i = 0; i < s->max_swarms; i++)
		if (s->s[i].used)
			expire(s, &s->s[i], now_ms);
	*total = s->nswarms;
	for (size_t j = 0; j < s->max_swarms && k < max; j++) {
		const struct swarm *sw = &s->s[(j + rnd) % s->max_swarms];

		if (sw->used)
			memcpy(out + SW_INFOHASH_LEN * k++, sw->ih, SW_INFOHASH_LEN);
	}
	return k;
}

size_t sw_peerstore_swarms(const struct sw_peerstore *s)
{
	return s->nswarms;
}

size_t sw_peerstore_peers(const struct sw_peerstore *s)
{
	return s->npeers;
}
