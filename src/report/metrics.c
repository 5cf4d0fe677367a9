/*
 * metrics.c - the store's state as Prometheus text (see metrics.h).
 *
 * Format rules followed (exposition format 0.0.4): one "# HELP" and one
 * "# TYPE" line per family before its samples, samples of a family
 * together, label values with backslash, double quote and newline
 * escaped, counters named *_total, times in seconds.  Counts of
 * observations and scrapes are the tables' highest rowid: rows are only
 * appended (retention deletes from the old end), so it counts every row
 * ever written without scanning a table that may hold billions of rows.
 */
#include "report/metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/sink.h"
#include "store/sqlite.h"

#define SLACK 8192 /* see format.c */

static const char *const tier_names[SW_QUERY_TIERS] = {"seen", "connectable", "verified"};

static void family(struct sw_buf *out, const char *name, const char *type, const char *help)
{
	sw_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label_value(struct sw_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sw_buf_puts(out, "\\\\");
		else if (*s == '"')
			sw_buf_puts(out, "\\\"");
		else if (*s == '\n')
			sw_buf_puts(out, "\\n");
		else
			sw_buf_putc(out, (uint8_t)*s);
	}
}

static void gauge(struct sw_buf *out, const char *name, const char *help, int64_t v)
{
	family(out, name, "gauge", help);
	sw_buf_printf(out, "%s %" PRId64 "\n", name, v);
}

static void counter(struct sw_buf *out, const char *name, const char *help, int64_t v)
{
	family(out, name, "counter", help);
	sw_buf_printf(out, "%s %" PRId64 "\n", name, v);
}

static int unique_peers(struct sw_query *q, struct sw_buf *out, struct sw_errbuf *eb)
{
	struct sw_query_window all = {SW_STORE_AS_OF_ALL, SW_QUERY_NO_SINCE};
	struct sw_query_title *t = NULL;
	size_t n = 0;
	int rc = sw_query_titles(q, &t, &n, eb);

	if (rc != SW_OK)
		return rc;
	family(out, "swarmwatch_unique_peers", "gauge",
	       "Unique IP addresses (or pseudonyms) per title, at a tier or a stronger one.");
	for (size_t i = 0; i < n && rc == SW_OK; i++) {
		int64_t c[SW_QUERY_TIERS];

		rc = sw_query_title_unique(q, t[i].id, &all, c, eb);
		for (int k = 0; rc == SW_OK && k < SW_QUERY_TIERS; k++) {
			sw_buf_puts(out, "swarmwatch_unique_peers{title=\"");
			label_value(out, t[i].name);
			if (t[i].year)
				sw_buf_printf(out, "\",year=\"%d", t[i].year);
			else
				sw_buf_puts(out, "\",year=\"");
			sw_buf_printf(out, "\",tier=\"%s\"} %" PRId64 "\n", tier_names[k], c[k]);
		}
	}
	sw_query_titles_free(t, n);
	return rc;
}

static void extras(struct sw_buf *out, const struct sw_metric_family *f, size_t n)
{
	for (size_t i = 0; i < n; i++, f++) {
		family(out, f->name, "counter", f->help);
		for (size_t j = 0; j < f->n_samples; j++) {
			sw_buf_puts(out, f->name);
			if (f->label != NULL) {
				sw_buf_printf(out, "{%s=\"", f->label);
				label_value(out, f->samples[j].label_value);
				sw_buf_puts(out, "\"}");
			}
			sw_buf_printf(out, " %" PRIu64 "\n", f->samples[j].n);
		}
	}
}

int sw_report_metrics(struct sw_query *q, int64_t now_ms, const struct sw_metric_family *extra,
                      size_t n_extra, struct sw_buf *out, struct sw_errbuf *eb)
{
	struct sw_query_stats st;
	int rc = sw_query_begin(q, eb);

	if (rc == SW_OK)
		rc = sw_query_stats(q, &st, eb);
	if (rc == SW_OK) {
		gauge(out, "swarmwatch_titles", "Titles on the watchlist.", st.titles);
		gauge(out, "swarmwatch_swarms_watched", "Swarms (torrents) known to the store.",
		      st.torrents);
		gauge(out, "swarmwatch_swarms_linked", "Swarms counted towards a title.",
		      st.torrents_linked);
		rc = unique_peers(q, out, eb);
	}
	sw_query_end(q);
	if (rc != SW_OK)
		return rc;
	counter(out, "swarmwatch_observations_total", "Observations recorded in the store.",
	        st.observations);
	counter(out, "swarmwatch_scrapes_total", "Scrape answers recorded in the store.",
	        st.scrapes);
	gauge(out, "swarmwatch_store_unfolded_observations",
	      "Observations not yet counted in the peer tables (folded on the writer's flush).",
	      st.unfolded);
	gauge(out, "swarmwatch_store_schema_version", "Schema version of the store file.",
	      st.schema_version);
	if (st.last_observation_ms >= 0) {
		family(out, "swarmwatch_store_last_observation_timestamp_seconds", "gauge",
		       "Time of the newest observation in the store.");
		sw_buf_printf(out, "swarmwatch_store_last_observation_timestamp_seconds %.3f\n",
		              (double)st.last_observation_ms / 1000.0);
		family(out, "swarmwatch_store_lag_seconds", "gauge",
		       "How far the newest observation in the store is behind the clock.");
		sw_buf_printf(out, "swarmwatch_store_lag_seconds %.3f\n",
		              (double)(now_ms - st.last_observation_ms) / 1000.0);
	}
	extras(out, extra, n_extra);
	if (out->max - out->len < SLACK)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "metrics: larger than %zu bytes", out->max);
	return SW_OK;
}
