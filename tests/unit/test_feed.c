/*
 * test_feed.c - the RSS / Torznab parser on documents shaped like real
 * ones (tests/data/feeds/: a torrent index's "hot XVID DIVX torrents" list
 * with ezRSS tags and .torrent enclosures, a Jackett Torznab reply, a
 * Torznab error, a CDN's HTML error page, a cut and mismatched document),
 * fed whole and in chunks of 1, 7 and 4096 bytes (the results must be the
 * same); every refusal and its message; the caps; dates; and the hot
 * list's titles through the matcher with examples/sony-2014.ini.
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
#include "core/hex.h"
#include "watch/feed.h"
#include "watch/match.h"
#include "watch/release.h"
#include "watch/watchlist.h"

#define FEEDS     SW_SOURCE_DIR "/tests/data/feeds/"
#define EXAMPLE   SW_SOURCE_DIR "/examples/sony-2014.ini"
#define MAX_ITEMS 32
#define FILE_MAX  (1024 * 1024)

/* A copy of each item, for comparing after the callback returns. */
struct got {
	char title[256], magnet[512], url[512], ih[41];
	int64_t size, seeders, peers, date;
	unsigned line;
	uint32_t flags;
};

struct items {
	struct got it[MAX_ITEMS];
	size_t n;
};

static int collect(void *ctx, const struct sw_feed_item *item)
{
	struct items *c = ctx;
	struct got *g;

	if (c->n >= MAX_ITEMS)
		return SW_E_TOO_BIG;
	g = &c->it[c->n++];
	memset(g, 0, sizeof *g);
	snprintf(g->title, sizeof g->title, "%s", item->title);
	snprintf(g->magnet, sizeof g->magnet, "%s", item->magnet);
	snprintf(g->url, sizeof g->url, "%s", item->url);
	if (item->has_infohash)
		sw_hex_encode(item->infohash, SW_INFOHASH_LEN, g->ih);
	g->size = item->size;
	g->seeders = item->seeders;
	g->peers = item->peers;
	g->date = item->pub_date;
	g->line = item->line;
	g->flags = item->flags;
	return SW_OK;
}

static void load(const char *name, struct sw_buf *b)
{
	char path[512];

	snprintf(path, sizeof path, "%s%s", FEEDS, name);
	sw_buf_init(b, FILE_MAX);
	assert_int_equal(sw_buf_read_file(b, path), SW_OK);
}

/* Parse b in chunks of `chunk` bytes (0: at once); returns the code. */
static int parse_chunked(const struct sw_buf *b, size_t chunk, const struct sw_feed_limits *lim,
                         struct items *out, struct sw_feed_stats *st, struct sw_errbuf *eb)
{
	struct sw_feed_parser *p = NULL;
	size_t off = 0;
	int rc;

	memset(out, 0, sizeof *out);
	assert_int_equal(sw_feed_parser_new(lim, collect, out, &p, eb), SW_OK);
	rc = SW_OK;
	while (rc == SW_OK && off < b->len) {
		size_t n = chunk == 0 || b->len - off < chunk ? b->len - off : chunk;

		rc = sw_feed_parser_write(p, b->data + off, n, eb);
		off += n;
	}
	if (rc == SW_OK)
		rc = sw_feed_parser_finish(p, eb);
	*st = *sw_feed_parser_stats(p);
	sw_feed_parser_free(p);
	return rc;
}

static void same_items(const struct items *a, const struct items *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_memory_equal(&a->it[i], &b->it[i], sizeof a->it[i]);
}

static void test_hot_list(void **state)
{
	static const size_t chunks[] = {1, 7, 4096};
	struct sw_buf b;
	struct items all, part;
	struct sw_feed_stats st;
	struct sw_errbuf eb = {{0}};
	const struct got *g;

	(void)state;
	load("hot-xvid.rss", &b);
	assert_int_equal(parse_chunked(&b, 0, NULL, &all, &st, &eb), SW_OK);
	assert_int_equal(all.n, 8);
	assert_int_equal(st.items, 8);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(st.kind, SW_FEED_RSS);
	assert_int_equal(st.bytes, b.len);
	g = &all.it[0];
	assert_string_equal(g->title, "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8");
	assert_string_equal(g->ih, "455cb3f74ae3adbf4f267aed5423e3bb8379dede");
	assert_true(strncmp(g->magnet, "magnet:?xt=urn:btih:455CB3F74AE3ADBF", 36) == 0);
	assert_string_equal(g->url, "http://torrents.example.org/download/"
	                            "455CB3F74AE3ADBF4F267AED5423E3BB8379DEDE.torrent");
	assert_true(g->size == 1466530243);
	assert_true(g->seeders == 1843);
	assert_true(g->peers == 2231);
	assert_true(g->date == 1418436847);
	assert_int_equal(g->line, 14);
	assert_true(all.it[4].date == 1418428992); /* -0500 */
	assert_string_equal(all.it[7].title, "Fury 2014 DVDScr XviD AC3 [HQ] Fury.2014.DVDScr.exe");
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		assert_int_equal(parse_chunked(&b, chunks[i], NULL, &part, &st, &eb), SW_OK);
		same_items(&all, &part);
	}
	sw_buf_deinit(&b);
}

static void test_torznab(void **state)
{
	struct sw_buf b;
	struct items all, part;
	struct sw_feed_stats st;
	struct sw_errbuf eb = {{0}};

	(void)state;
	load("torznab-jackett.xml", &b);
	assert_int_equal(parse_chunked(&b, 0, NULL, &all, &st, &eb), SW_OK);
	assert_int_equal(st.kind, SW_FEED_TORZNAB);
	assert_int_equal(all.n, 4);
	assert_string_equal(all.it[0].title, "Fury 2014 720p BluRay x264 DTS-WiKi");
	assert_string_equal(all.it[0].ih, "4f23e0adce545a34a3d402bab80c21d729d754be");
	assert_true(strncmp(all.it[0].magnet, "magnet:?xt=urn:btih:4f23e0ad", 28) == 0);
	assert_string_equal(all.it[0].url, ""); /* link and enclosure are the magnet */
	assert_true(all.it[0].size == 6442450944LL);
	assert_true(all.it[0].seeders == 120);
	assert_true(all.it[0].peers == 150);
	assert_true(all.it[0].date == 1423303353);
	/* The last item: a .torrent link through Jackett, no infohash. */
	assert_string_equal(all.it[3].magnet, "");
	assert_string_equal(all.it[3].ih, "");
	assert_true(strncmp(all.it[3].url,
	                    "http://127.0.0.1:9117/dl/example/?jackett_apikey=KEY&path=", 58) == 0);
	assert_int_equal(parse_chunked(&b, 13, NULL, &part, &st, &eb), SW_OK);
	same_items(&all, &part);
	sw_buf_deinit(&b);
}

static void expect_error(const char *file, size_t chunk, int code, const char *msg,
                         size_t items_before)
{
	struct sw_buf b;
	struct items got;
	struct sw_feed_stats st;
	struct sw_errbuf eb = {{0}};
	int rc;

	load(file, &b);
	rc = parse_chunked(&b, chunk, NULL, &got, &st, &eb);
	if (rc != code || strcmp(eb.msg, msg) != 0)
		fail_msg("%s: got %s '%s', want %s '%s'", file, sw_strerror(rc), eb.msg,
		         sw_strerror(code), msg);
	assert_int_equal(got.n, items_before);
	sw_buf_deinit(&b);
}

static void test_bad_documents(void **state)
{
	(void)state;
	expect_error("error.html", 0, SW_E_INVALID,
	             "feed is HTML, not RSS (starts with <!DOCTYPE html>)", 0);
	expect_error("error.html", 3, SW_E_INVALID,
	             "feed is HTML, not RSS (starts with <!DOCTYPE html>)", 0);
	expect_error("torznab-error.xml", 0, SW_E_INVALID, "Torznab error 100: Invalid API Key", 0);
	expect_error("malformed.xml", 0, SW_E_INVALID,
	             "malformed XML at line 61, column 27: mismatched tag", 2);
	expect_error("malformed.xml", 1, SW_E_INVALID,
	             "malformed XML at line 61, column 27: mismatched tag", 2);
}

static void parse_str(const char *doc, const struct sw_feed_limits *lim, int code, const char *msg)
{
	struct items got;
	struct sw_feed_stats st;
	struct sw_errbuf eb = {{0}};
	int rc;

	memset(&got, 0, sizeof got);
	rc = sw_feed_parse(doc, strlen(doc), lim, collect, &got, &st, &eb);
	if (rc != code || (msg != NULL && strcmp(eb.msg, msg) != 0))
		fail_msg("got %s '%s', want %s '%s'", sw_strerror(rc), eb.msg, sw_strerror(code),
		         msg ? msg : "");
}

static void test_refusals(void **state)
{
	struct sw_feed_limits small = {100, 0}, few = {0, 2};
	char deep[4096];
	size_t n = 0;
	static const char three[] = "<rss><channel><item><title>a</title></item>"
	                            "<item><title>b</title></item><item><title>c</title></item>"
	                            "</channel></rss>";

	(void)state;
	parse_str("", NULL, SW_E_INVALID, "feed is empty (0 bytes)");
	parse_str("   \n", NULL, SW_E_INVALID,
	          "malformed XML at line 2, column 1: no element found");
	parse_str("{\"error\": \"rate limited\"}", NULL, SW_E_INVALID,
	          "feed is not XML (starts with '{\"error\": \"rate limited\"}...')");
	parse_str("<html><body>hi</body></html>", NULL, SW_E_INVALID,
	          "feed is HTML, not RSS (starts with <html>)");
	parse_str("<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"/>", NULL,
	          SW_E_INVALID, "feed is HTML, not RSS (starts with <html>)");
	parse_str("<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>", NULL, SW_E_UNSUPPORTED,
	          "feed is Atom, not RSS (root element <feed>)");
	parse_str("<rdf:RDF xmlns:rdf=\"x\"></rdf:RDF>", NULL, SW_E_UNSUPPORTED,
	          "feed is RSS 1.0 (RDF), not RSS 2.0");
	parse_str("<torrents/>", NULL, SW_E_INVALID, "not RSS (root element <torrents>)");
	parse_str("<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
	          "<rss>&b;</rss>",
	          NULL, SW_E_UNSUPPORTED, "DTD declares entity 'a' at line 1: not allowed");
	parse_str(three, &small, SW_E_TOO_BIG, "feed larger than 100 bytes");
	parse_str(three, &few, SW_E_TOO_BIG, "more than 2 items");
	parse_str(three, NULL, SW_OK, NULL);
	n += (size_t)snprintf(deep, sizeof deep, "<rss>");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(deep + n, sizeof deep - n, "<a>");
	parse_str(deep, NULL, SW_E_TOO_BIG, "elements nested deeper than 64 at line 1");
}

static void test_items_skipped_and_cut(void **state)
{
	struct sw_buf doc;
	struct items got;
	struct sw_feed_stats st;
	struct sw_errbuf eb = {{0}};

	(void)state;
	sw_buf_init(&doc, 1 << 20);
	sw_buf_puts(&doc, "<rss><channel>\n<item><title>");
	for (int i = 0; i < 2000; i++)
		sw_buf_putc(&doc, 'T');
	sw_buf_puts(&doc, "</title><link>http://x/1.torrent</link></item>\n<item><title>long "
	                  "link</title><link>http://x/");
	for (int i = 0; i < SW_FEED_MAX_URL; i++)
		sw_buf_putc(&doc, 'a');
	sw_buf_puts(&doc,
	            "</link></item>\n<item><title>liar</title>"
	            "<torznab:attr name=\"infohash\" value=\"" /* disagrees */
	            "0000000000000000000000000000000000000000\"/>"
	            "<link>magnet:?xt=urn:btih:455cb3f74ae3adbf4f267aed5423e3bb8379dede</link>"
	            "</item>\n<item><media:title>not the title</media:title><title>ok</title>"
	            "<link>magnet:?dn=no+hash</link><size>12</size></item>\n"
	            "<item><description>nothing usable</description></item>\n"
	            "</channel></rss>");
	memset(&got, 0, sizeof got);
	assert_int_equal(sw_feed_parse(doc.data, doc.len, NULL, collect, &got, &st, &eb), SW_OK);
	assert_int_equal(got.n, 2);
	assert_int_equal(strlen(got.it[0].title), 255); /* our copy; the item had 1024 */
	assert_true(got.it[0].flags & SW_FEED_F_TITLE_CUT);
	assert_string_equal(got.it[1].title, "ok");
	assert_true(got.it[1].flags & SW_FEED_F_BAD_MAGNET);
	assert_string_equal(got.it[1].magnet, "");
	assert_true(got.it[1].size == 12);
	assert_int_equal(st.skipped, 3);
	assert_string_equal(st.skip_reason, "item at line 3: a link or attribute is longer than "
	                                    "its cap");
	sw_buf_deinit(&doc);
}

static void test_dates(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} ok[] = {
	    {"Tue, 09 Dec 2014 18:33:00 +0000", 1418149980},
	    {"09 Dec 2014 18:33:00 GMT", 1418149980},
	    {"Tue, 9 Dec 14 18:33 UT", 1418149980},
	    {"Tue, 09 Dec 2014 13:33:00 EST", 1418149980},
	    {"Tue, 09 Dec 2014 10:33:00 PST", 1418149980},
	    {"2014-12-09T18:33:00Z", 1418149980},
	    {"2014-12-09T19:33:00.123+01:00", 1418149980},
	    {"Thu, 01 Jan 1970 00:00:00 +0000", 0},
	    {"Sat, 29 Feb 2020 12:00:00 +0000", 1582977600},
	};
	static const char *const bad[] = {"",
	                                  "yesterday",
	                                  "Tue, 09 Foo 2014 18:33:00 +0000",
	                                  "Tue, 09 Dec 2014 25:33:00 +0000",
	                                  "Tue, 09 Dec 2014 18:33:00 Mars",
	                                  "2014-13-09T18:33:00Z"};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(sw_feed_parse_date(ok[i].s, &t), SW_OK);
		if (t != ok[i].t)
			fail_msg("%s: %lld, want %lld", ok[i].s, (long long)t, (long long)ok[i].t);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sw_feed_parse_date(bad[i], &t), SW_E_INVALID);
}

/* The hot list's items are the leak's five releases and three decoys. */
static void test_hot_list_matched(void **state)
{
	static const char *const want[] = {
	    "Fury", "Annie", "Still Alice", "Mr. Turner", "To Write Love on Her Arms",
	    NULL,   NULL,    NULL};
	struct sw_watchlist *w = NULL;
	struct sw_matcher *m = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_feed_stats st;
	struct items got;
	struct sw_buf b;

	(void)state;
	assert_int_equal(sw_watchlist_load(EXAMPLE, &w, &eb), SW_OK);
	assert_int_equal(sw_matcher_new(w->specs, w->n_titles, &m, &eb), SW_OK);
	load("hot-xvid.rss", &b);
	assert_int_equal(parse_chunked(&b, 0, NULL, &got, &st, &eb), SW_OK);
	for (size_t i = 0; i < got.n; i++) {
		struct sw_release r;
		struct sw_match_result res;
		const char *title;

		assert_int_equal(sw_release_parse(got.it[i].title, strlen(got.it[i].title), &r), 0);
		assert_int_equal(sw_match_title(m, &r, &res), SW_OK);
		title = res.matched ? w->titles[res.title].name : NULL;
		if ((title == NULL) != (want[i] == NULL) || (title && strcmp(title, want[i]) != 0))
			fail_msg("%s -> %s (%s), want %s", got.it[i].title, title ? title : "-",
			         res.reason, want[i] ? want[i] : "-");
	}
	sw_buf_deinit(&b);
	sw_matcher_free(m);
	sw_watchlist_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hot_list),
	    cmocka_unit_test(test_torznab),
	    cmocka_unit_test(test_bad_documents),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_items_skipped_and_cut),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_hot_list_matched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
