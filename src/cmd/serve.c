/*
 * serve.c - `swarmwatch serve`: the report as a live page, a JSON API and
 * Prometheus metrics, over libevent's evhttp.
 *
 *   /             the HTML report; reloads itself every --refresh seconds
 *   /api/report   the JSON of `report --format json`
 *   /metrics      Prometheus text (report/metrics.h)
 *
 * / and /api/report take the report's options as query parameters
 * (as_of, since, title, by, tier); a bad one is a 400 with a JSON error.
 * The store is opened read-only once and every request reads one
 * snapshot, so the page follows a daemon writing the file.
 *
 * Exposure: loopback by default.  Any other listen address needs --token,
 * and then every request must carry it (Authorization: Bearer T, or
 * ?token=T for a browser), compared in constant time.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "cmd/cmd.h"
#include "core/addr.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "net/loop.h"
#include "report/html.h"
#include "report/metrics.h"
#include "report/report.h"
#include "store/query.h"

#define DEFAULT_DB        "swarmwatch.db"
#define DEFAULT_LISTEN    "127.0.0.1:8080"
#define DEFAULT_REFRESH_S 30
#define TOKEN_MIN         16
#define TOKEN_MAX         256
#define QUERY_MAX         2048 /* longest query string accepted */
#define MAX_HEADERS_SIZE  16384
#define MAX_BODY_SIZE     0 /* GET and HEAD only */
#define REQUEST_TIMEOUT_S 30
#define HTTP_UNAUTHORIZED 401 /* evhttp names no 401 */
#define HTTP_URITOOLONG   414

enum route { R_PAGE, R_API, R_METRICS, R_OTHER, R_COUNT };
static const char *const route_names[R_COUNT] = {"/", "/api/report", "/metrics", "other"};
enum status_class { S_2XX, S_4XX, S_5XX, S_COUNT };
static const char *const status_names[S_COUNT] = {"2xx", "4xx", "5xx"};

struct server {
	const char *db, *listen, *token;
	int refresh_s;
	struct sw_loop loop;
	struct evhttp *http;
	struct sw_query *q;
	struct event *sigint, *sigterm;
	uint64_t requests[R_COUNT], responses[S_COUNT];
};

static void usage(FILE *f)
{
	fputs("usage: swarmwatch serve [options]\n"
	      "\n"
	      "Serve the report as a live page (/), a JSON API (/api/report, with the\n"
	      "report's options as query parameters: as_of, since, title, by, tier) and\n"
	      "Prometheus metrics (/metrics).\n"
	      "\n"
	      "  --db FILE          the store, opened read-only (default " DEFAULT_DB ")\n"
	      "  --listen ADDR:PORT where to listen (default " DEFAULT_LISTEN ")\n"
	      "  --token T          require T on every request (Authorization: Bearer T\n"
	      "                     or ?token=T); needed for a non-loopback address\n"
	      "  --refresh SECONDS  how often the page reloads itself (default 30)\n"
	      "  -h, --help         show this help\n",
	      f);
}

static int parse_args(struct server *s, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"db", required_argument, NULL, 'd'},    {"listen", required_argument, NULL, 'l'},
	    {"token", required_argument, NULL, 't'}, {"refresh", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	int c;
	char *end;
	long v;

	s->db = DEFAULT_DB;
	s->listen = DEFAULT_LISTEN;
	s->refresh_s = DEFAULT_REFRESH_S;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': s->db = optarg; break;
		case 'l': s->listen = optarg; break;
		case 't': s->token = optarg; break;
		case 'r':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 86400) {
				fprintf(stderr,
				        "swarmwatch: serve: --refresh: expected 1..86400\n");
				return SW_EXIT_USAGE;
			}
			s->refresh_s = (int)v;
			break;
		case 'h': usage(stdout); exit(SW_EXIT_OK);
		default: usage(stderr); return SW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "swarmwatch: serve: unexpected argument '%s'\n", argv[optind]);
		return SW_EXIT_USAGE;
	}
	if (s->token != NULL && (strlen(s->token) < TOKEN_MIN || strlen(s->token) > TOKEN_MAX)) {
		fprintf(stderr, "swarmwatch: serve: --token: expected %d..%d characters\n",
		        TOKEN_MIN, TOKEN_MAX);
		return SW_EXIT_USAGE;
	}
	return SW_EXIT_OK;
}

/* --- responses ---------------------------------------------------------- */

static void reply(struct server *s, struct evhttp_request *req, int code, const char *type,
                  const void *body, size_t n)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	s->responses[code >= 500 ? S_5XX : code >= 400 ? S_4XX : S_2XX]++;
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* The page loads nothing: say so, so a browser enforces it. */
	evhttp_add_header(h, "Content-Security-Policy",
	                  "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
	if (code == HTTP_UNAUTHORIZED)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer realm=\"swarmwatch\"");
	if (b != NULL && n > 0)
		evbuffer_add(b, body, n);
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

/* {"error": msg} with the given status. */
static void reply_error(struct server *s, struct evhttp_request *req, int code, const char *msg)
{
	struct sw_buf out;
	struct sw_json j;

	sw_buf_init(&out, 4096);
	sw_json_init(&j, &out);
	sw_json_obj_begin(&j);
	sw_json_key(&j, "error");
	sw_json_str(&j, msg);
	sw_json_obj_end(&j);
	sw_buf_putc(&out, '\n');
	reply(s, req, code, "application/json", out.data, out.len);
	sw_buf_deinit(&out);
}

/* --- requests ----------------------------------------------------------- */

static bool token_equal(const char *want, const char *got)
{
	size_t n = strlen(want);

	return got != NULL && strlen(got) == n && CRYPTO_memcmp(want, got, n) == 0;
}

static bool authorized(const struct server *s, struct evhttp_request *req,
                       const struct evkeyvalq *params)
{
	const char *auth;

	if (s->token == NULL)
		return true;
	auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 && token_equal(s->token, auth + 7))
		return true;
	return token_equal(s->token, evhttp_find_header(params, "token"));
}

/* Query parameters into report options; false (400 sent) on a bad one. */
static bool parse_params(struct server *s, struct evhttp_request *req,
                         const struct evkeyvalq *params, struct sw_report_opts *o)
{
	static const char *const allowed[] = {"as_of", "since", "title", "by", "tier"};
	int64_t now = sw_time_wall_ms();
	const struct evkeyval *kv;

	sw_report_opts_init(o, now);
	TAILQ_FOREACH(kv, params, next)
	{
		struct sw_errbuf eb = {{0}};
		bool known = false;

		if (strcmp(kv->key, "token") == 0)
			continue;
		for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			known = known || strcmp(kv->key, allowed[i]) == 0;
		if (!known) {
			snprintf(
			    eb.msg, sizeof(eb.msg),
			    "unknown parameter '%.64s' (expected as_of, since, title, by, tier)",
			    kv->key);
		} else if (sw_report_opts_set(o, kv->key, kv->value, now, &eb) == SW_OK) {
			continue;
		}
		reply_error(s, req, HTTP_BADREQUEST, eb.msg);
		return false;
	}
	return true;
}

/* Build the report and send it as JSON or HTML. */
static void serve_report(struct server *s, struct evhttp_request *req, enum route r,
                         const struct evkeyvalq *params)
{
	struct sw_report_html_opts ho = {s->refresh_s};
	struct sw_report_opts o;
	struct sw_report *rep = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_buf out;
	int rc;

	if (!parse_params(s, req, params, &o))
		return;
	sw_buf_init(&out, SW_REPORT_OUT_MAX);
	rc = sw_report_build(s->q, &o, r == R_PAGE, &rep, &eb);
	if (rc == SW_OK && r == R_PAGE)
		rc = sw_report_html(rep, &ho, &out, &eb);
	else if (rc == SW_OK)
		rc = sw_report_json(rep, &out);
	if (rc == SW_OK)
		reply(s, req, HTTP_OK,
		      r == R_PAGE ? "text/html; charset=utf-8" : "application/json", out.data,
		      out.len);
	else if (rc == SW_E_INVALID || rc == SW_E_NOT_FOUND)
		reply_error(s, req, rc == SW_E_NOT_FOUND ? HTTP_NOTFOUND : HTTP_BADREQUEST, eb.msg);
	else {
		sw_warn("serve: %s", eb.msg[0] ? eb.msg : sw_strerror(rc));
		reply_error(s, req, HTTP_SERVUNAVAIL, eb.msg[0] ? eb.msg : sw_strerror(rc));
	}
	sw_report_free(rep);
	sw_buf_deinit(&out);
}

static void serve_metrics(struct server *s, struct evhttp_request *req)
{
	struct sw_metric_sample reqs[R_COUNT], resps[S_COUNT];
	struct sw_metric_family fam[] = {
	    {"swarmwatch_http_requests_total", "HTTP requests served, by path.", "path", reqs,
	     R_COUNT},
	    {"swarmwatch_http_responses_total",
	     "HTTP responses, by status class (errors: 4xx, 5xx).", "code", resps, S_COUNT},
	};
	struct sw_errbuf eb = {{0}};
	struct sw_buf out;
	int rc;

	for (int i = 0; i < R_COUNT; i++)
		reqs[i] = (struct sw_metric_sample){route_names[i], s->requests[i]};
	for (int i = 0; i < S_COUNT; i++)
		resps[i] = (struct sw_metric_sample){status_names[i], s->responses[i]};
	sw_buf_init(&out, SW_REPORT_OUT_MAX);
	rc = sw_report_metrics(s->q, sw_time_wall_ms(), fam, sizeof(fam) / sizeof(fam[0]), &out,
	                       &eb);
	if (rc == SW_OK)
		reply(s, req, HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out.data,
		      out.len);
	else {
		sw_warn("serve: %s", eb.msg);
		reply_error(s, req, HTTP_SERVUNAVAIL, eb.msg);
	}
	sw_buf_deinit(&out);
}

static enum route route_of(const char *path)
{
	if (path == NULL || strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
		return R_PAGE;
	if (strcmp(path, "/api/report") == 0)
		return R_API;
	if (strcmp(path, "/metrics") == 0)
		return R_METRICS;
	return R_OTHER;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	enum route r = route_of(uri != NULL ? evhttp_uri_get_path(uri) : NULL);
	struct evkeyvalq params;

	TAILQ_INIT(&params);
	s->requests[r]++;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		reply_error(s, req, HTTP_BADMETHOD, "only GET and HEAD");
		return;
	}
	if (query != NULL && strlen(query) > QUERY_MAX) {
		reply_error(s, req, HTTP_URITOOLONG, "query string too long");
		return;
	}
	if (query != NULL && evhttp_parse_query_str(query, &params) != 0) {
		reply_error(s, req, HTTP_BADREQUEST, "malformed query string");
		goto out;
	}
	if (!authorized(s, req, &params)) {
		reply_error(s, req, HTTP_UNAUTHORIZED, "a valid token is required");
		goto out;
	}
	switch (r) {
	case R_PAGE:
	case R_API: serve_report(s, req, r, &params); break;
	case R_METRICS: serve_metrics(s, req); break;
	default: reply_error(s, req, HTTP_NOTFOUND, "no such page (try /, /api/report, /metrics)");
	}
out:
	evhttp_clear_headers(&params);
}

/* --- set-up ------------------------------------------------------------- */

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	sw_loop_stop(&s->loop);
}

/* Where to listen; a non-loopback address needs a token.  Exit code. */
static int check_listen(const struct server *s, struct sw_addr *a)
{
	if (sw_addr_parse(a, s->listen) != SW_OK) {
		fprintf(stderr,
		        "swarmwatch: serve: --listen: '%s' is not ADDR:PORT "
		        "(e.g. 127.0.0.1:8080 or [::1]:8080)\n",
		        s->listen);
		return SW_EXIT_USAGE;
	}
	if (sw_addr_classify(a) != SW_ADDR_LOOPBACK && s->token == NULL) {
		fprintf(stderr,
		        "swarmwatch: serve: refusing to listen on %s without --token: only "
		        "loopback addresses may serve without one (the report names what a "
		        "deployment watches)\n",
		        s->listen);
		return SW_EXIT_USAGE;
	}
	return SW_EXIT_OK;
}

static int start(struct server *s)
{
	struct sw_errbuf eb = {{0}};
	struct sw_addr a;
	char ip[SW_ADDR_STRLEN];
	int ex = check_listen(s, &a);

	if (ex != SW_EXIT_OK)
		return ex;
	if (sw_query_open(s->db, &s->q, &eb) != SW_OK) {
		fprintf(stderr, "swarmwatch: serve: %s\n", eb.msg);
		return SW_EXIT_FAILURE;
	}
	if (sw_loop_init(&s->loop, &eb) != SW_OK || (s->http = evhttp_new(s->loop.base)) == NULL) {
		fprintf(stderr, "swarmwatch: serve: %s\n", eb.msg[0] ? eb.msg : "out of memory");
		return SW_EXIT_FAILURE;
	}
	/* Let other methods reach on_request, which answers 405 with Allow. */
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(s->http, MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(s->http, MAX_BODY_SIZE);
	evhttp_set_timeout(s->http, REQUEST_TIMEOUT_S);
	evhttp_set_gencb(s->http, on_request, s);
	sw_addr_ip_str(&a, ip, sizeof(ip));
	if (evhttp_bind_socket(s->http, ip, a.port) != 0) {
		fprintf(stderr, "swarmwatch: serve: cannot listen on %s: %s\n", s->listen,
		        strerror(errno));
		return SW_EXIT_FAILURE;
	}
	s->sigint = evsignal_new(s->loop.base, SIGINT, on_signal, s);
	s->sigterm = evsignal_new(s->loop.base, SIGTERM, on_signal, s);
	if (s->sigint == NULL || s->sigterm == NULL || evsignal_add(s->sigint, NULL) != 0 ||
	    evsignal_add(s->sigterm, NULL) != 0)
		return SW_EXIT_FAILURE;
	signal(SIGPIPE, SIG_IGN);
	sw_info("serve: %s on http://%s/ (/api/report, /metrics)%s", s->db, s->listen,
	        s->token ? ", token required" : "");
	return SW_EXIT_OK;
}

int sw_cmd_serve(int argc, char **argv)
{
	struct server s;
	int ex;

	memset(&s, 0, sizeof(s));
	ex = parse_args(&s, argc, argv);
	if (ex == SW_EXIT_OK)
		ex = start(&s);
	if (ex == SW_EXIT_OK && sw_loop_run(&s.loop) != SW_OK)
		ex = SW_EXIT_FAILURE;
	if (s.sigint)
		event_free(s.sigint);
	if (s.sigterm)
		event_free(s.sigterm);
	if (s.http)
		evhttp_free(s.http);
	sw_loop_deinit(&s.loop);
	sw_query_close(s.q);
	return ex;
}
