/*
 * peerext.c - BEP 10 extension handshake, BEP 9 ut_metadata, BEP 11 ut_pex.
 *
 * Every one of them travels in an extended message (peerwire.c):
 *
 *   +-----------------+--------+--------+------------------------------+
 *   | length (32 bit) | id 20  | ext id | bencoded dict [+ raw bytes]  |
 *   +-----------------+--------+--------+------------------------------+
 *
 * ext id 0 is the BEP 10 handshake, sent once by both sides after the
 * BEP 3 handshake; its "m" dict maps extension names to the ids the
 * sender wants to receive them under, so the ids differ per direction
 * and per peer.  What real clients sent us (tests/fixtures/peerwire/):
 *
 *   d1:md11:ut_metadatai9e6:ut_pexi8ee13:metadata_sizei20116e1:pi21001e
 *    1:v12:aria2/1.36.0e
 *   d12:complete_agoi-1e1:md11:lt_donthavei7e10:share_modei8e11:upload_only
 *    i3e12:ut_holepunchi4e11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei20116e
 *    4:reqqi2000e11:upload_onlyi1e1:v17:qBittorrent/4.5.26:yourip4:....e
 *
 * ut_metadata (BEP 9): the metadata (the bencoded info dict, whose hash is
 * the infohash) travels in 16 KiB pieces, the last one shorter.  The dict
 * says what the message is; a data message is followed, inside the same
 * extended message, by the piece itself, so the dict's end (found by the
 * decoder, which reports the bytes after it as SW_E_TRAILING) is where
 * the data starts:
 *
 *   d8:msg_typei1e5:piecei0e10:total_sizei20116ee<16384 bytes of metadata>
 *   ^ dict ............................................^ tok[0].end
 *
 *   msg_type 0 request {msg_type, piece}
 *            1 data    {msg_type, piece, total_size} + piece bytes
 *            2 reject  {msg_type, piece}
 *
 * ut_pex (BEP 11): a dict of compact address strings, each a whole number
 * of entries, and one flag byte per added peer:
 *
 *   added    n * 6  bytes  | IPv4 (4) | port (2) | ...    added.f   n bytes
 *   added6   n * 18 bytes  | IPv6 (16)| port (2) | ...    added6.f  n bytes
 *   dropped  n * 6, dropped6 n * 18
 *
 * BEP 11 caps later messages at 50 added (v4 and v6 together) and 50
 * dropped, exempting a peer's first message, and asks for at least one of
 * the four lists.  aria2 1.36 sends "de" (no list at all): that, like an
 * over-long list, is counted as a breach and the message is still used.
 */
#include "proto/peerext.h"

#include <string.h>

#include "core/hash.h"
#include "proto/bencode.h"
#include "proto/peerwire.h"

#define U8_MAX_ID     255
#define PORT_MAX      65535
#define V4_LEN        4
#define V6_LEN        16
#define REPLACEMENT   '?'
#define BITS_PER_BYTE 8

/* --- small helpers ------------------------------------------------------- */

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Undo a failed build: the buffer goes back to len. */
static int restore(struct sw_buf *out, size_t len, int rc)
{
	if (rc != SW_OK) {
		out->len = len;
		if (out->data != NULL)
			out->data[len] = 0;
	}
	return rc;
}

/*
 * Decode a payload that must be one bencoded dict (followed by anything
 * when trailing_ok).  what names the message in errors.
 */
static int decode_dict(const uint8_t *p, size_t n, struct sw_bencode_token *tok, size_t max_tok,
                       bool trailing_ok, struct sw_bencode_doc *doc, const char *what,
                       struct sw_errbuf *eb)
{
	struct sw_bencode_error err = {0, 0, ""};
	int rc;

	if (n > SW_BENCODE_MAX_INPUT)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "%s is too large", what);
	rc = sw_bencode_decode(p, n, tok, max_tok, 0, doc, &err);
	if (rc == SW_E_TRAILING && trailing_ok)
		rc = SW_OK;
	if (rc == SW_E_TOO_BIG)
		return sw_errbuf_set(eb, rc, "%s: %s", what, err.what);
	if (rc != SW_OK)
		return sw_errbuf_set(eb, SW_E_INVALID, "%s: invalid bencode at byte %zu: %s", what,
		                     err.offset, err.what);
	if (sw_bencode_type(doc, 0) != SW_BENCODE_DICT)
		return sw_errbuf_set(eb, SW_E_INVALID, "%s is not a dictionary", what);
	return SW_OK;
}

static bool key_is(const struct sw_bencode_doc *d, uint32_t key, const char *name)
{
	const uint8_t *k;
	size_t klen;

	if (sw_bencode_get_str(d, key, &k, &klen) != SW_OK)
		return false;
	return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

/* --- text ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), 0 if none. */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (b == 0xe0)
		lo = 0xa0; /* overlong */
	else if (b == 0xed)
		hi = 0x9f; /* surrogates */
	else if (b == 0xf0)
		lo = 0x90; /* overlong */
	else if (b == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	*cp = b & (0xffu >> (len + 1));
	for (i = 1; i < len; i++) {
		if (i > 1 && (p[i] < 0x80 || p[i] > 0xbf))
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3fu);
	}
	return len;
}

static bool printable(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return false; /* C0, DEL, C1 */
	if (cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return false; /* bidirectional marks, embeddings, overrides, isolates */
	return true;
}

size_t sw_px_sanitize(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t i = 0, o = 0, len;
	uint32_t cp = 0;

	if (outlen == 0)
		return 0;
	while (i < n) {
		len = utf8_seq(p + i, n - i, &cp);
		if (len > 0 && printable(cp)) {
			if (o + len >= outlen)
				break;
			memcpy(out + o, p + i, len);
			o += len;
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = REPLACEMENT;
		}
		i += len > 0 ? len : 1;
	}
	out[o] = '\0';
	return o;
}

/* --- builders ------------------------------------------------------------ */

/* Start an extended message: the 6-byte header, its length patched later. */
static int ext_begin(struct sw_buf *out, uint8_t ext_id, struct sw_bencode_enc *e)
{
	uint8_t hdr[SW_PW_MSG_EXT_HDR_LEN] = {0, 0, 0, 0, SW_PW_EXTENDED, ext_id};
	int rc;

	rc = sw_buf_append(out, hdr, sizeof(hdr));
	sw_bencode_enc_init(e, out);
	return rc;
}

static int ext_end(struct sw_buf *out, size_t start, struct sw_bencode_enc *e, int rc)
{
	size_t len;

	if (rc == SW_OK)
		rc = sw_bencode_enc_finish(e);
	if (rc == SW_OK) {
		len = out->len - start - SW_PW_LEN_PREFIX;
		if (len > SW_PW_MAX_MSG_LEN)
			rc = SW_E_TOO_BIG;
		else
			put_u32(out->data + start, (uint32_t)len);
	}
	return restore(out, start, rc);
}

int sw_px_build_handshake(struct sw_buf *out, const struct sw_px_handshake_req *req)
{
	struct sw_bencode_enc e;
	size_t start = out->len;
	int rc;

	rc = ext_begin(out, SW_PX_EXT_HANDSHAKE, &e);
	if (rc != SW_OK)
		goto out;
	sw_bencode_enc_dict(&e);
	sw_bencode_enc_cstr(&e, "m");
	sw_bencode_enc_dict(&e);
	if (req->ut_metadata != 0) {
		sw_bencode_enc_cstr(&e, "ut_metadata");
		sw_bencode_enc_int(&e, req->ut_metadata);
	}
	if (req->ut_pex != 0) {
		sw_bencode_enc_cstr(&e, "ut_pex");
		sw_bencode_enc_int(&e, req->ut_pex);
	}
	sw_bencode_enc_end(&e);
	if (req->port != 0) {
		sw_bencode_enc_cstr(&e, "p");
		sw_bencode_enc_int(&e, req->port);
	}
	if (req->reqq != 0) {
		sw_bencode_enc_cstr(&e, "reqq");
		sw_bencode_enc_int(&e, req->reqq);
	}
	sw_bencode_enc_cstr(&e, "v");
	sw_bencode_enc_cstr(&e, req->client != NULL ? req->client : SW_PX_CLIENT_NAME);
	sw_bencode_enc_end(&e);
out:
	return ext_end(out, start, &e, rc);
}

static int build_metadata(struct sw_buf *out, uint8_t ext_id, int type, uint32_t piece)
{
	struct sw_bencode_enc e;
	size_t start = out->len;
	int rc;

	if (ext_id == SW_PX_EXT_HANDSHAKE)
		return SW_E_INVALID;
	rc = ext_begin(out, ext_id, &e);
	if (rc == SW_OK) {
		sw_bencode_enc_dict(&e);
		sw_bencode_enc_cstr(&e, "msg_type");
		sw_bencode_enc_int(&e, type);
		sw_bencode_enc_cstr(&e, "piece");
		sw_bencode_enc_int(&e, piece);
		sw_bencode_enc_end(&e);
	}
	return ext_end(out, start, &e, rc);
}

int sw_px_build_metadata_request(struct sw_buf *out, uint8_t peer_ut_metadata, uint32_t piece)
{
	return build_metadata(out, peer_ut_metadata, SW_PX_METADATA_REQUEST, piece);
}

int sw_px_build_metadata_reject(struct sw_buf *out, uint8_t peer_ut_metadata, uint32_t piece)
{
	return build_metadata(out, peer_ut_metadata, SW_PX_METADATA_REJECT, piece);
}

/* --- BEP 10 handshake ---------------------------------------------------- */

/* One of our names in "m": an integer id 0..255, first occurrence wins. */
static int m_id(const struct sw_bencode_doc *d, uint32_t val, const char *name, bool *has,
                uint8_t *id, struct sw_errbuf *eb)
{
	int64_t v;

	if (*has)
		return SW_OK;
	if (sw_bencode_get_int(d, val, &v) != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "extension handshake: m.%s is not an integer",
		                     name);
	if (v < 0 || v > U8_MAX_ID)
		return sw_errbuf_set(eb, SW_E_RANGE,
		                     "extension handshake: m.%s is %lld, not an id 0..255", name,
		                     (long long)v);
	*has = true;
	*id = (uint8_t)v;
	return SW_OK;
}

static int parse_m(const struct sw_bencode_doc *d, struct sw_px_handshake *out,
                   struct sw_errbuf *eb)
{
	uint32_t m, i, k, key, val;
	int rc = SW_OK;

	rc = sw_bencode_dict_get_dict(d, 0, "m", &m);
	if (rc == SW_E_NOT_FOUND)
		return SW_OK;
	if (rc != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "extension handshake: m is not a dictionary");
	out->has_m = true;
	for (i = sw_bencode_first(m), k = 0; k < d->tok[m].count; k++, i = d->tok[val].next) {
		key = i;
		val = d->tok[key].next;
		if (key_is(d, key, "ut_metadata"))
			rc = m_id(d, val, "ut_metadata", &out->has_ut_metadata, &out->ut_metadata,
			          eb);
		else if (key_is(d, key, "ut_pex"))
			rc = m_id(d, val, "ut_pex", &out->has_ut_pex, &out->ut_pex, eb);
		else
			out->m_other++;
		if (rc != SW_OK)
			return rc;
	}
	return SW_OK;
}

static int parse_metadata_size(const struct sw_bencode_doc *d, struct sw_px_handshake *out,
                               struct sw_errbuf *eb)
{
	int64_t v;
	int rc;

	rc = sw_bencode_dict_get_int(d, 0, "metadata_size", &v);
	if (rc == SW_E_NOT_FOUND)
		return SW_OK;
	if (rc != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE,
		                     "extension handshake: metadata_size is not an integer");
	if (v < 0)
		return sw_errbuf_set(eb, SW_E_RANGE,
		                     "extension handshake: metadata_size %lld is negative",
		                     (long long)v);
	if (v > SW_PX_MAX_METADATA)
		return sw_errbuf_set(eb, SW_E_TOO_BIG,
		                     "extension handshake: metadata_size %lld exceeds the limit of "
		                     "%u bytes",
		                     (long long)v, (unsigned)SW_PX_MAX_METADATA);
	out->metadata_size = v;
	return SW_OK;
}

/*
 * The integer under key if it is one within [lo, hi]: 1 and *v set;
 * 0 if absent; -1 if present but unusable (counted as ignored).
 */
static int info_int(const struct sw_bencode_doc *d, const char *key, int64_t lo, int64_t hi,
                    int64_t *v, uint32_t *ignored)
{
	int rc = sw_bencode_dict_get_int(d, 0, key, v);

	if (rc == SW_E_NOT_FOUND)
		return 0;
	if (rc != SW_OK || *v < lo || *v > hi) {
		(*ignored)++;
		return -1;
	}
	return 1;
}

/* The informational keys: taken when well-formed, else counted. */
static void parse_info(const struct sw_bencode_doc *d, struct sw_px_handshake *out)
{
	const uint8_t *s;
	size_t len;
	int64_t v;
	int rc;

	rc = sw_bencode_dict_get_str(d, 0, "v", &s, &len);
	if (rc == SW_OK) {
		sw_px_sanitize(out->client, sizeof(out->client), s, len);
		out->has_client = true;
	} else if (rc != SW_E_NOT_FOUND) {
		out->ignored++;
	}
	rc = sw_bencode_dict_get_str(d, 0, "yourip", &s, &len);
	if (rc == SW_OK && (len == V4_LEN || len == V6_LEN)) {
		if (len == V4_LEN)
			sw_addr_init_v4(&out->yourip, s, 0);
		else
			sw_addr_init_v6(&out->yourip, s, 0);
		out->has_yourip = true;
	} else if (rc != SW_E_NOT_FOUND) {
		out->ignored++;
	}
	if (info_int(d, "p", 1, PORT_MAX, &v, &out->ignored) > 0)
		out->port = (int32_t)v;
	if (info_int(d, "reqq", 1, INT64_MAX, &v, &out->ignored) > 0)
		out->reqq = v;
	if (info_int(d, "upload_only", INT64_MIN, INT64_MAX, &v, &out->ignored) > 0)
		out->upload_only = v != 0;
}

int sw_px_parse_handshake(const uint8_t *p, size_t n, struct sw_px_handshake *out,
                          struct sw_errbuf *eb)
{
	struct sw_bencode_token tok[SW_PX_TOKENS];
	struct sw_bencode_doc doc;
	int rc;

	memset(out, 0, sizeof(*out));
	out->metadata_size = -1;
	out->port = -1;
	out->reqq = -1;
	out->upload_only = -1;
	rc = decode_dict(p, n, tok, SW_PX_TOKENS, true, &doc, "extension handshake", eb);
	if (rc != SW_OK)
		return rc;
	rc = parse_m(&doc, out, eb);
	if (rc != SW_OK)
		return rc;
	rc = parse_metadata_size(&doc, out, eb);
	if (rc != SW_OK)
		return rc;
	parse_info(&doc, out);
	return SW_OK;
}

/* --- BEP 9 ut_metadata --------------------------------------------------- */

/* Tokens for a ut_metadata dict: three keys and values, with room for extras. */
#define METADATA_TOKENS 64

/* The expected length of metadata piece `piece` of a size-byte whole. */
static size_t piece_len(uint64_t size, uint32_t piece)
{
	uint64_t off = (uint64_t)piece * SW_PX_METADATA_PIECE_LEN;
	uint64_t rest = size - off;

	return (size_t)(rest < SW_PX_METADATA_PIECE_LEN ? rest : SW_PX_METADATA_PIECE_LEN);
}

static int check_data(const struct sw_px_metadata_msg *m, int64_t metadata_size,
                      struct sw_errbuf *eb)
{
	uint32_t pieces = sw_px_metadata_pieces((uint64_t)m->total_size);
	size_t want;

	if (metadata_size >= 0 && m->total_size != metadata_size)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "ut_metadata: total_size %lld differs from metadata_size %lld",
		                     (long long)m->total_size, (long long)metadata_size);
	if (m->piece >= pieces)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "ut_metadata: piece %u out of range (%u pieces of %lld bytes)",
		                     m->piece, pieces, (long long)m->total_size);
	want = piece_len((uint64_t)m->total_size, m->piece);
	if (m->data_len != want)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "ut_metadata: piece %u is %zu bytes, expected %zu", m->piece,
		                     m->data_len, want);
	return SW_OK;
}

static int get_total_size(const struct sw_bencode_doc *d, struct sw_px_metadata_msg *out,
                          struct sw_errbuf *eb)
{
	if (sw_bencode_dict_get_int(d, 0, "total_size", &out->total_size) != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE,
		                     "ut_metadata: data without an integer total_size");
	if (out->total_size < 0)
		return sw_errbuf_set(eb, SW_E_RANGE, "ut_metadata: total_size %lld is negative",
		                     (long long)out->total_size);
	if (out->total_size > SW_PX_MAX_METADATA)
		return sw_errbuf_set(eb, SW_E_TOO_BIG,
		                     "ut_metadata: total_size %lld exceeds the limit of %u bytes",
		                     (long long)out->total_size, (unsigned)SW_PX_MAX_METADATA);
	return SW_OK;
}

int sw_px_parse_metadata(const uint8_t *p, size_t n, int64_t metadata_size,
                         struct sw_px_metadata_msg *out, struct sw_errbuf *eb)
{
	struct sw_bencode_token tok[METADATA_TOKENS];
	struct sw_bencode_doc doc;
	int64_t type, piece;
	int rc;

	memset(out, 0, sizeof(*out));
	out->total_size = -1;
	rc = decode_dict(p, n, tok, METADATA_TOKENS, true, &doc, "ut_metadata message", eb);
	if (rc != SW_OK)
		return rc;
	if (sw_bencode_dict_get_int(&doc, 0, "msg_type", &type) != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "ut_metadata: no integer msg_type");
	if (type < SW_PX_METADATA_REQUEST || type > SW_PX_METADATA_REJECT)
		return sw_errbuf_set(eb, SW_E_UNSUPPORTED, "ut_metadata: unknown msg_type %lld",
		                     (long long)type);
	out->msg_type = (int)type;
	if (sw_bencode_dict_get_int(&doc, 0, "piece", &piece) != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "ut_metadata: no integer piece");
	if (piece < 0 || piece >= SW_PX_MAX_METADATA_PIECES)
		return sw_errbuf_set(eb, SW_E_RANGE, "ut_metadata: piece %lld out of range",
		                     (long long)piece);
	out->piece = (uint32_t)piece;
	if (type != SW_PX_METADATA_DATA)
		return SW_OK;
	rc = get_total_size(&doc, out, eb);
	if (rc != SW_OK)
		return rc;
	out->data = p + doc.tok[0].end;
	out->data_len = n - doc.tok[0].end;
	return check_data(out, metadata_size, eb);
}

int sw_px_metadata_init(struct sw_px_metadata *m, uint8_t *buf, size_t size)
{
	memset(m, 0, sizeof(*m));
	if (size == 0)
		return SW_E_RANGE;
	if (size > SW_PX_MAX_METADATA)
		return SW_E_TOO_BIG;
	m->buf = buf;
	m->size = size;
	m->num_pieces = sw_px_metadata_pieces(size);
	return SW_OK;
}

void sw_px_metadata_reset(struct sw_px_metadata *m)
{
	memset(m->have, 0, sizeof(m->have));
	m->received = 0;
}

int sw_px_metadata_add(struct sw_px_metadata *m, uint32_t piece, const uint8_t *data, size_t len,
                       struct sw_errbuf *eb)
{
	uint8_t mask;
	size_t want;

	if (piece >= m->num_pieces)
		return sw_errbuf_set(eb, SW_E_INVALID, "metadata piece %u out of range (%u pieces)",
		                     piece, m->num_pieces);
	want = piece_len(m->size, piece);
	if (len != want)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "metadata piece %u is %zu bytes, expected %zu", piece, len,
		                     want);
	memcpy(m->buf + (size_t)piece * SW_PX_METADATA_PIECE_LEN, data, len);
	mask = (uint8_t)(1u << (piece % BITS_PER_BYTE));
	if ((m->have[piece / BITS_PER_BYTE] & mask) == 0) {
		m->have[piece / BITS_PER_BYTE] |= mask;
		m->received++;
	}
	return SW_OK;
}

int sw_px_metadata_verify(const struct sw_px_metadata *m, const uint8_t *infohash,
                          size_t infohash_len, struct sw_errbuf *eb)
{
	uint8_t sha1[SW_SHA1_LEN], sha256[SW_SHA256_LEN];

	if (infohash_len != SW_INFOHASH_LEN && infohash_len != SW_INFOHASH_V2_LEN)
		return sw_errbuf_set(eb, SW_E_RANGE, "an infohash of %zu bytes", infohash_len);
	if (!sw_px_metadata_complete(m) || m->num_pieces == 0)
		return sw_errbuf_set(eb, SW_E_NEED_MORE, "metadata incomplete: %u of %u pieces",
		                     m->received, m->num_pieces);
	if (infohash_len == SW_INFOHASH_LEN) {
		if (sw_sha1(m->buf, m->size, sha1) != SW_OK)
			return SW_E_NOMEM;
		if (memcmp(sha1, infohash, SW_INFOHASH_LEN) == 0)
			return SW_OK;
	}
	if (sw_sha256(m->buf, m->size, sha256) != SW_OK)
		return SW_E_NOMEM;
	if (memcmp(sha256, infohash, infohash_len) == 0)
		return SW_OK;
	return sw_errbuf_set(eb, SW_E_INVALID, "metadata does not hash to the infohash");
}

/* --- BEP 11 ut_pex ------------------------------------------------------- */

/* Where parsed peers go, and how many the BEP lets a message carry. */
struct pex_sink {
	struct sw_px_pex_peer *peers;
	size_t cap;
	size_t *stored;
	size_t limit; /* SIZE_MAX for a first message */
	size_t seen;  /* entries of this kind so far (v4 and v6 together) */
};

/*
 * The address string under key (entry_len bytes per peer) and, if
 * flag_key, its flags: 0 and *out set (NULL, 0 when absent), or an error.
 */
static int pex_list(const struct sw_bencode_doc *d, const char *key, size_t entry_len,
                    const uint8_t **out, size_t *count, struct sw_errbuf *eb)
{
	size_t len;
	int rc;

	*out = NULL;
	*count = 0;
	rc = sw_bencode_dict_get_str(d, 0, key, out, &len);
	if (rc == SW_E_NOT_FOUND)
		return SW_OK;
	if (rc != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "ut_pex: %s is not a string", key);
	if (len % entry_len != 0)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "ut_pex: %s is %zu bytes, not a multiple of %zu", key, len,
		                     entry_len);
	*count = len / entry_len;
	return SW_OK;
}

/* Flags for count peers, or NULL (all 0) when absent or of the wrong length. */
static const uint8_t *pex_flags(const struct sw_bencode_doc *d, const char *key, size_t count,
                                unsigned *violations)
{
	const uint8_t *f;
	size_t len;
	int rc = sw_bencode_dict_get_str(d, 0, key, &f, &len);

	if (rc == SW_E_NOT_FOUND)
		return NULL;
	if (rc != SW_OK || len != count) {
		*violations |= SW_PX_PEX_V_FLAGS_LEN;
		return NULL;
	}
	return f;
}

static void pex_store(struct pex_sink *s, const uint8_t *list, size_t count, size_t entry_len,
                      const uint8_t *flags, struct sw_px_pex *out)
{
	struct sw_px_pex_peer *peer;
	size_t i;

	for (i = 0; i < count; i++, s->seen++) {
		if (s->seen >= s->limit) {
			out->excess++;
			continue;
		}
		if (*s->stored >= s->cap) {
			out->over_cap++;
			continue;
		}
		peer = &s->peers[(*s->stored)++];
		if (entry_len == SW_COMPACT_PEER4_LEN)
			sw_addr_from_compact4(&peer->addr, list + i * entry_len);
		else
			sw_addr_from_compact6(&peer->addr, list + i * entry_len);
		peer->flags = flags != NULL ? flags[i] : 0;
	}
}

/* One direction (added or dropped): the v4 and v6 lists into one sink. */
static int pex_kind(const struct sw_bencode_doc *d, bool added, struct pex_sink *s,
                    struct sw_px_pex *out, struct sw_errbuf *eb)
{
	const uint8_t *l4, *l6, *f4 = NULL, *f6 = NULL;
	size_t n4, n6;
	int rc;

	rc = pex_list(d, added ? "added" : "dropped", SW_COMPACT_PEER4_LEN, &l4, &n4, eb);
	if (rc == SW_OK)
		rc = pex_list(d, added ? "added6" : "dropped6", SW_COMPACT_PEER6_LEN, &l6, &n6, eb);
	if (rc != SW_OK)
		return rc;
	if (added) {
		f4 = pex_flags(d, "added.f", n4, &out->violations);
		f6 = pex_flags(d, "added6.f", n6, &out->violations);
		out->added4 = n4;
		out->added6 = n6;
	} else {
		out->dropped4 = n4;
		out->dropped6 = n6;
	}
	if (n4 + n6 > s->limit)
		out->violations |= added ? SW_PX_PEX_V_MANY_ADDED : SW_PX_PEX_V_MANY_DROPPED;
	pex_store(s, l4, n4, SW_COMPACT_PEER4_LEN, f4, out);
	pex_store(s, l6, n6, SW_COMPACT_PEER6_LEN, f6, out);
	return SW_OK;
}

int sw_px_parse_pex(const uint8_t *p, size_t n, bool first, struct sw_px_pex_peer *added,
                    size_t added_cap, struct sw_px_pex_peer *dropped, size_t dropped_cap,
                    struct sw_px_pex *out, struct sw_errbuf *eb)
{
	struct sw_bencode_token tok[SW_PX_TOKENS];
	struct sw_bencode_doc doc;
	struct pex_sink sa = {added, added_cap, &out->num_added,
	                      first ? SIZE_MAX : SW_PX_PEX_MAX_ADDED, 0};
	struct pex_sink sd = {dropped, dropped_cap, &out->num_dropped,
	                      first ? SIZE_MAX : SW_PX_PEX_MAX_DROPPED, 0};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = decode_dict(p, n, tok, SW_PX_TOKENS, true, &doc, "ut_pex message", eb);
	if (rc == SW_OK)
		rc = pex_kind(&doc, true, &sa, out, eb);
	if (rc == SW_OK)
		rc = pex_kind(&doc, false, &sd, out, eb);
	if (rc != SW_OK) {
		out->num_added = out->num_dropped = 0;
		return rc;
	}
	if (sw_bencode_dict_find(&doc, 0, "added") < 0 &&
	    sw_bencode_dict_find(&doc, 0, "added6") < 0 &&
	    sw_bencode_dict_find(&doc, 0, "dropped") < 0 &&
	    sw_bencode_dict_find(&doc, 0, "dropped6") < 0)
		out->violations |= SW_PX_PEX_V_EMPTY;
	return SW_OK;
}
