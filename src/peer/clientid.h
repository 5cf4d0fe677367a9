/*
 * clientid.h - which software a peer runs, from its 20-byte peer id and
 * its BEP 10 "v".
 *
 * Peer ids follow a few conventions (none of them a BEP; see
 * clientid.c), and a client's "v" string in its extension handshake is
 * a much better answer when it sends one (BEP 10: "a much more reliable
 * way of identifying the client than relying on the peer id encoding").
 * Both are claims made by the peer and are reported as such: a name here
 * is never evidence of anything.
 *
 * Output is a NUL-terminated UTF-8 string in the caller's buffer; nothing
 * is allocated.  SW_CLIENTID_LEN always fits.
 */
#ifndef SW_CLIENTID_H
#define SW_CLIENTID_H

#include <stddef.h>
#include <stdint.h>

#include "core/types.h"

#define SW_CLIENTID_LEN 64

/* How a name was found. */
enum sw_clientid_source {
	SW_CLIENTID_UNKNOWN = 0, /* "unknown (...)": the id's first 8 bytes, escaped */
	SW_CLIENTID_PEER_ID,     /* decoded from a known peer id style */
	SW_CLIENTID_V,           /* the BEP 10 "v" string */
};

/*
 * Name the client from its peer id: "Transmission 3.00" for "-TR3000-",
 * "qBittorrent 4.5.2" for "-qB4520-", "aria2 1.36.0" for "A2-1-36-0-",
 * "unknown (-XX1234-)" or "unknown (\x8a\x7f...)" when no convention
 * matches.  Returns SW_CLIENTID_PEER_ID or SW_CLIENTID_UNKNOWN.  out is
 * always NUL-terminated (cut when outlen is small).
 */
enum sw_clientid_source sw_clientid_from_peer_id(const uint8_t peer_id[SW_PEER_ID_LEN], char *out,
                                                 size_t outlen);

/*
 * Prefer the peer's "v" (v[0..vlen), sanitized with sw_px_sanitize())
 * when it is not empty, else the peer id.  v may be NULL.
 */
enum sw_clientid_source sw_clientid_describe(const uint8_t peer_id[SW_PEER_ID_LEN],
                                             const uint8_t *v, size_t vlen, char *out,
                                             size_t outlen);

#endif /* SW_CLIENTID_H */
