/*
 * test_report.c - reports (src/report/, src/store/query.c) on a store
 * written through the real sink API with known content.
 *
 * The store holds two phases of peers either side of a cut at
 * 2014-12-01T19:00:00Z (phase 2 on the next UTC day), three linked
 * torrents for Fury (one with no peers, one linked after its peers were
 * seen), one for Annie, a title with nothing, and an unlinked swarm that
 * must count nowhere.  Every expected output below was worked out by hand
 * from the observations in make_store(), not produced by the code.
 *
 * `test_report --make-store FILE` writes the same store and exits, for
 * the integration tests (tests/integration/test_serve.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "report/html.h"
#include "report/metrics.h"
#include "report/report.h"
#include "report/when.h"
#include "store/query.h"
#include "store/sink.h"
#include "store/sqlite.h"

#define MIN     60000LL
#define P1      1417456800000LL /* 2014-12-01T18:00:00Z: phase 1 */
#define CUT     1417460400000LL /* 2014-12-01T19:00:00Z */
#define P2      1417482000000LL /* 2014-12-02T01:00:00Z: phase 2 */
#define END     1417564800000LL /* 2014-12-03T00:00:00Z */
#define DAY2    1417478400000LL /* 2014-12-02T00:00:00Z */
#define FURY_A  0x0a
#define FURY_B  0x0b
#define FURY_C  0x0c
#define ANNIE_A 0x1a
#define LOOSE   0x99

struct ctx {
	char dir[64];
	char path[128];
};

/* --- the store ---------------------------------------------------------- */

static void ih_of(uint8_t ih[SW_INFOHASH_LEN], int id)
{
	memset(ih, id, SW_INFOHASH_LEN);
}

static void obs(struct sw_sink *s, int64_t ts, int swarm, const char *ip, enum sw_tier tier,
                const char *cc, uint32_t asn)
{
	struct sw_observation o;
	struct sw_errbuf eb = {{0}};

	memset(&o, 0, sizeof(o));
	o.ts_ms = ts;
	ih_of(o.infohash, swarm);
	assert_int_equal(sw_addr_parse_ip(&o.addr, ip, 6881), SW_OK);
	o.source = SW_SOURCE_TRACKER;
	o.tier = tier;
	snprintf(o.country, sizeof(o.country), "%s", cc);
	o.asn = asn;
	if (sw_sink_put_observation(s, &o, &eb) != SW_OK) {
		fprintf(stderr, "put_observation: %s\n", eb.msg);
		abort();
	}
}

static int64_t title(struct sw_sink *s, const char *name, int year)
{
	struct sw_title t = {name, year, NULL, 0};
	int64_t id = 0;

	if (sw_sink_put_title(s, &t, &id, NULL) != SW_OK)
		abort();
	return id;
}

static void torrent(struct sw_sink *s, int swarm, const char *name, int64_t title_id)
{
	struct sw_torrent t = {.name = name,
	                       .total_size = SW_SINK_UNKNOWN,
	                       .num_pieces = SW_SINK_UNKNOWN,
	                       .source = "rss",
	                       .first_seen_ms = P1};

	ih_of(t.infohash, swarm);
	if (sw_sink_put_torrent(s, &t, NULL) != SW_OK ||
	    (title_id && sw_sink_link_torrent_title(s, t.infohash, title_id, NULL) != SW_OK))
		abort();
}

/* The known content (see the top of the file); returns 0 or aborts. */
static int make_store(const char *path)
{
	struct sw_sink *s = NULL;
	struct sw_errbuf eb = {{0}};
	int64_t fury, annie;

	if (sw_store_sqlite_open(path, NULL, &s, &eb) != SW_OK) {
		fprintf(stderr, "open %s: %s\n", path, eb.msg);
		abort();
	}
	fury = title(s, "Fury", 2014);
	annie = title(s, "Annie", 2014);
	title(s, "Still Alice", 2014);
	torrent(s, FURY_A, "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8", fury);
	torrent(s, FURY_C, NULL, fury);
	torrent(s, ANNIE_A, "Annie.2014.DVDScr.XVID.AC3.HQ.Hive-CM8", annie);
	torrent(s, LOOSE, "Unrelated.Linux.ISO", 0);

	/* Phase 1, 2014-12-01 18:00-18:59. */
	for (int i = 1; i <= 6; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		obs(s, P1 + i * MIN, FURY_A, ip, SW_TIER_SEEN, i <= 4 ? "US" : "GB",
		    i <= 4 ? 7922 : 2856);
	}
	obs(s, P1 + 30 * MIN, FURY_A, "10.0.0.1", SW_TIER_CONNECTABLE, "US", 7922);
	obs(s, P1 + 31 * MIN, FURY_A, "10.0.0.2", SW_TIER_CONNECTABLE, "US", 7922);
	obs(s, P1 + 40 * MIN, FURY_A, "10.0.0.1", SW_TIER_VERIFIED, "US", 7922);
	obs(s, P1 + 10 * MIN, FURY_B, "10.0.0.5", SW_TIER_SEEN, "GB", 2856);
	obs(s, P1 + 11 * MIN, FURY_B, "10.0.0.6", SW_TIER_SEEN, "GB", 2856);
	obs(s, P1 + 12 * MIN, FURY_B, "10.0.0.7", SW_TIER_SEEN, "CA", 812);
	obs(s, P1 + 5 * MIN, ANNIE_A, "10.1.0.1", SW_TIER_SEEN, "DE", 3320);
	obs(s, P1 + 6 * MIN, ANNIE_A, "10.1.0.2", SW_TIER_SEEN, "DE", 3320);
	obs(s, P1 + 7 * MIN, ANNIE_A, "10.1.0.3", SW_TIER_SEEN, "DE", 3320);
	obs(s, P1 + 50 * MIN, ANNIE_A, "10.1.0.1", SW_TIER_VERIFIED, "DE", 3320);
	obs(s, P1 + 1 * MIN, LOOSE, "10.9.0.1", SW_TIER_VERIFIED, "US", 7922);
	/* Fury's second swarm is matched late: its earlier peers must count. */
	torrent(s, FURY_B, "Fury, 2014 \"hybrid\"", fury);

	/* Phase 2, 2014-12-02 01:00-01:20. */
	obs(s, P2 + 0 * MIN, FURY_A, "10.0.0.8", SW_TIER_SEEN, "US", 7922);
	obs(s, P2 + 1 * MIN, FURY_A, "10.0.0.9", SW_TIER_SEEN, "US", 7922);
	obs(s, P2 + 2 * MIN, FURY_A, "10.0.0.10", SW_TIER_SEEN, "US", 7922);
	obs(s, P2 + 5 * MIN, FURY_A, "10.0.0.3", SW_TIER_CONNECTABLE, "US", 7922);
	obs(s, P2 + 10 * MIN, FURY_A, "10.0.0.2", SW_TIER_VERIFIED, "US", 7922);
	obs(s, P2 + 20 * MIN, FURY_A, "10.0.0.5", SW_TIER_SEEN, "GB", 2856);
	obs(s, P2 + 15 * MIN, ANNIE_A, "10.1.0.2", SW_TIER_VERIFIED, "DE", 3320);
	obs(s, P2 + 15 * MIN, ANNIE_A, "10.1.0.3", SW_TIER_VERIFIED, "DE", 3320);
	obs(s, P2 + 3 * MIN, ANNIE_A, "10.1.0.4", SW_TIER_SEEN, "FR", 0);
	obs(s, P2 + 4 * MIN, ANNIE_A, "2001:db8::1", SW_TIER_SEEN, "", 0);
	obs(s, P2 + 4 * MIN, LOOSE, "10.9.0.2", SW_TIER_SEEN, "US", 7922);
	if (sw_sink_close(s, &eb) != SW_OK) {
		fprintf(stderr, "close: %s\n", eb.msg);
		abort();
	}
	return 0;
}

/* --- helpers ------------------------------------------------------------ */

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	snprintf(c->dir, sizeof(c->dir), "/tmp/sw_report_XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/store.db", c->dir);
	make_store(c->path);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char p[160];

	for (const char *sfx = ""; sfx != NULL;
	     sfx = *sfx ? (sfx[1] == 'w' ? "-shm" : NULL) : "-wal") {
		snprintf(p, sizeof(p), "%s%s", c->path, sfx);
		unlink(p);
	}
	rmdir(c->dir);
	free(c);
	return 0;
}

/* Build and render with options given as "key=value" strings. */
static char *render(struct ctx *c, enum sw_report_format fmt, const char *const *kv)
{
	struct sw_report_opts o;
	struct sw_query *q = NULL;
	struct sw_report *r = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_buf out;
	char *text;

	sw_report_opts_init(&o, END);
	for (; kv != NULL && *kv != NULL; kv += 2)
		assert_int_equal(sw_report_opts_set(&o, kv[0], kv[1], END, &eb), SW_OK);
	sw_buf_init(&out, SW_REPORT_OUT_MAX);
	assert_int_equal(sw_query_open(c->path, &q, &eb), SW_OK);
	if (sw_report_build(q, &o, fmt == SW_REPORT_HTML, &r, &eb) != SW_OK) {
		fprintf(stderr, "build: %s\n", eb.msg);
		fail();
	}
	switch (fmt) {
	case SW_REPORT_TABLE: assert_int_equal(sw_report_table(r, &out), SW_OK); break;
	case SW_REPORT_CSV: assert_int_equal(sw_report_csv(r, &out), SW_OK); break;
	case SW_REPORT_JSON: assert_int_equal(sw_report_json(r, &out), SW_OK); break;
	case SW_REPORT_HTML: assert_int_equal(sw_report_html(r, NULL, &out, &eb), SW_OK); break;
	}
	sw_report_free(r);
	sw_query_close(q);
	text = (char *)sw_buf_steal(&out, NULL);
	assert_non_null(text);
	return text;
}

static void expect(struct ctx *c, enum sw_report_format fmt, const char *const *kv,
                   const char *want)
{
	char *got = render(c, fmt, kv);

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
		free(got);
		fail();
	}
	free(got);
}

#define FURY_CUT                                                                                   \
	"{\"title\":\"Fury\",\"year\":2014,\"torrents\":3,"                                        \
	"\"unique_ips\":{\"seen\":7,\"connectable\":2,\"verified\":1},\"unique_networks\":{\"seen\":7,\"connectable\":2,\"verified\":1},"                            \
	"\"countries\":[{\"country\":\"US\",\"seen\":4,\"verified\":1},"                           \
	"{\"country\":\"GB\",\"seen\":2,\"verified\":0},{\"country\":\"CA\",\"seen\":1,"           \
	"\"verified\":0}]"
#define ANNIE_CUT                                                                                  \
	"{\"title\":\"Annie\",\"year\":2014,\"torrents\":1,"                                       \
	"\"unique_ips\":{\"seen\":3,\"connectable\":1,\"verified\":1},\"unique_networks\":{\"seen\":3,\"connectable\":1,\"verified\":1},"                            \
	"\"countries\":[{\"country\":\"DE\",\"seen\":3,\"verified\":1}]"
#define ALICE                                                                                      \
	"{\"title\":\"Still Alice\",\"year\":2014,\"torrents\":0,"                                 \
	"\"unique_ips\":{\"seen\":0,\"connectable\":0,\"verified\":0},\"unique_networks\":{\"seen\":0,\"connectable\":0,\"verified\":0},\"countries\":[]"
#define FURY_END                                                                                   \
	"{\"title\":\"Fury\",\"year\":2014,\"torrents\":3,"                                        \
	"\"unique_ips\":{\"seen\":10,\"connectable\":3,\"verified\":2},\"unique_networks\":{\"seen\":10,\"connectable\":3,\"verified\":2},"                           \
	"\"countries\":[{\"country\":\"US\",\"seen\":7,\"verified\":2},"                           \
	"{\"country\":\"GB\",\"seen\":2,\"verified\":0},{\"country\":\"CA\",\"seen\":1,"           \
	"\"verified\":0}]"
#define ANNIE_END                                                                                  \
	"{\"title\":\"Annie\",\"year\":2014,\"torrents\":1,"                                       \
	"\"unique_ips\":{\"seen\":5,\"connectable\":3,\"verified\":3},\"unique_networks\":{\"seen\":5,\"connectable\":3,\"verified\":3},"                            \
	"\"countries\":[{\"country\":\"DE\",\"seen\":3,\"verified\":3},"                           \
	"{\"country\":\"FR\",\"seen\":1,\"verified\":0},{\"country\":\"ZZ\",\"seen\":1,"           \
	"\"verified\":0}]"

/* --- tests -------------------------------------------------------------- */

static void test_json_as_of_between_phases(void **state)
{
	static const char *const kv[] = {"as_of", "2014-12-01 11:00 America/Los_Angeles", NULL};

	expect(*state, SW_REPORT_JSON, kv,
	       "{\"as_of\":\"2014-12-01T19:00:00Z\",\"titles\":[" FURY_CUT "}," ANNIE_CUT "}," ALICE
	       "}]}\n");
}

static void test_json_everything(void **state)
{
	expect(*state, SW_REPORT_JSON, NULL,
	       "{\"as_of\":\"2014-12-03T00:00:00Z\",\"titles\":[" FURY_END "}," ANNIE_END "}," ALICE
	       "}]}\n");
}

static void test_json_tier_orders(void **state)
{
	static const char *const kv[] = {"tier", "verified", NULL};

	/* Annie has more verified addresses than Fury (3 > 2) and comes first. */
	expect(*state, SW_REPORT_JSON, kv,
	       "{\"as_of\":\"2014-12-03T00:00:00Z\",\"titles\":[" ANNIE_END "}," FURY_END "}," ALICE
	       "}]}\n");
}

static void test_json_since(void **state)
{
	static const char *const kv[] = {"since", "2014-12-02T00:00:00Z", NULL};

	expect(*state, SW_REPORT_JSON, kv,
	       "{\"as_of\":\"2014-12-03T00:00:00Z\",\"since\":\"2014-12-02T00:00:00Z\",\"titles\":["
	       "{\"title\":\"Fury\",\"year\":2014,\"torrents\":3,"
	       "\"unique_ips\":{\"seen\":6,\"connectable\":2,\"verified\":1},\"unique_networks\":{\"seen\":6,\"connectable\":2,\"verified\":1},"
	       "\"countries\":[{\"country\":\"US\",\"seen\":5,\"verified\":1},"
	       "{\"country\":\"GB\",\"seen\":1,\"verified\":0}]},"
	       "{\"title\":\"Annie\",\"year\":2014,\"torrents\":1,"
	       "\"unique_ips\":{\"seen\":4,\"connectable\":2,\"verified\":2},\"unique_networks\":{\"seen\":4,\"connectable\":2,\"verified\":2},"
	       "\"countries\":[{\"country\":\"DE\",\"seen\":2,\"verified\":2},"
	       "{\"country\":\"FR\",\"seen\":1,\"verified\":0},"
	       "{\"country\":\"ZZ\",\"seen\":1,\"verified\":0}]}," ALICE "}]}\n");
}

static void test_json_title_and_breakdowns(void **state)
{
	static const char *const torrent[] = {"title", "fury", "by", "torrent", NULL};
	static const char *const day[] = {"title", "Fury (2014)", "by", "day", NULL};
	static const char *const asn[] = {
	    "title", "Fury", "by", "asn", "as_of", "2014-12-01T19:00:00Z", NULL};
	static const char *const country[] = {"title", "Fury", "by", "country", NULL};

	expect(
	    *state, SW_REPORT_JSON, torrent,
	    "{\"as_of\":\"2014-12-03T00:00:00Z\",\"titles\":[" FURY_END ",\"by_torrent\":["
	    "{\"infohash\":\"0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a\","
	    "\"name\":\"Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8\","
	    "\"seen\":9,\"connectable\":3,\"verified\":2},"
	    "{\"infohash\":\"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b\","
	    "\"name\":\"Fury, 2014 \\\"hybrid\\\"\",\"seen\":3,\"connectable\":0,\"verified\":0},"
	    "{\"infohash\":\"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c\",\"name\":null,"
	    "\"seen\":0,\"connectable\":0,\"verified\":0}]}]}\n");
	expect(*state, SW_REPORT_JSON, day,
	       "{\"as_of\":\"2014-12-03T00:00:00Z\",\"titles\":[" FURY_END ",\"by_day\":["
	       "{\"day\":\"2014-12-01\",\"seen\":7,\"connectable\":2,\"verified\":1},"
	       "{\"day\":\"2014-12-02\",\"seen\":3,\"connectable\":1,\"verified\":1}]}]}\n");
	expect(*state, SW_REPORT_JSON, asn,
	       "{\"as_of\":\"2014-12-01T19:00:00Z\",\"titles\":[" FURY_CUT ",\"by_asn\":["
	       "{\"asn\":7922,\"seen\":4,\"connectable\":2,\"verified\":1},"
	       "{\"asn\":2856,\"seen\":2,\"connectable\":0,\"verified\":0},"
	       "{\"asn\":812,\"seen\":1,\"connectable\":0,\"verified\":0}]}]}\n");
	expect(*state, SW_REPORT_JSON, country,
	       "{\"as_of\":\"2014-12-03T00:00:00Z\",\"titles\":[" FURY_END ",\"by_country\":["
	       "{\"country\":\"US\",\"seen\":7,\"connectable\":3,\"verified\":2},"
	       "{\"country\":\"GB\",\"seen\":2,\"connectable\":0,\"verified\":0},"
	       "{\"country\":\"CA\",\"seen\":1,\"connectable\":0,\"verified\":0}]}]}\n");
}

static void test_csv(void **state)
{
	static const char *const cut[] = {"as_of", "2014-12-01T19:00:00Z", NULL};
	static const char *const torrent[] = {"title", "Fury", "by", "torrent", NULL};

	expect(*state, SW_REPORT_CSV, cut,
	       "as_of,title,year,torrents,seen,connectable,verified\r\n"
	       "2014-12-01T19:00:00Z,Fury,2014,3,7,2,1\r\n"
	       "2014-12-01T19:00:00Z,Annie,2014,1,3,1,1\r\n"
	       "2014-12-01T19:00:00Z,Still Alice,2014,0,0,0,0\r\n");
	expect(
	    *state, SW_REPORT_CSV, torrent,
	    "as_of,title,year,infohash,name,seen,connectable,verified\r\n"
	    "2014-12-03T00:00:00Z,Fury,2014,0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a,"
	    "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8,9,3,2\r\n"
	    "2014-12-03T00:00:00Z,Fury,2014,0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b,"
	    "\"Fury, 2014 \"\"hybrid\"\"\",3,0,0\r\n"
	    "2014-12-03T00:00:00Z,Fury,2014,0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c,,0,0,0\r\n");
}

static void test_table(void **state)
{
	static const char *const cut[] = {"as_of", "2014-12-01T19:00:00Z", NULL};
	static const char *const day[] = {"title", "Annie", "by", "day", NULL};

	expect(
	    *state, SW_REPORT_TABLE, cut,
	    "Unique IP addresses per title, as of 2014-12-01T19:00:00Z\n"
	    "\n"
	    "Title               Torrents          Seen   Connectable      Verified  Top countries "
	    "(seen)\n"
	    "Fury (2014)                3             7             2             1  US 57%, GB "
	    "29%, CA 14%\n"
	    "Annie (2014)               1             3             1             1  DE 100%\n"
	    "Still Alice (2014)         0             0             0             0  -\n");
	expect(*state, SW_REPORT_TABLE, day,
	       "Unique IP addresses per title, as of 2014-12-03T00:00:00Z\n"
	       "\n"
	       "Title         Torrents          Seen   Connectable      Verified  Top countries "
	       "(seen)\n"
	       "Annie (2014)         1             5             3             3  DE 60%, FR 20%, "
	       "ZZ 20%\n"
	       "\n"
	       "Annie (2014) by day\n"
	       "  Day (UTC)             Seen   Connectable      Verified\n"
	       "  2014-12-01               3             1             1\n"
	       "  2014-12-02               2             2             2\n");
}

/* The charts' data: 5-minute buckets from 18:00 to 01:20 the next day (89 of them). */
static void test_html(void **state)
{
	char *html = render(*state, SW_REPORT_HTML, NULL);
	size_t charts = 0, with_points = 0;

	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<link"));
	assert_null(strstr(html, "url("));
	for (const char *p = html; (p = strstr(p, "<svg class=\"chart\"")) != NULL; p++) {
		charts++;
		with_points += strncmp(strstr(p, "data-points=\"") + 13, "0\"", 2) != 0;
	}
	/* Three titles: cumulative, new and countries each. */
	assert_int_equal(charts, 9);
	/* Still Alice has no data: her three charts say so. */
	assert_int_equal(with_points, 6);
	assert_non_null(strstr(html, "no addresses in this window"));
	assert_non_null(strstr(html, "New unique IP addresses per 5 minutes"));
	/* Fury's cumulative seen line ends at 10, verified at 2. */
	assert_non_null(strstr(html, "UTC: 10 seen</title>"));
	/* The series run until the last tier change (01:15), not the last new address. */
	assert_non_null(strstr(html, "UTC: 3 connectable</title>"));
	assert_non_null(strstr(html, "12-02 01:20 UTC: 3 verified</title>"));
	assert_non_null(strstr(html, "<td>Fury</td><td>2014</td><td>3</td><td>10</td><td>3</td>"
	                             "<td>2</td>"));
	free(html);
}

static void test_bad_options(void **state)
{
	struct sw_report_opts o;
	struct sw_query *q = NULL;
	struct sw_report *r = NULL;
	struct sw_errbuf eb = {{0}};
	struct ctx *c = *state;

	sw_report_opts_init(&o, END);
	assert_int_equal(sw_report_opts_set(&o, "by", "city", END, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "city"));
	assert_int_equal(sw_report_opts_set(&o, "tier", "proven", END, &eb), SW_E_INVALID);
	assert_int_equal(sw_report_opts_set(&o, "format", "pdf", END, &eb), SW_E_INVALID);
	assert_int_equal(sw_report_opts_set(&o, "as_of", "2014-02-30", END, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "as_of"));
	assert_int_equal(sw_report_opts_set(&o, "colour", "red", END, &eb), SW_E_USAGE);
	assert_int_equal(sw_report_opts_set(&o, "title", "", END, &eb), SW_E_INVALID);
	assert_int_equal(sw_query_open(c->path, &q, &eb), SW_OK);
	/* since after as_of */
	assert_int_equal(sw_report_opts_set(&o, "as_of", "2014-12-01T19:00Z", END, &eb), SW_OK);
	assert_int_equal(sw_report_opts_set(&o, "since", "2014-12-02T19:00Z", END, &eb), SW_OK);
	assert_int_equal(sw_report_build(q, &o, false, &r, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "after"));
	assert_null(r);
	sw_report_opts_init(&o, END);
	assert_int_equal(sw_report_opts_set(&o, "title", "Gone Girl", END, &eb), SW_OK);
	assert_int_equal(sw_report_build(q, &o, false, &r, &eb), SW_E_NOT_FOUND);
	assert_non_null(strstr(eb.msg, "Gone Girl"));
	sw_query_close(q);
	/* Files that are not stores. */
	assert_int_equal(sw_query_open("/nonexistent/x.db", &q, &eb), SW_E_DB);
	assert_non_null(strstr(eb.msg, "/nonexistent/x.db"));
	assert_null(q);
}

static void test_metrics(void **state)
{
	struct ctx *c = *state;
	struct sw_query *q = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_buf out;
	const struct sw_metric_sample sample = {"a\"b", 4};
	const struct sw_metric_family fam = {"swarmwatch_test_total", "A test.", "k", &sample, 1};
	const char *text;

	sw_buf_init(&out, 1 << 20);
	assert_int_equal(sw_query_open(c->path, &q, &eb), SW_OK);
	assert_int_equal(sw_report_metrics(q, P2 + 30 * MIN, &fam, 1, &out, &eb), SW_OK);
	text = (const char *)out.data;
	assert_non_null(strstr(text, "\nswarmwatch_titles 3\n"));
	assert_non_null(strstr(text, "\nswarmwatch_swarms_watched 5\n"));
	assert_non_null(strstr(text, "\nswarmwatch_swarms_linked 4\n"));
	assert_non_null(strstr(text, "swarmwatch_unique_peers{title=\"Fury\",year=\"2014\","
	                             "tier=\"seen\"} 10\n"));
	assert_non_null(strstr(text, "swarmwatch_unique_peers{title=\"Annie\",year=\"2014\","
	                             "tier=\"verified\"} 3\n"));
	assert_non_null(strstr(text, "\nswarmwatch_observations_total 28\n"));
	assert_non_null(strstr(text, "\nswarmwatch_store_unfolded_observations 0\n"));
	/* The last observation put was at P2 + 4 min: 26 minutes before "now". */
	assert_non_null(strstr(text, "\nswarmwatch_store_lag_seconds 1560.000\n"));
	assert_non_null(strstr(text, "swarmwatch_test_total{k=\"a\\\"b\"} 4\n"));
	sw_query_close(q);
	sw_buf_deinit(&out);
}

/*
 * The writing daemon's counters reach /metrics through the store: typed by
 * name, labelled, and whatever is not a metric of the daemon's is left out.
 */
static void test_daemon_metrics(void **state)
{
	struct ctx *c = *state;
	const struct sw_store_stat st[] = {
	    {"swarmwatch_daemon_errors_total", "kind=store", 2},
	    {"swarmwatch_daemon_errors_total", "kind=dht_malformed", 7},
	    {"swarmwatch_daemon_swarms", "state=linked", 4},
	    {"swarmwatch_daemon_uptime_seconds", "", 90},
	    {"swarmwatch_daemon_bad name", "", 1},       /* not a metric name */
	    {"swarmwatch_daemon_peers", "tier", 1},      /* labels without a value */
	    {"swarmwatch_daemon_peers", "ti er=seen", 1}, /* not a label name */
	    {"swarmwatch_titles", "", 99},               /* one of ours, not the daemon's */
	    {"swarmwatch_daemon_messages_total", "kind=a\"b\nc", 5},
	};
	struct sw_sink *sink = NULL;
	struct sw_query *q = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_buf out;
	const char *text;

	assert_int_equal(sw_store_sqlite_open(c->path, NULL, &sink, &eb), SW_OK);
	assert_int_equal(sw_store_sqlite_put_stats(sink, st, sizeof(st) / sizeof(st[0]),
	                                           P2 + 5 * MIN, &eb),
	                 SW_OK);
	assert_int_equal(sw_sink_close(sink, &eb), SW_OK);

	sw_buf_init(&out, 1 << 20);
	assert_int_equal(sw_query_open(c->path, &q, &eb), SW_OK);
	assert_int_equal(sw_report_metrics(q, P2 + 30 * MIN, NULL, 0, &out, &eb), SW_OK);
	text = (const char *)out.data;
	assert_non_null(strstr(text, "# TYPE swarmwatch_daemon_errors_total counter\n"
	                             "swarmwatch_daemon_errors_total{kind=\"dht_malformed\"} 7\n"
	                             "swarmwatch_daemon_errors_total{kind=\"store\"} 2\n"));
	assert_non_null(strstr(text, "# TYPE swarmwatch_daemon_swarms gauge\n"
	                             "swarmwatch_daemon_swarms{state=\"linked\"} 4\n"));
	assert_non_null(strstr(text, "\nswarmwatch_daemon_uptime_seconds 90\n"));
	assert_non_null(
	    strstr(text, "swarmwatch_daemon_messages_total{kind=\"a\\\"b\\nc\"} 5\n"));
	assert_non_null(strstr(text, "\nswarmwatch_daemon_stats_timestamp_seconds 1417482300.000\n"));
	assert_null(strstr(text, "bad name"));
	assert_null(strstr(text, "swarmwatch_daemon_peers"));
	assert_null(strstr(text, " 99\n"));
	assert_non_null(strstr(text, "\nswarmwatch_titles 3\n"));
	sw_query_close(q);
	sw_buf_deinit(&out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_as_of_between_phases),
	    cmocka_unit_test(test_json_everything),
	    cmocka_unit_test(test_json_tier_orders),
	    cmocka_unit_test(test_json_since),
	    cmocka_unit_test(test_json_title_and_breakdowns),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_html),
	    cmocka_unit_test(test_bad_options),
	    cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_daemon_metrics),
	};

	if (argc == 3 && strcmp(argv[1], "--make-store") == 0)
		return make_store(argv[2]);
	return cmocka_run_group_tests(tests, setup, teardown);
}
