/*
 * report.h - the article's table: unique IP addresses per title, by
 * evidence tier, with countries and optional breakdowns, as of a time.
 *
 * A report is built once from a read-only store connection (store/query.h)
 * inside one snapshot, then rendered as a table, CSV, JSON or HTML
 * (report/html.h).  `swarmwatch report` and `swarmwatch serve` share all
 * of it, including the option parser, so the command line and the query
 * string accept the same names and values.
 *
 * Counts are exact from the store's `peers` table: an address counts at a
 * tier if it first reached that tier (or a stronger one) no later than
 * as_of and, with a since bound, was last seen at or after since.
 * Titles are ordered by the count of the report's tier (default seen),
 * descending, then by seen, then by name; countries and breakdown rows
 * likewise (days in date order).
 */
#ifndef SW_REPORT_REPORT_H
#define SW_REPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/types.h"
#include "store/query.h"

#ifndef SW_REPORT_TITLE_MAX
#define SW_REPORT_TITLE_MAX 256
#endif
/* Countries named in the table's "top countries" column. */
#ifndef SW_REPORT_TOP_COUNTRIES
#define SW_REPORT_TOP_COUNTRIES 3
#endif
/* Most time buckets in the HTML charts' series. */
#ifndef SW_REPORT_MAX_BUCKETS
#define SW_REPORT_MAX_BUCKETS 120
#endif
/* Cap on one rendered report (JSON, CSV, table or HTML). */
#ifndef SW_REPORT_OUT_MAX
#define SW_REPORT_OUT_MAX (64u << 20)
#endif

enum sw_report_format { SW_REPORT_TABLE, SW_REPORT_CSV, SW_REPORT_JSON, SW_REPORT_HTML };

struct sw_report_opts {
	int64_t as_of_ms;
	int64_t since_ms;                /* SW_QUERY_NO_SINCE: none */
	char title[SW_REPORT_TITLE_MAX]; /* "" all; "Name" or "Name (YYYY)" */
	bool has_by;
	enum sw_query_group by;
	enum sw_tier tier; /* seen, connectable or verified */
	enum sw_report_format format;
};

struct sw_report_title {
	int64_t id;
	char *name;
	int year; /* 0 unknown */
	int64_t torrents;
	int64_t unique[SW_QUERY_TIERS];
	int64_t unique_nets[SW_QUERY_TIERS]; /* IPv6 per /64, IPv4 per address */
	struct sw_query_row *countries;
	size_t n_countries;
	struct sw_query_row *by; /* the --by breakdown, if any */
	size_t n_by;
	int64_t (*series)[SW_QUERY_TIERS]; /* new addresses per bucket; NULL without series */
};

struct sw_report {
	struct sw_report_opts o;
	struct sw_report_title *titles;
	size_t n_titles;
	/* Time buckets of the series (HTML charts); n_buckets 0 if none. */
	int64_t series_start_ms, bucket_ms;
	size_t n_buckets;
};

/* Defaults: as of now_ms, no since, all titles, tier seen, table. */
void sw_report_opts_init(struct sw_report_opts *o, int64_t now_ms);

/*
 * Set one option from text: key is as_of (or as-of), since, title, by,
 * tier or format; value as on the command line (times per report/when.h).
 * SW_E_INVALID / SW_E_NOT_FOUND / SW_E_RANGE / SW_E_TOO_BIG with a message
 * naming the option and the value, SW_E_USAGE for an unknown key.
 */
int sw_report_opts_set(struct sw_report_opts *o, const char *key, const char *value, int64_t now_ms,
                       struct sw_errbuf *eb);

/* Checks across options (since after as_of). */
int sw_report_opts_check(const struct sw_report_opts *o, struct sw_errbuf *eb);

/*
 * Build the report from q in one snapshot.  with_series also computes the
 * time series the HTML charts draw.  SW_E_NOT_FOUND when a title was asked
 * for and none matches; store errors as store/query.h.  Free *out with
 * sw_report_free() (NULL-safe).
 */
int sw_report_build(struct sw_query *q, const struct sw_report_opts *o, bool with_series,
                    struct sw_report **out, struct sw_errbuf *eb);
void sw_report_free(struct sw_report *r);

/* Append the report to out as a table, CSV or JSON (HTML: report/html.h). */
int sw_report_table(const struct sw_report *r, struct sw_buf *out);
int sw_report_csv(const struct sw_report *r, struct sw_buf *out);
int sw_report_json(const struct sw_report *r, struct sw_buf *out);

/* "seen", "connectable", "verified"; "country", "asn", "day", "torrent". */
const char *sw_report_by_name(enum sw_query_group by);

/* A UTC day as "2014-12-01" into out (11 bytes). */
void sw_report_day(int64_t ms, char out[11]);

#endif /* SW_REPORT_REPORT_H */
