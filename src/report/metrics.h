/*
 * metrics.h - the store's state in the Prometheus text exposition format
 * (version 0.0.4), for `swarmwatch serve`'s /metrics.
 *
 * Everything is read from the store file, so it is true whichever process
 * writes it: swarms watched and linked, unique peers per title and tier
 * (all time), observations and scrapes recorded, how far the newest
 * observation is behind the clock (store lag) and how many observations
 * wait to be folded into the peer tables.  The caller adds its own
 * counters (requests, errors) as sw_metric_counter entries.
 */
#ifndef SW_REPORT_METRICS_H
#define SW_REPORT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "store/query.h"

/* One sample of a caller's counter family: name{label="value"} n. */
struct sw_metric_sample {
	const char *label_value;
	uint64_t n;
};

struct sw_metric_family {
	const char *name; /* e.g. "swarmwatch_http_requests_total" */
	const char *help;
	const char *label; /* label name, e.g. "path"; NULL for one unlabelled sample */
	const struct sw_metric_sample *samples;
	size_t n_samples;
};

/*
 * Append the metrics of the store behind q (read in one snapshot), then
 * the caller's families, to out.  now_ms is the clock the lag is measured
 * against.  Store errors as store/query.h; SW_E_TOO_BIG at out's cap.
 */
int sw_report_metrics(struct sw_query *q, int64_t now_ms, const struct sw_metric_family *extra,
                      size_t n_extra, struct sw_buf *out, struct sw_errbuf *eb);

#endif /* SW_REPORT_METRICS_H */
