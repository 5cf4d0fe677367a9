/*
 * count.c - `swarmwatch count [options] TARGET`: one swarm, now.
 *
 * Asks every tracker the torrent names (and those given with --tracker)
 * for peers during --for, then prints how many unique IPs the swarm holds
 * by evidence tier and source.  Peers whose addresses must not be
 * contacted (private, loopback, ...) are counted as rejected, unless
 * --allow-private, and never enter the peer set.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cmd/cmd.h"
#include "core/addr.h"
#include "core/buf.h"
#include "core/hex.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "count/peerset.h"
#include "dht/dht.h"
#include "proto/krpc.h"
#include "net/http.h"
#include "net/ifaddr.h"
#include "net/loop.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "peer/verifier.h"
#include "proto/magnet.h"
#include "proto/metainfo.h"
#include "store/pseudonym.h"
#include "store/sink.h"
#include "store/sqlite.h"
#include "tracker/client.h"

#define DEFAULT_FOR_MS        60000
#define DEFAULT_REANNOUNCE_MS (5 * 60 * 1000)
#define DEFAULT_UDP_TIMEOUT_MS 4000
#define DEFAULT_UDP_RETRIES   3
#define DEFAULT_NUMWANT       1000
#define DEFAULT_MAX_PEERS     (1u << 22)
#define STOP_GRACE_MS         5000
#define MAX_TRACKERS          64 /* one bit each in struct sw_peer.trackers */
#define UNKNOWN_LEFT          (1ull << 30)
#define PEER_ID_PREFIX        "-SW0100-"

struct opts {
	int64_t for_ms, reannounce_ms, udp_timeout_ms, linger_ms, revisit_ms;
	int numwant;
	long max_conns;
	char **trackers;
	size_t ntrackers;
	bool no_trackers, no_dht, no_pex, allow_private, json, verbose, prove;
	bool dht_read_only, no_dht_announce, evidence;
	const char *listen, *db, *target, *secret;
	char **boot; /* --dht-bootstrap */
	size_t nboot;
	long dht_port; /* -1: share the listen port's sockets */
	int64_t dht_interval_ms;
};

struct count {
	struct opts o;
	uint8_t infohash[SW_INFOHASH_LEN];
	uint8_t ih_v2[SW_INFOHASH_V2_LEN];
	bool has_v2;
	char *name;
	uint64_t left;
	uint32_t num_pieces; /* 0 until known (a magnet: after the metadata) */
	uint8_t *hashes;     /* v1 piece hashes, for --prove */
	uint64_t piece_length, total_size;
	char **urls; /* trackers to ask, deduplicated */
	size_t nurls;

	struct sw_loop loop;
	struct sw_udp *udp4, *udp6;
	struct sw_http *http;
	struct sw_tracker_client *trackers;
	struct sw_dht *dht;
	struct sw_udp *dudp4, *dudp6; /* --dht-port sockets, or NULL */
	struct sw_dht_scrape dht_scrape;
	bool has_dht_scrape;
	struct sw_tcp_listener *listener;
	struct sw_verifier *verifier;
	struct sw_vswarm *vswarm;
	struct sw_peerset *peers, *rejected;
	struct sw_sink *sink;
	struct sw_pseudonym pn;
	struct sw_ifaddrs self; /* our addresses, with port: our own endpoint */
	uint8_t peer_id[SW_PEER_ID_LEN];
	uint16_t port;
	uint64_t self_seen;
	struct event *tick, *sigint, *sigterm;
	int64_t started, ends, stop_by;
	bool stopping, tty, interrupted;
	int db_errors;
};

static void usage(FILE *f)
{
	fputs("usage: swarmwatch count [options] TARGET\n"
	      "\n"
	      "Count the unique IP addresses in one swarm, by evidence tier and source.\n"
	      "TARGET is a .torrent file, a magnet link or a 40-hex infohash.\n"
	      "\n"
	      "  --for DURATION        how long to watch (default 60s; ms, s, m, h)\n"
	      "  --tracker URL         also ask this tracker (repeatable)\n"
	      "  --no-trackers         ask no tracker\n"
	      "  --no-dht, --no-pex    do not use the DHT / peer exchange\n"
	      "  --dht-bootstrap HOST:PORT  DHT node to start from (repeatable; default:\n"
	      "                        the public routers)\n"
	      "  --dht-port PORT       UDP port of our DHT node (default: the listen port)\n"
	      "  --dht-interval DURATION  between DHT lookups of the swarm (60s)\n"
	      "  --dht-read-only       BEP 43 read-only node: ask, never answer\n"
	      "  --no-dht-announce     do not announce ourselves in the DHT\n"
	      "  --reannounce DURATION least gap between announces to a tracker that\n"
	      "                        gives no min interval (default 5m)\n"
	      "  --udp-timeout DURATION first UDP tracker timeout, doubled per retry (4s)\n"
	      "  --numwant N           peers to ask for per announce (1000)\n"
	      "  --max-conns N         concurrent peer connections (500)\n"
	      "  --linger DURATION     time connected to a peer per visit (60s)\n"
	      "  --revisit DURATION    gap before revisiting a peer still downloading (5m)\n"
	      "  --prove               download one piece from each verified peer and check\n"
	      "                        its hash (the `proven` tier; off by default)\n"
	      "  --allow-private       accept private, loopback and other non-public peers\n"
	      "  --listen ADDR:PORT    local address and port (default 0.0.0.0:0)\n"
	      "  --db FILE             also record observations and scrapes in FILE\n"
	      "  --evidence            with --db: store raw IP addresses (default: keyed\n"
	      "                        pseudonyms, HMAC-SHA256 under --secret)\n"
	      "  --secret FILE         the pseudonym secret (default FILE.secret; created 0600)\n"
	      "  --json                print one JSON object\n"
	      "  -v, --verbose         log tracker events to stderr\n"
	      "  -h, --help            show this help\n",
	      f);
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	enum { O_FOR = 256, O_TRACKER, O_NOTR, O_NODHT, O_NOPEX, O_REANN, O_UDPTO, O_NUMWANT,
	       O_PRIV, O_LISTEN, O_DB, O_JSON, O_MAXCONNS, O_LINGER, O_REVISIT, O_PROVE,
	       O_DHTBOOT, O_DHTPORT, O_DHTIV, O_DHTRO, O_DHTNOANN, O_EVIDENCE, O_SECRET };
	static const struct option lo[] = {
		{"for", required_argument, NULL, O_FOR},
		{"tracker", required_argument, NULL, O_TRACKER},
		{"no-trackers", no_argument, NULL, O_NOTR},
		{"no-dht", no_argument, NULL, O_NODHT},
		{"no-pex", no_argument, NULL, O_NOPEX},
		{"dht-bootstrap", required_argument, NULL, O_DHTBOOT},
		{"dht-port", required_argument, NULL, O_DHTPORT},
		{"dht-interval", required_argument, NULL, O_DHTIV},
		{"dht-read-only", no_argument, NULL, O_DHTRO},
		{"no-dht-announce", no_argument, NULL, O_DHTNOANN},
		{"reannounce", required_argument, NULL, O_REANN},
		{"udp-timeout", required_argument, NULL, O_UDPTO},
		{"numwant", required_argument, NULL, O_NUMWANT},
		{"max-conns", required_argument, NULL, O_MAXCONNS},
		{"linger", required_argument, NULL, O_LINGER},
		{"revisit", required_argument, NULL, O_REVISIT},
		{"prove", no_argument, NULL, O_PROVE},
		{"allow-private", no_argument, NULL, O_PRIV},
		{"listen", required_argument, NULL, O_LISTEN},
		{"db", required_argument, NULL, O_DB},
		{"evidence", no_argument, NULL, O_EVIDENCE},
		{"secret", required_argument, NULL, O_SECRET},
		{"json", no_argument, NULL, O_JSON},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;
	long n;

	o->for_ms = DEFAULT_FOR_MS;
	o->reannounce_ms = DEFAULT_REANNOUNCE_MS;
	o->udp_timeout_ms = DEFAULT_UDP_TIMEOUT_MS;
	o->numwant = DEFAULT_NUMWANT;
	o->max_conns = 500;
	o->linger_ms = 60000;
	o->revisit_ms = 5 * 60000;
	o->listen = "0.0.0.0:0";
	o->dht_port = -1;
	o->dht_interval_ms = 60000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		int64_t *dur = NULL;

		switch (c) {
		case O_FOR: dur = &o->for_ms; break;
		case O_REANN: dur = &o->reannounce_ms; break;
		case O_UDPTO: dur = &o->udp_timeout_ms; break;
		case O_LINGER: dur = &o->linger_ms; break;
		case O_REVISIT: dur = &o->revisit_ms; break;
		case O_DHTIV: dur = &o->dht_interval_ms; break;
		case O_DHTRO: o->dht_read_only = true; break;
		case O_DHTNOANN: o->no_dht_announce = true; break;
		case O_DHTPORT:
			o->dht_port = strtol(optarg, &end, 10);
			if (*end || o->dht_port < 0 || o->dht_port > 65535) {
				fprintf(stderr, "swarmwatch: count: --dht-port: expected 0..65535\n");
				return SW_EXIT_USAGE;
			}
			break;
		case O_DHTBOOT: {
			char **t = realloc(o->boot, (o->nboot + 1) * sizeof(*t));

			if (t == NULL)
				return SW_EXIT_FAILURE;
			o->boot = t;
			o->boot[o->nboot++] = optarg;
			break;
		}
		case O_MAXCONNS:
			o->max_conns = strtol(optarg, &end, 10);
			if (*end || o->max_conns < 1 || o->max_conns > 100000) {
				fprintf(stderr, "swarmwatch: count: --max-conns: expected 1..100000\n");
				return SW_EXIT_USAGE;
			}
			break;
		case O_TRACKER: {
			char **t = realloc(o->trackers, (o->ntrackers + 1) * sizeof(*t));

			if (t == NULL)
				return SW_EXIT_FAILURE;
			o->trackers = t;
			o->trackers[o->ntrackers++] = optarg;
			break;
		}
		case O_NOTR: o->no_trackers = true; break;
		case O_NODHT: o->no_dht = true; break;
		case O_NOPEX: o->no_pex = true; break;
		case O_NUMWANT:
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 100000) {
				fprintf(stderr, "swarmwatch: count: --numwant: expected 1..100000\n");
				return SW_EXIT_USAGE;
			}
			o->numwant = (int)n;
			break;
		case O_PRIV: o->allow_private = true; break;
		case O_PROVE: o->prove = true; break;
		case O_LISTEN: o->listen = optarg; break;
		case O_DB: o->db = optarg; break;
		case O_EVIDENCE: o->evidence = true; break;
		case O_SECRET: o->secret = optarg; break;
		case O_JSON: o->json = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(SW_EXIT_OK);
		default: usage(stderr); return SW_EXIT_USAGE;
		}
		if (dur != NULL && (sw_duration_parse(optarg, dur) != SW_OK || *dur <= 0)) {
			fprintf(stderr, "swarmwatch: count: bad duration '%s' (e.g. 90s, 5m, 1h)\n",
				optarg);
			return SW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "swarmwatch: count: expected one TARGET\n");
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	if (o->no_trackers && o->ntrackers > 0) {
		fprintf(stderr, "swarmwatch: count: --tracker and --no-trackers conflict\n");
		return SW_EXIT_USAGE;
	}
	o->target = argv[optind];
	return SW_EXIT_OK;
}

static int add_url(struct count *c, const char *url)
{
	char **u;

	for (size_t i = 0; i < c->nurls; i++)
		if (strcmp(c->urls[i], url) == 0)
			return SW_OK;
	u = realloc(c->urls, (c->nurls + 1) * sizeof(*u));
	if (u == NULL)
		return SW_E_NOMEM;
	c->urls = u;
	c->urls[c->nurls] = strdup(url);
	return c->urls[c->nurls++] ? SW_OK : SW_E_NOMEM;
}

/* Keep what --prove needs from a parsed torrent. */
static void take_hashes(struct count *c, struct sw_metainfo *m)
{
	free(c->hashes);
	c->hashes = m->piece_hashes; /* now ours */
	m->piece_hashes = NULL;
	c->piece_length = m->piece_length;
	c->total_size = m->total_size;
}

/* TARGET: a .torrent file, a magnet or a bare infohash.  Exit code. */
static int load_target(struct count *c)
{
	const char *t = c->o.target;
	struct sw_errbuf eb = {{0}};
	int rc = SW_OK;

	c->left = UNKNOWN_LEFT;
	if (strlen(t) == 2 * SW_INFOHASH_LEN &&
	    sw_hex_decode(t, strlen(t), c->infohash, SW_INFOHASH_LEN) == SW_OK) {
		/* a bare infohash: only --tracker URLs (and later the DHT) */
	} else if (strncasecmp(t, "magnet:", 7) == 0) {
		struct sw_magnet *m = NULL;

		rc = sw_magnet_parse(t, strlen(t), &m, &eb);
		if (rc) {
			fprintf(stderr, "swarmwatch: magnet: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
			return rc == SW_E_NOMEM ? SW_EXIT_FAILURE : SW_EXIT_USAGE;
		}
		sw_magnet_swarm_id(m, c->infohash);
		c->name = m->name ? strdup(m->name) : NULL;
		c->has_v2 = m->has_v2;
		memcpy(c->ih_v2, m->infohash_v2, SW_INFOHASH_V2_LEN);
		for (size_t i = 0; i < m->num_trackers && rc == SW_OK && !c->o.no_trackers; i++)
			rc = add_url(c, m->trackers[i]);
		sw_magnet_free(m);
	} else {
		struct sw_metainfo *m = NULL;
		struct sw_buf in;

		sw_buf_init(&in, (size_t)SW_METAINFO_MAX_SIZE + 1);
		rc = sw_buf_read_file(&in, t);
		if (rc) {
			fprintf(stderr, "swarmwatch: %s: %s\n", t,
				rc == SW_E_NOT_FOUND ? "no such file, magnet or infohash"
				: rc == SW_E_TOO_BIG ? "file too large for a .torrent"
						     : strerror(errno));
			sw_buf_deinit(&in);
			return SW_EXIT_USAGE;
		}
		rc = sw_metainfo_parse(in.data ? in.data : (const uint8_t *)"", in.len, &m, &eb);
		sw_buf_deinit(&in);
		if (rc) {
			fprintf(stderr, "swarmwatch: %s: %s\n", t, eb.msg[0] ? eb.msg : sw_strerror(rc));
			return rc == SW_E_NOMEM ? SW_EXIT_FAILURE : SW_EXIT_USAGE;
		}
		sw_metainfo_swarm_id(m, c->infohash);
		c->name = strdup(m->name);
		c->left = m->total_size;
		c->num_pieces = m->num_pieces <= UINT32_MAX ? (uint32_t)m->num_pieces : 0;
		take_hashes(c, m);
		c->has_v2 = m->has_v2;
		memcpy(c->ih_v2, m->infohash_v2, SW_INFOHASH_V2_LEN);
		for (size_t i = 0; i < m->num_tiers && !c->o.no_trackers; i++)
			for (size_t j = 0; j < m->tiers[i].num_urls && rc == SW_OK; j++)
				rc = add_url(c, m->tiers[i].urls[j]);
		sw_metainfo_free(m);
	}
	for (size_t i = 0; i < c->o.ntrackers && rc == SW_OK; i++)
		rc = add_url(c, c->o.trackers[i]);
	return rc == SW_OK ? SW_EXIT_OK : SW_EXIT_FAILURE;
}

/* One observation of peer p, as named by src, at the tier it has now. */
static void record(struct count *c, const struct sw_peer *p, enum sw_source src, int64_t wall)
{
	struct sw_observation obs;
	struct sw_errbuf eb = {{0}};

	if (c->sink == NULL)
		return;
	memset(&obs, 0, sizeof(obs));
	obs.ts_ms = wall;
	memcpy(obs.infohash, c->infohash, SW_INFOHASH_LEN);
	obs.addr = p->addr;
	obs.source = src;
	obs.tier = (enum sw_tier)p->tier;
	obs.has_have = p->has_have;
	obs.have = p->have;
	obs.client = p->client[0] ? p->client : NULL;
	if (sw_sink_put_observation(c->sink, &obs, &eb) != SW_OK && c->db_errors++ == 0)
		sw_error("%s: %s", c->o.db, eb.msg);
}

/* Is a the endpoint we announce (a tracker may hand us back to ourselves)? */
static bool is_self(const struct count *c, const struct sw_addr *a)
{
	return a->port == c->port && sw_ifaddrs_has(&c->self, a);
}

/*
 * Addresses named by a source: non-public ones are rejected (never
 * contacted) unless --allow-private; the others are counted `seen` and
 * handed to the verifier.  tracker_bit marks which tracker named them.
 */
static void add_named(struct count *c, const struct sw_addr *peers, size_t n, enum sw_source src,
		      struct sw_tracker *t)
{
	int64_t now = sw_time_mono_ms(), wall = sw_time_wall_ms();
	uint64_t bit = t && t->index < MAX_TRACKERS ? 1ull << t->index : 0;

	for (size_t i = 0; i < n; i++) {
		bool ok = c->o.allow_private || sw_addr_is_public(&peers[i]);
		struct sw_peer *p;

		if (is_self(c, &peers[i])) {
			c->self_seen++;
			continue;
		}
		p = sw_peerset_add(ok ? c->peers : c->rejected, &peers[i], src, now, NULL);
		if (p != NULL && bit && !(p->trackers & bit)) {
			p->trackers |= bit;
			t->known++;
		}
		if (!ok || p == NULL)
			continue;
		record(c, p, src, wall);
		if (c->verifier != NULL)
			sw_verifier_add_peer(c->verifier, c->vswarm, &peers[i]);
	}
}

static void on_peers(void *ctx, struct sw_tracker *t, const struct sw_addr *peers, size_t n)
{
	add_named(ctx, peers, n, SW_SOURCE_TRACKER, t);
}

static void on_dht_values(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], const struct sw_addr *peers,
			  size_t n)
{
	struct count *c = ctx;

	if (memcmp(ih, c->infohash, SW_INFOHASH_LEN) == 0)
		add_named(c, peers, n, SW_SOURCE_DHT, NULL);
}

/*
 * Passive observation: a node asked us about our swarm.  An announce_peer
 * names its peer port, so the address is verified like any other; a
 * get_peers comes from the asker's DHT port, so it is recorded, not dialled.
 */
static void on_dht_query(void *ctx, int method, const uint8_t ih[SW_INFOHASH_LEN],
			 const struct sw_addr *from, bool seed)
{
	struct count *c = ctx;
	struct sw_peer *p;

	(void)seed;
	if (memcmp(ih, c->infohash, SW_INFOHASH_LEN) != 0 || is_self(c, from))
		return;
	if (method == SW_KRPC_ANNOUNCE_PEER) {
		add_named(c, from, 1, SW_SOURCE_DHT_PASSIVE, NULL);
		return;
	}
	if (!c->o.allow_private && !sw_addr_is_public(from)) {
		sw_peerset_add(c->rejected, from, SW_SOURCE_DHT_PASSIVE, sw_time_mono_ms(), NULL);
		return;
	}
	p = sw_peerset_add(c->peers, from, SW_SOURCE_DHT_PASSIVE, sw_time_mono_ms(), NULL);
	if (p != NULL)
		record(c, p, SW_SOURCE_DHT_PASSIVE, sw_time_wall_ms());
}

static void on_dht_scrape(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], const struct sw_dht_scrape *s)
{
	struct count *c = ctx;

	if (memcmp(ih, c->infohash, SW_INFOHASH_LEN) != 0)
		return;
	c->dht_scrape = *s;
	c->has_dht_scrape = true;
	sw_info("dht: BEP 33 scrape of %u nodes: ~%.0f seeders, ~%.0f leechers", s->nodes, s->seeds,
		s->peers);
}

static void on_dht_lookup(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], unsigned answered,
			  size_t values)
{
	(void)ctx;
	(void)ih;
	sw_info("dht: lookup converged: %u nodes answered, %zu values", answered, values);
}

static void on_pex(void *ctx, struct sw_vswarm *sw, void *swarm_ctx, const struct sw_addr *peers,
		   size_t n)
{
	(void)sw;
	(void)swarm_ctx;
	add_named(ctx, peers, n, SW_SOURCE_PEX, NULL);
}

/* The verifier learned something about a peer: raise its tier, note what it holds. */
static void on_verified(void *ctx, const struct sw_verifier_update *u)
{
	struct count *c = ctx;
	enum sw_source src = u->incoming ? SW_SOURCE_INCOMING : SW_SOURCE_TRACKER;
	struct sw_peer *p = sw_peerset_find(c->peers, &u->addr);

	if (p == NULL) {
		/* Incoming peers are new to us; others were added when named. */
		if (!u->incoming || (!c->o.allow_private && !sw_addr_is_public(&u->addr)))
			return;
		p = sw_peerset_add(c->peers, &u->addr, src, sw_time_mono_ms(), NULL);
		if (p == NULL)
			return;
	} else if (u->incoming) {
		sw_peerset_add(c->peers, &u->addr, SW_SOURCE_INCOMING, sw_time_mono_ms(), NULL);
	}
	if (!u->incoming) /* the observation names the source that led us to the peer */
		for (int i = 0; i < SW_SOURCE_COUNT; i++)
			if (p->sources & (1u << i)) {
				src = (enum sw_source)i;
				break;
			}
	sw_peerset_raise_tier(c->peers, p, u->tier);
	if (u->have >= 0) {
		p->has_have = true;
		p->have = u->have;
	}
	if (u->client && u->client[0])
		snprintf(p->client, sizeof(p->client), "%s", u->client);
	record(c, p, src, sw_time_wall_ms());
}

/* Metadata arrived for a magnet or bare infohash: now we can read bitfields. */
static void on_metadata(void *ctx, struct sw_vswarm *sw, void *swarm_ctx, const uint8_t *info,
			size_t len)
{
	struct count *c = ctx;
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb = {{0}};

	(void)swarm_ctx;
	if (sw_metainfo_parse_info(info, len, &m, &eb) != SW_OK) {
		sw_warn("metadata verified but unreadable: %s", eb.msg);
		return;
	}
	free(c->name);
	c->name = strdup(m->name);
	c->left = m->total_size;
	c->num_pieces = (uint32_t)m->num_pieces;
	take_hashes(c, m);
	sw_info("metadata: %s, %u pieces", m->name, c->num_pieces);
	if (c->o.prove && c->hashes)
		sw_verifier_set_hashes(c->verifier, sw, c->hashes, c->num_pieces, c->piece_length,
				       c->total_size);
	sw_verifier_set_pieces(c->verifier, sw, c->num_pieces);
	sw_metainfo_free(m);
}

static void on_verifier_log(void *ctx, const char *msg)
{
	(void)ctx;
	sw_info("%s", msg);
}

static void on_accept(void *ctx, struct sw_tcp *tcp)
{
	struct count *c = ctx;

	sw_verifier_accept(c->verifier, tcp);
}

static void progress(struct count *c, bool final)
{
	size_t answered = 0, n = sw_tracker_client_count(c->trackers);
	int64_t el = (sw_time_mono_ms() - c->started) / 1000;

	if (!c->tty)
		return;
	for (size_t i = 0; i < n; i++)
		answered += sw_tracker_client_at(c->trackers, i)->answered;
	fprintf(stderr, "\r\033[K%s%" PRId64 "s/%" PRId64 "s  unique IPs: %zu seen, %zu "
			"connectable, %zu verified (%zu connections)  rejected %zu  "
			"trackers %zu/%zu answered",
		c->stopping ? "stopping " : "", el, c->o.for_ms / 1000,
		sw_peerset_unique_ips(c->peers, SW_TIER_SEEN),
		sw_peerset_unique_ips(c->peers, SW_TIER_CONNECTABLE),
		sw_peerset_unique_ips(c->peers, SW_TIER_VERIFIED),
		sw_verifier_stats(c->verifier)->active,
		sw_peerset_unique_ips(c->rejected, SW_TIER_SEEN), answered, n);
	if (final)
		fputs("\r\033[K", stderr);
}

static void begin_stop(struct count *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	c->stop_by = sw_time_mono_ms() + STOP_GRACE_MS;
	if (c->verifier)
		sw_verifier_stop(c->verifier);
	sw_tracker_client_stop(c->trackers);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct count *c = arg;
	int64_t now = sw_time_mono_ms();

	(void)fd;
	(void)what;
	if (!c->stopping && now >= c->ends)
		begin_stop(c);
	if (c->stopping && (sw_tracker_client_done(c->trackers) || now >= c->stop_by)) {
		sw_loop_stop(&c->loop);
		return;
	}
	progress(c, false);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct count *c = arg;

	(void)fd;
	(void)what;
	if (c->interrupted) /* a second signal: leave now */
		sw_loop_stop(&c->loop);
	c->interrupted = true;
	begin_stop(c);
}

/* Bind the UDP sockets: IPv4 at --listen, IPv6 on the same port. */
static int open_sockets(struct count *c, struct sw_errbuf *eb)
{
	struct sw_addr la, any6;
	static const uint8_t zero[SW_ADDR_V6_LEN];
	int rc;

	if (sw_addr_parse(&la, c->o.listen) != SW_OK)
		return sw_errbuf_set(eb, SW_E_USAGE, "--listen %s: expected ADDR:PORT", c->o.listen);
	/* TCP first: with port 0 the kernel picks one, and UDP takes the same. */
	rc = sw_tcp_listen(&c->loop, &la, on_accept, c, &c->listener, eb);
	if (rc)
		return rc;
	la.port = sw_tcp_listener_addr(c->listener)->port;
	if (la.family == AF_INET6) {
		rc = sw_udp_open(&c->loop, &la, &c->udp6, eb);
		if (rc)
			return rc;
		la = *sw_udp_local(c->udp6);
		/* An IPv4 socket only when listening on every address. */
		if (memcmp(la.ip, zero, SW_ADDR_V6_LEN) == 0) {
			struct sw_addr any4;
			static const uint8_t z4[SW_ADDR_V4_LEN];

			sw_addr_init_v4(&any4, z4, la.port);
			sw_udp_open(&c->loop, &any4, &c->udp4, NULL);
		}
		return SW_OK;
	}
	rc = sw_udp_open(&c->loop, &la, &c->udp4, eb);
	if (rc)
		return rc;
	la = *sw_udp_local(c->udp4);
	if (memcmp(la.ip, zero, SW_ADDR_V4_LEN) == 0) {
		sw_addr_init_v6(&any6, zero, la.port);
		/* No IPv6 on this host is fine: IPv4 trackers still work. */
		sw_udp_open(&c->loop, &any6, &c->udp6, NULL);
	}
	return SW_OK;
}

static int start_verifier(struct count *c)
{
	struct sw_verifier_opts vo;
	int rc;

	memset(&vo, 0, sizeof(vo));
	vo.loop = &c->loop;
	memcpy(vo.peer_id, c->peer_id, SW_PEER_ID_LEN);
	vo.listen_port = c->port;
	vo.max_conns = (size_t)c->o.max_conns;
	vo.linger_ms = c->o.linger_ms;
	vo.revisit_ms = c->o.revisit_ms;
	vo.ctx = c;
	vo.update = on_verified;
	vo.pex = c->o.no_pex ? NULL : on_pex;
	vo.metadata = on_metadata;
	vo.log = on_verifier_log;
	vo.prove = c->o.prove;
	rc = sw_verifier_new(&vo, &c->verifier);
	if (rc == SW_OK)
		rc = sw_verifier_add_swarm(c->verifier, c->infohash, c->has_v2 ? c->ih_v2 : NULL,
					   c->num_pieces, c, &c->vswarm);
	if (rc == SW_OK && c->o.prove && c->hashes &&
	    sw_verifier_set_hashes(c->verifier, c->vswarm, c->hashes, c->num_pieces,
				   c->piece_length, c->total_size) != SW_OK)
		sw_warn("--prove: pieces of %" PRIu64 " bytes are too large to prove",
			c->piece_length);
	return rc;
}

static void on_saved_node(void *ctx, const uint8_t id[20], const struct sw_addr *a)
{
	(void)id;
	sw_dht_add_node(ctx, a);
}

static int start_dht(struct count *c, struct sw_errbuf *eb)
{
	struct sw_dht_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.loop = &c->loop;
	o.udp4 = c->udp4;
	o.udp6 = c->udp6;
	if (c->o.dht_port >= 0) {
		/* Our own DHT sockets, on the same addresses as the listen ones. */
		struct sw_addr a;

		if (c->udp4) {
			a = *sw_udp_local(c->udp4);
			a.port = (uint16_t)c->o.dht_port;
			if ((rc = sw_udp_open(&c->loop, &a, &c->dudp4, eb)) != SW_OK)
				return rc;
			if (c->o.dht_port == 0)
				c->o.dht_port = sw_udp_local(c->dudp4)->port;
		}
		if (c->udp6) {
			a = *sw_udp_local(c->udp6);
			a.port = (uint16_t)c->o.dht_port;
			sw_udp_open(&c->loop, &a, &c->dudp6, NULL); /* best effort, as above */
		}
		o.udp4 = c->dudp4;
		o.udp6 = c->dudp6;
	}
	o.read_only = c->o.dht_read_only;
	o.allow_private = c->o.allow_private;
	o.lookup_interval_ms = c->o.dht_interval_ms;
	o.announce_port = c->o.no_dht_announce ? 0 : c->port;
	o.ctx = c;
	o.on_values = on_dht_values;
	o.on_query = on_dht_query;
	o.on_scrape = on_dht_scrape;
	o.on_lookup_done = on_dht_lookup;
	rc = sw_dht_new(&o, &c->dht, eb);
	if (rc == SW_OK)
		rc = sw_dht_bootstrap(c->dht, c->o.nboot ? (const char *const *)c->o.boot : NULL,
				      c->o.nboot, eb);
	if (rc == SW_OK && c->sink != NULL) /* the table a previous run saved */
		rc = sw_store_sqlite_dht_load(c->sink, on_saved_node, c->dht, eb);
	if (rc == SW_OK)
		rc = sw_dht_watch(c->dht, c->infohash);
	return rc;
}

static int start(struct count *c, struct sw_errbuf *eb)
{
	struct sw_tracker_client_opts to;
	struct sw_tracker_params p;
	struct timeval tick = {0, 200000};
	uint64_t seed;
	int rc;

	memcpy(c->peer_id, PEER_ID_PREFIX, strlen(PEER_ID_PREFIX));
	if (RAND_bytes(c->peer_id + strlen(PEER_ID_PREFIX),
		       (int)(SW_PEER_ID_LEN - strlen(PEER_ID_PREFIX))) != 1)
		return sw_errbuf_set(eb, SW_E_NOMEM, "no random bytes");
	rc = sw_loop_init(&c->loop, eb);
	if (rc == SW_OK)
		rc = open_sockets(c, eb);
	if (rc == SW_OK) {
		c->port = sw_tcp_listener_addr(c->listener)->port;
		sw_ifaddrs_load(&c->self);
		/* 127.x.y.z and other addresses bound on lo are not listed there. */
		sw_ifaddrs_add(&c->self, sw_tcp_listener_addr(c->listener));
	}
	if (rc == SW_OK)
		rc = sw_http_new(&c->loop, &c->http, eb);
	if (rc)
		return rc;
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		return sw_errbuf_set(eb, SW_E_NOMEM, "no random bytes");
	if (sw_peerset_new(DEFAULT_MAX_PEERS, seed, &c->peers) ||
	    sw_peerset_new(DEFAULT_MAX_PEERS, seed ^ 1, &c->rejected))
		return SW_E_NOMEM;

	rc = start_verifier(c);
	if (rc == SW_OK && !c->o.no_dht)
		rc = start_dht(c, eb);
	if (rc)
		return rc;
	memset(&to, 0, sizeof(to));
	to.loop = &c->loop;
	to.udp4 = c->udp4;
	to.udp6 = c->udp6;
	to.http = c->http;
	to.http_timeout_ms = 15000;
	to.on_peers = on_peers;
	to.ctx = c;
	rc = sw_tracker_client_new(&to, &c->trackers);
	if (rc)
		return rc;

	memset(&p, 0, sizeof(p));
	memcpy(p.infohash, c->infohash, SW_INFOHASH_LEN);
	memcpy(p.peer_id, c->peer_id, SW_PEER_ID_LEN);
	if (RAND_bytes((unsigned char *)&p.key, sizeof(p.key)) != 1)
		return SW_E_NOMEM;
	p.port = c->port;
	p.left = c->left;
	p.numwant = c->o.numwant;
	p.reannounce_floor_ms = c->o.reannounce_ms;
	p.udp_first_timeout_ms = c->o.udp_timeout_ms;
	p.udp_max_retries = DEFAULT_UDP_RETRIES;
	p.retry_base_ms = 15000;
	p.retry_max_ms = 30 * 60 * 1000;

	c->started = sw_time_mono_ms();
	c->ends = c->started + c->o.for_ms;
	for (size_t i = 0; i < c->nurls; i++) {
		struct sw_errbuf teb = {{0}};

		if (sw_tracker_client_add(c->trackers, c->urls[i], &p, NULL, &teb) != SW_OK)
			sw_warn("tracker %s skipped: %s", c->urls[i], teb.msg);
	}
	c->tick = event_new(c->loop.base, -1, EV_PERSIST, on_tick, c);
	c->sigint = evsignal_new(c->loop.base, SIGINT, on_signal, c);
	c->sigterm = evsignal_new(c->loop.base, SIGTERM, on_signal, c);
	if (c->tick == NULL || c->sigint == NULL || c->sigterm == NULL)
		return SW_E_NOMEM;
	event_add(c->tick, &tick);
	event_add(c->sigint, NULL);
	event_add(c->sigterm, NULL);
	return SW_OK;
}

static void json_count(struct sw_json *j, int64_t v)
{
	if (v < 0)
		sw_json_null(j);
	else
		sw_json_int(j, v);
}

static void json_trackers(struct count *c, struct sw_json *j)
{
	sw_json_arr_begin(j);
	for (size_t i = 0; i < sw_tracker_client_count(c->trackers); i++) {
		struct sw_tracker *t = sw_tracker_client_at(c->trackers, i);
		bool scraped = t->has_scrape;

		sw_json_obj_begin(j);
		sw_json_key(j, "url");
		sw_json_str(j, t->url);
		sw_json_key(j, "ok");
		sw_json_bool(j, t->answered && t->error[0] == 0);
		sw_json_key(j, "seeders");
		json_count(j, scraped ? t->seeders : -1);
		sw_json_key(j, "leechers");
		json_count(j, scraped ? t->leechers : -1);
		sw_json_key(j, "completed");
		json_count(j, scraped ? t->completed : -1);
		sw_json_key(j, "error");
		sw_json_str(j, t->error[0] ? t->error : (t->answered ? NULL : "no reply before the run ended"));
		sw_json_obj_end(j);
	}
	sw_json_arr_end(j);
}

static void json_estimate(struct sw_json *j, bool has, double v)
{
	if (has)
		sw_json_int(j, (int64_t)llround(v));
	else
		sw_json_null(j);
}

static void json_dht(struct count *c, struct sw_json *j)
{
	const struct sw_dht_stats *st;

	if (c->dht == NULL) {
		sw_json_null(j);
		return;
	}
	st = sw_dht_stats(c->dht);
	sw_json_obj_begin(j);
	sw_json_key(j, "nodes");
	sw_json_uint(j, sw_dht_table_size(c->dht));
	sw_json_key(j, "lookup_nodes");
	sw_json_uint(j, sw_dht_last_nodes(c->dht, c->infohash));
	sw_json_key(j, "estimated_seeders");
	json_estimate(j, c->has_dht_scrape, c->dht_scrape.seeds);
	sw_json_key(j, "estimated_leechers");
	json_estimate(j, c->has_dht_scrape, c->dht_scrape.peers);
	sw_json_key(j, "scrape_saturated");
	sw_json_bool(j, c->has_dht_scrape &&
				(c->dht_scrape.seeds_saturated || c->dht_scrape.peers_saturated));
	sw_json_key(j, "values");
	sw_json_uint(j, st->values);
	sw_json_key(j, "values_discounted");
	sw_json_uint(j, st->values_discounted);
	sw_json_key(j, "values_unconfirmed");
	sw_json_uint(j, st->values_unconfirmed);
	sw_json_key(j, "liars");
	sw_json_uint(j, st->liars);
	sw_json_key(j, "lookups");
	sw_json_uint(j, st->lookups_done);
	sw_json_key(j, "rx");
	sw_json_uint(j, st->rx);
	sw_json_key(j, "tx");
	sw_json_uint(j, st->tx);
	sw_json_key(j, "dropped");
	sw_json_obj_begin(j);
	sw_json_key(j, "parse");
	sw_json_uint(j, st->dropped_parse);
	sw_json_key(j, "transaction");
	sw_json_uint(j, st->dropped_tid + st->dropped_source);
	sw_json_key(j, "rate_limit");
	sw_json_uint(j, st->dropped_ratelimit);
	sw_json_key(j, "private");
	sw_json_uint(j, st->dropped_private);
	sw_json_obj_end(j);
	sw_json_obj_end(j);
}

static void json_peers(struct count *c, struct sw_json *j)
{
	char ip[SW_ADDR_STRLEN];

	sw_json_arr_begin(j);
	for (size_t i = 0; i < sw_peerset_size(c->peers); i++) {
		const struct sw_peer *p = sw_peerset_at(c->peers, i);

		sw_json_obj_begin(j);
		sw_addr_ip_str(&p->addr, ip, sizeof(ip));
		sw_json_key(j, "ip");
		sw_json_str(j, ip);
		sw_json_key(j, "port");
		sw_json_uint(j, p->addr.port);
		sw_json_key(j, "tier");
		sw_json_str(j, sw_tier_name((enum sw_tier)p->tier));
		sw_json_key(j, "sources");
		sw_json_arr_begin(j);
		for (int s = 0; s < SW_SOURCE_COUNT; s++)
			if (p->sources & (1u << s))
				sw_json_str(j, sw_source_name((enum sw_source)s));
		sw_json_arr_end(j);
		sw_json_key(j, "have");
		if (p->has_have)
			sw_json_double(j, p->have);
		else
			sw_json_null(j);
		sw_json_key(j, "client");
		sw_json_str(j, p->client[0] ? p->client : NULL);
		sw_json_obj_end(j);
	}
	sw_json_arr_end(j);
}

/* "key": {"seen": n[0], "connectable": n[1], "verified": n[2]...}, tiers up to last. */
static void json_tiers(struct sw_json *j, const char *key, const size_t n[SW_TIER_COUNT],
		       enum sw_tier last)
{
	static const char *const names[SW_TIER_COUNT] = {"seen", "connectable", "verified",
							  "proven"};

	sw_json_key(j, key);
	sw_json_obj_begin(j);
	for (int t = 0; t <= (int)last; t++) {
		sw_json_key(j, names[t]);
		sw_json_uint(j, n[t]);
	}
	sw_json_obj_end(j);
}

static int print_json(struct count *c)
{
	struct sw_buf out;
	struct sw_json j;
	char hex[2 * SW_INFOHASH_LEN + 1];
	size_t ips[SW_TIER_COUNT], nets[SW_TIER_COUNT];
	int rc;

	sw_buf_init(&out, SIZE_MAX / 2);
	sw_json_init(&j, &out);
	sw_json_obj_begin(&j);
	sw_hex_encode(c->infohash, SW_INFOHASH_LEN, hex);
	sw_json_key(&j, "infohash");
	sw_json_str(&j, hex);
	sw_json_key(&j, "name");
	sw_json_str(&j, c->name);
	sw_json_key(&j, "duration_s");
	sw_json_double(&j, (double)(sw_time_mono_ms() - c->started) / 1000.0);
	for (int t = 0; t < SW_TIER_COUNT; t++)
		ips[t] = sw_peerset_unique_ips(c->peers, (enum sw_tier)t);
	sw_peerset_unique_nets(c->peers, nets);
	json_tiers(&j, "unique_ips", ips, c->o.prove ? SW_TIER_PROVEN : SW_TIER_VERIFIED);
	/* IPv6 per /64 (an IPv4 address is its own network), as the report's. */
	json_tiers(&j, "unique_networks", nets, SW_TIER_VERIFIED);
	sw_json_key(&j, "rejected");
	sw_json_uint(&j, sw_peerset_unique_ips(c->rejected, SW_TIER_SEEN));
	sw_json_key(&j, "by_source");
	sw_json_obj_begin(&j);
	sw_json_key(&j, "tracker");
	sw_json_uint(&j, sw_peerset_unique_ips_from(c->peers, SW_SOURCE_TRACKER));
	sw_json_key(&j, "dht");
	sw_json_uint(&j, sw_peerset_unique_ips_from(c->peers, SW_SOURCE_DHT));
	sw_json_key(&j, "dht_passive");
	sw_json_uint(&j, sw_peerset_unique_ips_from(c->peers, SW_SOURCE_DHT_PASSIVE));
	sw_json_key(&j, "pex");
	sw_json_uint(&j, sw_peerset_unique_ips_from(c->peers, SW_SOURCE_PEX));
	sw_json_key(&j, "incoming");
	sw_json_uint(&j, sw_peerset_unique_ips_from(c->peers, SW_SOURCE_INCOMING));
	sw_json_obj_end(&j);
	sw_json_key(&j, "dht");
	json_dht(c, &j);
	sw_json_key(&j, "trackers");
	json_trackers(c, &j);
	sw_json_key(&j, "peers");
	json_peers(c, &j);
	sw_json_obj_end(&j);
	rc = sw_json_error(&j);
	if (rc == SW_OK)
		rc = sw_buf_putc(&out, '\n');
	if (rc) {
		sw_buf_deinit(&out);
		fprintf(stderr, "swarmwatch: count: %s\n", sw_strerror(rc));
		return SW_EXIT_FAILURE;
	}
	rc = sw_cmd_write_out(stdout, out.data, out.len);
	sw_buf_deinit(&out);
	return rc;
}

static int print_summary(struct count *c)
{
	char hex[2 * SW_INFOHASH_LEN + 1];
	size_t nets[SW_TIER_COUNT];

	sw_hex_encode(c->infohash, SW_INFOHASH_LEN, hex);
	printf("swarm:        %s%s%s%s\n", hex, c->name ? " (" : "", c->name ? c->name : "",
	       c->name ? ")" : "");
	printf("watched:      %.1f s\n", (double)(sw_time_mono_ms() - c->started) / 1000.0);
	printf("unique IPs:   %zu seen, %zu connectable, %zu verified",
	       sw_peerset_unique_ips(c->peers, SW_TIER_SEEN),
	       sw_peerset_unique_ips(c->peers, SW_TIER_CONNECTABLE),
	       sw_peerset_unique_ips(c->peers, SW_TIER_VERIFIED));
	if (c->o.prove)
		printf(", %zu proven", sw_peerset_unique_ips(c->peers, SW_TIER_PROVEN));
	printf("\n");
	sw_peerset_unique_nets(c->peers, nets);
	if (nets[SW_TIER_SEEN] != sw_peerset_unique_ips(c->peers, SW_TIER_SEEN))
		printf("networks:     %zu seen, %zu connectable, %zu verified (IPv6 per /64)\n",
		       nets[SW_TIER_SEEN], nets[SW_TIER_CONNECTABLE], nets[SW_TIER_VERIFIED]);
	printf("by source:    tracker %zu, dht %zu, dht-passive %zu, pex %zu, incoming %zu\n",
	       sw_peerset_unique_ips_from(c->peers, SW_SOURCE_TRACKER),
	       sw_peerset_unique_ips_from(c->peers, SW_SOURCE_DHT),
	       sw_peerset_unique_ips_from(c->peers, SW_SOURCE_DHT_PASSIVE),
	       sw_peerset_unique_ips_from(c->peers, SW_SOURCE_PEX),
	       sw_peerset_unique_ips_from(c->peers, SW_SOURCE_INCOMING));
	if (c->dht != NULL) {
		printf("dht:          %zu nodes in the table, lookup answered by %u",
		       sw_dht_table_size(c->dht), sw_dht_last_nodes(c->dht, c->infohash));
		if (c->has_dht_scrape)
			printf(", BEP 33 estimate ~%.0f seeders, ~%.0f leechers",
			       c->dht_scrape.seeds, c->dht_scrape.peers);
		if (sw_dht_stats(c->dht)->liars)
			printf(", %" PRIu64 " lying nodes (%" PRIu64 " values discounted)",
			       sw_dht_stats(c->dht)->liars, sw_dht_stats(c->dht)->values_discounted);
		printf("\n");
	}
	printf("rejected:     %zu (non-public addresses; --allow-private accepts them)\n",
	       sw_peerset_unique_ips(c->rejected, SW_TIER_SEEN));
	for (size_t i = 0; i < sw_tracker_client_count(c->trackers); i++) {
		struct sw_tracker *t = sw_tracker_client_at(c->trackers, i);

		printf("%-13s %s  ", i == 0 ? "trackers:" : "", t->url);
		if (t->answered && t->error[0] == 0)
			printf("ok");
		else
			printf("FAILED: %s", t->error[0] ? t->error : "no reply before the run ended");
		if (t->has_scrape)
			printf("  (%" PRId64 " seeders, %" PRId64 " leechers, %" PRId64
			       " completed)",
			       t->seeders, t->leechers, t->completed);
		printf("\n");
	}
	return fflush(stdout) == 0 ? SW_EXIT_OK : SW_EXIT_FAILURE;
}

/* Record the trackers' last counts and the torrent in the store. */
static void store_results(struct count *c)
{
	struct sw_errbuf eb = {{0}};
	struct sw_torrent tor;
	int64_t wall = sw_time_wall_ms();

	if (c->sink == NULL)
		return;
	if (c->dht != NULL) {
		static uint8_t ids[1024][SW_NODEID_LEN];
		static struct sw_addr addrs[1024];
		size_t n = sw_dht_nodes(c->dht, ids, addrs, 1024);

		if (sw_store_sqlite_dht_save(c->sink, (const uint8_t(*)[20])ids, addrs, n, wall,
					     &eb) != SW_OK)
			sw_error("%s: %s", c->o.db, eb.msg);
	}
	memset(&tor, 0, sizeof(tor));
	memcpy(tor.infohash, c->infohash, SW_INFOHASH_LEN);
	tor.name = c->name;
	tor.total_size = c->left == UNKNOWN_LEFT ? SW_SINK_UNKNOWN : (int64_t)c->left;
	tor.num_pieces = SW_SINK_UNKNOWN;
	tor.source = "count";
	tor.first_seen_ms = wall;
	if (sw_sink_put_torrent(c->sink, &tor, &eb) != SW_OK)
		sw_error("%s: %s", c->o.db, eb.msg);
	if (c->has_dht_scrape) {
		struct sw_scrape s;

		memset(&s, 0, sizeof(s));
		s.ts_ms = wall;
		memcpy(s.infohash, c->infohash, SW_INFOHASH_LEN);
		s.tracker = "dht";
		s.seeders = llround(c->dht_scrape.seeds);
		s.leechers = llround(c->dht_scrape.peers);
		s.completed = SW_SINK_UNKNOWN;
		if (sw_sink_put_scrape(c->sink, &s, &eb) != SW_OK)
			sw_error("%s: %s", c->o.db, eb.msg);
	}
	for (size_t i = 0; i < sw_tracker_client_count(c->trackers); i++) {
		struct sw_tracker *t = sw_tracker_client_at(c->trackers, i);
		struct sw_scrape s;

		if (!t->has_scrape)
			continue;
		memset(&s, 0, sizeof(s));
		s.ts_ms = wall;
		memcpy(s.infohash, c->infohash, SW_INFOHASH_LEN);
		s.tracker = t->url;
		s.seeders = t->seeders;
		s.leechers = t->leechers;
		s.completed = t->completed;
		if (sw_sink_put_scrape(c->sink, &s, &eb) != SW_OK)
			sw_error("%s: %s", c->o.db, eb.msg);
	}
}

static void cleanup(struct count *c)
{
	if (c->tick)
		event_free(c->tick);
	if (c->sigint)
		event_free(c->sigint);
	if (c->sigterm)
		event_free(c->sigterm);
	sw_tracker_client_free(c->trackers);
	sw_dht_free(c->dht);
	sw_udp_close(c->dudp4);
	sw_udp_close(c->dudp6);
	sw_verifier_free(c->verifier);
	sw_tcp_listener_free(c->listener);
	sw_http_free(c->http);
	sw_udp_close(c->udp4);
	sw_udp_close(c->udp6);
	sw_loop_deinit(&c->loop);
	sw_peerset_free(c->peers);
	sw_peerset_free(c->rejected);
	for (size_t i = 0; i < c->nurls; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->name);
	free(c->hashes);
	free(c->o.trackers);
	free(c->o.boot);
}

/* --db: addresses as keyed pseudonyms unless --evidence (docs/privacy.md). */
static int open_store(struct count *c, struct sw_errbuf *eb)
{
	struct sw_store_options so;
	char path[4096];
	int rc;

	memset(&so, 0, sizeof(so));
	if (!c->o.evidence) {
		snprintf(path, sizeof(path), "%s.secret", c->o.db);
		rc = sw_pseudonym_load(c->o.secret ? c->o.secret : path, &c->pn, eb);
		if (rc != SW_OK)
			return rc;
		so.addr_transform = sw_pseudonym_transform;
		so.addr_transform_ctx = &c->pn;
	}
	return sw_store_sqlite_open(c->o.db, &so, &c->sink, eb);
}

int sw_cmd_count(int argc, char **argv)
{
	struct count c;
	struct sw_errbuf eb = {{0}};
	int status, rc;

	memset(&c, 0, sizeof(c));
	status = parse_args(&c.o, argc, argv);
	if (status == SW_EXIT_OK)
		status = load_target(&c);
	if (status != SW_EXIT_OK)
		goto out;
	sw_log_set_level(c.o.verbose ? SW_LOG_INFO : SW_LOG_WARN);
	c.tty = !c.o.json && isatty(STDERR_FILENO);
	if (c.o.db != NULL && (rc = open_store(&c, &eb)) != SW_OK) {
		fprintf(stderr, "swarmwatch: %s: %s\n", c.o.db, eb.msg);
		status = SW_EXIT_FAILURE;
		goto out;
	}
	rc = start(&c, &eb);
	if (rc) {
		fprintf(stderr, "swarmwatch: count: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
		status = rc == SW_E_USAGE ? SW_EXIT_USAGE : SW_EXIT_FAILURE;
		goto out;
	}
	if (c.nurls == 0 && c.o.no_dht)
		sw_warn("no trackers to ask and --no-dht: only incoming peers can be counted");
	sw_loop_run(&c.loop);
	progress(&c, true);
	store_results(&c);
	if (c.sink != NULL && sw_sink_close(c.sink, &eb) != SW_OK) {
		fprintf(stderr, "swarmwatch: %s: %s\n", c.o.db, eb.msg);
		status = SW_EXIT_FAILURE;
	}
	c.sink = NULL;
	if (status == SW_EXIT_OK)
		status = c.o.json ? print_json(&c) : print_summary(&c);
	if (status == SW_EXIT_OK && c.db_errors > 0)
		status = SW_EXIT_FAILURE;
out:
	if (c.sink != NULL)
		sw_sink_close(c.sink, NULL);
	cleanup(&c);
	return status;
}
