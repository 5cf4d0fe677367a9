/*
 * crawl.c - `swarmwatch crawl [options]`: discover infohashes in the DHT.
 *
 * Runs a DHT node that walks the keyspace with BEP 51 sample_infohashes
 * (sw_dht_crawl) and also listens: every get_peers or announce_peer query
 * it receives names an infohash someone is interested in.  Each infohash
 * is kept once, with where it was first learned (`sample` or `passive`).
 *
 * A get_peers we receive only says that someone looks for an infohash:
 * nodes look up random targets too (libtorrent refreshes its table that
 * way).  Such an infohash is reported once it is confirmed to be in the
 * DHT: a node samples it, someone announces it, or our own lookup of it
 * finds peers.  Unconfirmed ones are only counted.
 *
 * Each new infohash then gets a job: the node looks it up (sw_dht_watch)
 * to find peers, and unless --no-metadata the verifier fetches its info
 * dictionary from them (BEP 9, checked against the infohash), which gives
 * the torrent's name (with --no-metadata, only unconfirmed infohashes get
 * a job, a lookup to confirm them).  At most --metadata jobs run at once;
 * the others wait in discovery order.  A job ends with the metadata (or,
 * without metadata, the confirmation), when two lookups in a row found no
 * peer, or at its deadline; the lookup is then dropped (sw_dht_unwatch).
 * The verifier has no way to forget a swarm, so a late metadata answer
 * still names the infohash, and the total number of fetches is capped
 * (MAX_FETCHES).
 *
 * Everything is bounded: infohashes (MAX_INFOHASHES, then counted as
 * dropped), peers remembered per job (JOB_PEERS), peers handed to the
 * verifier per job (JOB_VERIFY).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cmd/cmd.h"
#include "core/addr.h"
#include "core/buf.h"
#include "core/hex.h"
#include "core/json.h"
#include "core/log.h"
#include "core/siphash.h"
#include "core/time.h"
#include "dht/dht.h"
#include "net/loop.h"
#include "net/udp.h"
#include "peer/verifier.h"
#include "proto/krpc.h"
#include "proto/metainfo.h"
#include "store/sink.h"
#include "store/sqlite.h"

#define DEFAULT_FOR_MS     (10 * 60 * 1000)
#define DEFAULT_QPS        200
#define DEFAULT_METADATA   50
#define DEFAULT_JOB_MS     30000
#define MAX_METADATA       1000
#define MAX_QPS            100000
#define MAX_INFOHASHES     (1u << 20)
#define MAX_FETCHES        100000 /* swarms the verifier keeps for good */
#define JOB_PEERS          256    /* distinct peers remembered per job */
#define JOB_VERIFY         32     /* of which handed to the verifier */
#define JOB_EMPTY_LOOKUPS  2      /* lookups without a peer before giving up */
#define LOOKUP_INTERVAL_MS 10000  /* between lookups of one job's infohash */
#define TICK_MS            200
#define PROGRESS_MS        10000
#define PEER_ID_PREFIX     "-SW0100-"

enum src { SRC_SAMPLE = 0, SRC_PASSIVE };
enum state { E_WAITING = 0, E_FETCHING, E_NAMED, E_UNNAMED };

struct entry {
	uint8_t ih[SW_INFOHASH_LEN];
	uint8_t source; /* enum src: how it was first learned */
	uint8_t state;  /* enum state */
	bool confirmed; /* in the DHT: sampled, announced, or peers found */
	int32_t job;    /* index in jobs, -1 when none */
	uint32_t peers; /* distinct peers the DHT named while its job ran */
	int64_t found;  /* ms after the start when it was confirmed */
	char *name;     /* NULL until the metadata came */
};

struct job {
	bool used;
	uint32_t entry;
	int64_t deadline;
	unsigned empty, handed;
	struct sw_vswarm *vs;
	size_t npeers;
	struct sw_addr peers[JOB_PEERS];
};

struct opts {
	int64_t for_ms, job_ms;
	unsigned qps;
	long metadata, dht_port;
	bool no_metadata, allow_private, json, verbose;
	const char *listen, *db;
	char **boot;
	size_t nboot;
};

struct crawl {
	struct opts o;
	struct sw_loop loop;
	struct sw_udp *udp4, *udp6;
	struct sw_dht *dht;
	struct sw_verifier *verifier;
	struct sw_sink *sink;
	uint8_t hkey[SW_SIPHASH_KEY_LEN];

	struct entry *e;
	size_t n, cap;
	uint32_t *slots; /* entry index + 1, open addressing */
	size_t nslots;
	size_t next_conf, next_any; /* cursors: confirmed entries go first */
	uint64_t dropped, fetches, named, sampled, passive, confirmed;

	struct job *jobs;
	size_t njobs, active;

	struct event *tick, *sigint, *sigterm;
	int64_t started, ends, last_progress;
	bool interrupted;
	int db_errors;
};

static void usage(FILE *f)
{
	fputs("usage: swarmwatch crawl [options]\n"
	      "\n"
	      "Discover infohashes in the DHT: walk the keyspace with BEP 51\n"
	      "sample_infohashes, note the infohashes other nodes ask us about, and\n"
	      "fetch each one's name from its peers (BEP 9).  Prints one line per\n"
	      "infohash, \"HEX NAME\" (\"?\" when the name is unknown), and a summary on\n"
	      "stderr.\n"
	      "\n"
	      "  --for DURATION        how long to crawl (default 10m; ms, s, m, h)\n"
	      "  --dht-bootstrap HOST:PORT  DHT node to start from (repeatable; default:\n"
	      "                        the public routers)\n"
	      "  --dht-port PORT       UDP port of our DHT node (default: --listen's)\n"
	      "  --listen ADDR:PORT    local address and port (default 0.0.0.0:0)\n"
	      "  --qps N               sample_infohashes queries per second (200)\n"
	      "  --metadata N          concurrent metadata fetches (50)\n"
	      "  --metadata-timeout DURATION  give up on one infohash's name after (30s)\n"
	      "  --no-metadata         do not look up peers nor fetch names\n"
	      "  --allow-private       use nodes and peers at private, loopback and other\n"
	      "                        non-public addresses\n"
	      "  --db FILE             also record each infohash (source \"dht\") in FILE\n"
	      "  --json                print one JSON object\n"
	      "  -v, --verbose         log DHT and metadata events to stderr\n"
	      "  -h, --help            show this help\n",
	      f);
}

static int bad_number(const char *opt, const char *range)
{
	fprintf(stderr, "swarmwatch: crawl: %s: expected %s\n", opt, range);
	return SW_EXIT_USAGE;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	enum {
		O_FOR = 256,
		O_BOOT,
		O_DHTPORT,
		O_LISTEN,
		O_QPS,
		O_MD,
		O_MDTO,
		O_NOMD,
		O_PRIV,
		O_DB,
		O_JSON
	};
	static const struct option lo[] = {
	    {"for", required_argument, NULL, O_FOR},
	    {"dht-bootstrap", required_argument, NULL, O_BOOT},
	    {"dht-port", required_argument, NULL, O_DHTPORT},
	    {"listen", required_argument, NULL, O_LISTEN},
	    {"qps", required_argument, NULL, O_QPS},
	    {"metadata", required_argument, NULL, O_MD},
	    {"metadata-timeout", required_argument, NULL, O_MDTO},
	    {"no-metadata", no_argument, NULL, O_NOMD},
	    {"allow-private", no_argument, NULL, O_PRIV},
	    {"db", required_argument, NULL, O_DB},
	    {"json", no_argument, NULL, O_JSON},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	char *end;
	long n;

	o->for_ms = DEFAULT_FOR_MS;
	o->job_ms = DEFAULT_JOB_MS;
	o->qps = DEFAULT_QPS;
	o->metadata = DEFAULT_METADATA;
	o->dht_port = -1;
	o->listen = "0.0.0.0:0";
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		int64_t *dur = NULL;

		switch (c) {
		case O_FOR: dur = &o->for_ms; break;
		case O_MDTO: dur = &o->job_ms; break;
		case O_BOOT: {
			char **t = realloc(o->boot, (o->nboot + 1) * sizeof(*t));

			if (t == NULL)
				return SW_EXIT_FAILURE;
			o->boot = t;
			o->boot[o->nboot++] = optarg;
			break;
		}
		case O_DHTPORT:
			o->dht_port = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->dht_port < 0 || o->dht_port > 65535)
				return bad_number("--dht-port", "0..65535");
			break;
		case O_QPS:
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > MAX_QPS)
				return bad_number("--qps", "1..100000");
			o->qps = (unsigned)n;
			break;
		case O_MD:
			o->metadata = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->metadata < 1 || o->metadata > MAX_METADATA)
				return bad_number("--metadata", "1..1000");
			break;
		case O_NOMD: o->no_metadata = true; break;
		case O_PRIV: o->allow_private = true; break;
		case O_LISTEN: o->listen = optarg; break;
		case O_DB: o->db = optarg; break;
		case O_JSON: o->json = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(SW_EXIT_OK);
		default: usage(stderr); return SW_EXIT_USAGE;
		}
		if (dur != NULL && (sw_duration_parse(optarg, dur) != SW_OK || *dur <= 0)) {
			fprintf(stderr, "swarmwatch: crawl: bad duration '%s' (e.g. 90s, 5m, 1h)\n",
			        optarg);
			return SW_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "swarmwatch: crawl: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	return SW_EXIT_OK;
}

/* --- the infohash set ------------------------------------------------------ */

static size_t slot_of(const struct crawl *c, const uint8_t ih[SW_INFOHASH_LEN])
{
	/* Keyed: infohashes come from other nodes, who could aim for collisions. */
	return (size_t)(sw_siphash(c->hkey, ih, SW_INFOHASH_LEN) & (c->nslots - 1));
}

static struct entry *find(const struct crawl *c, const uint8_t ih[SW_INFOHASH_LEN])
{
	if (c->nslots == 0)
		return NULL;
	for (size_t i = slot_of(c, ih);; i = (i + 1) & (c->nslots - 1)) {
		uint32_t k = c->slots[i];

		if (k == 0)
			return NULL;
		if (memcmp(c->e[k - 1].ih, ih, SW_INFOHASH_LEN) == 0)
			return &c->e[k - 1];
	}
}

static void index_entry(struct crawl *c, size_t idx)
{
	size_t i = slot_of(c, c->e[idx].ih);

	while (c->slots[i] != 0)
		i = (i + 1) & (c->nslots - 1);
	c->slots[i] = (uint32_t)(idx + 1);
}

/* Room for one more entry: the array doubles, the index stays under half full. */
static int grow(struct crawl *c)
{
	size_t cap = c->cap ? 2 * c->cap : 1024, nslots = 2 * cap;
	struct entry *e;
	uint32_t *slots;

	if (c->n < c->cap)
		return SW_OK;
	e = realloc(c->e, cap * sizeof(*e));
	if (e == NULL)
		return SW_E_NOMEM;
	c->e = e;
	slots = calloc(nslots, sizeof(*slots));
	if (slots == NULL)
		return SW_E_NOMEM;
	free(c->slots);
	c->slots = slots;
	c->nslots = nslots;
	c->cap = cap;
	for (size_t i = 0; i < c->n; i++)
		index_entry(c, i);
	return SW_OK;
}

static void store_torrent(struct crawl *c, const struct entry *e, const struct sw_metainfo *m)
{
	struct sw_torrent t;
	struct sw_errbuf eb = {{0}};

	if (c->sink == NULL)
		return;
	memset(&t, 0, sizeof(t));
	memcpy(t.infohash, e->ih, SW_INFOHASH_LEN);
	t.name = e->name;
	t.total_size = m ? (int64_t)m->total_size : SW_SINK_UNKNOWN;
	t.num_pieces = m ? (int64_t)m->num_pieces : SW_SINK_UNKNOWN;
	t.source = "dht";
	t.first_seen_ms = sw_time_wall_ms();
	if (sw_sink_put_torrent(c->sink, &t, &eb) != SW_OK && c->db_errors++ == 0)
		sw_error("%s: %s", c->o.db, eb.msg);
}

/* e is in the DHT: report it from now on. */
static void confirm(struct crawl *c, struct entry *e)
{
	if (e->confirmed)
		return;
	e->confirmed = true;
	e->found = sw_time_mono_ms() - c->started;
	c->confirmed++;
	store_torrent(c, e, NULL);
}

/* A new infohash, or one we know already.  Returns its entry or NULL. */
static struct entry *learn(struct crawl *c, const uint8_t ih[SW_INFOHASH_LEN], enum src src,
                           bool confirmed)
{
	struct entry *e = find(c, ih);
	char hex[2 * SW_INFOHASH_LEN + 1];

	if (e != NULL) {
		if (confirmed)
			confirm(c, e);
		return e;
	}
	if (c->n >= MAX_INFOHASHES || grow(c) != SW_OK) {
		c->dropped++;
		return NULL;
	}
	e = &c->e[c->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->ih, ih, SW_INFOHASH_LEN);
	e->source = (uint8_t)src;
	/* Without metadata, only an unconfirmed infohash needs a job (a lookup). */
	e->state = c->o.no_metadata && confirmed ? E_UNNAMED : E_WAITING;
	e->job = -1;
	index_entry(c, c->n++);
	if (src == SRC_SAMPLE)
		c->sampled++;
	else
		c->passive++;
	sw_hex_encode(ih, SW_INFOHASH_LEN, hex);
	sw_debug("crawl: new infohash %s (%s)", hex, src == SRC_SAMPLE ? "sample" : "passive");
	if (confirmed)
		confirm(c, e);
	return e;
}

/* --- metadata jobs ------------------------------------------------------- */

static void end_job(struct crawl *c, struct job *j)
{
	struct entry *e = &c->e[j->entry];

	sw_dht_unwatch(c->dht, e->ih);
	e->job = -1;
	if (e->state == E_FETCHING)
		e->state = E_UNNAMED; /* a late metadata answer still names it */
	j->used = false;
	c->active--;
}

/* Peers for a job's infohash: count the distinct ones, hand a few to the verifier. */
static void job_peers(struct crawl *c, struct job *j, const struct sw_addr *peers, size_t n)
{
	struct entry *e = &c->e[j->entry];

	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t k = 0; k < j->npeers && !seen; k++)
			seen = memcmp(&j->peers[k], &peers[i], sizeof(peers[i])) == 0;
		if (seen || j->npeers == JOB_PEERS)
			continue;
		j->peers[j->npeers++] = peers[i];
		e->peers++;
		confirm(c, e);
		if (j->vs != NULL && j->handed < JOB_VERIFY) {
			sw_verifier_add_peer(c->verifier, j->vs, &peers[i]);
			j->handed++;
		}
	}
}

static struct job *job_of(struct crawl *c, const uint8_t ih[SW_INFOHASH_LEN])
{
	struct entry *e = find(c, ih);

	return e != NULL && e->job >= 0 ? &c->jobs[e->job] : NULL;
}

/*
 * The next entry that needs a job, in discovery order: confirmed ones
 * first, then those only asked for.  Each cursor passes an entry once;
 * one skipped by the first is still waiting for the second.
 */
static struct entry *next_waiting(struct crawl *c)
{
	while (c->next_conf < c->n &&
	       (c->e[c->next_conf].state != E_WAITING || !c->e[c->next_conf].confirmed))
		c->next_conf++;
	if (c->next_conf < c->n)
		return &c->e[c->next_conf++];
	while (c->next_any < c->n && c->e[c->next_any].state != E_WAITING)
		c->next_any++;
	return c->next_any < c->n ? &c->e[c->next_any++] : NULL;
}

static void start_jobs(struct crawl *c, int64_t now)
{
	for (size_t k = 0; k < c->njobs && c->fetches < MAX_FETCHES; k++) {
		struct job *j = &c->jobs[k];
		struct entry *e;

		if (j->used)
			continue;
		e = next_waiting(c);
		if (e == NULL)
			break;
		memset(j, 0, sizeof(*j));
		j->used = true;
		j->entry = (uint32_t)(e - c->e);
		j->deadline = now + c->o.job_ms;
		e->job = (int32_t)k;
		e->state = E_FETCHING;
		c->active++;
		c->fetches++;
		/* The swarm context is the entry's index: entries move, indexes do not. */
		if ((c->verifier != NULL &&
		     sw_verifier_add_swarm(c->verifier, e->ih, NULL, 0, (void *)(uintptr_t)j->entry,
		                           &j->vs) != SW_OK) ||
		    sw_dht_watch(c->dht, e->ih) != SW_OK)
			end_job(c, j);
	}
}

static void on_dht_values(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], const struct sw_addr *peers,
                          size_t n)
{
	struct crawl *c = ctx;
	struct job *j = job_of(c, ih);

	if (j == NULL)
		return;
	job_peers(c, j, peers, n);
	if (c->verifier == NULL && j->npeers > 0)
		end_job(c, j); /* confirmed: all a job is for without metadata */
}

static void on_dht_lookup(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], unsigned answered,
                          size_t values)
{
	struct crawl *c = ctx;
	struct job *j = job_of(c, ih);
	char hex[2 * SW_INFOHASH_LEN + 1];

	if (j == NULL || answered == 0)
		return;
	sw_hex_encode(ih, SW_INFOHASH_LEN, hex);
	sw_debug("crawl: lookup of %s: %u nodes answered, %zu values", hex, answered, values);
	/*
	 * Values may still be held for a liar probe: only a lookup with none
	 * is empty.  An infohash only asked for (unconfirmed) gets one lookup;
	 * a sampled one a second chance.
	 */
	if (values == 0 && j->npeers == 0 &&
	    ++j->empty >= (c->e[j->entry].confirmed ? JOB_EMPTY_LOOKUPS : 1))
		end_job(c, j);
}

static void on_dht_query(void *ctx, int method, const uint8_t ih[SW_INFOHASH_LEN],
                         const struct sw_addr *from, bool seed)
{
	struct crawl *c = ctx;
	struct entry *e = learn(c, ih, SRC_PASSIVE, method == SW_KRPC_ANNOUNCE_PEER);

	(void)seed;
	/* An announce_peer names a peer (its address, the announced port). */
	if (e != NULL && e->job >= 0 && method == SW_KRPC_ANNOUNCE_PEER)
		job_peers(c, &c->jobs[e->job], from, 1);
}

static void on_dht_samples(void *ctx, const uint8_t *ihs, size_t n, const struct sw_addr *from)
{
	struct crawl *c = ctx;

	(void)from;
	for (size_t i = 0; i < n; i++)
		learn(c, ihs + i * SW_INFOHASH_LEN, SRC_SAMPLE, true);
}

/* Names are shown on one line: control bytes become '?'. */
static char *clean_name(const char *s)
{
	char *r = strdup(s);

	for (char *p = r; p != NULL && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return r;
}

static void on_metadata(void *ctx, struct sw_vswarm *sw, void *swarm_ctx, const uint8_t *info,
                        size_t len)
{
	struct crawl *c = ctx;
	size_t idx = (size_t)(uintptr_t)swarm_ctx;
	struct entry *e = idx < c->n ? &c->e[idx] : NULL;
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb = {{0}};
	char hex[2 * SW_INFOHASH_LEN + 1];

	if (e == NULL || e->name != NULL)
		return;
	sw_hex_encode(e->ih, SW_INFOHASH_LEN, hex);
	if (sw_metainfo_parse_info(info, len, &m, &eb) != SW_OK) {
		sw_warn("crawl: %s: metadata verified but unreadable: %s", hex, eb.msg);
		return;
	}
	e->name = clean_name(m->name);
	if (e->name == NULL) {
		sw_metainfo_free(m);
		return;
	}
	e->state = E_NAMED;
	c->named++;
	sw_info("crawl: %s is \"%s\"", hex, e->name);
	store_torrent(c, e, m);
	/* Known pieces: the verifier stops fetching the metadata from each new peer. */
	if (m->num_pieces > 0 && m->num_pieces <= UINT32_MAX)
		sw_verifier_set_pieces(c->verifier, sw, (uint32_t)m->num_pieces);
	sw_metainfo_free(m);
	if (e->job >= 0)
		end_job(c, &c->jobs[e->job]);
}

static void on_verifier_log(void *ctx, const char *msg)
{
	(void)ctx;
	sw_debug("%s", msg);
}

/* --- running ------------------------------------------------------------- */

static void stop(struct crawl *c)
{
	sw_dht_crawl(c->dht, 0);
	if (c->verifier)
		sw_verifier_stop(c->verifier);
	sw_loop_stop(&c->loop);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct crawl *c = arg;
	int64_t now = sw_time_mono_ms();

	(void)fd;
	(void)what;
	if (now >= c->ends) {
		stop(c);
		return;
	}
	for (size_t k = 0; k < c->njobs; k++)
		if (c->jobs[k].used && now >= c->jobs[k].deadline)
			end_job(c, &c->jobs[k]);
	start_jobs(c, now);
	if (now - c->last_progress >= PROGRESS_MS) {
		const struct sw_dht_stats *st = sw_dht_stats(c->dht);

		c->last_progress = now;
		sw_info("crawl: %" PRIu64 " infohashes (%" PRIu64 " named, %zu unconfirmed, %zu "
		        "looking up, %zu waiting); dht: %zu nodes, %" PRIu64
		        " sample queries, %" PRIu64 " samples",
		        c->confirmed, c->named, c->n - (size_t)c->confirmed, c->active,
		        c->n - c->next_any, sw_dht_table_size(c->dht), st->sample_queries,
		        st->samples);
	}
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct crawl *c = arg;

	(void)fd;
	(void)what;
	c->interrupted = true;
	stop(c);
}

/* The DHT's sockets: IPv4 at --listen (port: --dht-port), IPv6 too when on any address. */
static int open_sockets(struct crawl *c, struct sw_errbuf *eb)
{
	static const uint8_t zero[SW_ADDR_V6_LEN];
	struct sw_addr la, other;
	struct sw_udp **mine, **theirs;
	int rc;

	if (sw_addr_parse(&la, c->o.listen) != SW_OK)
		return sw_errbuf_set(eb, SW_E_USAGE, "--listen %s: expected ADDR:PORT",
		                     c->o.listen);
	if (c->o.dht_port >= 0)
		la.port = (uint16_t)c->o.dht_port;
	mine = la.family == AF_INET6 ? &c->udp6 : &c->udp4;
	theirs = la.family == AF_INET6 ? &c->udp4 : &c->udp6;
	rc = sw_udp_open(&c->loop, &la, mine, eb);
	if (rc)
		return rc;
	la = *sw_udp_local(*mine);
	if (memcmp(la.ip, zero, la.family == AF_INET6 ? SW_ADDR_V6_LEN : SW_ADDR_V4_LEN) != 0)
		return SW_OK;
	if (la.family == AF_INET6)
		sw_addr_init_v4(&other, zero, la.port);
	else
		sw_addr_init_v6(&other, zero, la.port);
	sw_udp_open(&c->loop, &other, theirs, NULL); /* best effort: a host may lack one */
	return SW_OK;
}

static int start_verifier(struct crawl *c)
{
	struct sw_verifier_opts vo;

	memset(&vo, 0, sizeof(vo));
	vo.loop = &c->loop;
	memcpy(vo.peer_id, PEER_ID_PREFIX, strlen(PEER_ID_PREFIX));
	if (RAND_bytes(vo.peer_id + strlen(PEER_ID_PREFIX),
	               (int)(SW_PEER_ID_LEN - strlen(PEER_ID_PREFIX))) != 1)
		return SW_E_NOMEM;
	vo.max_conns = (size_t)c->o.metadata * 4;
	vo.linger_ms = 5000;          /* we came for the metadata only */
	vo.revisit_ms = 24 * 3600000; /* and never come back */
	vo.retry_base_ms = 5000;
	vo.max_attempts = 2;
	vo.ctx = c;
	vo.metadata = on_metadata;
	vo.log = on_verifier_log;
	return sw_verifier_new(&vo, &c->verifier);
}

static int start(struct crawl *c, struct sw_errbuf *eb)
{
	struct sw_dht_opts o;
	struct timeval tick = {0, TICK_MS * 1000};
	int rc;

	if (RAND_bytes(c->hkey, sizeof(c->hkey)) != 1)
		return sw_errbuf_set(eb, SW_E_NOMEM, "no random bytes");
	rc = sw_loop_init(&c->loop, eb);
	if (rc == SW_OK)
		rc = open_sockets(c, eb);
	if (rc == SW_OK && !c->o.no_metadata) {
		rc = start_verifier(c);
		if (rc)
			return sw_errbuf_set(eb, rc, "cannot start the verifier");
	}
	if (rc == SW_OK) {
		c->njobs = (size_t)c->o.metadata;
		c->jobs = calloc(c->njobs, sizeof(*c->jobs));
		if (c->jobs == NULL)
			return sw_errbuf_set(eb, SW_E_NOMEM, "out of memory");
	}
	if (rc)
		return rc;
	memset(&o, 0, sizeof(o));
	o.loop = &c->loop;
	o.udp4 = c->udp4;
	o.udp6 = c->udp6;
	o.allow_private = c->o.allow_private;
	o.lookup_interval_ms = LOOKUP_INTERVAL_MS;
	o.no_scrape = true; /* the names are what we are after, not the sizes */
	o.ctx = c;
	o.on_values = on_dht_values;
	o.on_lookup_done = on_dht_lookup;
	o.on_query = on_dht_query;
	o.on_samples = on_dht_samples;
	rc = sw_dht_new(&o, &c->dht, eb);
	if (rc == SW_OK)
		rc = sw_dht_bootstrap(c->dht, c->o.nboot ? (const char *const *)c->o.boot : NULL,
		                      c->o.nboot, eb);
	if (rc)
		return rc;
	sw_dht_crawl(c->dht, c->o.qps);
	c->started = c->last_progress = sw_time_mono_ms();
	c->ends = c->started + c->o.for_ms;
	c->tick = event_new(c->loop.base, -1, EV_PERSIST, on_tick, c);
	c->sigint = evsignal_new(c->loop.base, SIGINT, on_signal, c);
	c->sigterm = evsignal_new(c->loop.base, SIGTERM, on_signal, c);
	if (c->tick == NULL || c->sigint == NULL || c->sigterm == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "out of memory");
	event_add(c->tick, &tick);
	event_add(c->sigint, NULL);
	event_add(c->sigterm, NULL);
	return SW_OK;
}

/* --- output ---------------------------------------------------------------- */

static void json_dht(struct crawl *c, struct sw_json *j)
{
	const struct sw_dht_stats *st = sw_dht_stats(c->dht);

	sw_json_obj_begin(j);
	sw_json_key(j, "nodes");
	sw_json_uint(j, sw_dht_table_size(c->dht));
	sw_json_key(j, "sample_queries");
	sw_json_uint(j, st->sample_queries);
	sw_json_key(j, "samples");
	sw_json_uint(j, st->samples);
	sw_json_key(j, "queries_received");
	sw_json_uint(j, st->rx_queries);
	sw_json_key(j, "lookups");
	sw_json_uint(j, st->lookups_done);
	sw_json_key(j, "values");
	sw_json_uint(j, st->values);
	sw_json_key(j, "values_discounted");
	sw_json_uint(j, st->values_discounted);
	sw_json_key(j, "liars");
	sw_json_uint(j, st->liars);
	sw_json_key(j, "rx");
	sw_json_uint(j, st->rx);
	sw_json_key(j, "tx");
	sw_json_uint(j, st->tx);
	sw_json_key(j, "timeouts");
	sw_json_uint(j, st->timeouts);
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
	sw_json_key(j, "full");
	sw_json_uint(j, st->dropped_full);
	sw_json_obj_end(j);
	sw_json_obj_end(j);
}

static int print_json(struct crawl *c, double secs)
{
	struct sw_buf out;
	struct sw_json j;
	char hex[2 * SW_INFOHASH_LEN + 1];
	int rc;

	sw_buf_init(&out, SIZE_MAX / 2);
	sw_json_init(&j, &out);
	sw_json_obj_begin(&j);
	sw_json_key(&j, "duration_s");
	sw_json_double(&j, secs);
	sw_json_key(&j, "infohashes");
	sw_json_arr_begin(&j);
	for (size_t i = 0; i < c->n; i++) {
		const struct entry *e = &c->e[i];

		if (!e->confirmed)
			continue;
		sw_hex_encode(e->ih, SW_INFOHASH_LEN, hex);
		sw_json_obj_begin(&j);
		sw_json_key(&j, "infohash");
		sw_json_str(&j, hex);
		sw_json_key(&j, "name");
		sw_json_str(&j, e->name);
		sw_json_key(&j, "source");
		sw_json_str(&j, e->source == SRC_SAMPLE ? "sample" : "passive");
		sw_json_key(&j, "peers");
		sw_json_uint(&j, e->peers);
		sw_json_key(&j, "found_s");
		sw_json_double(&j, (double)e->found / 1000.0);
		sw_json_obj_end(&j);
	}
	sw_json_arr_end(&j);
	sw_json_key(&j, "unconfirmed");
	sw_json_uint(&j, c->n - c->confirmed);
	sw_json_key(&j, "named");
	sw_json_uint(&j, c->named);
	sw_json_key(&j, "looked_up");
	sw_json_uint(&j, c->fetches);
	sw_json_key(&j, "dropped");
	sw_json_uint(&j, c->dropped);
	sw_json_key(&j, "dht");
	json_dht(c, &j);
	sw_json_obj_end(&j);
	rc = sw_json_error(&j);
	if (rc == SW_OK)
		rc = sw_buf_putc(&out, '\n');
	if (rc) {
		sw_buf_deinit(&out);
		fprintf(stderr, "swarmwatch: crawl: %s\n", sw_strerror(rc));
		return SW_EXIT_FAILURE;
	}
	rc = sw_cmd_write_out(stdout, out.data, out.len);
	sw_buf_deinit(&out);
	return rc;
}

static int print_lines(struct crawl *c)
{
	char hex[2 * SW_INFOHASH_LEN + 1];

	for (size_t i = 0; i < c->n; i++) {
		if (!c->e[i].confirmed)
			continue;
		sw_hex_encode(c->e[i].ih, SW_INFOHASH_LEN, hex);
		printf("%s %s\n", hex, c->e[i].name ? c->e[i].name : "?");
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? SW_EXIT_OK : SW_EXIT_FAILURE;
}

static void summary(struct crawl *c, double secs)
{
	const struct sw_dht_stats *st = sw_dht_stats(c->dht);

	fprintf(stderr,
	        "crawl: %" PRIu64 " infohashes in %.1f s (first learned: %" PRIu64
	        " sampled, %" PRIu64 " passive; %" PRIu64
	        " more asked for but not found in the DHT), %" PRIu64 " named of %" PRIu64
	        " looked up%s; dht: %zu nodes, %" PRIu64 " sample queries, %" PRIu64 " samples\n",
	        c->confirmed, secs, c->sampled, c->passive, (uint64_t)c->n - c->confirmed, c->named,
	        c->fetches, c->interrupted ? "; interrupted" : "", sw_dht_table_size(c->dht),
	        st->sample_queries, st->samples);
	if (c->dropped)
		fprintf(stderr, "crawl: %" PRIu64 " infohashes dropped (over %u)\n", c->dropped,
		        MAX_INFOHASHES);
}

static void cleanup(struct crawl *c)
{
	if (c->tick)
		event_free(c->tick);
	if (c->sigint)
		event_free(c->sigint);
	if (c->sigterm)
		event_free(c->sigterm);
	sw_verifier_free(c->verifier);
	sw_dht_free(c->dht);
	sw_udp_close(c->udp4);
	sw_udp_close(c->udp6);
	sw_loop_deinit(&c->loop);
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].name);
	free(c->e);
	free(c->slots);
	free(c->jobs);
	free(c->o.boot);
}

int sw_cmd_crawl(int argc, char **argv)
{
	struct crawl c;
	struct sw_errbuf eb = {{0}};
	double secs;
	int status, rc;

	memset(&c, 0, sizeof(c));
	status = parse_args(&c.o, argc, argv);
	if (status != SW_EXIT_OK)
		goto out;
	sw_log_set_level(c.o.verbose ? SW_LOG_INFO : SW_LOG_WARN);
	if (c.o.db != NULL && sw_store_sqlite_open(c.o.db, NULL, &c.sink, &eb) != SW_OK) {
		fprintf(stderr, "swarmwatch: %s: %s\n", c.o.db, eb.msg);
		status = SW_EXIT_FAILURE;
		goto out;
	}
	rc = start(&c, &eb);
	if (rc) {
		fprintf(stderr, "swarmwatch: crawl: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
		status = rc == SW_E_USAGE ? SW_EXIT_USAGE : SW_EXIT_FAILURE;
		goto out;
	}
	sw_loop_run(&c.loop);
	secs = (double)(sw_time_mono_ms() - c.started) / 1000.0;
	if (c.sink != NULL && sw_sink_close(c.sink, &eb) != SW_OK) {
		fprintf(stderr, "swarmwatch: %s: %s\n", c.o.db, eb.msg);
		status = SW_EXIT_FAILURE;
	}
	c.sink = NULL;
	summary(&c, secs);
	if (status == SW_EXIT_OK)
		status = c.o.json ? print_json(&c, secs) : print_lines(&c);
	if (status == SW_EXIT_OK && c.db_errors > 0)
		status = SW_EXIT_FAILURE;
out:
	if (c.sink != NULL)
		sw_sink_close(c.sink, NULL);
	cleanup(&c);
	return status;
}
