/*
 * report.c - `swarmwatch report`: the article's table from a store file.
 *
 * Opens the store read-only (a daemon may be writing it), builds the
 * report as of --as-of, and writes it as a table, CSV, JSON or a
 * self-contained HTML page to stdout or --output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/time.h"
#include "report/html.h"
#include "report/report.h"
#include "store/query.h"

#define DEFAULT_DB "swarmwatch.db"

static void usage(FILE *f)
{
	fputs("usage: swarmwatch report [options]\n"
	      "\n"
	      "Unique IP addresses per title, by evidence tier, from a store file.\n"
	      "\n"
	      "  --db FILE          the store (default " DEFAULT_DB ")\n"
	      "  --as-of TIME       count what was observed up to TIME (default now)\n"
	      "  --since TIME       only addresses last seen at or after TIME\n"
	      "  --title NAME       one title: \"Fury\" or \"Fury (2014)\"\n"
	      "  --by KEY           add a breakdown: country, asn, day or torrent\n"
	      "  --tier TIER        order and rank by seen (default), connectable or verified\n"
	      "  --format FORMAT    table (default), csv, json or html\n"
	      "  --output FILE      write to FILE instead of standard output\n"
	      "  -h, --help         show this help\n"
	      "\n"
	      "TIME: now, -24h (relative), 2014-12-01T19:00:00Z, 2014-12-01 11:00+01:00,\n"
	      "or a local time and an IANA zone: \"2014-12-01 11:00 America/Los_Angeles\".\n",
	      f);
}

struct args {
	const char *db, *output;
	struct sw_report_opts o;
};

static int parse_args(struct args *a, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"db", required_argument, NULL, 'd'},     {"as-of", required_argument, NULL, 'a'},
	    {"since", required_argument, NULL, 's'},  {"title", required_argument, NULL, 't'},
	    {"by", required_argument, NULL, 'b'},     {"tier", required_argument, NULL, 'T'},
	    {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	int64_t now = sw_time_wall_ms();
	int c, idx;

	a->db = DEFAULT_DB;
	sw_report_opts_init(&a->o, now);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, &idx)) != -1) {
		struct sw_errbuf eb = {{0}};

		switch (c) {
		case 'd': a->db = optarg; break;
		case 'o': a->output = optarg; break;
		case 'h': usage(stdout); exit(SW_EXIT_OK);
		case 'a':
		case 's':
		case 't':
		case 'b':
		case 'T':
		case 'f':
			if (sw_report_opts_set(&a->o, lo[idx].name, optarg, now, &eb) != SW_OK) {
				fprintf(stderr, "swarmwatch: report: --%s\n", eb.msg);
				return SW_EXIT_USAGE;
			}
			break;
		default: usage(stderr); return SW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "swarmwatch: report: unexpected argument '%s'\n", argv[optind]);
		return SW_EXIT_USAGE;
	}
	return SW_EXIT_OK;
}

static int render(const struct sw_report *r, struct sw_buf *out, struct sw_errbuf *eb)
{
	switch (r->o.format) {
	case SW_REPORT_CSV: return sw_report_csv(r, out);
	case SW_REPORT_JSON: return sw_report_json(r, out);
	case SW_REPORT_HTML: return sw_report_html(r, NULL, out, eb);
	default: return sw_report_table(r, out);
	}
}

/* Write out to path via a temporary file, so a reader never sees half. */
static int write_file(const char *path, const struct sw_buf *out)
{
	size_t n = strlen(path) + 8;
	char *tmp = malloc(n);
	FILE *f;
	int rc = SW_EXIT_FAILURE;

	if (tmp == NULL)
		return SW_EXIT_FAILURE;
	snprintf(tmp, n, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		fprintf(stderr, "swarmwatch: report: %s: %s\n", tmp, strerror(errno));
	} else {
		rc = sw_cmd_write_out(f, out->data, out->len);
		if (fclose(f) != 0 && rc == SW_EXIT_OK)
			rc = SW_EXIT_FAILURE;
		if (rc == SW_EXIT_OK && rename(tmp, path) != 0) {
			fprintf(stderr, "swarmwatch: report: %s: %s\n", path, strerror(errno));
			rc = SW_EXIT_FAILURE;
		}
		if (rc != SW_EXIT_OK)
			remove(tmp);
	}
	free(tmp);
	return rc;
}

int sw_cmd_report(int argc, char **argv)
{
	struct args a = {0};
	struct sw_errbuf eb = {{0}};
	struct sw_query *q = NULL;
	struct sw_report *r = NULL;
	struct sw_buf out;
	int rc, ex;

	ex = parse_args(&a, argc, argv);
	if (ex != SW_EXIT_OK)
		return ex;
	sw_buf_init(&out, SW_REPORT_OUT_MAX);
	rc = sw_query_open(a.db, &q, &eb);
	if (rc == SW_OK)
		rc = sw_report_build(q, &a.o, a.o.format == SW_REPORT_HTML, &r, &eb);
	if (rc == SW_OK) {
		rc = render(r, &out, &eb);
		if (rc != SW_OK && !eb.msg[0])
			snprintf(eb.msg, sizeof(eb.msg), "report: %s", sw_strerror(rc));
	}
	if (rc != SW_OK) {
		fprintf(stderr, "swarmwatch: report: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
		ex = rc == SW_E_NOT_FOUND || rc == SW_E_INVALID || rc == SW_E_UNSUPPORTED
		         ? SW_EXIT_USAGE
		         : SW_EXIT_FAILURE;
	} else if (a.output != NULL) {
		ex = write_file(a.output, &out);
	} else {
		ex = sw_cmd_write_out(stdout, out.data ? out.data : (const uint8_t *)"", out.len);
	}
	sw_buf_deinit(&out);
	sw_report_free(r);
	sw_query_close(q);
	return ex;
}
