/*
 * test_watchlist.c - the watchlist file: examples/sony-2014.ini read in
 * full and used to match the labelled corpus (the shipped example must
 * reach the same floors as the matcher's own test: precision 99%, recall
 * 97%); every key; and each kind of error with its file and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/hex.h"
#include "watch/match.h"
#include "watch/release.h"
#include "watch/watchlist.h"

#define EXAMPLE       SW_SOURCE_DIR "/examples/sony-2014.ini"
#define CORPUS        SW_SOURCE_DIR "/tests/data/release_corpus.tsv"
#define CORPUS_MAX    (1024 * 1024)
#define MIN_PRECISION 0.99
#define MIN_RECALL    0.97

static struct sw_watchlist *parse_ok(const char *text)
{
	struct sw_watchlist_opts o = {"t.ini", "/base", false};
	struct sw_watchlist *w = NULL;
	struct sw_errbuf eb = {{0}};
	int rc = sw_watchlist_parse(text, strlen(text), &o, &w, &eb);

	if (rc != SW_OK)
		fail_msg("unexpected error %s: %s", sw_strerror(rc), eb.msg);
	return w;
}

/* text must fail with code and exactly the message msg. */
static void parse_err(const char *text, int code, const char *msg)
{
	struct sw_watchlist_opts o = {"t.ini", "/base", false};
	struct sw_watchlist *w = NULL;
	struct sw_errbuf eb = {{0}};
	int rc = sw_watchlist_parse(text, strlen(text), &o, &w, &eb);

	if (rc == SW_OK)
		fail_msg("parsed, expected: %s", msg);
	assert_null(w);
	if (rc != code || strcmp(eb.msg, msg) != 0)
		fail_msg("got %s '%s'\nwant %s '%s'", sw_strerror(rc), eb.msg, sw_strerror(code),
		         msg);
}

static void test_example(void **state)
{
	struct sw_watchlist *w = NULL;
	struct sw_errbuf eb = {{0}};
	const struct sw_watch_title *t;

	(void)state;
	assert_int_equal(sw_watchlist_load(EXAMPLE, &w, &eb), SW_OK);
	assert_int_equal(w->n_titles, 5);
	assert_string_equal(w->titles[0].name, "Fury");
	assert_string_equal(w->titles[1].name, "Annie");
	assert_string_equal(w->titles[2].name, "Still Alice");
	assert_string_equal(w->titles[3].name, "Mr. Turner");
	assert_string_equal(w->titles[4].name, "To Write Love on Her Arms");
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(w->titles[i].year, 2014);
		assert_ptr_equal(w->specs[i].name, w->titles[i].name);
		assert_int_equal(w->specs[i].year, 2014);
	}
	t = &w->titles[0];
	assert_int_equal(t->n_aliases, 3); /* two keys: a list and one more */
	assert_string_equal(t->aliases[0], "Herz aus Stahl");
	assert_string_equal(t->aliases[2], "Corações de Ferro");
	assert_null(t->aliases[3]);
	assert_int_equal(t->n_excludes, 3);
	assert_string_equal(w->titles[1].excludes[2], "Annie Hall"); /* quoted */
	/* Settings; relative paths against the file's directory. */
	assert_non_null(w->database);
	assert_string_equal(w->database, SW_SOURCE_DIR "/examples/sony-2014.db");
	assert_string_equal(w->secret, SW_SOURCE_DIR "/examples/sony-2014.secret");
	assert_string_equal(w->listen, "0.0.0.0:6881");
	assert_true(w->retention_ms == 90LL * 24 * 3600 * 1000);
	assert_true(w->feed_interval_ms == 15 * 60 * 1000);
	assert_false(w->evidence);
	assert_false(w->allow_private);
	assert_true(w->dht);
	assert_int_equal(w->n_dht_bootstrap, 0);
	assert_null(w->geoip_country);
	assert_int_equal(w->n_feeds, 0);
	sw_watchlist_free(w);
}

/* The corpus of test_match.c against the example file instead of C specs. */
static void test_example_corpus(void **state)
{
	struct sw_watchlist *w = NULL;
	struct sw_matcher *m = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_buf in;
	unsigned n = 0, truth = 0, found = 0, wrong = 0;
	char *line, *save = NULL;
	double precision, recall;

	(void)state;
	assert_int_equal(sw_watchlist_load(EXAMPLE, &w, &eb), SW_OK);
	assert_int_equal(sw_matcher_new(w->specs, w->n_titles, &m, &eb), SW_OK);
	sw_buf_init(&in, CORPUS_MAX);
	assert_int_equal(sw_buf_read_file(&in, CORPUS), SW_OK);
	for (line = strtok_r((char *)in.data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), *label, *end;
		struct sw_release r;
		struct sw_match_result res;

		if (line[0] == '#' || tab == NULL)
			continue;
		label = tab + 1;
		end = strchr(label, '\t');
		if (end)
			*end = '\0';
		assert_int_equal(sw_release_parse(line, (size_t)(tab - line), &r), SW_OK);
		assert_int_equal(sw_match_title(m, &r, &res), SW_OK);
		n++;
		truth += strcmp(label, "-") != 0;
		if (!res.matched)
			continue;
		if (strcmp(label, w->titles[res.title].name) == 0)
			found++;
		else
			wrong++;
	}
	precision = found + wrong ? (double)found / (found + wrong) : 1.0;
	recall = truth ? (double)found / truth : 0.0;
	print_message("example watchlist on the corpus: %u names, %u true: %u found, %u false; "
	              "precision %.2f%%, recall %.2f%%\n",
	              n, truth, found, wrong, 100 * precision, 100 * recall);
	assert_true(n >= 300);
	assert_true(precision >= MIN_PRECISION);
	assert_true(recall >= MIN_RECALL);
	sw_buf_deinit(&in);
	sw_matcher_free(m);
	sw_watchlist_free(w);
}

static void test_keys(void **state)
{
	static const char ini[] =
	    "\xEF\xBB\xBF# a BOM, then a comment\n"
	    "[swarmwatch]\n"
	    "database = /var/lib/sw.db\n"
	    "listen = [::1]:7000\n"
	    "secret = keys/secret ; inline comment\n"
	    "retention = 1h30m\n"
	    "feed_interval = 90s\n"
	    "evidence = Yes\n"
	    "allow_private = on\n"
	    "dht = 0\n"
	    "dht_bootstrap = router.example.org:6881\n"
	    "dht_bootstrap = 127.0.0.1:6881\n"
	    "geoip_country = geo/c.mmdb\n"
	    "geoip_asn = /geo/a.mmdb\n"
	    "\n"
	    "[title \"Crouching Tiger, Hidden Dragon\"]\n"
	    "year: 2000\n"
	    "aliases = \"Tiger and Dragon, the\", Wo hu cang long,\n"
	    "   Tigre y dragon\n"
	    "exclude = soundtrack\n"
	    "magnet = magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567\n"
	    "    &dn=Crouching.Tiger\n"
	    "infohash = 0123456789ABCDEF0123456789ABCDEF01234567\n"
	    "infohash = AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH\n"
	    "torrent = t/ct.torrent\n"
	    "torrent = /abs/ct.torrent\n"
	    "[ title \"The \\\"Quoted\\\" One\" ]\n"
	    "[feed \"a\"]\n"
	    "url = https://example.org/rss?a=b&c=d\n"
	    "[feed \"b\"]\n"
	    "url = file:///srv/feeds/hot%20list.xml\n"
	    "interval = 2m\n"
	    "[feed \"c\"]\n"
	    "url = feeds/saved.xml\n";
	struct sw_watchlist *w = parse_ok(ini);
	const struct sw_watch_title *t;
	uint8_t ih[SW_INFOHASH_LEN];

	(void)state;
	assert_string_equal(w->path, "t.ini");
	assert_string_equal(w->database, "/var/lib/sw.db");
	assert_string_equal(w->listen, "[::1]:7000");
	assert_string_equal(w->secret, "/base/keys/secret");
	assert_true(w->retention_ms == 5400000);
	assert_true(w->feed_interval_ms == 90000);
	assert_true(w->evidence);
	assert_true(w->allow_private);
	assert_false(w->dht);
	assert_int_equal(w->n_dht_bootstrap, 2);
	assert_string_equal(w->dht_bootstrap[1], "127.0.0.1:6881");
	assert_null(w->dht_bootstrap[2]);
	assert_string_equal(w->geoip_country, "/base/geo/c.mmdb");
	assert_string_equal(w->geoip_asn, "/geo/a.mmdb");

	assert_int_equal(w->n_titles, 2);
	t = &w->titles[0];
	assert_string_equal(t->name, "Crouching Tiger, Hidden Dragon");
	assert_int_equal(t->line, 16);
	assert_int_equal(t->year, 2000);
	assert_int_equal(t->n_aliases, 3);
	assert_string_equal(t->aliases[0], "Tiger and Dragon, the");
	assert_string_equal(t->aliases[1], "Wo hu cang long");
	assert_string_equal(t->aliases[2], "Tigre y dragon");
	assert_int_equal(t->n_magnets, 1);
	assert_string_equal(t->magnets[0], "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef"
	                                   "01234567&dn=Crouching.Tiger");
	assert_int_equal(t->n_infohashes, 2);
	assert_int_equal(sw_hex_decode("0123456789abcdef0123456789abcdef01234567", 40, ih, 20), 0);
	assert_memory_equal(t->infohashes[0], ih, 20);
	assert_memory_equal(t->infohashes[1], ih, 20); /* the same hash in base32 */
	assert_int_equal(t->n_torrents, 2);
	assert_string_equal(t->torrents[0], "/base/t/ct.torrent");
	assert_string_equal(t->torrents[1], "/abs/ct.torrent");
	assert_string_equal(w->titles[1].name, "The \"Quoted\" One");
	assert_int_equal(w->titles[1].year, 0);
	assert_ptr_equal(w->specs[1].aliases, NULL);

	assert_int_equal(w->n_feeds, 3);
	assert_string_equal(w->feeds[0].url, "https://example.org/rss?a=b&c=d");
	assert_false(w->feeds[0].is_file);
	assert_true(w->feeds[0].interval_ms == 90000); /* the [swarmwatch] default */
	assert_string_equal(w->feeds[1].url, "/srv/feeds/hot list.xml");
	assert_true(w->feeds[1].is_file);
	assert_true(w->feeds[1].interval_ms == 120000);
	assert_string_equal(w->feeds[2].url, "/base/feeds/saved.xml");
	sw_watchlist_free(w);
}

static void test_defaults_and_empty(void **state)
{
	struct sw_watchlist *w = parse_ok("");

	(void)state;
	assert_int_equal(w->n_titles, 0);
	assert_true(w->dht);
	assert_true(w->retention_ms == SW_WATCHLIST_DEF_RETENTION_MS);
	sw_watchlist_free(w);
	/* Two titles of one name are fine when their years differ. */
	w = parse_ok("[title \"Annie\"]\nyear=1982\n[title \"Annie\"]\nyear = 2014\n");
	assert_int_equal(w->n_titles, 2);
	sw_watchlist_free(w);
}

static void test_errors(void **state)
{
	char long_line[400];

	(void)state;
	parse_err("[title \"Fury\"]\nyear = 2014\n\n\n\n\n\n\n\n\n\nyaer = 2014\n", SW_E_INVALID,
	          "t.ini:12: unknown key 'yaer' in [title \"Fury\"] (did you mean 'year'?)");
	parse_err("[title \"Fury\"]\nfoo = 1\n", SW_E_INVALID,
	          "t.ini:2: unknown key 'foo' in [title \"Fury\"]");
	parse_err("[title \"Fury\"]\nyear = twenty\n", SW_E_INVALID,
	          "t.ini:2: year 'twenty' is not a number");
	parse_err("[title \"Fury\"]\nyear = 2014\nyear = 2014\n", SW_E_INVALID,
	          "t.ini:3: year given twice");
	parse_err("[title \"Fury\"]\nyear = 1066\n", SW_E_RANGE,
	          "t.ini:2: year 1066 is out of range (1888..2100)");
	parse_err("[title \"Fury\"]\nmagnet = magnet:?dn=x\n", SW_E_INVALID,
	          "t.ini:2: bad magnet: no xt=urn:btih or urn:btmh");
	parse_err("[title \"Fury\"]\ninfohash = 0123\n", SW_E_INVALID,
	          "t.ini:2: bad infohash '0123' (expected 40 hex digits or 32 base32 "
	          "characters)");
	parse_err("[title \"Fury\"]\nyear=2014\n[title \"fury\"]\nyear=2014\n", SW_E_INVALID,
	          "t.ini:3: duplicate title \"fury\" with the same year (first at line 1)");
	parse_err("[feed \"a\"]\nurl = /x\n[feed \"a\"]\nurl = /y\n", SW_E_INVALID,
	          "t.ini:3: duplicate feed \"a\" (first at line 1)");
	parse_err("[feed \"a\"]\ninterval = 1m\n", SW_E_INVALID,
	          "t.ini:1: [feed \"a\"] has no url");
	parse_err("[feed \"a\"]\nurl = ftp://x/y\n", SW_E_UNSUPPORTED,
	          "t.ini:2: url: unsupported scheme 'ftp' (http, https, file, or a path)");
	parse_err("[feed \"a\"]\nurl = http://x\ninterval = soon\n", SW_E_INVALID,
	          "t.ini:3: interval: 'soon' is not a duration (e.g. 90s, 15m, 1h30m, 30d)");
	parse_err("[swarmwatch]\ndht = maybe\n", SW_E_INVALID,
	          "t.ini:2: dht: 'maybe' is not a boolean (yes or no)");
	parse_err("[swarmwatch]\nlisten = localhost\n", SW_E_INVALID,
	          "t.ini:2: listen: 'localhost' is not an address and port (1.2.3.4:6881 or "
	          "[::1]:6881)");
	parse_err("[swarmwatch]\n[swarmwatch]\n", SW_E_INVALID,
	          "t.ini:2: second [swarmwatch] section (first at line 1)");
	parse_err("year = 2014\n", SW_E_INVALID, "t.ini:1: key 'year' outside any section");
	parse_err("[movie \"Fury\"]\n", SW_E_INVALID,
	          "t.ini:1: unknown section [movie] (expected [swarmwatch], [title \"NAME\"] or "
	          "[feed \"NAME\"])");
	parse_err("[title Fury]\n", SW_E_INVALID,
	          "t.ini:1: malformed section header (expected [swarmwatch], [title \"NAME\"] or "
	          "[feed \"NAME\"])");
	parse_err("[title]\n", SW_E_INVALID,
	          "t.ini:1: [title] needs a name in double quotes: [title \"NAME\"]");
	parse_err("[title \"Fury\"] x\n", SW_E_INVALID,
	          "t.ini:1: text after ']' in section header");
	parse_err("[title \"...\"]\n", SW_E_INVALID,
	          "t.ini:1: title \"...\" has no words or too many");
	parse_err("[title \"Fury\"]\nyear = 2014\njust some words\n", SW_E_INVALID,
	          "t.ini:3: malformed line (expected 'key = value', [section] or a ; comment)");
	parse_err("[title \"Fury\"]\naliases = a, , b\n", SW_E_INVALID,
	          "t.ini:2: aliases: an item has no words");
	parse_err("[title \"Fury\"]\naliases = \"a\" b\n", SW_E_INVALID,
	          "t.ini:2: aliases: text after a quoted item (a comma is missing)");
	/* The first error by line wins, whichever pass finds it. */
	parse_err("[title \"Fury\"]\nyear = x\nno equals here\n", SW_E_INVALID,
	          "t.ini:2: year 'x' is not a number");
	parse_err("[title \"Fury\"]\nno equals here\nyear = x\n", SW_E_INVALID,
	          "t.ini:2: malformed line (expected 'key = value', [section] or a ; comment)");
	memset(long_line, 'a', sizeof long_line);
	memcpy(long_line, "[title \"Fury\"]\nmagnet = ", 24);
	long_line[sizeof long_line - 1] = '\0';
	parse_err(long_line, SW_E_TOO_BIG,
	          "t.ini:2: line longer than 198 bytes (continue a long value on indented lines)");
	{
		struct sw_watchlist *w = NULL;
		struct sw_errbuf eb = {{0}};
		static const char nul[] = "[title \"Fury\"]\nyear = 20\0"
		                          "14\n";

		assert_int_equal(sw_watchlist_parse(nul, sizeof nul - 1, NULL, &w, &eb),
		                 SW_E_INVALID);
		assert_string_equal(eb.msg, "<string>:2: NUL byte in line");
	}
}

static void test_load_files(void **state)
{
	char dir[] = "/tmp/sw_test_watchlist.XXXXXX", path[128], tor[128];
	struct sw_watchlist *w = NULL;
	struct sw_errbuf eb = {{0}};
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/w.ini", dir);
	snprintf(tor, sizeof tor, "%s/fury.torrent", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[title \"Fury\"]\ntorrent = fury.torrent\n", f);
	fclose(f);
	assert_int_equal(sw_watchlist_load(path, &w, &eb), SW_E_NOT_FOUND);
	assert_non_null(strstr(eb.msg, "w.ini:2: torrent '"));
	assert_non_null(strstr(eb.msg, "fury.torrent': no such file"));
	f = fopen(tor, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(sw_watchlist_load(path, &w, &eb), SW_OK);
	assert_string_equal(w->titles[0].torrents[0], tor);
	sw_watchlist_free(w);
	assert_int_equal(sw_watchlist_load("/nonexistent/w.ini", &w, &eb), SW_E_NOT_FOUND);
	assert_string_equal(eb.msg, "/nonexistent/w.ini: cannot read: no such file");
	unlink(tor);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example), cmocka_unit_test(test_example_corpus),
	    cmocka_unit_test(test_keys),    cmocka_unit_test(test_defaults_and_empty),
	    cmocka_unit_test(test_errors),  cmocka_unit_test(test_load_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
