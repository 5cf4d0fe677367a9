/* peerset.c - exact peer and IP sets with seeded hashing (see peerset.h). */
#include "count/peerset.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define EMPTY UINT32_MAX
#define MIN_SLOTS 64u

struct ipent {
	struct sw_addr ip; /* port 0 */
	uint8_t tier;
	uint8_t sources;
};

struct table {
	uint32_t *slots; /* indexes into the dense array, EMPTY if free */
	size_t nslots;   /* power of two, at least twice the entries */
};

struct sw_peerset {
	uint64_t seed;
	size_t max;
	struct sw_peer *peers;
	size_t npeers, peers_cap;
	struct ipent *ips;
	size_t nips, ips_cap;
	struct table peer_tab, ip_tab;
	size_t ips_at_tier[SW_TIER_COUNT];  /* IPs whose best tier is exactly t */
	size_t ips_from[SW_SOURCE_COUNT];
	uint64_t overflow;
};

/* A keyed mix of the address (wyhash-style multiply-fold rounds). */
static uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)(r >> 64) ^ (uint64_t)r;
}

static uint64_t hash_addr(uint64_t seed, const struct sw_addr *a, bool with_port)
{
	uint64_t lo, hi;

	memcpy(&lo, a->ip, 8);
	memcpy(&hi, a->ip + 8, 8);
	return mix(lo ^ seed ^ 0xa0761d6478bd642full,
		   hi ^ ((uint64_t)a->family << 16 | (with_port ? a->port : 0)) ^
			   0xe7037ed1a0b428dbull);
}

static int table_init(struct table *t, size_t nslots)
{
	t->slots = malloc(nslots * sizeof(*t->slots));
	if (t->slots == NULL)
		return SW_E_NOMEM;
	memset(t->slots, 0xff, nslots * sizeof(*t->slots));
	t->nslots = nslots;
	return SW_OK;
}

int sw_peerset_new(size_t max, uint64_t seed, struct sw_peerset **out)
{
	struct sw_peerset *ps = calloc(1, sizeof(*ps));

	*out = NULL;
	if (ps == NULL)
		return SW_E_NOMEM;
	ps->seed = seed;
	ps->max = max < UINT32_MAX / 4 ? max : UINT32_MAX / 4;
	if (table_init(&ps->peer_tab, MIN_SLOTS) || table_init(&ps->ip_tab, MIN_SLOTS)) {
		sw_peerset_free(ps);
		return SW_E_NOMEM;
	}
	*out = ps;
	return SW_OK;
}

void sw_peerset_free(struct sw_peerset *ps)
{
	if (ps == NULL)
		return;
	free(ps->peers);
	free(ps->ips);
	free(ps->peer_tab.slots);
	free(ps->ip_tab.slots);
	free(ps);
}

static bool peer_eq(const struct sw_addr *a, const struct sw_addr *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

/* Slot of key in the peer (ips=false) or IP (ips=true) table: found or free. */
static size_t probe(const struct sw_peerset *ps, bool ips, const struct sw_addr *a)
{
	const struct table *t = ips ? &ps->ip_tab : &ps->peer_tab;
	size_t mask = t->nslots - 1, i = (size_t)hash_addr(ps->seed, a, !ips) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t e = t->slots[i];

		if (e == EMPTY)
			return i;
		if (ips ? sw_addr_same_ip(&ps->ips[e].ip, a) : peer_eq(&ps->peers[e].addr, a))
			return i;
	}
}

static int grow_table(struct sw_peerset *ps, bool ips)
{
	struct table *t = ips ? &ps->ip_tab : &ps->peer_tab, old = *t;
	size_t n = ips ? ps->nips : ps->npeers;

	if ((n + 1) * 2 <= t->nslots)
		return SW_OK;
	if (table_init(t, old.nslots * 2)) {
		*t = old;
		return SW_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sw_addr *a = ips ? &ps->ips[i].ip : &ps->peers[i].addr;

		t->slots[probe(ps, ips, a)] = (uint32_t)i;
	}
	free(old.slots);
	return SW_OK;
}

static int grow_array(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return SW_OK;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return SW_E_NOMEM;
	*arr = p;
	*cap = ncap;
	return SW_OK;
}

static struct ipent *add_ip(struct sw_peerset *ps, const struct sw_addr *a, bool *is_new)
{
	struct sw_addr ip = *a;
	size_t slot;

	ip.port = 0;
	*is_new = false;
	slot = probe(ps, true, &ip);
	if (ps->ip_tab.slots[slot] != EMPTY)
		return &ps->ips[ps->ip_tab.slots[slot]];
	if (grow_table(ps, true) ||
	    grow_array((void **)&ps->ips, &ps->ips_cap, ps->nips, sizeof(*ps->ips)))
		return NULL;
	slot = probe(ps, true, &ip);
	ps->ip_tab.slots[slot] = (uint32_t)ps->nips;
	memset(&ps->ips[ps->nips], 0, sizeof(ps->ips[0]));
	ps->ips[ps->nips].ip = ip;
	ps->ips[ps->nips].tier = SW_TIER_SEEN;
	ps->ips_at_tier[SW_TIER_SEEN]++;
	*is_new = true;
	return &ps->ips[ps->nips++];
}

struct sw_peer *sw_peerset_add(struct sw_peerset *ps, const struct sw_addr *a,
			       enum sw_source src, int64_t now, bool *is_new_ip)
{
	size_t slot = probe(ps, false, a);
	struct sw_peer *p;
	struct ipent *ip;
	bool new_ip = false;

	if (is_new_ip)
		*is_new_ip = false;
	if (ps->peer_tab.slots[slot] != EMPTY) {
		p = &ps->peers[ps->peer_tab.slots[slot]];
	} else {
		if (ps->npeers >= ps->max) {
			ps->overflow++;
			return NULL;
		}
		if (grow_table(ps, false) ||
		    grow_array((void **)&ps->peers, &ps->peers_cap, ps->npeers, sizeof(*p)))
			return NULL;
		slot = probe(ps, false, a);
		p = &ps->peers[ps->npeers];
		memset(p, 0, sizeof(*p));
		p->addr = *a;
		p->tier = SW_TIER_SEEN;
		p->first_seen = now;
		ps->peer_tab.slots[slot] = (uint32_t)ps->npeers++;
	}
	p->last_seen = now;
	/*
	 * The peer's IP has every source its peers have: only a new source of
	 * this peer (or a new peer) can change the IP's entry, so a repeat
	 * sighting costs one probe, not two.
	 */
	if (!(p->sources & (1u << src))) {
		ip = add_ip(ps, a, &new_ip);
		if (ip != NULL) { /* else out of memory: try again next time */
			p->sources |= (uint8_t)(1u << src);
			if (!(ip->sources & (1u << src))) {
				ip->sources |= (uint8_t)(1u << src);
				ps->ips_from[src]++;
			}
		}
	}
	if (is_new_ip)
		*is_new_ip = new_ip;
	return p;
}

struct sw_peer *sw_peerset_find(const struct sw_peerset *ps, const struct sw_addr *a)
{
	size_t slot = probe(ps, false, a);

	return ps->peer_tab.slots[slot] == EMPTY ? NULL : &ps->peers[ps->peer_tab.slots[slot]];
}

void sw_peerset_raise_tier(struct sw_peerset *ps, struct sw_peer *p, enum sw_tier t)
{
	struct sw_addr ip = p->addr;
	size_t slot;
	struct ipent *e;

	if (t <= p->tier)
		return;
	p->tier = (uint8_t)t;
	ip.port = 0;
	slot = probe(ps, true, &ip);
	if (ps->ip_tab.slots[slot] == EMPTY)
		return;
	e = &ps->ips[ps->ip_tab.slots[slot]];
	if (t > e->tier) {
		ps->ips_at_tier[e->tier]--;
		ps->ips_at_tier[t]++;
		e->tier = (uint8_t)t;
	}
}

size_t sw_peerset_size(const struct sw_peerset *ps)
{
	return ps->npeers;
}

struct sw_peer *sw_peerset_at(const struct sw_peerset *ps, size_t i)
{
	return i < ps->npeers ? &ps->peers[i] : NULL;
}

size_t sw_peerset_unique_ips(const struct sw_peerset *ps, enum sw_tier t)
{
	size_t n = 0;

	for (int i = (int)t; i < SW_TIER_COUNT; i++)
		n += ps->ips_at_tier[i];
	return n;
}

/* An IPv6 IP's /64 and its best tier, sorted by prefix for counting. */
struct net_tier {
	uint64_t prefix;
	uint8_t tier;
};

static int net_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct net_tier *)a)->prefix, y = ((const struct net_tier *)b)->prefix;

	return (x > y) - (x < y);
}

void sw_peerset_unique_nets(const struct sw_peerset *ps, size_t out[SW_TIER_COUNT])
{
	struct net_tier *v6 = malloc((ps->nips ? ps->nips : 1) * sizeof(*v6));
	size_t at[SW_TIER_COUNT] = {0}, n_v6 = 0; /* networks whose best tier is exactly t */

	for (size_t i = 0; i < ps->nips; i++) {
		const struct ipent *e = &ps->ips[i];

		/* sw_addr_init_v6() made every IPv4-mapped address IPv4 */
		if (e->ip.family != AF_INET6 || v6 == NULL) { /* no memory: per address */
			at[e->tier]++;
			continue;
		}
		memcpy(&v6[n_v6].prefix, e->ip.ip, 8);
		v6[n_v6++].tier = e->tier;
	}
	if (n_v6 > 0) {
		qsort(v6, n_v6, sizeof(*v6), net_cmp);
		for (size_t i = 0, j; i < n_v6; i = j) {
			uint8_t best = v6[i].tier;

			for (j = i + 1; j < n_v6 && v6[j].prefix == v6[i].prefix; j++)
				if (v6[j].tier > best)
					best = v6[j].tier;
			at[best]++;
		}
	}
	free(v6);
	for (int t = SW_TIER_COUNT - 1; t >= 0; t--)
		out[t] = at[t] + (t + 1 < SW_TIER_COUNT ? out[t + 1] : 0);
}

size_t sw_peerset_unique_ips_from(const struct sw_peerset *ps, enum sw_source s)
{
	return ps->ips_from[s];
}

uint64_t sw_peerset_overflow(const struct sw_peerset *ps)
{
	return ps->overflow;
}
