/*
 * test_match.c - the matcher: the confusers of the 2014 Sony leak, the
 * reasons it gives, and precision and recall over the labelled corpus
 * tests/data/release_corpus.tsv (name, the title it really is or "-",
 * note).  The figures are printed; the floors are precision 99% and recall
 * 97%.  A rough names-per-second figure is printed too (bench/ has the
 * real benchmark).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/error.h"
#include "watch/match.h"
#include "watch/release.h"

#define CORPUS        SW_SOURCE_DIR "/tests/data/release_corpus.tsv"
#define CORPUS_MAX    (1024 * 1024)
#define MIN_CORPUS    300
#define MIN_PRECISION 0.99
#define MIN_RECALL    0.97
#define BENCH_ROUNDS  2000

/* The watchlist of the test: the leak's five titles, with aliases. */
static const char *const fury_aliases[] = {"Herz aus Stahl", "Corazones de acero",
                                           "Corações de Ferro", NULL};
static const char *const fury_excludes[] = {"soundtrack", "ost", "game", "road", NULL};
static const char *const annie_excludes[] = {"soundtrack", "ost", NULL};
static const char *const alice_aliases[] = {"Still Alice - Mein Leben ohne Gestern",
                                            "Siempre Alice", "Para Sempre Alice", NULL};
static const char *const alice_excludes[] = {"audiobook", "soundtrack", NULL};
static const char *const turner_aliases[] = {"Mr. Turner - Meister des Lichts", NULL};
static const char *const twloha_aliases[] = {"Renee", NULL};

static const struct sw_title_spec watchlist[] = {
    {"Fury", 2014, fury_aliases, fury_excludes},
    {"Annie", 2014, NULL, annie_excludes},
    {"Still Alice", 2014, alice_aliases, alice_excludes},
    {"Mr. Turner", 2014, turner_aliases, NULL},
    {"To Write Love on Her Arms", 2014, twloha_aliases, NULL},
};
#define N_WATCH (sizeof watchlist / sizeof watchlist[0])

static int setup(void **state)
{
	struct sw_matcher *m = NULL;
	struct sw_errbuf eb = {{0}};

	if (sw_matcher_new(watchlist, N_WATCH, &m, &eb) != SW_OK) {
		fprintf(stderr, "sw_matcher_new: %s\n", eb.msg);
		return -1;
	}
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	sw_matcher_free(*state);
	return 0;
}

static void match(const struct sw_matcher *m, const char *name, struct sw_match_result *res)
{
	struct sw_release r;

	assert_int_equal(sw_release_parse(name, strlen(name), &r), SW_OK);
	assert_int_equal(sw_match_title(m, &r, res), SW_OK);
}

/* name must match title t (or nothing, t < 0) with a reason containing why. */
static void expect(const struct sw_matcher *m, const char *name, int t, const char *why)
{
	struct sw_match_result res;

	match(m, name, &res);
	if ((t >= 0) != res.matched || (t >= 0 && res.title != t) ||
	    strstr(res.reason, why) == NULL)
		fail_msg("%s\n  got matched=%d title=%d score=%d '%s'\n  want title %d, '%s'", name,
		         res.matched, res.title, res.score, res.reason, t, why);
	if (res.matched != (res.score >= SW_MATCH_MIN_SCORE))
		fail_msg("%s: score %d disagrees with the decision", name, res.score);
}

static void test_leak_names(void **state)
{
	const struct sw_matcher *m = *state;

	expect(m, "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8", 0,
	       "title words match 'Fury' ('fury'), year 2014 = 2014");
	expect(m, "Annie 2014 DVDSCR X264 AAC-P2P", 1, "year 2014 = 2014");
	expect(m, "[ www.Torrenting.com ] - Still.Alice.2014.DVDSCR.x264-COLLECTiVE", 2,
	       "'still alice'");
	expect(m, "Mr Turner (2014) DVDScr 720p", 3, "'Mr. Turner'");
	expect(m, "To.Write.Love.on.Her.Arms.2014.DVDScr", 4, "2014 = 2014");
	expect(m, "Fury.2015.DVDScr", 0, "year 2015 within 1 of 2014");
	expect(m, "Still.Alice.DVDScr", 2, "no year, but several words");
	expect(m, "Herz.aus.Stahl.2014.German.DVDScr", 0, "an alias of 'Fury'");
	expect(m, "Fury - Herz aus Stahl 2014", 0, "two spellings of 'Fury'");
	expect(m, "Corações de Ferro 2014", 0, "an alias");
	expect(m, "Fury.2014.DVDSCR.x264-CM8/fury.sample.mkv", 0, "2014 = 2014");
}

static void test_confusers(void **state)
{
	const struct sw_matcher *m = *state;

	expect(m, "Furious.7.2015.1080p", -1, "no watched title is 'furious 7'");
	expect(m, "The.Fury.1978.DVDRip", -1, "no watched title is 'the fury'");
	expect(m, "The Fury 2014", -1, "'the fury'");
	expect(m, "Mad.Max.Fury.Road.2015", -1, "'mad max fury road'");
	expect(m, "Fury.Road.2015", -1, "'fury road'");
	expect(m, "Fury.2014.Road.Trip.Edition", -1, "vetoed: 'road'");
	expect(m, "Fury (1936)", -1, "year 1936 differs from 2014 ('Fury') by more than 1");
	expect(m, "Annie Hall 1977", -1, "'annie hall'");
	expect(m, "Annie (1982) DVDRip", -1, "year 1982 differs from 2014");
	expect(m, "Alice.in.Wonderland.2010", -1, "'alice in wonderland'");
	expect(m, "Turner & Hooch 1989", -1, "'turner and hooch'");
	expect(m, "Mr.Holmes.2015", -1, "'mr holmes'");
	expect(m, "Fury.DVDScr.XviD", -1, "no year, needed for one word");
	expect(m, "Fury.2014.DVDScr.XviD.exe", -1, "executable container .exe is a decoy");
	expect(m, "Fury.2014.Official.Trailer", -1, "a trailer");
	expect(m, "Annie.2014.Original.Soundtrack.320kbps", -1, "vetoed: 'soundtrack'");
	expect(m, "Still.Alice.2014.Audiobook.mp3", -1, "is not 'Still Alice'");
	expect(m, "Fury.S01E01.HDTV", -1, "an episode tag");
	expect(m, "DVDScr.XviD", 0 - 1, "no watched title is 'dvdscr'");
	expect(m, "", -1, "no title words");
}

static void test_articles_and_years(void **state)
{
	static const struct sw_title_spec list[] = {
	    {"The Interview", 2014, NULL, NULL},
	    {"Annie", 1982, NULL, NULL},
	    {"Annie", 2014, NULL, NULL},
	    {"Fury", 0, NULL, NULL},
	};
	struct sw_matcher *m = NULL;
	struct sw_errbuf eb;

	(void)state;
	assert_int_equal(sw_matcher_new(list, 4, &m, &eb), SW_OK);
	expect(m, "The.Interview.2014.DVDScr", 0, "title words match 'The Interview'");
	expect(m, "Interview.2014.DVDScr", 0, "without its article");
	expect(m, "Interview.DVDScr", -1, "needed for a dropped article");
	expect(m, "Annie.1982.DVDRip", 1, "1982 = 1982");
	expect(m, "Annie.2014.DVDScr", 2, "2014 = 2014");
	expect(m, "Annie.2015.DVDScr", 2, "within 1 of 2014");
	expect(m, "Fury.1936", 3, "title has no year");
	sw_matcher_free(m);
}

static void test_bad_specs(void **state)
{
	static const char *const none[] = {"...", NULL};
	struct sw_title_spec bad[] = {{"Fury", 2014, none, NULL}};
	struct sw_title_spec noname[] = {{NULL, 2014, NULL, NULL}};
	struct sw_matcher *m = (struct sw_matcher *)&m;
	struct sw_errbuf eb;
	struct sw_match_result res;
	struct sw_release r;

	(void)state;
	assert_int_equal(sw_matcher_new(bad, 1, &m, &eb), SW_E_INVALID);
	assert_null(m);
	assert_non_null(strstr(eb.msg, "has no words"));
	assert_int_equal(sw_matcher_new(noname, 1, &m, &eb), SW_E_INVALID);
	assert_int_equal(sw_matcher_new(NULL, 0, &m, &eb), SW_OK);
	assert_int_equal(sw_release_parse("Fury 2014", 9, &r), SW_OK);
	assert_int_equal(sw_match_title(m, &r, &res), SW_OK);
	assert_false(res.matched);
	assert_int_equal(sw_match_title(NULL, &r, &res), SW_E_INVALID);
	sw_matcher_free(m);
	sw_matcher_free(NULL);
}

struct tally {
	unsigned lines, positives, tp, fp, fn;
};

static int title_index(const char *label)
{
	size_t i;

	for (i = 0; i < N_WATCH; i++)
		if (strcmp(label, watchlist[i].name) == 0)
			return (int)i;
	fail_msg("corpus label '%s' is not on the watchlist", label);
	return -1;
}

/* One corpus line, "name\tlabel\tnote", NUL-terminated by the caller. */
static void score_line(const struct sw_matcher *m, char *line, struct tally *t)
{
	char *label = strchr(line, '\t'), *note;
	struct sw_match_result res;
	int want;

	if (label == NULL)
		fail_msg("corpus line without a tab: %s", line);
	*label++ = '\0';
	if ((note = strchr(label, '\t')) != NULL)
		*note = '\0';
	want = strcmp(label, "-") == 0 ? -1 : title_index(label);
	match(m, line, &res);
	t->lines++;
	t->positives += want >= 0;
	if (res.matched && res.title == want)
		t->tp++;
	if ((res.matched && res.title == want) || (!res.matched && want < 0))
		return;
	if (res.matched)
		t->fp++;
	if (want >= 0)
		t->fn++;
	print_message("  %s: %s -> %s (%s)\n", res.matched ? "false match" : "missed", line,
	              res.matched ? watchlist[res.title].name : "-", res.reason);
}

static void test_corpus_precision_recall(void **state)
{
	const struct sw_matcher *m = *state;
	struct sw_buf b;
	struct tally t = {0};
	char *p, *nl;
	double precision, recall;

	sw_buf_init(&b, CORPUS_MAX);
	assert_int_equal(sw_buf_read_file(&b, CORPUS), SW_OK);
	for (p = (char *)b.data; p != NULL && *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if (*p != '#' && *p != '\0')
			score_line(m, p, &t);
	}
	sw_buf_deinit(&b);
	precision = t.tp + t.fp ? (double)t.tp / (t.tp + t.fp) : 0;
	recall = t.positives ? (double)t.tp / t.positives : 0;
	print_message("corpus: %u names, %u true matches, %u confusers: %u found, %u false, "
	              "%u missed; precision %.2f%%, recall %.2f%%\n",
	              t.lines, t.positives, t.lines - t.positives, t.tp, t.fp, t.fn,
	              100 * precision, 100 * recall);
	assert_true(t.lines >= MIN_CORPUS);
	assert_true(precision >= MIN_PRECISION);
	assert_true(recall >= MIN_RECALL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not a benchmark (bench/ has that): a sanity figure for the report. */
static void test_speed_sanity(void **state)
{
	static const char *const names[] = {
	    "Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8",
	    "Annie 2014 DVDSCR X264 AAC-P2P",
	    "[ www.Torrenting.com ] - Still.Alice.2014.DVDSCR.x264-COLLECTiVE",
	    "Mr Turner (2014) DVDScr 720p",
	    "Mad.Max.Fury.Road.2015.1080p.BluRay.x264-SPARKS",
	    "Annie.Hall.1977.1080p.BluRay.x264",
	    "The.Imitation.Game.2014.DVDScr.XviD-EVO",
	    "Fury.2014.DVDSCR.x264-CM8/fury.sample.mkv",
	};
	const struct sw_matcher *m = *state;
	size_t n = sizeof names / sizeof names[0], lens[8], i, k, hits = 0;
	struct sw_release r;
	struct sw_match_result res;
	double t0, dt;

	for (i = 0; i < n; i++)
		lens[i] = strlen(names[i]);
	t0 = now();
	for (k = 0; k < BENCH_ROUNDS; k++)
		for (i = 0; i < n; i++) {
			sw_release_parse(names[i], lens[i], &r);
			sw_match_title(m, &r, &res);
			hits += res.matched;
		}
	dt = now() - t0;
	print_message("speed: %zu names parsed and matched (5 titles) in %.3f s: %.0f names/s\n",
	              n * BENCH_ROUNDS, dt, (double)(n * BENCH_ROUNDS) / dt);
	assert_int_equal(hits, 5 * BENCH_ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_leak_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_confusers, setup, teardown),
	    cmocka_unit_test(test_articles_and_years),
	    cmocka_unit_test(test_bad_specs),
	    cmocka_unit_test_setup_teardown(test_corpus_precision_recall, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_speed_sanity, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
