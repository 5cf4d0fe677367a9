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
#include <stdbool.h>
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

/*
 * The writing daemon's counters (daemon_stats, schema 5).  Rows come
 * ordered by name, so a family's samples are together.  A name must be a
 * metric name and labels "" or one "key=value" (the value escaped here);
 * anything else in the file is skipped, never printed raw.
 */
static const struct {
	const char *name, *help;
} daemon_help[] = {
    {"swarmwatch_daemon_errors_total", "Errors the writing daemon met, by kind."},
    {"swarmwatch_daemon_messages_total", "Messages the writing daemon exchanged, by kind."},
    {"swarmwatch_daemon_peers", "Unique addresses the writing daemon holds in memory, by tier."},
    {"swarmwatch_daemon_swarms", "Swarms the writing daemon watches, by state."},
    {"swarmwatch_daemon_uptime_seconds", "How long the writing daemon has been running."},
};

struct daemon_out {
	struct sw_buf *out;
	char last[128];
	int64_t updated_ms;
};

static bool metric_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
		      (i > 0 && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static void daemon_stat(void *ctx, const char *name, const char *labels, int64_t value,
                        int64_t updated_ms)
{
	struct daemon_out *d = ctx;
	const char *eq = strchr(labels, '=');
	size_t len = strlen(name);

	if (strncmp(name, "swarmwatch_daemon_", 18) != 0 || !metric_name_ok(name, len) ||
	    (labels[0] && (eq == NULL || !metric_name_ok(labels, (size_t)(eq - labels)))))
		return; /* only the daemon's own families, never one of ours twice */
	if (strcmp(d->last, name) != 0) {
		const char *help = "Reported by the writing daemon.";

		for (size_t i = 0; i < sizeof(daemon_help) / sizeof(daemon_help[0]); i++)
			if (strcmp(daemon_help[i].name, name) == 0)
				help = daemon_help[i].help;
		family(d->out, name,
		       len > 6 && strcmp(name + len - 6, "_total") == 0 ? "counter" : "gauge", help);
		memcpy(d->last, name, len + 1);
	}
	sw_buf_puts(d->out, name);
	if (labels[0]) {
		sw_buf_putc(d->out, '{');
		sw_buf_printf(d->out, "%.*s=\"", (int)(eq - labels), labels);
		label_value(d->out, eq + 1);
		sw_buf_puts(d->out, "\"}");
	}
	sw_buf_printf(d->out, " %" PRId64 "\n", value);
	if (updated_ms > d->updated_ms)
		d->updated_ms = updated_ms;
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
	if (rc == SW_OK) {
		struct daemon_out d = {.out = out};

		rc = sw_query_daemon_stats(q, daemon_stat, &d, eb);
		if (rc == SW_OK && d.updated_ms > 0) {
			family(out, "swarmwatch_daemon_stats_timestamp_seconds", "gauge",
			       "When the writing daemon last wrote its counters into the store.");
			sw_buf_printf(out, "swarmwatch_daemon_stats_timestamp_seconds %.3f\n",
			              (double)d.updated_ms / 1000.0);
		}
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
