/* test_bencode.c - the strict decoder, getters, spans and canonical encoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "proto/bencode.h"

#define MAXTOK 256

struct decoded {
	struct sw_bencode_token tok[MAXTOK];
	struct sw_bencode_doc doc;
	struct sw_bencode_error err;
	int rc;
};

static struct decoded *dec(const char *s, unsigned flags)
{
	static struct decoded d;

	memset(&d, 0, sizeof(d));
	d.rc = sw_bencode_decode((const uint8_t *)s, strlen(s), d.tok, MAXTOK, flags, &d.doc,
				 &d.err);
	return &d;
}

static void expect_error(const char *s, int code, size_t offset, const char *what)
{
	struct decoded *d = dec(s, 0);

	if (d->rc != code || d->err.offset != offset || strcmp(d->err.what, what) != 0)
		fail_msg("'%s': got rc %d offset %zu '%s', want %d %zu '%s'", s, d->rc,
			 d->err.offset, d->err.what ? d->err.what : "", code, offset, what);
}

static void test_scalars(void **state)
{
	int64_t v;
	const uint8_t *p;
	size_t n;
	struct decoded *d;

	(void)state;
	d = dec("i42e", 0);
	assert_int_equal(d->rc, SW_OK);
	assert_int_equal(d->doc.ntok, 1);
	assert_int_equal(sw_bencode_get_int(&d->doc, 0, &v), SW_OK);
	assert_int_equal(v, 42);
	assert_int_equal(sw_bencode_get_str(&d->doc, 0, &p, &n), SW_E_TYPE);

	d = dec("i0e", 0);
	assert_int_equal(d->rc, SW_OK);
	d = dec("i-7e", 0);
	assert_int_equal(sw_bencode_get_int(&d->doc, 0, &v), SW_OK);
	assert_int_equal(v, -7);

	d = dec("i9223372036854775807e", 0);
	assert_int_equal(sw_bencode_get_int(&d->doc, 0, &v), SW_OK);
	assert_true(v == INT64_MAX);
	d = dec("i-9223372036854775808e", 0);
	assert_int_equal(sw_bencode_get_int(&d->doc, 0, &v), SW_OK);
	assert_true(v == INT64_MIN);

	d = dec("4:spam", 0);
	assert_int_equal(d->rc, SW_OK);
	assert_int_equal(sw_bencode_get_str(&d->doc, 0, &p, &n), SW_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "spam", 4);
	d = dec("0:", 0);
	assert_int_equal(d->rc, SW_OK);
	assert_int_equal(d->tok[0].count, 0);
}

static void test_containers(void **state)
{
	struct decoded *d;
	int64_t v, idx;
	const uint8_t *p;
	size_t n;
	uint32_t l;

	(void)state;
	d = dec("d3:cow3:moo4:spaml1:a1:bee", 0);
	assert_int_equal(d->rc, SW_OK);
	assert_int_equal(d->doc.ntok, 7);
	assert_int_equal(d->tok[0].type, SW_BENCODE_DICT);
	assert_int_equal(d->tok[0].count, 2);
	assert_int_equal(d->tok[0].next, 7);
	assert_int_equal(d->tok[4].type, SW_BENCODE_LIST);
	assert_int_equal(d->tok[4].count, 2);
	assert_int_equal(d->tok[4].next, 7);

	assert_int_equal(sw_bencode_dict_get_str(&d->doc, 0, "cow", &p, &n), SW_OK);
	assert_memory_equal(p, "moo", 3);
	assert_int_equal(sw_bencode_dict_get_list(&d->doc, 0, "spam", &l), SW_OK);
	assert_int_equal(l, 4);
	assert_int_equal(sw_bencode_dict_get_dict(&d->doc, 0, "spam", &l), SW_E_TYPE);
	assert_int_equal(sw_bencode_dict_get_int(&d->doc, 0, "cow", &v), SW_E_TYPE);
	assert_int_equal(sw_bencode_dict_get_int(&d->doc, 0, "nope", &v), SW_E_NOT_FOUND);
	idx = sw_bencode_dict_find(&d->doc, 4, "x");
	assert_int_equal(idx, SW_E_TYPE);

	/* Spans are the exact input bytes. */
	sw_bencode_span(&d->doc, 4, &p, &n);
	assert_int_equal(n, strlen("l1:a1:be"));
	assert_memory_equal(p, "l1:a1:be", n);

	d = dec("le", 0);
	assert_int_equal(d->rc, SW_OK);
	assert_int_equal(d->tok[0].count, 0);
	d = dec("de", 0);
	assert_int_equal(d->rc, SW_OK);
	d = dec("lllleeee", 0);
	assert_int_equal(d->rc, SW_OK);
	assert_int_equal(d->doc.ntok, 4);
	assert_int_equal(d->tok[1].next, 4);
}

static void test_lookup_skips_nested_values(void **state)
{
	struct decoded *d;
	int64_t v;

	(void)state;
	/* The key "b" inside the nested dict must not be found at top level. */
	d = dec("d1:ad1:bi1ee1:ci2ee", 0);
	assert_int_equal(d->rc, SW_OK);
	assert_int_equal(sw_bencode_dict_get_int(&d->doc, 0, "b", &v), SW_E_NOT_FOUND);
	assert_int_equal(sw_bencode_dict_get_int(&d->doc, 0, "c", &v), SW_OK);
	assert_int_equal(v, 2);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", SW_E_NEED_MORE, 0, "empty input");
	expect_error("i01e", SW_E_INVALID, 1, "integer with leading zero");
	expect_error("i-0e", SW_E_INVALID, 0, "negative zero");
	expect_error("ie", SW_E_INVALID, 1, "integer has no digits");
	expect_error("i-e", SW_E_INVALID, 2, "integer has no digits");
	expect_error("i+1e", SW_E_INVALID, 1, "integer has no digits");
	expect_error("i12", SW_E_NEED_MORE, 3, "input ends inside a value");
	expect_error("i1x", SW_E_INVALID, 2, "integer not terminated by 'e'");
	expect_error("i9223372036854775808e", SW_E_RANGE, 0, "integer overflows 64 bits");
	expect_error("i-9223372036854775809e", SW_E_RANGE, 0, "integer overflows 64 bits");
	expect_error("i1000000000000000000000000000000000000000000000000000000000000000000000000"
		     "000000000000000000000000000e",
		     SW_E_RANGE, 0, "integer overflows 64 bits");
	expect_error("05:hello", SW_E_INVALID, 0, "string length with leading zero");
	expect_error("5:hell", SW_E_NEED_MORE, 0, "string length exceeds input");
	expect_error("9223372036854775808:x", SW_E_TOO_BIG, 0, "string length too large");
	expect_error("4294967296:x", SW_E_TOO_BIG, 0, "string length too large");
	expect_error("5hello", SW_E_INVALID, 1, "string length not followed by ':'");
	expect_error("l", SW_E_NEED_MORE, 1, "input ends inside a value");
	expect_error("di1ei2ee", SW_E_INVALID, 1, "dict key is not a string");
	expect_error("d1:ae", SW_E_INVALID, 4, "dict key without value");
	expect_error("x", SW_E_INVALID, 0, "unexpected character");
	expect_error("e", SW_E_INVALID, 0, "unexpected character");
	expect_error("i1ei2e", SW_E_TRAILING, 3, "trailing bytes after value");
	expect_error("l1:ae ", SW_E_TRAILING, 5, "trailing bytes after value");
}

static void test_trailing_keeps_tokens(void **state)
{
	struct decoded *d = dec("i1ejunk", 0);
	int64_t v;

	(void)state;
	assert_int_equal(d->rc, SW_E_TRAILING);
	assert_int_equal(d->doc.ntok, 1);
	assert_int_equal(sw_bencode_get_int(&d->doc, 0, &v), SW_OK);
	assert_int_equal(v, 1);
}

static void test_depth_and_token_caps(void **state)
{
	size_t n = 100000;
	char *s = malloc(2 * n + 1);
	struct decoded *d;
	struct sw_bencode_token tok[3];
	struct sw_bencode_doc doc;
	struct sw_bencode_error err;

	(void)state;
	memset(s, 'l', n);
	memset(s + n, 'e', n);
	s[2 * n] = 0;
	d = dec(s, 0);
	assert_int_equal(d->rc, SW_E_TOO_BIG);
	assert_string_equal(d->err.what, "nesting too deep");
	assert_int_equal(d->err.offset, SW_BENCODE_MAX_DEPTH);
	free(s);

	assert_int_equal(sw_bencode_decode((const uint8_t *)"li1ei2ei3ee", 11, tok, 3, 0, &doc,
					   &err),
			 SW_E_TOO_BIG);
	assert_string_equal(err.what, "too many values");
	assert_int_equal(err.offset, 7);
	assert_int_equal(sw_bencode_decode((const uint8_t *)"li1ei2ee", 8, tok, 3, 0, &doc, &err),
			 SW_OK);
}

static void test_sorted_flag(void **state)
{
	(void)state;
	assert_int_equal(dec("d1:ai1e1:bi2ee", SW_BENCODE_SORTED)->rc, SW_OK);
	assert_int_equal(dec("d1:ai1e2:aai2ee", SW_BENCODE_SORTED)->rc, SW_OK);
	assert_int_equal(dec("d1:bi1e1:ai2ee", SW_BENCODE_SORTED)->rc, SW_E_INVALID);
	assert_int_equal(dec("d1:ai1e1:ai2ee", SW_BENCODE_SORTED)->rc, SW_E_INVALID);
	/* Unsorted is accepted without the flag (real torrents do it). */
	assert_int_equal(dec("d1:bi1e1:ai2ee", 0)->rc, SW_OK);
	/* Sorting is per dict: nested dicts keep their own last key. */
	assert_int_equal(dec("d1:ad1:zi1ee1:bd1:ai1eee", SW_BENCODE_SORTED)->rc, SW_OK);
}

static void test_binary_strings(void **state)
{
	static const uint8_t in[] = {'3', ':', 0, 'e', 0xff};
	struct sw_bencode_token tok[2];
	struct sw_bencode_doc doc;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(sw_bencode_decode(in, sizeof(in), tok, 2, 0, &doc, NULL), SW_OK);
	assert_int_equal(sw_bencode_get_str(&doc, 0, &p, &n), SW_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(p, in + 2, 3);
}

static void test_encoder_canonical(void **state)
{
	static const char want[] = "d1:al1:xd2:k1i1e2:k2i2eee2:aa2:\0\0012:zzi-3ee";
	struct sw_buf out;
	struct sw_bencode_enc e;

	(void)state;
	sw_buf_init(&out, 1 << 20);
	sw_bencode_enc_init(&e, &out);
	sw_bencode_enc_dict(&e);
	sw_bencode_enc_cstr(&e, "zz");
	sw_bencode_enc_int(&e, -3);
	sw_bencode_enc_cstr(&e, "a");
	sw_bencode_enc_list(&e);
	sw_bencode_enc_cstr(&e, "x");
	sw_bencode_enc_dict(&e);
	sw_bencode_enc_cstr(&e, "k2");
	sw_bencode_enc_int(&e, 2);
	sw_bencode_enc_cstr(&e, "k1");
	sw_bencode_enc_int(&e, 1);
	sw_bencode_enc_end(&e);
	sw_bencode_enc_end(&e);
	sw_bencode_enc_cstr(&e, "aa");
	sw_bencode_enc_str(&e, "\0\1", 2);
	sw_bencode_enc_end(&e);
	assert_int_equal(sw_bencode_enc_finish(&e), SW_OK);
	assert_int_equal(out.len, sizeof(want) - 1);
	assert_memory_equal(out.data, want, out.len);
	/* The output is canonical by the decoder's strictest standard. */
	{
		struct sw_bencode_token tok[16];
		struct sw_bencode_doc doc;

		assert_int_equal(sw_bencode_decode(out.data, out.len, tok, 16, SW_BENCODE_SORTED,
						   &doc, NULL),
				 SW_OK);
	}
	sw_buf_deinit(&out);
}

static void test_encoder_errors(void **state)
{
	struct sw_buf out;
	struct sw_bencode_enc e;

	(void)state;
	sw_buf_init(&out, 1 << 20);
	sw_bencode_enc_init(&e, &out);
	sw_bencode_enc_dict(&e);
	sw_bencode_enc_cstr(&e, "a");
	sw_bencode_enc_int(&e, 1);
	sw_bencode_enc_cstr(&e, "a");
	sw_bencode_enc_int(&e, 2);
	sw_bencode_enc_end(&e);
	assert_int_equal(sw_bencode_enc_finish(&e), SW_E_INVALID); /* duplicate key */

	sw_buf_reset(&out);
	sw_bencode_enc_init(&e, &out);
	sw_bencode_enc_dict(&e);
	sw_bencode_enc_int(&e, 1); /* key must be a string */
	sw_bencode_enc_int(&e, 2);
	sw_bencode_enc_end(&e);
	assert_int_equal(sw_bencode_enc_finish(&e), SW_E_INVALID);

	sw_buf_reset(&out);
	sw_bencode_enc_init(&e, &out);
	sw_bencode_enc_list(&e);
	assert_int_equal(sw_bencode_enc_finish(&e), SW_E_INVALID); /* left open */
	sw_buf_deinit(&out);

	/* The output cap holds. */
	sw_buf_init(&out, 4);
	sw_bencode_enc_init(&e, &out);
	sw_bencode_enc_cstr(&e, "hello");
	assert_int_equal(sw_bencode_enc_finish(&e), SW_E_TOO_BIG);
	sw_buf_deinit(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_lookup_skips_nested_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_trailing_keeps_tokens),
		cmocka_unit_test(test_depth_and_token_caps),
		cmocka_unit_test(test_sorted_flag),
		cmocka_unit_test(test_binary_strings),
		cmocka_unit_test(test_encoder_canonical),
		cmocka_unit_test(test_encoder_errors),
	};
	return cmocka_run_group_tests_name("bencode", tests, NULL, NULL);
}
