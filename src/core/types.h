/*
 * types.h - the vocabulary of swarmwatch as C types (see docs/DESIGN.md).
 */
#ifndef SW_TYPES_H
#define SW_TYPES_H

#include <stdint.h>

#define SW_INFOHASH_LEN    20 /* v1 SHA-1, and v2 truncated on the wire */
#define SW_INFOHASH_V2_LEN 32 /* v2 SHA-256 (BEP 52) */
#define SW_PEER_ID_LEN     20

/* Where an address came from. */
enum sw_source {
	SW_SOURCE_TRACKER = 0,
	SW_SOURCE_DHT,
	SW_SOURCE_DHT_PASSIVE,
	SW_SOURCE_PEX,
	SW_SOURCE_INCOMING,
	SW_SOURCE_COUNT
};

/* The strength of the evidence, weakest first; order matters (max()). */
enum sw_tier {
	SW_TIER_SEEN = 0,
	SW_TIER_CONNECTABLE,
	SW_TIER_VERIFIED,
	SW_TIER_PROVEN,
	SW_TIER_COUNT
};

/* "tracker", "dht", "dht-passive", "pex", "incoming"; NULL if out of range. */
const char *sw_source_name(enum sw_source s);
/* "seen", "connectable", "verified", "proven"; NULL if out of range. */
const char *sw_tier_name(enum sw_tier t);
/* Inverse lookups: 0 and *out set, or SW_E_NOT_FOUND. */
int sw_source_parse(const char *name, enum sw_source *out);
int sw_tier_parse(const char *name, enum sw_tier *out);

#endif /* SW_TYPES_H */
