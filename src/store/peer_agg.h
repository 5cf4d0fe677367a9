/*
 * peer_agg.h - observations folded in memory per (swarm, address).
 *
 * The SQLite sink keeps one of these between folds into its unique-address
 * tables: each observation updates one entry (first time per tier, last
 * time, best tier, country, asn), and a fold writes one upsert per entry
 * instead of one per observation.  An open-addressing hash table over a
 * dense entry array, grown by doubling; the caller bounds its size by
 * folding (and resetting) after a fixed number of observations.
 */
#ifndef SW_STORE_PEER_AGG_H
#define SW_STORE_PEER_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "store/sink.h"

/* first[t] of a tier never reached. */
#define SW_PEER_AGG_NEVER INT64_MAX

struct sw_peer_agg_entry {
	uint8_t infohash[SW_INFOHASH_LEN];
	uint8_t key_len;
	uint8_t best_tier;
	uint8_t key[SW_SINK_ADDR_MAX]; /* the stored address or pseudonym */
	uint8_t net[SW_SINK_ADDR_MAX]; /* its /64 network's key (IPv6), net_len 0 if none */
	uint8_t net_len;
	char country[3];               /* "" unknown */
	uint32_t asn;                  /* 0 unknown */
	uint32_t hash;
	int64_t last_seen;
	int64_t first[SW_TIER_COUNT]; /* earliest time at tier >= t, or NEVER */
};

struct sw_peer_agg {
	struct sw_peer_agg_entry *entries; /* n used of cap */
	size_t n, cap;
	uint32_t *slots; /* entry index + 1; 0 empty; n_slots a power of two */
	size_t n_slots;
};

void sw_peer_agg_init(struct sw_peer_agg *a);
void sw_peer_agg_deinit(struct sw_peer_agg *a); /* frees; a may be NULL */
void sw_peer_agg_reset(struct sw_peer_agg *a);  /* empty, memory kept */

/*
 * Fold one observation in.  key is the stored address (key_len 1 ..
 * SW_SINK_ADDR_MAX), country a C string ("" unknown), tier valid.
 * Returns 0, SW_E_NOMEM or SW_E_TOO_BIG (2^31 entries); on failure a is
 * unchanged.
 */
int sw_peer_agg_add(struct sw_peer_agg *a, const uint8_t infohash[SW_INFOHASH_LEN],
                    const uint8_t *key, size_t key_len, int64_t ts, enum sw_tier tier,
                    const char *country, uint32_t asn);

/* The same, with the address's /64 network key (net_len 0: none). */
int sw_peer_agg_add_net(struct sw_peer_agg *a, const uint8_t infohash[SW_INFOHASH_LEN],
                        const uint8_t *key, size_t key_len, const uint8_t *net, size_t net_len,
                        int64_t ts, enum sw_tier tier, const char *country, uint32_t asn);

/* Order of entries by (infohash, key), for qsort of entry pointers. */
int sw_peer_agg_cmp(const void *a, const void *b);

#endif /* SW_STORE_PEER_AGG_H */
