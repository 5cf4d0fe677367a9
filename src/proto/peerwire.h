/*
 * peerwire.h - the BitTorrent peer wire protocol (BEP 3) with the fast
 * extension (BEP 6), the extension protocol's framing (BEP 10) and the DHT
 * port message (BEP 5): the handshake, a resumable message reader, the few
 * builders a monitor needs, and bitfield bookkeeping.  Pure codec: no
 * sockets, no clocks, no allocation.  The TCP session (timeouts, choking,
 * what to do with each message) lives above this in src/peer/.
 *
 * Reading is resumable (Transmission's READ_NOW / READ_LATER): the caller
 * keeps the bytes received so far in its own buffer and calls
 * sw_pw_next_message() on them; it either returns one whole message
 * (pointing into that buffer) and how many bytes it used, or says that
 * more bytes are needed and how many the frame takes in total, so the
 * caller reads on and calls again.  Nothing is consumed until a whole
 * frame is there, so a message split across any number of reads comes out
 * the same as one read in one piece.
 *
 * Builders write one message into the caller's buffer and return the
 * number of bytes written (> 0), or SW_E_TOO_BIG when the buffer is too
 * small, or SW_E_INVALID for arguments that cannot be sent; the buffer is
 * untouched on failure.  SW_PW_HANDSHAKE_LEN / SW_PW_MSG_*_LEN name the
 * sizes.
 *
 * Which pieces a peer holds is tracked by struct sw_pw_have over a bit
 * array the caller owns, in the wire's own bitfield layout.
 */
#ifndef SW_PEERWIRE_H
#define SW_PEERWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* --- the handshake (BEP 3) ----------------------------------------------- */

#define SW_PW_PSTR          "BitTorrent protocol"
#define SW_PW_PSTR_LEN      19
#define SW_PW_RESERVED_LEN  8
#define SW_PW_HANDSHAKE_LEN 68 /* 1 + 19 + 8 + 20 + 20 */

/*
 * Reserved bits, as (byte index, mask) into the 8 reserved bytes:
 * BEP 10 extension protocol reserved[5] & 0x10, BEP 6 fast extension
 * reserved[7] & 0x04, BEP 5 DHT (port message) reserved[7] & 0x01.
 */
#define SW_PW_RESERVED_EXT_BYTE  5
#define SW_PW_RESERVED_EXT_MASK  0x10
#define SW_PW_RESERVED_FAST_BYTE 7
#define SW_PW_RESERVED_FAST_MASK 0x04
#define SW_PW_RESERVED_DHT_BYTE  7
#define SW_PW_RESERVED_DHT_MASK  0x01

static inline bool sw_pw_reserved_has_ext(const uint8_t reserved[SW_PW_RESERVED_LEN])
{
	return (reserved[SW_PW_RESERVED_EXT_BYTE] & SW_PW_RESERVED_EXT_MASK) != 0;
}

static inline bool sw_pw_reserved_has_fast(const uint8_t reserved[SW_PW_RESERVED_LEN])
{
	return (reserved[SW_PW_RESERVED_FAST_BYTE] & SW_PW_RESERVED_FAST_MASK) != 0;
}

static inline bool sw_pw_reserved_has_dht(const uint8_t reserved[SW_PW_RESERVED_LEN])
{
	return (reserved[SW_PW_RESERVED_DHT_BYTE] & SW_PW_RESERVED_DHT_MASK) != 0;
}

struct sw_pw_handshake {
	uint8_t reserved[SW_PW_RESERVED_LEN];
	uint8_t infohash[SW_INFOHASH_LEN]; /* comparing it with ours is the caller's job */
	uint8_t peer_id[SW_PEER_ID_LEN];
};

/*
 * Our handshake: the protocol string, reserved bits for the extension
 * protocol (BEP 10) and the fast extension (BEP 6) and nothing else (a
 * monitor runs its DHT node elsewhere and sends no port message), then
 * infohash and peer_id.  Returns SW_PW_HANDSHAKE_LEN or SW_E_TOO_BIG.
 */
int sw_pw_build_handshake(uint8_t *out, size_t outlen, const uint8_t infohash[SW_INFOHASH_LEN],
                          const uint8_t peer_id[SW_PEER_ID_LEN]);

/*
 * Parse the peer's handshake from the first n bytes it sent:
 *
 *   SW_OK          *out is filled; the handshake is SW_PW_HANDSHAKE_LEN
 *                  bytes, messages follow it.
 *   SW_E_NEED_MORE fewer than SW_PW_HANDSHAKE_LEN bytes, and those that are
 *                  there agree with a handshake so far.
 *   SW_E_INVALID   the first byte is not 19 or the protocol string differs,
 *                  decided from as few bytes as show it (an encrypted MSE
 *                  stream or an HTTP request fails on byte 0).
 *
 * eb (if not NULL) says what was wrong.
 */
int sw_pw_parse_handshake(const uint8_t *p, size_t n, struct sw_pw_handshake *out,
                          struct sw_errbuf *eb);

/* --- messages ------------------------------------------------------------ */

/* Message ids: BEP 3 (0-8), BEP 5 (9), BEP 6 (13-17), BEP 10 (20). */
enum sw_pw_msg_id {
	SW_PW_KEEPALIVE = -1, /* length 0: no id at all */
	SW_PW_CHOKE = 0,
	SW_PW_UNCHOKE = 1,
	SW_PW_INTERESTED = 2,
	SW_PW_NOT_INTERESTED = 3,
	SW_PW_HAVE = 4,
	SW_PW_BITFIELD = 5,
	SW_PW_REQUEST = 6,
	SW_PW_PIECE = 7,
	SW_PW_CANCEL = 8,
	SW_PW_PORT = 9,
	SW_PW_SUGGEST = 13,
	SW_PW_HAVE_ALL = 14,
	SW_PW_HAVE_NONE = 15,
	SW_PW_REJECT = 16,
	SW_PW_ALLOWED_FAST = 17,
	SW_PW_EXTENDED = 20,
};

#define SW_PW_LEN_PREFIX    4     /* big-endian length of what follows */
#define SW_PW_BLOCK_LEN     16384 /* the request size every client serves */
#define SW_PW_PIECE_HDR_LEN 8     /* piece payload: index, begin, then the block */

/*
 * The largest length prefix accepted: 1 MiB of payload plus a piece
 * message's id, index and begin (9 bytes).  That takes a bitfield of
 * 8,388,608 pieces (32 TiB at 4 MiB pieces, far beyond any real torrent),
 * any block a monitor asks for, and every BEP 9 / BEP 10 message.  A peer
 * announcing more is dropped (SW_E_TOO_BIG), before a byte of it is
 * buffered.
 */
#ifndef SW_PW_MAX_MSG_LEN
#define SW_PW_MAX_MSG_LEN ((1u << 20) + 1 + SW_PW_PIECE_HDR_LEN)
#endif
#define SW_PW_MAX_BITFIELD_LEN (SW_PW_MAX_MSG_LEN - 1)

/* Sizes of the messages we build, length prefix included. */
#define SW_PW_MSG_KEEPALIVE_LEN 4
#define SW_PW_MSG_BARE_LEN      5  /* interested, not interested, have none, ... */
#define SW_PW_MSG_REQUEST_LEN   17 /* id, index, begin, length */
#define SW_PW_MSG_EXT_HDR_LEN   6  /* length prefix, id 20, extended id */

/*
 * One message.  payload is everything after the id byte and points into
 * the caller's input; the fixed fields of known messages are decoded.
 */
struct sw_pw_msg {
	int id;       /* enum sw_pw_msg_id, or any other byte (unknown) */
	uint32_t len; /* the length prefix: id + payload; 0 for keep-alive */
	const uint8_t *payload;
	size_t payload_len;
	uint32_t index;      /* have, request, piece, cancel, suggest, reject, allowed fast */
	uint32_t begin;      /* request, piece, cancel, reject */
	uint32_t length;     /* request, cancel, reject; piece: the block's length */
	const uint8_t *data; /* piece: the block; bitfield: the bits; extended: after the ext id */
	size_t data_len;
	uint16_t port;    /* port (BEP 5) */
	uint8_t ext_id;   /* extended: 0 is the BEP 10 handshake, else a negotiated id */
	size_t frame_len; /* SW_PW_LEN_PREFIX + len, as far as known (see below) */
};

/*
 * Read the next message from p[0..n), the bytes received after the
 * handshake and not yet consumed:
 *
 *   SW_OK          *out holds one message, *consumed the bytes it took
 *                  (out->frame_len); call again on the rest.
 *   SW_E_NEED_MORE the frame is not all there: out->frame_len is how many
 *                  bytes it needs in total (SW_PW_LEN_PREFIX while the
 *                  prefix itself is incomplete).  Read more and call again
 *                  with the same start.
 *   SW_E_TOO_BIG   the length prefix is above SW_PW_MAX_MSG_LEN (known
 *                  from the first 4 bytes): drop the peer.
 *   SW_E_INVALID   a known id with a payload of the wrong length (have
 *                  with 3 bytes, choke with any): drop the peer.
 *
 * Keep-alives come out as id SW_PW_KEEPALIVE.  Unknown ids are returned
 * as they are (SW_OK), for the caller to skip: sw_pw_msg_known() tells.
 * Bitfield lengths are checked against the torrent later, with
 * sw_pw_bitfield_check(); a piece message needs its 8-byte header; an
 * extended message its id byte.  *consumed is 0 unless SW_OK.  eb (if
 * not NULL) says what was wrong.
 */
int sw_pw_next_message(const uint8_t *p, size_t n, struct sw_pw_msg *out, size_t *consumed,
                       struct sw_errbuf *eb);

/* Is id one this module knows (and checks the length of)? */
bool sw_pw_msg_known(int id);
/* "choke", ..., "extended", "keep-alive"; NULL for an unknown id. */
const char *sw_pw_msg_name(int id);

/* What a monitor sends.  Each returns the bytes written or SW_E_TOO_BIG. */
int sw_pw_build_keepalive(uint8_t *out, size_t outlen);
int sw_pw_build_interested(uint8_t *out, size_t outlen);
int sw_pw_build_not_interested(uint8_t *out, size_t outlen);
/* BEP 6: only to a peer that set the fast bit (we hold nothing). */
int sw_pw_build_have_none(uint8_t *out, size_t outlen);
/*
 * Request length bytes at begin of piece index.  length must be 1 ..
 * SW_PW_BLOCK_LEN (SW_E_INVALID otherwise): clients such as Transmission
 * drop a peer that asks for more.
 */
int sw_pw_build_request(uint8_t *out, size_t outlen, uint32_t index, uint32_t begin,
                        uint32_t length);
/*
 * An extended message (BEP 10): ext_id (0 for the handshake, else the id
 * the peer gave in its handshake's "m") and payload[0..payload_len).
 * SW_E_TOO_BIG also when the message would exceed SW_PW_MAX_MSG_LEN.
 */
int sw_pw_build_extended(uint8_t *out, size_t outlen, uint8_t ext_id, const uint8_t *payload,
                         size_t payload_len);

/* --- bitfields ----------------------------------------------------------- */

/*
 * BEP 3: "The first byte of the bitfield corresponds to indices 0 - 7 from
 * high bit to low bit, respectively. The next one 8-15, etc. Spare bits at
 * the end are set to zero."
 */

/* Bytes in the bitfield of num_pieces pieces: ceil(num_pieces / 8). */
static inline size_t sw_pw_bitfield_len(uint32_t num_pieces)
{
	return ((size_t)num_pieces + 7) / 8;
}

static inline bool sw_pw_bitfield_get(const uint8_t *bits, uint32_t index)
{
	return (bits[index / 8] >> (7 - index % 8) & 1) != 0;
}

/*
 * Is bits[0..len) the bitfield of a torrent of num_pieces pieces?
 * SW_E_INVALID "bitfield is N bytes, expected M for P pieces", or
 * "spare bits set in bitfield" (some clients fill them; BEP 3 says zero,
 * and libtorrent and Transmission drop such peers).
 */
int sw_pw_bitfield_check(const uint8_t *bits, size_t len, uint32_t num_pieces,
                         struct sw_errbuf *eb);

/* Pieces set among the first num_pieces bits (spare bits and bytes past len ignored). */
uint32_t sw_pw_bitfield_count(const uint8_t *bits, size_t len, uint32_t num_pieces);

/*
 * The set of pieces a peer showed it holds, from its bitfield, have and
 * have all messages (have none changes nothing).  bits is the caller's
 * array of sw_pw_bitfield_len(num_pieces) bytes, in the wire layout; the
 * struct borrows it for its lifetime.  Pieces are only ever added: a
 * monitor records what a peer showed, and a second bitfield (a protocol
 * breach the session may count) is merged into the first.  count is kept
 * as pieces are added, so a repeated have counts once.
 */
struct sw_pw_have {
	uint8_t *bits;
	uint32_t num_pieces;
	uint32_t count; /* pieces set */
};

/* Start with no pieces (zeroes bits). */
void sw_pw_have_init(struct sw_pw_have *h, uint8_t *bits, uint32_t num_pieces);
/* A bitfield message: checked with sw_pw_bitfield_check(), then merged. */
int sw_pw_have_bitfield(struct sw_pw_have *h, const uint8_t *bits, size_t len,
                        struct sw_errbuf *eb);
/* A have message: SW_E_RANGE "have for piece I of P" when index >= num_pieces. */
int sw_pw_have_add(struct sw_pw_have *h, uint32_t index, struct sw_errbuf *eb);
/* A have all message (BEP 6). */
void sw_pw_have_all(struct sw_pw_have *h);

static inline bool sw_pw_have_get(const struct sw_pw_have *h, uint32_t index)
{
	return index < h->num_pieces && sw_pw_bitfield_get(h->bits, index);
}

static inline bool sw_pw_have_complete(const struct sw_pw_have *h)
{
	return h->count == h->num_pieces;
}

#endif /* SW_PEERWIRE_H */
