/*
 * match.c - release names to watchlist titles, and why.
 *
 * Anti-piracy systems have sent takedown notices for "Fury Road" on behalf
 * of "Fury" and for "Annie Hall" on behalf of "Annie".  So this matcher is
 * strict by construction: it never looks for a title INSIDE a name, it asks
 * whether the name's title words (release.c decides where they end) ARE a
 * spelling of a watched title.
 *
 * Spellings.  Each title contributes its name and its aliases, normalized
 * like release names (lowercase ASCII words, diacritics folded, '&' is
 * "and").  A spelling that starts with an article (the, a, an) also
 * contributes the spelling without it ("The Interview" <- "Interview.2014"),
 * but never the reverse: "The Fury (1978)" is not "Fury".  Every spelling is
 * filed in a chained hash table under the hash of all its words (their
 * FNV-1a hashes mixed in order, phrase_hash()), so a lookup costs one walk
 * of a short bucket however long the watchlist is, and however many titles
 * share a first word (a quarter of a film list starts with "The"): the
 * release's title words are looked up whole, and for two spellings in a
 * row each of their prefixes, then the rest once a prefix is a spelling.
 *
 * Candidates.  A spelling whose words equal the release's title words,
 * word for word and in number (so not "Fury" in "Fury of the Wild" nor
 * "Annie" in "Annie Get Your Gun"); or two spellings of the same title in a
 * row ("Herz aus Stahl - Fury", common in dubbed releases).
 *
 * Rules, in order; the first that fails rejects the candidate:
 *   1. an executable container (.exe, .msi, ...) is a decoy, never a film;
 *   2. a trailer or teaser is not the film;
 *   3. an episode tag (S01E02) means a series;
 *   4. an audio or text container (.mp3, .srt, .epub) with no video source
 *      or codec tag is not the film (a soundtrack, subtitles, the book);
 *   5. an exclude of the title (a word or phrase) anywhere in the name
 *      vetoes it ("Annie" excludes "soundtrack");
 *   6. when both have a year, they differ by at most SW_MATCH_YEAR_SLACK
 *      (release dates vary by country; "Annie (1982)" is another film);
 *   7. without a release year only a spelling of two or more words may
 *      match: "Still Alice" or "Mr Turner" alone are specific, "Fury" or
 *      "Annie" alone are not, nor is a spelling whose article was dropped.
 *
 * Score (0..100, 0 when rejected): the spelling gives 60 for the name, 55
 * for an alias or two spellings, 50 without the article; the year adds 40
 * when equal, 25 when one off, 20 when the release has none (rule 7 already
 * applied) or the title has none.  A candidate matches when no rule rejects
 * it and its score is at least SW_MATCH_MIN_SCORE.  Of several candidates
 * (two titles "Annie", 1982 and 2014), a match beats a rejection and a
 * higher score beats a lower one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "watch/match.h"
#include "watch/release.h"

#define SCORE_NAME         60
#define SCORE_ALIAS        55
#define SCORE_NO_ARTICLE   50
#define SCORE_YEAR_EQUAL   40
#define SCORE_YEAR_NEAR    25
#define SCORE_YEAR_NONE    20
#define SCORE_MAX          100
#define MIN_YEARLESS_WORDS 2
#define INITIAL_CAP        64
#define WORDS_SHOWN        96 /* bytes of title words quoted in a reason */

/* A normalized spelling: n words from first on in the matcher's pools. */
struct phrase {
	uint32_t first;
	uint8_t n;
};

struct entry {
	struct phrase p;
	uint32_t phash; /* phrase_hash() of its words: the bucket key */
	uint32_t title;
	uint8_t how;  /* enum sw_match_how */
	int32_t next; /* bucket chain, -1 ends it */
};

struct title {
	uint32_t name; /* offset of the display name in text */
	unsigned year;
	uint32_t excl_first, excl_n; /* phrases in excl[] */
};

struct sw_matcher {
	struct title *titles;
	size_t n_titles;
	struct entry *entries;
	size_t n_entries, cap_entries;
	struct phrase *excl;
	size_t n_excl, cap_excl;
	uint32_t *hash, *woff; /* per word */
	uint8_t *wlen;
	size_t n_words, cap_hash, cap_woff, cap_wlen;
	char *text;
	size_t n_text, cap_text;
	int32_t *buckets;
	size_t mask;
};

enum verdict {
	V_OK = 0,
	V_EXEC,
	V_TRAILER,
	V_EPISODE,
	V_NOT_VIDEO,
	V_EXCLUDED,
	V_YEAR_FAR,
	V_NEEDS_YEAR,
	V_LOW_SCORE
};

struct cand {
	const struct entry *e;
	uint8_t how;
	uint8_t n_words;
	enum verdict v;
	uint32_t excl; /* the vetoing exclude, for V_EXCLUDED */
	int score;
};

/* Grow *p (elements of size sz, capacity *cap) to hold need elements. */
static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t c = *cap ? *cap : INITIAL_CAP;
	void *q;

	if (need <= *cap)
		return SW_OK;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * sz);
	if (q == NULL)
		return SW_E_NOMEM;
	*p = q;
	*cap = c;
	return SW_OK;
}

/* The words' own hashes h[0..n) mixed in order into one key. */
static uint32_t phrase_hash(const uint32_t *h, size_t n)
{
	uint32_t k = 2166136261u;

	for (size_t i = 0; i < n; i++)
		k = (k ^ h[i]) * 16777619u ^ (k >> 15);
	return k ^ (uint32_t)n;
}

static int add_text(struct sw_matcher *m, const char *s, size_t n, uint32_t *at)
{
	if (grow((void **)&m->text, &m->cap_text, m->n_text + n + 1, 1) != SW_OK)
		return SW_E_NOMEM;
	memcpy(m->text + m->n_text, s, n);
	m->text[m->n_text + n] = '\0';
	*at = (uint32_t)m->n_text;
	m->n_text += n + 1;
	return SW_OK;
}

/* Normalize s into the word pools; p->n == 0 when s has no words. */
static int add_phrase(struct sw_matcher *m, const char *s, struct phrase *p)
{
	struct sw_words w;
	size_t i, need;
	int rc = sw_words_split(s, strlen(s), &w);

	if (rc != SW_OK)
		return rc;
	need = m->n_words + w.n;
	if (grow((void **)&m->hash, &m->cap_hash, need, sizeof *m->hash) != SW_OK ||
	    grow((void **)&m->woff, &m->cap_woff, need, sizeof *m->woff) != SW_OK ||
	    grow((void **)&m->wlen, &m->cap_wlen, need, sizeof *m->wlen) != SW_OK)
		return SW_E_NOMEM;
	p->first = (uint32_t)m->n_words;
	p->n = w.n;
	for (i = 0; i < w.n; i++) {
		m->hash[m->n_words] = w.hash[i];
		m->wlen[m->n_words] = w.len[i];
		if (add_text(m, sw_words_at(&w, i), w.len[i], &m->woff[m->n_words]) != SW_OK)
			return SW_E_NOMEM;
		m->n_words++;
	}
	return SW_OK;
}

static bool is_article(const struct sw_matcher *m, uint32_t word)
{
	const char *s = m->text + m->woff[word];

	return strcmp(s, "the") == 0 || strcmp(s, "a") == 0 || strcmp(s, "an") == 0;
}

static int add_entry(struct sw_matcher *m, struct phrase p, size_t title, uint8_t how)
{
	struct entry *e;

	if (grow((void **)&m->entries, &m->cap_entries, m->n_entries + 1, sizeof *e) != SW_OK)
		return SW_E_NOMEM;
	e = &m->entries[m->n_entries++];
	e->p = p;
	e->title = (uint32_t)title;
	e->how = how;
	e->next = -1;
	return SW_OK;
}

/* One spelling of title i, and its article-less form if it has one. */
static int add_spelling(struct sw_matcher *m, size_t i, const char *s, uint8_t how,
                        struct sw_errbuf *eb)
{
	struct phrase p;
	int rc = add_phrase(m, s, &p);

	if (rc != SW_OK)
		return sw_errbuf_set(eb, rc, "title %zu: '%s': %s", i, s, sw_strerror(rc));
	if (p.n == 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "title %zu: '%s' has no words", i, s);
	rc = add_entry(m, p, i, how);
	if (rc == SW_OK && p.n > 1 && is_article(m, p.first)) {
		struct phrase q = {p.first + 1, (uint8_t)(p.n - 1)};

		rc = add_entry(m, q, i, SW_MATCH_NO_ARTICLE);
	}
	return rc == SW_OK ? SW_OK : sw_errbuf_set(eb, rc, "out of memory");
}

static int add_title(struct sw_matcher *m, size_t i, const struct sw_title_spec *t,
                     struct sw_errbuf *eb)
{
	struct title *ti = &m->titles[i];
	size_t k;
	int rc;

	if (t->name == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "title %zu has no name", i);
	ti->year = t->year;
	if ((rc = add_text(m, t->name, strlen(t->name), &ti->name)) != SW_OK)
		return sw_errbuf_set(eb, rc, "out of memory");
	if ((rc = add_spelling(m, i, t->name, SW_MATCH_NAME, eb)) != SW_OK)
		return rc;
	for (k = 0; t->aliases != NULL && t->aliases[k] != NULL; k++) {
		if (k + 1 >= SW_MATCH_MAX_SPELLINGS)
			return sw_errbuf_set(eb, SW_E_TOO_BIG, "title %zu: over %d aliases", i,
			                     SW_MATCH_MAX_SPELLINGS - 1);
		if ((rc = add_spelling(m, i, t->aliases[k], SW_MATCH_ALIAS, eb)) != SW_OK)
			return rc;
	}
	ti->excl_first = (uint32_t)m->n_excl;
	for (k = 0; t->excludes != NULL && t->excludes[k] != NULL; k++) {
		struct phrase p;

		if (k >= SW_MATCH_MAX_SPELLINGS)
			return sw_errbuf_set(eb, SW_E_TOO_BIG, "title %zu: over %d excludes", i,
			                     SW_MATCH_MAX_SPELLINGS);
		if ((rc = add_phrase(m, t->excludes[k], &p)) != SW_OK ||
		    (rc = grow((void **)&m->excl, &m->cap_excl, m->n_excl + 1, sizeof p)) != SW_OK)
			return sw_errbuf_set(eb, rc, "title %zu: exclude '%s': %s", i,
			                     t->excludes[k], sw_strerror(rc));
		if (p.n > 0)
			m->excl[m->n_excl++] = p;
	}
	ti->excl_n = (uint32_t)(m->n_excl - ti->excl_first);
	return SW_OK;
}

static int build_index(struct sw_matcher *m)
{
	size_t size = 1, i;

	while (size < 2 * m->n_entries)
		size *= 2;
	m->buckets = malloc(size * sizeof *m->buckets);
	if (m->buckets == NULL)
		return SW_E_NOMEM;
	m->mask = size - 1;
	for (i = 0; i < size; i++)
		m->buckets[i] = -1;
	for (i = 0; i < m->n_entries; i++) {
		struct entry *e = &m->entries[i];
		size_t b;

		e->phash = phrase_hash(m->hash + e->p.first, e->p.n);
		b = e->phash & m->mask;

		e->next = m->buckets[b];
		m->buckets[b] = (int32_t)i;
	}
	return SW_OK;
}

int sw_matcher_new(const struct sw_title_spec *titles, size_t n, struct sw_matcher **out,
                   struct sw_errbuf *eb)
{
	struct sw_matcher *m = NULL;
	size_t i;
	int rc = SW_OK;

	if (out == NULL || (titles == NULL && n > 0))
		return sw_errbuf_set(eb, SW_E_INVALID, "no titles");
	*out = NULL;
	if (n > SW_MATCH_MAX_TITLES)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "%zu titles, at most %d", n,
		                     SW_MATCH_MAX_TITLES);
	m = calloc(1, sizeof *m);
	if (m == NULL || (n > 0 && (m->titles = calloc(n, sizeof *m->titles)) == NULL)) {
		rc = sw_errbuf_set(eb, SW_E_NOMEM, "out of memory");
		goto out;
	}
	m->n_titles = n;
	for (i = 0; i < n && rc == SW_OK; i++)
		rc = add_title(m, i, &titles[i], eb);
	if (rc == SW_OK && build_index(m) != SW_OK)
		rc = sw_errbuf_set(eb, SW_E_NOMEM, "out of memory");
out:
	if (rc != SW_OK) {
		sw_matcher_free(m);
		return rc;
	}
	*out = m;
	return SW_OK;
}

void sw_matcher_free(struct sw_matcher *m)
{
	if (m == NULL)
		return;
	free(m->titles);
	free(m->entries);
	free(m->excl);
	free(m->hash);
	free(m->woff);
	free(m->wlen);
	free(m->text);
	free(m->buckets);
	free(m);
}

/* ---- matching ---- */

/* Do the words of p equal w's words from at on? (at + p.n <= w->n) */
static bool phrase_at(const struct sw_matcher *m, struct phrase p, const struct sw_words *w,
                      size_t at)
{
	size_t k;

	for (k = 0; k < p.n; k++) {
		uint32_t j = p.first + (uint32_t)k;

		if (m->hash[j] != w->hash[at + k] || m->wlen[j] != w->len[at + k] ||
		    memcmp(m->text + m->woff[j], sw_words_at(w, at + k), m->wlen[j]) != 0)
			return false;
	}
	return true;
}

static bool excluded(const struct sw_matcher *m, const struct title *t, const struct sw_words *w,
                     uint32_t *which)
{
	uint32_t k;
	size_t at;

	for (k = t->excl_first; k < t->excl_first + t->excl_n; k++)
		for (at = 0; at + m->excl[k].n <= w->n; at++)
			if (phrase_at(m, m->excl[k], w, at)) {
				*which = k;
				return true;
			}
	return false;
}

static unsigned year_diff(unsigned a, unsigned b)
{
	return a > b ? a - b : b - a;
}

static int spelling_score(uint8_t how)
{
	switch (how) {
	case SW_MATCH_NAME: return SCORE_NAME;
	case SW_MATCH_NO_ARTICLE: return SCORE_NO_ARTICLE;
	default: return SCORE_ALIAS;
	}
}

/* The rules of the essay at the top, in order. */
static void judge(const struct sw_matcher *m, const struct sw_release *r, struct cand *c)
{
	const struct title *t = &m->titles[c->e->title];
	int year_score = SCORE_YEAR_NONE;

	c->v = V_OK;
	c->score = 0;
	if (r->flags & SW_RELEASE_F_EXECUTABLE)
		c->v = V_EXEC;
	else if (r->flags & SW_RELEASE_F_TRAILER)
		c->v = V_TRAILER;
	else if (r->flags & SW_RELEASE_F_EPISODE)
		c->v = V_EPISODE;
	else if ((r->container == SW_CONT_AUDIO || r->container == SW_CONT_TEXT) &&
	         r->source == SW_SRC_NONE && r->codec == SW_CODEC_NONE)
		c->v = V_NOT_VIDEO;
	else if (excluded(m, t, &r->words, &c->excl))
		c->v = V_EXCLUDED;
	else if (r->year != 0 && t->year != 0 && year_diff(r->year, t->year) > SW_MATCH_YEAR_SLACK)
		c->v = V_YEAR_FAR;
	else if (r->year == 0 && (c->n_words < MIN_YEARLESS_WORDS || c->how == SW_MATCH_NO_ARTICLE))
		c->v = V_NEEDS_YEAR;
	if (c->v != V_OK)
		return;
	if (r->year != 0 && t->year != 0)
		year_score = r->year == t->year ? SCORE_YEAR_EQUAL : SCORE_YEAR_NEAR;
	c->score = spelling_score(c->how) + year_score;
	if (c->score > SCORE_MAX)
		c->score = SCORE_MAX;
	if (c->score < SW_MATCH_MIN_SCORE)
		c->v = V_LOW_SCORE;
}

static void consider(const struct sw_matcher *m, const struct sw_release *r, struct cand *c,
                     struct cand *best)
{
	judge(m, r, c);
	if (best->e == NULL || (c->v == V_OK && best->v != V_OK) ||
	    (c->v == V_OK && c->score > best->score))
		*best = *c;
}

/* The spellings of n words from w's word at on: a bucket, filtered. */
static bool spelling_at(const struct sw_matcher *m, const struct entry *e, const struct sw_words *w,
                        size_t at, size_t n, uint32_t key)
{
	return e->p.n == n && e->phash == key && phrase_at(m, e->p, w, at);
}

/* Candidates: one spelling equal to the title words, or two in a row. */
static void find_best(const struct sw_matcher *m, const struct sw_release *r, struct cand *best)
{
	const struct sw_words *w = &r->words;
	size_t n = r->n_title, k;
	uint32_t key = phrase_hash(w->hash, n), rest;
	int32_t i, j;

	for (i = m->buckets[key & m->mask]; i >= 0; i = m->entries[i].next) {
		const struct entry *e = &m->entries[i];
		struct cand c = {e, e->how, e->p.n, V_OK, 0, 0};

		if (spelling_at(m, e, w, 0, n, key))
			consider(m, r, &c, best);
	}
	for (k = 1; k < n; k++) {
		key = phrase_hash(w->hash, k);
		for (i = m->buckets[key & m->mask]; i >= 0; i = m->entries[i].next) {
			const struct entry *e = &m->entries[i];
			struct cand c = {e, SW_MATCH_TWO_NAMES, (uint8_t)n, V_OK, 0, 0};

			if (e->how == SW_MATCH_NO_ARTICLE || !spelling_at(m, e, w, 0, k, key))
				continue;
			rest = phrase_hash(w->hash + k, n - k);
			for (j = m->buckets[rest & m->mask]; j >= 0; j = m->entries[j].next) {
				const struct entry *f = &m->entries[j];

				if (f->title != e->title || f->how == SW_MATCH_NO_ARTICLE ||
				    !spelling_at(m, f, w, k, n - k, rest))
					continue;
				consider(m, r, &c, best);
			}
		}
	}
}

/*
 * Reasons are built by appending into out->reason (cut to fit): a few
 * copies instead of snprintf, which would cost as much as the parse.
 */
struct sb {
	char *p;
	size_t left; /* bytes left, the NUL included */
};

static void sb_str(struct sb *b, const char *s)
{
	while (*s != '\0' && b->left > 1) {
		*b->p++ = *s++;
		b->left--;
	}
	*b->p = '\0';
}

static void sb_uint(struct sb *b, unsigned v)
{
	char d[12];
	size_t n = sizeof d - 1;

	d[n] = '\0';
	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n > 0);
	sb_str(b, d + n);
}

/* The release's title words, space-separated, about WORDS_SHOWN bytes. */
static void sb_title_words(struct sb *b, const struct sw_release *r)
{
	size_t i, start = b->left;

	for (i = 0; i < r->n_title && start - b->left < WORDS_SHOWN; i++) {
		if (i > 0)
			sb_str(b, " ");
		sb_str(b, sw_words_at(&r->words, i));
	}
}

static const char *how_text(uint8_t how)
{
	switch (how) {
	case SW_MATCH_NAME: return "title words match '";
	case SW_MATCH_ALIAS: return "title words match an alias of '";
	case SW_MATCH_TWO_NAMES: return "title words are two spellings of '";
	default: return "title words match, without its article, '";
	}
}

static void explain_ok(const struct title *t, const char *name, const struct sw_release *r,
                       const struct cand *c, struct sb *b)
{
	sb_str(b, how_text(c->how));
	sb_str(b, name);
	sb_str(b, "' ('");
	sb_title_words(b, r);
	if (r->year == 0 || t->year == 0) {
		sb_str(b,
		       r->year == 0 ? "'), no year, but several words" : "'), title has no year");
		return;
	}
	sb_str(b, "'), year ");
	sb_uint(b, r->year);
	sb_str(b, r->year == t->year ? " = " : " within 1 of ");
	sb_uint(b, t->year);
}

static void explain_reject(const struct sw_matcher *m, const struct title *t, const char *name,
                           const struct sw_release *r, const struct cand *c, struct sb *b)
{
	switch (c->v) {
	case V_EXEC:
		sb_str(b, "rejected: executable container .");
		sb_str(b, r->ext);
		sb_str(b, " is a decoy for '");
		break;
	case V_TRAILER: sb_str(b, "rejected: a trailer of '"); break;
	case V_EPISODE: sb_str(b, "rejected: an episode tag, not '"); break;
	case V_NOT_VIDEO:
		sb_str(b, "rejected: .");
		sb_str(b, r->ext);
		sb_str(b, " with no video tags is not '");
		break;
	case V_EXCLUDED:
		sb_str(b, "vetoed: '");
		sb_str(b, m->text + m->woff[m->excl[c->excl].first]);
		sb_str(b, m->excl[c->excl].n > 1 ? " ...' (an exclude of '" : "' (an exclude of '");
		sb_str(b, name);
		sb_str(b, "') is in the name");
		return;
	case V_YEAR_FAR:
		sb_str(b, "year ");
		sb_uint(b, r->year);
		sb_str(b, " differs from ");
		sb_uint(b, t->year);
		sb_str(b, " ('");
		sb_str(b, name);
		sb_str(b, "') by more than 1");
		return;
	case V_NEEDS_YEAR:
		sb_str(b, "'");
		sb_title_words(b, r);
		sb_str(b, "' matches '");
		sb_str(b, name);
		sb_str(b, c->how == SW_MATCH_NO_ARTICLE
		              ? "' but has no year, needed for a dropped article"
		              : "' but has no year, needed for one word");
		return;
	default: sb_str(b, "score below the minimum for '"); break;
	}
	sb_str(b, name);
	sb_str(b, "'");
}

static void explain(const struct sw_matcher *m, const struct sw_release *r, const struct cand *c,
                    struct sw_match_result *out)
{
	const struct title *t = &m->titles[c->e->title];
	struct sb b = {out->reason, sizeof out->reason};

	if (c->v == V_OK)
		explain_ok(t, m->text + t->name, r, c, &b);
	else
		explain_reject(m, t, m->text + t->name, r, c, &b);
}

int sw_match_title(const struct sw_matcher *m, const struct sw_release *r,
                   struct sw_match_result *out)
{
	struct cand best = {NULL, 0, 0, V_OK, 0, 0};
	struct sb b;

	if (out == NULL)
		return SW_E_INVALID;
	out->matched = false;
	out->title = -1;
	out->score = 0;
	out->how = SW_MATCH_NONE;
	out->reason[0] = '\0';
	if (m == NULL || r == NULL)
		return SW_E_INVALID;
	b = (struct sb){out->reason, sizeof out->reason};
	if (r->n_title == 0) {
		sb_str(&b, "no title words");
		return SW_OK;
	}
	if (m->n_entries > 0)
		find_best(m, r, &best);
	if (best.e == NULL) {
		sb_str(&b, "no watched title is '");
		sb_title_words(&b, r);
		sb_str(&b, "'");
		return SW_OK;
	}
	explain(m, r, &best, out);
	out->title = (int)best.e->title;
	out->how = best.how;
	out->matched = best.v == V_OK;
	out->score = out->matched ? best.score : 0;
	return SW_OK;
}
