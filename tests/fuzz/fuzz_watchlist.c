/*
 * fuzz_watchlist.c - libFuzzer target for the watchlist parser: any bytes
 * (not NUL-terminated) through inih and our reader, then the invariants of
 * what comes out (every vector NULL-terminated at its count, years in
 * range, feeds with a url) and, when it parses, a matcher built from the
 * specs as the daemon would.  Files are never touched (check_files off).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "watch/match.h"
#include "watch/watchlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_strv(char **v, size_t n)
{
	if ((n == 0) != (v == NULL) || (v != NULL && v[n] != NULL))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (v[i] == NULL)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_watchlist_opts o = {"fuzz.ini", "/base", false};
	struct sw_watchlist *w = NULL;
	struct sw_matcher *m = NULL;
	struct sw_errbuf eb = {{0}};
	int rc = sw_watchlist_parse((const char *)data, size, &o, &w, &eb);

	if (rc != SW_OK) {
		if (w != NULL || eb.msg[0] == '\0' || strncmp(eb.msg, "fuzz.ini", 8) != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < w->n_titles; i++) {
		const struct sw_watch_title *t = &w->titles[i];

		if (t->name == NULL || (t->year != 0 && (t->year < SW_WATCHLIST_YEAR_MIN ||
		                                         t->year > SW_WATCHLIST_YEAR_MAX)))
			abort();
		check_strv(t->aliases, t->n_aliases);
		check_strv(t->excludes, t->n_excludes);
		check_strv(t->magnets, t->n_magnets);
		check_strv(t->torrents, t->n_torrents);
	}
	for (size_t i = 0; i < w->n_feeds; i++) {
		if (w->feeds[i].url == NULL || w->feeds[i].interval_ms < 1000)
			abort();
	}
	check_strv(w->dht_bootstrap, w->n_dht_bootstrap);
	if (sw_matcher_new(w->specs, w->n_titles, &m, &eb) == SW_OK)
		sw_matcher_free(m);
	sw_watchlist_free(w);
	return 0;
}
