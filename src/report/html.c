/*
 * html.c - the report as a self-contained page with SVG charts (html.h).
 *
 * Charts are drawn in a fixed pixel geometry (CHART_W wide), so the page
 * lays out the same in every browser and a screenshot test knows what to
 * expect.  Axes get "nice" ticks (1, 2 or 5 times a power of ten, at most
 * MAX_TICKS); times are UTC.  Tier colours are the same everywhere: a
 * colour-blind-safe blue, orange and green.  Every data mark carries a
 * <title>, which browsers show as a tooltip, so exact values are one hover
 * away without any script.
 */
#include "report/html.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/when.h"

#define CHART_W       1000
#define LINE_H        300
#define BARS_H        240
#define PAD_L         80
#define PAD_R         24
#define PAD_T         40
#define PAD_B         44
#define COUNTRY_ROW   26
#define MAX_COUNTRIES 12
#define MAX_TICKS     5
#define SLACK         8192 /* see format.c */

static const char *const tier_names[SW_QUERY_TIERS] = {"seen", "connectable", "verified"};
static const char *const tier_colors[SW_QUERY_TIERS] = {"#4e79a7", "#f28e2b", "#59a14f"};

struct frame {
	double x0, y0, w, h; /* plot area */
	int64_t ymax, ystep;
};

static void esc(struct sw_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sw_buf_puts(out, "&amp;"); break;
		case '<': sw_buf_puts(out, "&lt;"); break;
		case '>': sw_buf_puts(out, "&gt;"); break;
		case '"': sw_buf_puts(out, "&quot;"); break;
		case '\'': sw_buf_puts(out, "&#39;"); break;
		default: sw_buf_putc(out, (uint8_t)*s); break;
		}
	}
}

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

/* Ticks for 0..max: step 1, 2 or 5 times 10^k, at most MAX_TICKS of them. */
static void nice_axis(int64_t max, int64_t *ymax, int64_t *ystep)
{
	static const int64_t mult[] = {1, 2, 5};
	int64_t p = 1;

	if (max < 1)
		max = 1;
	for (;;) {
		for (size_t i = 0; i < 3; i++) {
			int64_t step = mult[i] * p;

			if ((max + step - 1) / step <= MAX_TICKS) {
				*ystep = step;
				*ymax = (max + step - 1) / step * step;
				return;
			}
		}
		p *= 10;
	}
}

static double ypos(const struct frame *f, int64_t v)
{
	return f->y0 + f->h - f->h * (double)v / (double)f->ymax;
}

/* "12-01 19:00" for short spans, "2014-12-01" for long ones. */
static void time_label(int64_t ms, int64_t span_ms, char out[SW_WHEN_ISO_LEN])
{
	char iso[SW_WHEN_ISO_LEN];

	sw_when_format_utc(ms, iso);
	if (span_ms <= 2 * 86400000LL)
		snprintf(out, SW_WHEN_ISO_LEN, "%.5s %.5s", iso + 5, iso + 11);
	else
		snprintf(out, SW_WHEN_ISO_LEN, "%.10s", iso);
}

static void bucket_name(int64_t ms, char *out, size_t n)
{
	const int64_t day = 86400000, hour = 3600000, min = 60000;

	if (ms % day == 0)
		snprintf(out, n, ms == day ? "day" : "%" PRId64 " days", ms / day);
	else if (ms % hour == 0)
		snprintf(out, n, ms == hour ? "hour" : "%" PRId64 " hours", ms / hour);
	else
		snprintf(out, n, ms == min ? "minute" : "%" PRId64 " minutes", ms / min);
}

static void svg_begin(struct sw_buf *out, const char *kind, const struct sw_report_title *t,
                      int height, size_t points, const char *heading)
{
	sw_buf_printf(out,
	              "<svg class=\"chart\" data-chart=\"%s\" data-points=\"%zu\" data-title=\"",
	              kind, points);
	esc(out, t->name);
	sw_buf_printf(out,
	              "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>",
	              CHART_W, height, CHART_W, height);
	esc(out, heading);
	sw_buf_printf(out,
	              "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	              "<text x=\"%d\" y=\"22\" class=\"h\">",
	              CHART_W, height, PAD_L);
	esc(out, heading);
	sw_buf_puts(out, "</text>");
}

/* Horizontal grid lines and count labels on the left. */
static void y_axis(struct sw_buf *out, const struct frame *f)
{
	char num[32];

	for (int64_t v = 0; v <= f->ymax; v += f->ystep) {
		double y = ypos(f, v);

		sw_buf_printf(out,
		              "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>"
		              "<text x=\"%.1f\" y=\"%.1f\" class=\"yl\">%s</text>",
		              f->x0, f->x0 + f->w, y, y, v ? "g" : "ax", f->x0 - 8, y + 4,
		              thousands(v, num));
	}
	sw_buf_printf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"ax\"/>",
	              f->x0, f->x0, f->y0, f->y0 + f->h);
}

/* Time labels under the plot: about six, on bucket boundaries. */
static void x_axis(struct sw_buf *out, const struct sw_report *r, const struct frame *f)
{
	int64_t span = (int64_t)r->n_buckets * r->bucket_ms;
	size_t every = r->n_buckets / 6 + 1;
	char label[SW_WHEN_ISO_LEN];

	for (size_t i = 0; i <= r->n_buckets; i += every) {
		double x = f->x0 + f->w * (double)i / (double)r->n_buckets;

		/* The labels at the ends hang inwards, not past the chart's edge. */
		const char *anchor = i == 0 ? " style=\"text-anchor:start\""
		                     : x > f->x0 + f->w * 0.9 ? " style=\"text-anchor:end\"" : "";

		time_label(r->series_start_ms + (int64_t)i * r->bucket_ms, span, label);
		sw_buf_printf(out,
		              "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"ax\"/>"
		              "<text x=\"%.1f\" y=\"%.1f\" class=\"xl\"%s>%s</text>",
		              x, x, f->y0 + f->h, f->y0 + f->h + 5, x, f->y0 + f->h + 20, anchor, label);
	}
	sw_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"xt\">time (UTC)</text>",
	              f->x0 + f->w / 2, f->y0 + f->h + 38);
}

static void legend(struct sw_buf *out, int tiers_from, int tiers_to)
{
	double x = CHART_W - PAD_R - 330;

	for (int t = tiers_from; t < tiers_to; t++, x += 110)
		sw_buf_printf(out,
		              "<rect x=\"%.1f\" y=\"12\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		              "<text x=\"%.1f\" y=\"22\" class=\"lg\">%s</text>",
		              x, tier_colors[t], x + 17, tier_names[t]);
}

static void no_data(struct sw_buf *out, int height)
{
	sw_buf_printf(out,
	              "<text x=\"%d\" y=\"%d\" class=\"nd\">no addresses in this window</text>",
	              CHART_W / 2, height / 2);
}

static void cumulative_chart(struct sw_buf *out, const struct sw_report *r,
                             const struct sw_report_title *t)
{
	struct frame f = {PAD_L, PAD_T, CHART_W - PAD_L - PAD_R, LINE_H - PAD_T - PAD_B, 0, 0};
	size_t points = t->unique[SW_TIER_SEEN] > 0 ? r->n_buckets + 1 : 0;
	int64_t total[SW_QUERY_TIERS] = {0};
	char label[SW_WHEN_ISO_LEN], num[32];

	for (size_t i = 0; i < r->n_buckets; i++)
		for (int k = 0; k < SW_QUERY_TIERS; k++)
			total[k] += t->series[i][k];
	svg_begin(out, "cumulative", t, LINE_H, points * SW_QUERY_TIERS,
	          "Unique IP addresses, cumulative");
	nice_axis(total[SW_TIER_SEEN], &f.ymax, &f.ystep);
	y_axis(out, &f);
	if (points == 0) {
		no_data(out, LINE_H);
		sw_buf_puts(out, "</svg>\n");
		return;
	}
	x_axis(out, r, &f);
	legend(out, 0, SW_QUERY_TIERS);
	/* Weakest first, so where tiers coincide the strongest shows on top. */
	for (int k = 0; k < SW_QUERY_TIERS; k++) {
		int64_t cum = 0;

		sw_buf_printf(
		    out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"",
		    tier_colors[k]);
		for (size_t i = 0; i <= r->n_buckets; i++) {
			cum += i ? t->series[i - 1][k] : 0;
			sw_buf_printf(out, "%.1f,%.1f ",
			              f.x0 + f.w * (double)i / (double)r->n_buckets, ypos(&f, cum));
		}
		sw_buf_puts(out, "\"/>");
		cum = 0;
		for (size_t i = 0; i <= r->n_buckets; i++) {
			cum += i ? t->series[i - 1][k] : 0;
			time_label(r->series_start_ms + (int64_t)i * r->bucket_ms, 0, label);
			sw_buf_printf(
			    out,
			    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s "
			    "UTC: %s %s</title></circle>",
			    f.x0 + f.w * (double)i / (double)r->n_buckets, ypos(&f, cum),
			    tier_colors[k], label, thousands(cum, num), tier_names[k]);
		}
	}
	sw_buf_puts(out, "</svg>\n");
}

static void new_chart(struct sw_buf *out, const struct sw_report *r,
                      const struct sw_report_title *t)
{
	struct frame f = {PAD_L, PAD_T, CHART_W - PAD_L - PAD_R, BARS_H - PAD_T - PAD_B, 0, 0};
	int64_t max = 0;
	size_t marks = 0;
	char heading[64], width[32], label[SW_WHEN_ISO_LEN], num[32];
	double slot, bw;

	for (size_t i = 0; i < r->n_buckets; i++)
		for (int k = 0; k < SW_QUERY_TIERS; k++) {
			max = t->series[i][k] > max ? t->series[i][k] : max;
			marks += t->series[i][k] > 0;
		}
	bucket_name(r->bucket_ms, width, sizeof(width));
	snprintf(heading, sizeof(heading), "New unique IP addresses per %s", width);
	svg_begin(out, "new", t, BARS_H, marks, heading);
	nice_axis(max, &f.ymax, &f.ystep);
	y_axis(out, &f);
	if (marks == 0) {
		no_data(out, BARS_H);
		sw_buf_puts(out, "</svg>\n");
		return;
	}
	x_axis(out, r, &f);
	legend(out, 0, SW_QUERY_TIERS);
	slot = f.w / (double)r->n_buckets;
	bw = slot * 0.8 / SW_QUERY_TIERS;
	for (size_t i = 0; i < r->n_buckets; i++) {
		time_label(r->series_start_ms + (int64_t)i * r->bucket_ms, 0, label);
		for (int k = 0; k < SW_QUERY_TIERS; k++) {
			int64_t v = t->series[i][k];
			double y = ypos(&f, v);

			if (v == 0)
				continue;
			sw_buf_printf(out,
			              "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
			              "fill=\"%s\"><title>%s UTC: %s new %s</title></rect>",
			              f.x0 + slot * (double)i + slot * 0.1 + bw * k, y, bw,
			              f.y0 + f.h - y, tier_colors[k], label, thousands(v, num),
			              tier_names[k]);
		}
	}
	sw_buf_puts(out, "</svg>\n");
}

static void countries_chart(struct sw_buf *out, const struct sw_report *r,
                            const struct sw_report_title *t)
{
	size_t n = t->n_countries < MAX_COUNTRIES ? t->n_countries : MAX_COUNTRIES;
	int height = PAD_T + (int)(n ? n : 2) * COUNTRY_ROW + 30;
	struct frame f = {PAD_L, PAD_T, CHART_W - PAD_L - PAD_R - 90, 0, 0, 0};
	int64_t max = 0;
	size_t marks = 0;
	char num[32], heading[64];

	for (size_t i = 0; i < n; i++) {
		max = t->countries[i].n[SW_TIER_SEEN] > max ? t->countries[i].n[SW_TIER_SEEN] : max;
		for (int k = 0; k < SW_QUERY_TIERS; k++)
			marks += t->countries[i].n[k] > 0;
	}
	snprintf(heading, sizeof(heading), "Countries (top %d by %s)", MAX_COUNTRIES,
	         tier_names[r->o.tier]);
	svg_begin(out, "countries", t, height, marks, heading);
	if (marks == 0) {
		no_data(out, height);
		sw_buf_puts(out, "</svg>\n");
		return;
	}
	legend(out, 0, SW_QUERY_TIERS);
	nice_axis(max, &f.ymax, &f.ystep);
	for (size_t i = 0; i < n; i++) {
		const struct sw_query_row *c = &t->countries[i];
		double y = PAD_T + (double)i * COUNTRY_ROW;

		sw_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"yl\">%s</text>", f.x0 - 8,
		              y + 16, c->key);
		for (int k = 0; k < SW_QUERY_TIERS; k++) {
			double w = f.w * (double)c->n[k] / (double)f.ymax;

			if (c->n[k] == 0)
				continue;
			sw_buf_printf(out,
			              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" "
			              "fill=\"%s\"><title>%s: %s %s</title></rect>",
			              f.x0, y + 3 + 7 * k, w < 1 ? 1 : w, tier_colors[k], c->key,
			              thousands(c->n[k], num), tier_names[k]);
		}
		sw_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"vl\">%s</text>",
		              f.x0 + f.w * (double)c->n[SW_TIER_SEEN] / (double)f.ymax + 6, y + 16,
		              thousands(c->n[SW_TIER_SEEN], num));
	}
	sw_buf_printf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.1f\" class=\"ax\"/>",
	              f.x0, f.x0, PAD_T, PAD_T + (double)n * COUNTRY_ROW);
	sw_buf_puts(out, "</svg>\n");
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "margin:0;background:#f4f5f7;color:#1d2330}"
    "main{width:1040px;margin:0 auto;padding:24px 0 48px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px}"
    ".sub{color:#5b6475;margin:0 0 20px}"
    "table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}"
    "th,td{padding:7px 10px;border-bottom:1px solid #e3e6eb;text-align:right}"
    "th{background:#eef0f4;font-weight:600}th:first-child,td:first-child,.c{text-align:left}"
    ".chart{display:block;margin:12px 0;border:1px solid #e3e6eb;border-radius:4px}"
    ".h{font-size:15px;font-weight:600;fill:#1d2330}"
    ".yl{font-size:12px;fill:#5b6475;text-anchor:end}"
    ".xl{font-size:12px;fill:#5b6475;text-anchor:middle}"
    ".xt{font-size:12px;fill:#5b6475;text-anchor:middle}"
    ".vl{font-size:12px;fill:#1d2330}.lg{font-size:13px;fill:#1d2330}"
    ".nd{font-size:14px;fill:#8a93a3;text-anchor:middle}"
    ".g{stroke:#e3e6eb;stroke-width:1}.ax{stroke:#8a93a3;stroke-width:1}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:5px}"
    "footer{color:#8a93a3;font-size:12px;margin-top:32px}";

static void summary_table(struct sw_buf *out, const struct sw_report *r)
{
	char num[32];

	sw_buf_puts(out, "<table><tr><th>Title</th><th>Year</th><th>Torrents</th>");
	for (int k = 0; k < SW_QUERY_TIERS; k++)
		sw_buf_printf(out, "<th><span class=\"sw\" style=\"background:%s\"></span>%s</th>",
		              tier_colors[k], tier_names[k]);
	sw_buf_printf(out, "<th class=\"c\">Top countries (%s)</th></tr>\n", tier_names[r->o.tier]);
	for (size_t i = 0; i < r->n_titles; i++) {
		const struct sw_report_title *t = &r->titles[i];

		sw_buf_puts(out, "<tr><td>");
		esc(out, t->name);
		if (t->year)
			sw_buf_printf(out, "</td><td>%d", t->year);
		else
			sw_buf_puts(out, "</td><td>");
		sw_buf_printf(out, "</td><td>%" PRId64 "</td>", t->torrents);
		for (int k = 0; k < SW_QUERY_TIERS; k++)
			sw_buf_printf(out, "<td>%s</td>", thousands(t->unique[k], num));
		sw_buf_puts(out, "<td class=\"c\">");
		for (size_t c = 0; c < t->n_countries && c < SW_REPORT_TOP_COUNTRIES; c++)
			sw_buf_printf(out, "%s%s %s", c ? ", " : "", t->countries[c].key,
			              thousands(t->countries[c].n[r->o.tier], num));
		sw_buf_puts(out, "</td></tr>\n");
	}
	if (r->n_titles == 0)
		sw_buf_puts(out, "<tr><td colspan=\"7\">No titles in the store.</td></tr>\n");
	sw_buf_puts(out, "</table>\n");
}

int sw_report_html(const struct sw_report *r, const struct sw_report_html_opts *ho,
                   struct sw_buf *out, struct sw_errbuf *eb)
{
	char iso[SW_WHEN_ISO_LEN], label[SW_REPORT_TITLE_MAX + 16];

	sw_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
	if (ho != NULL && ho->refresh_s > 0)
		sw_buf_printf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n", ho->refresh_s);
	sw_buf_printf(out, "<title>swarmwatch report, as of %s</title>\n<style>%s</style>\n",
	              sw_when_format_utc(r->o.as_of_ms, iso), style);
	sw_buf_printf(out,
	              "</head><body><main>\n<h1>Unique IP addresses per title</h1>\n"
	              "<p class=\"sub\">As of %s",
	              iso);
	if (r->o.since_ms != SW_QUERY_NO_SINCE)
		sw_buf_printf(out, ", active since %s", sw_when_format_utc(r->o.since_ms, iso));
	sw_buf_puts(out, ". An address counts at a tier once it reached that tier or a "
	                 "stronger one: seen (named by a tracker, the DHT or a peer), "
	                 "connectable (completed a handshake), verified (showed it holds "
	                 "data).</p>\n");
	summary_table(out, r);
	for (size_t i = 0; i < r->n_titles; i++) {
		const struct sw_report_title *t = &r->titles[i];

		if (t->year)
			snprintf(label, sizeof(label), "%s (%d)", t->name, t->year);
		else
			snprintf(label, sizeof(label), "%s", t->name);
		sw_buf_puts(out, "<section><h2>");
		esc(out, label);
		sw_buf_puts(out, "</h2>\n");
		if (r->n_buckets > 0 && t->series != NULL) {
			cumulative_chart(out, r, t);
			new_chart(out, r, t);
		}
		countries_chart(out, r, t);
		sw_buf_puts(out, "</section>\n");
	}
	/* The default geo data is CC BY 4.0 and owes its credit (docs/geo.md). */
	sw_buf_printf(out,
		      "<footer>swarmwatch %s. Countries: IP Geolocation by DB-IP (dbip.com, CC BY "
		      "4.0); networks: RouteViews, NRO and DB-IP data via ip-location-db (CC BY "
		      "4.0), when those databases were used.</footer>\n</main></body></html>\n",
		      SW_VERSION);
	if (out->max - out->len < SLACK)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "report: HTML larger than %zu bytes",
		                     out->max);
	return SW_OK;
}
