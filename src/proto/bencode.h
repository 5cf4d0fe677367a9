/*
 * bencode.h - strict BEP 3 bencode: a decoder that allocates nothing, an
 * encoder that writes canonical output.
 *
 * Decoding (after jsmn): the caller gives the input and an array of
 * tokens; the decoder fills one token per value, in document order, each
 * holding byte offsets into the caller's buffer.  No copy is made, so the
 * buffer must outlive the tokens.  Token 0 is the root.  A container's
 * children follow it directly; tok.next is the index just past its
 * subtree, so siblings are walked with i = doc->tok[i].next.  A dict's
 * children alternate key, value.
 *
 *     d 3:cow 3:moo 4:spam l 1:a 1:b e e
 *     ^tok0 ^1    ^2    ^3     ^4 ^5 ^6       tok4.next == 7
 *
 * Strictness (BEP 3): integers have no leading zeros, no "-0", no "+",
 * and must fit int64_t; string lengths have no leading zeros and are
 * checked against the remaining input before use; dict keys are strings;
 * nesting depth and token count are bounded; bytes after the root value
 * are reported (SW_E_TRAILING, with the tokens still valid).  Key order is
 * checked only when SW_BENCODE_SORTED is passed, because real .torrent
 * files sometimes break it and the infohash never depends on it.
 *
 * Offsets are 32-bit: inputs are limited to SW_BENCODE_MAX_INPUT bytes.
 */
#ifndef SW_BENCODE_H
#define SW_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#ifndef SW_BENCODE_MAX_DEPTH
#define SW_BENCODE_MAX_DEPTH 128
#endif
#define SW_BENCODE_MAX_INPUT 0x7fffffffu

enum sw_bencode_type {
	SW_BENCODE_INT = 1,
	SW_BENCODE_STR = 2,
	SW_BENCODE_LIST = 3,
	SW_BENCODE_DICT = 4,
};

/* Decoder flags. */
#define SW_BENCODE_SORTED 0x1u /* dict keys must be strictly ascending */

struct sw_bencode_token {
	uint32_t start; /* offset of the value's first byte ('i', 'l', 'd', digit) */
	uint32_t end;   /* offset one past its last byte */
	uint32_t next;  /* index of the token after this value's subtree */
	uint32_t count; /* STR: payload bytes (payload = [end-count, end));
			   LIST: items; DICT: key/value pairs; INT: 0 */
	uint8_t type;   /* enum sw_bencode_type */
};

/* A decoded document: the caller's buffer and the caller's tokens. */
struct sw_bencode_doc {
	const uint8_t *buf;
	size_t len;
	struct sw_bencode_token *tok;
	uint32_t ntok;
};

/* Why decoding stopped: an SW_E_* code, the byte offset, a static reason. */
struct sw_bencode_error {
	int code;
	size_t offset;
	const char *what;
};

/*
 * Decode buf[0..len) into tok[0..max_tok).  On success (0, or
 * SW_E_TRAILING when bytes follow the root value) doc describes the
 * value.  Otherwise returns SW_E_INVALID (malformed), SW_E_NEED_MORE
 * (input ends inside a value) or SW_E_TOO_BIG (depth, token or size cap),
 * with err (if not NULL) saying where and why.
 */
int sw_bencode_decode(const uint8_t *buf, size_t len, struct sw_bencode_token *tok,
		      size_t max_tok, unsigned flags, struct sw_bencode_doc *doc,
		      struct sw_bencode_error *err);

/* --- reading a decoded document; idx is a token index ------------------- */

static inline int sw_bencode_type(const struct sw_bencode_doc *d, uint32_t idx)
{
	return idx < d->ntok ? d->tok[idx].type : 0;
}

/* The value's exact bytes as they appear in the input (for infohashes). */
void sw_bencode_span(const struct sw_bencode_doc *d, uint32_t idx, const uint8_t **p,
		     size_t *len);

/* Typed getters: 0, or SW_E_TYPE when the token is not of that type. */
int sw_bencode_get_int(const struct sw_bencode_doc *d, uint32_t idx, int64_t *out);
int sw_bencode_get_str(const struct sw_bencode_doc *d, uint32_t idx, const uint8_t **p,
		       size_t *len);

/*
 * Look up key in the dict at idx: the value's token index, or a negative
 * SW_E_TYPE (idx is not a dict) / SW_E_NOT_FOUND.  Linear in the dict's
 * size; with duplicate keys the first wins.
 */
int64_t sw_bencode_dict_find(const struct sw_bencode_doc *d, uint32_t idx, const char *key);
int64_t sw_bencode_dict_findn(const struct sw_bencode_doc *d, uint32_t idx, const void *key,
			      size_t keylen);

/* Lookup and typed get in one call; SW_E_NOT_FOUND or SW_E_TYPE on failure. */
int sw_bencode_dict_get_int(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			    int64_t *out);
int sw_bencode_dict_get_str(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			    const uint8_t **p, size_t *len);
/* The token index of a list/dict value under key in *out. */
int sw_bencode_dict_get_list(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			     uint32_t *out);
int sw_bencode_dict_get_dict(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			     uint32_t *out);

/* First child of a list or dict (only meaningful when count > 0). */
static inline uint32_t sw_bencode_first(uint32_t idx)
{
	return idx + 1;
}

/* --- encoding ------------------------------------------------------------ */

/*
 * Canonical encoder: values are appended to out (whose cap bounds the
 * output).  Dict members may be added in any order; sw_bencode_enc_end()
 * sorts a dict's pairs by raw key bytes and fails with SW_E_INVALID on a
 * duplicate key.  Errors are sticky; sw_bencode_enc_finish() returns the
 * first one, or SW_E_INVALID if containers are left open.
 */
#ifndef SW_BENCODE_ENC_MAX_DEPTH
#define SW_BENCODE_ENC_MAX_DEPTH SW_BENCODE_MAX_DEPTH /* writes whatever the decoder reads */
#endif

struct sw_bencode_enc {
	struct sw_buf *out; /* borrowed */
	int depth;
	int err;
	struct {
		size_t start; /* offset of this container's 'l'/'d' in out */
		bool is_dict;
		uint32_t items;
	} stack[SW_BENCODE_ENC_MAX_DEPTH];
};

void sw_bencode_enc_init(struct sw_bencode_enc *e, struct sw_buf *out);
void sw_bencode_enc_int(struct sw_bencode_enc *e, int64_t v);
void sw_bencode_enc_str(struct sw_bencode_enc *e, const void *p, size_t n);
void sw_bencode_enc_cstr(struct sw_bencode_enc *e, const char *s);
void sw_bencode_enc_list(struct sw_bencode_enc *e);
void sw_bencode_enc_dict(struct sw_bencode_enc *e);
void sw_bencode_enc_end(struct sw_bencode_enc *e);
int sw_bencode_enc_finish(struct sw_bencode_enc *e);

#endif /* SW_BENCODE_H */
