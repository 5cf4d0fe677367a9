/*
 * dht.c - a Mainline DHT node: see dht.h.
 *
 * Layout: transactions (what we asked whom), searches (iterative lookups,
 * lookup.h), watched swarms, the liar check (values held until the node
 * that gave them answers a probe), serving (tokens, rate limits, the
 * announced-peer store), the crawl frontier, and one 100 ms tick that
 * times out transactions and starts what is due.
 */
#include "dht/dht.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/rand.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/siphash.h"
#include "core/time.h"
#include "dht/bloom.h"
#include "dht/lookup.h"
#include "dht/peerstore.h"
#include "dht/rtable.h"
#include "proto/krpc.h"

const char *const sw_dht_default_bootstrap[] = {
	"router.bittorrent.com:6881",
	"dht.transmissionbt.com:6881",
	"router.utorrent.com:6881",
	"dht.libtorrent.org:25401",
	NULL,
};

#define TX_SLOTS         4096
#define TX_SLOW_MS       1000
#define TX_TIMEOUT_MS    3000
#define SEARCH_MAX       64
#define SEARCH_SEEDS     16
#define HELD_MAX         64
#define HELD_VALUES      256
#define HELD_TIMEOUT_MS  (TX_TIMEOUT_MS + 2000)
#define RL_SLOTS         4096
#define VERDICT_SLOTS    4096
#define VERDICT_TTL_MS   (60 * 60 * 1000)
#define FRONTIER_SLOTS   (1u << 16)
#define FRONTIER_MAX     (FRONTIER_SLOTS / 4 * 3)
#define FRONTIER_RETRY_MS 60000
#define TOKEN_PERIOD_MS  (5 * 60 * 1000)
#define TOKEN_LEN        8
#define REPLY_MAX        1400
#define SAMPLES_MAX      20
#define OUR_INTERVAL_S   60
#define VOTES            16
#define LIARS_KEPT       64
#define VOTES_NEEDED     4
#define TICK_MS          100
#define REBOOTSTRAP_MS   30000
#define EMPTY_RETRY_MS   5000
#define DNS_MAX          8
#define STORE_SWARMS     1024
#define STORE_PEERS      100
#define VERSION          "SW\x00\x01"
#define VERSION_LEN      4

enum tx_kind { TX_PING = 1, TX_FIND_NODE, TX_GET_PEERS, TX_SCRAPE, TX_ANNOUNCE, TX_PROBE, TX_SAMPLE };
enum { V_NONE = 0, V_PROBING, V_HONEST, V_LIAR };
enum { C_EMPTY = 0, C_DUE, C_WAITING, C_DONE };

struct tx {
	struct sw_addr addr;
	int64_t sent;
	uint32_t serial; /* of the search, for search kinds */
	uint16_t nonce;
	uint8_t kind;
	uint8_t search;
	bool used, slow;
};

struct search {
	bool used;
	uint32_t serial;
	uint8_t kind; /* TX_FIND_NODE or TX_GET_PEERS */
	bool finishing;
	struct sw_lookup l;
	unsigned pending; /* scrape and announce queries in flight */
	struct sw_bloom bfsd, bfpe;
	unsigned filters;
	size_t values;
	int64_t started;
};

struct watch {
	uint8_t ih[SW_INFOHASH_LEN];
	int64_t next;
	bool searching, has_scrape;
	struct sw_dht_scrape last;
	unsigned nodes;
};

struct held {
	bool used;
	struct sw_addr node;
	uint8_t ih[SW_INFOHASH_LEN];
	int64_t since;
	size_t n;
	struct sw_addr v[HELD_VALUES];
};

struct verdict {
	struct sw_addr ip; /* port 0 */
	int64_t until;
	uint8_t state;
};

struct rl {
	struct sw_addr ip;
	int64_t last;
	float tokens;
};

struct cnode {
	struct sw_addr addr;
	int64_t next;
	uint8_t state;
};

struct vote {
	struct sw_addr ip, voter;
};

struct dns_req {
	struct sw_dht *d;
	struct evdns_getaddrinfo_request *req;
	uint16_t port;
	bool used;
};

struct sw_dht {
	struct sw_dht_opts o;
	struct sw_udp *udp[2];
	struct sw_rtable *rt[2];
	uint8_t id[SW_NODEID_LEN];
	bool id_fixed;

	struct tx *tx;
	uint16_t *txfree;
	size_t ntxfree;

	struct search search[SEARCH_MAX];
	uint32_t serial;
	struct watch *w;
	size_t nw, wcap;
	struct held held[HELD_MAX];
	struct verdict *verdict;
	struct rl *rl;
	float gtokens;
	int64_t glast;
	uint8_t secret[2][SW_SIPHASH_KEY_LEN]; /* [0] current, [1] previous */
	int64_t secret_at;
	uint8_t hkey[SW_SIPHASH_KEY_LEN]; /* for our hash tables */
	uint64_t prng;
	struct sw_peerstore *store;

	struct sw_addr *boot;
	size_t nboot, bootcap;
	int64_t last_boot;
	struct dns_req dns[DNS_MAX];

	struct cnode *frontier;
	size_t nfrontier, fcursor;
	unsigned crawl_qps;
	double crawl_budget;

	struct vote votes[VOTES];
	size_t nvotes, vnext;
	struct sw_addr ext;
	bool has_ext;
	struct sw_addr liars[LIARS_KEPT]; /* distinct liars seen, for the count */
	size_t nliars;

	struct sw_buf out;
	struct sw_bencode_token tok[SW_KRPC_TOKENS];
	struct event *tick;
	int64_t last_refresh;
	struct sw_dht_stats st;
};

static int fam(const struct sw_addr *a)
{
	return a->family == AF_INET6 ? 1 : 0;
}

static uint64_t rnd64(struct sw_dht *d)
{
	/* xorshift64*: non-secret randomness (transaction nonces, targets, order). */
	uint64_t x = d->prng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	d->prng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void rnd_bytes(struct sw_dht *d, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = rnd64(d);
		size_t k = n - i < 8 ? n - i : 8;

		memcpy(p + i, &r, k);
	}
}

static uint64_t hash_ip(const struct sw_dht *d, const struct sw_addr *a, bool port)
{
	uint8_t b[SW_ADDR_V6_LEN + 3];
	size_t n = a->family == AF_INET ? SW_ADDR_V4_LEN : SW_ADDR_V6_LEN;

	memcpy(b, a->ip, n);
	b[n++] = (uint8_t)a->family;
	if (port) {
		b[n++] = (uint8_t)(a->port >> 8);
		b[n++] = (uint8_t)a->port;
	}
	return sw_siphash(d->hkey, b, n);
}

static bool allowed(const struct sw_dht *d, const struct sw_addr *a)
{
	return a->port != 0 && (d->o.allow_private || sw_addr_is_public(a));
}

/* --- sending ------------------------------------------------------------- */

static void hdr_init(struct sw_dht *d, struct sw_krpc_hdr *h, const uint8_t *tid, size_t tid_len)
{
	memset(h, 0, sizeof(*h));
	h->tid = tid;
	h->tid_len = tid_len;
	h->id = d->id;
	h->version = (const uint8_t *)VERSION;
	h->version_len = VERSION_LEN;
	h->read_only = d->o.read_only;
}

static int send_out(struct sw_dht *d, const struct sw_addr *to)
{
	struct sw_udp *u = d->udp[fam(to)];

	if (u == NULL || sw_udp_send(u, to, d->out.data, d->out.len) != SW_OK)
		return SW_E_IO;
	d->st.tx++;
	return SW_OK;
}

static unsigned want_flags(const struct sw_dht *d)
{
	return d->udp[0] && d->udp[1] ? SW_KRPC_WANT_N4 | SW_KRPC_WANT_N6 : 0;
}

/*
 * Send a query of kind to addr.  target: the node id, infohash or sample
 * target; token for announces.  Returns the transaction slot or -1.
 */
static int send_query(struct sw_dht *d, uint8_t kind, const struct sw_addr *to, int search,
		      const uint8_t *target, const uint8_t *token, size_t token_len)
{
	struct sw_krpc_hdr h;
	struct tx *t;
	uint8_t tid[4];
	uint16_t idx;
	int rc = SW_E_INVALID;

	if (d->udp[fam(to)] == NULL)
		return -1;
	if (d->ntxfree == 0) {
		d->st.dropped_full++;
		return -1;
	}
	idx = d->txfree[--d->ntxfree];
	t = &d->tx[idx];
	memset(t, 0, sizeof(*t));
	t->nonce = (uint16_t)rnd64(d);
	tid[0] = (uint8_t)(idx >> 8);
	tid[1] = (uint8_t)idx;
	tid[2] = (uint8_t)(t->nonce >> 8);
	tid[3] = (uint8_t)t->nonce;
	hdr_init(d, &h, tid, sizeof(tid));
	sw_buf_reset(&d->out);
	switch (kind) {
	case TX_PING:
		rc = sw_krpc_build_ping(&d->out, &h);
		break;
	case TX_FIND_NODE:
		rc = sw_krpc_build_find_node(&d->out, &h, target, want_flags(d));
		break;
	case TX_GET_PEERS:
	case TX_PROBE:
		rc = sw_krpc_build_get_peers(&d->out, &h, target, want_flags(d));
		break;
	case TX_SCRAPE:
		rc = sw_krpc_build_get_peers(&d->out, &h, target, SW_KRPC_SCRAPE);
		break;
	case TX_ANNOUNCE:
		rc = sw_krpc_build_announce_peer(&d->out, &h, target, token, token_len,
						 d->o.announce_port, false);
		break;
	case TX_SAMPLE:
		rc = sw_krpc_build_sample_infohashes(&d->out, &h, target, want_flags(d));
		break;
	default:
		break;
	}
	if (rc != SW_OK || send_out(d, to) != SW_OK) {
		d->txfree[d->ntxfree++] = idx;
		return -1;
	}
	t->used = true;
	t->kind = kind;
	t->addr = *to;
	t->sent = sw_time_mono_ms();
	if (search >= 0) {
		t->search = (uint8_t)search;
		t->serial = d->search[search].serial;
	}
	d->st.tx_queries++;
	return idx;
}

static void tx_free(struct sw_dht *d, struct tx *t)
{
	t->used = false;
	d->txfree[d->ntxfree++] = (uint16_t)(t - d->tx);
}

/* --- searches -------------------------------------------------------------- */

static struct watch *watch_find(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN])
{
	for (size_t i = 0; i < d->nw; i++)
		if (memcmp(d->w[i].ih, ih, SW_INFOHASH_LEN) == 0)
			return &d->w[i];
	return NULL;
}

static size_t good_nodes(struct sw_dht *d)
{
	size_t g = 0, q, n;

	for (int f = 0; f < 2; f++)
		if (d->rt[f]) {
			sw_rt_counts(d->rt[f], sw_time_mono_ms(), &n, &q);
			g += n;
		}
	return g;
}

static void step_search(struct sw_dht *d, int si);

static int start_search(struct sw_dht *d, uint8_t kind, const uint8_t target[SW_NODEID_LEN])
{
	const struct sw_rt_node *seeds[SEARCH_SEEDS];
	struct search *s = NULL;
	int si = -1;
	int64_t now = sw_time_mono_ms();

	for (int i = 0; i < SEARCH_MAX; i++)
		if (!d->search[i].used) {
			si = i;
			s = &d->search[i];
			break;
		}
	if (s == NULL) {
		d->st.dropped_full++;
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->serial = ++d->serial;
	s->kind = kind;
	s->started = now;
	sw_bloom_init(&s->bfsd);
	sw_bloom_init(&s->bfpe);
	sw_lookup_init(&s->l, target, d->o.alpha);
	for (int f = 0; f < 2; f++) {
		size_t n;

		if (d->rt[f] == NULL || d->udp[f] == NULL)
			continue;
		n = sw_rt_closest(d->rt[f], target, seeds, SEARCH_SEEDS, now);
		for (size_t i = 0; i < n; i++)
			sw_lookup_add(&s->l, seeds[i]->id, &seeds[i]->addr);
	}
	if (good_nodes(d) < SW_RT_K)
		for (size_t i = 0; i < d->nboot; i++)
			sw_lookup_add(&s->l, NULL, &d->boot[i]);
	if (kind == TX_GET_PEERS)
		d->st.lookups++;
	step_search(d, si);
	return si;
}

static void finish_search(struct sw_dht *d, int si)
{
	struct search *s = &d->search[si];
	struct watch *w = s->kind == TX_GET_PEERS ? watch_find(d, s->l.target) : NULL;
	int64_t now = sw_time_mono_ms();

	if (w != NULL) {
		struct sw_dht_scrape sc;

		memset(&sc, 0, sizeof(sc));
		w->searching = false;
		w->nodes = s->l.answered;
		/* Nothing answered (no node known yet): try again soon. */
		w->next = now + (s->l.answered == 0 ? EMPTY_RETRY_MS : d->o.lookup_interval_ms);
		if (s->filters > 0) {
			sc.seeds = sw_bloom_estimate(&s->bfsd, &sc.seeds_saturated);
			sc.peers = sw_bloom_estimate(&s->bfpe, &sc.peers_saturated);
			sc.nodes = s->filters;
			w->last = sc;
			w->has_scrape = true;
			if (d->o.on_scrape)
				d->o.on_scrape(d->o.ctx, w->ih, &sc);
		}
	}
	s->used = false;
}

/* The lookup converged: scrape and announce to the closest nodes that answered. */
static void converge(struct sw_dht *d, int si)
{
	struct search *s = &d->search[si];
	struct sw_lookup_cand *close[SW_RT_K];
	size_t n;

	s->finishing = true;
	if (s->kind != TX_GET_PEERS) {
		finish_search(d, si);
		return;
	}
	d->st.lookups_done++;
	n = sw_lookup_closest_answered(&s->l, close, SW_RT_K);
	if (d->o.on_lookup_done)
		d->o.on_lookup_done(d->o.ctx, s->l.target, s->l.answered, s->values);
	for (size_t i = 0; i < n; i++) {
		struct sw_addr a = close[i]->addr;

		if (!d->o.no_scrape && send_query(d, TX_SCRAPE, &a, si, s->l.target, NULL, 0) >= 0)
			s->pending++;
		if (d->o.announce_port && !d->o.read_only && close[i]->token_len > 0 &&
		    send_query(d, TX_ANNOUNCE, &a, si, s->l.target, close[i]->token,
			       close[i]->token_len) >= 0)
			s->pending++;
	}
	if (s->pending == 0)
		finish_search(d, si);
}

static void step_search(struct sw_dht *d, int si)
{
	struct search *s = &d->search[si];
	struct sw_lookup_cand *c;

	if (!s->used || s->finishing)
		return;
	while ((c = sw_lookup_next(&s->l)) != NULL) {
		struct sw_addr a = c->addr;

		if (send_query(d, s->kind, &a, si, s->l.target, NULL, 0) < 0) {
			c = sw_lookup_find(&s->l, &a);
			if (c != NULL)
				sw_lookup_failed(&s->l, c);
		}
	}
	if (sw_lookup_done(&s->l))
		converge(d, si);
}

/* --- the liar check ------------------------------------------------------ */

static struct verdict *verdict_slot(struct sw_dht *d, const struct sw_addr *node)
{
	struct sw_addr ip = *node;

	ip.port = 0;
	return &d->verdict[hash_ip(d, &ip, false) % VERDICT_SLOTS];
}

/* The node's current standing: V_NONE if unknown or expired. */
static uint8_t verdict_of(struct sw_dht *d, const struct sw_addr *node, int64_t now)
{
	struct verdict *v = verdict_slot(d, node);
	struct sw_addr ip = *node;

	ip.port = 0;
	if (memcmp(&v->ip, &ip, sizeof(ip)) != 0 || now >= v->until)
		return V_NONE;
	return v->state;
}

static void verdict_set(struct sw_dht *d, const struct sw_addr *node, uint8_t state, int64_t until)
{
	struct verdict *v = verdict_slot(d, node);

	v->ip = *node;
	v->ip.port = 0;
	v->state = state;
	v->until = until;
}

/* Hand (honest) or drop (liar, unconfirmed) every value held from node. */
static void release_held(struct sw_dht *d, const struct sw_addr *node, uint8_t state)
{
	for (size_t i = 0; i < HELD_MAX; i++) {
		struct held *h = &d->held[i];

		if (!h->used || !sw_addr_same_ip(&h->node, node))
			continue;
		if (state == V_HONEST) {
			d->st.values += h->n;
			if (d->o.on_values && watch_find(d, h->ih))
				d->o.on_values(d->o.ctx, h->ih, h->v, h->n);
		} else if (state == V_LIAR) {
			d->st.values_discounted += h->n;
		} else {
			d->st.values_unconfirmed += h->n;
		}
		h->used = false;
	}
}

static void take_values(struct sw_dht *d, struct search *s, const struct sw_addr *node,
			const struct sw_krpc_msg *m)
{
	struct sw_addr v[HELD_VALUES];
	uint32_t cur = 0;
	size_t n = 0;
	int64_t now = sw_time_mono_ms();
	uint8_t state;
	struct held *h = NULL;

	while (n < HELD_VALUES && sw_krpc_value_next(m, &cur, &v[n])) {
		if (!allowed(d, &v[n])) {
			d->st.dropped_private++;
			continue;
		}
		n++;
	}
	if (n == 0)
		return;
	s->values += n;
	state = d->o.no_liar_probe ? V_HONEST : verdict_of(d, node, now);
	if (state == V_HONEST) {
		d->st.values += n;
		if (d->o.on_values)
			d->o.on_values(d->o.ctx, s->l.target, v, n);
		return;
	}
	if (state == V_LIAR) {
		d->st.values_discounted += n;
		return;
	}
	/* Unknown node: hold its values until it answers a probe. */
	for (size_t i = 0; i < HELD_MAX && h == NULL; i++)
		if (d->held[i].used && sw_addr_same_ip(&d->held[i].node, node) &&
		    memcmp(d->held[i].ih, s->l.target, SW_INFOHASH_LEN) == 0)
			h = &d->held[i];
	for (size_t i = 0; i < HELD_MAX && h == NULL; i++)
		if (!d->held[i].used) {
			h = &d->held[i];
			memset(h, 0, sizeof(*h));
			h->used = true;
			h->node = *node;
			h->since = now;
			memcpy(h->ih, s->l.target, SW_INFOHASH_LEN);
		}
	if (h == NULL) {
		d->st.dropped_full++;
		d->st.values_unconfirmed += n;
		return;
	}
	for (size_t i = 0; i < n && h->n < HELD_VALUES; i++)
		h->v[h->n++] = v[i];
	if (state == V_NONE) {
		uint8_t probe[SW_INFOHASH_LEN];

		rnd_bytes(d, probe, sizeof(probe));
		if (send_query(d, TX_PROBE, node, -1, probe, NULL, 0) >= 0)
			verdict_set(d, node, V_PROBING, now + HELD_TIMEOUT_MS);
		else
			release_held(d, node, V_NONE);
	}
}

/* --- the crawl frontier ---------------------------------------------------- */

static void frontier_add(struct sw_dht *d, const struct sw_addr *a)
{
	size_t i;

	if (d->frontier == NULL || d->crawl_qps == 0)
		return;
	i = (size_t)(hash_ip(d, a, true) % FRONTIER_SLOTS);
	for (;;) {
		struct cnode *c = &d->frontier[i];

		if (c->state == C_EMPTY)
			break;
		if (memcmp(&c->addr, a, sizeof(*a)) == 0)
			return;
		i = (i + 1) % FRONTIER_SLOTS;
	}
	if (d->nfrontier >= FRONTIER_MAX) {
		d->st.dropped_full++;
		return;
	}
	d->frontier[i].addr = *a;
	d->frontier[i].state = C_DUE;
	d->frontier[i].next = 0;
	d->nfrontier++;
}

static struct cnode *frontier_find(struct sw_dht *d, const struct sw_addr *a)
{
	size_t i;

	if (d->frontier == NULL)
		return NULL;
	i = (size_t)(hash_ip(d, a, true) % FRONTIER_SLOTS);
	for (;;) {
		struct cnode *c = &d->frontier[i];

		if (c->state == C_EMPTY)
			return NULL;
		if (memcmp(&c->addr, a, sizeof(*a)) == 0)
			return c;
		i = (i + 1) % FRONTIER_SLOTS;
	}
}

static void crawl_step(struct sw_dht *d, int64_t now)
{
	size_t scanned = 0;

	if (d->crawl_qps == 0 || d->frontier == NULL)
		return;
	d->crawl_budget += (double)d->crawl_qps * TICK_MS / 1000.0;
	if (d->crawl_budget > d->crawl_qps)
		d->crawl_budget = d->crawl_qps;
	while (d->crawl_budget >= 1.0 && scanned < FRONTIER_SLOTS) {
		struct cnode *c = &d->frontier[d->fcursor];

		d->fcursor = (d->fcursor + 1) % FRONTIER_SLOTS;
		scanned++;
		if (c->state != C_DUE || c->next > now)
			continue;
		{
			uint8_t target[SW_NODEID_LEN];
			struct sw_addr a = c->addr;

			rnd_bytes(d, target, sizeof(target));
			c->state = C_WAITING;
			c->next = now + FRONTIER_RETRY_MS;
			d->crawl_budget -= 1.0;
			if (send_query(d, TX_SAMPLE, &a, -1, target, NULL, 0) >= 0)
				d->st.sample_queries++;
		}
	}
	/* Waiting nodes that never answered become due again after the retry delay. */
	for (size_t i = 0; i < 256; i++) {
		struct cnode *c = &d->frontier[(d->fcursor + i) % FRONTIER_SLOTS];

		if (c->state == C_WAITING && c->next <= now)
			c->state = C_DUE;
	}
}

/* --- the external address and our id (BEP 42) ------------------------- */

static void vote(struct sw_dht *d, const struct sw_addr *ip, const struct sw_addr *voter)
{
	struct sw_addr a = *ip;
	size_t same = 0;

	a.port = 0;
	for (size_t i = 0; i < d->nvotes; i++)
		if (sw_addr_same_ip(&d->votes[i].voter, voter))
			return; /* one vote per voter in the window */
	d->votes[d->vnext].ip = a;
	d->votes[d->vnext].voter = *voter;
	d->vnext = (d->vnext + 1) % VOTES;
	if (d->nvotes < VOTES)
		d->nvotes++;
	for (size_t i = 0; i < d->nvotes; i++)
		if (memcmp(&d->votes[i].ip, &a, sizeof(a)) == 0)
			same++;
	if (same < VOTES_NEEDED || (d->has_ext && memcmp(&d->ext, &a, sizeof(a)) == 0))
		return;
	d->ext = a;
	d->has_ext = true;
	d->st.ext_addr_changes++;
	if (!d->id_fixed && !sw_nodeid_valid(&a, d->id)) {
		uint8_t r[SW_NODEID_LEN], id[SW_NODEID_LEN];
		int64_t now = sw_time_mono_ms();

		rnd_bytes(d, r, sizeof(r));
		if (sw_nodeid_generate(&a, r, id) == SW_OK) {
			char s[SW_ADDR_STRLEN];

			memcpy(d->id, id, SW_NODEID_LEN);
			for (int f = 0; f < 2; f++)
				if (d->rt[f])
					sw_rt_set_self(d->rt[f], id, now);
			sw_addr_ip_str(&a, s, sizeof(s));
			sw_info("dht: our address is %s; new BEP 42 node id", s);
		}
	}
}

/* --- receiving replies ------------------------------------------------------ */

static void add_nodes(struct sw_dht *d, struct search *s, const struct sw_krpc_msg *m)
{
	struct sw_krpc_node nd;

	for (size_t i = 0; i < m->nodes_count + m->nodes6_count; i++) {
		int rc = i < m->nodes_count ? sw_krpc_node4(m, i, &nd)
					    : sw_krpc_node6(m, i - m->nodes_count, &nd);

		if (rc != SW_OK)
			continue;
		if (!allowed(d, &nd.addr)) {
			d->st.dropped_private++;
			continue;
		}
		if (memcmp(nd.id, d->id, SW_NODEID_LEN) == 0)
			continue;
		if (s != NULL && d->udp[fam(&nd.addr)] != NULL)
			sw_lookup_add(&s->l, nd.id, &nd.addr);
		frontier_add(d, &nd.addr);
	}
}

static struct search *tx_search(struct sw_dht *d, const struct tx *t)
{
	struct search *s;

	if (t->kind == TX_PING || t->kind == TX_PROBE || t->kind == TX_SAMPLE)
		return NULL;
	s = &d->search[t->search];
	return s->used && s->serial == t->serial ? s : NULL;
}

/* A transaction ended without an answer (timeout, or an error reply). */
static void tx_failed(struct sw_dht *d, struct tx *t, bool timeout)
{
	struct search *s = tx_search(d, t);
	struct sw_addr a = t->addr;
	uint8_t kind = t->kind;

	tx_free(d, t);
	if (timeout)
		sw_rt_failed(d->rt[fam(&a)], NULL, &a);
	if (kind == TX_PROBE) {
		verdict_set(d, &a, V_NONE, 0);
		release_held(d, &a, V_NONE);
		return;
	}
	if (s == NULL)
		return;
	if (kind == TX_SCRAPE || kind == TX_ANNOUNCE) {
		if (s->pending > 0 && --s->pending == 0)
			finish_search(d, (int)(s - d->search));
		return;
	}
	{
		struct sw_lookup_cand *c = sw_lookup_find(&s->l, &a);

		if (c != NULL)
			sw_lookup_failed(&s->l, c);
		step_search(d, (int)(s - d->search));
	}
}

static void handle_reply(struct sw_dht *d, const struct sw_addr *from, const struct sw_krpc_msg *m)
{
	struct tx *t;
	struct search *s;
	uint16_t idx, nonce;
	int64_t now = sw_time_mono_ms();
	uint8_t kind;

	if (m->tid_len != 4) {
		d->st.dropped_tid++;
		return;
	}
	idx = (uint16_t)(m->tid[0] << 8 | m->tid[1]);
	nonce = (uint16_t)(m->tid[2] << 8 | m->tid[3]);
	if (idx >= TX_SLOTS || !d->tx[idx].used || d->tx[idx].nonce != nonce) {
		d->st.dropped_tid++;
		return;
	}
	t = &d->tx[idx];
	if (memcmp(&t->addr, from, sizeof(*from)) != 0) {
		d->st.dropped_source++;
		return;
	}
	if (m->type == SW_KRPC_ERROR) {
		d->st.rx_errors++;
		if (t->kind == TX_SAMPLE) {
			struct cnode *c = frontier_find(d, from);

			if (c != NULL)
				c->state = C_DONE; /* no BEP 51 there */
			tx_free(d, t);
			return;
		}
		tx_failed(d, t, false);
		return;
	}
	d->st.rx_replies++;
	kind = t->kind;
	s = tx_search(d, t);
	tx_free(d, t);

	{
		struct sw_rt_node *ping = NULL;
		bool valid = sw_nodeid_valid(from, m->id);

		if (!m->read_only)
			sw_rt_heard(d->rt[fam(from)], m->id, from, true, valid, now, &ping);
		if (ping != NULL) {
			struct sw_addr pa = ping->addr;

			send_query(d, TX_PING, &pa, -1, NULL, NULL, 0);
		}
	}
	if (m->has_ip)
		vote(d, &m->ip, from);
	add_nodes(d, kind == TX_FIND_NODE || kind == TX_GET_PEERS ? s : NULL, m);

	switch (kind) {
	case TX_FIND_NODE:
	case TX_GET_PEERS:
		if (s != NULL) {
			struct sw_lookup_cand *c = sw_lookup_find(&s->l, from);

			if (kind == TX_GET_PEERS && m->values_count > 0)
				take_values(d, s, from, m);
			if (c != NULL)
				sw_lookup_answered(&s->l, c, m->id, m->token, m->token_len);
			step_search(d, (int)(s - d->search));
		}
		break;
	case TX_SCRAPE:
	case TX_ANNOUNCE:
		if (s != NULL) {
			if (kind == TX_SCRAPE && m->bf_seeds && m->bf_peers) {
				struct sw_bloom b;

				sw_bloom_load(&b, m->bf_seeds);
				sw_bloom_merge(&s->bfsd, &b);
				sw_bloom_load(&b, m->bf_peers);
				sw_bloom_merge(&s->bfpe, &b);
				s->filters++;
			}
			if (s->pending > 0 && --s->pending == 0)
				finish_search(d, (int)(s - d->search));
		}
		break;
	case TX_PROBE: {
		bool liar = m->values_count > 0;

		if (liar) {
			char a[SW_ADDR_STRLEN];
			bool known = false;

			for (size_t i = 0; i < d->nliars && !known; i++)
				known = memcmp(&d->liars[i], from, sizeof(*from)) == 0;
			if (!known) {
				d->st.liars++;
				if (d->nliars < LIARS_KEPT)
					d->liars[d->nliars++] = *from;
				sw_addr_str(from, a, sizeof(a));
				sw_info("dht: %s returns peers for a random infohash: its values are "
					"discounted",
					a);
			}
		}
		verdict_set(d, from, liar ? V_LIAR : V_HONEST, now + VERDICT_TTL_MS);
		release_held(d, from, liar ? V_LIAR : V_HONEST);
		break;
	}
	case TX_SAMPLE: {
		struct cnode *c = frontier_find(d, from);

		if (m->samples_count > 0) {
			d->st.samples += m->samples_count;
			if (d->o.on_samples)
				d->o.on_samples(d->o.ctx, m->samples, m->samples_count, from);
		}
		if (c != NULL) {
			int64_t iv = m->interval >= 0 ? m->interval : 21600;

			if (m->samples == NULL && m->interval < 0) {
				c->state = C_DONE; /* answered, but not BEP 51 */
			} else {
				/* More than it gave: ask again after its interval (at least 1 s). */
				bool more = m->num > (int64_t)m->samples_count;

				c->state = C_DUE;
				c->next = now + 1000 * (more ? (iv > 0 ? iv : 1) : (iv > 600 ? iv : 600));
			}
		}
		break;
	}
	default:
		break;
	}
}

/* --- serving queries ---------------------------------------------------- */

static void make_token(const struct sw_dht *d, int which, const struct sw_addr *from,
		       uint8_t out[TOKEN_LEN])
{
	uint8_t b[SW_ADDR_V6_LEN];
	size_t n = from->family == AF_INET ? SW_ADDR_V4_LEN : SW_ADDR_V6_LEN;
	uint64_t h;

	memcpy(b, from->ip, n);
	h = sw_siphash(d->secret[which], b, n);
	memcpy(out, &h, TOKEN_LEN);
}

static bool token_ok(const struct sw_dht *d, const struct sw_addr *from, const uint8_t *tok,
		     size_t len)
{
	uint8_t t[TOKEN_LEN];

	if (tok == NULL || len != TOKEN_LEN)
		return false;
	for (int w = 0; w < 2; w++) {
		make_token(d, w, from, t);
		if (memcmp(t, tok, TOKEN_LEN) == 0)
			return true;
	}
	return false;
}

/* Closest nodes of family f to target, compact, into out; returns bytes. */
static size_t closest_compact(struct sw_dht *d, int f, const uint8_t *target, uint8_t *out,
			      size_t max_nodes)
{
	const struct sw_rt_node *n[SW_RT_K];
	size_t k, len = 0, each = f ? SW_COMPACT_NODE6_LEN : SW_COMPACT_NODE4_LEN;

	if (d->rt[f] == NULL)
		return 0;
	k = sw_rt_closest(d->rt[f], target, n, max_nodes < SW_RT_K ? max_nodes : SW_RT_K,
			  sw_time_mono_ms());
	for (size_t i = 0; i < k; i++)
		len += sw_krpc_compact_node(out + len, each, n[i]->id, &n[i]->addr);
	return len;
}

static bool rate_ok(struct sw_dht *d, const struct sw_addr *from, int64_t now)
{
	unsigned rate = d->o.per_addr_qps;
	struct sw_addr ip = *from;
	struct rl *r;

	ip.port = 0;
	r = &d->rl[hash_ip(d, &ip, false) % RL_SLOTS];
	if (memcmp(&r->ip, &ip, sizeof(ip)) != 0) {
		r->ip = ip;
		r->tokens = (float)(4 * rate);
		r->last = now;
	}
	r->tokens += (float)(now - r->last) * (float)rate / 1000.0f;
	if (r->tokens > (float)(4 * rate))
		r->tokens = (float)(4 * rate);
	r->last = now;
	if (r->tokens < 1.0f)
		return false;
	r->tokens -= 1.0f;
	return true;
}

static bool global_ok(struct sw_dht *d, int64_t now)
{
	float rate = (float)d->o.max_qps;

	d->gtokens += (float)(now - d->glast) * rate / 1000.0f;
	if (d->gtokens > rate)
		d->gtokens = rate;
	d->glast = now;
	if (d->gtokens < 1.0f)
		return false;
	d->gtokens -= 1.0f;
	return true;
}

static void send_error(struct sw_dht *d, const struct sw_addr *to, const struct sw_krpc_msg *m,
		       int code, const char *msg)
{
	struct sw_krpc_hdr h;

	hdr_init(d, &h, m->tid, m->tid_len);
	h.read_only = false;
	sw_buf_reset(&d->out);
	if (sw_krpc_build_error(&d->out, &h, code, msg) == SW_OK && send_out(d, to) == SW_OK)
		d->st.tx_errors++;
}

static void serve(struct sw_dht *d, const struct sw_addr *from, const struct sw_krpc_msg *m,
		  size_t qlen, int64_t now)
{
	struct sw_krpc_hdr h;
	struct sw_krpc_reply r;
	struct sw_rt_node *known;
	uint8_t nodes[SW_RT_K * SW_COMPACT_NODE4_LEN], nodes6[SW_RT_K * SW_COMPACT_NODE6_LEN];
	uint8_t token[TOKEN_LEN], samples[SAMPLES_MAX * SW_INFOHASH_LEN];
	struct sw_addr values[STORE_PEERS];
	struct sw_bloom bs, bp;
	size_t budget = REPLY_MAX, nv = 0, max_nodes = SW_RT_K;
	bool w4, w6;
	int f = fam(from), rc = SW_OK;

	if (!m->read_only)
		sw_rt_heard(d->rt[f], m->id, from, false, sw_nodeid_valid(from, m->id), now, NULL);
	known = sw_rt_find(d->rt[f], m->id, from);
	if (known == NULL || known->last_reply == 0) {
		/* Never answered us: could be a spoofed source.  Bound what it gets. */
		budget = qlen * d->o.amplification;
		if (budget > REPLY_MAX)
			budget = REPLY_MAX;
	}
	w4 = m->want_n4 || (!m->want_n6 && f == 0);
	w6 = m->want_n6 || (!m->want_n4 && f == 1);
	hdr_init(d, &h, m->tid, m->tid_len);
	h.read_only = false;
	h.ip = from;
	memset(&r, 0, sizeof(r));
	r.interval = r.num = -1;

	switch (m->method) {
	case SW_KRPC_PING:
		break;
	case SW_KRPC_FIND_NODE:
	case SW_KRPC_SAMPLE_INFOHASHES:
		if (m->target == NULL) {
			send_error(d, from, m, SW_KRPC_ERR_PROTOCOL, "missing target");
			return;
		}
		if (m->method == SW_KRPC_SAMPLE_INFOHASHES) {
			size_t total = 0;

			r.samples_count = sw_peerstore_sample(d->store, samples, SAMPLES_MAX,
							      (uint32_t)rnd64(d), &total, now);
			r.samples = samples;
			r.interval = OUR_INTERVAL_S;
			r.num = (int64_t)total;
		}
		break;
	case SW_KRPC_GET_PEERS:
		if (m->info_hash == NULL) {
			send_error(d, from, m, SW_KRPC_ERR_PROTOCOL, "missing info_hash");
			return;
		}
		if (d->o.on_query)
			d->o.on_query(d->o.ctx, m->method, m->info_hash, from, false);
		make_token(d, 0, from, token);
		r.token = token;
		r.token_len = TOKEN_LEN;
		if (m->scrape) {
			if (sw_peerstore_bloom(d->store, m->info_hash, &bs, &bp, now)) {
				r.bf_seeds = bs.bits;
				r.bf_peers = bp.bits;
			}
		} else {
			nv = sw_peerstore_get(d->store, m->info_hash, from->family, m->noseed, values,
					      STORE_PEERS, (uint32_t)rnd64(d), now);
			r.values = values;
		}
		break;
	case SW_KRPC_ANNOUNCE_PEER: {
		struct sw_addr peer = *from;

		if (m->info_hash == NULL) {
			send_error(d, from, m, SW_KRPC_ERR_PROTOCOL, "missing info_hash");
			return;
		}
		if (!token_ok(d, from, m->token, m->token_len)) {
			d->st.bad_tokens++;
			send_error(d, from, m, SW_KRPC_ERR_PROTOCOL, "bad token");
			return;
		}
		if (!m->implied_port)
			peer.port = (uint16_t)(m->port >= 0 ? m->port : 0);
		if (peer.port == 0) {
			send_error(d, from, m, SW_KRPC_ERR_PROTOCOL, "bad port");
			return;
		}
		sw_peerstore_announce(d->store, m->info_hash, &peer, m->seed, now);
		if (d->o.on_query)
			d->o.on_query(d->o.ctx, m->method, m->info_hash, &peer, m->seed);
		max_nodes = 0;
		break;
	}
	default:
		send_error(d, from, m, SW_KRPC_ERR_METHOD, "method unknown");
		return;
	}
	if (m->method == SW_KRPC_PING)
		max_nodes = 0;
	/* Build; while over the byte budget, halve the values, then the nodes. */
	for (;;) {
		const uint8_t *target = m->target ? m->target : m->info_hash;

		r.values_count = nv;
		r.nodes_len = r.nodes6_len = 0;
		if (max_nodes > 0 && (nv == 0 || m->method != SW_KRPC_GET_PEERS)) {
			if (w4) {
				r.nodes_len = closest_compact(d, 0, target, nodes, max_nodes);
				r.nodes = nodes;
			}
			if (w6) {
				r.nodes6_len = closest_compact(d, 1, target, nodes6, max_nodes);
				r.nodes6 = nodes6;
			}
		}
		sw_buf_reset(&d->out);
		rc = sw_krpc_build_reply(&d->out, &h, &r);
		if (rc != SW_OK || d->out.len <= budget)
			break;
		if (nv > 0)
			nv /= 2;
		else if (max_nodes > 0)
			max_nodes /= 2;
		else if (r.samples_count > 0)
			r.samples_count /= 2;
		else
			break; /* the bare reply: a query this short is not worth answering */
		d->st.trimmed_replies++;
	}
	if (rc != SW_OK || d->out.len > budget)
		return;
	if (send_out(d, from) == SW_OK)
		d->st.tx_replies++;
}

static void handle_query(struct sw_dht *d, const struct sw_addr *from, const struct sw_krpc_msg *m,
			 size_t qlen, int64_t now)
{
	d->st.rx_queries++;
	if (!d->o.allow_private && !sw_addr_is_public(from)) {
		d->st.dropped_private++;
		return;
	}
	if (!global_ok(d, now)) {
		d->st.dropped_ratelimit++;
		return;
	}
	if (d->o.read_only) {
		/* BEP 43: we answer nothing, but still learn who asks what. */
		if (d->o.on_query && m->info_hash &&
		    (m->method == SW_KRPC_GET_PEERS || m->method == SW_KRPC_ANNOUNCE_PEER)) {
			struct sw_addr a = *from;

			if (m->method == SW_KRPC_ANNOUNCE_PEER && !m->implied_port)
				a.port = (uint16_t)(m->port > 0 ? m->port : 0);
			if (a.port)
				d->o.on_query(d->o.ctx, m->method, m->info_hash, &a, m->seed);
		}
		return;
	}
	serve(d, from, m, qlen, now);
}

void sw_dht_receive(struct sw_dht *d, const struct sw_addr *from, const uint8_t *p, size_t n)
{
	struct sw_krpc_msg m;
	int64_t now = sw_time_mono_ms();

	d->st.rx++;
	if (!rate_ok(d, from, now)) {
		d->st.dropped_ratelimit++;
		return;
	}
	if (sw_krpc_parse(p, n, d->tok, SW_KRPC_TOKENS, &m, NULL) != SW_OK) {
		d->st.dropped_parse++;
		return;
	}
	if (m.type == SW_KRPC_QUERY)
		handle_query(d, from, &m, n, now);
	else
		handle_reply(d, from, &m);
}

static void on_udp(void *ctx, const struct sw_addr *from, const uint8_t *p, size_t n)
{
	sw_dht_receive(ctx, from, p, n);
}

/* --- the tick ------------------------------------------------------------- */

static void timeouts(struct sw_dht *d, int64_t now)
{
	for (size_t i = 0; i < TX_SLOTS; i++) {
		struct tx *t = &d->tx[i];
		int64_t age;

		if (!t->used)
			continue;
		age = now - t->sent;
		if (age >= TX_TIMEOUT_MS) {
			d->st.timeouts++;
			tx_failed(d, t, true);
		} else if (age >= TX_SLOW_MS && !t->slow &&
			   (t->kind == TX_GET_PEERS || t->kind == TX_FIND_NODE)) {
			struct search *s = tx_search(d, t);

			t->slow = true;
			if (s != NULL) {
				struct sw_lookup_cand *c = sw_lookup_find(&s->l, &t->addr);

				if (c != NULL)
					sw_lookup_slow(&s->l, c);
				step_search(d, (int)(s - d->search));
			}
		}
	}
	for (size_t i = 0; i < HELD_MAX; i++)
		if (d->held[i].used && now - d->held[i].since > HELD_TIMEOUT_MS) {
			struct sw_addr a = d->held[i].node;

			release_held(d, &a, V_NONE);
		}
}

static void rotate_secret(struct sw_dht *d, int64_t now)
{
	if (now - d->secret_at < TOKEN_PERIOD_MS)
		return;
	memcpy(d->secret[1], d->secret[0], SW_SIPHASH_KEY_LEN);
	if (RAND_bytes(d->secret[0], SW_SIPHASH_KEY_LEN) != 1)
		rnd_bytes(d, d->secret[0], SW_SIPHASH_KEY_LEN);
	d->secret_at = now;
}

static void maintain(struct sw_dht *d, int64_t now)
{
	uint8_t r[SW_NODEID_LEN], target[SW_NODEID_LEN];

	if (d->nboot > 0 && good_nodes(d) < SW_RT_K && now - d->last_boot >= REBOOTSTRAP_MS) {
		d->last_boot = now;
		start_search(d, TX_FIND_NODE, d->id);
	}
	if (now - d->last_refresh < 1000)
		return;
	d->last_refresh = now;
	for (int f = 0; f < 2; f++) {
		if (d->rt[f] == NULL || d->rt[f]->count == 0)
			continue;
		rnd_bytes(d, r, sizeof(r));
		if (sw_rt_refresh_due(d->rt[f], now, r, target))
			start_search(d, TX_FIND_NODE, target);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sw_dht *d = arg;
	int64_t now = sw_time_mono_ms();

	(void)fd;
	(void)what;
	timeouts(d, now);
	rotate_secret(d, now);
	maintain(d, now);
	for (size_t i = 0; i < d->nw; i++)
		if (!d->w[i].searching && now >= d->w[i].next) {
			if (start_search(d, TX_GET_PEERS, d->w[i].ih) >= 0) {
				d->w[i].next = now + d->o.lookup_interval_ms;
				d->w[i].searching = true;
			} else {
				d->w[i].next = now + 1000; /* every search slot busy: soon */
			}
		}
	crawl_step(d, now);
}

/* --- public API ----------------------------------------------------------- */

int sw_dht_new(const struct sw_dht_opts *o, struct sw_dht **out, struct sw_errbuf *eb)
{
	struct sw_dht *d;
	struct timeval tv = {0, TICK_MS * 1000};
	uint8_t seed[8];

	*out = NULL;
	if (o->loop == NULL || (o->udp4 == NULL && o->udp6 == NULL))
		return sw_errbuf_set(eb, SW_E_INVALID, "dht: no loop or no UDP socket");
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "dht: out of memory");
	d->o = *o;
	if (d->o.alpha == 0)
		d->o.alpha = 8;
	if (d->o.max_qps == 0)
		d->o.max_qps = 5000;
	if (d->o.per_addr_qps == 0)
		d->o.per_addr_qps = 25;
	if (d->o.amplification == 0)
		d->o.amplification = 3;
	if (d->o.lookup_interval_ms <= 0)
		d->o.lookup_interval_ms = 5 * 60 * 1000;
	d->udp[0] = o->udp4;
	d->udp[1] = o->udp6;
	if (RAND_bytes(seed, sizeof(seed)) != 1 || RAND_bytes(d->hkey, sizeof(d->hkey)) != 1 ||
	    RAND_bytes(d->secret[0], SW_SIPHASH_KEY_LEN) != 1 ||
	    RAND_bytes(d->secret[1], SW_SIPHASH_KEY_LEN) != 1 ||
	    (o->id == NULL && RAND_bytes(d->id, SW_NODEID_LEN) != 1)) {
		free(d);
		return sw_errbuf_set(eb, SW_E_NOMEM, "dht: no random bytes");
	}
	memcpy(&d->prng, seed, sizeof(d->prng));
	d->prng |= 1;
	if (o->id != NULL) {
		memcpy(d->id, o->id, SW_NODEID_LEN);
		d->id_fixed = true;
	}
	d->secret_at = d->glast = sw_time_mono_ms();
	d->gtokens = (float)d->o.max_qps;
	sw_buf_init(&d->out, 2048);
	d->tx = calloc(TX_SLOTS, sizeof(*d->tx));
	d->txfree = calloc(TX_SLOTS, sizeof(*d->txfree));
	d->verdict = calloc(VERDICT_SLOTS, sizeof(*d->verdict));
	d->rl = calloc(RL_SLOTS, sizeof(*d->rl));
	for (int f = 0; f < 2; f++)
		if (d->udp[f] != NULL && (d->rt[f] = malloc(sizeof(*d->rt[f]))) != NULL)
			sw_rt_init(d->rt[f], d->id);
	if (d->tx == NULL || d->txfree == NULL || d->verdict == NULL || d->rl == NULL ||
	    (d->udp[0] && !d->rt[0]) || (d->udp[1] && !d->rt[1]) ||
	    sw_peerstore_new(STORE_SWARMS, STORE_PEERS, &d->store) != SW_OK) {
		sw_dht_free(d);
		return sw_errbuf_set(eb, SW_E_NOMEM, "dht: out of memory");
	}
	for (size_t i = 0; i < TX_SLOTS; i++)
		d->txfree[i] = (uint16_t)(TX_SLOTS - 1 - i);
	d->ntxfree = TX_SLOTS;
	d->tick = event_new(o->loop->base, -1, EV_PERSIST, on_tick, d);
	if (d->tick == NULL || event_add(d->tick, &tv) != 0) {
		sw_dht_free(d);
		return sw_errbuf_set(eb, SW_E_NOMEM, "dht: no timer");
	}
	for (int f = 0; f < 2; f++)
		if (d->udp[f])
			sw_udp_set_handler(d->udp[f], SW_UDP_DHT, on_udp, d);
	*out = d;
	return SW_OK;
}

void sw_dht_free(struct sw_dht *d)
{
	if (d == NULL)
		return;
	for (int i = 0; i < DNS_MAX; i++)
		if (d->dns[i].used && d->dns[i].req)
			evdns_getaddrinfo_cancel(d->dns[i].req);
	for (int f = 0; f < 2; f++) {
		if (d->udp[f])
			sw_udp_set_handler(d->udp[f], SW_UDP_DHT, NULL, NULL);
		free(d->rt[f]);
	}
	if (d->tick)
		event_free(d->tick);
	sw_peerstore_free(d->store);
	sw_buf_deinit(&d->out);
	free(d->tx);
	free(d->txfree);
	free(d->verdict);
	free(d->rl);
	free(d->w);
	free(d->boot);
	free(d->frontier);
	free(d);
}

static void add_boot(struct sw_dht *d, const struct sw_addr *a)
{
	for (size_t i = 0; i < d->nboot; i++)
		if (memcmp(&d->boot[i], a, sizeof(*a)) == 0)
			return;
	if (d->nboot == d->bootcap) {
		size_t cap = d->bootcap ? 2 * d->bootcap : 8;
		struct sw_addr *b = realloc(d->boot, cap * sizeof(*b));

		if (b == NULL)
			return;
		d->boot = b;
		d->bootcap = cap;
	}
	d->boot[d->nboot++] = *a;
}

static void on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct dns_req *r = arg;
	struct sw_dht *d = r->d;
	size_t before = d->nboot;

	r->used = false;
	r->req = NULL;
	if (err != 0) {
		if (err != EVUTIL_EAI_CANCEL)
			sw_warn("dht: bootstrap name not resolved: %s", evutil_gai_strerror(err));
		return;
	}
	for (struct evutil_addrinfo *p = ai; p != NULL; p = p->ai_next) {
		struct sw_addr a;

		if (sw_addr_from_sockaddr(&a, p->ai_addr) == SW_OK && d->udp[fam(&a)] != NULL) {
			a.port = r->port;
			add_boot(d, &a);
		}
	}
	evutil_freeaddrinfo(ai);
	if (d->nboot > before)
		start_search(d, TX_FIND_NODE, d->id);
}

int sw_dht_bootstrap(struct sw_dht *d, const char *const *hp, size_t n, struct sw_errbuf *eb)
{
	bool numeric = false;

	if (hp == NULL) {
		hp = sw_dht_default_bootstrap;
		for (n = 0; hp[n] != NULL; n++)
			;
	}
	for (size_t i = 0; i < n; i++) {
		struct sw_addr a;
		const char *colon = strrchr(hp[i], ':');
		char host[256], *end;
		unsigned long port;
		struct evutil_addrinfo hints;
		struct dns_req *r = NULL;

		if (sw_addr_parse(&a, hp[i]) == SW_OK) {
			if (a.port == 0)
				return sw_errbuf_set(eb, SW_E_USAGE, "dht bootstrap %s: port 0", hp[i]);
			if (d->udp[fam(&a)] != NULL) {
				add_boot(d, &a);
				numeric = true;
			}
			continue;
		}
		if (colon == NULL || colon == hp[i] || (size_t)(colon - hp[i]) >= sizeof(host))
			return sw_errbuf_set(eb, SW_E_USAGE, "dht bootstrap %s: expected HOST:PORT",
					     hp[i]);
		port = strtoul(colon + 1, &end, 10);
		if (*end != 0 || port == 0 || port > 65535)
			return sw_errbuf_set(eb, SW_E_USAGE, "dht bootstrap %s: bad port", hp[i]);
		memcpy(host, hp[i], (size_t)(colon - hp[i]));
		host[colon - hp[i]] = 0;
		for (int k = 0; k < DNS_MAX && r == NULL; k++)
			if (!d->dns[k].used)
				r = &d->dns[k];
		if (r == NULL)
			return sw_errbuf_set(eb, SW_E_TOO_BIG, "dht bootstrap: more than %d names",
					     DNS_MAX);
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		r->d = d;
		r->port = (uint16_t)port;
		r->used = true;
		r->req = evdns_getaddrinfo(d->o.loop->dns, host, NULL, &hints, on_resolved, r);
		/* (A NULL request means the callback already ran.) */
	}
	if (numeric) {
		d->last_boot = sw_time_mono_ms();
		start_search(d, TX_FIND_NODE, d->id);
	}
	return SW_OK;
}

void sw_dht_add_node(struct sw_dht *d, const struct sw_addr *a)
{
	if (allowed(d, a))
		send_query(d, TX_PING, a, -1, NULL, NULL, 0);
}

int sw_dht_watch(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN])
{
	struct watch *w = watch_find(d, ih);

	if (w != NULL)
		return SW_OK;
	if (d->nw == d->wcap) {
		size_t cap = d->wcap ? 2 * d->wcap : 8;
		struct watch *nw = realloc(d->w, cap * sizeof(*nw));

		if (nw == NULL)
			return SW_E_NOMEM;
		d->w = nw;
		d->wcap = cap;
	}
	w = &d->w[d->nw++];
	memset(w, 0, sizeof(*w));
	memcpy(w->ih, ih, SW_INFOHASH_LEN);
	w->next = 0; /* the next tick starts the first lookup */
	return SW_OK;
}

void sw_dht_unwatch(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN])
{
	struct watch *w = watch_find(d, ih);

	if (w == NULL)
		return;
	*w = d->w[--d->nw];
}

void sw_dht_crawl(struct sw_dht *d, unsigned qps)
{
	d->crawl_qps = qps;
	if (qps == 0 || d->frontier != NULL)
		return;
	d->frontier = calloc(FRONTIER_SLOTS, sizeof(*d->frontier));
	if (d->frontier == NULL) {
		d->crawl_qps = 0;
		return;
	}
	for (int f = 0; f < 2; f++)
		if (d->rt[f])
			for (unsigned b = 0; b < SW_RT_BUCKETS; b++)
				for (size_t i = 0; i < SW_RT_K; i++)
					if (d->rt[f]->b[b].nodes[i].used)
						frontier_add(d, &d->rt[f]->b[b].nodes[i].addr);
	for (size_t i = 0; i < d->nboot; i++)
		frontier_add(d, &d->boot[i]);
}

size_t sw_dht_nodes(struct sw_dht *d, uint8_t (*ids)[SW_NODEID_LEN], struct sw_addr *addrs,
		    size_t max)
{
	size_t k = 0;
	int64_t now = sw_time_mono_ms();

	for (int f = 0; f < 2; f++)
		if (d->rt[f])
			for (unsigned b = 0; b < SW_RT_BUCKETS; b++)
				for (size_t i = 0; i < SW_RT_K && k < max; i++) {
					const struct sw_rt_node *n = &d->rt[f]->b[b].nodes[i];

					if (!n->used || sw_rt_state(n, now) == SW_RT_BAD)
						continue;
					memcpy(ids[k], n->id, SW_NODEID_LEN);
					addrs[k++] = n->addr;
				}
	return k;
}

size_t sw_dht_table_size(struct sw_dht *d)
{
	size_t g, q, total = 0;

	for (int f = 0; f < 2; f++)
		if (d->rt[f]) {
			sw_rt_counts(d->rt[f], sw_time_mono_ms(), &g, &q);
			total += g + q;
		}
	return total;
}

const uint8_t *sw_dht_id(const struct sw_dht *d)
{
	return d->id;
}

const struct sw_dht_stats *sw_dht_stats(const struct sw_dht *d)
{
	return &d->st;
}

bool sw_dht_last_scrape(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN],
			struct sw_dht_scrape *out)
{
	struct watch *w = watch_find(d, ih);

	if (w == NULL || !w->has_scrape)
		return false;
	*out = w->last;
	return true;
}

unsigned sw_dht_last_nodes(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN])
{
	struct watch *w = watch_find(d, ih);

	return w ? w->nodes : 0;
}
