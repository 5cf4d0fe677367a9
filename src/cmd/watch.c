/*
 * watch.c - `swarmwatch watch WATCHLIST`: the daemon.
 *
 * It reads the watchlist (watch/watchlist.h), records its titles in the
 * store, and then, until stopped:
 *
 * - adds the torrents the watchlist names (magnets, .torrent files,
 *   infohashes) and those the store already links to a title (a restart
 *   resumes the same swarms);
 * - polls every feed on its interval, matches each new item's name to a
 *   title (watch/match.h), and adds the matches; a .torrent link is
 *   fetched and read, a magnet's metadata is fetched from the swarm
 *   (BEP 9);
 * - links a torrent to its title once its file list is known and looks
 *   like the film (its largest file a video, not an .exe): decoys are
 *   rejected and their swarms left;
 * - monitors every swarm with trackers, the DHT, PEX and the verifier,
 *   writing observations (with country and ASN when a geo database is
 *   set), scrapes and torrent records to the store, flushed every few
 *   seconds;
 * - logs one line per decision worth knowing to stderr;
 * - reloads the watchlist on SIGHUP and stops cleanly (stopped announces,
 *   a last flush) on SIGINT or SIGTERM.
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
#include "core/siphash.h"
#include "core/time.h"
#include "count/peerset.h"
#include "dht/dht.h"
#include "geo/geo.h"
#include "net/http.h"
#include "net/ifaddr.h"
#include "net/loop.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "peer/verifier.h"
#include "proto/krpc.h"
#include "proto/magnet.h"
#include "proto/metainfo.h"
#include "store/pseudonym.h"
#include "store/sink.h"
#include "store/sqlite.h"
#include "tracker/client.h"
#include "watch/feed.h"
#include "watch/match.h"
#include "watch/release.h"
#include "watch/watchlist.h"

#define PEER_ID_PREFIX    "-SW0100-"
#define MAX_PEERS_SWARM   (1u << 20)
#define STOP_GRACE_MS     5000
#define UNKNOWN_LEFT      (1ull << 30)
#define FEED_MAX_BYTES    (16u << 20)
#define TORRENT_MAX_BYTES (16u << 20)
#define SEEN_MAX          (1u << 20) /* feed items remembered */
/* A peer seen again is written again after this long, so that last_seen
 * in the store (report --since) is right to within it. */
#define RERECORD_MS       (60 * 60 * 1000)
#define RETENTION_EVERY_MS (60 * 60 * 1000)
#define DHT_SAVE_MAX      1024
#define CRAWL_ACTIVE      64      /* crawled infohashes fetching metadata at once */
#define CRAWL_QUEUE       100000  /* waiting to */
#define CRAWL_TIMEOUT_MS  30000   /* to get a name, or the swarm is left */

enum { W_PENDING = 0, W_LINKED, W_REJECTED };

struct opts {
	const char *watchlist, *db, *listen, *secret, *geo_country, *geo_asn;
	int64_t for_ms, flush_ms, linger_ms, revisit_ms, dht_interval_ms;
	long max_conns;
	bool allow_private, evidence, no_dht, json, quiet;
	unsigned crawl_qps;
	char **boot;
	size_t nboot;
};

struct wswarm {
	uint8_t ih[SW_INFOHASH_LEN];
	char *name;
	int64_t title_id; /* store id; 0 none */
	char *title;      /* the title's name, for logs */
	int state;
	const char *source;
	struct sw_vswarm *vs;
	struct sw_peerset *peers;
	struct sw_tracker **trk;
	int64_t (*trk_sc)[4]; /* per tracker: the scrape last written, and when */
	size_t ntrk;
	uint8_t peer_id[SW_PEER_ID_LEN];
	uint32_t key;
	bool has_meta, trusted;
	bool crawled;        /* found by the crawl: matched by name once known */
	int64_t crawl_until; /* mono ms: no name by then, leave */
};

struct wfeed {
	struct watchd *w;
	char *name, *url;
	bool is_file;
	int64_t interval_ms, next;
	struct sw_http_req *req;
	unsigned polls, items, errors;
};

struct fetch { /* a .torrent link of a matched feed item */
	struct watchd *w;
	int64_t title_id;
	char *title, *item;
};

struct watchd {
	struct opts o;
	struct sw_watchlist *wl;
	struct sw_matcher *matcher;
	int64_t *title_ids; /* per watchlist title */

	struct sw_loop loop;
	struct sw_udp *udp4, *udp6;
	struct sw_http *http;
	struct sw_tracker_client *trackers;
	struct sw_tcp_listener *listener;
	struct sw_verifier *verifier;
	struct sw_dht *dht;
	struct sw_sink *sink;
	struct sw_pseudonym pn;
	struct sw_geo *geo;
	struct sw_ifaddrs self;
	uint8_t peer_id[SW_PEER_ID_LEN];
	uint16_t port;

	struct wswarm **sw;
	size_t nsw, capsw;
	struct wfeed *feeds;
	size_t nfeeds;
	uint64_t *seen; /* open-addressing set of item keys (0: empty) */
	size_t nseen;
	uint8_t (*crawlq)[SW_INFOHASH_LEN]; /* crawled infohashes waiting for a slot */
	size_t ncrawlq, crawlq_head, crawl_active; /* a FIFO: [head, n) wait */
	uint64_t crawl_found, crawl_named;

	struct event *tick, *flush, *sigint, *sigterm, *sighup;
	int64_t started, ends, stop_by, next_retention;
	bool stopping, interrupted, reload;
	uint64_t db_errors, observations, linked, rejected, matched, unmatched;
};

static struct wswarm *find_swarm(struct watchd *w, const uint8_t ih[SW_INFOHASH_LEN])
{
	for (size_t i = 0; i < w->nsw; i++)
		if (memcmp(w->sw[i]->ih, ih, SW_INFOHASH_LEN) == 0)
			return w->sw[i];
	return NULL;
}

static void hexof(const uint8_t ih[SW_INFOHASH_LEN], char out[2 * SW_INFOHASH_LEN + 1])
{
	sw_hex_encode(ih, SW_INFOHASH_LEN, out);
}

/* --- the store ------------------------------------------------------------- */

static void db_error(struct watchd *w, const char *what, const struct sw_errbuf *eb)
{
	if (w->db_errors++ < 10)
		sw_error("store: %s: %s", what, eb->msg);
}

static void record(struct watchd *w, struct wswarm *s, struct sw_peer *p,
		   enum sw_source src)
{
	struct sw_observation obs;
	struct sw_errbuf eb = {{0}};

	if (s->state == W_REJECTED || (s->crawled && s->state == W_PENDING))
		return; /* a crawled torrent is nobody's business until it matches */
	memset(&obs, 0, sizeof(obs));
	obs.ts_ms = sw_time_wall_ms();
	memcpy(obs.infohash, s->ih, SW_INFOHASH_LEN);
	obs.addr = p->addr;
	obs.source = src;
	obs.tier = (enum sw_tier)p->tier;
	obs.has_have = p->has_have;
	obs.have = p->have;
	obs.client = p->client[0] ? p->client : NULL;
	if (w->geo != NULL && !p->geo_done) { /* once per peer, not per sighting */
		struct sw_geo_info gi;

		if (sw_geo_lookup(w->geo, &p->addr, &gi, NULL) == SW_OK) {
			memcpy(p->country, gi.country, sizeof(p->country));
			p->asn = gi.asn;
		}
		p->geo_done = true;
	}
	memcpy(obs.country, p->country, sizeof(obs.country));
	obs.asn = p->asn;
	if (sw_sink_put_observation(w->sink, &obs, &eb) != SW_OK) {
		db_error(w, "observation", &eb);
		return;
	}
	w->observations++;
	p->recorded = sw_time_mono_ms();
}

static void put_torrent(struct watchd *w, struct wswarm *s, const struct sw_metainfo *m)
{
	struct sw_torrent t;
	struct sw_errbuf eb = {{0}};

	memset(&t, 0, sizeof(t));
	memcpy(t.infohash, s->ih, SW_INFOHASH_LEN);
	t.name = m ? m->name : s->name;
	t.total_size = m ? (int64_t)m->content_size : SW_SINK_UNKNOWN;
	t.num_pieces = m ? (int64_t)m->num_pieces : SW_SINK_UNKNOWN;
	t.source = s->source;
	t.first_seen_ms = sw_time_wall_ms();
	if (sw_sink_put_torrent(w->sink, &t, &eb) != SW_OK)
		db_error(w, "torrent", &eb);
}

static void link_swarm(struct watchd *w, struct wswarm *s, const char *why)
{
	struct sw_errbuf eb = {{0}};
	char hex[2 * SW_INFOHASH_LEN + 1];

	hexof(s->ih, hex);
	if (sw_sink_link_torrent_title(w->sink, s->ih, s->title_id, &eb) != SW_OK) {
		db_error(w, "link", &eb);
		return;
	}
	s->state = W_LINKED;
	w->linked++;
	/* Peers of a crawled swarm seen before the match were not recorded. */
	for (size_t i = 0; i < sw_peerset_size(s->peers); i++) {
		struct sw_peer *p = sw_peerset_at(s->peers, i);

		if (p->recorded == 0)
			for (int src = 0; src < SW_SOURCE_COUNT; src++)
				if (p->sources & (1u << src)) {
					record(w, s, p, (enum sw_source)src);
					break;
				}
	}
	sw_info("linked %s \"%s\" to %s (%s)", hex, s->name ? s->name : "?", s->title, why);
}

/* --- peers -------------------------------------------------------------- */

static bool is_self(const struct watchd *w, const struct sw_addr *a)
{
	return a->port == w->port && sw_ifaddrs_has(&w->self, a);
}

static void add_named(struct watchd *w, struct wswarm *s, const struct sw_addr *peers, size_t n,
		      enum sw_source src, bool dial)
{
	int64_t now = sw_time_mono_ms();

	if (s->state == W_REJECTED)
		return;
	for (size_t i = 0; i < n; i++) {
		struct sw_peer *p;
		bool new_ip = false;
		uint8_t had;

		if (is_self(w, &peers[i]))
			continue;
		if (!w->o.allow_private && !sw_addr_is_public(&peers[i]))
			continue;
		p = sw_peerset_find(s->peers, &peers[i]);
		had = p ? p->sources : 0;
		p = sw_peerset_add(s->peers, &peers[i], src, now, &new_ip);
		if (p == NULL)
			continue;
		/*
		 * One observation per new (peer, source), and again when it was
		 * last written long ago; tiers raise their own (on_verified).
		 */
		if (!(had & (1u << src)) || now - p->recorded >= RERECORD_MS)
			record(w, s, p, src);
		if (dial && w->verifier != NULL)
			sw_verifier_add_peer(w->verifier, s->vs, &peers[i]);
	}
}

static void on_tracker_peers(void *ctx, struct sw_tracker *t, const struct sw_addr *peers, size_t n)
{
	struct watchd *w = ctx;
	struct wswarm *s = find_swarm(w, t->p.infohash);

	if (s != NULL)
		add_named(w, s, peers, n, SW_SOURCE_TRACKER, true);
}

static void on_pex(void *ctx, struct sw_vswarm *sw, void *swarm_ctx, const struct sw_addr *peers,
		   size_t n)
{
	(void)sw;
	add_named(ctx, swarm_ctx, peers, n, SW_SOURCE_PEX, true);
}

static void on_dht_values(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], const struct sw_addr *peers,
			  size_t n)
{
	struct watchd *w = ctx;
	struct wswarm *s = find_swarm(w, ih);

	if (s != NULL)
		add_named(w, s, peers, n, SW_SOURCE_DHT, true);
}

static void on_dht_query(void *ctx, int method, const uint8_t ih[SW_INFOHASH_LEN],
			 const struct sw_addr *from, bool seed)
{
	struct watchd *w = ctx;
	struct wswarm *s = find_swarm(w, ih);

	(void)seed;
	if (s != NULL)
		add_named(w, s, from, 1, SW_SOURCE_DHT_PASSIVE, method == SW_KRPC_ANNOUNCE_PEER);
}

static void on_dht_scrape(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], const struct sw_dht_scrape *d)
{
	struct watchd *w = ctx;
	struct sw_scrape sc;
	struct sw_errbuf eb = {{0}};

	memset(&sc, 0, sizeof(sc));
	sc.ts_ms = sw_time_wall_ms();
	memcpy(sc.infohash, ih, SW_INFOHASH_LEN);
	sc.tracker = "dht";
	sc.seeders = llround(d->seeds);
	sc.leechers = llround(d->peers);
	sc.completed = SW_SINK_UNKNOWN;
	if (sw_sink_put_scrape(w->sink, &sc, &eb) != SW_OK)
		db_error(w, "scrape", &eb);
}

static bool seen_add(struct watchd *w, const void *key, size_t n);
static struct wswarm *add_swarm(struct watchd *w, const uint8_t ih[SW_INFOHASH_LEN],
				const char *name, int64_t title_id, const char *title,
				const char *source, bool trusted, const struct sw_metainfo *m);

static void on_dht_samples(void *ctx, const uint8_t *ihs, size_t n, const struct sw_addr *from)
{
	struct watchd *w = ctx;

	(void)from;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *ih = ihs + i * SW_INFOHASH_LEN;

		if (find_swarm(w, ih) != NULL || !seen_add(w, ih, SW_INFOHASH_LEN))
			continue;
		w->crawl_found++;
		if (w->ncrawlq < CRAWL_QUEUE)
			memcpy(w->crawlq[w->ncrawlq++], ih, SW_INFOHASH_LEN);
	}
}

static void on_verified(void *ctx, const struct sw_verifier_update *u)
{
	struct watchd *w = ctx;
	struct wswarm *s = u->swarm_ctx;
	enum sw_source src = u->incoming ? SW_SOURCE_INCOMING : SW_SOURCE_TRACKER;
	struct sw_peer *p;

	if (s == NULL || s->state == W_REJECTED)
		return;
	if (!w->o.allow_private && !sw_addr_is_public(&u->addr))
		return;
	p = sw_peerset_find(s->peers, &u->addr);
	if (p == NULL || u->incoming)
		p = sw_peerset_add(s->peers, &u->addr, src, sw_time_mono_ms(), NULL);
	if (p == NULL)
		return;
	if (!u->incoming)
		for (int i = 0; i < SW_SOURCE_COUNT; i++)
			if (p->sources & (1u << i)) {
				src = (enum sw_source)i;
				break;
			}
	sw_peerset_raise_tier(s->peers, p, u->tier);
	if (u->have >= 0) {
		p->has_have = true;
		p->have = u->have;
	}
	if (u->client && u->client[0])
		snprintf(p->client, sizeof(p->client), "%s", u->client);
	record(w, s, p, src);
}

/* --- what a torrent holds ------------------------------------------------ */

static bool ext_in(const char *path, const char *const *list)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return false;
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcasecmp(dot + 1, list[i]) == 0)
			return true;
	return false;
}

/*
 * Does the file list look like a film?  Its largest file must be a video
 * (or a disc image / disc structure).  A release whose payload is an
 * executable, a script or an archive is a decoy (or malware) whatever its
 * name says.  why gets the reason either way.
 */
static bool content_ok(const struct sw_metainfo *m, char *why, size_t whylen)
{
	static const char *const video[] = {"mkv", "mp4", "avi", "m4v", "mov", "wmv", "mpg",
					    "mpeg", "ts", "m2ts", "vob", "flv", "webm", "divx",
					    "xvid", "ogm", "iso", "img", "3gp", "rmvb", NULL};
	static const char *const bad[] = {"exe", "scr", "bat", "cmd", "com", "msi", "lnk", "vbs",
					  "js", "jar", "apk", "pif", "zip", "rar", "7z", "cab",
					  NULL};
	const struct sw_metainfo_file *big = NULL;

	for (size_t i = 0; i < m->num_files; i++) {
		if (ext_in(m->files[i].path, bad) && m->files[i].size > 1024 * 1024) {
			snprintf(why, whylen, "payload '%s' is an executable or archive",
				 m->files[i].path);
			return false;
		}
		if (big == NULL || m->files[i].size > big->size)
			big = &m->files[i];
	}
	if (big == NULL) {
		snprintf(why, whylen, "no files");
		return false;
	}
	if (!ext_in(big->path, video) && strstr(big->path, "VIDEO_TS") == NULL &&
	    strstr(big->path, "BDMV") == NULL) {
		snprintf(why, whylen, "largest file '%s' is not a video", big->path);
		return false;
	}
	snprintf(why, whylen, "largest file '%s' is a video", big->path);
	return true;
}

static void leave_swarm(struct watchd *w, struct wswarm *s)
{
	for (size_t i = 0; i < s->ntrk; i++)
		sw_tracker_client_stop_one(w->trackers, s->trk[i]);
	if (w->dht)
		sw_dht_unwatch(w->dht, s->ih);
}

/*
 * A crawled torrent's name is known: is it a title's?  If not, leave its
 * swarm quietly (nothing of it was recorded).  Frees the crawl slot.
 */
static bool crawl_match(struct watchd *w, struct wswarm *s, const struct sw_metainfo *m)
{
	struct sw_release rel;
	struct sw_match_result mr;
	char hex[2 * SW_INFOHASH_LEN + 1];

	hexof(s->ih, hex);
	s->crawled = false;
	if (w->crawl_active > 0)
		w->crawl_active--;
	w->crawl_named++;
	if (sw_release_parse(m->name, strlen(m->name), &rel) != SW_OK ||
	    sw_match_title(w->matcher, &rel, &mr) != SW_OK || !mr.matched) {
		sw_debug("dht crawl: %s \"%s\": no title", hex, m->name);
		s->state = W_REJECTED;
		leave_swarm(w, s);
		return false;
	}
	s->title_id = w->title_ids[mr.title];
	free(s->title);
	s->title = strdup(w->wl->titles[mr.title].name);
	sw_info("dht crawl: %s \"%s\" matches %s (score %d: %s)", hex, m->name, s->title,
		mr.score, mr.reason);
	return true;
}

/* The file list is known: link the torrent to its title, or reject it. */
static void judge(struct watchd *w, struct wswarm *s, const struct sw_metainfo *m)
{
	char why[256], hex[2 * SW_INFOHASH_LEN + 1];

	hexof(s->ih, hex);
	s->has_meta = true;
	free(s->name);
	s->name = strdup(m->name);
	if (s->crawled && s->state == W_PENDING && !crawl_match(w, s, m))
		return;
	put_torrent(w, s, m);
	if (s->state != W_PENDING)
		return;
	if (s->trusted || content_ok(m, why, sizeof(why))) {
		if (s->trusted)
			snprintf(why, sizeof(why), "listed in the watchlist");
		if (s->title_id > 0)
			link_swarm(w, s, why);
		return;
	}
	s->state = W_REJECTED;
	w->rejected++;
	sw_warn("rejected %s \"%s\" (matched %s by name): %s; leaving its swarm", hex, m->name,
		s->title ? s->title : "?", why);
	leave_swarm(w, s);
}

static void on_metadata(void *ctx, struct sw_vswarm *sw, void *swarm_ctx, const uint8_t *info,
			size_t len)
{
	struct watchd *w = ctx;
	struct wswarm *s = swarm_ctx;
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb = {{0}};

	if (sw_metainfo_parse_info(info, len, &m, &eb) != SW_OK) {
		sw_warn("metadata verified but unreadable: %s", eb.msg);
		return;
	}
	sw_info("metadata for \"%s\": %zu files, %" PRIu64 " pieces", m->name, m->num_files,
		m->num_pieces);
	sw_verifier_set_pieces(w->verifier, sw, (uint32_t)m->num_pieces);
	judge(w, s, m);
	sw_metainfo_free(m);
}

/* --- swarms ------------------------------------------------------------- */

static void add_tracker(struct watchd *w, struct wswarm *s, const char *url)
{
	struct sw_tracker_params p;
	struct sw_tracker *t = NULL, **nt;
	struct sw_errbuf eb = {{0}};

	for (size_t i = 0; i < s->ntrk; i++)
		if (strcmp(s->trk[i]->url, url) == 0)
			return;
	nt = realloc(s->trk, (s->ntrk + 1) * sizeof(*nt));
	if (nt == NULL)
		return;
	s->trk = nt;
	{
		int64_t(*nsc)[4] = realloc(s->trk_sc, (s->ntrk + 1) * sizeof(*nsc));

		if (nsc == NULL)
			return;
		s->trk_sc = nsc;
		s->trk_sc[s->ntrk][0] = s->trk_sc[s->ntrk][1] = s->trk_sc[s->ntrk][2] = -2;
		s->trk_sc[s->ntrk][3] = 0;
	}
	memset(&p, 0, sizeof(p));
	memcpy(p.infohash, s->ih, SW_INFOHASH_LEN);
	memcpy(p.peer_id, s->peer_id, SW_PEER_ID_LEN);
	p.key = s->key;
	p.port = w->port;
	p.left = UNKNOWN_LEFT;
	p.numwant = 200;
	p.reannounce_floor_ms = 5 * 60 * 1000;
	p.udp_first_timeout_ms = 4000;
	p.udp_max_retries = 3;
	p.retry_base_ms = 15000;
	p.retry_max_ms = 30 * 60 * 1000;
	if (sw_tracker_client_add(w->trackers, url, &p, &t, &eb) != SW_OK) {
		sw_warn("tracker %s skipped: %s", url, eb.msg);
		return;
	}
	s->trk[s->ntrk++] = t;
}

/*
 * Watch a swarm (or find the one already watched).  title_id 0: not yet
 * known to be a title's.  trusted: the watchlist names it, link at once.
 */
static struct wswarm *add_swarm(struct watchd *w, const uint8_t ih[SW_INFOHASH_LEN],
				const char *name, int64_t title_id, const char *title,
				const char *source, bool trusted, const struct sw_metainfo *m)
{
	struct wswarm *s = find_swarm(w, ih);
	char hex[2 * SW_INFOHASH_LEN + 1];
	uint64_t seed;

	if (s != NULL) {
		if (s->title_id == 0 && title_id > 0 && s->state != W_REJECTED) {
			s->title_id = title_id;
			free(s->title);
			s->title = title ? strdup(title) : NULL;
		}
		/* Known already (resumed, or by infohash): take the torrent's trackers and files. */
		if (m != NULL && s->state != W_REJECTED) {
			for (size_t t = 0; t < m->num_tiers; t++)
				for (size_t u = 0; u < m->tiers[t].num_urls; u++)
					add_tracker(w, s, m->tiers[t].urls[u]);
			if (!s->has_meta) {
				sw_verifier_set_pieces(w->verifier, s->vs, (uint32_t)m->num_pieces);
				judge(w, s, m);
			}
		}
		return s;
	}
	if (w->nsw == w->capsw) {
		size_t cap = w->capsw ? 2 * w->capsw : 16;
		struct wswarm **n = realloc(w->sw, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		w->sw = n;
		w->capsw = cap;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	memcpy(s->ih, ih, SW_INFOHASH_LEN);
	s->name = name ? strdup(name) : NULL;
	s->title_id = title_id;
	s->title = title ? strdup(title) : NULL;
	s->source = source;
	s->trusted = trusted;
	memcpy(s->peer_id, w->peer_id, SW_PEER_ID_LEN);
	if (RAND_bytes((unsigned char *)&s->key, sizeof(s->key)) != 1 ||
	    RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1 ||
	    sw_peerset_new(MAX_PEERS_SWARM, seed, &s->peers) != SW_OK ||
	    sw_verifier_add_swarm(w->verifier, ih, NULL, m ? (uint32_t)m->num_pieces : 0, s,
				  &s->vs) != SW_OK) {
		sw_peerset_free(s->peers);
		free(s->name);
		free(s->title);
		free(s);
		return NULL;
	}
	w->sw[w->nsw++] = s;
	hexof(ih, hex);
	if (strcmp(source, "dht") == 0) {
		sw_debug("dht crawl: %s: fetching its name", hex);
	} else {
		sw_info("torrent %s \"%s\" (%s)%s%s: monitoring", hex, name ? name : "?", source,
			title ? " for " : "", title ? title : "");
		put_torrent(w, s, m);
	}
	if (w->dht != NULL)
		sw_dht_watch(w->dht, ih);
	if (m != NULL) {
		for (size_t t = 0; t < m->num_tiers; t++)
			for (size_t u = 0; u < m->tiers[t].num_urls; u++)
				add_tracker(w, s, m->tiers[t].urls[u]);
		judge(w, s, m);
		/*
		 * A hybrid torrent (BEP 52) has a second swarm, under its v2
		 * infohash truncated to 20 bytes; v2-only clients are there.  Both
		 * link to the title, whose unique counts are the union.
		 */
		if (m->has_v1 && m->has_v2 && strcmp(source, "hybrid-v2") != 0 &&
		    memcmp(ih, m->infohash_v1, SW_INFOHASH_LEN) == 0)
			add_swarm(w, m->infohash_v2, name, s->title_id, title, "hybrid-v2", trusted, m);
	} else if (trusted && title_id > 0) {
		link_swarm(w, s, "listed in the watchlist");
	}
	return s;
}

static void add_magnet(struct watchd *w, const char *uri, int64_t title_id, const char *title,
		       const char *source, bool trusted)
{
	struct sw_magnet *m = NULL;
	struct sw_errbuf eb = {{0}};
	uint8_t ih[SW_INFOHASH_LEN];
	struct wswarm *s;

	if (sw_magnet_parse(uri, strlen(uri), &m, &eb) != SW_OK) {
		sw_warn("magnet skipped: %s", eb.msg);
		return;
	}
	sw_magnet_swarm_id(m, ih);
	s = add_swarm(w, ih, m->name, title_id, title, source, trusted, NULL);
	for (size_t i = 0; s != NULL && i < m->num_trackers; i++)
		add_tracker(w, s, m->trackers[i]);
	sw_magnet_free(m);
}

static void add_torrent_bytes(struct watchd *w, const uint8_t *p, size_t n, const char *what,
			      int64_t title_id, const char *title, const char *source, bool trusted)
{
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb = {{0}};
	uint8_t ih[SW_INFOHASH_LEN];

	if (sw_metainfo_parse(p, n, &m, &eb) != SW_OK) {
		sw_warn("%s: not a usable torrent: %s", what, eb.msg);
		return;
	}
	sw_metainfo_swarm_id(m, ih);
	add_swarm(w, ih, m->name, title_id, title, source, trusted, m);
	sw_metainfo_free(m);
}

/* The torrents the watchlist names. */
static void add_known(struct watchd *w)
{
	for (size_t i = 0; i < w->wl->n_titles; i++) {
		const struct sw_watch_title *t = &w->wl->titles[i];
		int64_t id = w->title_ids[i];

		for (size_t k = 0; k < t->n_magnets; k++)
			add_magnet(w, t->magnets[k], id, t->name, "watchlist", true);
		for (size_t k = 0; k < t->n_torrents; k++) {
			struct sw_buf b;

			sw_buf_init(&b, TORRENT_MAX_BYTES);
			if (sw_buf_read_file(&b, t->torrents[k]) != SW_OK)
				sw_warn("%s: cannot read: %s", t->torrents[k], strerror(errno));
			else
				add_torrent_bytes(w, b.data, b.len, t->torrents[k], id, t->name,
						  "watchlist", true);
			sw_buf_deinit(&b);
		}
		for (size_t k = 0; k < t->n_infohashes; k++)
			add_swarm(w, t->infohashes[k], NULL, id, t->name, "watchlist", true, NULL);
	}
}

static const char *title_name_of(struct watchd *w, int64_t id)
{
	for (size_t i = 0; i < w->wl->n_titles; i++)
		if (w->title_ids[i] == id)
			return w->wl->titles[i].name;
	return NULL;
}

static struct watchd *resuming; /* for on_stored_tracker */

static void on_stored_tracker(void *ctx, const char *url)
{
	add_tracker(resuming, ctx, url);
}

static void on_stored_torrent(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], const char *name,
			      int64_t title_id)
{
	struct watchd *w = ctx;
	struct wswarm *s = add_swarm(w, ih, name, title_id, title_name_of(w, title_id), "resume",
				     false, NULL);
	struct sw_errbuf eb = {{0}};

	if (s != NULL && s->state == W_PENDING) {
		s->state = W_LINKED; /* linked before the restart */
		w->linked++;
	}
	/* The trackers that answered it before (the store keeps their scrapes). */
	if (s != NULL && sw_store_sqlite_trackers(w->sink, ih, on_stored_tracker, s, &eb) != SW_OK)
		db_error(w, "trackers of a stored torrent", &eb);
}

/* --- feeds -------------------------------------------------------------- */

/* Remember an item key; false if it was seen before. */
static bool seen_add(struct watchd *w, const void *key, size_t n)
{
	static const uint8_t hk[16] = "swarmwatch-seen";
	uint64_t h;
	size_t i;

	if (w->seen == NULL) {
		w->seen = calloc(SEEN_MAX, sizeof(*w->seen));
		if (w->seen == NULL)
			return true;
	}
	h = sw_siphash(hk, key, n) | 1;
	for (i = h % SEEN_MAX; w->seen[i] != 0; i = (i + 1) % SEEN_MAX)
		if (w->seen[i] == h)
			return false;
	if (w->nseen >= SEEN_MAX / 2)
		return true; /* full: handle it again rather than lose it */
	w->seen[i] = h;
	w->nseen++;
	return true;
}

static void on_torrent_fetched(void *ctx, const struct sw_http_result *r)
{
	struct fetch *f = ctx;

	if (r->rc != SW_OK || r->status != 200)
		sw_warn("feed item \"%s\": .torrent not fetched: %s", f->item,
			r->error[0] ? r->error : "HTTP error");
	else
		add_torrent_bytes(f->w, r->body, r->len, f->item, f->title_id, f->title, "feed",
				  false);
	free(f->title);
	free(f->item);
	free(f);
}

static int on_feed_item(void *ctx, const struct sw_feed_item *it)
{
	struct wfeed *f = ctx;
	struct watchd *w = f->w;
	struct sw_release rel;
	struct sw_match_result mr;
	int64_t title_id;
	const char *title;

	f->items++;
	if (it->has_infohash ? !seen_add(w, it->infohash, SW_INFOHASH_LEN)
			     : !seen_add(w, it->url, strlen(it->url)))
		return SW_OK;
	if (sw_release_parse(it->title, strlen(it->title), &rel) != SW_OK ||
	    sw_match_title(w->matcher, &rel, &mr) != SW_OK || !mr.matched) {
		w->unmatched++;
		sw_info("feed %s: \"%s\": no title (%s)", f->name, it->title,
			mr.reason[0] ? mr.reason : "unparsable");
		return SW_OK;
	}
	w->matched++;
	title_id = w->title_ids[mr.title];
	title = w->wl->titles[mr.title].name;
	sw_info("feed %s: \"%s\" matches %s (score %d: %s)", f->name, it->title, title, mr.score,
		mr.reason);
	if (it->magnet[0]) {
		add_magnet(w, it->magnet, title_id, title, "feed", false);
		return SW_OK;
	}
	/* An infohash alone has no trackers: fetch the .torrent too when linked. */
	if (it->has_infohash)
		add_swarm(w, it->infohash, it->title, title_id, title, "feed", false, NULL);
	if (it->url[0]) {
		struct fetch *fe = calloc(1, sizeof(*fe));
		struct sw_http_opts ho = {20000, TORRENT_MAX_BYTES, 5};

		if (fe == NULL)
			return SW_OK;
		fe->w = w;
		fe->title_id = title_id;
		fe->title = strdup(title);
		fe->item = strdup(it->title);
		if (sw_http_get(w->http, it->url, &ho, on_torrent_fetched, fe, NULL) != SW_OK) {
			sw_warn("feed item \"%s\": cannot fetch %s", it->title, it->url);
			free(fe->title);
			free(fe->item);
			free(fe);
		}
	}
	return SW_OK;
}

static void feed_body(struct wfeed *f, const uint8_t *p, size_t n)
{
	struct sw_feed_stats st;
	struct sw_errbuf eb = {{0}};

	if (sw_feed_parse(p, n, NULL, on_feed_item, f, &st, &eb) != SW_OK) {
		f->errors++;
		sw_warn("feed %s: %s", f->name, eb.msg);
		return;
	}
	sw_info("feed %s: %zu items (%zu skipped)", f->name, st.items, st.skipped);
}

static void on_feed_fetched(void *ctx, const struct sw_http_result *r)
{
	struct wfeed *f = ctx;

	f->req = NULL;
	if (r->rc != SW_OK || r->status != 200) {
		f->errors++;
		sw_warn("feed %s: %s", f->name,
			r->error[0] ? r->error : (r->status ? "HTTP status not 200" : "failed"));
		return;
	}
	feed_body(f, r->body, r->len);
}

static void poll_feed(struct wfeed *f, int64_t now)
{
	struct watchd *w = f->w;

	f->next = now + f->interval_ms;
	f->polls++;
	if (f->is_file) {
		struct sw_buf b;
		int rc;

		sw_buf_init(&b, FEED_MAX_BYTES);
		rc = sw_buf_read_file(&b, f->url);
		if (rc != SW_OK) {
			f->errors++;
			sw_warn("feed %s: %s: %s", f->name, f->url,
				rc == SW_E_TOO_BIG ? "larger than 16 MiB" : strerror(errno));
		} else {
			feed_body(f, b.data, b.len);
		}
		sw_buf_deinit(&b);
		return;
	}
	if (f->req == NULL) {
		struct sw_http_opts ho = {30000, FEED_MAX_BYTES, 5};

		if (sw_http_get(w->http, f->url, &ho, on_feed_fetched, f, &f->req) != SW_OK)
			sw_warn("feed %s: cannot fetch %s", f->name, f->url);
	}
}

static void free_feeds(struct watchd *w)
{
	for (size_t i = 0; i < w->nfeeds; i++) {
		if (w->feeds[i].req)
			sw_http_cancel(w->http, w->feeds[i].req);
		free(w->feeds[i].name);
		free(w->feeds[i].url);
	}
	free(w->feeds);
	w->feeds = NULL;
	w->nfeeds = 0;
}

static int setup_feeds(struct watchd *w)
{
	free_feeds(w);
	if (w->wl->n_feeds == 0)
		return SW_OK;
	w->feeds = calloc(w->wl->n_feeds, sizeof(*w->feeds));
	if (w->feeds == NULL)
		return SW_E_NOMEM;
	for (size_t i = 0; i < w->wl->n_feeds; i++) {
		struct wfeed *f = &w->feeds[i];

		f->w = w;
		f->name = strdup(w->wl->feeds[i].name);
		f->url = strdup(w->wl->feeds[i].url);
		f->is_file = w->wl->feeds[i].is_file;
		f->interval_ms = w->wl->feeds[i].interval_ms;
		f->next = 0;
	}
	w->nfeeds = w->wl->n_feeds;
	return SW_OK;
}

/* --- the watchlist ------------------------------------------------------- */

/* Record the titles, build the matcher.  On failure w is unchanged. */
static int adopt_watchlist(struct watchd *w, struct sw_watchlist *wl, struct sw_errbuf *eb)
{
	struct sw_matcher *m = NULL;
	int64_t *ids = calloc(wl->n_titles ? wl->n_titles : 1, sizeof(*ids));
	int rc;

	if (ids == NULL)
		return SW_E_NOMEM;
	rc = sw_matcher_new(wl->specs, wl->n_titles, &m, eb);
	for (size_t i = 0; rc == SW_OK && i < wl->n_titles; i++) {
		const struct sw_watch_title *t = &wl->titles[i];
		struct sw_title st;

		memset(&st, 0, sizeof(st));
		st.name = t->name;
		st.year = (int)t->year;
		st.aliases = (const char *const *)t->aliases;
		st.n_aliases = t->n_aliases;
		rc = sw_sink_put_title(w->sink, &st, &ids[i], eb);
	}
	if (rc != SW_OK) {
		sw_matcher_free(m);
		free(ids);
		return rc;
	}
	sw_matcher_free(w->matcher);
	free(w->title_ids);
	sw_watchlist_free(w->wl);
	w->matcher = m;
	w->title_ids = ids;
	w->wl = wl;
	return SW_OK;
}

static void reload(struct watchd *w)
{
	struct sw_watchlist *wl = NULL;
	struct sw_errbuf eb = {{0}};

	w->reload = false;
	if (sw_watchlist_load(w->o.watchlist, &wl, &eb) != SW_OK) {
		sw_error("reload: %s (keeping the watchlist in use)", eb.msg);
		return;
	}
	if (adopt_watchlist(w, wl, &eb) != SW_OK) {
		sw_error("reload: %s (keeping the watchlist in use)", eb.msg);
		sw_watchlist_free(wl);
		return;
	}
	/* New titles may match items seen before: let the feeds' items be judged again. */
	if (w->seen != NULL) {
		memset(w->seen, 0, SEEN_MAX * sizeof(*w->seen));
		w->nseen = 0;
	}
	setup_feeds(w);
	add_known(w);
	sw_info("reloaded %s: %zu titles, %zu feeds", w->o.watchlist, w->wl->n_titles,
		w->wl->n_feeds);
}

/* --- the loop ----------------------------------------------------------- */

/* Start name fetches for crawled infohashes; give up on slow ones. */
static void crawl_tick(struct watchd *w, int64_t now)
{
	for (size_t i = 0; i < w->nsw; i++) {
		struct wswarm *s = w->sw[i];

		if (s->crawled && s->state == W_PENDING && now >= s->crawl_until) {
			s->crawled = false;
			s->state = W_REJECTED;
			leave_swarm(w, s);
			if (w->crawl_active > 0)
				w->crawl_active--;
		}
	}
	while (w->crawl_active < CRAWL_ACTIVE && w->crawlq_head < w->ncrawlq) {
		struct wswarm *s = add_swarm(w, w->crawlq[w->crawlq_head++], NULL, 0, NULL, "dht",
					     false, NULL);

		if (w->crawlq_head == w->ncrawlq)
			w->crawlq_head = w->ncrawlq = 0; /* drained: start the buffer over */
		if (s == NULL)
			continue;
		s->crawled = true;
		s->crawl_until = now + CRAWL_TIMEOUT_MS;
		w->crawl_active++;
	}
}

static void begin_stop(struct watchd *w)
{
	if (w->stopping)
		return;
	w->stopping = true;
	w->stop_by = sw_time_mono_ms() + STOP_GRACE_MS;
	sw_info("stopping: leaving every swarm");
	if (w->verifier)
		sw_verifier_stop(w->verifier);
	sw_tracker_client_stop(w->trackers);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct watchd *w = arg;
	int64_t now = sw_time_mono_ms();

	(void)fd;
	(void)what;
	if (w->reload && !w->stopping)
		reload(w);
	if (!w->stopping && w->ends > 0 && now >= w->ends)
		begin_stop(w);
	if (w->stopping) {
		if (sw_tracker_client_done(w->trackers) || now >= w->stop_by)
			sw_loop_stop(&w->loop);
		return;
	}
	for (size_t i = 0; i < w->nfeeds; i++)
		if (now >= w->feeds[i].next)
			poll_feed(&w->feeds[i], now);
	crawl_tick(w, now);
}

/*
 * Trackers' scrape answers into the store: when they change, and at least
 * every 30 minutes while they are current (all = also unchanged ones: on exit).
 */
static void write_scrapes(struct watchd *w, bool all)
{
	int64_t wall = sw_time_wall_ms();

	for (size_t i = 0; i < w->nsw; i++) {
		struct wswarm *s = w->sw[i];

		for (size_t k = 0; k < s->ntrk; k++) {
			struct sw_tracker *t = s->trk[k];
			int64_t *last = s->trk_sc[k];
			struct sw_scrape sc;
			struct sw_errbuf eb = {{0}};
			bool same;

			if (!t->has_scrape)
				continue;
			same = last[0] == t->seeders && last[1] == t->leechers &&
			       last[2] == t->completed;
			if (same && !all && wall - last[3] < 30 * 60 * 1000)
				continue;
			if (same && all && last[3] > 0)
				continue;
			memset(&sc, 0, sizeof(sc));
			sc.ts_ms = wall;
			memcpy(sc.infohash, s->ih, SW_INFOHASH_LEN);
			sc.tracker = t->url;
			sc.seeders = t->seeders;
			sc.leechers = t->leechers;
			sc.completed = t->completed;
			if (sw_sink_put_scrape(w->sink, &sc, &eb) != SW_OK) {
				db_error(w, "scrape", &eb);
				return;
			}
			last[0] = t->seeders;
			last[1] = t->leechers;
			last[2] = t->completed;
			last[3] = wall;
		}
	}
}

/* Delete evidence rows older than the watchlist's retention (counts stay). */
static void retain(struct watchd *w, int64_t now)
{
	struct sw_errbuf eb = {{0}};
	int64_t deleted = 0;

	w->next_retention = now + RETENTION_EVERY_MS;
	if (w->wl->retention_ms <= 0)
		return;
	if (sw_store_sqlite_retain(w->sink, sw_time_wall_ms() - w->wl->retention_ms, &deleted,
				   &eb) != SW_OK)
		db_error(w, "retention", &eb);
	else if (deleted > 0)
		sw_info("retention: deleted %" PRId64 " observations older than %" PRId64 " days "
			"(unique counts kept)",
			deleted, w->wl->retention_ms / 86400000);
}

/*
 * Our counters into the store (daemon_stats), for `serve`'s /metrics: the
 * store is all serve can see of a daemon.  Written after each flush.
 */
#define MAX_STATS 40

static void put_stats(struct watchd *w)
{
	struct sw_store_stat st[MAX_STATS];
	struct sw_errbuf eb = {{0}};
	uint64_t ann = 0, scr = 0, rep = 0, tmo = 0, herr = 0, drop = 0, polls = 0, ferr = 0;
	size_t state[3] = {0, 0, 0}, ips[3] = {0, 0, 0}, n = 0;
	const struct sw_dht_stats *d = w->dht != NULL ? sw_dht_stats(w->dht) : NULL;
	const struct sw_verifier_stats *v = w->verifier != NULL ? sw_verifier_stats(w->verifier)
								: NULL;

	for (size_t i = 0; i < w->nsw; i++) {
		const struct wswarm *s = w->sw[i];

		state[s->state]++;
		for (int t = 0; t < 3; t++)
			ips[t] += sw_peerset_unique_ips(s->peers, (enum sw_tier)t);
		for (size_t k = 0; k < s->ntrk; k++) {
			const struct sw_tracker *t = s->trk[k];

			ann += t->stats.announces;
			scr += t->stats.scrapes;
			rep += t->stats.replies;
			tmo += t->stats.timeouts;
			herr += t->stats.http_errors;
			drop += t->stats.drop_short + t->stats.drop_txid + t->stats.drop_action +
				t->stats.drop_source;
		}
	}
	for (size_t i = 0; i < w->nfeeds; i++) {
		polls += w->feeds[i].polls;
		ferr += w->feeds[i].errors;
	}
#define STAT(nm, lb, val) st[n++] = (struct sw_store_stat){"swarmwatch_daemon_" nm, lb, (int64_t)(val)}
	STAT("uptime_seconds", "", (sw_time_mono_ms() - w->started) / 1000);
	STAT("swarms", "state=watched", w->nsw);
	STAT("swarms", "state=linked", state[W_LINKED]);
	STAT("swarms", "state=pending", state[W_PENDING]);
	STAT("swarms", "state=rejected", state[W_REJECTED]);
	STAT("peers", "tier=seen", ips[0]);
	STAT("peers", "tier=connectable", ips[1]);
	STAT("peers", "tier=verified", ips[2]);
	STAT("messages_total", "kind=observations_written", w->observations);
	STAT("messages_total", "kind=tracker_announces", ann);
	STAT("messages_total", "kind=tracker_scrapes", scr);
	STAT("messages_total", "kind=tracker_replies", rep);
	STAT("messages_total", "kind=feed_polls", polls);
	STAT("errors_total", "kind=store", w->db_errors);
	STAT("errors_total", "kind=tracker_timeouts", tmo);
	STAT("errors_total", "kind=tracker_http", herr);
	STAT("errors_total", "kind=tracker_dropped", drop);
	STAT("errors_total", "kind=feed", ferr);
	if (d != NULL) {
		STAT("messages_total", "kind=dht_received", d->rx);
		STAT("messages_total", "kind=dht_sent", d->tx);
		STAT("errors_total", "kind=dht_malformed", d->dropped_parse);
		STAT("errors_total", "kind=dht_unmatched", d->dropped_tid + d->dropped_source);
		STAT("errors_total", "kind=dht_rate_limited", d->dropped_ratelimit);
		STAT("errors_total", "kind=dht_timeouts", d->timeouts);
		STAT("errors_total", "kind=dht_liars", d->liars);
	}
	if (v != NULL) {
		STAT("messages_total", "kind=peer_connects", v->connects);
		STAT("messages_total", "kind=peer_handshakes", v->handshakes);
		STAT("messages_total", "kind=peer_incoming", v->incoming);
		STAT("errors_total", "kind=peer_connect_failures", v->connect_failures);
		STAT("errors_total", "kind=peer_protocol", v->protocol_errors);
		STAT("errors_total", "kind=peer_metadata", v->metadata_failures);
	}
#undef STAT
	if (sw_store_sqlite_put_stats(w->sink, st, n, sw_time_wall_ms(), &eb) != SW_OK)
		db_error(w, "daemon stats", &eb);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct watchd *w = arg;
	struct sw_errbuf eb = {{0}};
	int64_t now = sw_time_mono_ms();

	(void)fd;
	(void)what;
	write_scrapes(w, false);
	if (sw_sink_flush(w->sink, &eb) != SW_OK)
		db_error(w, "flush", &eb);
	put_stats(w);
	if (now >= w->next_retention)
		retain(w, now);
}

static void on_saved_node(void *ctx, const uint8_t id[20], const struct sw_addr *a)
{
	(void)id;
	sw_dht_add_node(ctx, a);
}

static void save_dht(struct watchd *w)
{
	static uint8_t ids[DHT_SAVE_MAX][SW_NODEID_LEN];
	static struct sw_addr addrs[DHT_SAVE_MAX];
	struct sw_errbuf eb = {{0}};
	size_t n;

	if (w->dht == NULL)
		return;
	n = sw_dht_nodes(w->dht, ids, addrs, DHT_SAVE_MAX);
	if (sw_store_sqlite_dht_save(w->sink, (const uint8_t(*)[20])ids, addrs, n,
				     sw_time_wall_ms(), &eb) != SW_OK)
		db_error(w, "save dht nodes", &eb);
	else
		sw_info("dht: %zu nodes of the routing table saved", n);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct watchd *w = arg;

	(void)what;
	if (fd == SIGHUP) {
		w->reload = true;
		return;
	}
	if (w->interrupted)
		sw_loop_stop(&w->loop);
	w->interrupted = true;
	begin_stop(w);
}

static void on_accept(void *ctx, struct sw_tcp *tcp)
{
	struct watchd *w = ctx;

	sw_verifier_accept(w->verifier, tcp);
}

static void on_verifier_log(void *ctx, const char *msg)
{
	(void)ctx;
	sw_debug("%s", msg);
}

static int open_net(struct watchd *w, struct sw_errbuf *eb)
{
	struct sw_addr la;
	int rc;

	if (sw_addr_parse(&la, w->o.listen) != SW_OK)
		return sw_errbuf_set(eb, SW_E_USAGE, "listen address %s: expected ADDR:PORT",
				     w->o.listen);
	rc = sw_tcp_listen(&w->loop, &la, on_accept, w, &w->listener, eb);
	if (rc)
		return rc;
	la.port = sw_tcp_listener_addr(w->listener)->port;
	rc = sw_udp_open(&w->loop, &la, la.family == AF_INET6 ? &w->udp6 : &w->udp4, eb);
	if (rc)
		return rc;
	w->port = la.port;
	sw_ifaddrs_load(&w->self);
	sw_ifaddrs_add(&w->self, sw_tcp_listener_addr(w->listener));
	return sw_http_new(&w->loop, &w->http, eb);
}

static int start(struct watchd *w, struct sw_errbuf *eb)
{
	struct sw_verifier_opts vo;
	struct sw_tracker_client_opts to;
	struct timeval tick = {0, 250000}, fl;
	int rc;

	memcpy(w->peer_id, PEER_ID_PREFIX, strlen(PEER_ID_PREFIX));
	if (RAND_bytes(w->peer_id + strlen(PEER_ID_PREFIX),
		       (int)(SW_PEER_ID_LEN - strlen(PEER_ID_PREFIX))) != 1)
		return sw_errbuf_set(eb, SW_E_NOMEM, "no random bytes");
	rc = sw_loop_init(&w->loop, eb);
	if (rc == SW_OK)
		rc = open_net(w, eb);
	if (rc)
		return rc;
	memset(&vo, 0, sizeof(vo));
	vo.loop = &w->loop;
	memcpy(vo.peer_id, w->peer_id, SW_PEER_ID_LEN);
	vo.listen_port = w->port;
	vo.max_conns = (size_t)w->o.max_conns;
	vo.linger_ms = w->o.linger_ms;
	vo.revisit_ms = w->o.revisit_ms;
	vo.ctx = w;
	vo.update = on_verified;
	vo.pex = on_pex;
	vo.metadata = on_metadata;
	vo.log = on_verifier_log;
	rc = sw_verifier_new(&vo, &w->verifier);
	if (rc)
		return sw_errbuf_set(eb, rc, "verifier: %s", sw_strerror(rc));
	memset(&to, 0, sizeof(to));
	to.loop = &w->loop;
	to.udp4 = w->udp4;
	to.udp6 = w->udp6;
	to.http = w->http;
	to.http_timeout_ms = 15000;
	to.on_peers = on_tracker_peers;
	to.ctx = w;
	rc = sw_tracker_client_new(&to, &w->trackers);
	if (rc)
		return sw_errbuf_set(eb, rc, "trackers: %s", sw_strerror(rc));
	if (!w->o.no_dht) {
		struct sw_dht_opts o;

		memset(&o, 0, sizeof(o));
		o.loop = &w->loop;
		o.udp4 = w->udp4;
		o.udp6 = w->udp6;
		o.allow_private = w->o.allow_private;
		o.lookup_interval_ms = w->o.dht_interval_ms;
		o.announce_port = w->port;
		o.ctx = w;
		o.on_values = on_dht_values;
		o.on_query = on_dht_query;
		o.on_scrape = on_dht_scrape;
		o.on_samples = on_dht_samples;
		rc = sw_dht_new(&o, &w->dht, eb);
		if (rc == SW_OK && w->o.crawl_qps > 0) {
			w->crawlq = calloc(CRAWL_QUEUE, SW_INFOHASH_LEN);
			if (w->crawlq == NULL)
				return SW_E_NOMEM;
			sw_dht_crawl(w->dht, w->o.crawl_qps);
		}
		if (rc == SW_OK) {
			const char *const *boot = (const char *const *)w->o.boot;
			size_t nboot = w->o.nboot;

			if (nboot == 0 && w->wl->n_dht_bootstrap > 0) {
				boot = (const char *const *)w->wl->dht_bootstrap;
				nboot = w->wl->n_dht_bootstrap;
			}
			rc = sw_dht_bootstrap(w->dht, nboot ? boot : NULL, nboot, eb);
		}
		if (rc == SW_OK) /* the table saved last time: ping them, they rejoin */
			rc = sw_store_sqlite_dht_load(w->sink, on_saved_node, w->dht, eb);
		if (rc)
			return rc;
	}
	w->tick = event_new(w->loop.base, -1, EV_PERSIST, on_tick, w);
	w->flush = event_new(w->loop.base, -1, EV_PERSIST, on_flush, w);
	w->sigint = evsignal_new(w->loop.base, SIGINT, on_signal, w);
	w->sigterm = evsignal_new(w->loop.base, SIGTERM, on_signal, w);
	w->sighup = evsignal_new(w->loop.base, SIGHUP, on_signal, w);
	if (!w->tick || !w->flush || !w->sigint || !w->sigterm || !w->sighup)
		return SW_E_NOMEM;
	fl.tv_sec = (time_t)(w->o.flush_ms / 1000);
	fl.tv_usec = (suseconds_t)(w->o.flush_ms % 1000) * 1000;
	event_add(w->tick, &tick);
	event_add(w->flush, &fl);
	event_add(w->sigint, NULL);
	event_add(w->sigterm, NULL);
	event_add(w->sighup, NULL);
	w->started = sw_time_mono_ms();
	w->ends = w->o.for_ms > 0 ? w->started + w->o.for_ms : 0;
	/* Resume what the store already links, then the watchlist's own. */
	resuming = w;
	rc = sw_store_sqlite_torrents(w->sink, true, on_stored_torrent, w, eb);
	if (rc)
		return rc;
	add_known(w);
	return setup_feeds(w);
}

/* --- the summary ---------------------------------------------------------- */

static int print_summary(struct watchd *w)
{
	struct sw_buf out;
	struct sw_json j;
	struct sw_errbuf eb = {{0}};
	int rc;

	sw_buf_init(&out, SIZE_MAX / 2);
	sw_json_init(&j, &out);
	sw_json_obj_begin(&j);
	sw_json_key(&j, "duration_s");
	sw_json_double(&j, (double)(sw_time_mono_ms() - w->started) / 1000.0);
	sw_json_key(&j, "swarms");
	sw_json_uint(&j, w->nsw);
	sw_json_key(&j, "linked");
	sw_json_uint(&j, w->linked);
	sw_json_key(&j, "rejected");
	sw_json_uint(&j, w->rejected);
	sw_json_key(&j, "feed_items_matched");
	sw_json_uint(&j, w->matched);
	sw_json_key(&j, "feed_items_unmatched");
	sw_json_uint(&j, w->unmatched);
	sw_json_key(&j, "observations");
	sw_json_uint(&j, w->observations);
	sw_json_key(&j, "crawl_found");
	sw_json_uint(&j, w->crawl_found);
	sw_json_key(&j, "crawl_named");
	sw_json_uint(&j, w->crawl_named);
	sw_json_key(&j, "titles");
	sw_json_arr_begin(&j);
	for (size_t i = 0; i < w->wl->n_titles; i++) {
		int64_t n[3] = {0, 0, 0};

		for (int t = 0; t < 3; t++)
			sw_store_sqlite_unique_addrs_title(w->sink, w->title_ids[i], (enum sw_tier)t,
							   INT64_MAX, &n[t], &eb);
		sw_json_obj_begin(&j);
		sw_json_key(&j, "title");
		sw_json_str(&j, w->wl->titles[i].name);
		sw_json_key(&j, "torrents");
		{
			size_t k = 0;

			for (size_t s = 0; s < w->nsw; s++)
				k += w->sw[s]->state == W_LINKED &&
				     w->sw[s]->title_id == w->title_ids[i];
			sw_json_uint(&j, k);
		}
		sw_json_key(&j, "unique_ips");
		sw_json_obj_begin(&j);
		sw_json_key(&j, "seen");
		sw_json_int(&j, n[0]);
		sw_json_key(&j, "connectable");
		sw_json_int(&j, n[1]);
		sw_json_key(&j, "verified");
		sw_json_int(&j, n[2]);
		sw_json_obj_end(&j);
		sw_json_obj_end(&j);
	}
	sw_json_arr_end(&j);
	sw_json_key(&j, "torrents");
	sw_json_arr_begin(&j);
	for (size_t s = 0; s < w->nsw; s++) {
		char hex[2 * SW_INFOHASH_LEN + 1];
		static const char *const st[] = {"pending", "linked", "rejected"};

		if (strcmp(w->sw[s]->source, "dht") == 0 && w->sw[s]->title_id == 0)
			continue; /* crawled, never a title's */

		hexof(w->sw[s]->ih, hex);
		sw_json_obj_begin(&j);
		sw_json_key(&j, "infohash");
		sw_json_str(&j, hex);
		sw_json_key(&j, "name");
		sw_json_str(&j, w->sw[s]->name);
		sw_json_key(&j, "title");
		sw_json_str(&j, w->sw[s]->title);
		sw_json_key(&j, "state");
		sw_json_str(&j, st[w->sw[s]->state]);
		sw_json_key(&j, "source");
		sw_json_str(&j, w->sw[s]->source);
		sw_json_key(&j, "peers");
		sw_json_uint(&j, sw_peerset_unique_ips(w->sw[s]->peers, SW_TIER_SEEN));
		sw_json_obj_end(&j);
	}
	sw_json_arr_end(&j);
	sw_json_obj_end(&j);
	rc = sw_json_error(&j);
	if (rc == SW_OK)
		rc = sw_buf_putc(&out, '\n');
	if (rc == SW_OK)
		rc = sw_cmd_write_out(stdout, out.data, out.len);
	else
		rc = SW_EXIT_FAILURE;
	sw_buf_deinit(&out);
	return rc;
}

/* --- options and main ------------------------------------------------------ */

static void usage(FILE *f)
{
	fputs("usage: swarmwatch watch [options] WATCHLIST\n"
	      "\n"
	      "Watch the titles of WATCHLIST (an INI file: see examples/sony-2014.ini):\n"
	      "find their torrents in the feeds, monitor every matched swarm and\n"
	      "record what is seen in the store.  Runs until SIGINT/SIGTERM or --for;\n"
	      "SIGHUP reloads the watchlist.\n"
	      "\n"
	      "  --db FILE             the store (default: the watchlist's `database`,\n"
	      "                        else swarmwatch.db)\n"
	      "  --for DURATION        stop after this long (default: never)\n"
	      "  --listen ADDR:PORT    peer and DHT port (default: the watchlist's, else\n"
	      "                        0.0.0.0:6881)\n"
	      "  --allow-private       accept private, loopback and other non-public peers\n"
	      "  --evidence            store raw IP addresses (default: keyed pseudonyms)\n"
	      "  --secret FILE         the pseudonym secret (default: the watchlist's\n"
	      "                        `secret`, else DB.secret; created mode 0600)\n"
	      "  --geoip-country FILE, --geoip-asn FILE  mmdb databases (default: the\n"
	      "                        watchlist's, else the installed ones if present)\n"
	      "  --no-dht              do not use the DHT\n"
	      "  --dht-bootstrap HOST:PORT  DHT node to start from (repeatable)\n"
	      "  --dht-interval DURATION  between DHT lookups of a swarm (5m)\n"
	      "  --crawl QPS           also crawl the DHT (BEP 51) at about QPS queries/s,\n"
	      "                        fetch the names of the infohashes found, and watch\n"
	      "                        those that match a title (default: off)\n"
	      "  --flush DURATION      commit to the store this often (2s)\n"
	      "  --max-conns N         concurrent peer connections (500)\n"
	      "  --linger DURATION     time connected to a peer per visit (60s)\n"
	      "  --revisit DURATION    gap before revisiting a downloading peer (5m)\n"
	      "  --json                print a JSON summary on exit\n"
	      "  -q, --quiet           log warnings and errors only\n"
	      "  -h, --help            show this help\n",
	      f);
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	enum { O_DB = 256, O_FOR, O_LISTEN, O_PRIV, O_EVID, O_SECRET, O_GEOC, O_GEOA, O_NODHT,
	       O_BOOT, O_DHTIV, O_FLUSH, O_MAXC, O_LINGER, O_REVISIT, O_JSON, O_CRAWL };
	static const struct option lo[] = {
		{"db", required_argument, NULL, O_DB},
		{"for", required_argument, NULL, O_FOR},
		{"listen", required_argument, NULL, O_LISTEN},
		{"allow-private", no_argument, NULL, O_PRIV},
		{"evidence", no_argument, NULL, O_EVID},
		{"secret", required_argument, NULL, O_SECRET},
		{"geoip-country", required_argument, NULL, O_GEOC},
		{"geoip-asn", required_argument, NULL, O_GEOA},
		{"no-dht", no_argument, NULL, O_NODHT},
		{"dht-bootstrap", required_argument, NULL, O_BOOT},
		{"dht-interval", required_argument, NULL, O_DHTIV},
		{"flush", required_argument, NULL, O_FLUSH},
		{"max-conns", required_argument, NULL, O_MAXC},
		{"linger", required_argument, NULL, O_LINGER},
		{"revisit", required_argument, NULL, O_REVISIT},
		{"json", no_argument, NULL, O_JSON},
		{"crawl", required_argument, NULL, O_CRAWL},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	o->flush_ms = 2000;
	o->linger_ms = 60000;
	o->revisit_ms = 5 * 60000;
	o->dht_interval_ms = 5 * 60000;
	o->max_conns = 500;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		int64_t *dur = NULL;

		switch (c) {
		case O_DB: o->db = optarg; break;
		case O_FOR: dur = &o->for_ms; break;
		case O_LISTEN: o->listen = optarg; break;
		case O_PRIV: o->allow_private = true; break;
		case O_EVID: o->evidence = true; break;
		case O_SECRET: o->secret = optarg; break;
		case O_GEOC: o->geo_country = optarg; break;
		case O_GEOA: o->geo_asn = optarg; break;
		case O_NODHT: o->no_dht = true; break;
		case O_DHTIV: dur = &o->dht_interval_ms; break;
		case O_FLUSH: dur = &o->flush_ms; break;
		case O_LINGER: dur = &o->linger_ms; break;
		case O_REVISIT: dur = &o->revisit_ms; break;
		case O_JSON: o->json = true; break;
		case O_CRAWL: {
			long q = strtol(optarg, &end, 10);

			if (*end || q < 0 || q > 100000) {
				fprintf(stderr, "swarmwatch: watch: --crawl: expected 0..100000\n");
				return SW_EXIT_USAGE;
			}
			o->crawl_qps = (unsigned)q;
			break;
		}
		case O_MAXC:
			o->max_conns = strtol(optarg, &end, 10);
			if (*end || o->max_conns < 1 || o->max_conns > 100000) {
				fprintf(stderr, "swarmwatch: watch: --max-conns: expected 1..100000\n");
				return SW_EXIT_USAGE;
			}
			break;
		case O_BOOT: {
			char **t = realloc(o->boot, (o->nboot + 1) * sizeof(*t));

			if (t == NULL)
				return SW_EXIT_FAILURE;
			o->boot = t;
			o->boot[o->nboot++] = optarg;
			break;
		}
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(SW_EXIT_OK);
		default: usage(stderr); return SW_EXIT_USAGE;
		}
		if (dur != NULL && (sw_duration_parse(optarg, dur) != SW_OK || *dur <= 0)) {
			fprintf(stderr, "swarmwatch: watch: bad duration '%s' (e.g. 90s, 5m, 1h)\n",
				optarg);
			return SW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "swarmwatch: watch: expected one WATCHLIST\n");
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	o->watchlist = argv[optind];
	return SW_EXIT_OK;
}

static bool exists(const char *path)
{
	return path != NULL && access(path, R_OK) == 0;
}

/* Store, pseudonyms and geography, from the options and the watchlist. */
static int open_store(struct watchd *w, struct sw_errbuf *eb)
{
	struct sw_store_options so;
	const char *db = w->o.db ? w->o.db : (w->wl->database ? w->wl->database : "swarmwatch.db");
	const char *gc = w->o.geo_country ? w->o.geo_country : w->wl->geoip_country;
	const char *ga = w->o.geo_asn ? w->o.geo_asn : w->wl->geoip_asn;
	char secret[4096];
	int rc;

	memset(&so, 0, sizeof(so));
	if (!w->o.evidence && !w->wl->evidence) {
		const char *sp = w->o.secret ? w->o.secret : w->wl->secret;

		if (sp == NULL) {
			snprintf(secret, sizeof(secret), "%s.secret", db);
			sp = secret;
		}
		rc = sw_pseudonym_load(sp, &w->pn, eb);
		if (rc)
			return rc;
		so.addr_transform = sw_pseudonym_transform;
		so.addr_transform_ctx = &w->pn;
	}
	rc = sw_store_sqlite_open(db, &so, &w->sink, eb);
	if (rc)
		return rc;
	if (gc == NULL && exists(SW_GEO_DEFAULT_COUNTRY))
		gc = SW_GEO_DEFAULT_COUNTRY;
	if (ga == NULL && exists(SW_GEO_DEFAULT_ASN))
		ga = SW_GEO_DEFAULT_ASN;
	if (gc != NULL || ga != NULL) {
		rc = sw_geo_open(gc, ga, &w->geo, eb);
		if (rc)
			return rc;
	}
	sw_info("store %s (%s), geography: %s", db,
		so.addr_transform ? "addresses as keyed pseudonyms" : "raw addresses (--evidence)",
		w->geo ? "on" : "off (no database)");
	return SW_OK;
}

static void cleanup(struct watchd *w)
{
	free_feeds(w);
	if (w->tick)
		event_free(w->tick);
	if (w->flush)
		event_free(w->flush);
	if (w->sigint)
		event_free(w->sigint);
	if (w->sigterm)
		event_free(w->sigterm);
	if (w->sighup)
		event_free(w->sighup);
	sw_dht_free(w->dht);
	sw_tracker_client_free(w->trackers);
	sw_verifier_free(w->verifier);
	sw_tcp_listener_free(w->listener);
	sw_http_free(w->http);
	sw_udp_close(w->udp4);
	sw_udp_close(w->udp6);
	sw_loop_deinit(&w->loop);
	for (size_t i = 0; i < w->nsw; i++) {
		sw_peerset_free(w->sw[i]->peers);
		free(w->sw[i]->trk);
		free(w->sw[i]->trk_sc);
		free(w->sw[i]->name);
		free(w->sw[i]->title);
		free(w->sw[i]);
	}
	free(w->sw);
	free(w->seen);
	free(w->crawlq);
	sw_geo_close(w->geo);
	sw_matcher_free(w->matcher);
	free(w->title_ids);
	sw_watchlist_free(w->wl);
	free(w->o.boot);
}

int sw_cmd_watch(int argc, char **argv)
{
	struct watchd *w = calloc(1, sizeof(*w));
	struct sw_watchlist *wl = NULL;
	struct sw_errbuf eb = {{0}};
	int status, rc;

	if (w == NULL)
		return SW_EXIT_FAILURE;
	status = parse_args(&w->o, argc, argv);
	if (status != SW_EXIT_OK)
		goto out;
	sw_log_set_level(w->o.quiet ? SW_LOG_WARN : SW_LOG_INFO);
	rc = sw_watchlist_load(w->o.watchlist, &wl, &eb);
	if (rc != SW_OK) {
		fprintf(stderr, "swarmwatch: watch: %s\n", eb.msg);
		status = rc == SW_E_INVALID || rc == SW_E_TOO_BIG ? SW_EXIT_USAGE : SW_EXIT_FAILURE;
		goto out;
	}
	w->wl = wl; /* for open_store; adopt_watchlist takes it over properly */
	if (w->o.listen == NULL)
		w->o.listen = wl->listen ? wl->listen : "0.0.0.0:6881";
	if (wl->allow_private)
		w->o.allow_private = true;
	if (!wl->dht)
		w->o.no_dht = true;
	rc = open_store(w, &eb);
	if (rc == SW_OK) {
		w->wl = NULL;
		rc = adopt_watchlist(w, wl, &eb);
		if (rc != SW_OK)
			w->wl = wl;
	}
	if (rc == SW_OK)
		rc = start(w, &eb);
	if (rc != SW_OK) {
		fprintf(stderr, "swarmwatch: watch: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
		status = rc == SW_E_USAGE ? SW_EXIT_USAGE : SW_EXIT_FAILURE;
		goto out;
	}
	sw_info("watching %zu titles, %zu feeds, %zu torrents known; listening on port %u",
		w->wl->n_titles, w->wl->n_feeds, w->nsw, w->port);
	retain(w, sw_time_mono_ms());
	sw_loop_run(&w->loop);
	write_scrapes(w, true);
	save_dht(w);
	if (sw_sink_flush(w->sink, &eb) != SW_OK) {
		db_error(w, "last flush", &eb);
		status = SW_EXIT_FAILURE;
	}
	put_stats(w);
	sw_info("stopped: %zu swarms, %" PRIu64 " linked, %" PRIu64 " rejected, %" PRIu64
		" observations",
		w->nsw, w->linked, w->rejected, w->observations);
	if (w->o.json && status == SW_EXIT_OK)
		status = print_summary(w);
	if (status == SW_EXIT_OK && w->db_errors > 0)
		status = SW_EXIT_FAILURE;
out:
	if (w->sink != NULL && sw_sink_close(w->sink, &eb) != SW_OK) {
		fprintf(stderr, "swarmwatch: watch: %s\n", eb.msg);
		status = SW_EXIT_FAILURE;
	}
	cleanup(w);
	free(w);
	return status;
}
