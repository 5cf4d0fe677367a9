/*
 * html.h - a report as one self-contained HTML page with inline SVG charts.
 *
 * The page loads nothing: styles are inline, charts are SVG drawn here,
 * there is no script and no font, image or stylesheet from elsewhere, so
 * it can be mailed, archived or opened offline and shows the same.  Per
 * title it draws the cumulative unique addresses over time (one line per
 * tier), the new addresses per time bucket (bars) and the countries (bars).
 * Each chart is an <svg class="chart"> with data-chart (cumulative, new,
 * countries), data-title and data-points (marks drawn) attributes, which
 * tests and scrapers can rely on.  The report must be built with series
 * (sw_report_build(..., with_series = true)) for the time charts.
 */
#ifndef SW_REPORT_HTML_H
#define SW_REPORT_HTML_H

#include "core/buf.h"
#include "core/error.h"
#include "report/report.h"

struct sw_report_html_opts {
	int refresh_s; /* > 0: the page reloads itself every refresh_s seconds */
};

/* Append the page to out.  ho may be NULL (defaults).  SW_E_TOO_BIG at out's cap. */
int sw_report_html(const struct sw_report *r, const struct sw_report_html_opts *ho,
                   struct sw_buf *out, struct sw_errbuf *eb);

#endif /* SW_REPORT_HTML_H */
