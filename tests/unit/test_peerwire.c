/*
 * test_peerwire.c - BEP 3/6/10 framing: the handshake (built byte-exact,
 * parsed, refused early), the resumable message reader (every message
 * type, every split point, hostile lengths), the builders, bitfields and
 * the have tracker; and the streams real clients sent us
 * (tests/fixtures/peerwire/, see README.md), read both whole and byte by
 * byte.
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
#include "proto/peerwire.h"

#define FIXTURES       SW_SOURCE_DIR "/tests/fixtures/peerwire/"
#define FIXTURE_PIECES 1001 /* fixture.torrent: 32 KiB pieces, the last one short */

static const uint8_t IH[SW_INFOHASH_LEN] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                            0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                            0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
static const uint8_t PID[SW_PEER_ID_LEN] = "-SW0010-abcdefghijkl";

static void load(const char *name, struct sw_buf *b)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
	sw_buf_init(b, 1 << 22);
	if (sw_buf_read_file(b, path) != SW_OK)
		fail_msg("cannot read fixture %s", path);
}

/* --- handshake ----------------------------------------------------------- */

static void test_handshake_build(void **state)
{
	uint8_t out[SW_PW_HANDSHAKE_LEN];
	uint8_t want[SW_PW_HANDSHAKE_LEN];

	(void)state;
	want[0] = 19;
	memcpy(want + 1, "BitTorrent protocol", 19);
	memcpy(want + 20, "\0\0\0\0\0\x10\0\x04", 8); /* extension protocol + fast */
	memcpy(want + 28, IH, 20);
	memcpy(want + 48, PID, 20);
	assert_int_equal(sw_pw_build_handshake(out, sizeof(out), IH, PID), SW_PW_HANDSHAKE_LEN);
	assert_memory_equal(out, want, sizeof(want));
	assert_true(sw_pw_reserved_has_ext(out + 20));
	assert_true(sw_pw_reserved_has_fast(out + 20));
	assert_false(sw_pw_reserved_has_dht(out + 20));
	assert_int_equal(sw_pw_build_handshake(out, 67, IH, PID), SW_E_TOO_BIG);
}

static void test_handshake_parse(void **state)
{
	uint8_t hs[SW_PW_HANDSHAKE_LEN + 4];
	struct sw_pw_handshake h;
	struct sw_errbuf eb;
	size_t n;

	(void)state;
	sw_pw_build_handshake(hs, sizeof(hs), IH, PID);
	memcpy(hs + SW_PW_HANDSHAKE_LEN, "\0\0\0\0", 4); /* a keep-alive follows */
	for (n = 0; n < SW_PW_HANDSHAKE_LEN; n++)
		assert_int_equal(sw_pw_parse_handshake(hs, n, &h, NULL), SW_E_NEED_MORE);
	assert_int_equal(sw_pw_parse_handshake(hs, sizeof(hs), &h, NULL), SW_OK);
	assert_memory_equal(h.infohash, IH, 20);
	assert_memory_equal(h.peer_id, PID, 20);
	assert_memory_equal(h.reserved, "\0\0\0\0\0\x10\0\x04", 8);

	/* Refused on the first byte that shows it is not a handshake. */
	assert_int_equal(sw_pw_parse_handshake((const uint8_t *)"GET / HTTP/1.1", 1, &h, &eb),
	                 SW_E_INVALID);
	assert_string_equal(eb.msg, "not a BitTorrent handshake: first byte is 0x47, not 19 "
	                            "(an encrypted stream?)");
	hs[6] = 'x'; /* "BitTxrrent" */
	assert_int_equal(sw_pw_parse_handshake(hs, 6, &h, NULL), SW_E_NEED_MORE);
	assert_int_equal(sw_pw_parse_handshake(hs, 7, &h, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "protocol string"));
	hs[6] = 'o';
	hs[0] = 18;
	assert_int_equal(sw_pw_parse_handshake(hs, sizeof(hs), &h, NULL), SW_E_INVALID);
}

/* --- reading messages ---------------------------------------------------- */

static int next(const uint8_t *p, size_t n, struct sw_pw_msg *m, size_t *used)
{
	return sw_pw_next_message(p, n, m, used, NULL);
}

static void test_messages_each(void **state)
{
	static const uint8_t stream[] = {
	    0, 0, 0, 0,                                                            /* keep-alive */
	    0, 0, 0, 1,  0,                                                        /* choke */
	    0, 0, 0, 1,  1,                                                        /* unchoke */
	    0, 0, 0, 5,  4,  0,    0,    1,   2,                                   /* have 258 */
	    0, 0, 0, 3,  5,  0xff, 0x80,                                           /* bitfield */
	    0, 0, 0, 13, 6,  0,    0,    0,   1, 0, 0, 0x40, 0, 0,   0,   0x40, 0, /* request */
	    0, 0, 0, 11, 7,  0,    0,    0,   2, 0, 0, 0,    0, 'a', 'b', /* piece, 2-byte block */
	    0, 0, 0, 3,  9,  0x1a, 0xe1,                                  /* port 6881 */
	    0, 0, 0, 1,  14,                                              /* have all */
	    0, 0, 0, 13, 16, 0,    0,    0,   3, 0, 0, 0,    0, 0,   0,   0x40, 0, /* reject */
	    0, 0, 0, 5,  17, 0,    0,    0,   7, /* allowed fast 7 */
	    0, 0, 0, 4,  20, 3,    'd',  'e',    /* extended 3 "de" */
	    0, 0, 0, 3,  99, 'z',  'z',          /* unknown id 99 */
	};
	struct sw_pw_msg m;
	size_t off = 0, used;

	(void)state;
	assert_int_equal(next(stream, sizeof(stream), &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_KEEPALIVE);
	assert_int_equal(used, 4);
	assert_string_equal(sw_pw_msg_name(m.id), "keep-alive");
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_CHOKE);
	assert_int_equal(m.payload_len, 0);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_UNCHOKE);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_HAVE);
	assert_int_equal(m.index, 258);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_BITFIELD);
	assert_int_equal(m.data_len, 2);
	assert_ptr_equal(m.data, stream + off + 5);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_REQUEST);
	assert_int_equal(m.index, 1);
	assert_int_equal(m.begin, 0x4000);
	assert_int_equal(m.length, 0x4000);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_PIECE);
	assert_int_equal(m.index, 2);
	assert_int_equal(m.begin, 0);
	assert_int_equal(m.length, 2);
	assert_memory_equal(m.data, "ab", 2);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_PORT);
	assert_int_equal(m.port, 6881);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_HAVE_ALL);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_REJECT);
	assert_int_equal(m.index, 3);
	assert_int_equal(m.length, 0x4000);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_ALLOWED_FAST);
	assert_int_equal(m.index, 7);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, SW_PW_EXTENDED);
	assert_int_equal(m.ext_id, 3);
	assert_int_equal(m.data_len, 2);
	assert_memory_equal(m.data, "de", 2);
	off += used;
	assert_int_equal(next(stream + off, sizeof(stream) - off, &m, &used), SW_OK);
	assert_int_equal(m.id, 99);
	assert_false(sw_pw_msg_known(m.id));
	assert_null(sw_pw_msg_name(m.id));
	assert_int_equal(m.payload_len, 2);
	off += used;
	assert_int_equal(off, sizeof(stream));
	assert_int_equal(next(stream + off, 0, &m, &used), SW_E_NEED_MORE);
	assert_int_equal(used, 0);
}

static void test_messages_need_more(void **state)
{
	static const uint8_t have[] = {0, 0, 0, 5, 4, 0, 0, 0, 9};
	struct sw_pw_msg m;
	size_t n, used = 99;

	(void)state;
	for (n = 0; n < 4; n++) {
		assert_int_equal(next(have, n, &m, &used), SW_E_NEED_MORE);
		assert_int_equal(m.frame_len, SW_PW_LEN_PREFIX);
		assert_int_equal(used, 0);
	}
	for (; n < sizeof(have); n++) {
		assert_int_equal(next(have, n, &m, &used), SW_E_NEED_MORE);
		assert_int_equal(m.frame_len, sizeof(have));
	}
	assert_int_equal(next(have, n, &m, &used), SW_OK);
	assert_int_equal(used, sizeof(have));
	assert_int_equal(m.index, 9);
}

static void test_messages_hostile(void **state)
{
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff};
	static const uint8_t have3[] = {0, 0, 0, 4, 4, 0, 0, 1};
	static const uint8_t have5[] = {0, 0, 0, 6, 4, 0, 0, 0, 1, 0};
	static const uint8_t choke1[] = {0, 0, 0, 2, 0, 0};
	static const uint8_t piece7[] = {0, 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t ext0[] = {0, 0, 0, 1, 20};
	static const uint8_t port3[] = {0, 0, 0, 4, 9, 0, 0, 1};
	static const uint8_t havenone1[] = {0, 0, 0, 2, 15, 0};
	uint8_t limit[4];
	struct sw_pw_msg m;
	struct sw_errbuf eb;
	size_t used;

	(void)state;
	/* A 4 GB length prefix is refused on its own 4 bytes. */
	assert_int_equal(sw_pw_next_message(huge, sizeof(huge), &m, &used, &eb), SW_E_TOO_BIG);
	assert_string_equal(eb.msg, "message length 4294967295 exceeds the limit of 1048585 bytes");
	assert_int_equal(used, 0);
	limit[0] = (uint8_t)(SW_PW_MAX_MSG_LEN >> 24);
	limit[1] = (uint8_t)(SW_PW_MAX_MSG_LEN >> 16);
	limit[2] = (uint8_t)(SW_PW_MAX_MSG_LEN >> 8);
	limit[3] = (uint8_t)SW_PW_MAX_MSG_LEN;
	assert_int_equal(next(limit, 4, &m, &used), SW_E_NEED_MORE);
	assert_int_equal(m.frame_len, SW_PW_MAX_MSG_LEN + 4);
	limit[3]++;
	assert_int_equal(next(limit, 4, &m, &used), SW_E_TOO_BIG);

	assert_int_equal(sw_pw_next_message(have3, sizeof(have3), &m, &used, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "have message with a 3-byte payload, expected 4");
	assert_int_equal(next(have5, sizeof(have5), &m, &used), SW_E_INVALID);
	assert_int_equal(sw_pw_next_message(choke1, sizeof(choke1), &m, &used, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "choke message with a 1-byte payload, expected 0");
	assert_int_equal(sw_pw_next_message(piece7, sizeof(piece7), &m, &used, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "piece message with a 7-byte payload, expected at least 8");
	assert_int_equal(next(ext0, sizeof(ext0), &m, &used), SW_E_INVALID);
	assert_int_equal(next(port3, sizeof(port3), &m, &used), SW_E_INVALID);
	assert_int_equal(next(havenone1, sizeof(havenone1), &m, &used), SW_E_INVALID);
	assert_int_equal(used, 0);
}

/* --- builders ------------------------------------------------------------ */

static void test_builders(void **state)
{
	uint8_t out[64], big[8];
	static const uint8_t req[] = {0, 0, 0, 13, 6, 0, 0, 1, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0};
	static const uint8_t ext[] = {0, 0, 0, 4, 20, 2, 'd', 'e'};

	(void)state;
	assert_int_equal(sw_pw_build_keepalive(out, sizeof(out)), 4);
	assert_memory_equal(out, "\0\0\0\0", 4);
	assert_int_equal(sw_pw_build_interested(out, sizeof(out)), 5);
	assert_memory_equal(out, "\0\0\0\1\2", 5);
	assert_int_equal(sw_pw_build_not_interested(out, sizeof(out)), 5);
	assert_memory_equal(out, "\0\0\0\1\3", 5);
	assert_int_equal(sw_pw_build_have_none(out, sizeof(out)), 5);
	assert_memory_equal(out, "\0\0\0\1\x0f", 5);
	assert_int_equal(sw_pw_build_request(out, sizeof(out), 256, 0x4000, 0x4000), 17);
	assert_memory_equal(out, req, sizeof(req));
	assert_int_equal(sw_pw_build_request(out, sizeof(out), 0, 0, 0), SW_E_INVALID);
	assert_int_equal(sw_pw_build_request(out, sizeof(out), 0, 0, SW_PW_BLOCK_LEN + 1),
	                 SW_E_INVALID);
	assert_int_equal(sw_pw_build_extended(out, sizeof(out), 2, (const uint8_t *)"de", 2), 8);
	assert_memory_equal(out, ext, sizeof(ext));

	/* Too small a buffer, and an extended message past the cap. */
	assert_int_equal(sw_pw_build_keepalive(big, 3), SW_E_TOO_BIG);
	assert_int_equal(sw_pw_build_interested(big, 4), SW_E_TOO_BIG);
	assert_int_equal(sw_pw_build_request(big, sizeof(big), 0, 0, 1), SW_E_TOO_BIG);
	assert_int_equal(sw_pw_build_extended(big, sizeof(big), 2, (const uint8_t *)"abc", 3),
	                 SW_E_TOO_BIG);
	assert_int_equal(sw_pw_build_extended(big, SIZE_MAX, 2, out, SW_PW_MAX_MSG_LEN - 1),
	                 SW_E_TOO_BIG);

	/* What we build, we read back. */
	{
		struct sw_pw_msg m;
		size_t used;

		sw_pw_build_request(out, sizeof(out), 7, 16384, 1000);
		assert_int_equal(next(out, 17, &m, &used), SW_OK);
		assert_int_equal(m.id, SW_PW_REQUEST);
		assert_int_equal(m.index, 7);
		assert_int_equal(m.begin, 16384);
		assert_int_equal(m.length, 1000);
	}
}

/* --- bitfields ----------------------------------------------------------- */

static void test_bitfield(void **state)
{
	uint8_t bits[3] = {0xff, 0x01, 0x80};
	struct sw_errbuf eb;

	(void)state;
	assert_int_equal(sw_pw_bitfield_len(0), 0);
	assert_int_equal(sw_pw_bitfield_len(1), 1);
	assert_int_equal(sw_pw_bitfield_len(8), 1);
	assert_int_equal(sw_pw_bitfield_len(9), 2);
	assert_int_equal(sw_pw_bitfield_len(UINT32_MAX), 536870912);

	assert_int_equal(sw_pw_bitfield_check(bits, 3, 17, NULL), SW_OK);
	assert_int_equal(sw_pw_bitfield_count(bits, 3, 17), 10);
	assert_int_equal(sw_pw_bitfield_check(bits, 3, 24, NULL), SW_OK);
	assert_int_equal(sw_pw_bitfield_check(bits, 3, 16, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "bitfield is 3 bytes, expected 2 for 16 pieces");
	assert_int_equal(sw_pw_bitfield_check(bits, 2, 17, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "bitfield is 2 bytes, expected 3 for 17 pieces");
	bits[2] = 0xc0; /* piece 17 of 17: a spare bit */
	assert_int_equal(sw_pw_bitfield_check(bits, 3, 17, &eb), SW_E_INVALID);
	assert_string_equal(eb.msg, "spare bits set in bitfield");
	assert_int_equal(sw_pw_bitfield_check(bits, 3, 18, NULL), SW_OK);
	/* count ignores spare bits and bytes it is not given */
	assert_int_equal(sw_pw_bitfield_count(bits, 3, 17), 10);
	assert_int_equal(sw_pw_bitfield_count(bits, 1, 17), 8);
	assert_true(sw_pw_bitfield_get(bits, 15));
	assert_false(sw_pw_bitfield_get(bits, 14));
	assert_int_equal(sw_pw_bitfield_check(NULL, 0, 0, NULL), SW_OK);
}

static void test_have_tracker(void **state)
{
	uint8_t store[3], bf[3] = {0x80, 0x00, 0x80};
	struct sw_pw_have h;
	struct sw_errbuf eb;

	(void)state;
	memset(store, 0xee, sizeof(store));
	sw_pw_have_init(&h, store, 17);
	assert_int_equal(h.count, 0);
	assert_memory_equal(store, "\0\0\0", 3);
	assert_int_equal(sw_pw_have_add(&h, 3, NULL), SW_OK);
	assert_int_equal(sw_pw_have_add(&h, 3, NULL), SW_OK); /* again: counted once */
	assert_int_equal(h.count, 1);
	assert_true(sw_pw_have_get(&h, 3));
	assert_false(sw_pw_have_get(&h, 4));
	assert_false(sw_pw_have_get(&h, 17));
	assert_int_equal(sw_pw_have_add(&h, 17, &eb), SW_E_RANGE);
	assert_string_equal(eb.msg, "have for piece 17 of 17");
	assert_int_equal(sw_pw_have_add(&h, UINT32_MAX, NULL), SW_E_RANGE);
	assert_int_equal(h.count, 1);

	/* A bitfield merges: pieces 0 and 16, with 3 from the have. */
	assert_int_equal(sw_pw_have_bitfield(&h, bf, 3, NULL), SW_OK);
	assert_int_equal(h.count, 3);
	bf[2] = 0x40;
	assert_int_equal(sw_pw_have_bitfield(&h, bf, 3, NULL), SW_E_INVALID);
	assert_int_equal(sw_pw_have_bitfield(&h, bf, 2, NULL), SW_E_INVALID);
	assert_int_equal(h.count, 3);
	assert_false(sw_pw_have_complete(&h));

	sw_pw_have_all(&h);
	assert_int_equal(h.count, 17);
	assert_true(sw_pw_have_complete(&h));
	assert_memory_equal(store, "\xff\xff\x80", 3); /* spare bits stay zero */
	assert_int_equal(sw_pw_bitfield_check(store, 3, 17, NULL), SW_OK);
	assert_int_equal(sw_pw_have_add(&h, 16, NULL), SW_OK);
	assert_int_equal(h.count, 17);
}

/* --- real clients -------------------------------------------------------- */

struct stream_stats {
	size_t msgs, keepalive, have, bitfield_pieces, have_all, ext, allowed_fast;
	uint32_t held; /* pieces in the have tracker at the end */
	uint8_t reserved[SW_PW_RESERVED_LEN];
	uint8_t peer_id[SW_PEER_ID_LEN];
};

/* Read a whole captured stream; every message must be well-formed. */
static void read_stream(const uint8_t *p, size_t n, struct stream_stats *st)
{
	uint8_t bits[(FIXTURE_PIECES + 7) / 8];
	struct sw_pw_handshake h;
	struct sw_pw_have have;
	struct sw_pw_msg m;
	struct sw_errbuf eb;
	size_t off = SW_PW_HANDSHAKE_LEN, used;

	memset(st, 0, sizeof(*st));
	sw_pw_have_init(&have, bits, FIXTURE_PIECES);
	assert_int_equal(sw_pw_parse_handshake(p, n, &h, &eb), SW_OK);
	memcpy(st->reserved, h.reserved, sizeof(h.reserved));
	memcpy(st->peer_id, h.peer_id, sizeof(h.peer_id));
	while (off < n) {
		int rc = sw_pw_next_message(p + off, n - off, &m, &used, &eb);

		if (rc != SW_OK)
			fail_msg("message at byte %zu: %s", off, eb.msg);
		assert_true(sw_pw_msg_known(m.id) || m.id == SW_PW_KEEPALIVE);
		st->msgs++;
		switch (m.id) {
		case SW_PW_KEEPALIVE: st->keepalive++; break;
		case SW_PW_HAVE:
			st->have++;
			assert_int_equal(sw_pw_have_add(&have, m.index, NULL), SW_OK);
			break;
		case SW_PW_BITFIELD:
			assert_int_equal(sw_pw_have_bitfield(&have, m.data, m.data_len, &eb),
			                 SW_OK);
			st->bitfield_pieces =
			    sw_pw_bitfield_count(m.data, m.data_len, FIXTURE_PIECES);
			break;
		case SW_PW_HAVE_ALL:
			st->have_all++;
			sw_pw_have_all(&have);
			break;
		case SW_PW_EXTENDED: st->ext++; break;
		case SW_PW_ALLOWED_FAST: st->allowed_fast++; break;
		default: break;
		}
		off += used;
	}
	assert_int_equal(off, n);
	st->held = have.count;
}

/* The same stream fed in pieces of chunk bytes, as reads would bring it. */
static size_t read_chunked(const uint8_t *p, size_t n, size_t chunk)
{
	struct sw_pw_msg m;
	size_t start = SW_PW_HANDSHAKE_LEN, avail = SW_PW_HANDSHAKE_LEN, used, msgs = 0;
	int rc;

	while (avail < n) {
		avail = avail + chunk < n ? avail + chunk : n;
		while ((rc = next(p + start, avail - start, &m, &used)) == SW_OK) {
			start += used;
			msgs++;
		}
		assert_int_equal(rc, SW_E_NEED_MORE);
		assert_true(m.frame_len > avail - start);
	}
	assert_int_equal(start, n);
	return msgs;
}

static void check_client(const char *file, const char *id_prefix, bool fast, bool dht,
                         struct stream_stats *st)
{
	struct sw_buf b;

	load(file, &b);
	read_stream(b.data, b.len, st);
	assert_memory_equal(st->peer_id, id_prefix, strlen(id_prefix));
	assert_true(sw_pw_reserved_has_ext(st->reserved));
	assert_int_equal(sw_pw_reserved_has_fast(st->reserved), fast);
	assert_int_equal(sw_pw_reserved_has_dht(st->reserved), dht);
	assert_int_equal(read_chunked(b.data, b.len, 1), st->msgs);
	assert_int_equal(read_chunked(b.data, b.len, 7), st->msgs);
	assert_int_equal(read_chunked(b.data, b.len, 4096), st->msgs);
	sw_buf_deinit(&b);
}

static void test_real_clients(void **state)
{
	struct stream_stats st;

	(void)state;
	/* Seeds with the fast extension say have all. */
	check_client("transmission.bin", "-TR3000-", true, false, &st);
	assert_int_equal(st.have_all, 1);
	assert_int_equal(st.held, FIXTURE_PIECES);
	check_client("aria2.bin", "A2-1-36-0-", true, false, &st);
	assert_int_equal(st.have_all, 1);
	assert_true(st.allowed_fast > 0);
	check_client("qbittorrent.bin", "-qB4520-", true, true, &st);
	assert_int_equal(st.have_all, 1);
	assert_int_equal(st.held, FIXTURE_PIECES);
	check_client("qbittorrent_in.bin", "-qB4520-", true, true, &st);
	assert_int_equal(st.held, FIXTURE_PIECES);
	/* rtorrent has no fast extension: a full bitfield, spare bits clear. */
	check_client("rtorrent.bin", "-lt0D80-", false, false, &st);
	assert_int_equal(st.have_all, 0);
	assert_int_equal(st.bitfield_pieces, FIXTURE_PIECES);
	assert_int_equal(st.held, FIXTURE_PIECES);
	check_client("rtorrent_in.bin", "-lt0D80-", false, false, &st);
	assert_int_equal(st.held, FIXTURE_PIECES);
	/* The partial libtorrent leecher: every even piece, then haves. */
	check_client("libtorrent.bin", "-LT2080-", true, true, &st);
	assert_int_equal(st.bitfield_pieces, (FIXTURE_PIECES + 1) / 2);
	assert_int_equal(st.held, (FIXTURE_PIECES + 1) / 2 + st.have);
	check_client("libtorrent_in.bin", "-LT2080-", true, true, &st);
	assert_int_equal(st.bitfield_pieces, (FIXTURE_PIECES + 1) / 2);
}

static void test_real_mse(void **state)
{
	struct sw_pw_handshake h;
	struct sw_errbuf eb;
	struct sw_buf b;

	(void)state;
	/* aria2 opens its own connections with an encrypted (MSE) handshake. */
	load("aria2_in_mse.bin", &b);
	assert_int_equal(sw_pw_parse_handshake(b.data, b.len, &h, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "not a BitTorrent handshake"));
	sw_buf_deinit(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_build),  cmocka_unit_test(test_handshake_parse),
	    cmocka_unit_test(test_messages_each),    cmocka_unit_test(test_messages_need_more),
	    cmocka_unit_test(test_messages_hostile), cmocka_unit_test(test_builders),
	    cmocka_unit_test(test_bitfield),         cmocka_unit_test(test_have_tracker),
	    cmocka_unit_test(test_real_clients),     cmocka_unit_test(test_real_mse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
