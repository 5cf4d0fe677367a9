/*
 * peerwire.c - BEP 3 handshake and message framing, with BEP 5, 6 and 10
 * message ids.
 *
 * The handshake (BEP 3), 68 bytes, sent by both sides, the initiator
 * first:
 *
 *   0    1                       20         28               48             68
 *   +----+-----------------------+----------+----------------+--------------+
 *   | 19 | "BitTorrent protocol" | reserved | info_hash (20) | peer_id (20) |
 *   +----+-----------------------+----------+----------------+--------------+
 *
 *   reserved[5] & 0x10  BEP 10 extension protocol
 *   reserved[7] & 0x04  BEP 6 fast extension
 *   reserved[7] & 0x01  BEP 5 DHT (the peer may send a port message)
 *
 * Then, in both directions, messages until the connection closes; every
 * integer is big-endian:
 *
 *   +-----------------+----+-------------------------+
 *   | length (32 bit) | id | payload (length - 1)    |     length 0: keep-alive
 *   +-----------------+----+-------------------------+
 *
 *   id  name            payload                          BEP
 *    0  choke           -                                3
 *    1  unchoke         -                                3
 *    2  interested      -                                3
 *    3  not interested  -                                3
 *    4  have            index                            3
 *    5  bitfield        ceil(num_pieces / 8) bytes       3
 *    6  request         index, begin, length             3
 *    7  piece           index, begin, block...           3
 *    8  cancel          index, begin, length             3
 *    9  port            DHT port (16 bit)                5
 *   13  suggest piece   index                            6
 *   14  have all        -                                6
 *   15  have none       -                                6
 *   16  reject request  index, begin, length             6
 *   17  allowed fast    index                            6
 *   20  extended        ext id (8 bit), payload...       10
 *
 * What the length prefix promises is checked before anything is buffered
 * (a 4 GB prefix is dropped on its first 4 bytes), and for a known id the
 * payload length must be the one in the table: a peer that sends a have
 * of 3 bytes is out of step with the stream and cannot be read further.
 * Unknown ids (uTorrent's 21-23, Azureus' messaging, whatever comes next)
 * are framed like any other and handed to the caller to skip.
 */
#include "proto/peerwire.h"

#include <string.h>

#define PSTRLEN_OFF   0
#define PSTR_OFF      1
#define RESERVED_OFF  (PSTR_OFF + SW_PW_PSTR_LEN)
#define INFOHASH_OFF  (RESERVED_OFF + SW_PW_RESERVED_LEN)
#define PEER_ID_OFF   (INFOHASH_OFF + SW_INFOHASH_LEN)
#define ID_LEN        1 /* the message id byte */
#define U32_LEN       4
#define PORT_LEN      2
#define TRIPLE_LEN    12 /* index, begin, length */
#define BITS_PER_BYTE 8

_Static_assert(SW_PW_HANDSHAKE_LEN == PEER_ID_OFF + SW_PEER_ID_LEN, "handshake layout");
_Static_assert(SW_PW_MAX_MSG_LEN >= ID_LEN + SW_PW_PIECE_HDR_LEN + SW_PW_BLOCK_LEN,
               "SW_PW_MAX_MSG_LEN must fit a piece message of one block");

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* --- handshake ----------------------------------------------------------- */

int sw_pw_build_handshake(uint8_t *out, size_t outlen, const uint8_t infohash[SW_INFOHASH_LEN],
                          const uint8_t peer_id[SW_PEER_ID_LEN])
{
	if (outlen < SW_PW_HANDSHAKE_LEN)
		return SW_E_TOO_BIG;
	out[PSTRLEN_OFF] = SW_PW_PSTR_LEN;
	memcpy(out + PSTR_OFF, SW_PW_PSTR, SW_PW_PSTR_LEN);
	memset(out + RESERVED_OFF, 0, SW_PW_RESERVED_LEN);
	out[RESERVED_OFF + SW_PW_RESERVED_EXT_BYTE] |= SW_PW_RESERVED_EXT_MASK;
	out[RESERVED_OFF + SW_PW_RESERVED_FAST_BYTE] |= SW_PW_RESERVED_FAST_MASK;
	memcpy(out + INFOHASH_OFF, infohash, SW_INFOHASH_LEN);
	memcpy(out + PEER_ID_OFF, peer_id, SW_PEER_ID_LEN);
	return SW_PW_HANDSHAKE_LEN;
}

int sw_pw_parse_handshake(const uint8_t *p, size_t n, struct sw_pw_handshake *out,
                          struct sw_errbuf *eb)
{
	size_t have;

	if (n == 0)
		return SW_E_NEED_MORE;
	if (p[PSTRLEN_OFF] != SW_PW_PSTR_LEN)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "not a BitTorrent handshake: first byte is 0x%02x, not 19 "
		                     "(an encrypted stream?)",
		                     p[PSTRLEN_OFF]);
	have = n - PSTR_OFF < SW_PW_PSTR_LEN ? n - PSTR_OFF : SW_PW_PSTR_LEN;
	if (memcmp(p + PSTR_OFF, SW_PW_PSTR, have) != 0)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "not a BitTorrent handshake: protocol string is not \"%s\"",
		                     SW_PW_PSTR);
	if (n < SW_PW_HANDSHAKE_LEN)
		return SW_E_NEED_MORE;
	memcpy(out->reserved, p + RESERVED_OFF, SW_PW_RESERVED_LEN);
	memcpy(out->infohash, p + INFOHASH_OFF, SW_INFOHASH_LEN);
	memcpy(out->peer_id, p + PEER_ID_OFF, SW_PEER_ID_LEN);
	return SW_OK;
}

/* --- messages ------------------------------------------------------------ */

/* How a known message's payload length is checked. */
enum len_rule { EXACT, AT_LEAST, ANY };

static const struct msg_info {
	const char *name;
	enum len_rule rule;
	size_t len;
} MSGS[] = {
    [SW_PW_CHOKE] = {"choke", EXACT, 0},
    [SW_PW_UNCHOKE] = {"unchoke", EXACT, 0},
    [SW_PW_INTERESTED] = {"interested", EXACT, 0},
    [SW_PW_NOT_INTERESTED] = {"not interested", EXACT, 0},
    [SW_PW_HAVE] = {"have", EXACT, U32_LEN},
    [SW_PW_BITFIELD] = {"bitfield", ANY, 0}, /* checked against the torrent later */
    [SW_PW_REQUEST] = {"request", EXACT, TRIPLE_LEN},
    [SW_PW_PIECE] = {"piece", AT_LEAST, SW_PW_PIECE_HDR_LEN},
    [SW_PW_CANCEL] = {"cancel", EXACT, TRIPLE_LEN},
    [SW_PW_PORT] = {"port", EXACT, PORT_LEN},
    [SW_PW_SUGGEST] = {"suggest piece", EXACT, U32_LEN},
    [SW_PW_HAVE_ALL] = {"have all", EXACT, 0},
    [SW_PW_HAVE_NONE] = {"have none", EXACT, 0},
    [SW_PW_REJECT] = {"reject request", EXACT, TRIPLE_LEN},
    [SW_PW_ALLOWED_FAST] = {"allowed fast", EXACT, U32_LEN},
    [SW_PW_EXTENDED] = {"extended", AT_LEAST, ID_LEN},
};
#define NUM_MSGS (sizeof(MSGS) / sizeof(MSGS[0]))

bool sw_pw_msg_known(int id)
{
	return id >= 0 && (size_t)id < NUM_MSGS && MSGS[id].name != NULL;
}

const char *sw_pw_msg_name(int id)
{
	if (id == SW_PW_KEEPALIVE)
		return "keep-alive";
	return sw_pw_msg_known(id) ? MSGS[id].name : NULL;
}

/* Check a known message's payload length against the table. */
static int check_payload(const struct sw_pw_msg *m, struct sw_errbuf *eb)
{
	const struct msg_info *mi = &MSGS[m->id];

	if (mi->rule == EXACT && m->payload_len != mi->len)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "%s message with a %zu-byte payload, expected %zu", mi->name,
		                     m->payload_len, mi->len);
	if (mi->rule == AT_LEAST && m->payload_len < mi->len)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "%s message with a %zu-byte payload, expected at least %zu",
		                     mi->name, m->payload_len, mi->len);
	return SW_OK;
}

/* Decode the fixed fields of a known message whose length is right. */
static void decode_fields(struct sw_pw_msg *m)
{
	const uint8_t *p = m->payload;

	switch (m->id) {
	case SW_PW_HAVE:
	case SW_PW_SUGGEST:
	case SW_PW_ALLOWED_FAST: m->index = get_u32(p); break;
	case SW_PW_REQUEST:
	case SW_PW_CANCEL:
	case SW_PW_REJECT:
		m->index = get_u32(p);
		m->begin = get_u32(p + U32_LEN);
		m->length = get_u32(p + 2 * U32_LEN);
		break;
	case SW_PW_PIECE:
		m->index = get_u32(p);
		m->begin = get_u32(p + U32_LEN);
		m->data = p + SW_PW_PIECE_HDR_LEN;
		m->data_len = m->payload_len - SW_PW_PIECE_HDR_LEN;
		m->length = (uint32_t)m->data_len;
		break;
	case SW_PW_BITFIELD:
		m->data = p;
		m->data_len = m->payload_len;
		break;
	case SW_PW_PORT: m->port = (uint16_t)(p[0] << 8 | p[1]); break;
	case SW_PW_EXTENDED:
		m->ext_id = p[0];
		m->data = p + ID_LEN;
		m->data_len = m->payload_len - ID_LEN;
		break;
	default: break;
	}
}

int sw_pw_next_message(const uint8_t *p, size_t n, struct sw_pw_msg *out, size_t *consumed,
                       struct sw_errbuf *eb)
{
	uint32_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	*consumed = 0;
	out->frame_len = SW_PW_LEN_PREFIX;
	if (n < SW_PW_LEN_PREFIX)
		return SW_E_NEED_MORE;
	len = get_u32(p);
	if (len > SW_PW_MAX_MSG_LEN)
		return sw_errbuf_set(eb, SW_E_TOO_BIG,
		                     "message length %u exceeds the limit of %u bytes", len,
		                     (unsigned)SW_PW_MAX_MSG_LEN);
	out->len = len;
	out->frame_len = SW_PW_LEN_PREFIX + (size_t)len;
	if (n < out->frame_len)
		return SW_E_NEED_MORE;
	if (len == 0) {
		out->id = SW_PW_KEEPALIVE;
		*consumed = out->frame_len;
		return SW_OK;
	}
	out->id = p[SW_PW_LEN_PREFIX];
	out->payload = p + SW_PW_LEN_PREFIX + ID_LEN;
	out->payload_len = len - ID_LEN;
	if (sw_pw_msg_known(out->id)) {
		rc = check_payload(out, eb);
		if (rc != SW_OK)
			return rc;
		decode_fields(out);
	} else {
		out->data = out->payload;
		out->data_len = out->payload_len;
	}
	*consumed = out->frame_len;
	return SW_OK;
}

/* --- builders ------------------------------------------------------------ */

static int build_bare(uint8_t *out, size_t outlen, uint8_t id)
{
	if (outlen < SW_PW_MSG_BARE_LEN)
		return SW_E_TOO_BIG;
	put_u32(out, ID_LEN);
	out[SW_PW_LEN_PREFIX] = id;
	return SW_PW_MSG_BARE_LEN;
}

int sw_pw_build_keepalive(uint8_t *out, size_t outlen)
{
	if (outlen < SW_PW_MSG_KEEPALIVE_LEN)
		return SW_E_TOO_BIG;
	put_u32(out, 0);
	return SW_PW_MSG_KEEPALIVE_LEN;
}

int sw_pw_build_interested(uint8_t *out, size_t outlen)
{
	return build_bare(out, outlen, SW_PW_INTERESTED);
}

int sw_pw_build_not_interested(uint8_t *out, size_t outlen)
{
	return build_bare(out, outlen, SW_PW_NOT_INTERESTED);
}

int sw_pw_build_have_none(uint8_t *out, size_t outlen)
{
	return build_bare(out, outlen, SW_PW_HAVE_NONE);
}

int sw_pw_build_request(uint8_t *out, size_t outlen, uint32_t index, uint32_t begin,
                        uint32_t length)
{
	uint8_t *p = out + SW_PW_LEN_PREFIX + ID_LEN;

	if (length == 0 || length > SW_PW_BLOCK_LEN)
		return SW_E_INVALID;
	if (outlen < SW_PW_MSG_REQUEST_LEN)
		return SW_E_TOO_BIG;
	put_u32(out, ID_LEN + TRIPLE_LEN);
	out[SW_PW_LEN_PREFIX] = SW_PW_REQUEST;
	put_u32(p, index);
	put_u32(p + U32_LEN, begin);
	put_u32(p + 2 * U32_LEN, length);
	return SW_PW_MSG_REQUEST_LEN;
}

int sw_pw_build_extended(uint8_t *out, size_t outlen, uint8_t ext_id, const uint8_t *payload,
                         size_t payload_len)
{
	size_t len;

	if (payload_len > SW_PW_MAX_MSG_LEN - 2 * ID_LEN)
		return SW_E_TOO_BIG;
	len = 2 * ID_LEN + payload_len;
	if (outlen < SW_PW_LEN_PREFIX + len)
		return SW_E_TOO_BIG;
	put_u32(out, (uint32_t)len);
	out[SW_PW_LEN_PREFIX] = SW_PW_EXTENDED;
	out[SW_PW_LEN_PREFIX + ID_LEN] = ext_id;
	if (payload_len > 0)
		memcpy(out + SW_PW_MSG_EXT_HDR_LEN, payload, payload_len);
	return (int)(SW_PW_LEN_PREFIX + len);
}

/* --- bitfields ----------------------------------------------------------- */

/* The mask of the bits in the last byte that belong to no piece. */
static uint8_t spare_mask(uint32_t num_pieces)
{
	unsigned used = num_pieces % BITS_PER_BYTE;

	if (used == 0)
		return 0;
	return (uint8_t)(0xffu >> used);
}

int sw_pw_bitfield_check(const uint8_t *bits, size_t len, uint32_t num_pieces, struct sw_errbuf *eb)
{
	size_t want = sw_pw_bitfield_len(num_pieces);

	if (len != want)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "bitfield is %zu bytes, expected %zu for %u pieces", len, want,
		                     num_pieces);
	if (len > 0 && (bits[len - 1] & spare_mask(num_pieces)) != 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "spare bits set in bitfield");
	return SW_OK;
}

static unsigned popcount8(uint8_t b)
{
	unsigned c = 0;

	for (; b != 0; b &= (uint8_t)(b - 1))
		c++;
	return c;
}

uint32_t sw_pw_bitfield_count(const uint8_t *bits, size_t len, uint32_t num_pieces)
{
	size_t full = num_pieces / BITS_PER_BYTE, i;
	uint32_t count = 0;

	for (i = 0; i < full && i < len; i++)
		count += popcount8(bits[i]);
	if (i == full && i < len && num_pieces % BITS_PER_BYTE != 0)
		count += popcount8((uint8_t)(bits[i] & ~spare_mask(num_pieces)));
	return count;
}

void sw_pw_have_init(struct sw_pw_have *h, uint8_t *bits, uint32_t num_pieces)
{
	h->bits = bits;
	h->num_pieces = num_pieces;
	h->count = 0;
	if (num_pieces > 0)
		memset(bits, 0, sw_pw_bitfield_len(num_pieces));
}

int sw_pw_have_bitfield(struct sw_pw_have *h, const uint8_t *bits, size_t len, struct sw_errbuf *eb)
{
	size_t i;
	int rc;

	rc = sw_pw_bitfield_check(bits, len, h->num_pieces, eb);
	if (rc != SW_OK)
		return rc;
	for (i = 0; i < len; i++)
		h->bits[i] |= bits[i];
	h->count = sw_pw_bitfield_count(h->bits, len, h->num_pieces);
	return SW_OK;
}

int sw_pw_have_add(struct sw_pw_have *h, uint32_t index, struct sw_errbuf *eb)
{
	uint8_t mask;

	if (index >= h->num_pieces)
		return sw_errbuf_set(eb, SW_E_RANGE, "have for piece %u of %u", index,
		                     h->num_pieces);
	mask = (uint8_t)(0x80u >> (index % BITS_PER_BYTE));
	if ((h->bits[index / BITS_PER_BYTE] & mask) == 0) {
		h->bits[index / BITS_PER_BYTE] |= mask;
		h->count++;
	}
	return SW_OK;
}

void sw_pw_have_all(struct sw_pw_have *h)
{
	size_t len = sw_pw_bitfield_len(h->num_pieces);

	if (len == 0)
		return;
	memset(h->bits, 0xff, len);
	h->bits[len - 1] &= (uint8_t)~spare_mask(h->num_pieces);
	h->count = h->num_pieces;
}
