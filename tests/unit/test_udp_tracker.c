/*
 * test_udp_tracker.c - BEP 15 / BEP 41 request builders (byte-exact against
 * hand-assembled packets), the response parser's checks and drop codes,
 * and real opentracker replies (tests/fixtures/trackers/, see README.md).
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

#include <arpa/inet.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "proto/udp_tracker.h"

#define FIXTURES SW_SOURCE_DIR "/tests/fixtures/trackers/"

static void load(const char *name, struct sw_buf *b)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
	sw_buf_init(b, 1 << 16);
	if (sw_buf_read_file(b, path) != SW_OK)
		fail_msg("cannot read fixture %s", path);
}

static void test_connect_request(void **state)
{
	static const uint8_t want[] = {0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, /* magic */
	                               0x00, 0x00, 0x00, 0x00,                         /* connect */
	                               0xde, 0xad, 0xbe, 0xef};                        /* txid */
	uint8_t out[SW_UDPT_CONNECT_REQ_LEN];

	(void)state;
	assert_int_equal(sw_udpt_build_connect(out, sizeof(out), 0xdeadbeef), 16);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(sw_udpt_build_connect(out, 15, 1), SW_E_TOO_BIG);
}

static void fill_announce(struct sw_udpt_announce_req *r)
{
	memset(r, 0, sizeof(*r));
	r->connection_id = 0x0102030405060708ULL;
	r->txid = 0x0a0b0c0d;
	memset(r->infohash, 0x11, sizeof(r->infohash));
	memcpy(r->peer_id, "-SW0001-abcdefghijkl", SW_PEER_ID_LEN);
	r->downloaded = 0x100;
	r->left = 0x123456789aULL;
	r->uploaded = 2;
	r->event = SW_UDPT_EVENT_STARTED;
	r->key = 0xcafef00d;
	r->num_want = SW_UDPT_NUM_WANT_DEFAULT;
	r->port = 6881;
}

/* The 98-byte announce of fill_announce(), laid out as in BEP 15. */
static const uint8_t ANNOUNCE_98[] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,             /* 0: connection_id */
    0x00, 0x00, 0x00, 0x01,                                     /* 8: action announce */
    0x0a, 0x0b, 0x0c, 0x0d,                                     /* 12: transaction_id */
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, /* 16: info_hash */
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    '-',  'S',  'W',  '0',  '0',  '0',  '1',  '-',  'a',  'b', /* 36: peer_id */
    'c',  'd',  'e',  'f',  'g',  'h',  'i',  'j',  'k',  'l',
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, /* 56: downloaded */
    0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, /* 64: left */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, /* 72: uploaded */
    0x00, 0x00, 0x00, 0x02,                         /* 80: event started */
    0x00, 0x00, 0x00, 0x00,                         /* 84: ip default */
    0xca, 0xfe, 0xf0, 0x0d,                         /* 88: key */
    0xff, 0xff, 0xff, 0xff,                         /* 92: num_want -1 */
    0x1a, 0xe1,                                     /* 96: port 6881 */
};

static void test_announce_request(void **state)
{
	struct sw_udpt_announce_req r;
	uint8_t out[SW_UDPT_ANNOUNCE_REQ_MAX];

	(void)state;
	assert_int_equal(sizeof(ANNOUNCE_98), SW_UDPT_ANNOUNCE_REQ_LEN);
	fill_announce(&r);
	assert_int_equal(sw_udpt_build_announce(out, sizeof(out), &r), 98);
	assert_memory_equal(out, ANNOUNCE_98, sizeof(ANNOUNCE_98));

	/* An empty request string adds no options either. */
	r.url_request = "";
	assert_int_equal(sw_udpt_build_announce(out, sizeof(out), &r), 98);
	assert_int_equal(sw_udpt_build_announce(out, 97, &r), SW_E_TOO_BIG);

	r.num_want = 50;
	r.event = SW_UDPT_EVENT_NONE;
	assert_int_equal(sw_udpt_build_announce(out, sizeof(out), &r), 98);
	assert_memory_equal(out + 80, "\0\0\0\0", 4);
	assert_memory_equal(out + 92, "\0\0\0\x32", 4);

	r.event = 4;
	assert_int_equal(sw_udpt_build_announce(out, sizeof(out), &r), SW_E_INVALID);
}

static void test_announce_bep41(void **state)
{
	static const char path[] = "/announce?passkey=x";
	struct sw_udpt_announce_req r;
	uint8_t out[SW_UDPT_ANNOUNCE_REQ_MAX], want[98 + 2 + sizeof(path) - 1 + 1];
	char longurl[SW_UDPT_MAX_URLDATA + 1];
	size_t off;
	int n;

	(void)state;
	fill_announce(&r);
	r.url_request = path;
	r.url_request_len = strlen(path);
	memcpy(want, ANNOUNCE_98, 98);
	want[98] = 0x02; /* URLData */
	want[99] = (uint8_t)strlen(path);
	memcpy(want + 100, path, strlen(path));
	want[sizeof(want) - 1] = 0x00; /* EndOfOptions */
	assert_int_equal(sw_udpt_build_announce(out, sizeof(out), &r), (int)sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(sw_udpt_build_announce(out, sizeof(want) - 1, &r), SW_E_TOO_BIG);

	/* 600 bytes: chunks of 255, 255 and 90, then the end. */
	memset(longurl, 'p', sizeof(longurl));
	longurl[0] = '/';
	r.url_request = longurl;
	r.url_request_len = 600;
	n = sw_udpt_build_announce(out, sizeof(out), &r);
	assert_int_equal(n, 98 + 600 + 3 * 2 + 1);
	off = 98;
	assert_int_equal(out[off], 2);
	assert_int_equal(out[off + 1], 255);
	assert_int_equal(out[off + 2], '/');
	off += 2 + 255;
	assert_int_equal(out[off], 2);
	assert_int_equal(out[off + 1], 255);
	off += 2 + 255;
	assert_int_equal(out[off], 2);
	assert_int_equal(out[off + 1], 90);
	off += 2 + 90;
	assert_int_equal(out[off], 0);
	assert_int_equal(off + 1, (size_t)n);

	/* Exactly the cap fits SW_UDPT_ANNOUNCE_REQ_MAX; one more is too big. */
	r.url_request_len = SW_UDPT_MAX_URLDATA;
	assert_int_equal(sw_udpt_build_announce(out, sizeof(out), &r), SW_UDPT_ANNOUNCE_REQ_MAX);
	r.url_request_len = SW_UDPT_MAX_URLDATA + 1;
	assert_int_equal(sw_udpt_build_announce(out, sizeof(out), &r), SW_E_TOO_BIG);
}

static void test_scrape_request(void **state)
{
	uint8_t hashes[(SW_UDPT_MAX_SCRAPE + 1) * SW_INFOHASH_LEN];
	uint8_t out[SW_UDPT_SCRAPE_REQ_MAX + SW_INFOHASH_LEN];
	static const uint8_t head[] = {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
	                               0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hashes); i++)
		hashes[i] = (uint8_t)(i / SW_INFOHASH_LEN);
	assert_int_equal(
	    sw_udpt_build_scrape(out, sizeof(out), 0xffeeddccbbaa9988ULL, 7, hashes, 3), 16 + 60);
	assert_memory_equal(out, head, sizeof(head));
	assert_memory_equal(out + 16, hashes, 60);
	assert_int_equal(out[16 + 40], 2);

	assert_int_equal(sw_udpt_build_scrape(out, sizeof(out), 1, 7, hashes, 0), SW_E_INVALID);
	assert_int_equal(sw_udpt_build_scrape(out, sizeof(out), 1, 7, hashes, SW_UDPT_MAX_SCRAPE),
	                 SW_UDPT_SCRAPE_REQ_MAX);
	assert_int_equal(
	    sw_udpt_build_scrape(out, sizeof(out), 1, 7, hashes, SW_UDPT_MAX_SCRAPE + 1),
	    SW_E_TOO_BIG);
	assert_int_equal(sw_udpt_build_scrape(out, 16 + 59, 1, 7, hashes, 3), SW_E_TOO_BIG);
}

static void expect_request(const char *url, int rc, const char *want)
{
	const char *req;
	size_t len;

	assert_int_equal(sw_udpt_url_request(url, strlen(url), &req, &len), rc);
	if (rc == SW_OK) {
		if (len != strlen(want) || memcmp(req, want, len) != 0)
			fail_msg("%s: got '%.*s', want '%s'", url, (int)len, req, want);
	}
}

static void test_url_request(void **state)
{
	(void)state;
	expect_request("udp://tracker.example:6969/announce", SW_OK, "/announce");
	expect_request("udp://t:6969/announce?passkey=x#frag", SW_OK, "/announce?passkey=x");
	expect_request("UDP://t:6969/a/b?c=d/e", SW_OK, "/a/b?c=d/e");
	expect_request("udp://t:6969", SW_OK, "");
	expect_request("udp://t:6969#x", SW_OK, "");
	expect_request("udp://[::1]:6969/announce", SW_OK, "/announce");
	expect_request("udp://t:1?x=1", SW_OK, "?x=1");
	expect_request("http://t/announce", SW_E_INVALID, NULL);
	expect_request("udp:/", SW_E_INVALID, NULL);
}

static void test_parse_connect(void **state)
{
	static const uint8_t pkt[] = {0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 1,
	                              2, 3, 4, 5, 6,    7,    8,    0xee};
	struct sw_udpt_response r;

	(void)state;
	assert_int_equal(sw_udpt_parse_response(pkt, sizeof(pkt), 0x12345678,
	                                        SW_UDPT_ACTION_CONNECT, AF_INET, &r),
	                 SW_OK);
	assert_int_equal(r.action, SW_UDPT_ACTION_CONNECT);
	assert_true(r.connection_id == 0x0102030405060708ULL);
	/* Short: 15 bytes, and under the 8-byte header. */
	assert_int_equal(
	    sw_udpt_parse_response(pkt, 15, 0x12345678, SW_UDPT_ACTION_CONNECT, AF_INET, &r),
	    SW_E_NEED_MORE);
	assert_int_equal(r.action, SW_UDPT_ACTION_CONNECT);
	assert_int_equal(
	    sw_udpt_parse_response(pkt, 7, 0x12345678, SW_UDPT_ACTION_CONNECT, AF_INET, &r),
	    SW_E_NEED_MORE);
	assert_int_equal(
	    sw_udpt_parse_response(pkt, 0, 0x12345678, SW_UDPT_ACTION_CONNECT, AF_INET, &r),
	    SW_E_NEED_MORE);
	/* Not ours, and not what we asked for. */
	assert_int_equal(sw_udpt_parse_response(pkt, sizeof(pkt), 0x12345679,
	                                        SW_UDPT_ACTION_CONNECT, AF_INET, &r),
	                 SW_E_NOT_FOUND);
	assert_int_equal(sw_udpt_parse_response(pkt, sizeof(pkt), 0x12345678,
	                                        SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	                 SW_E_TYPE);
	assert_int_equal(r.action, SW_UDPT_ACTION_CONNECT);
	/* Caller bugs. */
	assert_int_equal(
	    sw_udpt_parse_response(pkt, sizeof(pkt), 0x12345678, SW_UDPT_ACTION_ERROR, AF_INET, &r),
	    SW_E_INVALID);
	assert_int_equal(sw_udpt_parse_response(pkt, sizeof(pkt), 0x12345678,
	                                        SW_UDPT_ACTION_CONNECT, AF_UNIX, &r),
	                 SW_E_INVALID);
}

/* Announce header: txid 0x01020304, interval 1800, leechers 3, seeders 2. */
#define ANNOUNCE_HEAD 0, 0, 0, 1, 1, 2, 3, 4, 0, 0, 0x07, 0x08, 0, 0, 0, 3, 0, 0, 0, 2

static void test_parse_announce_v4(void **state)
{
	static const uint8_t pkt[] = {ANNOUNCE_HEAD, 192, 0,    2,    1,    0x1a, 0xe1, 198, 51,
	                              100,           7,   0x00, 0x50, 0xff, 0xfe};
	struct sw_udpt_response r;
	struct sw_addr a;
	char s[SW_ADDR_STRLEN];

	(void)state;
	assert_int_equal(sw_udpt_parse_response(pkt, sizeof(pkt), 0x01020304,
	                                        SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	                 SW_OK);
	assert_int_equal(r.interval, 1800);
	assert_int_equal(r.leechers, 3);
	assert_int_equal(r.seeders, 2);
	assert_int_equal(r.num_peers, 2);
	assert_int_equal(r.peer_len, SW_COMPACT_PEER4_LEN);
	assert_int_equal(r.tail_len, 2); /* the incomplete third entry */
	assert_int_equal(sw_udpt_peer(&r, 0, &a), SW_OK);
	sw_addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "192.0.2.1:6881");
	assert_int_equal(sw_udpt_peer(&r, 1, &a), SW_OK);
	sw_addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "198.51.100.7:80");
	assert_int_equal(sw_udpt_peer(&r, 2, &a), SW_E_RANGE);

	/* The fixed part alone: no peers. */
	assert_int_equal(
	    sw_udpt_parse_response(pkt, 20, 0x01020304, SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	    SW_OK);
	assert_int_equal(r.num_peers, 0);
	assert_int_equal(r.tail_len, 0);
	assert_int_equal(
	    sw_udpt_parse_response(pkt, 19, 0x01020304, SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	    SW_E_NEED_MORE);
	assert_int_equal(sw_udpt_parse_response(pkt, sizeof(pkt), 0x01020304, SW_UDPT_ACTION_SCRAPE,
	                                        AF_INET, &r),
	                 SW_E_TYPE);
}

static void test_parse_announce_v6(void **state)
{
	static const uint8_t pkt[] = {
	    ANNOUNCE_HEAD, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1a,
	    0xe1,          0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xc8,
	    0xd5};
	struct sw_udpt_response r;
	struct sw_addr a;
	char s[SW_ADDR_STRLEN];

	(void)state;
	assert_int_equal(sw_udpt_parse_response(pkt, sizeof(pkt), 0x01020304,
	                                        SW_UDPT_ACTION_ANNOUNCE, AF_INET6, &r),
	                 SW_OK);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.peer_len, SW_COMPACT_PEER6_LEN);
	assert_int_equal(r.num_peers, 2);
	assert_int_equal(r.tail_len, 0);
	assert_int_equal(sw_udpt_peer(&r, 0, &a), SW_OK);
	sw_addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "[2001:db8::1]:6881");
	assert_int_equal(sw_udpt_peer(&r, 1, &a), SW_OK);
	sw_addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "[2001:db8::2]:51413");

	/* An IPv4-mapped entry comes out as IPv4. */
	{
		uint8_t mapped[20 + 18] = {ANNOUNCE_HEAD};

		memcpy(mapped + 20, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x09\x00\x50", 18);
		assert_int_equal(sw_udpt_parse_response(mapped, sizeof(mapped), 0x01020304,
		                                        SW_UDPT_ACTION_ANNOUNCE, AF_INET6, &r),
		                 SW_OK);
		assert_int_equal(sw_udpt_peer(&r, 0, &a), SW_OK);
		assert_int_equal(a.family, AF_INET);
		sw_addr_str(&a, s, sizeof(s));
		assert_string_equal(s, "192.0.2.9:80");
	}

	/* Read over an IPv4 socket the same 36 bytes are six v4 entries. */
	assert_int_equal(sw_udpt_parse_response(pkt, sizeof(pkt), 0x01020304,
	                                        SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	                 SW_OK);
	assert_int_equal(r.num_peers, 6);
	/* And a v4-sized body over IPv6 leaves a flagged tail. */
	assert_int_equal(
	    sw_udpt_parse_response(pkt, 20 + 12, 0x01020304, SW_UDPT_ACTION_ANNOUNCE, AF_INET6, &r),
	    SW_OK);
	assert_int_equal(r.num_peers, 0);
	assert_int_equal(r.tail_len, 12);
}

static void test_parse_error(void **state)
{
	static const uint8_t pkt[] = {0, 0, 0, 3, 0, 0, 0, 9, 'b', 'o', 'o', 'm', 0, 0};
	struct sw_udpt_response r;

	(void)state;
	/* An error for our transaction, whatever we asked. */
	assert_int_equal(
	    sw_udpt_parse_response(pkt, sizeof(pkt), 9, SW_UDPT_ACTION_SCRAPE, AF_INET, &r),
	    SW_E_UNSUPPORTED);
	assert_int_equal(r.action, SW_UDPT_ACTION_ERROR);
	assert_int_equal(r.message_len, 4);
	assert_memory_equal(r.message, "boom", 4);
	assert_ptr_equal(r.message, (const char *)pkt + 8);
	assert_int_equal(
	    sw_udpt_parse_response(pkt, sizeof(pkt), 9, SW_UDPT_ACTION_CONNECT, AF_INET, &r),
	    SW_E_UNSUPPORTED);
	/* Empty message. */
	assert_int_equal(sw_udpt_parse_response(pkt, 8, 9, SW_UDPT_ACTION_ANNOUNCE, AF_INET6, &r),
	                 SW_E_UNSUPPORTED);
	assert_int_equal(r.message_len, 0);
	/* Someone else's error is a drop like any other datagram. */
	assert_int_equal(
	    sw_udpt_parse_response(pkt, sizeof(pkt), 8, SW_UDPT_ACTION_SCRAPE, AF_INET, &r),
	    SW_E_NOT_FOUND);
	/* Unknown actions are wrong actions. */
	{
		uint8_t odd[sizeof(pkt)];

		memcpy(odd, pkt, sizeof(pkt));
		odd[3] = 7;
		assert_int_equal(
		    sw_udpt_parse_response(odd, sizeof(odd), 9, SW_UDPT_ACTION_SCRAPE, AF_INET, &r),
		    SW_E_TYPE);
	}
	assert_string_equal(sw_udpt_action_name(SW_UDPT_ACTION_ERROR), "error");
	assert_null(sw_udpt_action_name(4));
}

static void test_parse_scrape(void **state)
{
	static const uint8_t pkt[] = {0,    0,    0,    2,    0, 0, 0, 5,               /* header */
	                              0,    0,    0,    10,   0, 0, 0, 20, 0, 0, 0, 30, /* #0 */
	                              0,    0,    0,    0,    0, 0, 0, 0,  0, 0, 0, 0,  /* #1 */
	                              0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0,  0, 0, 1, 0,  /* #2 */
	                              9,    9,    9,    9,    9};                       /* tail */
	struct sw_udpt_response r;
	struct sw_udpt_scrape_entry e;

	(void)state;
	assert_int_equal(
	    sw_udpt_parse_response(pkt, sizeof(pkt), 5, SW_UDPT_ACTION_SCRAPE, AF_INET, &r), SW_OK);
	assert_int_equal(r.num_scrape, 3);
	assert_int_equal(r.tail_len, 5);
	assert_int_equal(sw_udpt_scrape_entry(&r, 0, &e), SW_OK);
	assert_int_equal(e.seeders, 10);
	assert_int_equal(e.completed, 20);
	assert_int_equal(e.leechers, 30);
	assert_int_equal(sw_udpt_scrape_entry(&r, 1, &e), SW_OK);
	assert_int_equal(e.seeders + e.completed + e.leechers, 0);
	assert_int_equal(sw_udpt_scrape_entry(&r, 2, &e), SW_OK);
	assert_true(e.seeders == 0xffffffffu);
	assert_int_equal(e.completed, 65536);
	assert_int_equal(e.leechers, 256);
	assert_int_equal(sw_udpt_scrape_entry(&r, 3, &e), SW_E_RANGE);
	/* The header alone is a valid, empty scrape. */
	assert_int_equal(sw_udpt_parse_response(pkt, 8, 5, SW_UDPT_ACTION_SCRAPE, AF_INET, &r),
	                 SW_OK);
	assert_int_equal(r.num_scrape, 0);
}

/* --- real replies from opentracker (capture.py; txids in capture.txt) ---- */

static bool has_peer(const struct sw_udpt_response *r, const char *want)
{
	struct sw_addr a;
	char s[SW_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < r->num_peers; i++) {
		assert_int_equal(sw_udpt_peer(r, i, &a), SW_OK);
		sw_addr_str(&a, s, sizeof(s));
		if (strcmp(s, want) == 0)
			return true;
	}
	return false;
}

static void test_fixture_connect_announce(void **state)
{
	struct sw_udpt_response r;
	struct sw_buf b;

	(void)state;
	load("udp_connect.bin", &b);
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x11223344, SW_UDPT_ACTION_CONNECT, AF_INET, &r),
	    SW_OK);
	assert_true(r.connection_id != 0);
	sw_buf_deinit(&b);

	/* Swarm A: four HTTP leechers (one left) and this UDP one, from their own IPs. */
	load("udp_announce_peers.bin", &b);
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x22334455, SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	    SW_OK);
	assert_true(r.interval > 0);
	assert_int_equal(r.seeders, 0);
	assert_int_equal(r.leechers, 5);
	assert_int_equal(r.num_peers, 5);
	assert_int_equal(r.tail_len, 0);
	assert_true(has_peer(&r, "127.0.0.11:6882"));
	assert_true(has_peer(&r, "127.0.0.15:6886"));
	assert_true(has_peer(&r, "127.0.0.21:6902"));
	assert_false(has_peer(&r, "127.0.0.14:6885")); /* announced stopped */
	sw_buf_deinit(&b);

	load("udp_announce_b.bin", &b);
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x33445566, SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	    SW_OK);
	assert_int_equal(r.leechers, 1);
	assert_int_equal(r.num_peers, 1);
	assert_true(has_peer(&r, "127.0.0.21:6902"));
	sw_buf_deinit(&b);

	/* An announce carrying BEP 41 URLData is answered like any other. */
	load("udp_announce_bep41.bin", &b);
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x44556677, SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	    SW_OK);
	assert_int_equal(r.num_peers, 6);
	assert_true(has_peer(&r, "127.0.0.22:6903"));
	/* The same datagram is not an answer to another transaction or action. */
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x44556678, SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	    SW_E_NOT_FOUND);
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x44556677, SW_UDPT_ACTION_SCRAPE, AF_INET, &r),
	    SW_E_TYPE);
	sw_buf_deinit(&b);
}

static void test_fixture_scrape_errors(void **state)
{
	struct sw_udpt_response r;
	struct sw_udpt_scrape_entry e;
	struct sw_buf b;

	(void)state;
	load("udp_scrape_two.bin", &b);
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x55667788, SW_UDPT_ACTION_SCRAPE, AF_INET, &r),
	    SW_OK);
	assert_int_equal(r.num_scrape, 2);
	assert_int_equal(sw_udpt_scrape_entry(&r, 0, &e), SW_OK);
	assert_int_equal(e.seeders, 0);
	assert_int_equal(e.leechers, 6);
	assert_int_equal(sw_udpt_scrape_entry(&r, 1, &e), SW_OK);
	assert_int_equal(e.leechers, 1);
	sw_buf_deinit(&b);

	/* opentracker answers a hash off its whitelist with a bare 8-byte header. */
	load("udp_announce_denied_short.bin", &b);
	assert_int_equal(b.len, 8);
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x66778899, SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r),
	    SW_E_NEED_MORE);
	assert_int_equal(r.action, SW_UDPT_ACTION_ANNOUNCE);
	sw_buf_deinit(&b);

	/* A bad connection id: an error whose text ends in a NUL. */
	load("udp_error_connid.bin", &b);
	assert_int_equal(
	    sw_udpt_parse_response(b.data, b.len, 0x778899aa, SW_UDPT_ACTION_SCRAPE, AF_INET, &r),
	    SW_E_UNSUPPORTED);
	assert_int_equal(r.action, SW_UDPT_ACTION_ERROR);
	assert_int_equal(r.message_len, strlen("Connection ID missmatch."));
	assert_memory_equal(r.message, "Connection ID missmatch.", r.message_len);
	sw_buf_deinit(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect_request),
	    cmocka_unit_test(test_announce_request),
	    cmocka_unit_test(test_announce_bep41),
	    cmocka_unit_test(test_scrape_request),
	    cmocka_unit_test(test_url_request),
	    cmocka_unit_test(test_parse_connect),
	    cmocka_unit_test(test_parse_announce_v4),
	    cmocka_unit_test(test_parse_announce_v6),
	    cmocka_unit_test(test_parse_error),
	    cmocka_unit_test(test_parse_scrape),
	    cmocka_unit_test(test_fixture_connect_announce),
	    cmocka_unit_test(test_fixture_scrape_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
