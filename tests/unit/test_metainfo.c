/*
 * test_metainfo.c - .torrent parsing against real torrents and hostile ones.
 *
 * The fixtures in tests/fixtures/metainfo/ were made by libtorrent
 * (python3-libtorrent 2.0.8) with tests/fixtures/metainfo/gen.py, and every
 * expected value below (infohashes, name, total_size, num_pieces, files,
 * trackers, web seeds) is what that script printed from
 * lt.torrent_info(...) reading the same file.  libtorrent lists pad files;
 * we do not, so `files` below are libtorrent's minus its ".pad/N" entries
 * and with the torrent's root name stripped from multi-file paths.
 * test_truth_json() also checks every torrent of tests/fixtures/torrents/
 * (mktorrent, transmission-create, libtorrent) against its truth.json.
 *
 * The hostile cases are hand-built with tb(), a tiny bencode writer: "%s"
 * in its format emits the argument as a bencoded string, "%b" a (pointer,
 * length) pair as one, and every other byte is copied as is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/hex.h"
#include "proto/metainfo.h"

#define FIXTURES   SW_SOURCE_DIR "/tests/fixtures/metainfo/"
#define H20        "abcdefghijklmnopqrst"             /* one fake SHA-1 piece hash */
#define H32        "abcdefghijklmnopqrstuvwxyz012345" /* one fake pieces root */
#define MAX_EXPECT 4

/* --- helpers ---------------------------------------------------------------- */

static uint8_t tbuf[1 << 16];
static size_t tlen;

/* Build a torrent into tbuf/tlen (see the file comment). */
static const uint8_t *tb(const char *fmt, ...)
{
	va_list ap;

	tlen = 0;
	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++) {
		const char *s = f;
		size_t n = 1;

		if (f[0] == '%' && (f[1] == 's' || f[1] == 'b')) {
			if (f[1] == 's') {
				s = va_arg(ap, const char *);
				n = strlen(s);
			} else {
				s = va_arg(ap, const char *);
				n = va_arg(ap, size_t);
			}
			tlen +=
			    (size_t)snprintf((char *)tbuf + tlen, sizeof(tbuf) - tlen, "%zu:", n);
			f++;
		}
		assert_true(tlen + n < sizeof(tbuf));
		memcpy(tbuf + tlen, s, n);
		tlen += n;
	}
	va_end(ap);
	return tbuf;
}

static int parse(const uint8_t *p, size_t n, struct sw_metainfo **m, struct sw_errbuf *eb)
{
	memset(eb, 0, sizeof(*eb));
	return sw_metainfo_parse(p, n, m, eb);
}

/* Parsing tbuf fails with code and a message containing msg. */
static void expect_fail(int code, const char *msg)
{
	struct sw_metainfo *m = (struct sw_metainfo *)&m; /* must be reset to NULL */
	struct sw_errbuf eb;
	int rc = parse(tbuf, tlen, &m, &eb);

	if (rc != code || strstr(eb.msg, msg) == NULL)
		fail_msg("%.*s\n  got %d '%s', want %d '%s'", (int)tlen, (const char *)tbuf, rc,
		         eb.msg, code, msg);
	assert_null(m);
}

static struct sw_metainfo *expect_ok(void)
{
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb;
	int rc = parse(tbuf, tlen, &m, &eb);

	if (rc != SW_OK)
		fail_msg("%.*s\n  got %d '%s'", (int)tlen, (const char *)tbuf, rc, eb.msg);
	assert_non_null(m);
	return m;
}

static void load_from(const char *dir, const char *name, struct sw_buf *b)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	sw_buf_init(b, SW_METAINFO_MAX_SIZE);
	if (sw_buf_read_file(b, path) != SW_OK)
		fail_msg("cannot read %s", path);
}

static void load(const char *name, struct sw_buf *b)
{
	load_from(FIXTURES, name, b);
}

static void assert_hex(const uint8_t *h, size_t n, const char *want)
{
	char hex[2 * SW_INFOHASH_V2_LEN + 1];

	sw_hex_encode(h, n, hex);
	assert_string_equal(hex, want);
}

/* --- libtorrent-made fixtures ---------------------------------------------- */

struct expect {
	const char *file;
	const char *v1, *v2; /* hex, NULL when absent */
	const char *name;
	uint64_t total_size, content_size, num_pieces;
	bool is_private;
	size_t num_files;
	struct {
		const char *path;
		uint64_t size;
	} files[MAX_EXPECT];
	size_t num_tiers;
	const char *tiers[MAX_EXPECT]; /* one URL per tier in these fixtures */
	size_t num_seeds;
	const char *seeds[MAX_EXPECT];
};

#define TR1 "http://tracker.example/announce"
#define TR2 "udp://backup.example:6969/announce"
/* One row per fixture reads better than one value per line. */
/* clang-format off */
#define FURY_V2_FILES {{"a.nfo", 40000}, {"sub/en.srt", 5000}, {"video.mkv", 100000}}

static const struct expect fixtures[] = {
	{"v1_single.torrent", "039fcfcea37059cddd18747dab4f564e2ba8481d", NULL,
	 "Annie.2014.mkv", 70000, 70000, 5, false,
	 1, {{"Annie.2014.mkv", 70000}}, 2, {TR1, TR2}, 1, {"http://seed.example/Annie.2014.mkv"}},
	{"v1_multi.torrent", "df70943d0e84158ee88fcb3302516cf3f64e5889", NULL,
	 "Fury.2014", 145000, 145000, 9, true,
	 3, {{"video.mkv", 100000}, {"a.nfo", 40000}, {"sub/en.srt", 5000}}, 2, {TR1, TR2}, 0, {0}},
	/* v2: libtorrent pads every file, the last too: total = 5 * 16384. */
	{"v2_single.torrent", NULL, "089f21d0ea010fb956af1d3390b3076b657f3e7c011222f2e9a3ef225bb5a211",
	 "Annie.2014.mkv", 81920, 70000, 5, false,
	 1, {{"Annie.2014.mkv", 70000}}, 1, {TR1}, 0, {0}},
	{"v2_multi.torrent", NULL, "0bb3c28dc01b51e5e5e60ef68baa5fb8cfa6a9882f68a047ac08f226bb1db55f",
	 "Fury.2014", 180224, 145000, 11, false,
	 3, FURY_V2_FILES, 2, {TR1, TR2}, 0, {0}},
	{"hybrid_single.torrent", "559e6b1283268fa95da5957441b54bcb9761fdae",
	 "bf527406d769878de79e1e359b97da5b0c4135946f06dd03f182fa2af458514f",
	 "Annie.2014.mkv", 70000, 70000, 5, false,
	 1, {{"Annie.2014.mkv", 70000}}, 1, {TR1}, 0, {0}},
	/* hybrid: v1 `files` holds three pad files (a tail pad too): in total_size. */
	{"hybrid_multi.torrent", "5f628541419438fdbe2959ccbe41fa0358eced3c",
	 "ef0497efa1bc212651c97947b145352349cbfa923f42d56761b72901dd3ab1a6",
	 "Fury.2014", 180224, 145000, 11, false,
	 3, FURY_V2_FILES, 2, {TR1, TR2}, 2, {"http://seed.example/a/", "http://seed.example/b/"}},
	/* info keys out of order: the hash is over the bytes as stored */
	{"v1_unsorted.torrent", "48f5d39f47f41a6abb904f6e430381073a2bc9b5", NULL,
	 "odd.x", 5, 5, 1, false,
	 1, {{"odd.x", 5}}, 0, {0}, 0, {0}},
};
/* clang-format on */

static void check_fixture(const struct expect *x)
{
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb;
	struct sw_buf b;
	uint8_t id[SW_INFOHASH_LEN];
	int rc;

	load(x->file, &b);
	rc = parse(b.data, b.len, &m, &eb);
	if (rc != SW_OK)
		fail_msg("%s: %d %s", x->file, rc, eb.msg);
	assert_int_equal(m->has_v1, x->v1 != NULL);
	assert_int_equal(m->has_v2, x->v2 != NULL);
	if (x->v1)
		assert_hex(m->infohash_v1, SW_INFOHASH_LEN, x->v1);
	if (x->v2)
		assert_hex(m->infohash_v2, SW_INFOHASH_V2_LEN, x->v2);
	sw_metainfo_swarm_id(m, id);
	assert_memory_equal(id, x->v1 ? m->infohash_v1 : m->infohash_v2, SW_INFOHASH_LEN);
	assert_string_equal(m->name, x->name);
	assert_int_equal(m->total_size, x->total_size);
	assert_int_equal(m->content_size, x->content_size);
	assert_int_equal(m->piece_length, 16384);
	assert_int_equal(m->num_pieces, x->num_pieces);
	assert_int_equal(m->is_private, x->is_private);
	assert_int_equal(m->num_files, x->num_files);
	for (size_t i = 0; i < x->num_files; i++) {
		assert_string_equal(m->files[i].path, x->files[i].path);
		assert_int_equal(m->files[i].size, x->files[i].size);
		assert_int_equal(m->files[i].attr, 0);
	}
	assert_int_equal(m->num_tiers, x->num_tiers);
	for (size_t t = 0; t < x->num_tiers; t++) {
		assert_int_equal(m->tiers[t].num_urls, 1);
		assert_string_equal(m->tiers[t].urls[0], x->tiers[t]);
	}
	assert_int_equal(m->num_web_seeds, x->num_seeds);
	for (size_t i = 0; i < x->num_seeds; i++)
		assert_string_equal(m->web_seeds[i], x->seeds[i]);
	sw_metainfo_free(m);
	sw_buf_deinit(&b);
}

static void test_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		check_fixture(&fixtures[i]);
}

/* --- tests/fixtures/torrents/: other generators, truth.json by libtorrent ---- */

/*
 * tests/testbed/make_torrents.py made these torrents with mktorrent,
 * transmission-create and libtorrent, and wrote into truth.json what
 * lt.torrent_info reads from each (see tests/fixtures/README.md).  A small
 * JSON reader, enough for that file, follows.
 */
#define TRUTH_DIR  SW_SOURCE_DIR "/tests/fixtures/torrents/"
#define TRUTH_STR  256
#define TRUTH_KEYS 64
#define TRUTH_MAX  16

struct truth {
	char name[TRUTH_STR], infohash[TRUTH_STR], v1[TRUTH_STR], v2[TRUTH_STR];
	uint64_t total_size, content_size, piece_length, num_pieces;
	bool is_private;
	size_t num_files, num_tiers, num_urls[TRUTH_MAX];
	struct {
		char path[TRUTH_STR];
		uint64_t size;
	} files[TRUTH_MAX];
	char urls[TRUTH_MAX][TRUTH_MAX][TRUTH_STR];
};

struct jr {
	const char *p, *end;
};

static bool jpeek(struct jr *j, char c)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
	return j->p < j->end && *j->p == c;
}

static void jexpect(struct jr *j, char c)
{
	if (!jpeek(j, c))
		fail_msg("truth.json: expected '%c' at '%.20s'", c, j->p);
	j->p++;
}

/* After a member or element: step over a ',' if there is one. */
static void jcomma(struct jr *j)
{
	if (jpeek(j, ','))
		j->p++;
}

/* An unsigned integer, true, false or null (0, 1, 0, 0). */
static uint64_t jscalar(struct jr *j)
{
	char *end;
	uint64_t v;

	jpeek(j, 0);
	if (j->end - j->p >= 4 &&
	    (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "null", 4) == 0)) {
		v = j->p[0] == 't';
		j->p += 4;
		return v;
	}
	if (j->end - j->p >= 5 && strncmp(j->p, "false", 5) == 0) {
		j->p += 5;
		return 0;
	}
	v = strtoull(j->p, &end, 10);
	assert_true(end > j->p && end <= j->end);
	j->p = end;
	return v;
}

/* A string into out (decoded; null gives ""); out may be NULL to skip it. */
static void jstr(struct jr *j, char *out, size_t cap)
{
	static char scratch[1 << 12];
	size_t o = 0;

	if (out == NULL)
		out = scratch, cap = sizeof(scratch);
	if (!jpeek(j, '"')) { /* null */
		out[0] = (char)jscalar(j);
		return;
	}
	jexpect(j, '"');
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if (c == '\\') {
			c = *j->p++;
			if (c == 'u') /* make_torrents.py writes UTF-8 (ensure_ascii=False) */
				fail_msg("truth.json: \\u escapes are not supported here");
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		assert_true(o + 1 < cap);
		out[o++] = c;
	}
	jexpect(j, '"');
	out[o] = 0;
}

static void jskip(struct jr *j)
{
	char close = jpeek(j, '{') ? '}' : jpeek(j, '[') ? ']' : 0;

	if (jpeek(j, '"')) {
		jstr(j, NULL, 0);
		return;
	}
	if (close == 0) {
		(void)jscalar(j);
		return;
	}
	j->p++;
	while (!jpeek(j, close)) {
		if (close == '}') {
			jstr(j, NULL, 0);
			jexpect(j, ':');
		}
		jskip(j);
		jcomma(j);
	}
	j->p++;
}

static void read_truth_files(struct jr *j, struct truth *t)
{
	char key[TRUTH_KEYS];

	jexpect(j, '[');
	for (; !jpeek(j, ']'); jcomma(j)) {
		assert_true(t->num_files < TRUTH_MAX);
		jexpect(j, '{');
		for (; !jpeek(j, '}'); jcomma(j)) {
			jstr(j, key, sizeof(key));
			jexpect(j, ':');
			if (strcmp(key, "path") == 0)
				jstr(j, t->files[t->num_files].path, TRUTH_STR);
			else if (strcmp(key, "size") == 0)
				t->files[t->num_files].size = jscalar(j);
			else
				jskip(j);
		}
		j->p++;
		t->num_files++;
	}
	j->p++;
}

static void read_truth_tiers(struct jr *j, struct truth *t)
{
	jexpect(j, '[');
	for (; !jpeek(j, ']'); jcomma(j)) {
		size_t *n = &t->num_urls[t->num_tiers];

		assert_true(t->num_tiers < TRUTH_MAX);
		jexpect(j, '[');
		for (; !jpeek(j, ']'); jcomma(j)) {
			assert_true(*n < TRUTH_MAX);
			jstr(j, t->urls[t->num_tiers][(*n)++], TRUTH_STR);
		}
		j->p++;
		t->num_tiers++;
	}
	j->p++;
}

static void read_truth(struct jr *j, struct truth *t)
{
	char key[TRUTH_KEYS];

	memset(t, 0, sizeof(*t));
	jexpect(j, '{');
	for (; !jpeek(j, '}'); jcomma(j)) {
		jstr(j, key, sizeof(key));
		jexpect(j, ':');
		if (strcmp(key, "name") == 0)
			jstr(j, t->name, TRUTH_STR);
		else if (strcmp(key, "infohash") == 0)
			jstr(j, t->infohash, TRUTH_STR);
		else if (strcmp(key, "infohash_v1") == 0)
			jstr(j, t->v1, TRUTH_STR);
		else if (strcmp(key, "infohash_v2") == 0)
			jstr(j, t->v2, TRUTH_STR);
		else if (strcmp(key, "total_size") == 0)
			t->total_size = jscalar(j);
		else if (strcmp(key, "_content_size") == 0)
			t->content_size = jscalar(j);
		else if (strcmp(key, "piece_length") == 0)
			t->piece_length = jscalar(j);
		else if (strcmp(key, "num_pieces") == 0)
			t->num_pieces = jscalar(j);
		else if (strcmp(key, "private") == 0)
			t->is_private = jscalar(j) != 0;
		else if (strcmp(key, "files") == 0)
			read_truth_files(j, t);
		else if (strcmp(key, "trackers") == 0)
			read_truth_tiers(j, t);
		else
			jskip(j);
	}
	j->p++;
}

static void check_truth(const char *file, const struct truth *t)
{
	struct sw_metainfo *m = NULL;
	uint8_t id[SW_INFOHASH_LEN];
	struct sw_errbuf eb;
	struct sw_buf b;

	load_from(TRUTH_DIR, file, &b);
	if (parse(b.data, b.len, &m, &eb) != SW_OK)
		fail_msg("%s: %s", file, eb.msg);
	assert_int_equal(m->has_v1, t->v1[0] != 0);
	assert_int_equal(m->has_v2, t->v2[0] != 0);
	if (m->has_v1)
		assert_hex(m->infohash_v1, SW_INFOHASH_LEN, t->v1);
	if (m->has_v2)
		assert_hex(m->infohash_v2, SW_INFOHASH_V2_LEN, t->v2);
	sw_metainfo_swarm_id(m, id);
	assert_hex(id, SW_INFOHASH_LEN, t->infohash);
	assert_string_equal(m->name, t->name);
	assert_int_equal(m->total_size, t->total_size);
	assert_int_equal(m->content_size, t->content_size);
	assert_int_equal(m->piece_length, t->piece_length);
	assert_int_equal(m->num_pieces, t->num_pieces);
	assert_int_equal(m->is_private, t->is_private);
	assert_int_equal(m->num_files, t->num_files);
	for (size_t i = 0; i < t->num_files; i++) {
		assert_string_equal(m->files[i].path, t->files[i].path);
		assert_int_equal(m->files[i].size, t->files[i].size);
	}
	assert_int_equal(m->num_tiers, t->num_tiers);
	for (size_t i = 0; i < t->num_tiers; i++) {
		assert_int_equal(m->tiers[i].num_urls, t->num_urls[i]);
		for (size_t k = 0; k < t->num_urls[i]; k++)
			assert_string_equal(m->tiers[i].urls[k], t->urls[i][k]);
	}
	sw_metainfo_free(m);
	sw_buf_deinit(&b);
}

static void test_truth_json(void **state)
{
	static struct truth t;
	char file[TRUTH_STR];
	struct sw_buf b;
	struct jr j;
	size_t checked = 0;

	(void)state;
	load_from(TRUTH_DIR, "truth.json", &b);
	j.p = (const char *)b.data;
	j.end = j.p + b.len;
	jexpect(&j, '{');
	for (; !jpeek(&j, '}'); jcomma(&j)) {
		jstr(&j, file, sizeof(file));
		jexpect(&j, ':');
		if (file[0] == '_') {
			jskip(&j);
			continue;
		}
		read_truth(&j, &t);
		check_truth(file, &t);
		checked++;
	}
	assert_true(checked >= 12);
	sw_buf_deinit(&b);
}

/* The v1 infohash is SHA-1 of the info dict's bytes exactly as stored. */
static void test_hash_is_over_stored_bytes(void **state)
{
	static const char info[] = "d4:name5:odd.x12:piece lengthi16384e6:lengthi5e"
	                           "6:pieces20:" H20 "e";
	struct sw_metainfo *m;
	uint8_t want[SW_SHA1_LEN];

	(void)state;
	tlen = 0;
	memcpy(tbuf, "d4:info", 7);
	memcpy(tbuf + 7, info, sizeof(info) - 1);
	tlen = 7 + sizeof(info) - 1;
	tbuf[tlen++] = 'e';
	m = expect_ok();
	assert_int_equal(sw_sha1(info, sizeof(info) - 1, want), SW_OK);
	assert_memory_equal(m->infohash_v1, want, SW_SHA1_LEN);
	sw_metainfo_free(m);
}

/* --- bencode-level failures -------------------------------------------------- */

static void test_bencode_errors(void **state)
{
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb;
	struct sw_buf b;
	int rc;

	(void)state;
	load("v1_single.torrent", &b);
	/* truncated: every proper prefix fails, none crashes */
	for (size_t n = 0; n < b.len; n++) {
		rc = parse(b.data, n, &m, &eb);
		assert_int_not_equal(rc, SW_OK);
		assert_null(m);
	}
	rc = parse(b.data, b.len - 1, &m, &eb);
	assert_int_equal(rc, SW_E_NEED_MORE);
	assert_non_null(strstr(eb.msg, "invalid bencode at byte"));
	/* trailing bytes after the root dict */
	memcpy(tbuf, b.data, b.len);
	tbuf[b.len] = 'x';
	tlen = b.len + 1;
	snprintf(eb.msg, sizeof(eb.msg), "invalid bencode at byte %zu: trailing bytes after value",
	         b.len);
	expect_fail(SW_E_TRAILING, eb.msg);
	sw_buf_deinit(&b);

	tb("d4:infod4:name99:abc");
	expect_fail(SW_E_NEED_MORE, "invalid bencode at byte 14: string length exceeds input");
	tb("i5e");
	expect_fail(SW_E_INVALID, "not a bencoded dictionary");
	/* too big: refused before a byte is read */
	rc = parse(tbuf, (size_t)SW_METAINFO_MAX_SIZE + 1, &m, &eb);
	assert_int_equal(rc, SW_E_TOO_BIG);
	assert_null(m);
}

/* --- the info dict --------------------------------------------------------- */

static void test_info_errors(void **state)
{
	(void)state;
	tb("d%si1ee", "spam");
	expect_fail(SW_E_INVALID, "missing 'info'");
	tb("d%si1ee", "info");
	expect_fail(SW_E_INVALID, "'info' is not a dictionary");
	tb("d%sd%si5e%si16384e%s%see", "info", "length", "piece length", "pieces", H20);
	expect_fail(SW_E_INVALID, "missing 'name'");
	tb("d%sd%si5e%s%s%si16384e%s%see", "info", "length", "name", "", "piece length", "pieces",
	   H20);
	expect_fail(SW_E_INVALID, "'name' is empty");
	tb("d%sd%si5e%s%s%si0e%s%see", "info", "length", "name", "a", "piece length", "pieces",
	   H20);
	expect_fail(SW_E_INVALID, "'piece length' is not a positive integer");
	tb("d%sd%si5e%s%s%s%s%s%see", "info", "length", "name", "a", "piece length", "x", "pieces",
	   H20);
	expect_fail(SW_E_INVALID, "'piece length' is not a positive integer");
	tb("d%sd%si5e%s%s%si16384e%s%see", "info", "length", "name", "a", "piece length", "pieces",
	   "0123456789012345678");
	expect_fail(SW_E_INVALID, "'pieces' length is not a multiple of 20");
	tb("d%sd%si5e%s%s%si16384e%s%see", "info", "length", "name", "a", "piece length", "pieces",
	   H20 H20);
	expect_fail(SW_E_INVALID, "'pieces' holds 2 hashes but 5 bytes in pieces of 16384 need 1");
	tb("d%sd%si5e%s%s%si16384eee", "info", "length", "name", "a", "piece length");
	expect_fail(SW_E_INVALID, "missing 'pieces'");
	tb("d%sd%si-5e%s%s%si16384e%s%see", "info", "length", "name", "a", "piece length", "pieces",
	   H20);
	expect_fail(SW_E_INVALID, "'length' is negative");
	tb("d%sd%si0e%s%s%si16384e%s%see", "info", "length", "name", "a", "piece length", "pieces",
	   "");
	expect_fail(SW_E_INVALID, "torrent holds no data");
	tb("d%sd%s%s%si16384e%s%see", "info", "name", "a", "piece length", "pieces", H20);
	expect_fail(SW_E_INVALID, "missing 'length' in the info dictionary");
	tb("d%sd%s%s%s%s%si16384e%s%see", "info", "length", "5", "name", "a", "piece length",
	   "pieces", H20);
	expect_fail(SW_E_INVALID, "'length' in the info dictionary is not an integer");
	/* a single-file name is a path too */
	tb("d%sd%si5e%s%s%si16384e%s%see", "info", "length", "name", "..", "piece length", "pieces",
	   H20);
	expect_fail(SW_E_INVALID, "file path component '..' is not allowed in 'name'");
	tb("d%sd%si5e%s%b%si16384e%s%see", "info", "length", "name", "a\0b", (size_t)3,
	   "piece length", "pieces", H20);
	expect_fail(SW_E_INVALID, "'name' contains a NUL byte");
}

/* A multi-file v1 info dict holding one `files` entry. */
static void one_file(const char *entry)
{
	static char fmt[512];

	snprintf(fmt, sizeof(fmt), "d%%sd%%sl%se%%s%%s%%si16384e%%s%%see", entry);
	tb(fmt, "info", "files", "name", "root", "piece length", "pieces", H20);
}

static void test_v1_files_errors(void **state)
{
	(void)state;
	tb("d%sd%s%s%s%s%si16384e%s%see", "info", "files", "x", "name", "a", "piece length",
	   "pieces", H20);
	expect_fail(SW_E_INVALID, "'files' is not a list");
	tb("d%sd%sle%s%s%si16384e%s%see", "info", "files", "name", "a", "piece length", "pieces",
	   H20);
	expect_fail(SW_E_INVALID, "'files' is empty");
	one_file("i1e");
	expect_fail(SW_E_INVALID, "'files' entry 0 is not a dictionary");
	one_file("d6:lengthi-1e4:pathl1:aee");
	expect_fail(SW_E_INVALID, "'length' is negative in 'files' entry 0");
	one_file("d6:lengthi1ee");
	expect_fail(SW_E_INVALID, "'files' entry 0 has no 'path' list");
	one_file("d6:lengthi1e4:pathlee");
	expect_fail(SW_E_INVALID, "'files' entry 0 has an empty 'path'");
	one_file("d6:lengthi1e4:pathli1eee");
	expect_fail(SW_E_INVALID, "'path' component that is not a string");
	one_file("d6:lengthi1e4:pathl2:..1:aee");
	expect_fail(SW_E_INVALID, "file path component '..' is not allowed in 'files' entry 0");
	one_file("d6:lengthi1e4:pathl1:a1:.ee");
	expect_fail(SW_E_INVALID, "file path component '.' is not allowed");
	one_file("d6:lengthi1e4:pathl1:a0:ee");
	expect_fail(SW_E_INVALID, "file path has an empty component");
	one_file("d6:lengthi1e4:pathl3:a/bee");
	expect_fail(SW_E_INVALID, "file path component contains '/'");
	tb("d%sd%sld%si1e%sl%beee%s%s%si16384e%s%see", "info", "files", "length", "path", "a\0b",
	   (size_t)3, "name", "root", "piece length", "pieces", H20);
	expect_fail(SW_E_INVALID, "file path component contains a NUL byte");
	/* two files whose sizes sum past INT64_MAX */
	tb("d%sd%sld%si9223372036854775807e%sl%see"
	   "d%si1e%sl%seee%s%s%si16384e%s%see",
	   "info", "files", "length", "path", "a", "length", "path", "b", "name", "root",
	   "piece length", "pieces", H20);
	expect_fail(SW_E_INVALID, "total size overflows");
}

/* Pad files count in total_size and num_pieces, not in the listing. */
static void test_v1_pad_files(void **state)
{
	struct sw_metainfo *m;

	(void)state;
	tb("d%sd%sl"
	   "d%si100e%sl%see"
	   "d%s%s%si16284e%sl%s%see"
	   "d%s%s%si5e%sl%s%see"
	   "d%s%s%si9e%sl%s%see"
	   "e%s%s%si16384e%s%see",
	   "info", "files", "length", "path", "a", "attr", "p", "length", "path", ".pad", "16284",
	   "attr", "xh", "length", "path", "dir", "b", "attr", "l", "length", "path", "dir", "link",
	   "name", "root", "piece length", "pieces", H20 H20);
	m = expect_ok();
	assert_true(m->has_v1);
	assert_false(m->has_v2);
	assert_int_equal(m->total_size, 16389); /* 100 + 16284 pad + 5 + a 0-byte link */
	assert_int_equal(m->content_size, 105);
	assert_int_equal(m->num_pieces, 2);
	assert_int_equal(m->num_files, 3);
	assert_string_equal(m->files[0].path, "a");
	assert_string_equal(m->files[1].path, "dir/b");
	assert_int_equal(m->files[1].attr, SW_FILE_EXECUTABLE | SW_FILE_HIDDEN);
	assert_string_equal(m->files[2].path, "dir/link");
	assert_int_equal(m->files[2].size, 0);
	assert_int_equal(m->files[2].attr, SW_FILE_SYMLINK);
	sw_metainfo_free(m);
}

/* libtorrent prefers name.utf-8 and path.utf-8. */
static void test_utf8_names(void **state)
{
	struct sw_metainfo *m;

	(void)state;
	tb("d%sd%si5e%s%s%s%s%si16384e%s%see", "info", "length", "name", "plain", "name.utf-8",
	   "\xc3\x9c.mkv", "piece length", "pieces", H20);
	m = expect_ok();
	assert_string_equal(m->name, "\xc3\x9c.mkv");
	assert_string_equal(m->files[0].path, "\xc3\x9c.mkv");
	sw_metainfo_free(m);

	/* an empty name.utf-8 falls back to name */
	tb("d%sd%si5e%s%s%s%s%si16384e%s%see", "info", "length", "name", "plain", "name.utf-8", "",
	   "piece length", "pieces", H20);
	m = expect_ok();
	assert_string_equal(m->name, "plain");
	sw_metainfo_free(m);

	one_file("d6:lengthi5e4:pathl1:pe10:path.utf-8l1:uee");
	m = expect_ok();
	assert_string_equal(m->name, "root");
	assert_string_equal(m->files[0].path, "u");
	sw_metainfo_free(m);
}

/* --- trackers and web seeds -------------------------------------------------- */

#define V1_INFO "d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:" H20 "e"

static void test_announce_list(void **state)
{
	struct sw_metainfo *m;

	(void)state;
	/* duplicates (even across tiers), empties, blanks, non-strings, empty tiers */
	tb("d%s%s%sl"
	   "l%s%s%s%se"
	   "le"
	   "l%si1e%s%se"
	   "i7e"
	   "e%s" V1_INFO "e",
	   "announce", "http://ignored/", "announce-list", "http://a/", "", "http://a/",
	   " http://b/ ", "http://b/", "udp://c:1", "http://a/", "info");
	m = expect_ok();
	assert_int_equal(m->num_tiers, 2);
	assert_int_equal(m->tiers[0].num_urls, 2);
	assert_string_equal(m->tiers[0].urls[0], "http://a/");
	assert_string_equal(m->tiers[0].urls[1], "http://b/");
	assert_int_equal(m->tiers[1].num_urls, 1);
	assert_string_equal(m->tiers[1].urls[0], "udp://c:1");
	assert_false(m->is_private);
	sw_metainfo_free(m);

	/* announce alone is one tier */
	tb("d%s%s%s" V1_INFO "e", "announce", "http://only/", "info");
	m = expect_ok();
	assert_int_equal(m->num_tiers, 1);
	assert_int_equal(m->tiers[0].num_urls, 1);
	assert_string_equal(m->tiers[0].urls[0], "http://only/");
	sw_metainfo_free(m);

	/* an announce-list without a usable URL falls back to announce */
	tb("d%s%s%sll%see%s" V1_INFO "e", "announce", "http://only/", "announce-list", "", "info");
	m = expect_ok();
	assert_int_equal(m->num_tiers, 1);
	assert_string_equal(m->tiers[0].urls[0], "http://only/");
	sw_metainfo_free(m);

	/* none at all */
	tb("d%s" V1_INFO "e", "info");
	m = expect_ok();
	assert_int_equal(m->num_tiers, 0);
	assert_null(m->tiers);
	assert_int_equal(m->num_web_seeds, 0);
	sw_metainfo_free(m);
}

static void test_private_and_web_seeds(void **state)
{
	struct sw_metainfo *m;

	(void)state;
	tb("d%sd%si5e%s%s%si16384e%s%s%si1ee%s%se", "info", "length", "name", "a", "piece length",
	   "pieces", H20, "private", "url-list", "http://ws/a");
	m = expect_ok();
	assert_true(m->is_private);
	assert_int_equal(m->num_web_seeds, 1);
	assert_string_equal(m->web_seeds[0], "http://ws/a");
	sw_metainfo_free(m);

	tb("d%sd%si5e%s%s%si16384e%s%s%si0ee%sl%s%s%si3e%see", "info", "length", "name", "a",
	   "piece length", "pieces", H20, "private", "url-list", "http://ws/1", "", "http://ws/2",
	   "http://ws/1");
	m = expect_ok();
	assert_false(m->is_private);
	assert_int_equal(m->num_web_seeds, 2);
	assert_string_equal(m->web_seeds[0], "http://ws/1");
	assert_string_equal(m->web_seeds[1], "http://ws/2");
	assert_int_equal(m->num_http_seeds, 0);
	sw_metainfo_free(m);

	/* BEP 17 httpseeds are listed apart from BEP 19 url-list */
	tb("d%sl%s%se%s" V1_INFO "%s%se", "httpseeds", "http://hs/1", "http://hs/2", "info",
	   "url-list", "http://ws/");
	m = expect_ok();
	assert_int_equal(m->num_http_seeds, 2);
	assert_string_equal(m->http_seeds[0], "http://hs/1");
	assert_string_equal(m->http_seeds[1], "http://hs/2");
	assert_int_equal(m->num_web_seeds, 1);
	assert_string_equal(m->web_seeds[0], "http://ws/");
	sw_metainfo_free(m);
}

/* --- v2 and hybrid ------------------------------------------------------------ */

/* A v2 info dict around the given file tree body (the tree's "d...e"). */
static void v2_tree(const char *tree)
{
	static char fmt[1 << 12];

	snprintf(fmt, sizeof(fmt), "d%%sd%%s%s%%si2e%%s%%s%%si16384eee", tree);
	tb(fmt, "info", "file tree", "meta version", "name", "nm", "piece length");
}

#define V2_FILE(len) "d0:d6:lengthi" #len "e11:pieces root32:" H32 "ee"

static void test_v2_layout(void **state)
{
	struct sw_metainfo *m;

	(void)state;
	/* dict order; empty files and empty directories; per-file piece counts */
	v2_tree("d1:a" V2_FILE(32768) "1:bd0:d6:lengthi0eee1:cd1:d" V2_FILE(100) "e1:edee");
	m = expect_ok();
	assert_false(m->has_v1);
	assert_true(m->has_v2);
	assert_int_equal(m->num_files, 3);
	assert_string_equal(m->files[0].path, "a");
	assert_string_equal(m->files[1].path, "b");
	assert_int_equal(m->files[1].size, 0);
	assert_string_equal(m->files[2].path, "c/d");
	assert_int_equal(m->num_pieces, 3); /* 2 + 0 + 1 */
	assert_int_equal(m->total_size, 3 * 16384);
	assert_int_equal(m->content_size, 32868);
	assert_string_equal(m->name, "nm");
	sw_metainfo_free(m);

	/* one file at the root: libtorrent names the torrent after it */
	v2_tree("d4:file" V2_FILE(100) "e");
	m = expect_ok();
	assert_string_equal(m->name, "file");
	assert_int_equal(m->total_size, 16384);
	assert_int_equal(m->num_pieces, 1);
	sw_metainfo_free(m);
}

static void test_v2_errors(void **state)
{
	char deep[1024] = "";

	(void)state;
	v2_tree("d0:d6:lengthi1eee");
	expect_fail(SW_E_INVALID, "'file tree' root must not be a file");
	v2_tree("d1:ad0:d6:lengthi1ee1:b" V2_FILE(1) "ee");
	expect_fail(SW_E_INVALID, "file 'a' has sibling entries in 'file tree'");
	v2_tree("d1:ad0:d6:lengthi1eeee");
	expect_fail(SW_E_INVALID, "file 'a' has no valid 'pieces root'");
	v2_tree("d1:ad0:d6:lengthi1e11:pieces root3:abceee");
	expect_fail(SW_E_INVALID, "file 'a' has no valid 'pieces root'");
	v2_tree("d1:ad0:d6:lengthi-1eeee");
	expect_fail(SW_E_INVALID, "'length' is negative in file 'a'");
	v2_tree("d1:ad0:d4:attr1:p6:lengthi1eeee");
	expect_fail(SW_E_INVALID, "is a pad file");
	v2_tree("d1:ai1ee");
	expect_fail(SW_E_INVALID, "'file tree' entry 'a' is not a dictionary");
	v2_tree("d2:..d1:a" V2_FILE(1) "ee");
	expect_fail(SW_E_INVALID, "file path component '..' is not allowed in 'file tree'");
	v2_tree("d1:ad0:i1eee");
	expect_fail(SW_E_INVALID, "file 'a' in 'file tree' is not a dictionary");
	v2_tree("d1:adee");
	expect_fail(SW_E_INVALID, "torrent holds no data");

	/* deeper than SW_METAINFO_MAX_PATH_DEPTH */
	for (int i = 0; i < SW_METAINFO_MAX_PATH_DEPTH + 1; i++)
		strcat(deep, "d1:a");
	strcat(deep, V2_FILE(1));
	for (int i = 0; i < SW_METAINFO_MAX_PATH_DEPTH + 1; i++)
		strcat(deep, "e");
	v2_tree(deep);
	expect_fail(SW_E_TOO_BIG, "file path deeper than");

	tb("d%sd%sd1:a" V2_FILE(1) "e%si3e%s%s%si16384eee", "info", "file tree", "meta version",
	   "name", "nm", "piece length");
	expect_fail(SW_E_UNSUPPORTED, "unsupported 'meta version' 3");
	tb("d%sd%si2e%s%s%si16384eee", "info", "meta version", "name", "nm", "piece length");
	expect_fail(SW_E_INVALID, "missing 'file tree'");
	tb("d%sd%sd1:a" V2_FILE(1) "e%s%s%si16384e%s%s%si1eee", "info", "file tree", "name", "nm",
	   "piece length", "pieces", H20, "length");
	expect_fail(SW_E_INVALID, "'file tree' present without 'meta version' 2");
	tb("d%sd%sd1:a" V2_FILE(1) "e%si2e%s%s%si20000eee", "info", "file tree", "meta version",
	   "name", "nm", "piece length");
	expect_fail(SW_E_INVALID, "is not a power of two of at least 16384");
}

/* A hybrid info dict: v1 `files` (raw list body) plus a v2 tree. */
static void hybrid(const char *files, const char *pieces, const char *tree)
{
	static char fmt[1 << 12];

	snprintf(fmt, sizeof(fmt), "d%%sd%%sl%se%%s%s%%si2e%%s%%s%%si16384e%%s%%see", files, tree);
	tb(fmt, "info", "files", "file tree", "meta version", "name", "x", "piece length", "pieces",
	   pieces);
}

#define PAD(n) "d4:attr1:p6:lengthi" #n "e4:pathl4:.pad1:pee"

static void test_hybrid(void **state)
{
	struct sw_metainfo *m;

	(void)state;
	/* consistent, without a tail pad (libtorrent accepts it) */
	hybrid("d6:lengthi100e4:pathl1:aee" PAD(16284) "d6:lengthi5e4:pathl1:bee", H20 H20,
	       "d1:a" V2_FILE(100) "1:b" V2_FILE(5) "e");
	m = expect_ok();
	assert_true(m->has_v1 && m->has_v2);
	assert_int_equal(m->total_size, 16389);
	assert_int_equal(m->content_size, 105);
	assert_int_equal(m->num_pieces, 2);
	assert_int_equal(m->num_files, 2);
	sw_metainfo_free(m);

	/* missing middle pad: b would start at a different offset */
	hybrid("d6:lengthi100e4:pathl1:aee"
	       "d6:lengthi5e4:pathl1:bee",
	       H20, "d1:a" V2_FILE(100) "1:b" V2_FILE(5) "e");
	expect_fail(SW_E_INVALID, "disagree at 'b'");
	/* different size */
	hybrid("d6:lengthi100e4:pathl1:aee" PAD(16284) "d6:lengthi6e4:pathl1:bee", H20 H20,
	       "d1:a" V2_FILE(100) "1:b" V2_FILE(5) "e");
	expect_fail(SW_E_INVALID, "disagree at 'b'");
	/* a file missing from v1 */
	hybrid("d6:lengthi100e4:pathl1:aee", H20, "d1:a" V2_FILE(100) "1:b" V2_FILE(5) "e");
	expect_fail(SW_E_INVALID, "v2 'file tree' has 2 files, v1 'files' 1");
}

static void test_free_null(void **state)
{
	uint8_t id[SW_INFOHASH_LEN];
	struct sw_metainfo m;

	(void)state;
	sw_metainfo_free(NULL);
	memset(&m, 0, sizeof(m));
	m.has_v2 = true;
	for (size_t i = 0; i < SW_INFOHASH_V2_LEN; i++)
		m.infohash_v2[i] = (uint8_t)i;
	sw_metainfo_swarm_id(&m, id);
	assert_memory_equal(id, m.infohash_v2, SW_INFOHASH_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_truth_json),
	    cmocka_unit_test(test_hash_is_over_stored_bytes),
	    cmocka_unit_test(test_bencode_errors),
	    cmocka_unit_test(test_info_errors),
	    cmocka_unit_test(test_v1_files_errors),
	    cmocka_unit_test(test_v1_pad_files),
	    cmocka_unit_test(test_utf8_names),
	    cmocka_unit_test(test_announce_list),
	    cmocka_unit_test(test_private_and_web_seeds),
	    cmocka_unit_test(test_v2_layout),
	    cmocka_unit_test(test_v2_errors),
	    cmocka_unit_test(test_hybrid),
	    cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
