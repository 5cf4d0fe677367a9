/*
 * release.c - release names and file paths to title words and tags.
 *
 * A release name is a title, then a year, then scene tags, then a group:
 *
 *     [ www.Torrenting.com ] - Still.Alice.2014.DVDSCR.x264-COLLECTiVE
 *     \______ site tag _____/   \_ title _/ year \_ tags _/ \_ group _/
 *
 * The parser works in one pass over at most SW_RELEASE_MAX_NAME bytes and
 * then a few passes over at most SW_WORDS_MAX words; it allocates nothing,
 * uses no regex and keeps no pointer into the input.
 *
 * 1. Path.  A '/' or '\' with no space beside it splits a path from a
 *    torrent's file list ("Fury.2014.DVDSCR.x264-CM8/fury.sample.mkv").
 *    The title comes from the first non-empty part, the container and the
 *    sample/trailer flags also from the last.  " / " is a plain separator
 *    ("Ярость / Fury (2014)").
 * 2. Container.  A known extension at the end (".mkv", ".exe") is noted and
 *    cut; executables (exe, msi, bat, scr, lnk, ...) set
 *    SW_RELEASE_F_EXECUTABLE, because "Fury.2014.DVDScr.XviD.exe" is malware
 *    dressed as a film.  ".ts" is not taken (it is a source tag too).
 * 3. Words.  Letters and digits make words, lowercased; everything else
 *    separates, except apostrophes (dropped inside a word: "Don't" ->
 *    "dont") and '&' (the word "and", so "Turner & Hooch" equals
 *    "Turner.and.Hooch").  Latin-1 and UTF-8 letters of U+00C0..U+017F are
 *    folded to ASCII (é -> e, ü -> u, ß -> ss, æ -> ae, ł -> l, œ -> oe);
 *    other non-ASCII characters separate, so a Cyrillic or CJK title next
 *    to a Latin one leaves the Latin one.  Words are cut at SW_WORD_MAX_LEN
 *    bytes, and only the first SW_WORDS_MAX are kept.
 * 4. Site tags.  A leading [...] or {...} group followed by more text is
 *    dropped (it names a site or an uploader), as are "www . x . tld" word
 *    runs anywhere and a leading "site.com".
 * 5. Tags.  Each word is looked up (binary search in a sorted static table;
 *    two short words are also tried joined, so "WEB-DL", "DVD Scr", "H.264"
 *    and "Blu-Ray" are one tag).  Resolutions ("720p", "4K"), episode tags
 *    ("S01E02") and year candidates (four digits, 1900..2099) are
 *    recognised by shape.
 * 6. Title end.  The title is never empty: word 0 always belongs to it
 *    (so "Cam (2018)" keeps its title).  From word 1 on, the first tag or
 *    the first word that opens a bracket ends the title ("marker").  The
 *    year is the LAST year candidate before the marker, not counting word
 *    0 ("2012 (2009)" -> title "2012", year 2009; "Blade Runner 2049
 *    (2017)" -> title "blade runner 2049", year 2017); failing that, the
 *    first candidate after it ("Fury DVDScr 2014").  The title ends at the
 *    year when the year comes before the marker.
 * 7. Fields.  Words after the title set source, resolution, codec and audio
 *    (the first of each wins) and the sample/trailer/episode flags.  The
 *    group is the last word joined by '-' with no space ("x264-CM8"),
 *    else a lone bracketed last word ("[ettv]").
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "watch/release.h"

#define FNV_OFFSET        2166136261u
#define FNV_PRIME         16777619u
#define YEAR_MIN          1900
#define YEAR_MAX          2099
#define YEAR_DIGITS       4
#define TAG_MAX_LEN       16 /* longest tag in the table, with room */
#define PAIR_HEAD_MAX_LEN 4  /* only short words start a joined tag */
#define SITE_RUN_MAX      4  /* words between "www" and its TLD */
#define EXT_MIN_LEN       2
#define EXT_MAX_LEN       4
#define MAX_DEPTH         255

/* Per-word facts the tokenizer sees and the classifier needs. */
#define M_DASH   0x01u /* joined to the previous word by '-' alone */
#define M_OPEN   0x02u /* a bracket opened since the previous word */
#define M_INSIDE 0x04u /* inside brackets */
#define M_DOT    0x08u /* joined to the previous word by '.' alone */

enum kind {
	K_NONE = 0,
	K_SOURCE,
	K_RES,
	K_CODEC,
	K_AUDIO,
	K_MISC,
	K_SAMPLE,
	K_TRAILER,
	K_EPISODE,
	K_YEAR,
	K_USED /* second half of a joined tag */
};

struct tag {
	const char *s;
	uint8_t kind;
	uint16_t value;
};

/* Sorted by strcmp; test_release checks that every entry is found. */
static const struct tag tags[] = {
    {"10bit", K_MISC, 0},
    {"3d", K_MISC, 0},
    {"4k", K_RES, 2160},
    {"8bit", K_MISC, 0},
    {"aac", K_AUDIO, SW_AUDIO_AAC},
    {"aac2", K_AUDIO, SW_AUDIO_AAC},
    {"aac5", K_AUDIO, SW_AUDIO_AAC},
    {"ac3", K_AUDIO, SW_AUDIO_AC3},
    {"atmos", K_AUDIO, SW_AUDIO_TRUEHD},
    {"av1", K_CODEC, SW_CODEC_AV1},
    {"avc", K_CODEC, SW_CODEC_H264},
    {"avi", K_MISC, 0},
    {"bdremux", K_SOURCE, SW_SRC_BLURAY},
    {"bdrip", K_SOURCE, SW_SRC_BLURAY},
    {"bdscr", K_SOURCE, SW_SRC_SCREENER},
    {"bluray", K_SOURCE, SW_SRC_BLURAY},
    {"brrip", K_SOURCE, SW_SRC_BLURAY},
    {"cam", K_SOURCE, SW_SRC_CAM},
    {"camrip", K_SOURCE, SW_SRC_CAM},
    {"complete", K_MISC, 0},
    {"custom", K_MISC, 0},
    {"dd", K_AUDIO, SW_AUDIO_AC3},
    {"dd2", K_AUDIO, SW_AUDIO_AC3},
    {"dd5", K_AUDIO, SW_AUDIO_AC3},
    {"dd51", K_AUDIO, SW_AUDIO_AC3},
    {"ddp", K_AUDIO, SW_AUDIO_EAC3},
    {"ddp5", K_AUDIO, SW_AUDIO_EAC3},
    {"divx", K_CODEC, SW_CODEC_DIVX},
    {"dts", K_AUDIO, SW_AUDIO_DTS},
    {"dtshd", K_AUDIO, SW_AUDIO_DTS},
    {"dual", K_MISC, 0},
    {"dubbed", K_MISC, 0},
    {"dvd", K_SOURCE, SW_SRC_DVD},
    {"dvd5", K_SOURCE, SW_SRC_DVD},
    {"dvd9", K_SOURCE, SW_SRC_DVD},
    {"dvdr", K_SOURCE, SW_SRC_DVD},
    {"dvdrip", K_SOURCE, SW_SRC_DVDRIP},
    {"dvdscr", K_SOURCE, SW_SRC_SCREENER},
    {"dvdscreener", K_SOURCE, SW_SRC_SCREENER},
    {"eac3", K_AUDIO, SW_AUDIO_EAC3},
    {"eng", K_MISC, 0},
    {"engsub", K_MISC, 0},
    {"esp", K_MISC, 0},
    {"extended", K_MISC, 0},
    {"flac", K_AUDIO, SW_AUDIO_FLAC},
    {"french", K_MISC, 0},
    {"fs", K_MISC, 0},
    {"german", K_MISC, 0},
    {"h264", K_CODEC, SW_CODEC_H264},
    {"h265", K_CODEC, SW_CODEC_H265},
    {"hardsub", K_MISC, 0},
    {"hc", K_MISC, 0},
    {"hdcam", K_SOURCE, SW_SRC_CAM},
    {"hdr", K_MISC, 0},
    {"hdrip", K_SOURCE, SW_SRC_HDRIP},
    {"hdtc", K_SOURCE, SW_SRC_TC},
    {"hdts", K_SOURCE, SW_SRC_TS},
    {"hdtv", K_SOURCE, SW_SRC_HDTV},
    {"hdtvrip", K_SOURCE, SW_SRC_HDTV},
    {"hevc", K_CODEC, SW_CODEC_H265},
    {"hindi", K_MISC, 0},
    {"hq", K_MISC, 0},
    {"hsbs", K_MISC, 0},
    {"imax", K_MISC, 0},
    {"internal", K_MISC, 0},
    {"ita", K_MISC, 0},
    {"korsub", K_MISC, 0},
    {"latino", K_MISC, 0},
    {"ld", K_MISC, 0},
    {"limited", K_MISC, 0},
    {"md", K_MISC, 0},
    {"mkv", K_MISC, 0},
    {"mp3", K_AUDIO, SW_AUDIO_MP3},
    {"mp4", K_MISC, 0},
    {"mpeg2", K_CODEC, SW_CODEC_MPEG2},
    {"multi", K_MISC, 0},
    {"multisubs", K_MISC, 0},
    {"nfo", K_MISC, 0},
    {"ntsc", K_MISC, 0},
    {"opus", K_AUDIO, SW_AUDIO_OPUS},
    {"pal", K_MISC, 0},
    {"pdtv", K_SOURCE, SW_SRC_HDTV},
    {"pdvd", K_SOURCE, SW_SRC_TS},
    {"ppv", K_SOURCE, SW_SRC_PPV},
    {"ppvrip", K_SOURCE, SW_SRC_PPV},
    {"proper", K_MISC, 0},
    {"r5", K_SOURCE, SW_SRC_R5},
    {"r6", K_SOURCE, SW_SRC_R5},
    {"readnfo", K_MISC, 0},
    {"remastered", K_MISC, 0},
    {"remux", K_SOURCE, SW_SRC_BLURAY},
    {"repack", K_MISC, 0},
    {"rerip", K_MISC, 0},
    {"retail", K_MISC, 0},
    {"rus", K_MISC, 0},
    {"sample", K_SAMPLE, 0},
    {"sbs", K_MISC, 0},
    {"scr", K_SOURCE, SW_SRC_SCREENER},
    {"screener", K_SOURCE, SW_SRC_SCREENER},
    {"sdtv", K_SOURCE, SW_SRC_HDTV},
    {"subbed", K_MISC, 0},
    {"subs", K_MISC, 0},
    {"tc", K_SOURCE, SW_SRC_TC},
    {"teaser", K_TRAILER, 0},
    {"telecine", K_SOURCE, SW_SRC_TC},
    {"telesync", K_SOURCE, SW_SRC_TS},
    {"trailer", K_TRAILER, 0},
    {"truefrench", K_MISC, 0},
    {"truehd", K_AUDIO, SW_AUDIO_TRUEHD},
    {"ts", K_SOURCE, SW_SRC_TS},
    {"uhd", K_RES, 2160},
    {"uncut", K_MISC, 0},
    {"unrated", K_MISC, 0},
    {"vc1", K_CODEC, SW_CODEC_VC1},
    {"vodrip", K_SOURCE, SW_SRC_WEBRIP},
    {"vost", K_MISC, 0},
    {"vostfr", K_MISC, 0},
    {"vp9", K_CODEC, SW_CODEC_VP9},
    {"web", K_SOURCE, SW_SRC_WEBDL},
    {"webdl", K_SOURCE, SW_SRC_WEBDL},
    {"webrip", K_SOURCE, SW_SRC_WEBRIP},
    {"workprint", K_SOURCE, SW_SRC_WORKPRINT},
    {"ws", K_MISC, 0},
    {"x264", K_CODEC, SW_CODEC_H264},
    {"x265", K_CODEC, SW_CODEC_H265},
    {"xvid", K_CODEC, SW_CODEC_XVID},
    {"xxx", K_MISC, 0},
};

#define N_TAGS (sizeof tags / sizeof tags[0])

struct ext {
	const char *s;
	uint8_t container;
};

/* "scr" and "com" are left out: "DVD.SCR" and "site.com" end many names. */
static const struct ext exts[] = {
    {"mkv", SW_CONT_VIDEO},   {"mp4", SW_CONT_VIDEO},  {"avi", SW_CONT_VIDEO},
    {"m4v", SW_CONT_VIDEO},   {"wmv", SW_CONT_VIDEO},  {"mov", SW_CONT_VIDEO},
    {"mpg", SW_CONT_VIDEO},   {"mpeg", SW_CONT_VIDEO}, {"m2ts", SW_CONT_VIDEO},
    {"vob", SW_CONT_VIDEO},   {"flv", SW_CONT_VIDEO},  {"webm", SW_CONT_VIDEO},
    {"iso", SW_CONT_DISC},    {"img", SW_CONT_DISC},   {"rar", SW_CONT_ARCHIVE},
    {"zip", SW_CONT_ARCHIVE}, {"7z", SW_CONT_ARCHIVE}, {"mp3", SW_CONT_AUDIO},
    {"flac", SW_CONT_AUDIO},  {"m4a", SW_CONT_AUDIO},  {"ogg", SW_CONT_AUDIO},
    {"wav", SW_CONT_AUDIO},   {"srt", SW_CONT_TEXT},   {"nfo", SW_CONT_TEXT},
    {"txt", SW_CONT_TEXT},    {"epub", SW_CONT_TEXT},  {"pdf", SW_CONT_TEXT},
    {"mobi", SW_CONT_TEXT},   {"exe", SW_CONT_EXEC},   {"msi", SW_CONT_EXEC},
    {"bat", SW_CONT_EXEC},    {"cmd", SW_CONT_EXEC},   {"lnk", SW_CONT_EXEC},
    {"vbs", SW_CONT_EXEC},    {"pif", SW_CONT_EXEC},   {"apk", SW_CONT_EXEC},
    {"jar", SW_CONT_EXEC},
};

/* Top-level domains that end a "www . name . tld" run. */
static const char *const tlds[] = {"com", "net", "org", "info", "ws", "to",  "me",  "tv",
                                   "cc",  "io",  "co",  "in",   "eu", "ru",  "se",  "ag",
                                   "nu",  "li",  "pw",  "mx",   "uk", "xyz", "biz", "club"};

/* U+00C0..U+00FF; "" separates (the multiplication and division signs). */
static const char *const latin1[] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

/* U+0100..U+017F, Latin Extended-A, by base letter; '*' is oe. */
static const char latin_ext_a[] = "aaaaaaccccccccdd"
                                  "ddeeeeeeeeeegggg"
                                  "gggghhhhiiiiiiii"
                                  "iiiijjkkklllllll"
                                  "lllnnnnnnnnnoooo"
                                  "oo**rrrrrrssssss"
                                  "ssttttttuuuuuuuu"
                                  "uuuuwwyyyzzzzzzs";

#define LATIN1_FIRST 0xC0u
#define EXT_A_FIRST  0x100u
#define EXT_A_END    0x180u
#define RSQUO        0x2019u /* right single quotation mark: an apostrophe */
#define LSQUO        0x2018u

/* The tokenizer's state while it walks one span of bytes. */
struct tok {
	struct sw_words *w;
	uint8_t *meta; /* M_* per word, or NULL */
	size_t wlen;
	uint32_t h;
	unsigned gap;   /* separator bytes since the last word */
	unsigned gap_c; /* the last of them */
	unsigned depth;
	bool opened;
	bool in_word;
	bool cut;
};

static void tok_init(struct tok *t, struct sw_words *w, uint8_t *meta)
{
	memset(t, 0, sizeof *t);
	t->w = w;
	t->meta = meta;
	w->n = 0;
}

static void word_end(struct tok *t)
{
	struct sw_words *w = t->w;

	if (!t->in_word)
		return;
	t->in_word = false;
	w->text[w->off[w->n] + t->wlen] = '\0';
	w->len[w->n] = (uint8_t)t->wlen;
	w->hash[w->n] = t->h;
	w->n++;
}

static void word_start(struct tok *t)
{
	struct sw_words *w = t->w;
	unsigned m = 0;

	w->off[w->n] = w->n == 0 ? 0 : (uint16_t)(w->off[w->n - 1] + w->len[w->n - 1] + 1u);
	t->wlen = 0;
	t->h = FNV_OFFSET;
	t->in_word = true;
	if (t->meta == NULL)
		return;
	if (t->gap == 1 && t->gap_c == '-')
		m |= M_DASH;
	if (t->gap == 1 && t->gap_c == '.')
		m |= M_DOT;
	if (t->opened)
		m |= M_OPEN;
	if (t->depth > 0)
		m |= M_INSIDE;
	t->meta[w->n] = (uint8_t)m;
}

static void put(struct tok *t, char c)
{
	if (!t->in_word) {
		if (t->w->n >= SW_WORDS_MAX) {
			t->cut = true;
			return;
		}
		word_start(t);
		t->gap = 0;
		t->opened = false;
	}
	if (t->wlen < SW_WORD_MAX_LEN) {
		t->w->text[t->w->off[t->w->n] + t->wlen++] = c;
		t->h = (t->h ^ (uint8_t)c) * FNV_PRIME;
	}
}

static void puts_word(struct tok *t, const char *s)
{
	while (*s != '\0')
		put(t, *s++);
}

static void sep(struct tok *t, unsigned c)
{
	word_end(t);
	t->gap++;
	t->gap_c = c;
	if (c == '(' || c == '[' || c == '{') {
		if (t->depth < MAX_DEPTH)
			t->depth++;
		t->opened = true;
	} else if ((c == ')' || c == ']' || c == '}') && t->depth > 0) {
		t->depth--;
	}
}

/* A letter from U+00C0..U+017F folded to ASCII; anything else separates. */
static void put_cp(struct tok *t, unsigned cp)
{
	if (cp >= LATIN1_FIRST && cp < EXT_A_FIRST && latin1[cp - LATIN1_FIRST][0] != '\0') {
		puts_word(t, latin1[cp - LATIN1_FIRST]);
	} else if (cp >= EXT_A_FIRST && cp < EXT_A_END) {
		char c = latin_ext_a[cp - EXT_A_FIRST];

		if (c == '*')
			puts_word(t, "oe");
		else
			put(t, c);
	} else if (cp == RSQUO || cp == LSQUO) {
		/* an apostrophe: joins */
	} else {
		sep(t, ' ');
	}
}

/* Bytes in the UTF-8 sequence at p, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *e)
{
	size_t n, i;

	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		n = 3;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if ((size_t)(e - p) < n)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

static unsigned utf8_cp(const unsigned char *p, size_t n)
{
	unsigned cp = p[0] & (0x7Fu >> n);
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3Fu);
	return cp;
}

static bool is_alnum(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char lower(unsigned c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

static void tokenize(struct tok *t, const unsigned char *p, const unsigned char *e)
{
	while (p < e && !t->cut) {
		unsigned c = *p;
		size_t n;

		if (c >= 0x80) {
			n = utf8_len(p, e);
			/* not UTF-8: take the byte as Latin-1 */
			put_cp(t, n ? utf8_cp(p, n) : c);
			p += n ? n : 1;
			continue;
		}
		p++;
		if (is_alnum(c)) {
			put(t, lower(c));
		} else if (c == '&') {
			sep(t, ' ');
			puts_word(t, "and");
			sep(t, ' ');
		} else if (c != '\'' && c != '`') {
			sep(t, c);
		}
	}
	word_end(t);
}

int sw_words_split(const char *text, size_t len, struct sw_words *out)
{
	struct tok t;

	if (out == NULL || (text == NULL && len > 0))
		return SW_E_INVALID;
	tok_init(&t, out, NULL);
	if (len > 0)
		tokenize(&t, (const unsigned char *)text, (const unsigned char *)text + len);
	return t.cut ? SW_E_TOO_BIG : SW_OK;
}

/* ---- spans: path parts, container, leading site tag ---- */

struct span {
	const unsigned char *s, *e;
};

static bool is_path_sep(const unsigned char *p, const unsigned char *s, const unsigned char *e)
{
	if (*p != '/' && *p != '\\')
		return false;
	return !(p > s && p[-1] == ' ') && !(p + 1 < e && p[1] == ' ');
}

/* The first and last non-empty parts of a path; returns the part count. */
static unsigned split_path(struct span all, struct span *first, struct span *last)
{
	const unsigned char *p, *start = all.s;
	unsigned parts = 0;

	*first = *last = all;
	for (p = all.s; p <= all.e; p++) {
		if (p < all.e && !is_path_sep(p, all.s, all.e))
			continue;
		if (p > start) {
			if (parts == 0)
				*first = (struct span){start, p};
			*last = (struct span){start, p};
			parts++;
		}
		start = p + 1;
	}
	return parts;
}

/* Cut a known extension off sp, noting it in out unless one is noted. */
static struct span strip_ext(struct sw_release *out, struct span sp)
{
	const unsigned char *dot = sp.e;
	char ext[EXT_MAX_LEN + 1];
	size_t n, i;

	while (dot > sp.s && dot[-1] != '.' && sp.e - dot <= EXT_MAX_LEN)
		dot--;
	n = (size_t)(sp.e - dot);
	if (dot == sp.s || n < EXT_MIN_LEN || n > EXT_MAX_LEN)
		return sp;
	for (i = 0; i < n; i++) {
		if (!is_alnum(dot[i]))
			return sp;
		ext[i] = lower(dot[i]);
	}
	ext[n] = '\0';
	for (i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		if (strcmp(ext, exts[i].s) != 0)
			continue;
		if (out->ext[0] == '\0') {
			memcpy(out->ext, ext, n + 1);
			out->container = exts[i].container;
			if (exts[i].container == SW_CONT_EXEC)
				out->flags |= SW_RELEASE_F_EXECUTABLE;
		}
		sp.e = dot - 1;
		break;
	}
	return sp;
}

static void site_append(struct sw_release *out, const char *s, size_t n)
{
	size_t have = strlen(out->site);

	if (have > 0 && have + 1 < SW_RELEASE_SITE_LEN)
		out->site[have++] = '.';
	if (n > SW_RELEASE_SITE_LEN - 1 - have)
		n = SW_RELEASE_SITE_LEN - 1 - have;
	memcpy(out->site + have, s, n);
	out->site[have + n] = '\0';
}

/* Drop a leading "[ www.Torrenting.com ]" or "{uploader}" group. */
static struct span strip_site(struct sw_release *out, struct span sp)
{
	const unsigned char *p = sp.s, *q, *r;
	unsigned char close;

	while (p < sp.e && (*p == ' ' || *p == '_'))
		p++;
	if (p == sp.e || (*p != '[' && *p != '{'))
		return sp;
	close = *p == '[' ? ']' : '}';
	for (q = p + 1; q < sp.e && *q != close; q++)
		;
	if (q == sp.e)
		return sp;
	for (r = q + 1; r < sp.e && !is_alnum(*r) && *r < 0x80; r++)
		;
	if (r == sp.e)
		return sp;
	out->flags |= SW_RELEASE_F_SITE_TAG;
	for (p++; p < q && *p == ' '; p++)
		;
	while (q > p && q[-1] == ' ')
		q--;
	site_append(out, (const char *)p, (size_t)(q - p));
	for (char *c = out->site; *c != '\0'; c++)
		*c = lower((unsigned char)*c);
	return (struct span){r, sp.e};
}

/* ---- word passes: site runs, tags, title end, fields ---- */

static bool is_tld(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof tlds / sizeof tlds[0]; i++)
		if (strcmp(s, tlds[i]) == 0)
			return true;
	return false;
}

static void words_remove(struct sw_words *w, uint8_t *meta, size_t from, size_t to)
{
	size_t k = to - from, rest = w->n - to;

	memmove(&w->len[from], &w->len[to], rest * sizeof w->len[0]);
	memmove(&w->off[from], &w->off[to], rest * sizeof w->off[0]);
	memmove(&w->hash[from], &w->hash[to], rest * sizeof w->hash[0]);
	memmove(&meta[from], &meta[to], rest * sizeof meta[0]);
	w->n = (uint8_t)(w->n - k);
}

static void site_from_words(struct sw_release *out, size_t from, size_t to)
{
	size_t i;

	out->flags |= SW_RELEASE_F_SITE_TAG;
	if (out->site[0] != '\0')
		return;
	for (i = from; i < to; i++)
		site_append(out, sw_words_at(&out->words, i), out->words.len[i]);
}

/* Drop "www . name . tld" runs, and a leading "name.com" / "name.org". */
static void drop_sites(struct sw_release *out, uint8_t *meta)
{
	struct sw_words *w = &out->words;
	size_t i = 0, j;

	if (w->n > 2 && (meta[1] & M_DOT) && w->len[1] == 3 &&
	    (memcmp(sw_words_at(w, 1), "com", 3) == 0 ||
	     memcmp(sw_words_at(w, 1), "org", 3) == 0)) {
		site_from_words(out, 0, 2);
		words_remove(w, meta, 0, 2);
	}
	while (i < w->n) {
		if (w->len[i] != 3 || memcmp(sw_words_at(w, i), "www", 3) != 0) {
			i++;
			continue;
		}
		for (j = i + 1; j < w->n && j <= i + SITE_RUN_MAX; j++)
			if (is_tld(sw_words_at(w, j)))
				break;
		if (j >= w->n || j > i + SITE_RUN_MAX) {
			i++;
			continue;
		}
		site_from_words(out, i, j + 1);
		words_remove(w, meta, i, j + 1);
	}
}

/* strcmp, inlined: tags are short and a call per probe costs more. */
static int tag_cmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static const struct tag *tag_find(const char *s)
{
	size_t lo = 0, hi = N_TAGS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = tag_cmp(s, tags[mid].s);

		if (c == 0)
			return &tags[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static unsigned num(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static bool is_resolution(unsigned v)
{
	static const uint16_t known[] = {360, 480, 540, 576, 720, 1080, 1440, 2160, 4320};
	size_t i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (known[i] == v)
			return true;
	return false;
}

/* "s01", "s01e02", "s1e2": a season or an episode. */
static bool is_episode(const char *s, size_t n)
{
	size_t i = 1, d;

	if (n < 2 || s[0] != 's')
		return false;
	for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		d++;
	if (d == 0 || d > 2)
		return false;
	if (i == n)
		return true;
	if (s[i++] != 'e')
		return false;
	return i < n && all_digits(s + i, n - i) && n - i <= 3;
}

static uint8_t word_kind(const char *s, size_t n, uint16_t *val)
{
	const struct tag *t;

	*val = 0;
	if (n == YEAR_DIGITS && all_digits(s, n)) {
		unsigned y = num(s, n);

		if (y < YEAR_MIN || y > YEAR_MAX)
			return K_NONE;
		*val = (uint16_t)y;
		return K_YEAR;
	}
	if (n >= 4 && n <= 5 && (s[n - 1] == 'p' || s[n - 1] == 'i') && all_digits(s, n - 1) &&
	    is_resolution(num(s, n - 1))) {
		*val = (uint16_t)num(s, n - 1);
		return K_RES;
	}
	if (is_episode(s, n))
		return K_EPISODE;
	if (n > TAG_MAX_LEN || (t = tag_find(s)) == NULL)
		return K_NONE;
	*val = t->value;
	return t->kind;
}

/* Words that start a joined tag without being a tag alone ("Blu-Ray"). */
static bool is_pair_head(const char *s)
{
	static const char *const heads[] = {"blu", "bd", "br", "h", "hd", "tele", "x"};
	size_t i;

	for (i = 0; i < sizeof heads / sizeof heads[0]; i++)
		if (tag_cmp(s, heads[i]) == 0)
			return true;
	return false;
}

/*
 * Kinds of every word; two short words may form one tag ("web" "dl"), tried
 * only when the first is a tag or a known head, to keep lookups few.
 */
static void kinds(const struct sw_words *w, const uint8_t *meta, uint8_t *kind, uint16_t *val)
{
	char pair[2 * TAG_MAX_LEN + 1];
	size_t i;

	for (i = 0; i < w->n; i++) {
		size_t a = w->len[i], b = i + 1 < w->n ? w->len[i + 1] : 0;
		const struct tag *t;

		kind[i] = word_kind(sw_words_at(w, i), a, &val[i]);
		if (a <= PAIR_HEAD_MAX_LEN && b > 0 && a + b <= TAG_MAX_LEN &&
		    !(meta[i + 1] & M_OPEN) &&
		    (kind[i] != K_NONE || is_pair_head(sw_words_at(w, i)))) {
			memcpy(pair, sw_words_at(w, i), a);
			memcpy(pair + a, sw_words_at(w, i + 1), b + 1);
			if ((t = tag_find(pair)) != NULL) {
				kind[i] = t->kind;
				val[i] = t->value;
				kind[i + 1] = K_USED;
				val[i + 1] = 0;
				i++;
			}
		}
	}
}

static bool ends_title(uint8_t kind, uint8_t meta)
{
	if (kind == K_YEAR || kind == K_USED)
		return false;
	return kind != K_NONE || (meta & M_OPEN);
}

/* Title end and year (rule 6 in the essay at the top). */
static void find_title(struct sw_release *out, const uint8_t *meta, const uint8_t *kind,
                       const uint16_t *val)
{
	size_t n = out->words.n, marker = n, i;
	int y = -1;

	for (i = 1; i < n; i++)
		if (ends_title(kind[i], meta[i])) {
			marker = i;
			break;
		}
	for (i = 1; i < marker; i++)
		if (kind[i] == K_YEAR)
			y = (int)i;
	for (i = marker; y < 0 && i < n; i++)
		if (kind[i] == K_YEAR)
			y = (int)i;
	out->n_title = (uint8_t)(y >= 0 && (size_t)y < marker ? (size_t)y : marker);
	out->year = y >= 0 ? val[y] : 0;
}

static void find_group(struct sw_release *out, const uint8_t *meta, const uint8_t *kind)
{
	size_t n = out->words.n, i = n;

	if (out->n_title >= n)
		return;
	while (i > out->n_title && (meta[i - 1] & M_INSIDE))
		i--;
	if (i > out->n_title && (meta[i - 1] & M_DASH) && kind[i - 1] == K_NONE) {
		out->group = (int8_t)(i - 1);
		return;
	}
	i = n - 1;
	if (i >= out->n_title && (meta[i] & M_OPEN) && kind[i] == K_NONE)
		out->group = (int8_t)i;
}

static void set_fields(struct sw_release *out, const uint8_t *kind, const uint16_t *val)
{
	size_t i;

	for (i = out->n_title; i < out->words.n; i++) {
		switch (kind[i]) {
		case K_SOURCE:
			if (out->source == SW_SRC_NONE)
				out->source = (uint8_t)val[i];
			break;
		case K_RES:
			if (out->resolution == 0)
				out->resolution = val[i];
			break;
		case K_CODEC:
			if (out->codec == SW_CODEC_NONE)
				out->codec = (uint8_t)val[i];
			break;
		case K_AUDIO:
			if (out->audio == SW_AUDIO_NONE)
				out->audio = (uint8_t)val[i];
			break;
		case K_SAMPLE: out->flags |= SW_RELEASE_F_SAMPLE; break;
		case K_TRAILER: out->flags |= SW_RELEASE_F_TRAILER; break;
		case K_EPISODE: out->flags |= SW_RELEASE_F_EPISODE; break;
		default: break;
		}
	}
}

/* The last part of a path: its container and sample/trailer words. */
static void scan_file(struct sw_release *out, struct span sp)
{
	struct sw_words w;
	struct tok t;
	uint16_t v;
	size_t i;

	sp = strip_ext(out, sp);
	tok_init(&t, &w, NULL);
	tokenize(&t, sp.s, sp.e);
	for (i = 0; i < w.n; i++) {
		uint8_t k = word_kind(sw_words_at(&w, i), w.len[i], &v);

		if (k == K_SAMPLE)
			out->flags |= SW_RELEASE_F_SAMPLE;
		else if (k == K_TRAILER)
			out->flags |= SW_RELEASE_F_TRAILER;
	}
}

/* ".MP3" ends "X.2014.DVDRip.DivX.MP3": an extension that is also an audio tag. */
static void ext_as_tag(struct sw_release *out)
{
	const struct tag *t;

	if (out->container == SW_CONT_AUDIO && out->audio == SW_AUDIO_NONE &&
	    (t = tag_find(out->ext)) != NULL && t->kind == K_AUDIO)
		out->audio = (uint8_t)t->value;
}

static void release_reset(struct sw_release *out)
{
	out->words.n = 0;
	out->n_title = 0;
	out->group = -1;
	out->year = 0;
	out->resolution = 0;
	out->source = SW_SRC_NONE;
	out->codec = SW_CODEC_NONE;
	out->audio = SW_AUDIO_NONE;
	out->container = SW_CONT_NONE;
	out->flags = 0;
	out->ext[0] = '\0';
	out->site[0] = '\0';
}

int sw_release_parse(const char *name, size_t len, struct sw_release *out)
{
	uint8_t meta[SW_WORDS_MAX], kind[SW_WORDS_MAX];
	uint16_t val[SW_WORDS_MAX];
	struct span all, first, last;
	struct tok t;

	if (out == NULL || (name == NULL && len > 0))
		return SW_E_INVALID;
	release_reset(out);
	if (len == 0)
		return SW_OK;
	if (len > SW_RELEASE_MAX_NAME) {
		len = SW_RELEASE_MAX_NAME;
		out->flags |= SW_RELEASE_F_TRUNCATED;
	}
	all = (struct span){(const unsigned char *)name, (const unsigned char *)name + len};
	if (split_path(all, &first, &last) > 1) {
		out->flags |= SW_RELEASE_F_PATH;
		scan_file(out, last);
	}
	first = strip_site(out, strip_ext(out, first));
	tok_init(&t, &out->words, meta);
	tokenize(&t, first.s, first.e);
	if (t.cut)
		out->flags |= SW_RELEASE_F_WORDS_CUT;
	drop_sites(out, meta);
	kinds(&out->words, meta, kind, val);
	find_title(out, meta, kind, val);
	find_group(out, meta, kind);
	set_fields(out, kind, val);
	ext_as_tag(out);
	return SW_OK;
}

const char *sw_release_source_name(unsigned source)
{
	static const char *const names[SW_SRC_COUNT] = {
	    "",       "CAM", "TS",   "TC",     "Workprint", "DVDScr", "R5",    "PPV",
	    "DVDRip", "DVD", "HDTV", "WEB-DL", "WEBRip",    "HDRip",  "BluRay"};

	return source < SW_SRC_COUNT ? names[source] : "";
}

const char *sw_release_codec_name(unsigned codec)
{
	static const char *const names[SW_CODEC_COUNT] = {"",      "XviD", "DivX", "x264", "x265",
	                                                  "MPEG2", "VC-1", "AV1",  "VP9"};

	return codec < SW_CODEC_COUNT ? names[codec] : "";
}

const char *sw_release_audio_name(unsigned audio)
{
	static const char *const names[SW_AUDIO_COUNT] = {"",    "AC3",  "AAC",    "DTS", "EAC3",
	                                                  "MP3", "FLAC", "TrueHD", "Opus"};

	return audio < SW_AUDIO_COUNT ? names[audio] : "";
}
