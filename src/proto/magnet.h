/*
 * magnet.h - magnet URIs for BitTorrent (BEP 9 "magnet URI format", BEP 52).
 *
 *     magnet:?xt=urn:btih:<40 hex | 32 base32>&xt=urn:btmh:1220<64 hex>
 *            &dn=<name>&tr=<tracker url>&tr=...&x.pe=<host:port>
 *
 * sw_magnet_parse() copies what it keeps; the input may be freed after the
 * call.  Parameter names are matched case-insensitively, and a numbered
 * form (xt.1, tr.2, x.pe.3) counts as the plain one.  Unknown parameters
 * and other URNs (urn:sha1, urn:ed2k, ...) are ignored.  A magnet may
 * repeat a btih or btmh topic, but not name two different hashes of one
 * kind (SW_E_UNSUPPORTED: one magnet, one swarm).  A btih and a btmh
 * together describe one hybrid torrent; that they match is not checkable
 * here.
 */
#ifndef SW_MAGNET_H
#define SW_MAGNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* Longest URI accepted (SW_E_TOO_BIG beyond). */
#ifndef SW_MAGNET_MAX_LEN
#define SW_MAGNET_MAX_LEN (64u * 1024u)
#endif
/* Most distinct tr / x.pe values (SW_E_TOO_BIG beyond). */
#ifndef SW_MAGNET_MAX_TRACKERS
#define SW_MAGNET_MAX_TRACKERS 256
#endif
#ifndef SW_MAGNET_MAX_PEERS
#define SW_MAGNET_MAX_PEERS 256
#endif

struct sw_magnet {
	bool has_v1; /* xt=urn:btih: */
	bool has_v2; /* xt=urn:btmh: (sha2-256 multihash) */
	uint8_t infohash_v1[SW_INFOHASH_LEN];
	uint8_t infohash_v2[SW_INFOHASH_V2_LEN];
	char *name;      /* dn, percent-decoded, '+' read as a space; NULL if absent */
	char **trackers; /* every tr, percent-decoded, in order, no repeats, none empty */
	size_t num_trackers;
	char **peers; /* every x.pe, percent-decoded: "host:port" or "[v6]:port" */
	size_t num_peers;
};

/*
 * Parse uri[0..len) (no NUL needed).  On success returns 0 and stores a new
 * object in *out, freed by the caller with sw_magnet_free().  On failure *out
 * is NULL, eb (if not NULL) says what is wrong and naming the parameter, and
 * the return is SW_E_INVALID (not a magnet, bad hash, bad percent-escape,
 * bad x.pe, no usable xt), SW_E_UNSUPPORTED (a btmh multihash other than
 * sha2-256, or two different hashes of one kind), SW_E_TOO_BIG (a length or
 * count cap) or SW_E_NOMEM.
 */
int sw_magnet_parse(const char *uri, size_t len, struct sw_magnet **out, struct sw_errbuf *eb);

/* Free m and everything it holds; NULL is fine. */
void sw_magnet_free(struct sw_magnet *m);

/* infohash_v1 when present, else infohash_v2 truncated to 20 bytes. */
void sw_magnet_swarm_id(const struct sw_magnet *m, uint8_t out[SW_INFOHASH_LEN]);

#endif /* SW_MAGNET_H */
