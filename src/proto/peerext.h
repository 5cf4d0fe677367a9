/*
 * peerext.h - payloads of the extension protocol (BEP 10): its handshake,
 * metadata exchange (BEP 9, ut_metadata) and peer exchange (BEP 11,
 * ut_pex).  Pure codec over proto/bencode.h: no sockets, no clocks, and
 * nothing allocated.  peerwire.h frames the messages; the session in
 * src/peer/ decides when to send what.
 *
 * Builders append one whole peer-wire message (length prefix, id 20, the
 * extended id, the bencoded payload) to the caller's struct sw_buf, whose
 * cap bounds it; on failure the buffer is left as it was.
 *
 * Parsers take the payload of an extended message, the bytes after the
 * extended id (struct sw_pw_msg .data / .data_len), decode it with tokens
 * of their own on the stack (SW_PX_TOKENS; more is SW_E_TOO_BIG), and
 * copy what they keep into the caller's structs, except the metadata
 * piece data, which points into the payload.  eb (if not NULL) says what
 * was wrong.
 *
 * Strictness: what the session acts on (the "m" ids, metadata_size, every
 * ut_metadata field, the PEX address strings) must be well-formed or the
 * message is refused; what is only informational ("v", "p", "yourip",
 * "reqq", "upload_only") is taken when it is well-formed and otherwise
 * ignored and counted, so that one odd field does not cost the peer.
 */
#ifndef SW_PEEREXT_H
#define SW_PEEREXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/types.h"

#define SW_PX_EXT_HANDSHAKE 0 /* extended id of the BEP 10 handshake */

/* Our local extended ids: the ids peers use when they send to us. */
#define SW_PX_LOCAL_UT_METADATA 1
#define SW_PX_LOCAL_UT_PEX      2

/* Our "v": "swarmwatch 0.1.0" (the Makefile passes SW_VERSION from VERSION). */
#ifndef SW_PX_VERSION
#ifdef SW_VERSION
#define SW_PX_VERSION SW_VERSION
#else
#define SW_PX_VERSION "0.1.0"
#endif
#endif
#define SW_PX_CLIENT_NAME "swarmwatch " SW_PX_VERSION

/* Tokens a parser decodes into (on the stack: 20 bytes each). */
#ifndef SW_PX_TOKENS
#define SW_PX_TOKENS 256
#endif

/* Longest client name kept from "v", with its NUL (longer is cut). */
#define SW_PX_CLIENT_LEN 64

/* --- BEP 10 handshake ---------------------------------------------------- */

/* What we put in our handshake. */
struct sw_px_handshake_req {
	uint8_t ut_metadata; /* our id for ut_metadata, 0 to leave it out */
	uint8_t ut_pex;      /* our id for ut_pex, 0 to leave it out */
	const char *client;  /* "v"; NULL sends SW_PX_CLIENT_NAME */
	uint16_t port;       /* "p", our listen port; 0 leaves it out */
	uint32_t reqq;       /* "reqq"; 0 leaves it out */
};

/*
 * Append our extension handshake.  No "metadata_size": a monitor does not
 * serve metadata (BEP 9 lets a peer that has none answer every request
 * with a reject, see sw_px_build_metadata_reject()).
 */
int sw_px_build_handshake(struct sw_buf *out, const struct sw_px_handshake_req *req);

/* A peer's extension handshake.  -1 marks an integer it did not send. */
struct sw_px_handshake {
	/* "m": the ids to send ut_metadata / ut_pex messages to this peer
	 * with; 0 = not supported (absent, or disabled with 0).  has_* says
	 * whether the name was in this handshake at all: BEP 10 allows
	 * later handshakes that only change some names. */
	uint8_t ut_metadata;
	uint8_t ut_pex;
	bool has_m;
	bool has_ut_metadata;
	bool has_ut_pex;
	uint32_t m_other; /* other names in "m" (lt_donthave, ut_holepunch...) */

	char client[SW_PX_CLIENT_LEN]; /* "v", sanitized (sw_px_sanitize); "" if absent */
	bool has_client;
	struct sw_addr yourip; /* how the peer sees us (port 0) */
	bool has_yourip;
	int64_t metadata_size; /* 0 .. SW_PX_MAX_METADATA, or -1 */
	int32_t port;          /* "p": 1 .. 65535, or -1 */
	int64_t reqq;          /* outstanding requests it takes (> 0), or -1 */
	int32_t upload_only;   /* "upload_only" (libtorrent: a seed): 0/1, or -1 */
	uint32_t ignored;      /* informational keys ignored: wrong type or range */
};

/*
 * Parse an extension handshake payload p[0..n).  SW_E_INVALID (not a
 * bencoded dict, or cut short), SW_E_TYPE ("m" not a dict, a name we use
 * or metadata_size not an integer), SW_E_RANGE (our names' ids outside
 * 0..255, a negative metadata_size), SW_E_TOO_BIG (metadata_size above
 * SW_PX_MAX_METADATA, more than SW_PX_TOKENS tokens).  Bytes after the
 * dict are ignored.
 */
int sw_px_parse_handshake(const uint8_t *p, size_t n, struct sw_px_handshake *out,
                          struct sw_errbuf *eb);

/*
 * Copy text (such as "v") into out[0..outlen) as printable UTF-8, always
 * NUL-terminated: well-formed UTF-8 sequences of printable characters are
 * kept; every other byte (ill-formed or overlong UTF-8, C0 and C1
 * controls, DEL, bidirectional overrides that could disguise the text in
 * a report) becomes '?'.  Cut at a character boundary when out is full.
 * Returns the length written (without the NUL).
 */
size_t sw_px_sanitize(char *out, size_t outlen, const uint8_t *p, size_t n);

/* --- BEP 9 ut_metadata --------------------------------------------------- */

#define SW_PX_METADATA_PIECE_LEN 16384
/*
 * The largest metadata (info dict) accepted.  Real ones run from a few KB
 * to a few MB (20 bytes per piece); 8 MiB is 512 metadata pieces.
 */
#ifndef SW_PX_MAX_METADATA
#define SW_PX_MAX_METADATA (8u << 20)
#endif
#define SW_PX_MAX_METADATA_PIECES                                                                  \
	((SW_PX_MAX_METADATA + SW_PX_METADATA_PIECE_LEN - 1) / SW_PX_METADATA_PIECE_LEN)

enum sw_px_metadata_type {
	SW_PX_METADATA_REQUEST = 0,
	SW_PX_METADATA_DATA = 1,
	SW_PX_METADATA_REJECT = 2,
};

/* Append a request for metadata piece `piece`, sent with the peer's ut_metadata id. */
int sw_px_build_metadata_request(struct sw_buf *out, uint8_t peer_ut_metadata, uint32_t piece);
/* Append a reject of the peer's request for `piece` (we never have metadata to give). */
int sw_px_build_metadata_reject(struct sw_buf *out, uint8_t peer_ut_metadata, uint32_t piece);

/* Number of metadata pieces for size bytes: ceil(size / 16 KiB). */
static inline uint32_t sw_px_metadata_pieces(uint64_t size)
{
	return (uint32_t)((size + SW_PX_METADATA_PIECE_LEN - 1) / SW_PX_METADATA_PIECE_LEN);
}

struct sw_px_metadata_msg {
	int msg_type; /* enum sw_px_metadata_type */
	uint32_t piece;
	int64_t total_size;  /* data: the metadata size; -1 otherwise */
	const uint8_t *data; /* data: the piece, into the payload */
	size_t data_len;
};

/*
 * Parse a ut_metadata payload p[0..n): a bencoded dict {msg_type, piece,
 * total_size (data only)} and, for data, the piece right after the dict.
 * metadata_size is what the peer's handshake said (-1 if nothing); a data
 * message must agree with it and carry a piece of the right length:
 *
 *   SW_OK            *out is filled.
 *   SW_E_UNSUPPORTED a msg_type other than 0, 1, 2 (BEP 9: ignore it).
 *   SW_E_INVALID     not a dict, a data piece index at or past
 *                    ceil(total_size / 16 KiB), a data piece of the wrong
 *                    length (16 KiB but for the last), total_size unlike
 *                    metadata_size.
 *   SW_E_TYPE        msg_type, piece or total_size missing or not an integer.
 *   SW_E_RANGE       a negative or too large piece or total_size.
 *   SW_E_TOO_BIG     total_size above SW_PX_MAX_METADATA.
 *
 * Bytes after the dict of a request or reject are ignored.
 */
int sw_px_parse_metadata(const uint8_t *p, size_t n, int64_t metadata_size,
                         struct sw_px_metadata_msg *out, struct sw_errbuf *eb);

/*
 * Reassembly of the metadata into a caller's buffer of size bytes.  The
 * struct borrows buf; it holds one bit per piece.  Pieces may come in any
 * order, from any number of peers; a piece received again replaces the
 * first copy.  Once complete, verify against the infohash; on a mismatch
 * the caller starts over (sw_px_metadata_reset) and may blame the peers
 * that sent pieces.
 */
struct sw_px_metadata {
	uint8_t *buf;
	size_t size;
	uint32_t num_pieces;
	uint32_t received; /* distinct pieces stored */
	uint8_t have[(SW_PX_MAX_METADATA_PIECES + 7) / 8];
};

/* SW_E_RANGE for size 0, SW_E_TOO_BIG above SW_PX_MAX_METADATA. */
int sw_px_metadata_init(struct sw_px_metadata *m, uint8_t *buf, size_t size);
void sw_px_metadata_reset(struct sw_px_metadata *m);
/*
 * Store piece `piece` (data[0..len)): SW_E_INVALID when the piece index
 * is out of range or len is not its length (16 KiB, or the rest for the
 * last piece).
 */
int sw_px_metadata_add(struct sw_px_metadata *m, uint32_t piece, const uint8_t *data, size_t len,
                       struct sw_errbuf *eb);

static inline bool sw_px_metadata_complete(const struct sw_px_metadata *m)
{
	return m->received == m->num_pieces;
}

/*
 * Check the complete metadata against the infohash: infohash_len 20 takes
 * a v1 infohash (SHA-1) or a v2 one truncated to 20 bytes, as on the wire
 * (the first 20 bytes of SHA-256); 32 takes a whole v2 infohash.
 * SW_E_NEED_MORE when pieces are missing, SW_E_INVALID "metadata does not
 * hash to the infohash", SW_E_NOMEM when libcrypto fails.
 */
int sw_px_metadata_verify(const struct sw_px_metadata *m, const uint8_t *infohash,
                          size_t infohash_len, struct sw_errbuf *eb);

/* --- BEP 11 ut_pex ------------------------------------------------------- */

/* BEP 11: past the first message, at most 50 added (v4 and v6 together), and 50 dropped. */
#define SW_PX_PEX_MAX_ADDED   50
#define SW_PX_PEX_MAX_DROPPED 50

/* BEP 11 flags, one byte per added peer. */
#define SW_PX_PEX_F_ENCRYPTION 0x01 /* prefers encryption */
#define SW_PX_PEX_F_SEED       0x02 /* seed / upload only */
#define SW_PX_PEX_F_UTP        0x04
#define SW_PX_PEX_F_HOLEPUNCH  0x08
#define SW_PX_PEX_F_REACHABLE  0x10 /* the sender connected out to it: reachable */

/* Breaches of BEP 11 (the message is still used). */
#define SW_PX_PEX_V_EMPTY        0x1 /* none of added, added6, dropped, dropped6 */
#define SW_PX_PEX_V_MANY_ADDED   0x2 /* more than 50 added in a later message */
#define SW_PX_PEX_V_MANY_DROPPED 0x4 /* more than 50 dropped in a later message */
#define SW_PX_PEX_V_FLAGS_LEN    0x8 /* added.f / added6.f not one byte per peer: flags read as 0 */

struct sw_px_pex_peer {
	struct sw_addr addr;
	uint8_t flags; /* SW_PX_PEX_F_*; 0 for dropped peers */
};

struct sw_px_pex {
	size_t num_added;   /* written to added[]: IPv4 first, then IPv6 */
	size_t num_dropped; /* written to dropped[] */
	/* Entries in the message, whether kept or not. */
	size_t added4, added6, dropped4, dropped6;
	size_t excess;       /* entries past the BEP 11 limit of a later message, not kept */
	size_t over_cap;     /* entries past the caller's capacity, not kept */
	unsigned violations; /* SW_PX_PEX_V_* */
};

/*
 * Parse a ut_pex payload p[0..n), writing at most added_cap added and
 * dropped_cap dropped peers.  first says whether this is the first PEX
 * message from this peer, which BEP 11 exempts from the 50-entry limit;
 * in a later one only the first 50 of each kind are kept.  "dropped" is
 * compact IPv4 (6 bytes per peer; BEP 11's text says IPv6 by a slip),
 * "dropped6" compact IPv6 (18).  SW_E_INVALID when the payload is not a
 * dict or an address string is not a whole number of entries ("added is
 * 13 bytes, not a multiple of 6"), SW_E_TYPE when one is not a string.
 */
int sw_px_parse_pex(const uint8_t *p, size_t n, bool first, struct sw_px_pex_peer *added,
                    size_t added_cap, struct sw_px_pex_peer *dropped, size_t dropped_cap,
                    struct sw_px_pex *out, struct sw_errbuf *eb);

#endif /* SW_PEEREXT_H */
