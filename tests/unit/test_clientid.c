/*
 * test_clientid.c - client names from peer ids: the ids real clients sent
 * on loopback (tests/fixtures/peerwire/, see README.md), combined with
 * their BEP 10 "v", and hand-made ids for each convention and format.
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

#include "core/buf.h"
#include "core/error.h"
#include "peer/clientid.h"
#include "proto/peerext.h"
#include "proto/peerwire.h"

#define FIXTURES SW_SOURCE_DIR "/tests/fixtures/peerwire/"

/* The name of a peer id given as its first bytes, padded with 'x'. */
static const char *name_of(const char *prefix, enum sw_clientid_source *src)
{
	static char out[SW_CLIENTID_LEN];
	uint8_t id[SW_PEER_ID_LEN];
	size_t n = strlen(prefix);

	memset(id, 'x', sizeof(id));
	memcpy(id, prefix, n < sizeof(id) ? n : sizeof(id));
	*src = sw_clientid_from_peer_id(id, out, sizeof(out));
	return out;
}

static void expect(const char *prefix, const char *want)
{
	enum sw_clientid_source src;
	const char *got = name_of(prefix, &src);

	if (strcmp(got, want) != 0)
		fail_msg("peer id %s: got \"%s\", want \"%s\"", prefix, got, want);
	assert_int_equal(src, strncmp(want, "unknown (", 9) == 0 ? SW_CLIENTID_UNKNOWN
	                                                         : SW_CLIENTID_PEER_ID);
}

static void test_azureus(void **state)
{
	(void)state;
	expect("-TR3000-", "Transmission 3.00");
	expect("-TR300Z-", "Transmission 3.00+");
	expect("-TR294X-", "Transmission 2.94+");
	expect("-TR0072-", "Transmission 0.72");
	expect("-TR0006-", "Transmission 0.6");
	expect("-TR4050-", "Transmission 4.0.5");
	expect("-TR400B-", "Transmission 4.0.0-beta");
	expect("-TR410Z-", "Transmission 4.1.0-dev");
	expect("-qB4520-", "qBittorrent 4.5.2");
	expect("-qB5010-", "qBittorrent 5.0.1");
	expect("-LT2080-", "libtorrent 2.0.8");
	expect("-LT20D0-", "libtorrent 2.0.13");
	expect("-LT1217-", "libtorrent 1.2.1.7");
	expect("-lt0D80-", "libTorrent (rtorrent) 0.13.8");
	expect("-DE13F0-", "Deluge 1.3.15");
	expect("-DE2110-", "Deluge 2.1.1");
	expect("-UT355W-", "µTorrent 3.5.5");
	expect("-UM1870-", "µTorrent Mac 1.8.7");
	expect("-BT7A0B-", "BitTorrent 7.10.0");
	expect("-AZ5770-", "Vuze 5.7.7");
	expect("-BI3600-", "BiglyBT 3.6.0");
	expect("-KT4130-", "KTorrent 4.1.3");
	expect("-BC0150-", "BitComet 1.50");
	expect("-WW0105-", "WebTorrent 1.5");
	expect("-WD0011-", "WebTorrent Desktop 0.11");
	expect("-SW0010-", "swarmwatch 0.0.1");
	expect("-XL0012-", "Xunlei 0.0.1.2");
	/* Unknown code, malformed versions, a wrong ending. */
	expect("-XY1234-", "unknown (-XY1234-)");
	expect("-qB4.2.-", "unknown (-qB4.2.-)");
	expect("-TR3000x", "unknown (-TR3000x)");
	expect("-BC01A0-", "unknown (-BC01A0-)");
}

static void test_other_styles(void **state)
{
	(void)state;
	expect("A2-1-36-0-", "aria2 1.36.0");
	expect("A2-1-9-12-", "aria2 1.9.12");
	expect("M7-2-3--", "BitTorrent (Mainline) 7.2.3");
	expect("M4-20-8-", "BitTorrent (Mainline) 4.20.8");
	expect("Q1-10-0-", "Queen Bee 1.10.0");
	expect("M1234-1-1-", "unknown (M1234-1-)");
	expect("A2-1-36", "unknown (A2-1-36x)");
	expect("S58B-----", "Shadow 5.8.11");
	expect("T03I-----", "BitTornado 0.3.18");
	expect("A310-----", "ABC 3.1.0");
	expect("T03I--x--", "unknown (T03I--x-)");
	expect("T------", "unknown (T------x)");
	expect("TIX0291-", "Tixati 2.91");
	expect("TIX02a1-", "unknown (TIX02a1-)");
}

static void test_unknown_escapes(void **state)
{
	static const uint8_t id[SW_PEER_ID_LEN] = {0x90, 0xcf, '\\', 'A', ' ', 0x7f, 0, '-'};
	char out[SW_CLIENTID_LEN], small[5];

	(void)state;
	assert_int_equal(sw_clientid_from_peer_id(id, out, sizeof(out)), SW_CLIENTID_UNKNOWN);
	assert_string_equal(out, "unknown (\\x90\\xcf\\x5cA \\x7f\\x00-)");
	/* The longest unknown name fits SW_CLIENTID_LEN; small buffers are cut. */
	memset(out, 0, sizeof(out));
	sw_clientid_from_peer_id((const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff"
	                                          "123456789012",
	                         out, sizeof(out));
	assert_int_equal(strlen(out), 42);
	sw_clientid_from_peer_id((const uint8_t *)"-TR3000-123456789012", small, sizeof(small));
	assert_string_equal(small, "Tran");
	small[0] = 'z';
	assert_int_equal(sw_clientid_from_peer_id(id, small, 0), SW_CLIENTID_UNKNOWN);
	assert_int_equal(small[0], 'z');
}

static void test_describe(void **state)
{
	static const uint8_t id[SW_PEER_ID_LEN] = "-qB4520-1Cep64MDYOxA";
	char out[SW_CLIENTID_LEN];

	(void)state;
	assert_int_equal(
	    sw_clientid_describe(id, (const uint8_t *)"qBittorrent/4.5.2", 17, out, sizeof(out)),
	    SW_CLIENTID_V);
	assert_string_equal(out, "qBittorrent/4.5.2");
	assert_int_equal(sw_clientid_describe(id, NULL, 0, out, sizeof(out)), SW_CLIENTID_PEER_ID);
	assert_string_equal(out, "qBittorrent 4.5.2");
	assert_int_equal(sw_clientid_describe(id, (const uint8_t *)"", 0, out, sizeof(out)),
	                 SW_CLIENTID_PEER_ID);
	assert_int_equal(sw_clientid_describe(id, (const uint8_t *)"x\n\x1b", 3, out, sizeof(out)),
	                 SW_CLIENTID_V);
	assert_string_equal(out, "x??");
}

/* Peer id and "v" of a captured stream. */
static void real(const char *file, const char *want_id, const char *want_v)
{
	char path[512], out[SW_CLIENTID_LEN];
	struct sw_pw_handshake h;
	struct sw_px_handshake xh;
	struct sw_pw_msg m;
	struct sw_buf b;
	size_t off = SW_PW_HANDSHAKE_LEN, used;

	snprintf(path, sizeof(path), "%s%s", FIXTURES, file);
	sw_buf_init(&b, 1 << 22);
	if (sw_buf_read_file(&b, path) != SW_OK)
		fail_msg("cannot read fixture %s", path);
	assert_int_equal(sw_pw_parse_handshake(b.data, b.len, &h, NULL), SW_OK);
	assert_int_equal(sw_clientid_from_peer_id(h.peer_id, out, sizeof(out)),
	                 SW_CLIENTID_PEER_ID);
	assert_string_equal(out, want_id);
	do {
		assert_int_equal(sw_pw_next_message(b.data + off, b.len - off, &m, &used, NULL),
		                 SW_OK);
		off += used;
	} while (m.id != SW_PW_EXTENDED || m.ext_id != SW_PX_EXT_HANDSHAKE);
	assert_int_equal(sw_px_parse_handshake(m.data, m.data_len, &xh, NULL), SW_OK);
	assert_int_equal(sw_clientid_describe(h.peer_id, (const uint8_t *)xh.client,
	                                      strlen(xh.client), out, sizeof(out)),
	                 SW_CLIENTID_V);
	assert_string_equal(out, want_v);
	sw_buf_deinit(&b);
}

static void test_real_clients(void **state)
{
	(void)state;
	real("transmission.bin", "Transmission 3.00", "Transmission 3.00");
	real("aria2.bin", "aria2 1.36.0", "aria2/1.36.0");
	real("qbittorrent.bin", "qBittorrent 4.5.2", "qBittorrent/4.5.2");
	real("rtorrent.bin", "libTorrent (rtorrent) 0.13.8", "libTorrent 0.13.8");
	real("libtorrent.bin", "libtorrent 2.0.8", "libtorrent/2.0.8.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_azureus),         cmocka_unit_test(test_other_styles),
	    cmocka_unit_test(test_unknown_escapes), cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_real_clients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
