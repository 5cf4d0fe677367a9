/*
 * verifier.c - candidates, the connection scheduler, incoming peers and
 * metadata fetching (see verifier.h).
 *
 * Candidates live in one array with a hash index keyed by (swarm,
 * address).  A 100 ms tick walks the array from a cursor, starting
 * connections to due candidates until the connection cap is reached, and
 * ends visits that have lingered long enough.  Sessions report through
 * callbacks; a closed session is freed on the next tick, never inside its
 * own callback.
 */
#include "peer/verifier.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/error.h"
#include "core/hash.h"
#include "core/time.h"
#include "peer/session.h"
#include "proto/peerext.h"
#include "proto/peerwire.h"

#define TICK_MS          100
/*
 * Connections are started in small batches from an event that re-arms
 * itself while there is work, so that a burst of candidates neither waits
 * for the next tick nor holds the loop for long (on loopback a connect()
 * does both ends of the TCP handshake).
 */
#define STARTS_PER_BATCH 256
#define SCAN_PER_BATCH   4096
#define METADATA_WINDOW  4     /* ut_metadata requests in flight (libtorrent keeps 2) */
#define METADATA_STALL_MS 10000 /* no piece for this long: try another peer */
#define MAX_INCOMING_PENDING 256
#define INCOMING_HANDSHAKE_MS 10000

enum cand_state { CAND_IDLE, CAND_ACTIVE, CAND_DONE };

struct cand {
	struct sw_vswarm *sw;
	struct sw_addr addr;
	enum cand_state state;
	bool incoming;
	bool metadata_bad;     /* refused or lied about metadata */
	bool proved;           /* a proof was attempted */
	bool blind;            /* visited before the swarm's piece count was known */
	int attempts;          /* failed connections in a row */
	int64_t next_try;
	int64_t visit_start;
	enum sw_tier tier;
	double have;
	struct sw_peer_session *s;
	uint32_t next;         /* hash chain, index + 1 (0 ends) */
	size_t active_idx;     /* its slot in active[] while CAND_ACTIVE */
	bool metadata_slow;    /* stalled once while sending metadata */
};

struct sw_vswarm {
	struct sw_verifier *v;
	uint8_t infohash[SW_INFOHASH_LEN];
	uint8_t ih_v2[SW_INFOHASH_V2_LEN];
	bool has_v1, has_v2; /* infohash is v1's; or v2's truncated when only has_v2 */
	uint32_t num_pieces;
	void *ctx;
	/* for proofs: v1 piece hashes, piece length, total size */
	uint8_t *hashes;
	uint64_t piece_length, total_size;
	/* metadata fetch */
	struct cand *fetcher;
	int64_t fetch_deadline;
	uint8_t *mbuf;
	struct sw_px_metadata *md;
	uint32_t md_next, md_pieces; /* next piece to request, pieces in all */
	struct sw_vswarm *next;
};

struct pending {  /* an incoming connection before its handshake */
	struct sw_verifier *v;
	struct sw_tcp *tcp;
	struct event *deadline; /* however slowly it trickles in */
	struct pending *prev, *next;
};

struct sw_verifier {
	struct sw_verifier_opts o;
	struct cand **cands;
	size_t ncands, cap;
	uint32_t *buckets; /* index + 1 */
	size_t nbuckets;
	uint64_t seed;
	size_t cursor;
	size_t idle_scanned; /* candidates looked at since a connection last started */
	struct cand **active;
	size_t nactive;
	struct sw_peer_session **dead;
	size_t ndead, deadcap;
	struct pending *pending;
	size_t npending;
	struct sw_vswarm *swarms;
	struct event *tick, *kick;
	/* Active connections per (swarm, IP): open addressing, key in a cand. */
	struct busy {
		const struct cand *key;
		uint32_t n;
	} *busy;
	size_t nbusy_slots;
	struct sw_verifier_stats stats;
	size_t nproving;
	bool stopped;
};

static void vlog(struct sw_verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void vlog(struct sw_verifier *v, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (v->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->o.log(v->o.ctx, msg);
}

/* --- the candidate index ----------------------------------------------------- */

static uint64_t key_hash(const struct sw_verifier *v, const struct sw_vswarm *sw,
			 const struct sw_addr *a)
{
	uint64_t h = v->seed ^ (uint64_t)(uintptr_t)sw;

	for (size_t i = 0; i < SW_ADDR_V6_LEN; i++)
		h = (h ^ a->ip[i]) * 0x100000001b3ull;
	h = (h ^ a->port ^ ((uint64_t)a->family << 16)) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static bool same(const struct cand *c, const struct sw_vswarm *sw, const struct sw_addr *a)
{
	return c->sw == sw && c->addr.port == a->port && sw_addr_same_ip(&c->addr, a);
}

static struct cand *find(const struct sw_verifier *v, const struct sw_vswarm *sw,
			 const struct sw_addr *a)
{
	uint32_t i = v->buckets[key_hash(v, sw, a) & (v->nbuckets - 1)];

	while (i != 0) {
		struct cand *c = v->cands[i - 1];

		if (same(c, sw, a))
			return c;
		i = c->next;
	}
	return NULL;
}

static int rehash(struct sw_verifier *v, size_t nb)
{
	uint32_t *b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return SW_E_NOMEM;
	free(v->buckets);
	v->buckets = b;
	v->nbuckets = nb;
	for (size_t i = 0; i < v->ncands; i++) {
		struct cand *c = v->cands[i];
		size_t k = key_hash(v, c->sw, &c->addr) & (nb - 1);

		c->next = b[k];
		b[k] = (uint32_t)(i + 1);
	}
	return SW_OK;
}

static struct cand *add_cand(struct sw_verifier *v, struct sw_vswarm *sw, const struct sw_addr *a)
{
	struct cand *c = find(v, sw, a);
	size_t k;

	if (c != NULL)
		return c;
	if (v->ncands >= v->o.max_candidates)
		return NULL;
	if (v->ncands == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 256;
		struct cand **n = realloc(v->cands, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		v->cands = n;
		v->cap = ncap;
	}
	if (v->ncands + 1 > v->nbuckets && rehash(v, v->nbuckets * 2) != SW_OK)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->sw = sw;
	c->addr = *a;
	c->have = -1;
	c->tier = SW_TIER_SEEN;
	k = key_hash(v, sw, a) & (v->nbuckets - 1);
	c->next = v->buckets[k];
	v->cands[v->ncands++] = c;
	v->buckets[k] = (uint32_t)v->ncands;
	v->stats.candidates = v->ncands;
	return c;
}

/* --- results ------------------------------------------------------------------ */

static void report(struct sw_verifier *v, struct cand *c, const char *client)
{
	struct sw_verifier_update u;

	if (v->o.update == NULL)
		return;
	memset(&u, 0, sizeof(u));
	u.swarm = c->sw;
	u.swarm_ctx = c->sw->ctx;
	u.addr = c->addr;
	u.incoming = c->incoming;
	u.tier = c->tier;
	u.have = c->have;
	u.client = client ? client : "";
	v->o.update(v->o.ctx, &u);
}

static void s_connectable(void *ctx, struct sw_peer_session *s)
{
	struct cand *c = ctx;
	struct sw_verifier *v = c->sw->v;

	v->stats.handshakes++;
	if (c->tier < SW_TIER_CONNECTABLE)
		c->tier = SW_TIER_CONNECTABLE;
	c->have = sw_peer_session_have_fraction(s);
	if (c->have < 0 && c->sw->num_pieces > 0)
		c->have = 0;
	report(v, c, s->client);
}

/* --prove: download one piece the peer holds and check its hash. */
static void maybe_prove(struct sw_verifier *v, struct cand *c, struct sw_peer_session *s)
{
	struct sw_vswarm *sw = c->sw;
	uint32_t start, piece, len;
	uint64_t off;

	if (!v->o.prove || c->proved || s->prove.active || sw->hashes == NULL ||
	    v->nproving >= v->o.max_proofs || s->have.count == 0)
		return;
	start = (uint32_t)(sw_time_mono_ms() % sw->num_pieces);
	for (uint32_t k = 0; k < sw->num_pieces; k++) {
		piece = (start + k) % sw->num_pieces;
		if (!sw_pw_have_get(&s->have, piece))
			continue;
		off = (uint64_t)piece * sw->piece_length;
		len = (uint32_t)(sw->total_size - off < sw->piece_length ? sw->total_size - off
									  : sw->piece_length);
		if (sw_peer_session_prove(s, piece, len, sw->hashes + (size_t)piece * 20) == SW_OK) {
			v->nproving++;
			c->visit_start = sw_time_mono_ms(); /* give the download its own time */
		}
		return;
	}
}

static void s_have(void *ctx, struct sw_peer_session *s, uint32_t count, uint32_t num_pieces)
{
	struct cand *c = ctx;

	c->have = (double)count / (double)num_pieces;
	if (count > 0 && c->tier < SW_TIER_VERIFIED)
		c->tier = SW_TIER_VERIFIED;
	report(c->sw->v, c, s->client);
	if (count > 0)
		maybe_prove(c->sw->v, c, s);
}

static void fetch_metadata(struct sw_vswarm *sw, struct cand *c);
static void visit_over(struct sw_verifier *v, struct cand *c, struct sw_peer_session *s,
		       int64_t now);
static void bury(struct sw_verifier *v, struct sw_peer_session *s);

static void s_ext_handshake(void *ctx, struct sw_peer_session *s)
{
	struct cand *c = ctx;

	report(c->sw->v, c, s->client);
	if (c->sw->num_pieces == 0 && c->sw->fetcher == NULL)
		fetch_metadata(c->sw, c);
}

static void s_pex(void *ctx, struct sw_peer_session *s, const struct sw_px_pex_peer *peers,
		  size_t n)
{
	struct cand *c = ctx;
	struct sw_verifier *v = c->sw->v;
	struct sw_addr a[2 * SW_PX_PEX_MAX_ADDED];
	size_t k = 0;

	(void)s;
	for (size_t i = 0; i < n && k < sizeof(a) / sizeof(a[0]); i++)
		a[k++] = peers[i].addr;
	if (v->o.pex)
		v->o.pex(v->o.ctx, c->sw, c->sw->ctx, a, k);
}

/* Can c's session give us metadata? */
static bool offers_metadata(const struct cand *c, const struct sw_vswarm *sw)
{
	return c->sw == sw && !c->metadata_bad && c->s && c->s->state == SW_SESSION_ACTIVE &&
	       c->s->has_ext && c->s->ext.has_ut_metadata && c->s->ext.metadata_size > 0;
}

/*
 * Give up on the current metadata source.  A peer that refused or sent
 * pieces that do not add up is not asked again; one that was only slow is
 * asked again when no other peer offers the metadata.
 */
static void drop_fetch(struct sw_vswarm *sw, const char *why, bool bad)
{
	struct sw_verifier *v = sw->v;
	struct cand *prev = sw->fetcher;
	char as[SW_ADDR_STRLEN];

	sw->fetcher = NULL;
	if (prev != NULL) {
		sw_addr_str(&prev->addr, as, sizeof(as));
		vlog(v, "metadata from %s: %s%s", as, why, bad ? "; peer dropped" : "");
		if (bad)
			prev->metadata_bad = true;
		else
			prev->metadata_slow = true;
		v->stats.metadata_failures++;
		/* A peer that refuses or lies about the metadata is done with. */
		if (bad && prev->s != NULL && prev->s->state == SW_SESSION_ACTIVE) {
			struct sw_peer_session *s = prev->s;

			sw_peer_session_close(s, "bad metadata");
			s->protocol_error = true;
			visit_over(v, prev, s, sw_time_mono_ms());
			bury(v, s);
		}
	}
	free(sw->mbuf);
	free(sw->md);
	sw->mbuf = NULL;
	sw->md = NULL;
	/* The next connected peer that offers it: the not-yet-slow ones first. */
	for (int pass = 0; pass < 2 && sw->fetcher == NULL; pass++)
		for (size_t i = 0; i < v->nactive && sw->fetcher == NULL; i++) {
			struct cand *o = v->active[i];

			if (offers_metadata(o, sw) && (pass == 1 || !o->metadata_slow))
				fetch_metadata(sw, o);
		}
}

static void fetch_metadata(struct sw_vswarm *sw, struct cand *c)
{
	struct sw_peer_session *s = c->s;
	int64_t size;

	if (!offers_metadata(c, sw))
		return;
	size = s->ext.metadata_size;
	sw->mbuf = malloc((size_t)size);
	sw->md = calloc(1, sizeof(*sw->md));
	if (sw->mbuf == NULL || sw->md == NULL ||
	    sw_px_metadata_init(sw->md, sw->mbuf, (size_t)size) != SW_OK) {
		free(sw->mbuf);
		free(sw->md);
		sw->mbuf = NULL;
		sw->md = NULL;
		return;
	}
	sw->fetcher = c;
	sw->fetch_deadline = sw_time_mono_ms() + METADATA_STALL_MS;
	sw->md_pieces = sw_px_metadata_pieces((uint64_t)size);
	/* A few requests in flight: seeds answer a flood only slowly. */
	for (sw->md_next = 0; sw->md_next < sw->md_pieces && sw->md_next < METADATA_WINDOW;
	     sw->md_next++)
		if (sw_peer_session_request_metadata(s, sw->md_next) != SW_OK)
			break;
}

static void s_metadata(void *ctx, struct sw_peer_session *s, uint32_t piece, const uint8_t *data,
		       size_t len)
{
	struct cand *c = ctx;
	struct sw_vswarm *sw = c->sw;
	struct sw_verifier *v = sw->v;
	struct sw_errbuf eb = {{0}};

	if (sw->fetcher != c || sw->md == NULL)
		return; /* not asked, or already done */
	if (data == NULL) {
		drop_fetch(sw, "refused", true);
		return;
	}
	if (sw_px_metadata_add(sw->md, piece, data, len, &eb) != SW_OK) {
		drop_fetch(sw, eb.msg[0] ? eb.msg : "bad piece", true);
		return;
	}
	sw->fetch_deadline = sw_time_mono_ms() + METADATA_STALL_MS; /* progress */
	if (!sw_px_metadata_complete(sw->md)) {
		if (sw->md_next < sw->md_pieces)
			sw_peer_session_request_metadata(s, sw->md_next++);
		return;
	}
	if ((sw->has_v1 && sw_px_metadata_verify(sw->md, sw->infohash, SW_INFOHASH_LEN, &eb) !=
				   SW_OK) ||
	    (sw->has_v2 &&
	     sw_px_metadata_verify(sw->md, sw->ih_v2, SW_INFOHASH_V2_LEN, &eb) != SW_OK)) {
		drop_fetch(sw, eb.msg[0] ? eb.msg : "metadata does not hash to the infohash",
			   true);
		return;
	}
	sw->fetcher = NULL;
	if (v->o.metadata)
		v->o.metadata(v->o.ctx, sw, sw->ctx, sw->mbuf, sw->md->size);
	free(sw->mbuf);
	free(sw->md);
	sw->mbuf = NULL;
	sw->md = NULL;
}

/* --- connections per IP: one per swarm at a time ---------------------------- */

static bool same_ip_key(const struct cand *a, const struct cand *b)
{
	return a->sw == b->sw && sw_addr_same_ip(&a->addr, &b->addr);
}

static size_t busy_slot(const struct sw_verifier *v, const struct cand *c)
{
	struct sw_addr ip = c->addr;
	size_t mask = v->nbusy_slots - 1, i;

	ip.port = 0;
	for (i = key_hash(v, c->sw, &ip) & mask;; i = (i + 1) & mask)
		if (v->busy[i].key == NULL || same_ip_key(v->busy[i].key, c))
			return i;
}

static bool ip_busy(const struct sw_verifier *v, const struct cand *c)
{
	return v->busy[busy_slot(v, c)].key != NULL;
}

static void busy_add(struct sw_verifier *v, const struct cand *c)
{
	size_t i = busy_slot(v, c);

	if (v->busy[i].key == NULL)
		v->busy[i].key = c;
	v->busy[i].n++;
}

/* Remove with backward shift, so probes never cross a hole. */
static void busy_del(struct sw_verifier *v, const struct cand *c)
{
	size_t mask = v->nbusy_slots - 1, i = busy_slot(v, c), j;

	if (v->busy[i].key == NULL || --v->busy[i].n > 0)
		return;
	v->busy[i].key = NULL;
	for (j = (i + 1) & mask; v->busy[j].key != NULL; j = (j + 1) & mask) {
		struct sw_addr ip = v->busy[j].key->addr;
		size_t home;

		ip.port = 0;
		home = key_hash(v, v->busy[j].key->sw, &ip) & mask;
		/* Move j back into the hole at i if its home is not in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			v->busy[i] = v->busy[j];
			v->busy[j].key = NULL;
			v->busy[j].n = 0;
			i = j;
		}
	}
}

static void remove_active(struct sw_verifier *v, struct cand *c)
{
	size_t i = c->active_idx;

	if (i >= v->nactive || v->active[i] != c)
		return;
	v->active[i] = v->active[--v->nactive];
	v->active[i]->active_idx = i;
	v->stats.active = v->nactive;
	busy_del(v, c);
	if (!v->stopped)
		event_active(v->kick, EV_TIMEOUT, 1); /* a slot is free */
}

static int push_active(struct sw_verifier *v, struct cand *c)
{
	if (v->nactive >= v->o.max_conns)
		return SW_E_TOO_BIG;
	c->active_idx = v->nactive;
	v->active[v->nactive++] = c;
	v->stats.active = v->nactive;
	busy_add(v, c);
	return SW_OK;
}

/* Queue a session for freeing on the next tick (never inside its callback). */
static void bury(struct sw_verifier *v, struct sw_peer_session *s)
{
	if (v->ndead == v->deadcap) {
		size_t ncap = v->deadcap ? v->deadcap * 2 : 64;
		struct sw_peer_session **d = realloc(v->dead, ncap * sizeof(*d));

		if (d == NULL) {
			sw_peer_session_close(s, "out of memory");
			return; /* leaks the small struct rather than freeing it in use */
		}
		v->dead = d;
		v->deadcap = ncap;
	}
	v->dead[v->ndead++] = s;
}

/* A visit ended (closed by the peer, an error, or our linger). */
static void visit_over(struct sw_verifier *v, struct cand *c, struct sw_peer_session *s,
		       int64_t now)
{
	char as[SW_ADDR_STRLEN];

	remove_active(v, c);
	if (c->sw->num_pieces == 0 && s->handshaken && !s->protocol_error)
		c->blind = true; /* what it holds could not be read: visit again later */
	if (s->prove.active) {
		v->nproving--;
		c->proved = true;
	}
	c->s = NULL;
	if (c->sw->fetcher == c)
		drop_fetch(c->sw, "peer left", false);
	sw_addr_str(&c->addr, as, sizeof(as));
	if (s->protocol_error) {
		v->stats.protocol_errors++;
		vlog(v, "peer %s dropped: %s", as, s->reason);
	} else {
		vlog(v, "peer %s: visit over: %s (%s)", as, s->reason,
		     s->connectable ? "connectable" : "not connectable");
	}
	if (s->self) {
		c->state = CAND_DONE; /* never again */
	} else if (s->connectable || s->state == SW_SESSION_ACTIVE) {
		c->attempts = 0;
		/* Revisit a peer that is still downloading; a seed stays a seed. */
		c->state = (c->incoming || s->protocol_error || c->have >= 1.0) ? CAND_DONE
										  : CAND_IDLE;
		c->next_try = now + v->o.revisit_ms;
	} else {
		v->stats.connect_failures++;
		c->attempts++;
		c->state = (c->incoming || c->attempts >= v->o.max_attempts || s->protocol_error)
				   ? CAND_DONE
				   : CAND_IDLE;
		c->next_try = now + (v->o.retry_base_ms << (c->attempts < 10 ? c->attempts - 1 : 9));
	}
}

static void s_closed(void *ctx, struct sw_peer_session *s)
{
	struct cand *c = ctx;
	struct sw_verifier *v = c->sw->v;

	visit_over(v, c, s, sw_time_mono_ms());
	bury(v, s);
}

static void s_proved(void *ctx, struct sw_peer_session *s, bool ok, const char *why)
{
	struct cand *c = ctx;
	struct sw_verifier *v = c->sw->v;
	char as[SW_ADDR_STRLEN];

	v->nproving--;
	c->proved = true; /* one attempt per peer, whatever the outcome */
	sw_addr_str(&c->addr, as, sizeof(as));
	vlog(v, "peer %s: proof of piece %u: %s", as, s->prove.piece, why);
	if (ok) {
		v->stats.proven++;
		c->tier = SW_TIER_PROVEN;
		report(v, c, s->client);
	}
}

static const struct sw_peer_session_cb session_cb_template = {
	NULL, s_connectable, s_have, s_ext_handshake, s_pex, s_metadata, s_proved, s_closed,
};

static struct sw_peer_session_params session_params(const struct sw_verifier *v,
						    const struct sw_vswarm *sw, bool incoming)
{
	struct sw_peer_session_params p;

	memset(&p, 0, sizeof(p));
	memcpy(p.infohash, sw->infohash, SW_INFOHASH_LEN);
	memcpy(p.peer_id, v->o.peer_id, SW_PEER_ID_LEN);
	p.num_pieces = sw->num_pieces;
	p.listen_port = v->o.listen_port;
	p.handshake_timeout_ms = v->o.handshake_timeout_ms;
	p.idle_timeout_ms = v->o.idle_timeout_ms;
	p.incoming = incoming;
	return p;
}

static void start_visit(struct sw_verifier *v, struct cand *c, int64_t now)
{
	struct sw_peer_session_params p = session_params(v, c->sw, false);
	struct sw_peer_session_cb cb = session_cb_template;

	cb.ctx = c;
	v->stats.connects++;
	if (sw_peer_session_connect(v->o.loop, &c->addr, v->o.connect_timeout_ms, &p, &cb,
				    &c->s) != SW_OK) {
		c->attempts++; /* e.g. out of file descriptors: try again later */
		c->next_try = now + v->o.retry_base_ms;
		v->stats.connect_failures++;
		return;
	}
	c->state = CAND_ACTIVE;
	c->visit_start = now;
	push_active(v, c);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sw_verifier *v = arg;
	int64_t now = sw_time_mono_ms();

	(void)fd;
	(void)what;
	for (size_t i = 0; i < v->ndead; i++)
		sw_peer_session_free(v->dead[i]);
	v->ndead = 0;
	if (v->stopped)
		return;
	/* End visits that have lingered; their peers come round again. */
	for (size_t i = 0; i < v->nactive;) {
		struct cand *c = v->active[i];

		if (c->s != NULL && c->s->state == SW_SESSION_ACTIVE &&
		    now - c->visit_start >= v->o.linger_ms && c->sw->fetcher != c) {
			struct sw_peer_session *s = c->s;

			sw_peer_session_close(s, "visit over");
			visit_over(v, c, s, now);
			bury(v, s);
			continue; /* visit_over moved another entry into slot i */
		}
		i++;
	}
	for (struct sw_vswarm *sw = v->swarms; sw; sw = sw->next)
		if (sw->fetcher != NULL && now > sw->fetch_deadline)
			drop_fetch(sw, "stalled", false);
	v->idle_scanned = 0;
	event_active(v->kick, EV_TIMEOUT, 1); /* retries and revisits come due */
}

/* Start a batch of connections to due candidates; re-arm while there is more. */
static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct sw_verifier *v = arg;
	int64_t now = sw_time_mono_ms();
	size_t started = 0, k;

	(void)fd;
	(void)what;
	if (v->stopped)
		return;
	for (k = 0; k < SCAN_PER_BATCH && k < v->ncands && started < STARTS_PER_BATCH &&
		    v->nactive < v->o.max_conns;
	     k++) {
		struct cand *c;

		if (v->cursor >= v->ncands)
			v->cursor = 0;
		c = v->cands[v->cursor++];
		if (c->state == CAND_IDLE && c->next_try <= now && !ip_busy(v, c)) {
			start_visit(v, c, now);
			started++;
		}
	}
	/*
	 * More may be due: let the loop breathe, then go on, until one whole
	 * pass over the candidates has found nothing to start (then the tick
	 * looks again, ten times a second).
	 */
	v->idle_scanned = started > 0 ? 0 : v->idle_scanned + k;
	if (v->nactive < v->o.max_conns && v->idle_scanned < v->ncands &&
	    (started == STARTS_PER_BATCH || k == SCAN_PER_BATCH))
		event_active(v->kick, EV_TIMEOUT, 1);
}

/* --- incoming --------------------------------------------------------------------- */

static void pending_free(struct pending *pd)
{
	struct sw_verifier *v = pd->v;

	if (pd->prev)
		pd->prev->next = pd->next;
	else
		v->pending = pd->next;
	if (pd->next)
		pd->next->prev = pd->prev;
	v->npending--;
	if (pd->deadline)
		event_free(pd->deadline);
	free(pd);
}

static struct sw_vswarm *swarm_by_infohash(const struct sw_verifier *v, const uint8_t *ih)
{
	for (struct sw_vswarm *sw = v->swarms; sw; sw = sw->next)
		if (memcmp(sw->infohash, ih, SW_INFOHASH_LEN) == 0)
			return sw;
	return NULL;
}

/* The first 48 bytes of an incoming handshake name the swarm. */
#define HANDSHAKE_TO_INFOHASH (1 + SW_PW_PSTR_LEN + SW_PW_RESERVED_LEN + SW_INFOHASH_LEN)

static void refuse(struct sw_verifier *v, struct pending *pd, const char *why)
{
	char as[SW_ADDR_STRLEN];

	sw_addr_str(sw_tcp_remote(pd->tcp), as, sizeof(as));
	vlog(v, "incoming %s refused: %s", as, why);
	v->stats.incoming_refused++;
	sw_tcp_close(pd->tcp);
	pending_free(pd);
}

static void on_pending(void *ctx, struct sw_tcp *t, enum sw_tcp_event ev, const char *reason)
{
	struct pending *pd = ctx;
	struct sw_verifier *v = pd->v;
	struct sw_peer_session_params p;
	struct sw_peer_session_cb cb = session_cb_template;
	struct sw_pw_handshake hs;
	const uint8_t *b;
	struct sw_vswarm *sw;
	struct cand *c;
	int rc;

	if (ev == SW_TCP_CLOSED) {
		refuse(v, pd, reason ? reason : "closed");
		return;
	}
	if (sw_tcp_input_len(t) < HANDSHAKE_TO_INFOHASH) {
		b = sw_tcp_peek(t, sw_tcp_input_len(t));
		if (b && sw_pw_parse_handshake(b, sw_tcp_input_len(t), &hs, NULL) == SW_E_INVALID)
			refuse(v, pd, "not a BitTorrent handshake");
		return;
	}
	b = sw_tcp_peek(t, HANDSHAKE_TO_INFOHASH);
	rc = sw_pw_parse_handshake(b, HANDSHAKE_TO_INFOHASH, &hs, NULL);
	if (rc == SW_E_INVALID) {
		refuse(v, pd, "not a BitTorrent handshake");
		return;
	}
	sw = swarm_by_infohash(v, b + 1 + SW_PW_PSTR_LEN + SW_PW_RESERVED_LEN);
	if (sw == NULL) {
		refuse(v, pd, "handshake for a swarm we do not watch");
		return;
	}
	c = add_cand(v, sw, sw_tcp_remote(t));
	if (c == NULL || c->state == CAND_ACTIVE || v->nactive >= v->o.max_conns) {
		refuse(v, pd, c == NULL ? "candidate table full" : "already connected or at the cap");
		return;
	}
	c->incoming = true;
	p = session_params(v, sw, true);
	cb.ctx = c;
	if (sw_peer_session_new(v->o.loop, t, &p, &cb, &c->s) != SW_OK) {
		refuse(v, pd, "out of memory");
		return;
	}
	v->stats.incoming++;
	c->state = CAND_ACTIVE;
	c->visit_start = sw_time_mono_ms();
	push_active(v, c);
	pending_free(pd);
	sw_peer_session_kick(c->s);
}

static void on_pending_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct pending *pd = arg;

	(void)fd;
	(void)what;
	refuse(pd->v, pd, "handshake not complete in time (slow peer)");
}

void sw_verifier_accept(struct sw_verifier *v, struct sw_tcp *c)
{
	struct timeval dl = {INCOMING_HANDSHAKE_MS / 1000, 0};
	struct pending *pd;

	if (v->stopped || v->npending >= MAX_INCOMING_PENDING || v->nactive >= v->o.max_conns) {
		v->stats.incoming_refused++;
		vlog(v, "incoming connection refused: %s",
		     v->stopped ? "stopping" : "too many connections");
		sw_tcp_close(c);
		return;
	}
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL) {
		sw_tcp_close(c);
		return;
	}
	pd->v = v;
	pd->tcp = c;
	pd->deadline = evtimer_new(v->o.loop->base, on_pending_deadline, pd);
	if (pd->deadline == NULL) {
		sw_tcp_close(c);
		free(pd);
		return;
	}
	evtimer_add(pd->deadline, &dl);
	pd->next = v->pending;
	if (v->pending)
		v->pending->prev = pd;
	v->pending = pd;
	v->npending++;
	sw_tcp_set_idle_timeout(c, INCOMING_HANDSHAKE_MS);
	sw_tcp_set_cb(c, on_pending, pd);
}

/* --- the public face ------------------------------------------------------------ */

#define DEF(field, value)                                                                          \
	do {                                                                                       \
		if (v->o.field == 0)                                                               \
			v->o.field = value;                                                        \
	} while (0)

int sw_verifier_new(const struct sw_verifier_opts *o, struct sw_verifier **out)
{
	struct sw_verifier *v = calloc(1, sizeof(*v));
	struct timeval tick = {0, TICK_MS * 1000};

	*out = NULL;
	if (v == NULL)
		return SW_E_NOMEM;
	v->o = *o;
	DEF(max_conns, 500);
	DEF(max_candidates, 1000000);
	DEF(connect_timeout_ms, 10000);
	DEF(handshake_timeout_ms, 10000);
	DEF(idle_timeout_ms, 150000);
	DEF(linger_ms, 60000);
	DEF(revisit_ms, 300000);
	DEF(retry_base_ms, 30000);
	DEF(max_attempts, 4);
	DEF(max_proofs, 4);
	v->nbusy_slots = 16;
	while (v->nbusy_slots < 2 * v->o.max_conns)
		v->nbusy_slots *= 2;
	v->busy = calloc(v->nbusy_slots, sizeof(*v->busy));
	v->active = calloc(v->o.max_conns, sizeof(*v->active));
	if (v->busy == NULL || v->active == NULL ||
	    RAND_bytes((unsigned char *)&v->seed, sizeof(v->seed)) != 1 ||
	    rehash(v, 1024) != SW_OK) {
		sw_verifier_free(v);
		return SW_E_NOMEM;
	}
	v->tick = event_new(o->loop->base, -1, EV_PERSIST, on_tick, v);
	v->kick = event_new(o->loop->base, -1, 0, on_kick, v);
	if (v->tick == NULL || v->kick == NULL || event_add(v->tick, &tick) != 0) {
		sw_verifier_free(v);
		return SW_E_NOMEM;
	}
	*out = v;
	return SW_OK;
}

void sw_verifier_stop(struct sw_verifier *v)
{
	v->stopped = true;
	while (v->nactive > 0) {
		struct cand *c = v->active[v->nactive - 1];
		struct sw_peer_session *s = c->s;

		sw_peer_session_close(s, "stopping");
		visit_over(v, c, s, sw_time_mono_ms());
		bury(v, s);
	}
	while (v->pending != NULL) {
		sw_tcp_close(v->pending->tcp);
		pending_free(v->pending);
	}
}

void sw_verifier_free(struct sw_verifier *v)
{
	if (v == NULL)
		return;
	sw_verifier_stop(v);
	for (size_t i = 0; i < v->ndead; i++)
		sw_peer_session_free(v->dead[i]);
	for (size_t i = 0; i < v->ncands; i++)
		free(v->cands[i]);
	while (v->swarms) {
		struct sw_vswarm *sw = v->swarms;

		v->swarms = sw->next;
		free(sw->mbuf);
		free(sw->md);
		free(sw->hashes);
		free(sw);
	}
	if (v->tick)
		event_free(v->tick);
	if (v->kick)
		event_free(v->kick);
	free(v->busy);
	free(v->dead);
	free(v->active);
	free(v->cands);
	free(v->buckets);
	free(v);
}

int sw_verifier_add_swarm(struct sw_verifier *v, const uint8_t infohash[SW_INFOHASH_LEN],
			  const uint8_t *ih_v2, uint32_t num_pieces, void *swarm_ctx,
			  struct sw_vswarm **out)
{
	struct sw_vswarm *sw = calloc(1, sizeof(*sw));

	*out = NULL;
	if (sw == NULL)
		return SW_E_NOMEM;
	sw->v = v;
	memcpy(sw->infohash, infohash, SW_INFOHASH_LEN);
	sw->has_v2 = ih_v2 != NULL;
	if (ih_v2)
		memcpy(sw->ih_v2, ih_v2, SW_INFOHASH_V2_LEN);
	sw->has_v1 = !(ih_v2 && memcmp(infohash, ih_v2, SW_INFOHASH_LEN) == 0);
	sw->num_pieces = num_pieces;
	sw->ctx = swarm_ctx;
	sw->next = v->swarms;
	v->swarms = sw;
	*out = sw;
	return SW_OK;
}

void sw_verifier_set_pieces(struct sw_verifier *v, struct sw_vswarm *sw, uint32_t num_pieces)
{
	sw->num_pieces = num_pieces;
	for (size_t i = 0; i < v->nactive; i++)
		if (v->active[i]->sw == sw && v->active[i]->s)
			sw_peer_session_set_pieces(v->active[i]->s, num_pieces);
	/* Peers visited before the piece count was known: visit them again now. */
	for (size_t i = 0; i < v->ncands; i++) {
		struct cand *c = v->cands[i];

		if (c->sw == sw && c->blind && c->state != CAND_ACTIVE && !c->incoming &&
		    !c->metadata_bad) {
			c->blind = false;
			c->state = CAND_IDLE;
			c->attempts = 0;
			c->next_try = 0;
		}
	}
	v->idle_scanned = 0;
	if (!v->stopped)
		event_active(v->kick, EV_TIMEOUT, 1);
}

void sw_verifier_add_peer(struct sw_verifier *v, struct sw_vswarm *sw, const struct sw_addr *a)
{
	struct cand *c = add_cand(v, sw, a);

	if (c != NULL && c->state == CAND_IDLE && !v->stopped && v->nactive < v->o.max_conns) {
		v->idle_scanned = 0;
		event_active(v->kick, EV_TIMEOUT, 1); /* connect now, not at the next tick */
	}
}

const struct sw_verifier_stats *sw_verifier_stats(struct sw_verifier *v)
{
	return &v->stats;
}

int sw_verifier_set_hashes(struct sw_verifier *v, struct sw_vswarm *sw, const uint8_t *hashes,
			   uint32_t num_pieces, uint64_t piece_length, uint64_t total_size)
{
	(void)v;
	free(sw->hashes);
	sw->hashes = NULL;
	if (hashes == NULL || piece_length == 0 || piece_length > SW_VERIFIER_MAX_PROOF_PIECE)
		return SW_E_UNSUPPORTED;
	sw->hashes = malloc((size_t)num_pieces * 20);
	if (sw->hashes == NULL)
		return SW_E_NOMEM;
	memcpy(sw->hashes, hashes, (size_t)num_pieces * 20);
	sw->piece_length = piece_length;
	sw->total_size = total_size;
	return SW_OK;
}
