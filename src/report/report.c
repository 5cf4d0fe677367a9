/*
 * report.c - options and building of a report (see report.h); the
 * renderers are in format.c and html.c.
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/when.h"

#define MS_PER_MIN  60000LL
#define MS_PER_HOUR (60 * MS_PER_MIN)
#define MS_PER_DAY  (24 * MS_PER_HOUR)

static const char *const by_names[] = {
    [SW_QUERY_BY_COUNTRY] = "country",
    [SW_QUERY_BY_ASN] = "asn",
    [SW_QUERY_BY_DAY] = "day",
    [SW_QUERY_BY_TORRENT] = "torrent",
};

static const char *const format_names[] = {
    [SW_REPORT_TABLE] = "table",
    [SW_REPORT_CSV] = "csv",
    [SW_REPORT_JSON] = "json",
    [SW_REPORT_HTML] = "html",
};

const char *sw_report_by_name(enum sw_query_group by)
{
	return (unsigned)by <= SW_QUERY_BY_TORRENT ? by_names[by] : "?";
}

void sw_report_day(int64_t ms, char out[11])
{
	char iso[SW_WHEN_ISO_LEN];

	sw_when_format_utc(ms, iso);
	memcpy(out, iso, 10);
	out[10] = 0;
}

void sw_report_opts_init(struct sw_report_opts *o, int64_t now_ms)
{
	memset(o, 0, sizeof(*o));
	o->as_of_ms = now_ms;
	o->since_ms = SW_QUERY_NO_SINCE;
	o->tier = SW_TIER_SEEN;
	o->format = SW_REPORT_TABLE;
}

/* Index of value in names (n entries), or -1. */
static int lookup(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return (int)i;
	return -1;
}

int sw_report_opts_set(struct sw_report_opts *o, const char *key, const char *value, int64_t now_ms,
                       struct sw_errbuf *eb)
{
	int i;

	if (strcmp(key, "as_of") == 0 || strcmp(key, "as-of") == 0 || strcmp(key, "since") == 0) {
		int64_t *dst = key[0] == 's' ? &o->since_ms : &o->as_of_ms;
		struct sw_errbuf teb = {{0}};
		int rc = sw_when_parse(value, strlen(value), now_ms, dst, &teb);

		return rc == SW_OK ? SW_OK : sw_errbuf_set(eb, rc, "%s: %s", key, teb.msg);
	}
	if (strcmp(key, "title") == 0) {
		size_t n = strlen(value);

		if (n == 0 || n >= sizeof(o->title))
			return sw_errbuf_set(eb, n ? SW_E_TOO_BIG : SW_E_INVALID,
			                     "title: expected a name of 1..%zu bytes",
			                     sizeof(o->title) - 1);
		memcpy(o->title, value, n + 1);
		return SW_OK;
	}
	if (strcmp(key, "by") == 0) {
		i = lookup(by_names, sizeof(by_names) / sizeof(by_names[0]), value);
		if (i < 0)
			return sw_errbuf_set(eb, SW_E_INVALID,
			                     "by: '%.64s' is not one of country, asn, day, torrent",
			                     value);
		o->has_by = true;
		o->by = (enum sw_query_group)i;
		return SW_OK;
	}
	if (strcmp(key, "tier") == 0) {
		enum sw_tier t;

		if (sw_tier_parse(value, &t) != SW_OK || (int)t >= SW_QUERY_TIERS)
			return sw_errbuf_set(
			    eb, SW_E_INVALID,
			    "tier: '%.64s' is not one of seen, connectable, verified", value);
		o->tier = t;
		return SW_OK;
	}
	if (strcmp(key, "format") == 0) {
		i = lookup(format_names, sizeof(format_names) / sizeof(format_names[0]), value);
		if (i < 0)
			return sw_errbuf_set(eb, SW_E_INVALID,
			                     "format: '%.64s' is not one of table, csv, json, html",
			                     value);
		o->format = (enum sw_report_format)i;
		return SW_OK;
	}
	return sw_errbuf_set(eb, SW_E_USAGE, "unknown option '%.64s'", key);
}

int sw_report_opts_check(const struct sw_report_opts *o, struct sw_errbuf *eb)
{
	char a[SW_WHEN_ISO_LEN], s[SW_WHEN_ISO_LEN];

	if (o->since_ms != SW_QUERY_NO_SINCE && o->since_ms > o->as_of_ms)
		return sw_errbuf_set(eb, SW_E_INVALID, "since (%s) is after as_of (%s)",
		                     sw_when_format_utc(o->since_ms, s),
		                     sw_when_format_utc(o->as_of_ms, a));
	return SW_OK;
}

/* Does title t match the wanted "Name" or "Name (YYYY)"? */
static bool title_matches(const struct sw_query_title *t, const char *want)
{
	size_t n = strlen(want);
	char year[16];
	int yn;

	if (strcasecmp(t->name, want) == 0)
		return true;
	if (t->year == 0)
		return false;
	yn = snprintf(year, sizeof(year), " (%d)", t->year);
	return yn > 0 && n > (size_t)yn && strcmp(want + n - (size_t)yn, year) == 0 &&
	       strlen(t->name) == n - (size_t)yn && strncasecmp(t->name, want, n - (size_t)yn) == 0;
}

/*
 * Orders by one tier's count, descending, then by seen, then by key.  qsort() has no context
 * argument (qsort_r() is not C11), so each tier gets its own comparator.
 */
static int row_cmp(const void *a, const void *b, enum sw_tier tier)
{
	const struct sw_query_row *x = a, *y = b;
	int64_t nx = x->n[tier], ny = y->n[tier];
	int c;

	if (nx != ny)
		return nx > ny ? -1 : 1;
	if (x->n[SW_TIER_SEEN] != y->n[SW_TIER_SEEN])
		return x->n[SW_TIER_SEEN] > y->n[SW_TIER_SEEN] ? -1 : 1;
	c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	return x->ikey < y->ikey ? -1 : x->ikey > y->ikey;
}

static int title_cmp(const void *a, const void *b, enum sw_tier tier)
{
	const struct sw_report_title *x = a, *y = b;
	int64_t nx = x->unique[tier], ny = y->unique[tier];
	int c;

	if (nx != ny)
		return nx > ny ? -1 : 1;
	if (x->unique[SW_TIER_SEEN] != y->unique[SW_TIER_SEEN])
		return x->unique[SW_TIER_SEEN] > y->unique[SW_TIER_SEEN] ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

#define TIER_CMP(name, cmp, tier)                                                                  \
	static int name(const void *a, const void *b)                                              \
	{                                                                                          \
		return cmp(a, b, tier);                                                            \
	}
TIER_CMP(row_cmp_seen, row_cmp, SW_TIER_SEEN)
TIER_CMP(row_cmp_connectable, row_cmp, SW_TIER_CONNECTABLE)
TIER_CMP(row_cmp_verified, row_cmp, SW_TIER_VERIFIED)
TIER_CMP(title_cmp_seen, title_cmp, SW_TIER_SEEN)
TIER_CMP(title_cmp_connectable, title_cmp, SW_TIER_CONNECTABLE)
TIER_CMP(title_cmp_verified, title_cmp, SW_TIER_VERIFIED)

typedef int (*cmp_fn)(const void *, const void *);
static const cmp_fn row_cmps[SW_QUERY_TIERS] = {row_cmp_seen, row_cmp_connectable,
                                                row_cmp_verified};
static const cmp_fn title_cmps[SW_QUERY_TIERS] = {title_cmp_seen, title_cmp_connectable,
                                                  title_cmp_verified};

static void sort_rows(struct sw_query_row *rows, size_t n, enum sw_tier tier)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), row_cmps[tier]);
}

/* Bucket width giving at most SW_REPORT_MAX_BUCKETS buckets over the span. */
static int64_t pick_bucket(int64_t span_ms)
{
	static const int64_t widths[] = {
	    MS_PER_MIN,      5 * MS_PER_MIN,  15 * MS_PER_MIN,  30 * MS_PER_MIN, MS_PER_HOUR,
	    3 * MS_PER_HOUR, 6 * MS_PER_HOUR, 12 * MS_PER_HOUR, MS_PER_DAY,      7 * MS_PER_DAY,
	};
	int64_t w = 30 * MS_PER_DAY;

	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		if (span_ms / widths[i] + 2 <= SW_REPORT_MAX_BUCKETS)
			return widths[i];
	while (span_ms / w + 2 > SW_REPORT_MAX_BUCKETS)
		w *= 2;
	return w;
}

static int plan_series(struct sw_query *q, struct sw_report *r, const struct sw_query_window *w,
                       struct sw_errbuf *eb)
{
	int64_t first = -1, last = -1;
	int rc = sw_query_span(q, w, &first, &last, eb);

	if (rc != SW_OK || first < 0)
		return rc;
	r->bucket_ms = pick_bucket(last - first);
	r->series_start_ms = first / r->bucket_ms * r->bucket_ms;
	r->n_buckets = (size_t)((last - r->series_start_ms) / r->bucket_ms + 1);
	return SW_OK;
}

static int build_title(struct sw_query *q, struct sw_report *r, struct sw_report_title *t,
                       const struct sw_query_window *w, struct sw_errbuf *eb)
{
	int rc = sw_query_title_torrents(q, t->id, &t->torrents, eb);

	if (rc == SW_OK)
		rc = sw_query_title_unique(q, t->id, w, t->unique, eb);
	if (rc == SW_OK)
		rc = sw_query_title_unique_nets(q, t->id, w, t->unique_nets, eb);
	if (rc == SW_OK)
		rc = sw_query_breakdown(q, t->id, SW_QUERY_BY_COUNTRY, w, &t->countries,
		                        &t->n_countries, eb);
	if (rc == SW_OK && r->o.has_by)
		rc = sw_query_breakdown(q, t->id, r->o.by, w, &t->by, &t->n_by, eb);
	if (rc == SW_OK && r->n_buckets > 0) {
		t->series = calloc(r->n_buckets, sizeof(*t->series));
		if (t->series == NULL)
			return sw_errbuf_set(eb, SW_E_NOMEM, "report: out of memory");
		rc = sw_query_series(q, t->id, w, r->series_start_ms, r->bucket_ms, r->n_buckets,
		                     t->series, eb);
	}
	if (rc != SW_OK)
		return rc;
	sort_rows(t->countries, t->n_countries, r->o.tier);
	if (r->o.has_by && r->o.by != SW_QUERY_BY_DAY)
		sort_rows(t->by, t->n_by, r->o.tier);
	return SW_OK;
}

/* Keep the titles that match r->o.title; move their names into r. */
static int select_titles(struct sw_report *r, struct sw_query_title *all, size_t n,
                         struct sw_errbuf *eb)
{
	r->titles = calloc(n ? n : 1, sizeof(*r->titles));
	if (r->titles == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "report: out of memory");
	for (size_t i = 0; i < n; i++) {
		struct sw_report_title *t;

		if (r->o.title[0] && !title_matches(&all[i], r->o.title))
			continue;
		t = &r->titles[r->n_titles++];
		t->id = all[i].id;
		t->year = all[i].year;
		t->name = all[i].name;
		all[i].name = NULL;
	}
	if (r->o.title[0] && r->n_titles == 0)
		return sw_errbuf_set(eb, SW_E_NOT_FOUND, "title: no title '%.128s' in the store",
		                     r->o.title);
	return SW_OK;
}

int sw_report_build(struct sw_query *q, const struct sw_report_opts *o, bool with_series,
                    struct sw_report **out, struct sw_errbuf *eb)
{
	struct sw_query_window w = {o->as_of_ms, o->since_ms};
	struct sw_query_title *all = NULL;
	struct sw_report *r;
	size_t n_all = 0;
	int rc;

	*out = NULL;
	rc = sw_report_opts_check(o, eb);
	if (rc != SW_OK)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "report: out of memory");
	r->o = *o;
	rc = sw_query_begin(q, eb);
	if (rc == SW_OK)
		rc = sw_query_titles(q, &all, &n_all, eb);
	if (rc == SW_OK)
		rc = select_titles(r, all, n_all, eb);
	if (rc == SW_OK && with_series)
		rc = plan_series(q, r, &w, eb);
	for (size_t i = 0; rc == SW_OK && i < r->n_titles; i++)
		rc = build_title(q, r, &r->titles[i], &w, eb);
	sw_query_end(q);
	sw_query_titles_free(all, n_all);
	if (rc != SW_OK) {
		sw_report_free(r);
		return rc;
	}
	if (r->n_titles > 1)
		qsort(r->titles, r->n_titles, sizeof(*r->titles), title_cmps[o->tier]);
	*out = r;
	return SW_OK;
}

void sw_report_free(struct sw_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->titles != NULL && i < r->n_titles; i++) {
		struct sw_report_title *t = &r->titles[i];

		free(t->name);
		sw_query_rows_free(t->countries, t->n_countries);
		sw_query_rows_free(t->by, t->n_by);
		free(t->series);
	}
	free(r->titles);
	free(r);
}
