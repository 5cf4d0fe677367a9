/*
 * lookup.h - one iterative DHT search (BEP 5's get_peers / find_node walk)
 * as a pure state machine.
 *
 * The search keeps the SW_LOOKUP_MAX candidates closest to the target it
 * has heard of, ordered by XOR distance.  sw_lookup_next() hands out the
 * next node to query: the closest one not yet asked, as long as fewer
 * than `alpha` queries are in flight and fewer than SW_RT_K nodes closer
 * than it have answered.  The search has converged when the SW_RT_K
 * closest nodes that did not fail have all answered and nothing closer is
 * in flight.  A query that has not answered after the caller's "slow"
 * delay stops counting against alpha (sw_lookup_slow), so one dead node
 * cannot stall the search; its late answer is still taken.
 *
 * Tokens from get_peers replies are kept per node for announce_peer.
 */
#ifndef SW_DHT_LOOKUP_H
#define SW_DHT_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "dht/nodeid.h"
#include "dht/rtable.h"

#define SW_LOOKUP_MAX       64
#define SW_LOOKUP_TOKEN_MAX 32

enum sw_lookup_cstate {
	SW_LC_NEW = 0,
	SW_LC_INFLIGHT,
	SW_LC_SLOW, /* in flight past the slow delay: no longer counted */
	SW_LC_DONE, /* answered */
	SW_LC_FAILED,
};

struct sw_lookup_cand {
	uint8_t id[SW_NODEID_LEN];
	struct sw_addr addr;
	uint8_t state; /* enum sw_lookup_cstate */
	bool unknown_id; /* a bootstrap address: id not known yet */
	uint8_t token_len;
	uint8_t token[SW_LOOKUP_TOKEN_MAX];
};

struct sw_lookup {
	uint8_t target[SW_NODEID_LEN];
	unsigned alpha;
	struct sw_lookup_cand c[SW_LOOKUP_MAX];
	size_t n;
	unsigned inflight; /* SW_LC_INFLIGHT only */
	unsigned queried, answered, failed;
};

void sw_lookup_init(struct sw_lookup *l, const uint8_t target[SW_NODEID_LEN], unsigned alpha);

/*
 * Add a node we heard of (from the routing table or a reply's "nodes").
 * Ignored if known (same id or address), or farther than every candidate
 * of a full list.  A bootstrap address with no known id: id NULL (it
 * sorts last and is asked first-come).  Returns true if added.
 */
bool sw_lookup_add(struct sw_lookup *l, const uint8_t *id, const struct sw_addr *addr);

/* The next node to query, marked in flight; NULL if none may be asked now. */
struct sw_lookup_cand *sw_lookup_next(struct sw_lookup *l);

/* The candidate at addr, or NULL. */
struct sw_lookup_cand *sw_lookup_find(struct sw_lookup *l, const struct sw_addr *addr);

/* Outcomes of a query to c.  id: the id it answered with (a bootstrap
 * candidate learns its id, and is re-sorted). */
void sw_lookup_answered(struct sw_lookup *l, struct sw_lookup_cand *c,
                        const uint8_t id[SW_NODEID_LEN], const uint8_t *token, size_t token_len);
void sw_lookup_failed(struct sw_lookup *l, struct sw_lookup_cand *c);
void sw_lookup_slow(struct sw_lookup *l, struct sw_lookup_cand *c);

/* Converged (or nothing left to ask)? */
bool sw_lookup_done(const struct sw_lookup *l);

/* Up to max of the closest answered candidates, closest first. */
size_t sw_lookup_closest_answered(struct sw_lookup *l, struct sw_lookup_cand **out, size_t max);

#endif /* SW_DHT_LOOKUP_H */
