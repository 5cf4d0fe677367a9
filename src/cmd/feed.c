/*
 * feed.c - `swarmwatch feed [--watchlist FILE] [--json] [SOURCE...]`: poll
 * RSS / Torznab feeds the way the watch daemon does (feedpoll.h on the
 * loop, HTTP through curl) and print every new item, matched to the
 * watchlist's titles when one is given.  For checking a feed before
 * putting it in a watchlist, and for testing the poller end to end.
 *
 * Each feed is polled --polls times, --interval apart; the command ends
 * when every feed has had its polls.  A feed that fails is reported on
 * stderr and the others go on; the exit status is 1 when any poll failed.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hex.h"
#include "core/json.h"
#include "core/time.h"
#include "net/http.h"
#include "net/loop.h"
#include "watch/feedpoll.h"
#include "watch/match.h"
#include "watch/release.h"
#include "watch/watchlist.h"

#define OUT_MAX      (64u * 1024u)
#define MAX_POLLS    1000
#define DEF_INTERVAL 1000 /* ms between polls of a SOURCE given on the command line */

struct run {
	struct sw_loop loop;
	const struct sw_watchlist *w;
	const struct sw_matcher *m;
	bool json;
	unsigned polls;       /* per feed */
	size_t n_feeds, done; /* feeds that had all their polls */
	unsigned failed;
	int status;
	struct sw_buf out;
};

static void usage(FILE *f)
{
	fputs("usage: swarmwatch feed [--watchlist FILE] [--json] [--polls N]\n"
	      "                       [--interval DURATION] [--max-bytes N] [SOURCE...]\n"
	      "\n"
	      "Fetch RSS 2.0 / Torznab feeds (http(s) URLs or files), as the watch\n"
	      "daemon does, and print each new item: title, infohash, magnet or\n"
	      "link, size, seeders, peers; with --watchlist, the title it matches.\n"
	      "Without SOURCE, the watchlist's [feed] sections are polled.\n"
	      "\n"
	      "  -w, --watchlist FILE   match items to its titles (and its feeds)\n"
	      "      --json             one JSON object per item\n"
	      "  -n, --polls N          poll each feed N times (default 1); items\n"
	      "                         seen in an earlier poll are not printed again\n"
	      "  -i, --interval DUR     time between polls of a SOURCE (default 1s)\n"
	      "      --max-bytes N      refuse documents larger than N bytes (16 MiB)\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "A failing feed (network error, HTML page, malformed XML, too big) is\n"
	      "reported on stderr; the others go on.  Exit status: 0 every poll\n"
	      "succeeded, 1 some failed, 2 bad usage or a bad watchlist.\n",
	      f);
}

static void print_text(struct run *run, const char *feed, const struct sw_feed_item *it,
                       const struct sw_match_result *res)
{
	char ih[2 * SW_INFOHASH_LEN + 1] = "-";

	if (it->has_infohash)
		sw_hex_encode(it->infohash, SW_INFOHASH_LEN, ih);
	sw_buf_printf(&run->out, "%s\t%s\t%s\t%s", feed, ih, it->title,
	              it->magnet[0] ? it->magnet
	              : it->url[0]  ? it->url
	                            : "-");
	if (res != NULL)
		sw_buf_printf(&run->out, "\t-> %s (score %d: %s)",
		              res->matched ? run->w->titles[res->title].name : "-", res->score,
		              res->reason);
	sw_buf_putc(&run->out, '\n');
}

static void json_count(struct sw_json *j, const char *key, int64_t v)
{
	sw_json_key(j, key);
	if (v >= 0)
		sw_json_int(j, v);
	else
		sw_json_null(j);
}

static void print_json(struct run *run, const char *feed, const struct sw_feed_item *it,
                       const struct sw_match_result *res)
{
	char ih[2 * SW_INFOHASH_LEN + 1];
	struct sw_json j;

	sw_json_init(&j, &run->out);
	sw_json_obj_begin(&j);
	sw_json_key(&j, "feed");
	sw_json_str(&j, feed);
	sw_json_key(&j, "title");
	sw_json_str(&j, it->title);
	sw_json_key(&j, "infohash");
	if (it->has_infohash) {
		sw_hex_encode(it->infohash, SW_INFOHASH_LEN, ih);
		sw_json_str(&j, ih);
	} else {
		sw_json_null(&j);
	}
	sw_json_key(&j, "magnet");
	sw_json_str(&j, it->magnet[0] ? it->magnet : NULL);
	sw_json_key(&j, "url");
	sw_json_str(&j, it->url[0] ? it->url : NULL);
	json_count(&j, "size", it->size);
	json_count(&j, "seeders", it->seeders);
	json_count(&j, "peers", it->peers);
	json_count(&j, "pub_date", it->pub_date);
	if (res != NULL) {
		sw_json_key(&j, "match");
		sw_json_str(&j, res->matched ? run->w->titles[res->title].name : NULL);
		sw_json_key(&j, "score");
		sw_json_int(&j, res->score);
		sw_json_key(&j, "reason");
		sw_json_str(&j, res->reason);
	}
	sw_json_obj_end(&j);
	if (sw_json_error(&j) == SW_OK)
		sw_buf_putc(&run->out, '\n');
}

static void on_item(void *ctx, const char *feed, const struct sw_feed_item *it)
{
	struct run *run = ctx;
	struct sw_match_result res;
	struct sw_release r;
	bool matched = false;

	if (run->m != NULL && sw_release_parse(it->title, strlen(it->title), &r) == SW_OK &&
	    sw_match_title(run->m, &r, &res) == SW_OK)
		matched = true;
	sw_buf_reset(&run->out);
	if (run->json)
		print_json(run, feed, it, matched ? &res : NULL);
	else
		print_text(run, feed, it, matched ? &res : NULL);
	if (sw_cmd_write_out(stdout, run->out.data, run->out.len) != SW_EXIT_OK) {
		run->status = SW_EXIT_FAILURE;
		sw_loop_stop(&run->loop);
	}
}

static void on_report(void *ctx, const struct sw_feedpoll_report *r)
{
	struct run *run = ctx;

	if (r->rc != SW_OK) {
		run->failed++;
		fprintf(stderr, "swarmwatch: feed %s: poll %u: %s\n", r->feed, r->poll, r->error);
	} else {
		fprintf(stderr,
		        "swarmwatch: feed %s: poll %u: %zu items, %zu new, %zu skipped (%zu "
		        "bytes)%s%s\n",
		        r->feed, r->poll, r->items, r->fresh, r->skipped, r->bytes,
		        r->skipped ? "; first skipped: " : "", r->skipped ? r->skip_reason : "");
	}
	if (r->poll == run->polls && ++run->done == run->n_feeds)
		sw_loop_stop(&run->loop);
}

static bool is_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static int add_feeds(struct run *run, struct sw_feedpoll *fp, char **src, int n, int64_t interval,
                     struct sw_errbuf *eb)
{
	int rc = SW_OK;

	for (int i = 0; i < n && rc == SW_OK; i++) {
		const char *s = src[i];

		if (strncasecmp(s, "file://", 7) == 0)
			s += 7;
		rc = sw_feedpoll_add(fp, src[i], s, !is_url(src[i]), interval, eb);
		run->n_feeds++;
	}
	for (size_t i = 0; n == 0 && run->w && i < run->w->n_feeds && rc == SW_OK; i++) {
		const struct sw_watch_feed *f = &run->w->feeds[i];

		rc = sw_feedpoll_add(fp, f->name, f->url, f->is_file,
		                     run->polls > 1 ? f->interval_ms : DEF_INTERVAL, eb);
		run->n_feeds++;
	}
	return rc;
}

static int poll_all(struct run *run, char **src, int n, int64_t interval, size_t max_bytes)
{
	struct sw_feedpoll_opts o = {max_bytes, 0, 0, 0};
	struct sw_feedpoll *fp = NULL;
	struct sw_http *http = NULL;
	struct sw_errbuf eb = {{0}};
	int rc;

	rc = sw_loop_init(&run->loop, &eb);
	if (rc == SW_OK)
		rc = sw_http_new(&run->loop, &http, &eb);
	if (rc == SW_OK)
		rc = sw_feedpoll_new(&run->loop, http, &o, on_item, on_report, run, &fp, &eb);
	if (rc == SW_OK)
		rc = add_feeds(run, fp, src, n, interval, &eb);
	if (rc == SW_OK && run->n_feeds == 0)
		rc = sw_errbuf_set(&eb, SW_E_USAGE, "no SOURCE and no [feed] in the watchlist");
	if (rc == SW_OK)
		sw_loop_run(&run->loop);
	else
		fprintf(stderr, "swarmwatch: feed: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
	sw_feedpoll_free(fp);
	sw_http_free(http);
	sw_loop_deinit(&run->loop);
	if (rc != SW_OK)
		return rc == SW_E_USAGE || rc == SW_E_INVALID ? SW_EXIT_USAGE : SW_EXIT_FAILURE;
	if (run->status != SW_EXIT_OK)
		return run->status;
	return run->failed ? SW_EXIT_FAILURE : SW_EXIT_OK;
}

static int parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return SW_E_INVALID;
	*out = strtoull(s, &end, 10);
	return *end == '\0' && *out > 0 && *out <= max ? SW_OK : SW_E_INVALID;
}

int sw_cmd_feed(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"watchlist", required_argument, NULL, 'w'},
	    {"json", no_argument, NULL, 'j'},
	    {"polls", required_argument, NULL, 'n'},
	    {"interval", required_argument, NULL, 'i'},
	    {"max-bytes", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sw_watchlist *w = NULL;
	struct sw_matcher *m = NULL;
	struct sw_errbuf eb = {{0}};
	const char *path = NULL;
	unsigned long long v, max_bytes = SW_FEED_MAX_BYTES;
	int64_t interval = DEF_INTERVAL;
	struct run run;
	int c, rc, status;

	memset(&run, 0, sizeof run);
	run.polls = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "w:n:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w': path = optarg; break;
		case 'j': run.json = true; break;
		case 'n':
			if (parse_count(optarg, MAX_POLLS, &v) != SW_OK) {
				fprintf(stderr, "swarmwatch: feed: --polls: 1..%d\n", MAX_POLLS);
				return SW_EXIT_USAGE;
			}
			run.polls = (unsigned)v;
			break;
		case 'i':
			if (sw_duration_parse(optarg, &interval) != SW_OK || interval <= 0) {
				fprintf(stderr,
				        "swarmwatch: feed: --interval: a duration (5s, 1m)\n");
				return SW_EXIT_USAGE;
			}
			break;
		case 'b':
			if (parse_count(optarg, SIZE_MAX / 2, &max_bytes) != SW_OK) {
				fprintf(stderr,
				        "swarmwatch: feed: --max-bytes: a positive number\n");
				return SW_EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return SW_EXIT_OK;
		default: usage(stderr); return SW_EXIT_USAGE;
		}
	}
	if (path == NULL && optind >= argc) {
		fprintf(stderr, "swarmwatch: feed: expected a SOURCE or --watchlist FILE\n");
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	if (path != NULL) {
		rc = sw_watchlist_load(path, &w, &eb);
		if (rc == SW_OK && w->n_titles > 0)
			rc = sw_matcher_new(w->specs, w->n_titles, &m, &eb);
		if (rc != SW_OK) {
			fprintf(stderr, "swarmwatch: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
			sw_watchlist_free(w);
			return rc == SW_E_NOMEM || rc == SW_E_IO ? SW_EXIT_FAILURE : SW_EXIT_USAGE;
		}
	}
	run.w = w;
	run.m = m;
	sw_buf_init(&run.out, OUT_MAX);
	status = poll_all(&run, argv + optind, argc - optind, interval, (size_t)max_bytes);
	sw_buf_deinit(&run.out);
	sw_matcher_free(m);
	sw_watchlist_free(w);
	return status;
}
