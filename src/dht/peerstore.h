/*
 * peerstore.h - peers other nodes announced to us (announce_peer), which
 * we hand out in get_peers replies, as BEP 5 asks of every node.
 *
 * Bounded: at most max_swarms infohashes and max_peers addresses each
 * (one entry per IP; a re-announce refreshes it).  An entry expires
 * SW_PEERSTORE_TTL_MS after its last announce.  When full, a new swarm
 * replaces the one announced least recently; a new peer replaces its
 * swarm's oldest entry.  Pure: every call takes now_ms.
 */
#ifndef SW_DHT_PEERSTORE_H
#define SW_DHT_PEERSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/types.h"
#include "dht/bloom.h"

#define SW_PEERSTORE_TTL_MS (30 * 60 * 1000)

struct sw_peerstore;

int sw_peerstore_new(size_t max_swarms, size_t max_peers, struct sw_peerstore **out);
void sw_peerstore_free(struct sw_peerstore *s);

/* Record an announce.  0, or SW_E_NOMEM. */
int sw_peerstore_announce(struct sw_peerstore *s, const uint8_t ih[SW_INFOHASH_LEN],
                          const struct sw_addr *peer, bool seed, int64_t now_ms);

/*
 * Up to max live peers of the swarm, of family (AF_INET / AF_INET6), in
 * random order (rnd seeds the start).  noseed: leave seeds out (BEP 33).
 * Returns how many.
 */
size_t sw_peerstore_get(struct sw_peerstore *s, const uint8_t ih[SW_INFOHASH_LEN], int family,
                        bool noseed, struct sw_addr *out, size_t max, uint32_t rnd, int64_t now_ms);

/* BEP 33 filters of the live peers: seeds into bf_seeds, the others into bf_peers.  false if
 * the swarm is unknown. */
bool sw_peerstore_bloom(struct sw_peerstore *s, const uint8_t ih[SW_INFOHASH_LEN],
                        struct sw_bloom *bf_seeds, struct sw_bloom *bf_peers, int64_t now_ms);

/* Up to max infohashes of live swarms, for sample_infohashes (BEP 51); *total gets how many
 * there are. */
size_t sw_peerstore_sample(struct sw_peerstore *s, uint8_t *out, size_t max, uint32_t rnd,
                           size_t *total, int64_t now_ms);

size_t sw_peerstore_swarms(const struct sw_peerstore *s);
size_t sw_peerstore_peers(const struct sw_peerstore *s);

#endif /* SW_DHT_PEERSTORE_H */
