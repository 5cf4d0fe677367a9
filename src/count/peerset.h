/*
 * peerset.h - the peers of one swarm (or title) seen so far, exactly.
 *
 * Two views of the same observations: peers, keyed by address and port,
 * carrying what we know of each endpoint (sources, tier, fraction held,
 * client), and IPs, keyed by address alone, carrying the best tier any of
 * its ports reached.  "Unique IPs" is always counted on the second view,
 * so a host that announces two ports counts once.
 *
 * Both live in dense arrays (iteration in first-seen order) indexed by
 * open-addressing hash tables whose hash is seeded per process: addresses
 * come from the network, and a fixed hash would let a peer list crafted
 * for collisions turn every insert into a scan.  Memory is bounded by
 * `max` peers; past it new endpoints are counted in `overflow`, not
 * stored.
 */
#ifndef SW_PEERSET_H
#define SW_PEERSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/types.h"

#define SW_PEER_CLIENT_LEN 48

struct sw_peer {
	struct sw_addr addr;
	uint8_t sources;  /* bit (1 << enum sw_source) */
	uint8_t tier;     /* enum sw_tier, best reached */
	bool has_have;
	bool geo_done;    /* caller's: country and asn looked up (once per peer) */
	char country[3];  /* caller's: ISO 3166-1 alpha-2, "" unknown */
	uint32_t asn;     /* caller's: 0 unknown */
	double have;      /* fraction held, when has_have */
	uint64_t trackers; /* bit i: tracker i of the caller's list named it */
	int64_t first_seen, last_seen; /* caller's clock, ms */
	int64_t recorded;              /* caller's: when it last wrote the peer to a store */
	char client[SW_PEER_CLIENT_LEN]; /* "" when unknown */
};

struct sw_peerset;

/* max: most peers kept; seed: hash key (use random bytes). */
int sw_peerset_new(size_t max, uint64_t seed, struct sw_peerset **out);
void sw_peerset_free(struct sw_peerset *ps); /* NULL-safe */

/*
 * Record that src named a.  Returns the peer (new or existing; the pointer
 * is valid until the next add) or NULL when the set is full (counted in
 * overflow) or out of memory.  *is_new_ip (optional) tells whether the
 * address was not seen before on any port.
 */
struct sw_peer *sw_peerset_add(struct sw_peerset *ps, const struct sw_addr *a,
			       enum sw_source src, int64_t now, bool *is_new_ip);
struct sw_peer *sw_peerset_find(const struct sw_peerset *ps, const struct sw_addr *a);
/* Raise a peer's tier (never lowers it); keeps the per-IP counts right. */
void sw_peerset_raise_tier(struct sw_peerset *ps, struct sw_peer *p, enum sw_tier t);

size_t sw_peerset_size(const struct sw_peerset *ps);              /* peers */
struct sw_peer *sw_peerset_at(const struct sw_peerset *ps, size_t i); /* first-seen order */
/* Distinct IPs whose best tier is at least t. */
size_t sw_peerset_unique_ips(const struct sw_peerset *ps, enum sw_tier t);
/*
 * Distinct networks per tier: out[t] counts the networks with an IP whose
 * best tier is at least t.  An IPv4 address is its own network, IPv6
 * addresses count per /64.  Computed when asked (one sort of the IPv6
 * prefixes), for summaries.
 */
void sw_peerset_unique_nets(const struct sw_peerset *ps, size_t out[SW_TIER_COUNT]);
/* Distinct IPs named at least once by source s. */
size_t sw_peerset_unique_ips_from(const struct sw_peerset *ps, enum sw_source s);
uint64_t sw_peerset_overflow(const struct sw_peerset *ps);

#endif /* SW_PEERSET_H */
