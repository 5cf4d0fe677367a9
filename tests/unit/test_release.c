/*
 * test_release.c - the release-name parser: title words, year choice,
 * tags, groups, site tags, paths, containers, diacritic folding, and
 * hostile input (long, many words, broken UTF-8, NULs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "watch/release.h"

/* The title words joined by spaces. */
static const char *title_of(const struct sw_release *r)
{
	static char buf[SW_WORDS_TEXT_LEN];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n_title; i++)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? " " : "",
		                         sw_words_at(&r->words, i));
	return buf;
}

static const char *group_of(const struct sw_release *r)
{
	return r->group >= 0 ? sw_words_at(&r->words, (size_t)r->group) : "";
}

static void parse(const char *name, struct sw_release *r)
{
	assert_int_equal(sw_release_parse(name, strlen(name), r), SW_OK);
}

struct want {
	const char *name, *title;
	unsigned year;
	unsigned source, resolution, codec, audio;
	const char *group;
};

static void check(const struct want *w)
{
	struct sw_release r;

	parse(w->name, &r);
	if (strcmp(title_of(&r), w->title) != 0 || r.year != w->year || r.source != w->source ||
	    r.resolution != w->resolution || r.codec != w->codec || r.audio != w->audio ||
	    strcmp(group_of(&r), w->group) != 0)
		fail_msg("%s\n  got '%s' %u src %u res %u codec %u audio %u group '%s'", w->name,
		         title_of(&r), r.year, r.source, r.resolution, r.codec, r.audio,
		         group_of(&r));
}

static void test_the_leak(void **state)
{
	static const struct want ws[] = {
	    {"Fury.2014.DVDScr.XVID.AC3.HQ.Hive-CM8", "fury", 2014, SW_SRC_SCREENER, 0,
	     SW_CODEC_XVID, SW_AUDIO_AC3, "cm8"},
	    {"Annie 2014 DVDSCR X264 AAC-P2P", "annie", 2014, SW_SRC_SCREENER, 0, SW_CODEC_H264,
	     SW_AUDIO_AAC, "p2p"},
	    {"[ www.Torrenting.com ] - Still.Alice.2014.DVDSCR.x264-COLLECTiVE", "still alice",
	     2014, SW_SRC_SCREENER, 0, SW_CODEC_H264, SW_AUDIO_NONE, "collective"},
	    {"Mr Turner (2014) DVDScr 720p", "mr turner", 2014, SW_SRC_SCREENER, 720, SW_CODEC_NONE,
	     SW_AUDIO_NONE, ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ws / sizeof ws[0]; i++)
		check(&ws[i]);
}

static void test_tags(void **state)
{
	static const struct want ws[] = {
	    {"X.2014.WEB-DL.1080p.H.264.DD5.1-NTb", "x", 2014, SW_SRC_WEBDL, 1080, SW_CODEC_H264,
	     SW_AUDIO_AC3, "ntb"},
	    {"X 2014 720p WEBRip x265 AAC2.0", "x", 2014, SW_SRC_WEBRIP, 720, SW_CODEC_H265,
	     SW_AUDIO_AAC, ""},
	    {"X.2014.Blu-Ray.2160p.HEVC.TrueHD", "x", 2014, SW_SRC_BLURAY, 2160, SW_CODEC_H265,
	     SW_AUDIO_TRUEHD, ""},
	    {"X (2014) DVD Scr XviD", "x", 2014, SW_SRC_SCREENER, 0, SW_CODEC_XVID, SW_AUDIO_NONE,
	     ""},
	    {"X.2014.HD-CAM.x264", "x", 2014, SW_SRC_CAM, 0, SW_CODEC_H264, SW_AUDIO_NONE, ""},
	    {"X.2014.TS.XviD-MiSTERE", "x", 2014, SW_SRC_TS, 0, SW_CODEC_XVID, SW_AUDIO_NONE,
	     "mistere"},
	    {"X.2014.TC.XviD", "x", 2014, SW_SRC_TC, 0, SW_CODEC_XVID, SW_AUDIO_NONE, ""},
	    {"X.2014.R5.LINE.XviD", "x", 2014, SW_SRC_R5, 0, SW_CODEC_XVID, SW_AUDIO_NONE, ""},
	    {"X.2014.DVDRip.DivX.MP3", "x", 2014, SW_SRC_DVDRIP, 0, SW_CODEC_DIVX, SW_AUDIO_MP3,
	     ""},
	    {"X.2014.HDTV.x264-LOL", "x", 2014, SW_SRC_HDTV, 0, SW_CODEC_H264, SW_AUDIO_NONE,
	     "lol"},
	    {"X.2014.BDRip.x264.DTS-HD", "x", 2014, SW_SRC_BLURAY, 0, SW_CODEC_H264, SW_AUDIO_DTS,
	     ""}, /* DTS-HD is one tag */
	    {"X 2014 HDRip 4K FLAC", "x", 2014, SW_SRC_HDRIP, 2160, SW_CODEC_NONE, SW_AUDIO_FLAC,
	     ""},
	    {"X.2014.Screener.1080i.AC3", "x", 2014, SW_SRC_SCREENER, 1080, SW_CODEC_NONE,
	     SW_AUDIO_AC3, ""},
	    {"X 2014 1080p BluRay x264 [YTS.AG]", "x", 2014, SW_SRC_BLURAY, 1080, SW_CODEC_H264,
	     SW_AUDIO_NONE, ""},
	    {"X 2014 DVDScr [ettv]", "x", 2014, SW_SRC_SCREENER, 0, SW_CODEC_NONE, SW_AUDIO_NONE,
	     "ettv"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ws / sizeof ws[0]; i++)
		check(&ws[i]);
	assert_string_equal(sw_release_source_name(SW_SRC_SCREENER), "DVDScr");
	assert_string_equal(sw_release_codec_name(SW_CODEC_H264), "x264");
	assert_string_equal(sw_release_audio_name(SW_AUDIO_AC3), "AC3");
	assert_string_equal(sw_release_source_name(999), "");
}

/* Where the title ends and which number is the year. */
static void test_title_and_year(void **state)
{
	static const struct want ws[] = {
	    {"2012 (2009) 1080p", "2012", 2009, 0, 1080, 0, 0, ""},
	    {"2012.2009.DVDRip", "2012", 2009, SW_SRC_DVDRIP, 0, 0, 0, ""},
	    {"Blade Runner 2049 (2017) WEB-DL", "blade runner 2049", 2017, SW_SRC_WEBDL, 0, 0, 0,
	     ""},
	    {"1917.2019.1080p", "1917", 2019, 0, 1080, 0, 0, ""},
	    {"2012.DVDRip", "2012", 0, SW_SRC_DVDRIP, 0, 0, 0, ""},
	    {"Cam (2018) WEBRip", "cam", 2018, SW_SRC_WEBRIP, 0, 0, 0, ""},
	    {"Fury DVDScr 2014", "fury", 2014, SW_SRC_SCREENER, 0, 0, 0, ""},
	    {"Fury 2014 Herz aus Stahl DVDScr", "fury", 2014, SW_SRC_SCREENER, 0, 0, 0, ""},
	    {"Fury (Herz aus Stahl) 2014", "fury", 2014, 0, 0, 0, 0, ""},
	    {"Apollo 13 1995", "apollo 13", 1995, 0, 0, 0, 0, ""},
	    {"Fury 1850 DVDRip", "fury 1850", 0, SW_SRC_DVDRIP, 0, 0, 0, ""},
	    {"Spider-Man.2002", "spider man", 2002, 0, 0, 0, 0, ""},
	    {"Still Alice", "still alice", 0, 0, 0, 0, 0, ""},
	    {"Fury.S01E02.HDTV", "fury", 0, SW_SRC_HDTV, 0, 0, 0, ""},
	    {"Don't Look Up (2021)", "dont look up", 2021, 0, 0, 0, 0, ""},
	    {"Don\xe2\x80\x99t Look Up (2021)", "dont look up", 2021, 0, 0, 0, 0, ""},
	    {"Turner & Hooch 1989", "turner and hooch", 1989, 0, 0, 0, 0, ""},
	    {"Mr. Turner - Meister des Lichts 2014 German", "mr turner meister des lichts", 2014, 0,
	     0, 0, 0, ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ws / sizeof ws[0]; i++)
		check(&ws[i]);
}

static void test_site_tags(void **state)
{
	struct sw_release r;

	(void)state;
	parse("[ www.Torrenting.com ] - Still.Alice.2014.DVDSCR", &r);
	assert_string_equal(r.site, "www.torrenting.com");
	assert_true(r.flags & SW_RELEASE_F_SITE_TAG);
	parse("www.TamilRockers.ws - Fury (2014)", &r);
	assert_string_equal(title_of(&r), "fury");
	assert_string_equal(r.site, "www.tamilrockers.ws");
	parse("{www.scenetime.com} Annie 2014", &r);
	assert_string_equal(title_of(&r), "annie");
	parse("Torrenting.com - Fury 2014", &r);
	assert_string_equal(title_of(&r), "fury");
	assert_string_equal(r.site, "torrenting.com");
	parse("Fury 2014 DVDScr www.extratorrent.cc", &r);
	assert_string_equal(title_of(&r), "fury");
	assert_int_equal(r.words.n, 3);
	/* a bracket group alone is the name, not a tag */
	parse("[Fury 2014]", &r);
	assert_string_equal(title_of(&r), "fury");
	assert_false(r.flags & SW_RELEASE_F_SITE_TAG);
	/* "The.Net" is a title, not a domain */
	parse("The.Net.1995.DVDRip", &r);
	assert_string_equal(title_of(&r), "the net");
}

static void test_paths_and_containers(void **state)
{
	struct sw_release r;

	(void)state;
	parse("Fury.2014.DVDSCR.x264-CM8/fury.sample.mkv", &r);
	assert_string_equal(title_of(&r), "fury");
	assert_string_equal(r.ext, "mkv");
	assert_int_equal(r.container, SW_CONT_VIDEO);
	assert_true(r.flags & SW_RELEASE_F_SAMPLE);
	assert_true(r.flags & SW_RELEASE_F_PATH);
	assert_string_equal(group_of(&r), "cm8");
	parse("Still.Alice.2014.DVDSCR\\Sample\\still.alice.sample.mkv", &r);
	assert_string_equal(title_of(&r), "still alice");
	assert_true(r.flags & SW_RELEASE_F_SAMPLE);
	parse("/Fury.2014.DVDScr//", &r);
	assert_string_equal(title_of(&r), "fury");
	parse("Ярость / Fury (2014) DVDScr", &r);
	assert_string_equal(title_of(&r), "fury");
	assert_false(r.flags & SW_RELEASE_F_PATH);
	parse("Fury.2014.DVDScr.XviD.exe", &r);
	assert_string_equal(r.ext, "exe");
	assert_true(r.flags & SW_RELEASE_F_EXECUTABLE);
	assert_int_equal(r.codec, SW_CODEC_XVID);
	parse("Fury 2014 DVDSCR XVID AC3.avi.exe", &r);
	assert_true(r.flags & SW_RELEASE_F_EXECUTABLE);
	parse("Fury.2014.DVD.SCR", &r); /* .scr is a tag here, not a screensaver */
	assert_false(r.flags & SW_RELEASE_F_EXECUTABLE);
	assert_int_equal(r.source, SW_SRC_SCREENER);
	parse("Fury.2014.TS", &r);
	assert_int_equal(r.source, SW_SRC_TS);
	assert_string_equal(r.ext, "");
	parse("Still Alice (2014).epub", &r);
	assert_int_equal(r.container, SW_CONT_TEXT);
	parse("Fury.2014.Official.Trailer.1080p", &r);
	assert_true(r.flags & SW_RELEASE_F_TRAILER);
}

static void test_diacritics(void **state)
{
	struct sw_release r;
	struct sw_words w;

	(void)state;
	parse("Corações de Ferro (2014)", &r);
	assert_string_equal(title_of(&r), "coracoes de ferro");
	parse("Straße Ærø Œuvre Łódź Ångström Ñandú", &r);
	assert_string_equal(title_of(&r), "strasse aero oeuvre lodz angstrom nandu");
	/* Latin-1 bytes, not UTF-8 */
	parse("Cora\xe7\xf5\x65s de Ferro 2014", &r);
	assert_string_equal(title_of(&r), "coracoes de ferro");
	/* other scripts separate: CJK, Cyrillic, emoji; broken UTF-8 too */
	parse("\xe6\x80\x92 Fury \xf0\x9f\x98\x80 2014 \xe2\x80", &r);
	assert_string_equal(title_of(&r), "fury");
	assert_int_equal(r.year, 2014);
	assert_int_equal(sw_words_split("Mr. Türner – Meister", 21, &w), SW_OK);
	assert_int_equal(w.n, 3);
	assert_string_equal(sw_words_at(&w, 1), "turner");
}

static void test_hostile(void **state)
{
	static char big[4 * SW_RELEASE_MAX_NAME];
	struct sw_release r;
	struct sw_words w;
	size_t i;

	(void)state;
	assert_int_equal(sw_release_parse(NULL, 0, &r), SW_OK);
	assert_int_equal(r.n_title, 0);
	assert_int_equal(sw_release_parse(NULL, 1, &r), SW_E_INVALID);
	assert_int_equal(sw_release_parse("x", 1, NULL), SW_E_INVALID);
	parse("....---___[[[]]]((()))", &r);
	assert_int_equal(r.words.n, 0);
	assert_int_equal(r.group, -1);
	/* NUL bytes inside the name separate */
	assert_int_equal(sw_release_parse("Fury\0"
	                                  "2014",
	                                  9, &r),
	                 SW_OK);
	assert_int_equal(r.year, 2014);
	/* a 4 KiB name: cut to SW_RELEASE_MAX_NAME, words capped */
	for (i = 0; i < sizeof big; i++)
		big[i] = i % 3 == 2 ? '.' : 'a';
	assert_int_equal(sw_release_parse(big, sizeof big, &r), SW_OK);
	assert_true(r.flags & SW_RELEASE_F_TRUNCATED);
	assert_true(r.flags & SW_RELEASE_F_WORDS_CUT);
	assert_int_equal(r.words.n, SW_WORDS_MAX);
	/* one enormous word is cut at SW_WORD_MAX_LEN */
	memset(big, 'b', sizeof big);
	assert_int_equal(sw_release_parse(big, sizeof big, &r), SW_OK);
	assert_int_equal(r.words.n, 1);
	assert_int_equal(r.words.len[0], SW_WORD_MAX_LEN);
	assert_int_equal(sw_words_split(big, 3 * 100, &w), SW_OK);
	for (i = 0; i < 200; i++)
		big[i] = i % 2 ? ' ' : 'w';
	assert_int_equal(sw_words_split(big, 200, &w), SW_E_TOO_BIG);
	assert_int_equal(w.n, SW_WORDS_MAX);
	assert_int_equal(sw_words_split(NULL, 0, &w), SW_OK);
	assert_int_equal(sw_words_split(NULL, 1, &w), SW_E_INVALID);
	/* unbalanced brackets, a lone site tag */
	parse("[ www.Torrenting.com ] - ", &r);
	parse("]]]] Fury ((((2014", &r);
	assert_string_equal(title_of(&r), "fury");
	parse("www.www.www.com.com", &r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_the_leak),
	    cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_title_and_year),
	    cmocka_unit_test(test_site_tags),
	    cmocka_unit_test(test_paths_and_containers),
	    cmocka_unit_test(test_diacritics),
	    cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
