/*
 * match.c - `swarmwatch match --watchlist FILE [--json] NAME...`: which
 * watched title each release name is, and why.
 *
 * One output line per name, in order: a readable verdict, or one JSON
 * object with --json.  NAME `-` reads names from stdin, one per line
 * (lines longer than LINE_MAX_READ bytes are cut; the parser looks at the
 * first SW_RELEASE_MAX_NAME bytes anyway).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "watch/match.h"
#include "watch/release.h"
#include "watch/watchlist.h"

#define LINE_MAX_READ 4096
#define OUT_MAX       (64u * 1024u)

struct run {
	const struct sw_watchlist *w;
	const struct sw_matcher *m;
	bool json;
	struct sw_buf out;
};

static void usage(FILE *f)
{
	fputs("usage: swarmwatch match --watchlist FILE [--json] NAME...\n"
	      "\n"
	      "Parse each release name (a torrent's name, or a path from its file\n"
	      "list) and tell which title of the watchlist it is, with a score\n"
	      "(0..100) and the reason.  NAME '-' reads names from stdin, one per line.\n"
	      "\n"
	      "  -w, --watchlist FILE  the watchlist (see examples/sony-2014.ini)\n"
	      "      --json            one JSON object per name:\n"
	      "                        {\"name\", \"title\", \"year\", \"source\",\n"
	      "                         \"resolution\", \"group\", \"score\", \"reason\"}\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "Exit status: 0 names were judged (matched or not), 1 runtime failure,\n"
	      "2 bad usage or a bad watchlist.\n",
	      f);
}

/*
 * The release group as written in the name ("CM8", not the parser's
 * lowercase "cm8"): the last occurrence of the word between non-word
 * characters, or the normalized word when the name spells it otherwise.
 */
static void group_as_written(const char *name, size_t len, const char *word, char *out,
                             size_t outlen)
{
	size_t wl = strnlen(word, outlen - 1);

	memcpy(out, word, wl);
	out[wl] = '\0';
	for (size_t i = len >= wl ? len - wl + 1 : 0; i-- > 0;) {
		if (strncasecmp(name + i, word, wl) != 0)
			continue;
		if ((i > 0 && isalnum((unsigned char)name[i - 1])) ||
		    (i + wl < len && isalnum((unsigned char)name[i + wl])))
			continue;
		snprintf(out, outlen, "%.*s", (int)wl, name + i);
		return;
	}
}

static int judge(struct run *run, const char *name, size_t len)
{
	struct sw_release r;
	struct sw_match_result res;
	char group[SW_WORD_MAX_LEN + 1] = "", res_str[16] = "";
	const char *title = NULL;
	struct sw_json j;
	int rc;

	if (sw_release_parse(name, len, &r) != SW_OK || sw_match_title(run->m, &r, &res) != SW_OK)
		return SW_EXIT_FAILURE;
	if (res.matched)
		title = run->w->titles[res.title].name;
	if (r.group >= 0)
		group_as_written(name, len, sw_words_at(&r.words, (size_t)r.group), group,
		                 sizeof group);
	if (r.resolution)
		snprintf(res_str, sizeof res_str, "%up", (unsigned)r.resolution);
	sw_buf_reset(&run->out);
	if (!run->json) {
		sw_buf_printf(&run->out, "%.*s -> %s (score %d: %s)\n", (int)len, name,
		              title ? title : "-", res.score, res.reason);
		return sw_cmd_write_out(stdout, run->out.data, run->out.len);
	}
	sw_json_init(&j, &run->out);
	sw_json_obj_begin(&j);
	sw_json_key(&j, "name");
	sw_json_strn(&j, name, len);
	sw_json_key(&j, "title");
	sw_json_str(&j, title);
	sw_json_key(&j, "year");
	if (r.year)
		sw_json_uint(&j, r.year);
	else
		sw_json_null(&j);
	sw_json_key(&j, "source");
	sw_json_str(&j, r.source ? sw_release_source_name(r.source) : NULL);
	sw_json_key(&j, "resolution");
	sw_json_str(&j, r.resolution ? res_str : NULL);
	sw_json_key(&j, "group");
	sw_json_str(&j, group[0] ? group : NULL);
	sw_json_key(&j, "score");
	sw_json_int(&j, res.score);
	sw_json_key(&j, "reason");
	sw_json_str(&j, res.reason);
	sw_json_obj_end(&j);
	rc = sw_json_error(&j);
	if (rc == SW_OK)
		rc = sw_buf_putc(&run->out, '\n');
	if (rc != SW_OK) {
		fprintf(stderr, "swarmwatch: match: %s\n", sw_strerror(rc));
		return SW_EXIT_FAILURE;
	}
	return sw_cmd_write_out(stdout, run->out.data, run->out.len);
}

/* Names from stdin, one per line; a line too long is cut, its rest skipped. */
static int judge_stdin(struct run *run)
{
	char line[LINE_MAX_READ + 1];
	int status = SW_EXIT_OK;

	while (status == SW_EXIT_OK && fgets(line, sizeof line, stdin) != NULL) {
		size_t n = strlen(line);
		bool cut = n > 0 && line[n - 1] != '\n' && !feof(stdin);

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (cut) {
			int ch;

			while ((ch = getchar()) != EOF && ch != '\n')
				;
		}
		if (n > 0)
			status = judge(run, line, n);
	}
	if (status == SW_EXIT_OK && ferror(stdin)) {
		fprintf(stderr, "swarmwatch: match: error reading stdin\n");
		status = SW_EXIT_FAILURE;
	}
	return status;
}

int sw_cmd_match(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"watchlist", required_argument, NULL, 'w'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sw_watchlist *w = NULL;
	struct sw_matcher *m = NULL;
	struct sw_errbuf eb = {{0}};
	const char *path = NULL;
	struct run run;
	int c, rc, status = SW_EXIT_OK;

	memset(&run, 0, sizeof run);
	optind = 1;
	while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w': path = optarg; break;
		case 'j': run.json = true; break;
		case 'h': usage(stdout); return SW_EXIT_OK;
		default: usage(stderr); return SW_EXIT_USAGE;
		}
	}
	if (path == NULL || optind >= argc) {
		fprintf(stderr, "swarmwatch: match: %s\n",
		        path == NULL ? "--watchlist FILE is required"
		                     : "expected at least one NAME");
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	rc = sw_watchlist_load(path, &w, &eb);
	if (rc == SW_OK && w->n_titles == 0)
		rc = sw_errbuf_set(&eb, SW_E_INVALID, "%s: no [title] sections", path);
	if (rc == SW_OK)
		rc = sw_matcher_new(w->specs, w->n_titles, &m, &eb);
	if (rc != SW_OK) {
		fprintf(stderr, "swarmwatch: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
		sw_watchlist_free(w);
		return rc == SW_E_NOMEM || rc == SW_E_IO ? SW_EXIT_FAILURE : SW_EXIT_USAGE;
	}
	run.w = w;
	run.m = m;
	sw_buf_init(&run.out, OUT_MAX);
	for (int i = optind; i < argc && status == SW_EXIT_OK; i++) {
		if (strcmp(argv[i], "-") == 0)
			status = judge_stdin(&run);
		else
			status = judge(&run, argv[i], strlen(argv[i]));
	}
	sw_buf_deinit(&run.out);
	sw_matcher_free(m);
	sw_watchlist_free(w);
	return status;
}
