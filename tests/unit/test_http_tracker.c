/*
 * test_http_tracker.c - announce and scrape URLs (BEP 3, 48), announce
 * replies (compact BEP 23, BEP 3 peer lists, BEP 7 peers6), scrape replies,
 * the errors for non-bencode and malformed replies, and real opentracker
 * replies (tests/fixtures/trackers/, see README.md).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "proto/http_tracker.h"

#define FIXTURES SW_SOURCE_DIR "/tests/fixtures/trackers/"
#define URL_MAX  4096

static struct sw_bencode_token tok[SW_HTTPT_TOKENS];

static void load(const char *name, struct sw_buf *b)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
	sw_buf_init(b, 1 << 16);
	if (sw_buf_read_file(b, path) != SW_OK)
		fail_msg("cannot read fixture %s", path);
}

/* --- URLs ------------------------------------------------------------------ */

static void test_urlencode_all_bytes(void **state)
{
	uint8_t all[256];
	char want[3 * 256 + 1], *w = want;
	struct sw_buf b;
	size_t i;

	(void)state;
	for (i = 0; i < 256; i++) {
		all[i] = (uint8_t)i;
		if ((i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') || (i >= '0' && i <= '9') ||
		    i == '-' || i == '.' || i == '_' || i == '~')
			*w++ = (char)i;
		else
			w += sprintf(w, "%%%02X", (unsigned)i);
	}
	*w = 0;
	sw_buf_init(&b, URL_MAX);
	assert_int_equal(sw_httpt_urlencode(&b, all, sizeof(all)), SW_OK);
	assert_string_equal((char *)b.data, want);
	assert_int_equal(b.len, 3 * 256 - 2 * 66); /* 66 unreserved characters */
	sw_buf_deinit(&b);
}

static void fill_req(struct sw_httpt_announce_req *r, const char *url)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->announce_url = url;
	for (i = 0; i < SW_INFOHASH_LEN; i++)
		r->infohash[i] = (uint8_t)(i * 13);
	memcpy(r->peer_id, "-SW0001-ab~d.f_h-j k", SW_PEER_ID_LEN);
	r->port = 6881;
	r->uploaded = 1;
	r->downloaded = 22;
	r->left = 1234567890123ULL;
	r->event = SW_HTTPT_EVENT_STARTED;
	r->numwant = 50;
	r->key = 0xbadcafe;
}

#define IH_ENC  "%00%0D%1A%274AN%5Bhu%82%8F%9C%A9%B6%C3%D0%DD%EA%F7"
#define PID_ENC "-SW0001-ab~d.f_h-j%20k"
#define QUERY                                                                                      \
	"info_hash=" IH_ENC "&peer_id=" PID_ENC "&port=6881&uploaded=1&downloaded=22"              \
	"&left=1234567890123&compact=1"

static void expect_announce(const struct sw_httpt_announce_req *r, const char *want)
{
	struct sw_buf b;

	sw_buf_init(&b, URL_MAX);
	assert_int_equal(sw_httpt_announce_url(&b, r), SW_OK);
	assert_string_equal((char *)b.data, want);
	sw_buf_deinit(&b);
}

static void test_announce_url(void **state)
{
	struct sw_httpt_announce_req r;
	static const uint8_t tid[] = {'a', '/', 0xff, 'z'};

	(void)state;
	fill_req(&r, "http://t.example:6969/announce");
	expect_announce(&r, "http://t.example:6969/announce?" QUERY
	                    "&numwant=50&key=0badcafe&event=started&no_peer_id=1");

	/* A passkey query: join with '&'; a fragment is dropped. */
	fill_req(&r, "https://t.example/announce.php?passkey=abc#frag");
	r.event = SW_HTTPT_EVENT_NONE;
	r.numwant = SW_HTTPT_NUMWANT_DEFAULT;
	r.tracker_id = tid;
	r.tracker_id_len = sizeof(tid);
	expect_announce(&r, "https://t.example/announce.php?passkey=abc&" QUERY
	                    "&key=0badcafe&trackerid=a%2F%FFz&no_peer_id=1");

	/* A URL that ends in '?' or '&' needs no separator. */
	fill_req(&r, "HTTP://t/a?");
	r.event = SW_HTTPT_EVENT_STOPPED;
	expect_announce(&r,
	                "HTTP://t/a?" QUERY "&numwant=50&key=0badcafe&event=stopped&no_peer_id=1");
	fill_req(&r, "http://t/a?x=1&");
	r.event = SW_HTTPT_EVENT_COMPLETED;
	expect_announce(&r, "http://t/a?x=1&" QUERY
	                    "&numwant=50&key=0badcafe&event=completed&no_peer_id=1");
}

static void test_announce_url_errors(void **state)
{
	struct sw_httpt_announce_req r;
	struct sw_buf b;
	size_t cap;

	(void)state;
	sw_buf_init(&b, URL_MAX);
	fill_req(&r, "udp://t:80/announce");
	assert_int_equal(sw_httpt_announce_url(&b, &r), SW_E_INVALID);
	fill_req(&r, "http://t/announce");
	r.event = 9;
	assert_int_equal(sw_httpt_announce_url(&b, &r), SW_E_INVALID);
	sw_buf_deinit(&b);

	/* Any cap short of the full URL fails and leaves the buffer as it was. */
	fill_req(&r, "http://t/announce");
	for (cap = 5; cap < 200; cap += 7) {
		sw_buf_init(&b, cap);
		assert_int_equal(sw_buf_puts(&b, "pre"), SW_OK);
		assert_int_equal(sw_httpt_announce_url(&b, &r), SW_E_TOO_BIG);
		assert_int_equal(b.len, 3);
		assert_string_equal((char *)b.data, "pre");
		sw_buf_deinit(&b);
	}
}

static void expect_scrape(const char *announce, int rc, const char *want)
{
	struct sw_buf b;
	int got;

	sw_buf_init(&b, URL_MAX);
	got = sw_httpt_scrape_url(&b, announce, NULL, 0);
	if (got != rc)
		fail_msg("%s: rc %d, want %d", announce, got, rc);
	if (rc == SW_OK)
		assert_string_equal((char *)b.data, want);
	else
		assert_int_equal(b.len, 0);
	sw_buf_deinit(&b);
}

static void test_scrape_url(void **state)
{
	uint8_t hashes[2 * SW_INFOHASH_LEN];
	struct sw_buf b;

	(void)state;
	expect_scrape("http://t.example/announce", SW_OK, "http://t.example/scrape");
	expect_scrape("http://t.example:80/announce.php?passkey=x", SW_OK,
	              "http://t.example:80/scrape.php?passkey=x");
	expect_scrape("http://t/x/announce", SW_OK, "http://t/x/scrape");
	expect_scrape("http://t/announce_secure?a=b/announce", SW_OK,
	              "http://t/scrape_secure?a=b/announce");
	expect_scrape("https://t/announce#top", SW_OK, "https://t/scrape");
	expect_scrape("http://t/a/announce/", SW_E_UNSUPPORTED, NULL);
	expect_scrape("http://t/ann", SW_E_UNSUPPORTED, NULL);
	expect_scrape("http://t/announce/x", SW_E_UNSUPPORTED, NULL);
	expect_scrape("http://t/x/Announce", SW_E_UNSUPPORTED, NULL);
	expect_scrape("http://t/", SW_E_UNSUPPORTED, NULL);
	expect_scrape("http://announce.example", SW_E_UNSUPPORTED, NULL);
	expect_scrape("http://announce.example?announce", SW_E_UNSUPPORTED, NULL);
	expect_scrape("udp://t/announce", SW_E_INVALID, NULL);

	memset(hashes, 'x', SW_INFOHASH_LEN);
	memset(hashes + SW_INFOHASH_LEN, 0xff, SW_INFOHASH_LEN);
	sw_buf_init(&b, URL_MAX);
	assert_int_equal(sw_httpt_scrape_url(&b, "http://t/announce", hashes, 2), SW_OK);
	assert_string_equal((char *)b.data,
	                    "http://t/scrape?info_hash=xxxxxxxxxxxxxxxxxxxx&info_hash="
	                    "%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF");
	sw_buf_reset(&b);
	assert_int_equal(sw_httpt_scrape_url(&b, "http://t/announce.php?pk=1", hashes, 1), SW_OK);
	assert_string_equal((char *)b.data,
	                    "http://t/scrape.php?pk=1&info_hash=xxxxxxxxxxxxxxxxxxxx");
	sw_buf_deinit(&b);
	sw_buf_init(&b, 40);
	assert_int_equal(sw_httpt_scrape_url(&b, "http://t/announce", hashes, 2), SW_E_TOO_BIG);
	assert_int_equal(b.len, 0);
	sw_buf_deinit(&b);
}

/* --- announce replies ------------------------------------------------------ */

struct reply {
	struct sw_httpt_announce a;
	struct sw_addr peers[16];
	struct sw_errbuf eb;
	int rc;
};

static struct reply *announce(const void *p, size_t n, size_t cap)
{
	static struct reply r;

	memset(&r, 0, sizeof(r));
	assert_true(cap <= 16);
	r.rc = sw_httpt_parse_announce(p, n, tok, SW_HTTPT_TOKENS, r.peers, cap, &r.a, &r.eb);
	return &r;
}

static struct reply *announce_s(const char *s)
{
	return announce(s, strlen(s), 16);
}

static void expect_peer(const struct reply *r, size_t i, const char *want)
{
	char s[SW_ADDR_STRLEN];

	assert_true(i < r->a.num_peers);
	sw_addr_str(&r->peers[i], s, sizeof(s));
	assert_string_equal(s, want);
}

static void expect_fail(const char *s, int rc, const char *msg)
{
	struct reply *r = announce_s(s);

	if (r->rc != rc || strcmp(r->eb.msg, msg) != 0)
		fail_msg("'%s': got %d '%s', want %d '%s'", s, r->rc, r->eb.msg, rc, msg);
}

static void test_compact(void **state)
{
	static const char body[] = "d8:completei5e10:incompletei3e8:intervali1800e"
	                           "12:min intervali900e5:peers12:\xc0\x00\x02\x01\x1a\xe1"
	                           "\xc6\x33\x64\x07\x00\x50"
	                           "6:peers618:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\xc8\xd5"
	                           "10:tracker id3:t-115:warning message4:slowe";
	struct reply *r = announce(body, sizeof(body) - 1, 16);

	(void)state;
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.interval, 1800);
	assert_int_equal(r->a.min_interval, 900);
	assert_int_equal(r->a.complete, 5);
	assert_int_equal(r->a.incomplete, 3);
	assert_int_equal(r->a.downloaded, -1);
	assert_true(r->a.compact);
	assert_int_equal(r->a.num_peers, 3);
	assert_int_equal(r->a.num_v4, 2);
	assert_int_equal(r->a.num_v6, 1);
	expect_peer(r, 0, "192.0.2.1:6881");
	expect_peer(r, 1, "198.51.100.7:80");
	expect_peer(r, 2, "[2001:db8::1]:51413");
	assert_int_equal(r->a.tracker_id_len, 3);
	assert_memory_equal(r->a.tracker_id, "t-1", 3);
	assert_int_equal(r->a.warning_len, 4);
	assert_memory_equal(r->a.warning, "slow", 4);
	assert_null(r->a.failure);
	/* Strings point into the body. */
	assert_true(r->a.warning > (const uint8_t *)body &&
	            r->a.warning < (const uint8_t *)body + sizeof(body));
}

static void test_capacity(void **state)
{
	static const char body[] = "d8:intervali60e5:peers18:\x01\x02\x03\x04\0\x01"
	                           "\x01\x02\x03\x05\0\x02\x01\x02\x03\x06\0\x03"
	                           "6:peers618:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\xc8\xd5"
	                           "e";
	struct reply *r;

	(void)state;
	r = announce(body, sizeof(body) - 1, 2);
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.num_peers, 2);
	assert_int_equal(r->a.dropped_capacity, 2);
	expect_peer(r, 1, "1.2.3.5:2");
	r = announce(body, sizeof(body) - 1, 0);
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.num_peers, 0);
	assert_int_equal(r->a.dropped_capacity, 4);
}

static void test_dict_peers(void **state)
{
	static const char body[] = "d8:intervali900e5:peersl"
	                           "d2:ip9:127.0.0.17:peer id20:-SW0001-aaaaaaaaaaaa4:porti6881ee"
	                           "d2:ip11:2001:db8::54:porti51413ee"
	                           "d2:ip7:[::ffe]4:porti1ee"
	                           "d2:ip19:tracker.example.com4:porti80ee" /* hostname: skipped */
	                           "d2:ip9:999.1.1.14:porti80ee"            /* invalid */
	                           "d2:ip7:1.2.3.44:porti65536ee"           /* port out of range */
	                           "d2:ip7:1.2.3.44:porti-1ee"
	                           "d4:porti80ee"              /* no ip */
	                           "d2:ip7:1.2.3.4e"           /* no port */
	                           "d2:ipi1e4:porti80ee"       /* ip not a string */
	                           "d2:ip7:1.2.3.44:port2:80e" /* port not an int */
	                           "i5e"                       /* not a dict */
	                           "d2:ip8:1.2.3.\x00"
	                           "44:porti0ee" /* embedded NUL */
	                           "d2:ip7:1.2.3.44:porti0ee"
	                           "ee";
	struct reply *r = announce(body, sizeof(body) - 1, 16);

	(void)state;
	assert_int_equal(r->rc, SW_OK);
	assert_false(r->a.compact);
	assert_int_equal(r->a.num_peers, 4);
	assert_int_equal(r->a.num_v4, 2);
	assert_int_equal(r->a.num_v6, 2);
	expect_peer(r, 0, "127.0.0.1:6881");
	expect_peer(r, 1, "[2001:db8::5]:51413");
	expect_peer(r, 2, "[::ffe]:1");
	expect_peer(r, 3, "1.2.3.4:0");
	assert_int_equal(r->a.dropped_hostname, 1);
	assert_int_equal(r->a.dropped_invalid, 9);
	assert_int_equal(r->a.dropped_capacity, 0);
}

static void test_peers6_list_and_empty(void **state)
{
	struct reply *r;

	(void)state;
	r = announce_s("d8:intervali1e6:peers6ld2:ip3:::14:porti2eeee");
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.num_v6, 1);
	expect_peer(r, 0, "[::1]:2");
	/* A v4-mapped peers6 entry counts as IPv4. */
	{
		static const char mapped[] =
		    "d6:peers618:\0\0\0\0\0\0\0\0\0\0\xff\xff\x01\x02\x03\x04\0\x07"
		    "e";

		r = announce(mapped, sizeof(mapped) - 1, 16);
	}
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.num_v4, 1);
	assert_int_equal(r->a.num_v6, 0);
	expect_peer(r, 0, "1.2.3.4:7");
	/* No peers at all is a valid reply; so is a reply with no interval. */
	r = announce_s("d8:intervali1e5:peers0:e");
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.num_peers, 0);
	assert_true(r->a.compact);
	r = announce_s("de");
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.interval, -1);
	assert_null(r->a.tracker_id);
	/* Bytes after the dictionary (a newline from a script) are ignored. */
	r = announce_s("d8:intervali7ee\r\n");
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.interval, 7);
}

static void test_failure(void **state)
{
	struct reply *r;

	(void)state;
	r = announce_s("d14:failure reason17:torrent not found8:intervali5ee");
	assert_int_equal(r->rc, SW_E_UNSUPPORTED);
	assert_int_equal(r->a.failure_len, 17);
	assert_memory_equal(r->a.failure, "torrent not found", 17);
	assert_string_equal(r->eb.msg, "tracker failure: torrent not found");
	assert_int_equal(r->a.interval, -1); /* nothing else is read */
	r = announce_s("d14:failure reason3:a\x01"
	               "be");
	assert_int_equal(r->rc, SW_E_UNSUPPORTED);
	assert_string_equal(r->eb.msg, "tracker failure: a?b");
	expect_fail("d14:failure reasoni1ee", SW_E_TYPE, "'failure reason' is not a string");
}

static void test_malformed(void **state)
{
	(void)state;
	expect_fail("<html><body>502 Bad Gateway</body></html>", SW_E_INVALID,
	            "reply is not bencode (starts with '<')");
	expect_fail("", SW_E_INVALID, "reply is empty");
	expect_fail("\x1f\x8b\x08", SW_E_INVALID, "reply is not bencode (starts with 0x1f)");
	expect_fail("li1ee", SW_E_INVALID, "reply is not a dictionary");
	expect_fail("4:spam", SW_E_INVALID, "reply is not a dictionary");
	expect_fail("d8:intervali1800e5:peers13:aaaaaabbbbbbce", SW_E_INVALID,
	            "compact peers length 13 is not a multiple of 6");
	expect_fail("d6:peers619:aaaaaaaaaaaaaaaaaaae", SW_E_INVALID,
	            "compact peers6 length 19 is not a multiple of 18");
	expect_fail("d8:interval4:1800e", SW_E_TYPE, "'interval' is not an integer");
	expect_fail("d8:intervali-5ee", SW_E_RANGE, "'interval' is negative (-5)");
	expect_fail("d8:completei-1ee", SW_E_RANGE, "'complete' is negative (-1)");
	expect_fail("d15:warning messagei1ee", SW_E_TYPE, "'warning message' is not a string");
	expect_fail("d5:peersi1ee", SW_E_TYPE, "'peers' is neither a string nor a list");
}

static void test_truncated_and_tokens(void **state)
{
	static const char body[] = "d8:intervali1800e5:peers12:aaaaaabbbbbbe";
	struct sw_httpt_announce a;
	struct sw_addr peers[4];
	struct sw_errbuf eb;
	struct reply *r;
	size_t n;

	(void)state;
	/* Every proper prefix is truncated, never a success. */
	for (n = 1; n < sizeof(body) - 1; n++) {
		r = announce(body, n, 16);
		if (r->rc != SW_E_NEED_MORE)
			fail_msg("prefix %zu: rc %d '%s'", n, r->rc, r->eb.msg);
	}
	r = announce(body, 20, 16);
	assert_string_equal(r->eb.msg, "reply is truncated bencode: string length exceeds input "
	                               "at byte 17");
	/* Too few tokens. */
	assert_int_equal(sw_httpt_parse_announce((const uint8_t *)body, sizeof(body) - 1, tok, 3,
	                                         peers, 4, &a, &eb),
	                 SW_E_TOO_BIG);
	assert_int_equal(sw_httpt_parse_announce((const uint8_t *)body, sizeof(body) - 1, tok, 5,
	                                         peers, 4, &a, NULL),
	                 SW_OK);
	assert_int_equal(a.num_peers, 2);
}

/* --- scrape replies -------------------------------------------------------- */

static void test_scrape_reply(void **state)
{
	static const char body[] =
	    "d5:filesd"
	    "20:xxxxxxxxxxxxxxxxxxxxd8:completei11e10:downloadedi13772e10:incompletei19ee"
	    "20:yyyyyyyyyyyyyyyyyyyyd8:completei21e10:downloadedi206e10:incompletei20ee"
	    "19:zzzzzzzzzzzzzzzzzzzd8:completei1ee"   /* key not 20 bytes */
	    "20:wwwwwwwwwwwwwwwwwwwwi5e"              /* value not a dict */
	    "20:vvvvvvvvvvvvvvvvvvvvd8:completei-1ee" /* negative */
	    "20:uuuuuuuuuuuuuuuuuuuude"               /* all absent */
	    "e5:flagsd20:min_request_intervali900eee";
	struct sw_httpt_scrape s;
	struct sw_httpt_scrape_entry e;
	struct sw_errbuf eb;
	uint8_t ih[SW_INFOHASH_LEN];
	uint32_t cursor = 0;
	int seen = 0;

	(void)state;
	assert_int_equal(sw_httpt_parse_scrape((const uint8_t *)body, sizeof(body) - 1, tok,
	                                       SW_HTTPT_TOKENS, &s, &eb),
	                 SW_OK);
	assert_int_equal(s.num_files, 3);
	assert_int_equal(s.num_invalid, 3);
	assert_int_equal(s.min_request_interval, 900);
	memset(ih, 'y', sizeof(ih));
	assert_int_equal(sw_httpt_scrape_lookup(&s, ih, &e), SW_OK);
	assert_int_equal(e.complete, 21);
	assert_int_equal(e.downloaded, 206);
	assert_int_equal(e.incomplete, 20);
	assert_memory_equal(e.infohash, ih, sizeof(ih));
	memset(ih, 'x', sizeof(ih));
	assert_int_equal(sw_httpt_scrape_lookup(&s, ih, &e), SW_OK);
	assert_int_equal(e.downloaded, 13772);
	memset(ih, 'u', sizeof(ih));
	assert_int_equal(sw_httpt_scrape_lookup(&s, ih, &e), SW_OK);
	assert_int_equal(e.complete, -1);
	memset(ih, 'w', sizeof(ih));
	assert_int_equal(sw_httpt_scrape_lookup(&s, ih, &e), SW_E_NOT_FOUND);
	memset(ih, 'v', sizeof(ih));
	assert_int_equal(sw_httpt_scrape_lookup(&s, ih, &e), SW_E_NOT_FOUND);
	memset(ih, 'q', sizeof(ih));
	assert_int_equal(sw_httpt_scrape_lookup(&s, ih, &e), SW_E_NOT_FOUND);

	while (sw_httpt_scrape_next(&s, &cursor, &e) == SW_OK) {
		assert_true(e.infohash[0] == 'x' || e.infohash[0] == 'y' || e.infohash[0] == 'u');
		seen++;
	}
	assert_int_equal(seen, 3);
	assert_int_equal(sw_httpt_scrape_next(&s, &cursor, &e), SW_E_NOT_FOUND);
}

static void test_scrape_reply_errors(void **state)
{
	struct sw_httpt_scrape s;
	struct sw_httpt_scrape_entry e;
	struct sw_errbuf eb;
	uint8_t ih[SW_INFOHASH_LEN] = {0};
	uint32_t cursor = 0;

#define SCRAPE(str)                                                                                \
	sw_httpt_parse_scrape((const uint8_t *)(str), strlen(str), tok, SW_HTTPT_TOKENS, &s, &eb)
	(void)state;
	assert_int_equal(SCRAPE("d14:failure reason6:no waye"), SW_E_UNSUPPORTED);
	assert_memory_equal(s.failure, "no way", 6);
	assert_int_equal(SCRAPE("<!DOCTYPE html>"), SW_E_INVALID);
	assert_string_equal(eb.msg, "reply is not bencode (starts with '<')");
	assert_int_equal(SCRAPE("le"), SW_E_INVALID);
	assert_string_equal(eb.msg, "reply is not a dictionary");
	assert_int_equal(SCRAPE("d5:filesli1eee"), SW_E_TYPE);
	/* No files at all; a malformed "flags" is ignored. */
	assert_int_equal(SCRAPE("d5:flagsd20:min_request_interval1:xee"), SW_OK);
	assert_int_equal(s.num_files, 0);
	assert_int_equal(s.min_request_interval, -1);
	assert_int_equal(sw_httpt_scrape_lookup(&s, ih, &e), SW_E_NOT_FOUND);
	assert_int_equal(sw_httpt_scrape_next(&s, &cursor, &e), SW_E_NOT_FOUND);
	assert_int_equal(SCRAPE("d5:filesdee"), SW_OK);
	assert_int_equal(sw_httpt_scrape_next(&s, &cursor, &e), SW_E_NOT_FOUND);
#undef SCRAPE
}

/* --- real replies from opentracker ----------------------------------------- */

static void test_fixture_announces(void **state)
{
	struct reply *r;
	struct sw_buf b;

	(void)state;
	load("http_announce_first.bin", &b);
	r = announce(b.data, b.len, 16);
	assert_int_equal(r->rc, SW_OK);
	assert_true(r->a.interval > 0 && r->a.min_interval > 0);
	assert_int_equal(r->a.complete, 0);
	assert_int_equal(r->a.incomplete, 1);
	assert_int_equal(r->a.downloaded, 0);
	assert_true(r->a.compact);
	assert_int_equal(r->a.num_peers, 1);
	expect_peer(r, 0, "127.0.0.11:6882"); /* the announcer itself */
	sw_buf_deinit(&b);

	load("http_announce_peers.bin", &b);
	r = announce(b.data, b.len, 16);
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.incomplete, 5);
	assert_int_equal(r->a.num_peers, 5);
	expect_peer(r, 0, "127.0.0.11:6882");
	expect_peer(r, 4, "127.0.0.15:6886");
	r = announce(b.data, b.len, 3);
	assert_int_equal(r->a.num_peers, 3);
	assert_int_equal(r->a.dropped_capacity, 2);
	sw_buf_deinit(&b);

	load("http_announce_stopped.bin", &b);
	r = announce(b.data, b.len, 16);
	assert_int_equal(r->rc, SW_OK);
	assert_int_equal(r->a.num_peers, 0);
	assert_int_equal(r->a.incomplete, 4);
	sw_buf_deinit(&b);

	load("http_announce_denied.bin", &b);
	r = announce(b.data, b.len, 16);
	assert_int_equal(r->rc, SW_E_UNSUPPORTED);
	assert_string_equal(r->eb.msg, "tracker failure: Requested download is not authorized "
	                               "for use with this tracker.");
	sw_buf_deinit(&b);
}

static void test_fixture_scrapes(void **state)
{
	struct sw_httpt_scrape s;
	struct sw_httpt_scrape_entry e;
	struct sw_buf b;
	uint8_t a[SW_INFOHASH_LEN],
	    bh[SW_INFOHASH_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
	                           0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67};

	(void)state;
	memset(a, 0xaa, sizeof(a));
	load("http_scrape_two.bin", &b);
	assert_int_equal(sw_httpt_parse_scrape(b.data, b.len, tok, SW_HTTPT_TOKENS, &s, NULL),
	                 SW_OK);
	assert_int_equal(s.num_files, 2);
	assert_int_equal(sw_httpt_scrape_lookup(&s, a, &e), SW_OK);
	assert_int_equal(e.complete, 0);
	assert_int_equal(e.incomplete, 6); /* four HTTP leechers and two UDP ones */
	assert_int_equal(e.downloaded, 0);
	assert_int_equal(sw_httpt_scrape_lookup(&s, bh, &e), SW_OK);
	assert_int_equal(e.incomplete, 1);
	sw_buf_deinit(&b);

	load("http_scrape_unknown.bin", &b);
	assert_int_equal(sw_httpt_parse_scrape(b.data, b.len, tok, SW_HTTPT_TOKENS, &s, NULL),
	                 SW_OK);
	assert_int_equal(s.num_files, 0);
	assert_int_equal(sw_httpt_scrape_lookup(&s, a, &e), SW_E_NOT_FOUND);
	sw_buf_deinit(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_urlencode_all_bytes),
	    cmocka_unit_test(test_announce_url),
	    cmocka_unit_test(test_announce_url_errors),
	    cmocka_unit_test(test_scrape_url),
	    cmocka_unit_test(test_compact),
	    cmocka_unit_test(test_capacity),
	    cmocka_unit_test(test_dict_peers),
	    cmocka_unit_test(test_peers6_list_and_empty),
	    cmocka_unit_test(test_failure),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_truncated_and_tokens),
	    cmocka_unit_test(test_scrape_reply),
	    cmocka_unit_test(test_scrape_reply_errors),
	    cmocka_unit_test(test_fixture_announces),
	    cmocka_unit_test(test_fixture_scrapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
