/*
 * format.c - a report as a table, CSV or JSON (see report.h).
 *
 * The table is for people: one row per title as the article printed it,
 * counts with thousands separators, the top countries as shares of the
 * report's tier, and each breakdown as its own small table below.  CSV is
 * for spreadsheets: RFC 4180 quoting, a header row, one row per title (or
 * per title and breakdown key with --by).  JSON is for programs: exactly
 * one object, the shape README.md documents.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "report/report.h"
#include "report/when.h"

static const char *const tier_names[SW_QUERY_TIERS] = {"seen", "connectable", "verified"};

/* --- helpers ------------------------------------------------------------ */

/*
 * The renderers append without checking each call: an append fails only
 * when it would pass the buffer's cap, and then leaves the buffer as it
 * was.  No single append is longer than SLACK (names are at most
 * SW_SINK_TEXT_MAX bytes), so "within SLACK of the cap" at the end is
 * exactly "an append may have failed", and the whole render fails.
 */
#define SLACK 8192

static int done(const struct sw_buf *out)
{
	return out->max - out->len < SLACK ? SW_E_TOO_BIG : SW_OK;
}

/* Display width of UTF-8 text: code points, not bytes. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* s, padded with spaces to width columns (or cut to it, on a code point). */
static void put_padded(struct sw_buf *out, const char *s, size_t width)
{
	size_t w = 0;
	const char *p = s;

	for (; *p; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80 && w++ == width)
			break;
	}
	sw_buf_append(out, s, (size_t)(p - s));
	for (w = text_width(s); w < width; w++)
		sw_buf_putc(out, ' ');
}

/* 1234567 as "1,234,567". */
static char *thousands(int64_t v, char out[32])
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRId64, v < 0 ? -v : v), o = 0;

	if (v < 0)
		out[o++] = '-';
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = 0;
	return out;
}

/* "Fury (2014)", or the bare name when the year is unknown. */
static void title_label(const struct sw_report_title *t, char *out, size_t n)
{
	if (t->year)
		snprintf(out, n, "%s (%d)", t->name, t->year);
	else
		snprintf(out, n, "%s", t->name);
}

/* The key of a breakdown row as text. */
static void row_key(const struct sw_report *r, const struct sw_query_row *row, char *out, size_t n)
{
	switch (r->o.by) {
	case SW_QUERY_BY_ASN:
		if (row->ikey)
			snprintf(out, n, "AS%" PRId64, row->ikey);
		else
			snprintf(out, n, "unknown");
		break;
	case SW_QUERY_BY_DAY: sw_report_day(row->ikey, out); break;
	default: snprintf(out, n, "%s", row->key); break;
	}
}

/* --- table -------------------------------------------------------------- */

static void top_countries(const struct sw_report *r, const struct sw_report_title *t,
                          struct sw_buf *out)
{
	int64_t total = t->unique[r->o.tier];
	size_t shown = 0;

	for (size_t i = 0; i < t->n_countries && shown < SW_REPORT_TOP_COUNTRIES; i++) {
		int64_t n = t->countries[i].n[r->o.tier];

		if (n == 0 || total == 0)
			break;
		sw_buf_printf(out, "%s%s %d%%", shown ? ", " : "", t->countries[i].key,
		              (int)((n * 100 + total / 2) / total));
		shown++;
	}
	if (shown == 0)
		sw_buf_puts(out, "-");
}

static void breakdown_table(const struct sw_report *r, const struct sw_report_title *t,
                            struct sw_buf *out)
{
	static const char *const heads[] = {"Country", "ASN", "Day (UTC)", "Infohash"};
	char label[SW_REPORT_TITLE_MAX + 16], key[SW_QUERY_KEY_MAX + 16], a[32], b[32], c[32];
	size_t kw = r->o.by == SW_QUERY_BY_TORRENT ? 40 : 12;

	title_label(t, label, sizeof(label));
	sw_buf_printf(out, "\n%s by %s\n  ", label, sw_report_by_name(r->o.by));
	put_padded(out, heads[r->o.by], kw);
	sw_buf_printf(out, "  %12s  %12s  %12s%s\n", "Seen", "Connectable", "Verified",
	              r->o.by == SW_QUERY_BY_TORRENT ? "  Name" : "");
	if (t->n_by == 0)
		sw_buf_puts(out, "  (none)\n");
	for (size_t i = 0; i < t->n_by; i++) {
		const struct sw_query_row *row = &t->by[i];

		row_key(r, row, key, sizeof(key));
		sw_buf_puts(out, "  ");
		put_padded(out, key, kw);
		sw_buf_printf(out, "  %12s  %12s  %12s", thousands(row->n[0], a),
		              thousands(row->n[1], b), thousands(row->n[2], c));
		if (r->o.by == SW_QUERY_BY_TORRENT)
			sw_buf_printf(out, "  %s", row->label ? row->label : "?");
		sw_buf_putc(out, '\n');
	}
}

int sw_report_table(const struct sw_report *r, struct sw_buf *out)
{
	char iso[SW_WHEN_ISO_LEN], label[SW_REPORT_TITLE_MAX + 16], a[32], b[32], c[32];
	size_t tw = strlen("Title");

	for (size_t i = 0; i < r->n_titles; i++) {
		title_label(&r->titles[i], label, sizeof(label));
		if (text_width(label) > tw)
			tw = text_width(label);
	}
	if (tw > 48)
		tw = 48;
	sw_buf_printf(out, "Unique IP addresses per title, as of %s",
	              sw_when_format_utc(r->o.as_of_ms, iso));
	if (r->o.since_ms != SW_QUERY_NO_SINCE)
		sw_buf_printf(out, ", active since %s", sw_when_format_utc(r->o.since_ms, iso));
	sw_buf_puts(out, "\n\n");
	put_padded(out, "Title", tw);
	sw_buf_printf(out, "  %8s  %12s  %12s  %12s  Top countries (%s)\n", "Torrents", "Seen",
	              "Connectable", "Verified", tier_names[r->o.tier]);
	for (size_t i = 0; i < r->n_titles; i++) {
		const struct sw_report_title *t = &r->titles[i];

		title_label(t, label, sizeof(label));
		put_padded(out, label, tw);
		sw_buf_printf(out, "  %8" PRId64 "  %12s  %12s  %12s  ", t->torrents,
		              thousands(t->unique[0], a), thousands(t->unique[1], b),
		              thousands(t->unique[2], c));
		top_countries(r, t, out);
		sw_buf_putc(out, '\n');
	}
	if (r->n_titles == 0)
		sw_buf_puts(out, "(no titles in the store)\n");
	for (size_t i = 0; r->o.has_by && i < r->n_titles; i++)
		breakdown_table(r, &r->titles[i], out);
	return done(out);
}

/* --- CSV ---------------------------------------------------------------- */

/* One RFC 4180 field: quoted when it holds a comma, quote or line break. */
static void csv_field(struct sw_buf *out, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		sw_buf_puts(out, s);
	} else {
		sw_buf_putc(out, '"');
		for (; *s; s++) {
			if (*s == '"')
				sw_buf_putc(out, '"');
			sw_buf_putc(out, (uint8_t)*s);
		}
		sw_buf_putc(out, '"');
	}
	sw_buf_puts(out, last ? "\r\n" : ",");
}

static void csv_counts(struct sw_buf *out, const int64_t n[SW_QUERY_TIERS])
{
	sw_buf_printf(out, "%" PRId64 ",%" PRId64 ",%" PRId64 "\r\n", n[0], n[1], n[2]);
}

int sw_report_csv(const struct sw_report *r, struct sw_buf *out)
{
	char iso[SW_WHEN_ISO_LEN], year[16], key[SW_QUERY_KEY_MAX + 16];

	sw_when_format_utc(r->o.as_of_ms, iso);
	if (!r->o.has_by)
		sw_buf_puts(out, "as_of,title,year,torrents,seen,connectable,verified\r\n");
	else
		sw_buf_printf(out, "as_of,title,year,%s%s,seen,connectable,verified\r\n",
		              r->o.by == SW_QUERY_BY_TORRENT ? "infohash"
		                                             : sw_report_by_name(r->o.by),
		              r->o.by == SW_QUERY_BY_TORRENT ? ",name" : "");
	for (size_t i = 0; i < r->n_titles; i++) {
		const struct sw_report_title *t = &r->titles[i];
		size_t rows = r->o.has_by ? t->n_by : 1;

		if (t->year)
			snprintf(year, sizeof(year), "%d", t->year);
		else
			year[0] = 0;
		for (size_t j = 0; j < rows; j++) {
			csv_field(out, iso, false);
			csv_field(out, t->name, false);
			csv_field(out, year, false);
			if (!r->o.has_by) {
				sw_buf_printf(out, "%" PRId64 ",", t->torrents);
				csv_counts(out, t->unique);
				continue;
			}
			if (r->o.by == SW_QUERY_BY_ASN)
				snprintf(key, sizeof(key), "%" PRId64, t->by[j].ikey);
			else
				row_key(r, &t->by[j], key, sizeof(key));
			csv_field(out, key, false);
			if (r->o.by == SW_QUERY_BY_TORRENT)
				csv_field(out, t->by[j].label ? t->by[j].label : "", false);
			csv_counts(out, t->by[j].n);
		}
	}
	return done(out);
}

/* --- JSON --------------------------------------------------------------- */

static void json_tiers(struct sw_json *j, const int64_t n[SW_QUERY_TIERS])
{
	for (int t = 0; t < SW_QUERY_TIERS; t++) {
		sw_json_key(j, tier_names[t]);
		sw_json_int(j, n[t]);
	}
}

static void json_breakdown(struct sw_json *j, const struct sw_report *r,
                           const struct sw_report_title *t)
{
	char key[SW_QUERY_KEY_MAX + 16], name[32];

	snprintf(name, sizeof(name), "by_%s", sw_report_by_name(r->o.by));
	sw_json_key(j, name);
	sw_json_arr_begin(j);
	for (size_t i = 0; i < t->n_by; i++) {
		const struct sw_query_row *row = &t->by[i];

		sw_json_obj_begin(j);
		switch (r->o.by) {
		case SW_QUERY_BY_ASN:
			sw_json_key(j, "asn");
			sw_json_int(j, row->ikey);
			break;
		case SW_QUERY_BY_TORRENT:
			sw_json_key(j, "infohash");
			sw_json_str(j, row->key);
			sw_json_key(j, "name");
			sw_json_str(j, row->label);
			break;
		default:
			row_key(r, row, key, sizeof(key));
			sw_json_key(j, sw_report_by_name(r->o.by));
			sw_json_str(j, key);
			break;
		}
		json_tiers(j, row->n);
		sw_json_obj_end(j);
	}
	sw_json_arr_end(j);
}

static void json_title(struct sw_json *j, const struct sw_report *r,
                       const struct sw_report_title *t)
{
	sw_json_obj_begin(j);
	sw_json_key(j, "title");
	sw_json_str(j, t->name);
	sw_json_key(j, "year");
	if (t->year)
		sw_json_int(j, t->year);
	else
		sw_json_null(j);
	sw_json_key(j, "torrents");
	sw_json_int(j, t->torrents);
	sw_json_key(j, "unique_ips");
	sw_json_obj_begin(j);
	json_tiers(j, t->unique);
	sw_json_obj_end(j);
	sw_json_key(j, "unique_networks");
	sw_json_obj_begin(j);
	json_tiers(j, t->unique_nets);
	sw_json_obj_end(j);
	sw_json_key(j, "countries");
	sw_json_arr_begin(j);
	for (size_t i = 0; i < t->n_countries; i++) {
		sw_json_obj_begin(j);
		sw_json_key(j, "country");
		sw_json_str(j, t->countries[i].key);
		sw_json_key(j, "seen");
		sw_json_int(j, t->countries[i].n[SW_TIER_SEEN]);
		sw_json_key(j, "verified");
		sw_json_int(j, t->countries[i].n[SW_TIER_VERIFIED]);
		sw_json_obj_end(j);
	}
	sw_json_arr_end(j);
	if (r->o.has_by)
		json_breakdown(j, r, t);
	sw_json_obj_end(j);
}

int sw_report_json(const struct sw_report *r, struct sw_buf *out)
{
	char iso[SW_WHEN_ISO_LEN];
	struct sw_json j;

	sw_json_init(&j, out);
	sw_json_obj_begin(&j);
	sw_json_key(&j, "as_of");
	sw_json_str(&j, sw_when_format_utc(r->o.as_of_ms, iso));
	if (r->o.since_ms != SW_QUERY_NO_SINCE) {
		sw_json_key(&j, "since");
		sw_json_str(&j, sw_when_format_utc(r->o.since_ms, iso));
	}
	sw_json_key(&j, "titles");
	sw_json_arr_begin(&j);
	for (size_t i = 0; i < r->n_titles; i++)
		json_title(&j, r, &r->titles[i]);
	sw_json_arr_end(&j);
	sw_json_obj_end(&j);
	if (sw_json_error(&j) != SW_OK)
		return sw_json_error(&j);
	return sw_buf_putc(out, '\n');
}
