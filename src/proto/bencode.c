/*
 * bencode.c - strict, allocation-free bencode decoder and canonical encoder.
 *
 * Why a token array and not a tree: a DHT node decodes hundreds of
 * thousands of small messages a second, and a .torrent's infohash must be
 * computed over the info dict's bytes exactly as they appear.  Tokens that
 * are offsets into the caller's buffer give both: no allocation per
 * message, and the byte span of any value for free (jsmn, libtorrent's
 * bdecode).
 *
 * The decoder is one loop with an explicit stack of open containers, so
 * input nesting cannot exhaust the C stack; depth is capped at
 * SW_BENCODE_MAX_DEPTH and the token count at the caller's array size.
 *
 * Grammar (BEP 3):
 *
 *     value  = int | string | list | dict
 *     int    = "i" ( "0" | ["-"] nonzero-digit *digit ) "e"
 *     string = ( "0" | nonzero-digit *digit ) ":" <that many bytes>
 *     list   = "l" *value "e"
 *     dict   = "d" *( string value ) "e"
 */
#include "proto/bencode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Digits in the decimal form of SW_BENCODE_MAX_INPUT (2147483647). */
#define MAX_LEN_DIGITS 10

static int fail(struct sw_bencode_error *err, int code, size_t offset, const char *what)
{
	if (err != NULL) {
		err->code = code;
		err->offset = offset;
		err->what = what;
	}
	return code;
}

/*
 * Parse "i...e" at buf[*pos]; on success *pos is one past the 'e'.
 * The value itself is not stored: sw_bencode_get_int() reparses the
 * (already validated) digits, which keeps tokens small.
 */
static int parse_int(const uint8_t *buf, size_t len, size_t *pos, struct sw_bencode_error *err)
{
	size_t p = *pos + 1, start = *pos;
	int neg = 0;
	uint64_t v = 0, limit = (uint64_t)INT64_MAX;

	if (p < len && buf[p] == '-') {
		neg = 1;
		limit += 1;
		p++;
	}
	if (p >= len)
		return fail(err, SW_E_NEED_MORE, p, "input ends inside a value");
	if (buf[p] < '0' || buf[p] > '9')
		return fail(err, SW_E_INVALID, p, "integer has no digits");
	if (buf[p] == '0') {
		if (neg)
			return fail(err, SW_E_INVALID, start, "negative zero");
		if (p + 1 < len && buf[p + 1] >= '0' && buf[p + 1] <= '9')
			return fail(err, SW_E_INVALID, p, "integer with leading zero");
	}
	while (p < len && buf[p] >= '0' && buf[p] <= '9') {
		unsigned d = (unsigned)(buf[p] - '0');

		if (v > (limit - d) / 10)
			return fail(err, SW_E_RANGE, start, "integer overflows 64 bits");
		v = v * 10 + d;
		p++;
	}
	if (p >= len)
		return fail(err, SW_E_NEED_MORE, p, "input ends inside a value");
	if (buf[p] != 'e')
		return fail(err, SW_E_INVALID, p, "integer not terminated by 'e'");
	*pos = p + 1;
	return SW_OK;
}

/* Parse "<len>:<bytes>" at buf[*pos]; *pos becomes one past the payload. */
static int parse_str(const uint8_t *buf, size_t len, size_t *pos, uint32_t *count,
		     struct sw_bencode_error *err)
{
	size_t p = *pos, start = *pos, n = 0;
	unsigned digits = 0;

	while (p < len && buf[p] >= '0' && buf[p] <= '9') {
		if (++digits > MAX_LEN_DIGITS)
			return fail(err, SW_E_TOO_BIG, start, "string length too large");
		n = n * 10 + (size_t)(buf[p] - '0');
		p++;
	}
	if (digits > 1 && buf[start] == '0')
		return fail(err, SW_E_INVALID, start, "string length with leading zero");
	if (p >= len)
		return fail(err, SW_E_NEED_MORE, p, "input ends inside a value");
	if (buf[p] != ':')
		return fail(err, SW_E_INVALID, p, "string length not followed by ':'");
	if (n > SW_BENCODE_MAX_INPUT)
		return fail(err, SW_E_TOO_BIG, start, "string length too large");
	p++;
	if (n > len - p)
		return fail(err, SW_E_NEED_MORE, start, "string length exceeds input");
	*pos = p + n;
	*count = (uint32_t)n;
	return SW_OK;
}

/* Is the key token k strictly greater than the key token prev? */
static int key_ascends(const uint8_t *buf, const struct sw_bencode_token *prev,
		       const struct sw_bencode_token *k)
{
	size_t n = prev->count < k->count ? prev->count : k->count;
	int c = memcmp(buf + prev->end - prev->count, buf + k->end - k->count, n);

	return c < 0 || (c == 0 && prev->count < k->count);
}

int sw_bencode_decode(const uint8_t *buf, size_t len, struct sw_bencode_token *tok,
		      size_t max_tok, unsigned flags, struct sw_bencode_doc *doc,
		      struct sw_bencode_error *err)
{
	uint32_t stack[SW_BENCODE_MAX_DEPTH]; /* token index of each open container */
	uint32_t items[SW_BENCODE_MAX_DEPTH]; /* values seen in it so far */
	uint32_t lastkey[SW_BENCODE_MAX_DEPTH];
	size_t pos = 0;
	uint32_t ntok = 0;
	int depth = 0, rc;

	if (len > SW_BENCODE_MAX_INPUT)
		return fail(err, SW_E_TOO_BIG, 0, "input too large");
	if (max_tok > UINT32_MAX)
		max_tok = UINT32_MAX;
	if (len == 0)
		return fail(err, SW_E_NEED_MORE, 0, "empty input");

	for (;;) {
		struct sw_bencode_token *t;
		uint8_t c;

		if (pos >= len)
			return fail(err, SW_E_NEED_MORE, pos, "input ends inside a value");
		c = buf[pos];

		if (c == 'e' && depth > 0) {
			uint32_t ci = stack[--depth];

			if (tok[ci].type == SW_BENCODE_DICT) {
				if (items[depth] & 1)
					return fail(err, SW_E_INVALID, pos, "dict key without value");
				items[depth] /= 2;
			}
			tok[ci].end = (uint32_t)++pos;
			tok[ci].next = ntok;
			tok[ci].count = items[depth];
			if (depth == 0)
				break;
			continue;
		}

		if (ntok >= max_tok)
			return fail(err, SW_E_TOO_BIG, pos, "too many values");
		t = &tok[ntok];
		t->start = (uint32_t)pos;
		t->count = 0;

		if (depth > 0) {
			uint32_t ci = stack[depth - 1];
			int is_key = tok[ci].type == SW_BENCODE_DICT && (items[depth - 1] & 1) == 0;

			if (is_key && (c < '0' || c > '9'))
				return fail(err, SW_E_INVALID, pos, "dict key is not a string");
			items[depth - 1]++;
		}

		if (c == 'l' || c == 'd') {
			if (depth >= SW_BENCODE_MAX_DEPTH)
				return fail(err, SW_E_TOO_BIG, pos, "nesting too deep");
			t->type = c == 'l' ? SW_BENCODE_LIST : SW_BENCODE_DICT;
			stack[depth] = ntok;
			items[depth] = 0;
			depth++;
			ntok++;
			pos++;
			continue;
		}
		if (c == 'i') {
			rc = parse_int(buf, len, &pos, err);
			if (rc)
				return rc;
			t->type = SW_BENCODE_INT;
		} else if (c >= '0' && c <= '9') {
			rc = parse_str(buf, len, &pos, &t->count, err);
			if (rc)
				return rc;
			t->type = SW_BENCODE_STR;
		} else {
			return fail(err, SW_E_INVALID, pos, "unexpected character");
		}
		t->end = (uint32_t)pos;
		t->next = ++ntok;

		if (depth > 0 && tok[stack[depth - 1]].type == SW_BENCODE_DICT &&
		    (items[depth - 1] & 1) == 1) {
			/* t was a key */
			if ((flags & SW_BENCODE_SORTED) && items[depth - 1] > 1 &&
			    !key_ascends(buf, &tok[lastkey[depth - 1]], t))
				return fail(err, SW_E_INVALID, t->start,
					    "dict keys not sorted or duplicated");
			lastkey[depth - 1] = ntok - 1;
		}
		if (depth == 0)
			break;
	}

	doc->buf = buf;
	doc->len = len;
	doc->tok = tok;
	doc->ntok = ntok;
	if (pos < len)
		return fail(err, SW_E_TRAILING, pos, "trailing bytes after value");
	return SW_OK;
}

/* --- reading ------------------------------------------------------------- */

void sw_bencode_span(const struct sw_bencode_doc *d, uint32_t idx, const uint8_t **p,
		     size_t *len)
{
	const struct sw_bencode_token *t = &d->tok[idx];

	*p = d->buf + t->start;
	*len = t->end - t->start;
}

int sw_bencode_get_int(const struct sw_bencode_doc *d, uint32_t idx, int64_t *out)
{
	const uint8_t *p;
	uint64_t v = 0;
	int neg;

	if (sw_bencode_type(d, idx) != SW_BENCODE_INT)
		return SW_E_TYPE;
	/* Digits were validated (and range-checked) by the decoder. */
	p = d->buf + d->tok[idx].start + 1;
	neg = *p == '-';
	for (p += neg; *p != 'e'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return SW_OK;
}

int sw_bencode_get_str(const struct sw_bencode_doc *d, uint32_t idx, const uint8_t **p,
		       size_t *len)
{
	const struct sw_bencode_token *t;

	if (sw_bencode_type(d, idx) != SW_BENCODE_STR)
		return SW_E_TYPE;
	t = &d->tok[idx];
	*p = d->buf + t->end - t->count;
	*len = t->count;
	return SW_OK;
}

int64_t sw_bencode_dict_findn(const struct sw_bencode_doc *d, uint32_t idx, const void *key,
			      size_t keylen)
{
	uint32_t i, n;

	if (sw_bencode_type(d, idx) != SW_BENCODE_DICT)
		return SW_E_TYPE;
	n = d->tok[idx].count;
	i = idx + 1;
	while (n-- > 0) {
		const struct sw_bencode_token *k = &d->tok[i];
		uint32_t v = k->next;

		if (k->count == keylen && memcmp(d->buf + k->end - k->count, key, keylen) == 0)
			return v;
		i = d->tok[v].next;
	}
	return SW_E_NOT_FOUND;
}

int64_t sw_bencode_dict_find(const struct sw_bencode_doc *d, uint32_t idx, const char *key)
{
	return sw_bencode_dict_findn(d, idx, key, strlen(key));
}

int sw_bencode_dict_get_int(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			    int64_t *out)
{
	int64_t v = sw_bencode_dict_find(d, idx, key);

	return v < 0 ? (int)v : sw_bencode_get_int(d, (uint32_t)v, out);
}

int sw_bencode_dict_get_str(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			    const uint8_t **p, size_t *len)
{
	int64_t v = sw_bencode_dict_find(d, idx, key);

	return v < 0 ? (int)v : sw_bencode_get_str(d, (uint32_t)v, p, len);
}

static int get_container(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			 int type, uint32_t *out)
{
	int64_t v = sw_bencode_dict_find(d, idx, key);

	if (v < 0)
		return (int)v;
	if (sw_bencode_type(d, (uint32_t)v) != type)
		return SW_E_TYPE;
	*out = (uint32_t)v;
	return SW_OK;
}

int sw_bencode_dict_get_list(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			     uint32_t *out)
{
	return get_container(d, idx, key, SW_BENCODE_LIST, out);
}

int sw_bencode_dict_get_dict(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
			     uint32_t *out)
{
	return get_container(d, idx, key, SW_BENCODE_DICT, out);
}

/* --- encoding ------------------------------------------------------------ */

void sw_bencode_enc_init(struct sw_bencode_enc *e, struct sw_buf *out)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
}

static void enc_put(struct sw_bencode_enc *e, const void *p, size_t n)
{
	if (e->err == 0)
		e->err = sw_buf_append(e->out, p, n);
}

/* Account for one value in the open container; keys must be strings. */
static void enc_item(struct sw_bencode_enc *e, int is_str)
{
	if (e->depth == 0)
		return;
	if (e->stack[e->depth - 1].is_dict && (e->stack[e->depth - 1].items & 1) == 0 && !is_str)
		e->err = e->err ? e->err : SW_E_INVALID;
	e->stack[e->depth - 1].items++;
}

/*
 * v in decimal, right-aligned so that it ends at end; returns where it
 * starts.  (snprintf cost as much as the rest of a DHT reply's encoding.)
 */
static char *decimal(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

void sw_bencode_enc_int(struct sw_bencode_enc *e, int64_t v)
{
	char tmp[24], *p;
	/* |INT64_MIN| does not fit an int64_t: negate as unsigned. */
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	tmp[sizeof(tmp) - 1] = 'e';
	p = decimal(mag, tmp + sizeof(tmp) - 1);
	if (v < 0)
		*--p = '-';
	*--p = 'i';
	enc_item(e, 0);
	enc_put(e, p, (size_t)(tmp + sizeof(tmp) - p));
}

void sw_bencode_enc_str(struct sw_bencode_enc *e, const void *p, size_t n)
{
	char tmp[24], *q;

	tmp[sizeof(tmp) - 1] = ':';
	q = decimal(n, tmp + sizeof(tmp) - 1);
	enc_item(e, 1);
	enc_put(e, q, (size_t)(tmp + sizeof(tmp) - q));
	enc_put(e, p, n);
}

void sw_bencode_enc_cstr(struct sw_bencode_enc *e, const char *s)
{
	sw_bencode_enc_str(e, s, strlen(s));
}

static void enc_open(struct sw_bencode_enc *e, int is_dict)
{
	enc_item(e, 0);
	if (e->depth >= SW_BENCODE_ENC_MAX_DEPTH) {
		e->err = e->err ? e->err : SW_E_TOO_BIG;
		return;
	}
	e->stack[e->depth].start = e->out->len;
	e->stack[e->depth].is_dict = is_dict != 0;
	e->stack[e->depth].items = 0;
	e->depth++;
	enc_put(e, is_dict ? "d" : "l", 1);
}

void sw_bencode_enc_list(struct sw_bencode_enc *e) { enc_open(e, 0); }
void sw_bencode_enc_dict(struct sw_bencode_enc *e) { enc_open(e, 1); }

/* Offset one past the (well-formed, self-written) value starting at p. */
static size_t skip_value(const uint8_t *b, size_t p)
{
	size_t open = 0;

	do {
		if (b[p] == 'i') {
			while (b[p] != 'e')
				p++;
			p++;
		} else if (b[p] == 'l' || b[p] == 'd') {
			open++;
			p++;
		} else if (b[p] == 'e') {
			open--;
			p++;
		} else {
			size_t n = 0;

			while (b[p] != ':')
				n = n * 10 + (size_t)(b[p++] - '0');
			p += 1 + n;
		}
	} while (open > 0);
	return p;
}

struct pair {
	const uint8_t *key; /* key payload */
	size_t keylen;
	size_t start, end; /* the pair's bytes: key then value */
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/* Sort the pairs of the dict whose body is out[body, len-1) (before its 'e'). */
static int sort_dict(struct sw_buf *out, size_t body, uint32_t npairs)
{
	struct pair small[16], *pairs = small; /* most dicts: no allocation */
	uint8_t *tmp = NULL;
	size_t p = body, w = 0;
	int rc = SW_OK, sorted = 1;

	if (npairs < 2)
		return SW_OK;
	if (npairs > sizeof(small) / sizeof(small[0]))
		pairs = calloc(npairs, sizeof(*pairs));
	if (pairs == NULL)
		return SW_E_NOMEM;
	for (uint32_t i = 0; i < npairs; i++) {
		size_t n = 0, q = p;

		while (out->data[q] != ':')
			n = n * 10 + (size_t)(out->data[q++] - '0');
		pairs[i].key = out->data + q + 1;
		pairs[i].keylen = n;
		pairs[i].start = p;
		p = skip_value(out->data, skip_value(out->data, p));
		pairs[i].end = p;
		if (i > 0 && pair_cmp(&pairs[i - 1], &pairs[i]) >= 0)
			sorted = 0;
	}
	if (sorted)
		goto out;
	qsort(pairs, npairs, sizeof(*pairs), pair_cmp);
	for (uint32_t i = 1; i < npairs; i++) {
		if (pair_cmp(&pairs[i - 1], &pairs[i]) == 0) {
			rc = SW_E_INVALID; /* duplicate key */
			goto out;
		}
	}
	tmp = malloc(p - body);
	if (tmp == NULL) {
		rc = SW_E_NOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < npairs; i++) {
		memcpy(tmp + w, out->data + pairs[i].start, pairs[i].end - pairs[i].start);
		w += pairs[i].end - pairs[i].start;
	}
	memcpy(out->data + body, tmp, w);
out:
	free(tmp);
	if (pairs != small)
		free(pairs);
	return rc;
}

void sw_bencode_enc_end(struct sw_bencode_enc *e)
{
	if (e->depth == 0) {
		e->err = e->err ? e->err : SW_E_INVALID;
		return;
	}
	e->depth--;
	if (e->stack[e->depth].is_dict && (e->stack[e->depth].items & 1))
		e->err = e->err ? e->err : SW_E_INVALID; /* key without value */
	if (e->err == 0 && e->stack[e->depth].is_dict)
		e->err = sort_dict(e->out, e->stack[e->depth].start + 1,
				   e->stack[e->depth].items / 2);
	enc_put(e, "e", 1);
}

int sw_bencode_enc_finish(struct sw_bencode_enc *e)
{
	if (e->err == 0 && e->depth != 0)
		e->err = SW_E_INVALID;
	return e->err;
}
