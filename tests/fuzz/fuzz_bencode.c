/*
 * fuzz_bencode.c - libFuzzer target for the bencode decoder, its getters
 * and the canonical encoder (decode -> walk every token -> re-encode
 * -> decode again with SW_BENCODE_SORTED).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "proto/bencode.h"

#define MAXTOK 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-encode token idx (and its subtree) with the canonical encoder. */
static uint32_t reencode(const struct sw_bencode_doc *d, uint32_t idx, struct sw_bencode_enc *e)
{
	const struct sw_bencode_token *t = &d->tok[idx];
	const uint8_t *p;
	size_t n;
	int64_t v;
	uint32_t i = idx + 1, k;

	switch (t->type) {
	case SW_BENCODE_INT:
		if (sw_bencode_get_int(d, idx, &v) != 0)
			abort();
		sw_bencode_enc_int(e, v);
		break;
	case SW_BENCODE_STR:
		if (sw_bencode_get_str(d, idx, &p, &n) != 0)
			abort();
		sw_bencode_enc_str(e, p, n);
		break;
	case SW_BENCODE_LIST:
	case SW_BENCODE_DICT:
		if (t->type == SW_BENCODE_LIST)
			sw_bencode_enc_list(e);
		else
			sw_bencode_enc_dict(e);
		k = t->type == SW_BENCODE_DICT ? 2 * t->count : t->count;
		while (k-- > 0)
			i = reencode(d, i, e);
		if (i != t->next)
			abort();
		sw_bencode_enc_end(e);
		break;
	default:
		abort();
	}
	return t->next;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sw_bencode_token tok[MAXTOK], tok2[MAXTOK];
	struct sw_bencode_doc doc, doc2;
	struct sw_bencode_error err;
	struct sw_bencode_enc enc;
	struct sw_buf out;
	int rc;

	rc = sw_bencode_decode(data, size, tok, MAXTOK, 0, &doc, &err);
	if (rc != SW_OK && rc != SW_E_TRAILING) {
		if (err.offset > size || err.what == NULL)
			abort();
		return 0;
	}
	for (uint32_t i = 0; i < doc.ntok; i++) {
		if (tok[i].end > size || tok[i].start >= tok[i].end || tok[i].next <= i ||
		    tok[i].next > doc.ntok)
			abort();
	}
	/* Re-encoding succeeds unless the input had duplicate keys. */
	sw_buf_init(&out, 1u << 24);
	sw_bencode_enc_init(&enc, &out);
	reencode(&doc, 0, &enc);
	rc = sw_bencode_enc_finish(&enc);
	if (rc == SW_OK) {
		if (sw_bencode_decode(out.data, out.len, tok2, MAXTOK, SW_BENCODE_SORTED, &doc2,
				      &err) != SW_OK)
			abort();
		if (doc2.ntok != doc.ntok)
			abort();
	} else if (rc != SW_E_INVALID) {
		abort();
	}
	sw_buf_deinit(&out);
	return 0;
}
