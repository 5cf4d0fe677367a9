/*
 * bench_tracker.c - announces and scrapes per second against a local
 * opentracker: swarmwatch's side, and the driver of the whole binary.
 *
 * swarmwatch's side is what the monitor runs: requests built and replies
 * parsed by src/proto/udp_tracker.c and src/proto/http_tracker.c, sent and
 * received through src/net/ (one sw_udp socket with a tracker-kind
 * handler on the libevent loop; sw_http, libcurl multi on the same loop).
 * The per-tracker state machine (src/tracker/) keeps one request in flight
 * per tracker, so it is not what is measured here: a window of requests
 * to one tracker stands for many trackers' (or swarms') requests at once.
 *
 * The anchors, in bench_tracker_raw.c, do the same requests without
 * libevent, libcurl or any swarmwatch code, in the same run, so the
 * ratio says what our loop and net layer cost.  See bench_tracker.h and
 * docs/benchmarks.md.
 *
 * Usage:
 *   bench_tracker udp-announce|udp-scrape|http-announce|http-scrape [-r]
 *       -T IP:PORT [-b IP] [-t SECONDS] [-u WARMUP] [-w WINDOW] [-n MAX]
 *       [-i HEX] [-I FILE] [-k K] [-p PORTS] [-N NUMWANT] [-o TIMEOUT] [-H]
 *   bench_tracker register ...      (see bench_tracker_swarm.c)
 *   bench_tracker timeline ...
 *
 * -r runs the anchor instead of swarmwatch; -H prints the header line
 * first.  Exit status 0 when the run completed with at least one reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "bench_tracker.h"
#include "core/addr.h"
#include "core/buf.h"
#include "core/hex.h"
#include "net/http.h"
#include "net/loop.h"
#include "net/udp.h"
#include "proto/http_tracker.h"
#include "proto/udp_tracker.h"

#define TICK_US       5000 /* timeout checks and the end of the run */
#define ANNOUNCE_LEFT 1000 /* every announce is a leecher's */
#define URL_MAX       8192

/* --- shared by every side ------------------------------------------------- */

double bt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bt_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void bt_peer(const struct bt_opts *o, uint64_t n, uint8_t peer_id[BT_PEER_ID_LEN], uint16_t *port)
{
	unsigned i = (unsigned)(n % o->ports);
	char tail[16];

	memcpy(peer_id, BT_PEER_ID_PREFIX, 8);
	snprintf(tail, sizeof(tail), "%012u", i);
	memcpy(peer_id + 8, tail, 12);
	*port = (uint16_t)(BT_PEER_PORT0 + i);
}

void bt_clock_start(struct bt_clock *k)
{
	memset(k, 0, sizeof(*k));
	k->start = bt_now();
}

int bt_clock_tick(struct bt_clock *k, const struct bt_opts *o, const struct bt_count *c)
{
	double now = bt_now();

	if (!k->measuring) {
		if (now - k->start < o->warmup)
			return 0;
		k->measuring = 1;
		k->t0 = now;
		k->cpu0 = bt_cpu();
		k->c0 = *c;
		return 0;
	}
	if (now - k->t0 < o->seconds && (o->max_req == 0 || c->ok - k->c0.ok < o->max_req))
		return 0;
	k->t1 = now;
	k->cpu1 = bt_cpu();
	return 1;
}

static const char *kind_name(enum bt_kind k)
{
	static const char *names[] = {"udp-announce", "udp-scrape", "http-announce", "http-scrape"};

	return names[k];
}

void bt_report(const struct bt_opts *o, const struct bt_clock *k, const struct bt_count *c)
{
	double secs = k->t1 - k->t0, cpu = k->cpu1 - k->cpu0;
	uint64_t ok = c->ok - k->c0.ok;
	const char *side = !o->raw                                                    ? "swarmwatch"
	                   : (o->kind == BT_UDP_ANNOUNCE || o->kind == BT_UDP_SCRAPE) ? "raw-udp"
	                                                                              : "raw-http";

	printf("%s\t%s\t%u\t%u\t%.3f\t%llu\t%.0f\t%.0f\t%.1f\t%llu\t%llu\t%llu\t%.3f\t%.2f\t%llu\n",
	       kind_name(o->kind), side, o->window,
	       o->kind == BT_UDP_SCRAPE || o->kind == BT_HTTP_SCRAPE ? o->per_scrape : 0, secs,
	       (unsigned long long)ok, (double)ok / secs, (double)(c->items - k->c0.items) / secs,
	       ok ? (double)(c->peers - k->c0.peers) / (double)ok : 0.0,
	       (unsigned long long)(c->timeouts - k->c0.timeouts),
	       (unsigned long long)(c->errors - k->c0.errors),
	       (unsigned long long)(c->sent - k->c0.sent), cpu, ok ? cpu * 1e6 / (double)ok : 0.0,
	       (unsigned long long)c->sink);
	fflush(stdout);
}

static void print_header(void)
{
	printf("kind\tside\twindow\tper_scrape\tseconds\treplies\treq_per_s\tih_per_s\t"
	       "peers_per_reply\ttimeouts\terrors\tsent\tcpu_s\tcpu_us_per_req\tsink\n");
}

/* --- swarmwatch, UDP: sw_udp on the loop, the BEP 15 codec ----------------- */

struct udp_slot {
	uint32_t txid;
	double sent;
	int busy;
};

struct udp_run {
	const struct bt_opts *o;
	struct bt_count *c;
	struct bt_clock *k;
	struct sw_loop loop;
	struct sw_udp *u;
	struct sw_addr tr;
	uint64_t conn_id;
	uint32_t conn_txid, gen;
	double conn_sent;
	int connected, failed;
	uint64_t n; /* requests built, for bt_peer() */
	struct event *tick;
	struct udp_slot slot[BT_MAX_WINDOW];
};

static void udp_send(struct udp_run *r, unsigned i)
{
	const struct bt_opts *o = r->o;
	uint8_t pkt[SW_UDPT_SCRAPE_REQ_MAX > SW_UDPT_ANNOUNCE_REQ_MAX ? SW_UDPT_SCRAPE_REQ_MAX
	                                                              : SW_UDPT_ANNOUNCE_REQ_MAX];
	uint32_t txid = (++r->gen << BT_SLOT_BITS) | i;
	int n;

	if (o->kind == BT_UDP_ANNOUNCE) {
		struct sw_udpt_announce_req a;

		memset(&a, 0, sizeof(a));
		a.connection_id = r->conn_id;
		a.txid = txid;
		memcpy(a.infohash, o->ih, BT_IH_LEN);
		bt_peer(o, r->n, a.peer_id, &a.port);
		a.left = ANNOUNCE_LEFT;
		a.event = SW_UDPT_EVENT_NONE;
		a.key = (uint32_t)r->n;
		a.num_want = o->numwant;
		n = sw_udpt_build_announce(pkt, sizeof(pkt), &a);
	} else {
		n = sw_udpt_build_scrape(pkt, sizeof(pkt), r->conn_id, txid, o->scrape_ih,
		                         o->per_scrape);
	}
	r->n++;
	r->slot[i].txid = txid;
	r->slot[i].sent = bt_now();
	r->slot[i].busy = 1;
	r->c->sent++;
	if (n < 0 || sw_udp_send(r->u, &r->tr, pkt, (size_t)n) != SW_OK)
		r->c->errors++; /* the slot's timeout sends it again */
}

static void udp_send_connect(struct udp_run *r)
{
	uint8_t pkt[SW_UDPT_CONNECT_REQ_LEN];

	r->conn_txid = 0xc0000000u | (++r->gen & 0xffffff);
	r->conn_sent = bt_now();
	if (sw_udpt_build_connect(pkt, sizeof(pkt), r->conn_txid) > 0)
		sw_udp_send(r->u, &r->tr, pkt, sizeof(pkt));
}

/* Read every result out of a reply, as the monitor would. */
static void udp_consume(struct udp_run *r, const struct sw_udpt_response *res)
{
	if (res->action == SW_UDPT_ACTION_ANNOUNCE) {
		struct sw_addr a;

		r->c->peers += res->num_peers;
		for (size_t j = 0; j < res->num_peers; j++)
			if (sw_udpt_peer(res, j, &a) == SW_OK)
				r->c->sink += a.port;
	} else {
		struct sw_udpt_scrape_entry e;

		r->c->items += res->num_scrape;
		for (size_t j = 0; j < res->num_scrape; j++)
			if (sw_udpt_scrape_entry(res, j, &e) == SW_OK)
				r->c->sink += e.seeders + e.leechers;
	}
}

static void on_udp(void *ctx, const struct sw_addr *from, const uint8_t *p, size_t n)
{
	struct udp_run *r = ctx;
	struct sw_udpt_response res;
	uint32_t txid;
	unsigned i;
	int action =
	    r->o->kind == BT_UDP_ANNOUNCE ? SW_UDPT_ACTION_ANNOUNCE : SW_UDPT_ACTION_SCRAPE;

	(void)from;
	if (n < SW_UDPT_HEADER_LEN) {
		r->c->errors++;
		return;
	}
	txid = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	if (!r->connected) {
		if (sw_udpt_parse_response(p, n, r->conn_txid, SW_UDPT_ACTION_CONNECT, AF_INET,
		                           &res) != SW_OK)
			return;
		r->conn_id = res.connection_id;
		r->connected = 1;
		for (i = 0; i < r->o->window; i++)
			udp_send(r, i);
		return;
	}
	i = txid & (BT_MAX_WINDOW - 1);
	if (i >= r->o->window || !r->slot[i].busy || r->slot[i].txid != txid ||
	    sw_udpt_parse_response(p, n, txid, action, AF_INET, &res) != SW_OK) {
		r->c->errors++; /* late (timed out), stray, or an error reply */
		return;
	}
	r->c->ok++;
	r->slot[i].busy = 0;
	udp_consume(r, &res);
	udp_send(r, i);
}

static void on_udp_tick(evutil_socket_t fd, short what, void *arg)
{
	struct udp_run *r = arg;
	double now = bt_now();

	(void)fd;
	(void)what;
	if (!r->connected) {
		if (now - r->conn_sent > r->o->timeout)
			udp_send_connect(r);
		if (now - r->k->start > 5.0) {
			fprintf(stderr, "bench_tracker: no connect reply from the tracker\n");
			r->failed = 1;
			sw_loop_stop(&r->loop);
		}
		return;
	}
	for (unsigned i = 0; i < r->o->window; i++)
		if (r->slot[i].busy && now - r->slot[i].sent > r->o->timeout) {
			r->c->timeouts++;
			udp_send(r, i);
		}
	if (bt_clock_tick(r->k, r->o, r->c))
		sw_loop_stop(&r->loop);
}

int bt_sw_udp(const struct bt_opts *o, struct bt_count *c, struct bt_clock *k)
{
	struct udp_run *r = calloc(1, sizeof(*r));
	struct sw_errbuf eb = {{0}};
	struct sw_addr local;
	struct timeval tv = {0, TICK_US};
	int rc = -1;

	if (r == NULL)
		return -1;
	r->o = o;
	r->c = c;
	r->k = k;
	sw_addr_from_sockaddr(&r->tr, (const struct sockaddr *)&o->tracker);
	sw_addr_from_sockaddr(&local, (const struct sockaddr *)&o->bind);
	if (sw_loop_init(&r->loop, &eb) != SW_OK || sw_udp_open(&r->loop, &local, &r->u, &eb)) {
		fprintf(stderr, "bench_tracker: %s\n", eb.msg);
		goto out;
	}
	sw_udp_set_handler(r->u, SW_UDP_TRACKER, on_udp, r);
	r->tick = event_new(r->loop.base, -1, EV_PERSIST, on_udp_tick, r);
	if (r->tick == NULL || event_add(r->tick, &tv) < 0)
		goto out;
	bt_clock_start(k);
	udp_send_connect(r);
	sw_loop_run(&r->loop);
	rc = r->failed ? -1 : 0;
out:
	if (r->tick)
		event_free(r->tick);
	sw_udp_close(r->u);
	sw_loop_deinit(&r->loop);
	free(r);
	return rc;
}

/* --- swarmwatch, HTTP: sw_http (libcurl multi on the loop), BEP 3/48 codec - */

struct http_run;

struct http_slot {
	struct http_run *r;
	unsigned i;
};

struct http_run {
	const struct bt_opts *o;
	struct bt_count *c;
	struct bt_clock *k;
	struct sw_loop loop;
	struct sw_http *http;
	struct event *tick;
	struct sw_buf url;
	char announce_url[128];
	uint64_t n;
	int stopping;
	struct sw_bencode_token tok[SW_HTTPT_TOKENS];
	struct sw_addr peers[1024];
	struct http_slot slot[BT_MAX_WINDOW];
};

static void http_start(struct http_run *r, unsigned i);

static void http_consume(struct http_run *r, const struct sw_http_result *res)
{
	int rc;

	if (r->o->kind == BT_HTTP_ANNOUNCE) {
		struct sw_httpt_announce a;

		rc = sw_httpt_parse_announce(res->body, res->len, r->tok, SW_HTTPT_TOKENS, r->peers,
		                             sizeof(r->peers) / sizeof(r->peers[0]), &a, NULL);
		if (rc == SW_OK) {
			r->c->peers += a.num_peers;
			for (size_t j = 0; j < a.num_peers; j++)
				r->c->sink += r->peers[j].port;
		}
	} else {
		struct sw_httpt_scrape s;
		struct sw_httpt_scrape_entry e;
		uint32_t cur = 0;

		rc = sw_httpt_parse_scrape(res->body, res->len, r->tok, SW_HTTPT_TOKENS, &s, NULL);
		while (rc == SW_OK && sw_httpt_scrape_next(&s, &cur, &e) == SW_OK) {
			r->c->items++;
			r->c->sink += (uint64_t)(e.complete + e.incomplete);
		}
	}
	if (rc == SW_OK)
		r->c->ok++;
	else
		r->c->errors++;
}

static void on_http_done(void *ctx, const struct sw_http_result *res)
{
	struct http_slot *s = ctx;
	struct http_run *r = s->r;

	if (res->rc == SW_OK && res->status == 200)
		http_consume(r, res);
	else if (res->rc == SW_OK || res->rc == SW_E_TOO_BIG)
		r->c->errors++;
	else
		r->c->timeouts++; /* connect or transfer failure, curl's timeout */
	if (!r->stopping)
		http_start(r, s->i);
}

static void http_start(struct http_run *r, unsigned i)
{
	const struct bt_opts *o = r->o;
	struct sw_http_opts ho = {(long)(o->timeout * 1000), 0, 0};
	int rc;

	sw_buf_reset(&r->url);
	if (o->kind == BT_HTTP_ANNOUNCE) {
		struct sw_httpt_announce_req a;

		memset(&a, 0, sizeof(a));
		a.announce_url = r->announce_url;
		memcpy(a.infohash, o->ih, BT_IH_LEN);
		bt_peer(o, r->n, a.peer_id, &a.port);
		a.left = ANNOUNCE_LEFT;
		a.event = SW_HTTPT_EVENT_NONE;
		a.numwant = o->numwant;
		a.key = (uint32_t)r->n;
		rc = sw_httpt_announce_url(&r->url, &a);
	} else {
		rc = sw_httpt_scrape_url(&r->url, r->announce_url, o->scrape_ih, o->per_scrape);
	}
	r->n++;
	r->c->sent++;
	if (rc == SW_OK)
		rc = sw_http_get(r->http, (const char *)r->url.data, &ho, on_http_done, &r->slot[i],
		                 NULL);
	if (rc != SW_OK) {
		fprintf(stderr, "bench_tracker: cannot start a request: %s\n", sw_strerror(rc));
		r->stopping = 1;
		sw_loop_stop(&r->loop);
	}
}

static void on_http_tick(evutil_socket_t fd, short what, void *arg)
{
	struct http_run *r = arg;

	(void)fd;
	(void)what;
	if (bt_clock_tick(r->k, r->o, r->c)) {
		r->stopping = 1;
		sw_loop_stop(&r->loop);
	}
}

int bt_sw_http(const struct bt_opts *o, struct bt_count *c, struct bt_clock *k)
{
	struct http_run *r = calloc(1, sizeof(*r));
	struct sw_errbuf eb = {{0}};
	struct timeval tv = {0, TICK_US};
	int rc = -1;

	if (r == NULL)
		return -1;
	r->o = o;
	r->c = c;
	r->k = k;
	sw_buf_init(&r->url, URL_MAX);
	snprintf(r->announce_url, sizeof(r->announce_url), "http://%s/announce", o->tracker_host);
	if (sw_loop_init(&r->loop, &eb) != SW_OK || sw_http_new(&r->loop, &r->http, &eb)) {
		fprintf(stderr, "bench_tracker: %s\n", eb.msg);
		goto out;
	}
	r->tick = event_new(r->loop.base, -1, EV_PERSIST, on_http_tick, r);
	if (r->tick == NULL || event_add(r->tick, &tv) < 0)
		goto out;
	bt_clock_start(k);
	for (unsigned i = 0; i < o->window && !r->stopping; i++) {
		r->slot[i].r = r;
		r->slot[i].i = i;
		http_start(r, i);
	}
	sw_loop_run(&r->loop);
	rc = k->t1 > 0 ? 0 : -1;
out:
	if (r->tick)
		event_free(r->tick);
	sw_http_free(r->http); /* cancels what is still pending */
	sw_loop_deinit(&r->loop);
	sw_buf_deinit(&r->url);
	free(r);
	return rc;
}

/* --- options and main ---------------------------------------------------- */

static int parse_ipport(const char *s, struct sockaddr_in *out)
{
	char ip[64];
	const char *colon = strrchr(s, ':');

	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	if (colon == NULL) {
		if (inet_pton(AF_INET, s, &out->sin_addr) != 1)
			return -1;
		return 0;
	}
	if ((size_t)(colon - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = 0;
	out->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, ip, &out->sin_addr) == 1 && out->sin_port ? 0 : -1;
}

/* The first k infohashes of FILE (one 40-hex line each). */
static int load_infohashes(const char *path, uint8_t *out, unsigned k)
{
	FILE *f = fopen(path, "r");
	char line[128];
	unsigned n = 0;

	if (f == NULL)
		return -1;
	while (n < k && fgets(line, sizeof(line), f) != NULL)
		if (strlen(line) >= 2 * BT_IH_LEN &&
		    sw_hex_decode(line, 2 * BT_IH_LEN, out + n * BT_IH_LEN, BT_IH_LEN) == SW_OK)
			n++;
	fclose(f);
	return n == k ? 0 : -1;
}

static int parse_kind(const char *s, enum bt_kind *k)
{
	static const struct {
		const char *name;
		enum bt_kind kind;
	} kinds[] = {{"udp-announce", BT_UDP_ANNOUNCE},
	             {"udp-scrape", BT_UDP_SCRAPE},
	             {"http-announce", BT_HTTP_ANNOUNCE},
	             {"http-scrape", BT_HTTP_SCRAPE}};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(s, kinds[i].name) == 0) {
			*k = kinds[i].kind;
			return 0;
		}
	return -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_tracker udp-announce|udp-scrape|http-announce|http-scrape "
	                "[-r] -T IP:PORT [-b IP] [-t S] [-u S] [-w N] [-n N] [-i HEX] [-I FILE] "
	                "[-k K] [-p N] [-N N] [-o S] [-H]\n"
	                "       bench_tracker register|timeline ... (-h for theirs)\n");
	return 2;
}

static int parse_opts(struct bt_opts *o, int argc, char **argv, int *header)
{
	const char *ihfile = NULL;
	int ch;

	memset(o, 0, sizeof(*o));
	o->seconds = 2.0;
	o->warmup = 0.3;
	o->timeout = 0.5;
	o->window = 32;
	o->per_scrape = 1;
	o->ports = 1000;
	o->numwant = 200;
	parse_ipport("127.0.0.1", &o->bind);
	if (argc < 2 || parse_kind(argv[1], &o->kind))
		return -1;
	optind = 2;
	while ((ch = getopt(argc, argv, "rT:b:t:u:w:n:i:I:k:p:N:o:H")) != -1) {
		switch (ch) {
		case 'r': o->raw = 1; break;
		case 'T':
			if (parse_ipport(optarg, &o->tracker))
				return -1;
			snprintf(o->tracker_host, sizeof(o->tracker_host), "%s", optarg);
			break;
		case 'b':
			if (parse_ipport(optarg, &o->bind))
				return -1;
			break;
		case 't': o->seconds = atof(optarg); break;
		case 'u': o->warmup = atof(optarg); break;
		case 'w': o->window = (unsigned)atoi(optarg); break;
		case 'n': o->max_req = strtoull(optarg, NULL, 10); break;
		case 'i':
			if (strlen(optarg) != 2 * BT_IH_LEN ||
			    sw_hex_decode(optarg, 2 * BT_IH_LEN, o->ih, BT_IH_LEN) != SW_OK)
				return -1;
			break;
		case 'I': ihfile = optarg; break;
		case 'k': o->per_scrape = (unsigned)atoi(optarg); break;
		case 'p': o->ports = (unsigned)atoi(optarg); break;
		case 'N': o->numwant = atoi(optarg); break;
		case 'o': o->timeout = atof(optarg); break;
		case 'H': *header = 1; break;
		default: return -1;
		}
	}
	if (o->tracker.sin_port == 0 || o->window < 1 || o->window > BT_MAX_WINDOW ||
	    o->per_scrape < 1 || o->per_scrape > BT_MAX_SCRAPE || o->ports < 1 || o->seconds <= 0 ||
	    o->seconds > 600 || o->timeout <= 0)
		return -1;
	if ((o->kind == BT_UDP_SCRAPE || o->kind == BT_HTTP_SCRAPE) &&
	    (ihfile == NULL || load_infohashes(ihfile, o->scrape_ih, o->per_scrape))) {
		fprintf(stderr, "bench_tracker: -I FILE with at least -k infohashes is needed\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bt_opts o;
	struct bt_count c;
	struct bt_clock k;
	int header = 0, rc;

	if (argc >= 2 && strcmp(argv[1], "register") == 0)
		return bt_register_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "timeline") == 0)
		return bt_timeline_main(argc - 1, argv + 1);
	if (parse_opts(&o, argc, argv, &header))
		return usage();
	if (header)
		print_header();
	memset(&c, 0, sizeof(c));
	memset(&k, 0, sizeof(k));
	if (o.kind == BT_UDP_ANNOUNCE || o.kind == BT_UDP_SCRAPE)
		rc = o.raw ? bt_raw_udp(&o, &c, &k) : bt_sw_udp(&o, &c, &k);
	else
		rc = o.raw ? bt_raw_http(&o, &c, &k) : bt_sw_http(&o, &c, &k);
	if (rc != 0 || k.t1 <= k.t0) {
		fprintf(stderr, "bench_tracker: %s run did not complete\n", argv[1]);
		return 1;
	}
	bt_report(&o, &k, &c);
	return c.ok > k.c0.ok ? 0 : 1;
}
