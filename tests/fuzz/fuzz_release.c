/*
 * fuzz_release.c - libFuzzer target for the release-name parser and the
 * matcher: parse (the input is not NUL-terminated, which is part of the
 * contract), check the invariants of struct sw_release, then match against
 * the 2014 watchlist.  The matcher is built once; it is read-only while
 * matching.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "watch/match.h"
#include "watch/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fury_aliases[] = {"Herz aus Stahl", "Corações de Ferro", NULL};
static const char *const excludes[] = {"soundtrack", "fury road", NULL};
static const struct sw_title_spec watchlist[] = {
    {"Fury", 2014, fury_aliases, excludes},
    {"Annie", 2014, NULL, excludes},
    {"Still Alice", 2014, NULL, NULL},
    {"Mr. Turner", 2014, NULL, NULL},
    {"The To Write Love on Her Arms", 2014, NULL, NULL},
};

static void check_words(const struct sw_words *w)
{
	size_t i;

	if (w->n > SW_WORDS_MAX)
		abort();
	for (i = 0; i < w->n; i++) {
		const char *s = sw_words_at(w, i);

		if (w->len[i] == 0 || w->len[i] > SW_WORD_MAX_LEN || strlen(s) != w->len[i])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sw_matcher *m;
	struct sw_release r;
	struct sw_match_result res;
	struct sw_errbuf eb;

	if (m == NULL &&
	    sw_matcher_new(watchlist, sizeof watchlist / sizeof watchlist[0], &m, &eb) != SW_OK)
		abort();
	if (sw_release_parse((const char *)data, size, &r) != SW_OK)
		abort();
	check_words(&r.words);
	if (r.n_title > r.words.n || r.group >= (int)r.words.n ||
	    (r.year != 0 && (r.year < 1900 || r.year > 2099)) ||
	    strlen(r.ext) >= SW_RELEASE_EXT_LEN || strlen(r.site) >= SW_RELEASE_SITE_LEN)
		abort();
	if (sw_match_title(m, &r, &res) != SW_OK || strlen(res.reason) >= SW_MATCH_REASON_LEN)
		abort();
	if (res.matched != (res.score >= SW_MATCH_MIN_SCORE) || (res.matched && res.title < 0))
		abort();
	return 0;
}
