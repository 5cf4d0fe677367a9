/*
 * test_peerext.c - BEP 10 handshakes, BEP 9 metadata and BEP 11 PEX: our
 * builders byte-exact, hostile payloads, and what real clients sent on
 * loopback (tests/fixtures/peerwire/, see README.md): their extension
 * handshakes, the metadata they served (reassembled and checked against
 * the infohash) and their PEX messages.
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

#include <sys/socket.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "proto/peerext.h"
#include "proto/peerwire.h"

#define FIXTURES SW_SOURCE_DIR "/tests/fixtures/peerwire/"
/* The ids capture_peers.py gave the clients for sending to it. */
#define CAPTURE_UT_PEX      1
#define CAPTURE_UT_METADATA 3
#define FIXTURE_METADATA    20116 /* fixture.torrent's info dict */
#define MAX_PEX_MSGS        4

#define P(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

static void load(const char *name, struct sw_buf *b)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
	sw_buf_init(b, 1 << 22);
	if (sw_buf_read_file(b, path) != SW_OK)
		fail_msg("cannot read fixture %s", path);
}

/* --- builders ------------------------------------------------------------ */

static void test_build_handshake(void **state)
{
	static const char want1[] = "\0\0\0\x3b\x14\0"
	                            "d1:md11:ut_metadatai1e6:ut_pexi2ee1:v16:swarmwatch 0.1.0e";
	static const char want2[] = "d1:md6:ut_pexi2ee1:pi6881e4:reqqi250e1:v2:xye";
	struct sw_px_handshake_req req = {SW_PX_LOCAL_UT_METADATA, SW_PX_LOCAL_UT_PEX, NULL, 0, 0};
	struct sw_px_handshake h;
	struct sw_pw_msg m;
	struct sw_buf b;
	size_t used;

	(void)state;
	sw_buf_init(&b, 4096);
	assert_int_equal(sw_px_build_handshake(&b, &req), SW_OK);
	assert_int_equal(b.len, sizeof(want1) - 1);
	assert_memory_equal(b.data, want1, sizeof(want1) - 1);

	/* It reads back as an extended message and an extension handshake. */
	assert_int_equal(sw_pw_next_message(b.data, b.len, &m, &used, NULL), SW_OK);
	assert_int_equal(m.id, SW_PW_EXTENDED);
	assert_int_equal(m.ext_id, SW_PX_EXT_HANDSHAKE);
	assert_int_equal(sw_px_parse_handshake(m.data, m.data_len, &h, NULL), SW_OK);
	assert_int_equal(h.ut_metadata, 1);
	assert_int_equal(h.ut_pex, 2);
	assert_string_equal(h.client, "swarmwatch 0.1.0");
	assert_int_equal(h.metadata_size, -1);

	/* Optional keys, appended after what the buffer held. */
	req.ut_metadata = 0;
	req.client = "xy";
	req.port = 6881;
	req.reqq = 250;
	assert_int_equal(sw_px_build_handshake(&b, &req), SW_OK);
	assert_memory_equal(b.data + sizeof(want1) - 1 + SW_PW_MSG_EXT_HDR_LEN, want2,
	                    sizeof(want2) - 1);
	assert_int_equal(b.len, 2 * SW_PW_MSG_EXT_HDR_LEN + sizeof(want1) - 7 + sizeof(want2) - 1);

	/* At the buffer's cap nothing is left behind. */
	sw_buf_deinit(&b);
	sw_buf_init(&b, 20);
	assert_int_equal(sw_buf_append(&b, "abc", 3), SW_OK);
	assert_int_equal(sw_px_build_handshake(&b, &req), SW_E_TOO_BIG);
	assert_int_equal(b.len, 3);
	assert_string_equal((const char *)b.data, "abc");
	sw_buf_deinit(&b);
}

static void test_build_metadata(void **state)
{
	static const char req[] = "\0\0\0\x1b\x14\x09"
	                          "d8:msg_typei0e5:piecei1ee";
	static const char rej[] = "\0\0\0\x1b\x14\x02"
	                          "d8:msg_typei2e5:piecei7ee";
	struct sw_buf b;

	(void)state;
	sw_buf_init(&b, 4096);
	assert_int_equal(sw_px_build_metadata_request(&b, 9, 1), SW_OK);
	assert_memory_equal(b.data, req, sizeof(req) - 1);
	sw_buf_reset(&b);
	assert_int_equal(sw_px_build_metadata_reject(&b, 2, 7), SW_OK);
	assert_memory_equal(b.data, rej, sizeof(rej) - 1);
	assert_int_equal(b.len, sizeof(rej) - 1);
	sw_buf_reset(&b);
	/* id 0 is the handshake, never a peer's ut_metadata */
	assert_int_equal(sw_px_build_metadata_request(&b, 0, 1), SW_E_INVALID);
	assert_int_equal(b.len, 0);
	sw_buf_deinit(&b);
}

/* --- handshake parsing --------------------------------------------------- */

static void test_parse_handshake_bep10(void **state)
{
	/* The example from BEP 10 itself. */
	static const char ex[] =
	    "d1:md11:LT_metadatai1e7:\xc2\xb5T_PEXi2ee1:pi6881e1:v13:\xc2\xb5Torrent 1.2e";
	struct sw_px_handshake h;

	(void)state;
	assert_int_equal(sw_px_parse_handshake(P(ex), &h, NULL), SW_OK);
	assert_true(h.has_m);
	assert_int_equal(h.ut_metadata, 0);
	assert_false(h.has_ut_metadata);
	assert_int_equal(h.m_other, 2);
	assert_int_equal(h.port, 6881);
	assert_string_equal(h.client, "\xc2\xb5Torrent 1.2");
	assert_int_equal(h.reqq, -1);
	assert_int_equal(h.upload_only, -1);
	assert_false(h.has_yourip);

	/* A later handshake that only disables ut_metadata. */
	assert_int_equal(sw_px_parse_handshake(P("d1:md11:ut_metadatai0eee"), &h, NULL), SW_OK);
	assert_true(h.has_ut_metadata);
	assert_int_equal(h.ut_metadata, 0);
	assert_false(h.has_ut_pex);
	/* Everything optional: an empty dict, and bytes after it. */
	assert_int_equal(sw_px_parse_handshake(P("dexx"), &h, NULL), SW_OK);
	assert_false(h.has_m);
	assert_false(h.has_client);
}

static void test_parse_handshake_hostile(void **state)
{
	struct sw_px_handshake h;
	struct sw_errbuf eb;

	(void)state;
	assert_int_equal(sw_px_parse_handshake(P("le"), &h, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "extension handshake is not a dictionary");
	assert_int_equal(sw_px_parse_handshake(P("d1:md11:ut_metada"), &h, NULL), SW_E_INVALID);
	assert_int_equal(sw_px_parse_handshake(NULL, 0, &h, NULL), SW_E_INVALID);
	assert_int_equal(sw_px_parse_handshake(P("d1:mi1ee"), &h, &eb), SW_E_TYPE);
	assert_string_equal(eb.msg, "extension handshake: m is not a dictionary");
	assert_int_equal(sw_px_parse_handshake(P("d1:md6:ut_pexi256eee"), &h, &eb), SW_E_RANGE);
	assert_string_equal(eb.msg, "extension handshake: m.ut_pex is 256, not an id 0..255");
	assert_int_equal(sw_px_parse_handshake(P("d1:md11:ut_metadatai-1eee"), &h, NULL),
	                 SW_E_RANGE);
	assert_int_equal(sw_px_parse_handshake(P("d1:md11:ut_metadata1:xee"), &h, NULL), SW_E_TYPE);
	/* Names we do not use may hold anything. */
	assert_int_equal(sw_px_parse_handshake(P("d1:md2:xx1:y2:zzi999eee"), &h, NULL), SW_OK);
	assert_int_equal(h.m_other, 2);

	assert_int_equal(sw_px_parse_handshake(P("d13:metadata_sizei-1ee"), &h, &eb), SW_E_RANGE);
	assert_string_equal(eb.msg, "extension handshake: metadata_size -1 is negative");
	assert_int_equal(sw_px_parse_handshake(P("d13:metadata_sizei8388609ee"), &h, &eb),
	                 SW_E_TOO_BIG);
	assert_int_equal(sw_px_parse_handshake(P("d13:metadata_sizei8388608ee"), &h, NULL), SW_OK);
	assert_int_equal(h.metadata_size, 8388608);
	assert_int_equal(sw_px_parse_handshake(P("d13:metadata_size3:abce"), &h, NULL), SW_E_TYPE);

	/* Informational keys of the wrong shape are ignored and counted. */
	assert_int_equal(
	    sw_px_parse_handshake(P("d1:pi70000e4:reqqi0e1:vi1e6:yourip5:abcdee"), &h, NULL),
	    SW_OK);
	assert_int_equal(h.ignored, 4);
	assert_int_equal(h.port, -1);
	assert_int_equal(h.reqq, -1);
	assert_false(h.has_client);
	assert_false(h.has_yourip);
	assert_int_equal(sw_px_parse_handshake(P("d1:pi0e11:upload_only1:1e"), &h, NULL), SW_OK);
	assert_int_equal(h.ignored, 2);

	/* A yourip of 16 bytes; the v4-mapped form comes out as IPv4. */
	assert_int_equal(
	    sw_px_parse_handshake(P("d6:yourip16:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
	                            "e"),
	                          &h, NULL),
	    SW_OK);
	assert_int_equal(h.yourip.family, AF_INET6);
	assert_int_equal(
	    sw_px_parse_handshake(P("d6:yourip16:\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01"
	                            "e"),
	                          &h, NULL),
	    SW_OK);
	assert_int_equal(h.yourip.family, AF_INET);

	/* Control characters and bad UTF-8 in v do not get through. */
	assert_int_equal(sw_px_parse_handshake(P("d1:v9:a\x1b[31mb\xffxe"), &h, NULL), SW_OK);
	assert_string_equal(h.client, "a?[31mb?x");
}

static void test_sanitize(void **state)
{
	char out[SW_PX_CLIENT_LEN], tiny[4];

	(void)state;
	assert_int_equal(sw_px_sanitize(out, sizeof(out), P("Transmission 3.00")), 17);
	assert_string_equal(out, "Transmission 3.00");
	sw_px_sanitize(out, sizeof(out), P("\xc2\xb5Torrent \xe6\x97\xa5\xf0\x9f\x98\x80"));
	assert_string_equal(out, "\xc2\xb5Torrent \xe6\x97\xa5\xf0\x9f\x98\x80");
	sw_px_sanitize(out, sizeof(out), P("a\tb\x7f\xc2\x85z")); /* TAB, DEL, C1 NEL */
	assert_string_equal(out, "a?b??z");
	sw_px_sanitize(out, sizeof(out), P("\xc0\x80|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82"));
	assert_string_equal(out, "??|???|????|??"); /* overlong, surrogate, > U+10FFFF, cut */
	sw_px_sanitize(out, sizeof(out), P("evil\xe2\x80\xaegpj.exe")); /* RIGHT-TO-LEFT OVERRIDE */
	assert_string_equal(out, "evil?gpj.exe");
	sw_px_sanitize(out, sizeof(out), P("a\0b"));
	assert_string_equal(out, "a?b");
	/* Cut at a character boundary, always terminated. */
	assert_int_equal(sw_px_sanitize(tiny, sizeof(tiny), P("ab\xc2\xb5")), 2);
	assert_string_equal(tiny, "ab");
	assert_int_equal(sw_px_sanitize(tiny, sizeof(tiny), P("abcdef")), 3);
	assert_int_equal(sw_px_sanitize(tiny, 1, P("abc")), 0);
	assert_string_equal(tiny, "");
	assert_int_equal(sw_px_sanitize(tiny, 0, P("abc")), 0);
}

/* --- real clients -------------------------------------------------------- */

struct capture {
	struct sw_buf b;
	uint8_t infohash[SW_INFOHASH_LEN];
	struct sw_pw_msg hs;      /* the extension handshake */
	struct sw_pw_msg meta[2]; /* ut_metadata messages */
	size_t num_meta;
	struct sw_pw_msg pex[MAX_PEX_MSGS]; /* ut_pex messages */
	size_t num_pex;
};

static void read_capture(const char *file, struct capture *c)
{
	struct sw_pw_handshake h;
	struct sw_pw_msg m;
	size_t off = SW_PW_HANDSHAKE_LEN, used;

	memset(c, 0, sizeof(*c));
	load(file, &c->b);
	assert_int_equal(sw_pw_parse_handshake(c->b.data, c->b.len, &h, NULL), SW_OK);
	memcpy(c->infohash, h.infohash, sizeof(h.infohash));
	while (off < c->b.len) {
		assert_int_equal(
		    sw_pw_next_message(c->b.data + off, c->b.len - off, &m, &used, NULL), SW_OK);
		off += used;
		if (m.id != SW_PW_EXTENDED)
			continue;
		if (m.ext_id == SW_PX_EXT_HANDSHAKE)
			c->hs = m;
		else if (m.ext_id == CAPTURE_UT_METADATA && c->num_meta < 2)
			c->meta[c->num_meta++] = m;
		else if (m.ext_id == CAPTURE_UT_PEX && c->num_pex < MAX_PEX_MSGS)
			c->pex[c->num_pex++] = m;
		else
			fail_msg("%s: unexpected extended id %d", file, m.ext_id);
	}
	assert_non_null(c->hs.data);
}

static void parse_hs(const char *file, struct capture *c, struct sw_px_handshake *h)
{
	read_capture(file, c);
	assert_int_equal(sw_px_parse_handshake(c->hs.data, c->hs.data_len, h, NULL), SW_OK);
	assert_int_equal(h->metadata_size, FIXTURE_METADATA);
	assert_int_equal(h->ignored, 0);
	assert_true(h->has_client);
}

static void test_real_handshakes(void **state)
{
	struct sw_px_handshake h;
	struct capture c;
	char ip[SW_ADDR_STRLEN];

	(void)state;
	parse_hs("aria2.bin", &c, &h);
	assert_string_equal(h.client, "aria2/1.36.0");
	assert_int_equal(h.ut_metadata, 9);
	assert_int_equal(h.ut_pex, 8);
	assert_int_equal(h.m_other, 0);
	assert_int_equal(h.port, 21001);
	assert_int_equal(h.reqq, -1);
	sw_buf_deinit(&c.b);

	parse_hs("transmission.bin", &c, &h);
	assert_string_equal(h.client, "Transmission 3.00");
	assert_int_equal(h.ut_metadata, 3);
	assert_int_equal(h.ut_pex, 1);
	assert_int_equal(h.port, 21002);
	assert_int_equal(h.reqq, 512);
	assert_int_equal(h.upload_only, 1);
	sw_buf_deinit(&c.b);

	/* libtorrent sends "p" only on connections it opened itself. */
	parse_hs("qbittorrent.bin", &c, &h);
	assert_string_equal(h.client, "qBittorrent/4.5.2");
	assert_int_equal(h.ut_metadata, 2);
	assert_int_equal(h.ut_pex, 1);
	assert_int_equal(h.m_other, 4); /* lt_donthave, share_mode, upload_only, ut_holepunch */
	assert_int_equal(h.port, -1);
	assert_int_equal(h.reqq, 2000);
	assert_int_equal(h.upload_only, 1);
	assert_true(h.has_yourip);
	sw_addr_ip_str(&h.yourip, ip, sizeof(ip));
	assert_string_equal(ip, "127.243.0.3");
	sw_buf_deinit(&c.b);
	parse_hs("qbittorrent_in.bin", &c, &h);
	assert_int_equal(h.port, 21003);
	sw_addr_ip_str(&h.yourip, ip, sizeof(ip));
	assert_string_equal(ip, "127.243.0.2");
	sw_buf_deinit(&c.b);

	parse_hs("rtorrent.bin", &c, &h);
	assert_string_equal(h.client, "libTorrent 0.13.8");
	assert_int_equal(h.ut_metadata, 2);
	assert_int_equal(h.ut_pex, 1);
	assert_int_equal(h.reqq, 2048);
	assert_int_equal(h.port, 21004);
	sw_buf_deinit(&c.b);

	parse_hs("libtorrent_in.bin", &c, &h);
	assert_string_equal(h.client, "libtorrent/2.0.8.0");
	assert_int_equal(h.port, 21005);
	assert_int_equal(h.upload_only, -1); /* a leecher */
	sw_buf_deinit(&c.b);
}

/* Reassemble the metadata a client served and check it against the infohash. */
static void real_metadata(const char *file)
{
	static uint8_t buf[FIXTURE_METADATA];
	struct sw_px_metadata_msg mm;
	struct sw_px_metadata md;
	struct sw_errbuf eb;
	struct capture c;
	size_t i;

	read_capture(file, &c);
	assert_int_equal(c.num_meta, 2);
	assert_int_equal(sw_px_metadata_init(&md, buf, FIXTURE_METADATA), SW_OK);
	assert_int_equal(md.num_pieces, 2);
	for (i = 0; i < c.num_meta; i++) {
		assert_int_equal(sw_px_parse_metadata(c.meta[i].data, c.meta[i].data_len,
		                                      FIXTURE_METADATA, &mm, &eb),
		                 SW_OK);
		assert_int_equal(mm.msg_type, SW_PX_METADATA_DATA);
		assert_int_equal(mm.total_size, FIXTURE_METADATA);
		assert_int_equal(mm.data[0], i == 0 ? 'd' : mm.data[0]); /* the info dict starts */
		assert_false(sw_px_metadata_complete(&md));
		assert_int_equal(sw_px_metadata_verify(&md, c.infohash, 20, NULL), SW_E_NEED_MORE);
		assert_int_equal(sw_px_metadata_add(&md, mm.piece, mm.data, mm.data_len, &eb),
		                 SW_OK);
	}
	assert_true(sw_px_metadata_complete(&md));
	assert_int_equal(sw_px_metadata_verify(&md, c.infohash, 20, &eb), SW_OK);

	/* One flipped byte and it no longer hashes to the infohash. */
	buf[FIXTURE_METADATA / 2] ^= 1;
	assert_int_equal(sw_px_metadata_verify(&md, c.infohash, 20, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "metadata does not hash to the infohash");
	sw_px_metadata_reset(&md);
	assert_int_equal(md.received, 0);
	sw_buf_deinit(&c.b);
}

static void test_real_metadata(void **state)
{
	static const char *const files[] = {
	    "aria2.bin",      "transmission.bin",   "qbittorrent.bin", "rtorrent.bin",
	    "libtorrent.bin", "qbittorrent_in.bin", "rtorrent_in.bin", "libtorrent_in.bin"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		real_metadata(files[i]);
}

static void test_real_pex(void **state)
{
	struct sw_px_pex_peer added[SW_PX_PEX_MAX_ADDED], dropped[SW_PX_PEX_MAX_DROPPED];
	struct sw_px_pex x;
	struct capture c;
	char s[SW_ADDR_STRLEN];

	(void)state;
	/* aria2 1.36 sends an empty dict: a breach, still fine to read. */
	read_capture("aria2.bin", &c);
	assert_int_equal(c.num_pex, 1);
	assert_int_equal(sw_px_parse_pex(c.pex[0].data, c.pex[0].data_len, true, added, 50, dropped,
	                                 50, &x, NULL),
	                 SW_OK);
	assert_int_equal(x.violations, SW_PX_PEX_V_EMPTY);
	assert_int_equal(x.num_added + x.num_dropped, 0);
	sw_buf_deinit(&c.b);

	/* Transmission: the connector itself, which it met. */
	read_capture("transmission.bin", &c);
	assert_int_equal(sw_px_parse_pex(c.pex[0].data, c.pex[0].data_len, true, added, 50, dropped,
	                                 50, &x, NULL),
	                 SW_OK);
	assert_int_equal(x.num_added, 1);
	sw_addr_ip_str(&added[0].addr, s, sizeof(s));
	assert_string_equal(s, "127.243.0.3");
	assert_int_equal(x.violations, 0);
	sw_buf_deinit(&c.b);

	/* qBittorrent: the listener and the libtorrent leecher (holepunch flag). */
	read_capture("qbittorrent.bin", &c);
	assert_int_equal(sw_px_parse_pex(c.pex[0].data, c.pex[0].data_len, true, added, 50, dropped,
	                                 50, &x, NULL),
	                 SW_OK);
	assert_int_equal(x.num_added, 2);
	assert_int_equal(x.added4, 2);
	assert_int_equal(x.added6, 0);
	sw_addr_str(&added[0].addr, s, sizeof(s));
	assert_string_equal(s, "127.243.0.2:6881");
	sw_addr_str(&added[1].addr, s, sizeof(s));
	assert_string_equal(s, "127.243.0.15:21005");
	assert_int_equal(added[1].flags, SW_PX_PEX_F_HOLEPUNCH);
	sw_buf_deinit(&c.b);

	/* rtorrent: no added.f at all (it is optional). */
	read_capture("rtorrent.bin", &c);
	assert_int_equal(sw_px_parse_pex(c.pex[0].data, c.pex[0].data_len, true, added, 50, dropped,
	                                 50, &x, NULL),
	                 SW_OK);
	assert_int_equal(x.num_added, 2);
	assert_int_equal(added[0].flags, 0);
	assert_int_equal(x.violations, 0);
	sw_buf_deinit(&c.b);

	/* libtorrent: three messages, seeds flagged, then a dropped peer. */
	read_capture("libtorrent.bin", &c);
	assert_int_equal(c.num_pex, 3);
	assert_int_equal(sw_px_parse_pex(c.pex[0].data, c.pex[0].data_len, true, added, 50, dropped,
	                                 50, &x, NULL),
	                 SW_OK);
	assert_int_equal(x.num_added, 4);
	assert_true(added[0].flags & SW_PX_PEX_F_SEED);
	assert_int_equal(sw_px_parse_pex(c.pex[2].data, c.pex[2].data_len, false, added, 50,
	                                 dropped, 50, &x, NULL),
	                 SW_OK);
	assert_int_equal(x.num_added, 0);
	assert_int_equal(x.num_dropped, 1);
	assert_int_equal(dropped[0].flags, 0);
	sw_addr_ip_str(&dropped[0].addr, s, sizeof(s));
	assert_string_equal(s, "127.243.0.13");
	sw_buf_deinit(&c.b);
}

/* --- metadata, hostile --------------------------------------------------- */

static void test_metadata_hostile(void **state)
{
	static uint8_t msg[64 + SW_PX_METADATA_PIECE_LEN];
	struct sw_px_metadata_msg mm;
	struct sw_errbuf eb;
	int n;

	(void)state;
	assert_int_equal(sw_px_parse_metadata(P("d8:msg_typei0e5:piecei3ee"), -1, &mm, NULL),
	                 SW_OK);
	assert_int_equal(mm.msg_type, SW_PX_METADATA_REQUEST);
	assert_int_equal(mm.piece, 3);
	assert_int_equal(mm.total_size, -1);
	assert_int_equal(sw_px_parse_metadata(P("d8:msg_typei2e5:piecei0eeXX"), 10, &mm, NULL),
	                 SW_OK);
	assert_int_equal(mm.msg_type, SW_PX_METADATA_REJECT);
	assert_int_equal(sw_px_parse_metadata(P("d8:msg_typei7e5:piecei0ee"), -1, &mm, NULL),
	                 SW_E_UNSUPPORTED);
	assert_int_equal(sw_px_parse_metadata(P("d5:piecei0ee"), -1, &mm, NULL), SW_E_TYPE);
	assert_int_equal(sw_px_parse_metadata(P("d8:msg_typei0ee"), -1, &mm, NULL), SW_E_TYPE);
	assert_int_equal(sw_px_parse_metadata(P("d8:msg_typei0e5:piecei-1ee"), -1, &mm, NULL),
	                 SW_E_RANGE);
	assert_int_equal(
	    sw_px_parse_metadata(P("d8:msg_typei0e5:piecei4294967296ee"), -1, &mm, NULL),
	    SW_E_RANGE);
	assert_int_equal(sw_px_parse_metadata(P("i1e"), -1, &mm, NULL), SW_E_INVALID);
	assert_int_equal(sw_px_parse_metadata(P("d8:msg_typei1e5:pie"), -1, &mm, NULL),
	                 SW_E_INVALID);

	/* Data: a short last piece of a 10-byte whole. */
	assert_int_equal(
	    sw_px_parse_metadata(P("d8:msg_typei1e5:piecei0e10:total_sizei10ee0123456789"), 10, &mm,
	                         NULL),
	    SW_OK);
	assert_int_equal(mm.data_len, 10);
	assert_memory_equal(mm.data, "0123456789", 10);
	/* data whose first byte looks like bencode does not confuse the decoder */
	assert_int_equal(
	    sw_px_parse_metadata(P("d8:msg_typei1e5:piecei0e10:total_sizei3eed1e"), -1, &mm, NULL),
	    SW_OK);
	assert_memory_equal(mm.data, "d1e", 3);
	assert_int_equal(
	    sw_px_parse_metadata(P("d8:msg_typei1e5:piecei1e10:total_sizei10ee0123456789"), 10, &mm,
	                         &eb),
	    SW_E_INVALID);
	assert_string_equal(eb.msg, "ut_metadata: piece 1 out of range (1 pieces of 10 bytes)");
	assert_int_equal(
	    sw_px_parse_metadata(P("d8:msg_typei1e5:piecei0e10:total_sizei10ee012345678"), 10, &mm,
	                         &eb),
	    SW_E_INVALID);
	assert_string_equal(eb.msg, "ut_metadata: piece 0 is 9 bytes, expected 10");
	assert_int_equal(
	    sw_px_parse_metadata(P("d8:msg_typei1e5:piecei0e10:total_sizei10ee0123456789"), 11, &mm,
	                         &eb),
	    SW_E_INVALID);
	assert_string_equal(eb.msg, "ut_metadata: total_size 10 differs from metadata_size 11");
	assert_int_equal(sw_px_parse_metadata(P("d8:msg_typei1e5:piecei0ee"), -1, &mm, NULL),
	                 SW_E_TYPE);
	assert_int_equal(
	    sw_px_parse_metadata(P("d8:msg_typei1e5:piecei0e10:total_sizei-5eex"), -1, &mm, NULL),
	    SW_E_RANGE);
	assert_int_equal(sw_px_parse_metadata(P("d8:msg_typei1e5:piecei0e10:total_sizei8388609eex"),
	                                      -1, &mm, NULL),
	                 SW_E_TOO_BIG);
	assert_int_equal(
	    sw_px_parse_metadata(P("d8:msg_typei1e5:piecei0e10:total_sizei0ee"), -1, &mm, NULL),
	    SW_E_INVALID);

	/* A middle piece must be exactly 16 KiB. */
	n = snprintf((char *)msg, 64, "d8:msg_typei1e5:piecei0e10:total_sizei%dee",
	             SW_PX_METADATA_PIECE_LEN + 1);
	memset(msg + n, 'x', SW_PX_METADATA_PIECE_LEN);
	assert_int_equal(
	    sw_px_parse_metadata(msg, (size_t)n + SW_PX_METADATA_PIECE_LEN, -1, &mm, NULL), SW_OK);
	assert_int_equal(
	    sw_px_parse_metadata(msg, (size_t)n + SW_PX_METADATA_PIECE_LEN - 1, -1, &mm, NULL),
	    SW_E_INVALID);
}

static void test_metadata_assembly(void **state)
{
	static uint8_t whole[2 * SW_PX_METADATA_PIECE_LEN + 100], buf[sizeof(whole)];
	uint8_t sha256[SW_SHA256_LEN], sha1[SW_SHA1_LEN], zero[SW_SHA256_LEN] = {0};
	struct sw_px_metadata md;
	struct sw_errbuf eb;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(whole); i++)
		whole[i] = (uint8_t)(i * 7);
	assert_int_equal(sw_px_metadata_init(&md, buf, 0), SW_E_RANGE);
	assert_int_equal(sw_px_metadata_init(&md, buf, SW_PX_MAX_METADATA + 1), SW_E_TOO_BIG);
	assert_int_equal(sw_px_metadata_init(&md, buf, sizeof(whole)), SW_OK);
	assert_int_equal(md.num_pieces, 3);

	/* Out of order, a repeat, and the wrong sizes. */
	assert_int_equal(sw_px_metadata_add(&md, 2, whole + 32768, 100, NULL), SW_OK);
	assert_int_equal(sw_px_metadata_add(&md, 2, whole + 32768, 100, NULL), SW_OK);
	assert_int_equal(md.received, 1);
	assert_int_equal(sw_px_metadata_add(&md, 3, whole, 100, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "metadata piece 3 out of range (3 pieces)");
	assert_int_equal(sw_px_metadata_add(&md, 0, whole, 100, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "metadata piece 0 is 100 bytes, expected 16384");
	assert_int_equal(sw_px_metadata_add(&md, 2, whole, 16384, NULL), SW_E_INVALID);
	assert_int_equal(sw_px_metadata_add(&md, 0, whole, 16384, NULL), SW_OK);
	assert_int_equal(sw_px_metadata_verify(&md, sha1, 20, &eb), SW_E_NEED_MORE);
	assert_string_equal(eb.msg, "metadata incomplete: 2 of 3 pieces");
	assert_int_equal(sw_px_metadata_add(&md, 1, whole + 16384, 16384, NULL), SW_OK);
	assert_true(sw_px_metadata_complete(&md));
	assert_memory_equal(buf, whole, sizeof(whole));

	/* v1, v2 truncated (as on the wire), v2 whole; anything else fails. */
	sw_sha1(whole, sizeof(whole), sha1);
	sw_sha256(whole, sizeof(whole), sha256);
	assert_int_equal(sw_px_metadata_verify(&md, sha1, 20, NULL), SW_OK);
	assert_int_equal(sw_px_metadata_verify(&md, sha256, 20, NULL), SW_OK);
	assert_int_equal(sw_px_metadata_verify(&md, sha256, 32, NULL), SW_OK);
	assert_int_equal(sw_px_metadata_verify(&md, zero, 32, NULL), SW_E_INVALID);
	sha256[0] ^= 1;
	assert_int_equal(sw_px_metadata_verify(&md, sha256, 32, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "metadata does not hash to the infohash");
	assert_int_equal(sw_px_metadata_verify(&md, sha256, 19, NULL), SW_E_RANGE);
}

/* --- PEX, hostile -------------------------------------------------------- */

/* A ut_pex dict with n4 IPv4 peers in key ("added" or "dropped"). */
static size_t make_pex(uint8_t *out, size_t cap, const char *key, size_t n4, bool flags)
{
	size_t o, i;

	o = (size_t)snprintf((char *)out, cap, "d%zu:%s%zu:", strlen(key), key, n4 * 6);
	for (i = 0; i < n4; i++) {
		uint8_t e[6] = {10, 0, (uint8_t)(i >> 8), (uint8_t)i, 0x1a, 0xe1};

		memcpy(out + o, e, 6);
		o += 6;
	}
	if (flags) {
		o += (size_t)snprintf((char *)out + o, cap - o, "7:added.f%zu:", n4);
		memset(out + o, SW_PX_PEX_F_SEED, n4);
		o += n4;
	}
	out[o++] = 'e';
	return o;
}

static void test_pex_hostile(void **state)
{
	static uint8_t msg[8192];
	struct sw_px_pex_peer added[100], dropped[100];
	struct sw_px_pex x;
	struct sw_errbuf eb;
	char s[SW_ADDR_STRLEN];
	size_t n;

	(void)state;
	/* Lengths that are not a whole number of entries. */
	assert_int_equal(sw_px_parse_pex(P("d5:added13:aaaaaabbbbbbce"), false, added, 100, dropped,
	                                 100, &x, &eb),
	                 SW_E_INVALID);
	assert_string_equal(eb.msg, "ut_pex: added is 13 bytes, not a multiple of 6");
	assert_int_equal(x.num_added, 0);
	assert_int_equal(sw_px_parse_pex(P("d6:added617:aaaaaaaaaaaaaaaaae"), false, added, 100,
	                                 dropped, 100, &x, NULL),
	                 SW_E_INVALID);
	assert_int_equal(
	    sw_px_parse_pex(P("d7:dropped5:aaaaae"), false, added, 100, dropped, 100, &x, NULL),
	    SW_E_INVALID);
	assert_int_equal(
	    sw_px_parse_pex(P("d5:addedi6ee"), false, added, 100, dropped, 100, &x, &eb),
	    SW_E_TYPE);
	assert_string_equal(eb.msg, "ut_pex: added is not a string");
	assert_int_equal(sw_px_parse_pex(P("l5:addede"), false, added, 100, dropped, 100, &x, NULL),
	                 SW_E_INVALID);

	/* IPv6, with a v4-mapped entry, and flags of the wrong length. */
	assert_int_equal(
	    sw_px_parse_pex(P("d6:added636:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x1a\xe1"
	                      "\0\0\0\0\0\0\0\0\0\0\xff\xff\x01\x02\x03\x04\0\x50"
	                      "8:added6.f1:\x02"
	                      "8:dropped618:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02\0\x01"
	                      "e"),
	                    false, added, 100, dropped, 100, &x, NULL),
	    SW_OK);
	assert_int_equal(x.added6, 2);
	assert_int_equal(x.dropped6, 1);
	assert_int_equal(x.violations, SW_PX_PEX_V_FLAGS_LEN);
	sw_addr_str(&added[0].addr, s, sizeof(s));
	assert_string_equal(s, "[2001:db8::1]:6881");
	assert_int_equal(added[0].flags, 0);
	sw_addr_str(&added[1].addr, s, sizeof(s));
	assert_string_equal(s, "1.2.3.4:80");
	sw_addr_str(&dropped[0].addr, s, sizeof(s));
	assert_string_equal(s, "[2001:db8::2]:1");

	/* 60 added: fine in a first message, 10 over in a later one. */
	n = make_pex(msg, sizeof(msg), "added", 60, true);
	assert_int_equal(sw_px_parse_pex(msg, n, true, added, 100, dropped, 100, &x, NULL), SW_OK);
	assert_int_equal(x.num_added, 60);
	assert_int_equal(x.violations, 0);
	assert_int_equal(added[59].flags, SW_PX_PEX_F_SEED);
	assert_int_equal(sw_px_parse_pex(msg, n, false, added, 100, dropped, 100, &x, NULL), SW_OK);
	assert_int_equal(x.num_added, 50);
	assert_int_equal(x.added4, 60);
	assert_int_equal(x.excess, 10);
	assert_int_equal(x.violations, SW_PX_PEX_V_MANY_ADDED);
	/* The caller's capacity bounds what is kept, too. */
	assert_int_equal(sw_px_parse_pex(msg, n, true, added, 8, dropped, 100, &x, NULL), SW_OK);
	assert_int_equal(x.num_added, 8);
	assert_int_equal(x.over_cap, 52);
	assert_int_equal(sw_px_parse_pex(msg, n, true, NULL, 0, NULL, 0, &x, NULL), SW_OK);
	assert_int_equal(x.over_cap, 60);
	n = make_pex(msg, sizeof(msg), "dropped", 51, false);
	assert_int_equal(sw_px_parse_pex(msg, n, false, added, 100, dropped, 100, &x, NULL), SW_OK);
	assert_int_equal(x.num_dropped, 50);
	assert_int_equal(x.violations, SW_PX_PEX_V_MANY_DROPPED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_handshake),
	    cmocka_unit_test(test_build_metadata),
	    cmocka_unit_test(test_parse_handshake_bep10),
	    cmocka_unit_test(test_parse_handshake_hostile),
	    cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_real_handshakes),
	    cmocka_unit_test(test_real_metadata),
	    cmocka_unit_test(test_real_pex),
	    cmocka_unit_test(test_metadata_hostile),
	    cmocka_unit_test(test_metadata_assembly),
	    cmocka_unit_test(test_pex_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
