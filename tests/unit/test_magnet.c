/*
 * test_magnet.c - magnet URIs: btih in hex and base32, btmh, dn, tr, x.pe,
 * percent-decoding, and the hostile spellings.
 *
 * The hashes are those of tests/fixtures/metainfo/ (see test_metainfo.c);
 * the base32 forms were computed with Python's base64.b32encode and checked
 * against lt.parse_magnet_uri (python3-libtorrent 2.0.8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/hex.h"
#include "proto/magnet.h"

#define V1_HEX  "039fcfcea37059cddd18747dab4f564e2ba8481d"
#define V1_B32  "AOP47TVDOBM43XIYOR62WT2WJYV2QSA5" /* the same hash */
#define HY_V1   "5f628541419438fdbe2959ccbe41fa0358eced3c"
#define HY_V2   "ef0497efa1bc212651c97947b145352349cbfa923f42d56761b72901dd3ab1a6"
#define BTMH_HY "1220" HY_V2

static struct sw_magnet *ok(const char *uri)
{
	struct sw_magnet *m = NULL;
	struct sw_errbuf eb = {{0}};
	int rc = sw_magnet_parse(uri, strlen(uri), &m, &eb);

	if (rc != SW_OK)
		fail_msg("%s: %d %s", uri, rc, eb.msg);
	assert_non_null(m);
	return m;
}

static void bad(const char *uri, int code, const char *msg)
{
	struct sw_magnet *m = (struct sw_magnet *)&m; /* must be reset to NULL */
	struct sw_errbuf eb = {{0}};
	int rc = sw_magnet_parse(uri, strlen(uri), &m, &eb);

	if (rc != code || strstr(eb.msg, msg) == NULL)
		fail_msg("%s\n  got %d '%s', want %d '%s'", uri, rc, eb.msg, code, msg);
	assert_null(m);
}

static void assert_hex(const uint8_t *h, size_t n, const char *want)
{
	char hex[2 * SW_INFOHASH_V2_LEN + 1];

	sw_hex_encode(h, n, hex);
	assert_string_equal(hex, want);
}

static void test_btih_hex_and_base32(void **state)
{
	struct sw_magnet *m;
	uint8_t id[SW_INFOHASH_LEN];

	(void)state;
	m = ok("magnet:?xt=urn:btih:" V1_HEX);
	assert_true(m->has_v1);
	assert_false(m->has_v2);
	assert_hex(m->infohash_v1, SW_INFOHASH_LEN, V1_HEX);
	assert_null(m->name);
	assert_int_equal(m->num_trackers, 0);
	assert_int_equal(m->num_peers, 0);
	sw_magnet_swarm_id(m, id);
	assert_memory_equal(id, m->infohash_v1, SW_INFOHASH_LEN);
	sw_magnet_free(m);

	m = ok("magnet:?xt=urn:btih:" V1_B32);
	assert_hex(m->infohash_v1, SW_INFOHASH_LEN, V1_HEX);
	sw_magnet_free(m);

	/* case-insensitive scheme, names, URN and hex; lower-case base32 */
	m = ok("MAGNET:?XT=URN:BTIH:039FCFCEA37059CDDD18747DAB4F564E2BA8481D");
	assert_hex(m->infohash_v1, SW_INFOHASH_LEN, V1_HEX);
	sw_magnet_free(m);
	m = ok("magnet:?xt=urn:btih:aop47tvdobm43xiyor62wt2wjyv2qsa5");
	assert_hex(m->infohash_v1, SW_INFOHASH_LEN, V1_HEX);
	sw_magnet_free(m);

	/* a percent-escaped URN, numbered xt, other URNs ignored, a repeat (base32) */
	m = ok("magnet:?xt.1=urn:sha1:YNCKHTQCWBTRNJIV4WNAE52SJUQCZO5C"
	       "&xt.2=urn%3Abtih%3A" V1_HEX "&xt=urn:btih:" V1_B32);
	assert_hex(m->infohash_v1, SW_INFOHASH_LEN, V1_HEX);
	sw_magnet_free(m);

	/* two different btih: two swarms, refused rather than one picked */
	bad("magnet:?xt.1=urn:btih:" V1_HEX "&xt.2=urn:btih:" HY_V1, SW_E_UNSUPPORTED,
	    "two different btih hashes");
}

static void test_btmh(void **state)
{
	struct sw_magnet *m;
	uint8_t id[SW_INFOHASH_LEN];

	(void)state;
	m = ok("magnet:?xt=urn:btmh:" BTMH_HY);
	assert_false(m->has_v1);
	assert_true(m->has_v2);
	assert_hex(m->infohash_v2, SW_INFOHASH_V2_LEN, HY_V2);
	sw_magnet_swarm_id(m, id);
	assert_memory_equal(id, m->infohash_v2, SW_INFOHASH_LEN); /* v2 truncated */
	sw_magnet_free(m);

	/* hybrid: both topics, swarm id is the v1 hash */
	m = ok("magnet:?xt=urn:btih:" HY_V1 "&xt=urn:btmh:" BTMH_HY "&dn=Fury.2014");
	assert_true(m->has_v1 && m->has_v2);
	assert_hex(m->infohash_v1, SW_INFOHASH_LEN, HY_V1);
	assert_hex(m->infohash_v2, SW_INFOHASH_V2_LEN, HY_V2);
	sw_magnet_swarm_id(m, id);
	assert_memory_equal(id, m->infohash_v1, SW_INFOHASH_LEN);
	assert_string_equal(m->name, "Fury.2014");
	sw_magnet_free(m);

	bad("magnet:?xt=urn:btmh:1320" HY_V2 HY_V2, SW_E_UNSUPPORTED,
	    "unsupported btmh hash function 0x13");
	bad("magnet:?xt=urn:btmh:1220" HY_V1, SW_E_INVALID, "expected 68 hex characters");
	bad("magnet:?xt=urn:btmh:1210" HY_V2, SW_E_INVALID, "digest length must be 32, got 16");
	bad("magnet:?xt=urn:btmh:zz20" HY_V2, SW_E_INVALID, "invalid btmh hash");
	bad("magnet:?xt=urn:btmh:1220" HY_V1 "zzzzzzzzzzzzzzzzzzzzzzzz", SW_E_INVALID,
	    "not hexadecimal");
	bad("magnet:?xt=urn:btmh:", SW_E_INVALID, "invalid btmh hash");
	bad("magnet:?xt=urn:btmh:" BTMH_HY "&xt=urn:btmh:1220" V1_HEX "000000000000000000000000",
	    SW_E_UNSUPPORTED, "two different btmh hashes");
	m = ok("magnet:?xt=urn:btmh:" BTMH_HY "&xt.2=urn:btmh:" BTMH_HY);
	assert_hex(m->infohash_v2, SW_INFOHASH_V2_LEN, HY_V2);
	sw_magnet_free(m);
}

static void test_bad_hashes(void **state)
{
	(void)state;
	bad("magnet:?xt=urn:btih:039fcfcea37059cddd18747dab4f564e2ba8481", SW_E_INVALID,
	    "invalid btih hash: expected 40 hex or 32 base32 characters, got 39");
	bad("magnet:?xt=urn:btih:", SW_E_INVALID, "got 0");
	bad("magnet:?xt=urn:btih:039fcfcea37059cddd18747dab4f564e2ba8481g", SW_E_INVALID,
	    "invalid btih hash: not hexadecimal");
	bad("magnet:?xt=urn:btih:AOP47TVDOBM43XIYOR62WT2WJYV2QSA1", SW_E_INVALID,
	    "invalid btih hash: not base32");
	bad("magnet:?dn=x&tr=http://t/", SW_E_INVALID, "no xt=urn:btih or urn:btmh");
	bad("magnet:?xt=urn:sha1:YNCKHTQCWBTRNJIV4WNAE52SJUQCZO5C", SW_E_INVALID,
	    "no xt=urn:btih or urn:btmh");
	bad("magnet:?", SW_E_INVALID, "no xt=urn:btih or urn:btmh");
}

static void test_not_magnet(void **state)
{
	(void)state;
	bad("", SW_E_INVALID, "must start with 'magnet:?'");
	bad("magnet:", SW_E_INVALID, "must start with 'magnet:?'");
	bad("magnet:xt=urn:btih:" V1_HEX, SW_E_INVALID, "must start with 'magnet:?'");
	bad("http://example.com/?xt=urn:btih:" V1_HEX, SW_E_INVALID, "must start with 'magnet:?'");
	bad("magnet:?xt=urn:btih:" V1_HEX "\n", SW_E_INVALID, "control character at byte 60");
}

static void test_dn_and_percent(void **state)
{
	struct sw_magnet *m;

	(void)state;
	m = ok("magnet:?xt=urn:btih:" V1_HEX "&dn=%C3%9Cber+Annie%2b%20x&dn=second");
	assert_string_equal(m->name, "\xc3\x9c"
	                             "ber Annie+ x");
	sw_magnet_free(m);

	/* an empty dn is no name; parameters without '=' and empty segments pass */
	m = ok("magnet:?&xt=urn:btih:" V1_HEX "&&dn=&kt&ws=http://w/");
	assert_null(m->name);
	sw_magnet_free(m);

	bad("magnet:?xt=urn:btih:" V1_HEX "&dn=%zz", SW_E_INVALID, "bad percent-escape in 'dn'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&dn=ab%4", SW_E_INVALID, "bad percent-escape in 'dn'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&dn=ab%", SW_E_INVALID, "bad percent-escape in 'dn'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&tr=http%3", SW_E_INVALID, "bad percent-escape in 'tr'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&x.pe=1.2.3.4%3A%G1", SW_E_INVALID,
	    "bad percent-escape in 'x.pe'");
	bad("magnet:?xt=urn%btih:" V1_HEX, SW_E_INVALID, "bad percent-escape in 'xt'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&dn=a%00b", SW_E_INVALID,
	    "'dn' contains an escaped NUL byte");
}

static void test_trackers(void **state)
{
	struct sw_magnet *m;

	(void)state;
	m = ok("magnet:?xt=urn:btih:" V1_HEX "&tr=http%3A%2F%2Ft1%2Fannounce"
	       "&tr=udp://t2:6969&tr.1=http://t1/announce&TR.2=http://t3/a+b&tr=&tr=udp://t2:6969");
	assert_int_equal(m->num_trackers, 3);
	assert_string_equal(m->trackers[0], "http://t1/announce");
	assert_string_equal(m->trackers[1], "udp://t2:6969");
	assert_string_equal(m->trackers[2], "http://t3/a+b"); /* '+' kept in URLs */
	sw_magnet_free(m);
}

static void test_peers(void **state)
{
	struct sw_magnet *m;

	(void)state;
	m = ok("magnet:?xt=urn:btih:" V1_HEX
	       "&x.pe=10.0.0.1:6881&x.pe=%5B2001%3Adb8%3A%3A1%5D%3A51413"
	       "&x.pe=peer.example:1&x.pe=10.0.0.1:6881&x.pe.1=[::1]:65535");
	assert_int_equal(m->num_peers, 4);
	assert_string_equal(m->peers[0], "10.0.0.1:6881");
	assert_string_equal(m->peers[1], "[2001:db8::1]:51413");
	assert_string_equal(m->peers[2], "peer.example:1");
	assert_string_equal(m->peers[3], "[::1]:65535");
	sw_magnet_free(m);

	bad("magnet:?xt=urn:btih:" V1_HEX "&x.pe=10.0.0.1", SW_E_INVALID,
	    "invalid 'x.pe' value '10.0.0.1': expected host:port");
	bad("magnet:?xt=urn:btih:" V1_HEX "&x.pe=10.0.0.1:0", SW_E_INVALID, "invalid 'x.pe'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&x.pe=10.0.0.1:65536", SW_E_INVALID, "invalid 'x.pe'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&x.pe=:80", SW_E_INVALID, "invalid 'x.pe'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&x.pe=2001:db8::1:80", SW_E_INVALID, "invalid 'x.pe'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&x.pe=[]:80", SW_E_INVALID, "invalid 'x.pe'");
	bad("magnet:?xt=urn:btih:" V1_HEX "&x.pe=h:8a", SW_E_INVALID, "invalid 'x.pe'");
}

static void test_caps(void **state)
{
	struct sw_magnet *m = NULL;
	struct sw_errbuf eb;
	size_t cap = SW_MAGNET_MAX_LEN + 64, n;
	char *uri = malloc(cap);

	(void)state;
	assert_non_null(uri);
	/* exactly SW_MAGNET_MAX_TRACKERS distinct trackers are fine, one more is not */
	n = (size_t)snprintf(uri, cap, "magnet:?xt=urn:btih:%s", V1_HEX);
	for (int i = 0; i < SW_MAGNET_MAX_TRACKERS; i++)
		n += (size_t)snprintf(uri + n, cap - n, "&tr=udp://t%d:1", i);
	assert_int_equal(sw_magnet_parse(uri, n, &m, &eb), SW_OK);
	assert_int_equal(m->num_trackers, SW_MAGNET_MAX_TRACKERS);
	sw_magnet_free(m);
	n += (size_t)snprintf(uri + n, cap - n, "&tr=udp://one-more:1");
	assert_int_equal(sw_magnet_parse(uri, n, &m, &eb), SW_E_TOO_BIG);
	assert_null(m);
	assert_non_null(strstr(eb.msg, "more than 256 'tr' parameters"));

	/* the length cap */
	memset(uri, 'a', cap);
	memcpy(uri, "magnet:?dn=", 11);
	assert_int_equal(sw_magnet_parse(uri, SW_MAGNET_MAX_LEN + 1, &m, &eb), SW_E_TOO_BIG);
	assert_null(m);

	/* a length argument shorter than the string: only len bytes count */
	assert_int_equal(sw_magnet_parse("magnet:?xt=urn:btih:" V1_HEX "ff", 60, &m, &eb), SW_OK);
	sw_magnet_free(m);
	sw_magnet_free(NULL);
	free(uri);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_btih_hex_and_base32),
	    cmocka_unit_test(test_btmh),
	    cmocka_unit_test(test_bad_hashes),
	    cmocka_unit_test(test_not_magnet),
	    cmocka_unit_test(test_dn_and_percent),
	    cmocka_unit_test(test_trackers),
	    cmocka_unit_test(test_peers),
	    cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
