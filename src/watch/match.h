/*
 * match.h - match a parsed release name (release.h) to a title on the
 * watchlist, with a score and the reason for the decision.
 *
 * The watchlist comes in as plain C (struct sw_title_spec); reading it from
 * a file is someone else's job.  sw_matcher_new() normalizes every name,
 * alias and exclude once and indexes the spellings by the hash of their
 * first word; the matcher then owns copies of everything it needs, so the
 * specs may be freed as soon as it returns.  sw_match_title() allocates
 * nothing and does not change the matcher: one matcher can serve many
 * threads.  The rules and the score are described in match.c.
 */
#ifndef SW_MATCH_H
#define SW_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "watch/release.h"

#ifndef SW_MATCH_MAX_TITLES
#define SW_MATCH_MAX_TITLES 100000
#endif
#ifndef SW_MATCH_MAX_SPELLINGS
#define SW_MATCH_MAX_SPELLINGS 64 /* aliases (+ name) per title */
#endif
#define SW_MATCH_REASON_LEN 192
#define SW_MATCH_YEAR_SLACK 1  /* a release year may differ by this much */
#define SW_MATCH_MIN_SCORE  60 /* below this nothing matches */

struct sw_title_spec {
	const char *name;            /* "Fury", "Mr. Turner" */
	unsigned year;               /* 2014; 0 when unknown (no year check) */
	const char *const *aliases;  /* NULL-terminated list, or NULL */
	const char *const *excludes; /* words or phrases that veto, or NULL */
};

enum sw_match_how {
	SW_MATCH_NONE = 0,
	SW_MATCH_NAME,       /* the title words equal the name's */
	SW_MATCH_ALIAS,      /* ... an alias's */
	SW_MATCH_TWO_NAMES,  /* ... two spellings in a row: "Herz aus Stahl - Fury" */
	SW_MATCH_NO_ARTICLE, /* ... the name without its leading article */
};

struct sw_match_result {
	bool matched;
	int title;   /* index into the specs of the best candidate, or -1 */
	int score;   /* 0..100; 0 when rejected or no candidate */
	uint8_t how; /* enum sw_match_how of the best candidate */
	char reason[SW_MATCH_REASON_LEN];
};

struct sw_matcher;

/*
 * Build a matcher over n titles.  Returns SW_OK and *out (free it with
 * sw_matcher_free), SW_E_INVALID for a title without words or a NULL
 * argument (eb says which), SW_E_TOO_BIG past the SW_MATCH_MAX_* caps, or
 * SW_E_NOMEM.
 */
int sw_matcher_new(const struct sw_title_spec *titles, size_t n, struct sw_matcher **out,
                   struct sw_errbuf *eb);
void sw_matcher_free(struct sw_matcher *m);

/*
 * Decide whether r is one of the titles.  Fills out (always) and returns
 * SW_OK, or SW_E_INVALID on NULL arguments.
 */
int sw_match_title(const struct sw_matcher *m, const struct sw_release *r,
                   struct sw_match_result *out);

#endif /* SW_MATCH_H */
