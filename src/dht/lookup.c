/*
 * lookup.c - one iterative DHT search: see lookup.h.
 */
#include "dht/lookup.h"

#include <string.h>

void sw_lookup_init(struct sw_lookup *l, const uint8_t target[SW_NODEID_LEN], unsigned alpha)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->target, target, SW_NODEID_LEN);
	l->alpha = alpha ? alpha : 4;
}

/* Is a closer to the target than b?  Unknown ids sort last. */
static bool closer(const struct sw_lookup *l, const uint8_t *ida, bool unka, const uint8_t *idb,
		   bool unkb)
{
	if (unka || unkb)
		return !unka && unkb;
	return sw_rt_cmp_distance(l->target, ida, idb) < 0;
}

static void drop(struct sw_lookup *l, size_t i)
{
	if (l->c[i].state == SW_LC_INFLIGHT)
		l->inflight--;
	memmove(&l->c[i], &l->c[i + 1], (l->n - i - 1) * sizeof(l->c[0]));
	l->n--;
}

/* Where a candidate with this id goes (before the first one farther). */
static size_t position(const struct sw_lookup *l, const uint8_t *id, bool unknown)
{
	size_t pos = 0;

	while (pos < l->n && !closer(l, id, unknown, l->c[pos].id, l->c[pos].unknown_id))
		pos++;
	return pos;
}

bool sw_lookup_add(struct sw_lookup *l, const uint8_t *id, const struct sw_addr *addr)
{
	static const uint8_t zero[SW_NODEID_LEN];
	bool unknown = id == NULL;
	size_t pos;

	for (size_t i = 0; i < l->n; i++)
		if (memcmp(&l->c[i].addr, addr, sizeof(*addr)) == 0 ||
		    (!unknown && !l->c[i].unknown_id &&
		     memcmp(l->c[i].id, id, SW_NODEID_LEN) == 0))
			return false;
	pos = position(l, unknown ? zero : id, unknown);
	if (l->n == SW_LOOKUP_MAX) {
		size_t victim = SW_LOOKUP_MAX;

		/* Drop the farthest candidate not in flight, if farther than this one. */
		for (size_t i = l->n; i-- > pos;)
			if (l->c[i].state != SW_LC_INFLIGHT) {
				victim = i;
				break;
			}
		if (victim == SW_LOOKUP_MAX)
			return false;
		drop(l, victim);
	}
	memmove(&l->c[pos + 1], &l->c[pos], (l->n - pos) * sizeof(l->c[0]));
	memset(&l->c[pos], 0, sizeof(l->c[0]));
	if (!unknown)
		memcpy(l->c[pos].id, id, SW_NODEID_LEN);
	l->c[pos].unknown_id = unknown;
	l->c[pos].addr = *addr;
	l->n++;
	return true;
}

struct sw_lookup_cand *sw_lookup_next(struct sw_lookup *l)
{
	unsigned answered = 0;

	if (l->inflight >= l->alpha)
		return NULL;
	for (size_t i = 0; i < l->n && answered < SW_RT_K; i++) {
		struct sw_lookup_cand *c = &l->c[i];

		if (c->state == SW_LC_DONE) {
			answered++;
		} else if (c->state == SW_LC_NEW) {
			c->state = SW_LC_INFLIGHT;
			l->inflight++;
			l->queried++;
			return c;
		}
	}
	return NULL;
}

struct sw_lookup_cand *sw_lookup_find(struct sw_lookup *l, const struct sw_addr *addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (memcmp(&l->c[i].addr, addr, sizeof(*addr)) == 0)
			return &l->c[i];
	return NULL;
}

static void settle(struct sw_lookup *l, struct sw_lookup_cand *c, uint8_t state)
{
	if (c->state == SW_LC_INFLIGHT)
		l->inflight--;
	c->state = state;
}

void sw_lookup_answered(struct sw_lookup *l, struct sw_lookup_cand *c,
			const uint8_t id[SW_NODEID_LEN], const uint8_t *token, size_t token_len)
{
	if (c->state == SW_LC_DONE)
		return;
	if (c->state == SW_LC_FAILED)
		l->failed--; /* a late answer after all */
	settle(l, c, SW_LC_DONE);
	l->answered++;
	if (token != NULL && token_len > 0 && token_len <= SW_LOOKUP_TOKEN_MAX) {
		memcpy(c->token, token, token_len);
		c->token_len = (uint8_t)token_len;
	}
	if (c->unknown_id || memcmp(c->id, id, SW_NODEID_LEN) != 0) {
		/* Re-sort under the id it told us. */
		struct sw_lookup_cand tmp = *c;
		size_t i = (size_t)(c - l->c), pos;

		memmove(&l->c[i], &l->c[i + 1], (l->n - i - 1) * sizeof(l->c[0]));
		l->n--;
		memcpy(tmp.id, id, SW_NODEID_LEN);
		tmp.unknown_id = false;
		for (size_t k = 0; k < l->n; k++)
			if (memcmp(l->c[k].id, id, SW_NODEID_LEN) == 0 && !l->c[k].unknown_id) {
				/* Someone already told us of this id: keep the answering one. */
				if (l->c[k].state == SW_LC_INFLIGHT)
					l->inflight--;
				memmove(&l->c[k], &l->c[k + 1], (l->n - k - 1) * sizeof(l->c[0]));
				l->n--;
				break;
			}
		pos = position(l, tmp.id, false);
		memmove(&l->c[pos + 1], &l->c[pos], (l->n - pos) * sizeof(l->c[0]));
		l->c[pos] = tmp;
		l->n++;
	}
}

void sw_lookup_failed(struct sw_lookup *l, struct sw_lookup_cand *c)
{
	if (c->state == SW_LC_DONE || c->state == SW_LC_FAILED)
		return;
	settle(l, c, SW_LC_FAILED);
	l->failed++;
}

void sw_lookup_slow(struct sw_lookup *l, struct sw_lookup_cand *c)
{
	if (c->state == SW_LC_INFLIGHT)
		settle(l, c, SW_LC_SLOW);
}

bool sw_lookup_done(const struct sw_lookup *l)
{
	unsigned answered = 0;

	for (size_t i = 0; i < l->n && answered < SW_RT_K; i++) {
		switch (l->c[i].state) {
		case SW_LC_DONE:
			answered++;
			break;
		case SW_LC_FAILED:
			break;
		default:
			return false;
		}
	}
	return true;
}

size_t sw_lookup_closest_answered(struct sw_lookup *l, struct sw_lookup_cand **out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n && k < max; i++)
		if (l->c[i].state == SW_LC_DONE)
			out[k++] = &l->c[i];
	return k;
}
