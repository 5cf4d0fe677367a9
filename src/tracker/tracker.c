/*
 * tracker.c - the per-tracker state machine of a monitor (see tracker.h).
 *
 * One request is in flight at a time.  A UDP announce or scrape needs a
 * connection id: when it has none, or an expired one, a connect goes
 * first and the wanted request follows its reply.
 *
 *   idle --due--> [connect] --> announce/scrape --reply--> idle
 *                     \__ timeout: resend, 15*2^n s (first configurable),
 *                         give up after udp_max_retries: backoff
 */
#include "tracker/tracker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "proto/bencode.h"
#include "proto/http_tracker.h"
#include "proto/udp_tracker.h"

#define MAX_URL_LEN 4096
#define DEFAULT_INTERVAL_MS (30 * 60 * 1000)
#define MIN_SCRAPE_PERIOD_MS 60000
#define MAX_INTERVAL_MS (6 * 3600 * 1000) /* clamp what a tracker asks for */

static void logf_(struct sw_tracker *t, const struct sw_tracker_io *io, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void logf_(struct sw_tracker *t, const struct sw_tracker_io *io, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (io->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	io->log(io->ctx, t, msg);
}

/* Split "udp://host:port/..." into host and port. */
static int parse_udp_url(struct sw_tracker *t, const char *url, struct sw_errbuf *eb)
{
	const char *h = url + 6, *end, *colon;
	size_t hl;
	unsigned long port;
	char *pe;

	end = h + strcspn(h, "/?#");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (rb == NULL)
			return sw_errbuf_set(eb, SW_E_INVALID, "%s: unterminated '[' in host", url);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		h++;
		hl = (size_t)(rb - h);
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		hl = (size_t)((colon ? colon : end) - h);
	}
	if (colon == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "%s: no port in UDP tracker URL", url);
	port = strtoul(colon + 1, &pe, 10);
	if (pe != end || port == 0 || port > 65535)
		return sw_errbuf_set(eb, SW_E_INVALID, "%s: bad port", url);
	if (hl == 0 || hl >= sizeof(t->host))
		return sw_errbuf_set(eb, SW_E_INVALID, "%s: bad host", url);
	memcpy(t->host, h, hl);
	t->host[hl] = 0;
	t->host_port = (uint16_t)port;
	return SW_OK;
}

int sw_tracker_new(const char *url, const struct sw_tracker_params *p, int index,
		   struct sw_tracker **out, struct sw_errbuf *eb)
{
	struct sw_tracker *t;
	int rc;

	*out = NULL;
	if (strlen(url) > MAX_URL_LEN)
		return sw_errbuf_set(eb, SW_E_INVALID, "tracker URL longer than %d bytes",
				     MAX_URL_LEN);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return SW_E_NOMEM;
	t->url = strdup(url);
	if (t->url == NULL) {
		free(t);
		return SW_E_NOMEM;
	}
	t->p = *p;
	t->index = index;
	t->seeders = t->leechers = t->completed = -1;
	t->next_event = SW_UDPT_EVENT_STARTED;
	if (strncasecmp(url, "udp://", 6) == 0) {
		t->proto = SW_TRACKER_UDP;
		rc = parse_udp_url(t, url, eb);
	} else if (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0) {
		t->proto = SW_TRACKER_HTTP;
		t->resolved = true; /* curl resolves */
		rc = SW_OK;
	} else {
		rc = sw_errbuf_set(eb, SW_E_UNSUPPORTED, "%s: unsupported tracker scheme", url);
	}
	if (rc) {
		sw_tracker_free(t);
		return rc;
	}
	*out = t;
	return SW_OK;
}

void sw_tracker_free(struct sw_tracker *t)
{
	if (t == NULL)
		return;
	free(t->url);
	free(t);
}

static int64_t backoff(const struct sw_tracker *t)
{
	int64_t d = t->p.retry_base_ms;

	for (int i = 1; i < t->failures && d < t->p.retry_max_ms; i++)
		d *= 2;
	return d < t->p.retry_max_ms ? d : t->p.retry_max_ms;
}

/* The tracker's latest idea of the swarm's size, less ourselves. */
static bool wants_more(const struct sw_tracker *t)
{
	int64_t total;

	if (t->seeders < 0 || t->leechers < 0)
		return false;
	total = t->seeders + t->leechers - (t->registered ? 1 : 0);
	return total > (int64_t)t->known;
}

static int64_t announce_due(const struct sw_tracker *t)
{
	int64_t gap;

	if (!t->answered || t->next_event != SW_UDPT_EVENT_NONE)
		return t->next_announce;
	if (wants_more(t))
		gap = t->min_interval_ms > 0 ? t->min_interval_ms : t->p.reannounce_floor_ms;
	else
		gap = t->interval_ms > 0 ? t->interval_ms : DEFAULT_INTERVAL_MS;
	return t->last_announce + gap > t->next_announce ? t->last_announce + gap
							 : t->next_announce;
}

/* An announce or scrape failed: record, back off, and let poll go on. */
static void op_failed(struct sw_tracker *t, int64_t now, const struct sw_tracker_io *io,
		      const char *msg)
{
	enum sw_tracker_op op = t->op;

	t->op = OP_NONE;
	if (op == OP_SCRAPE) {
		logf_(t, io, "scrape failed: %s", msg);
		t->next_scrape = now + backoff(t) * 2;
		if (t->stopping)
			t->done = true;
		return;
	}
	t->ok = false;
	snprintf(t->error, sizeof(t->error), "%s", msg);
	logf_(t, io, "announce failed: %s", msg);
	t->failures++;
	t->next_announce = now + backoff(t);
	if (t->op_event == SW_UDPT_EVENT_STOPPED || t->stopping)
		t->done = true; /* do not chase a tracker on the way out */
}

/* --- UDP ----------------------------------------------------------------- */

static int udp_send_op(struct sw_tracker *t, int64_t now, const struct sw_tracker_io *io)
{
	uint8_t pkt[SW_UDPT_ANNOUNCE_REQ_MAX];
	int n;

	if (t->op == OP_CONNECT) {
		n = sw_udpt_build_connect(pkt, sizeof(pkt), t->txid);
	} else if (t->op == OP_ANNOUNCE) {
		struct sw_udpt_announce_req r;

		memset(&r, 0, sizeof(r));
		r.connection_id = t->conn_id;
		r.txid = t->txid;
		memcpy(r.infohash, t->p.infohash, SW_INFOHASH_LEN);
		memcpy(r.peer_id, t->p.peer_id, SW_PEER_ID_LEN);
		r.left = t->p.left;
		r.event = (uint32_t)t->op_event;
		r.key = t->p.key;
		r.num_want = t->p.numwant;
		r.port = t->p.port;
		if (sw_udpt_url_request(t->url, strlen(t->url), &r.url_request,
					&r.url_request_len) != SW_OK ||
		    r.url_request_len > SW_UDPT_MAX_URLDATA)
			r.url_request_len = 0;
		n = sw_udpt_build_announce(pkt, sizeof(pkt), &r);
	} else {
		n = sw_udpt_build_scrape(pkt, sizeof(pkt), t->conn_id, t->txid, t->p.infohash, 1);
	}
	if (n < 0)
		return n;
	t->deadline = now + (t->p.udp_first_timeout_ms << (t->attempt < 16 ? t->attempt : 16));
	return io->send_udp(io->ctx, t, pkt, (size_t)n);
}

/* Begin op (announce or scrape) over UDP, connecting first if needed. */
static void udp_begin(struct sw_tracker *t, enum sw_tracker_op op, int64_t now,
		      const struct sw_tracker_io *io)
{
	t->op = (t->conn_id != 0 && now < t->conn_expiry) ? op : OP_CONNECT;
	t->want_op = op;
	t->attempt = 0;
	t->txid = io->random32(io->ctx);
	if (udp_send_op(t, now, io) != SW_OK)
		logf_(t, io, "cannot send to %s", t->host); /* the timeout will retry */
}

static void udp_timeout(struct sw_tracker *t, int64_t now, const struct sw_tracker_io *io)
{
	char msg[160];

	t->stats.timeouts++;
	if (++t->attempt > t->p.udp_max_retries) {
		snprintf(msg, sizeof(msg), "no reply after %d attempts", t->attempt);
		if (t->stats.drop_txid + t->stats.drop_action + t->stats.drop_short > 0)
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
				 " (dropped: %llu wrong transaction id, %llu wrong action, "
				 "%llu short)",
				 (unsigned long long)t->stats.drop_txid,
				 (unsigned long long)t->stats.drop_action,
				 (unsigned long long)t->stats.drop_short);
		t->op = t->want_op;
		t->conn_id = 0; /* reconnect next time */
		op_failed(t, now, io, msg);
		return;
	}
	udp_send_op(t, now, io);
}

/* An announce reply was accepted: record it and hand over the peers. */
static void announce_ok(struct sw_tracker *t, int64_t now, const struct sw_tracker_io *io,
			int64_t interval_s, int64_t min_interval_s, const struct sw_addr *peers,
			size_t npeers)
{
	t->op = OP_NONE;
	t->stats.announces++;
	t->stats.peers += npeers;
	t->failures = 0;
	t->last_announce = now;
	t->next_announce = now;
	if (t->op_event == SW_UDPT_EVENT_STOPPED) {
		t->registered = false;
		t->stop_sent = true;
		return;
	}
	t->ok = true;
	t->answered = true;
	t->registered = true;
	t->error[0] = 0;
	t->next_event = SW_UDPT_EVENT_NONE;
	t->interval_ms = interval_s > 0 ? (interval_s * 1000 < MAX_INTERVAL_MS ? interval_s * 1000
										: MAX_INTERVAL_MS)
					: 0;
	t->min_interval_ms = min_interval_s > 0 ? (min_interval_s * 1000 < MAX_INTERVAL_MS
							   ? min_interval_s * 1000
							   : MAX_INTERVAL_MS)
						: 0;
	if (npeers > 0 && io->peers != NULL)
		io->peers(io->ctx, t, peers, npeers);
}

static void scrape_ok(struct sw_tracker *t, int64_t now, const struct sw_tracker_io *io,
		      int64_t seeders, int64_t leechers, int64_t completed)
{
	int64_t period = t->p.reannounce_floor_ms > MIN_SCRAPE_PERIOD_MS ? t->p.reannounce_floor_ms
									 : MIN_SCRAPE_PERIOD_MS;

	t->op = OP_NONE;
	t->stats.scrapes++;
	t->has_scrape = true;
	t->seeders = seeders;
	t->leechers = leechers;
	t->completed = completed;
	t->next_scrape = now + period;
	if (t->stopping)
		t->done = true; /* that was the last scrape */
	if (io->scraped != NULL)
		io->scraped(io->ctx, t);
}

static int udp_action(enum sw_tracker_op op)
{
	return op == OP_CONNECT    ? SW_UDPT_ACTION_CONNECT
	       : op == OP_ANNOUNCE ? SW_UDPT_ACTION_ANNOUNCE
				   : SW_UDPT_ACTION_SCRAPE;
}

bool sw_tracker_udp_expects(const struct sw_tracker *t, const uint8_t *p, size_t n)
{
	uint32_t txid;

	if (t->proto != SW_TRACKER_UDP || t->op == OP_NONE || n < SW_UDPT_HEADER_LEN)
		return false;
	txid = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	return txid == t->txid;
}

static void udp_announce_reply(struct sw_tracker *t, const struct sw_udpt_response *r,
			       int64_t now, const struct sw_tracker_io *io)
{
	struct sw_addr *peers = NULL;
	size_t n = r->num_peers < SW_TRACKER_MAX_PEERS_PER_REPLY ? r->num_peers
								  : SW_TRACKER_MAX_PEERS_PER_REPLY;

	if (n > 0) {
		peers = calloc(n, sizeof(*peers));
		if (peers == NULL)
			n = 0;
	}
	for (size_t i = 0; i < n; i++)
		sw_udpt_peer(r, i, &peers[i]);
	if (r->tail_len > 0)
		logf_(t, io, "announce reply has %zu stray bytes after its peers", r->tail_len);
	/* The announce reply carries the tracker's counts too. */
	if (t->op_event != SW_UDPT_EVENT_STOPPED) {
		t->seeders = r->seeders;
		t->leechers = r->leechers;
	}
	announce_ok(t, now, io, r->interval, 0, peers, n);
	free(peers);
}

void sw_tracker_udp_input(struct sw_tracker *t, const uint8_t *p, size_t n, int64_t now,
			  const struct sw_tracker_io *io)
{
	struct sw_udpt_response r;
	struct sw_udpt_scrape_entry e;
	char msg[SW_TRACKER_ERRLEN];
	int rc;

	if (t->op == OP_NONE) {
		t->stats.drop_txid++; /* nothing asked: stale or forged */
		return;
	}
	rc = sw_udpt_parse_response(p, n, t->txid, udp_action(t->op), t->addr.family, &r);
	switch (rc) {
	case SW_OK: break;
	case SW_E_UNSUPPORTED:
		snprintf(msg, sizeof(msg), "tracker error: %.*s", (int)(r.message_len > 150 ? 150 : r.message_len),
			 r.message);
		t->op = t->want_op;
		op_failed(t, now, io, msg);
		return;
	case SW_E_NOT_FOUND: t->stats.drop_txid++; return;
	case SW_E_TYPE: t->stats.drop_action++; return;
	default: t->stats.drop_short++; return;
	}
	t->stats.replies++;
	if (t->op == OP_CONNECT) {
		t->conn_id = r.connection_id;
		t->conn_expiry = now + SW_TRACKER_CONN_ID_TTL_MS;
		t->op = t->want_op;
		t->attempt = 0;
		t->txid = io->random32(io->ctx);
		udp_send_op(t, now, io);
	} else if (t->op == OP_ANNOUNCE) {
		udp_announce_reply(t, &r, now, io);
	} else if (sw_udpt_scrape_entry(&r, 0, &e) == SW_OK) {
		scrape_ok(t, now, io, e.seeders, e.leechers, e.completed);
	} else {
		op_failed(t, now, io, "scrape reply without counts");
	}
}

/* --- HTTP ---------------------------------------------------------------- */

static void http_begin(struct sw_tracker *t, enum sw_tracker_op op, int64_t now,
		       const struct sw_tracker_io *io)
{
	struct sw_buf url;
	int rc;

	sw_buf_init(&url, MAX_URL_LEN * 2);
	if (op == OP_ANNOUNCE) {
		struct sw_httpt_announce_req r;

		memset(&r, 0, sizeof(r));
		r.announce_url = t->url;
		memcpy(r.infohash, t->p.infohash, SW_INFOHASH_LEN);
		memcpy(r.peer_id, t->p.peer_id, SW_PEER_ID_LEN);
		r.port = t->p.port;
		r.left = t->p.left;
		r.event = (uint32_t)t->op_event;
		r.numwant = t->p.numwant;
		r.key = t->p.key;
		r.tracker_id = t->tracker_id_len ? t->tracker_id : NULL;
		r.tracker_id_len = t->tracker_id_len;
		rc = sw_httpt_announce_url(&url, &r);
	} else {
		rc = sw_httpt_scrape_url(&url, t->url, t->p.infohash, 1);
		if (rc == SW_E_UNSUPPORTED) {
			t->scrape_unsupported = true;
			logf_(t, io, "no scrape URL (announce URL does not end in /announce)");
			sw_buf_deinit(&url);
			return;
		}
	}
	t->op = op;
	t->want_op = op;
	if (rc == SW_OK)
		rc = io->http_get(io->ctx, t, (const char *)url.data);
	sw_buf_deinit(&url);
	if (rc != SW_OK)
		op_failed(t, now, io, "cannot build or start the HTTP request");
}

static void http_announce_reply(struct sw_tracker *t, const uint8_t *body, size_t len,
				long status, int64_t now, const struct sw_tracker_io *io)
{
	struct sw_bencode_token *tok = malloc(SW_HTTPT_TOKENS * sizeof(*tok));
	struct sw_addr *peers = malloc(SW_TRACKER_MAX_PEERS_PER_REPLY * sizeof(*peers));
	struct sw_httpt_announce a;
	struct sw_errbuf eb = {{0}};
	char msg[SW_TRACKER_ERRLEN];
	int rc;

	if (tok == NULL || peers == NULL) {
		op_failed(t, now, io, "out of memory");
		goto out;
	}
	rc = sw_httpt_parse_announce(body, len, tok, SW_HTTPT_TOKENS, peers,
				     SW_TRACKER_MAX_PEERS_PER_REPLY, &a, &eb);
	if (rc == SW_E_UNSUPPORTED) {
		snprintf(msg, sizeof(msg), "failure reason: %.*s",
			 (int)(a.failure_len > 150 ? 150 : a.failure_len), (const char *)a.failure);
		op_failed(t, now, io, msg);
		goto out;
	}
	if (rc != SW_OK || status != 200) {
		if (status != 200)
			snprintf(msg, sizeof(msg), "HTTP status %ld", status);
		else
			snprintf(msg, sizeof(msg), "%.150s", eb.msg[0] ? eb.msg : sw_strerror(rc));
		op_failed(t, now, io, msg);
		goto out;
	}
	t->stats.replies++;
	if (a.warning != NULL) {
		snprintf(t->warning, sizeof(t->warning), "%.*s",
			 (int)(a.warning_len > 150 ? 150 : a.warning_len), (const char *)a.warning);
		logf_(t, io, "warning message: %s", t->warning);
	}
	if (a.tracker_id != NULL && a.tracker_id_len <= sizeof(t->tracker_id)) {
		memcpy(t->tracker_id, a.tracker_id, a.tracker_id_len);
		t->tracker_id_len = a.tracker_id_len;
	}
	if (t->op_event != SW_UDPT_EVENT_STOPPED && a.complete >= 0 && a.incomplete >= 0) {
		t->seeders = a.complete;
		t->leechers = a.incomplete;
	}
	announce_ok(t, now, io, a.interval, a.min_interval, peers, a.num_peers);
out:
	free(tok);
	free(peers);
}

/*
 * bittorrent-tracker (npm) writes scrape keys as the UTF-8 encoding of the
 * infohash's bytes read as Latin-1 (so 0xe4 becomes c3 a4).  Is key such
 * an encoding of ih?
 */
static bool key_is_latin1_utf8(const uint8_t *k, size_t n, const uint8_t *ih)
{
	size_t i = 0, j = 0;

	while (i < n && j < SW_INFOHASH_LEN) {
		unsigned v;

		if (k[i] < 0x80) {
			v = k[i++];
		} else if ((k[i] & 0xe0) == 0xc0 && i + 1 < n && (k[i + 1] & 0xc0) == 0x80) {
			v = (unsigned)(k[i] & 0x1f) << 6 | (k[i + 1] & 0x3f);
			i += 2;
			if (v < 0x80)
				return false; /* overlong */
		} else {
			return false;
		}
		if (v != ih[j++])
			return false;
	}
	return i == n && j == SW_INFOHASH_LEN;
}

/* The scrape entry for our infohash under a Latin-1-as-UTF-8 key. */
static int scrape_lookup_mangled(const struct sw_httpt_scrape *s, const uint8_t *ih,
				 struct sw_httpt_scrape_entry *e)
{
	const struct sw_bencode_doc *d = &s->doc;
	uint32_t i, n;

	if (s->files == 0 || sw_bencode_type(d, s->files) != SW_BENCODE_DICT)
		return SW_E_NOT_FOUND;
	n = d->tok[s->files].count;
	for (i = s->files + 1; n-- > 0; i = d->tok[d->tok[i].next].next) {
		const uint8_t *k;
		size_t klen;
		uint32_t v = d->tok[i].next;

		if (sw_bencode_get_str(d, i, &k, &klen) != SW_OK ||
		    !key_is_latin1_utf8(k, klen, ih) || sw_bencode_type(d, v) != SW_BENCODE_DICT)
			continue;
		memcpy(e->infohash, ih, SW_INFOHASH_LEN);
		if (sw_bencode_dict_get_int(d, v, "complete", &e->complete) != SW_OK)
			e->complete = -1;
		if (sw_bencode_dict_get_int(d, v, "incomplete", &e->incomplete) != SW_OK)
			e->incomplete = -1;
		if (sw_bencode_dict_get_int(d, v, "downloaded", &e->downloaded) != SW_OK)
			e->downloaded = -1;
		return SW_OK;
	}
	return SW_E_NOT_FOUND;
}

static void http_scrape_reply(struct sw_tracker *t, const uint8_t *body, size_t len,
			      long status, int64_t now, const struct sw_tracker_io *io)
{
	struct sw_bencode_token *tok = malloc(SW_HTTPT_TOKENS * sizeof(*tok));
	struct sw_httpt_scrape s;
	struct sw_httpt_scrape_entry e;
	struct sw_errbuf eb = {{0}};
	char msg[SW_TRACKER_ERRLEN];
	int rc;

	if (tok == NULL) {
		op_failed(t, now, io, "out of memory");
		return;
	}
	rc = sw_httpt_parse_scrape(body, len, tok, SW_HTTPT_TOKENS, &s, &eb);
	if (rc == SW_OK && status == 200) {
		rc = sw_httpt_scrape_lookup(&s, t->p.infohash, &e);
		if (rc == SW_E_NOT_FOUND)
			rc = scrape_lookup_mangled(&s, t->p.infohash, &e);
	}
	if (rc == SW_OK && status == 200) {
		scrape_ok(t, now, io, e.complete, e.incomplete, e.downloaded);
	} else {
		if (status != 200)
			snprintf(msg, sizeof(msg), "HTTP status %ld", status);
		else if (rc == SW_E_NOT_FOUND)
			snprintf(msg, sizeof(msg), "torrent not in scrape reply");
		else
			snprintf(msg, sizeof(msg), "%.150s", eb.msg[0] ? eb.msg : sw_strerror(rc));
		op_failed(t, now, io, msg);
	}
	free(tok);
}

void sw_tracker_http_done(struct sw_tracker *t, int rc, long status, const uint8_t *body,
			  size_t len, const char *err, int64_t now, const struct sw_tracker_io *io)
{
	char msg[SW_TRACKER_ERRLEN];

	if (t->op == OP_NONE)
		return;
	if (rc != SW_OK) {
		t->stats.http_errors++;
		snprintf(msg, sizeof(msg), "%s", err && *err ? err : sw_strerror(rc));
		op_failed(t, now, io, msg);
		return;
	}
	if (t->op == OP_ANNOUNCE)
		http_announce_reply(t, body, len, status, now, io);
	else
		http_scrape_reply(t, body, len, status, now, io);
}

/* --- scheduling ---------------------------------------------------------- */

static void begin(struct sw_tracker *t, enum sw_tracker_op op, int event, int64_t now,
		  const struct sw_tracker_io *io)
{
	t->op_event = event;
	if (t->proto == SW_TRACKER_UDP)
		udp_begin(t, op, now, io);
	else
		http_begin(t, op, now, io);
}

void sw_tracker_resolved(struct sw_tracker *t, const struct sw_addr *addr, const char *err,
			 int64_t now, const struct sw_tracker_io *io)
{
	if (addr == NULL) {
		t->op = OP_ANNOUNCE;
		t->op_event = t->next_event;
		op_failed(t, now, io, err ? err : "cannot resolve host");
		return;
	}
	t->addr = *addr;
	t->resolved = true;
}

int64_t sw_tracker_poll(struct sw_tracker *t, int64_t now, const struct sw_tracker_io *io)
{
	int64_t due;

	if (t->done || !t->resolved)
		return SW_TRACKER_NEVER;
	if (t->op != OP_NONE) {
		if (t->proto == SW_TRACKER_HTTP)
			return SW_TRACKER_NEVER; /* curl's timeout ends it */
		if (now >= t->deadline)
			udp_timeout(t, now, io);
		return t->op != OP_NONE ? t->deadline : now;
	}
	if (t->stopping) {
		if (t->registered && !t->stop_sent)
			begin(t, OP_ANNOUNCE, SW_UDPT_EVENT_STOPPED, now, io);
		else if (t->stop_sent && !t->scrape_unsupported && !t->final_scrape_ok)
			return SW_TRACKER_NEVER; /* until the others have stopped too */
		else if (t->stop_sent && !t->scrape_unsupported)
			begin(t, OP_SCRAPE, 0, now, io);
		else
			t->done = true;
		return t->done ? SW_TRACKER_NEVER : (t->op == OP_NONE ? now : t->deadline);
	}
	due = announce_due(t);
	if (now >= due) {
		begin(t, OP_ANNOUNCE, t->next_event, now, io);
	} else if (t->answered && !t->scrape_unsupported && now >= t->next_scrape) {
		begin(t, OP_SCRAPE, 0, now, io);
	}
	if (t->op != OP_NONE)
		return t->proto == SW_TRACKER_UDP ? t->deadline : SW_TRACKER_NEVER;
	due = announce_due(t);
	if (t->answered && !t->scrape_unsupported && t->next_scrape < due)
		due = t->next_scrape;
	return due > now ? due : now + 1;
}

void sw_tracker_stop(struct sw_tracker *t, int64_t now)
{
	(void)now;
	if (t->stopping)
		return;
	t->stopping = true;
	/* A UDP request still unanswered is abandoned: late replies are dropped. */
	if (t->proto == SW_TRACKER_UDP && t->op != OP_NONE)
		t->op = OP_NONE;
	if (!t->registered)
		t->done = t->op == OP_NONE;
}

bool sw_tracker_done(const struct sw_tracker *t)
{
	return t->done;
}

bool sw_tracker_stop_finished(const struct sw_tracker *t)
{
	return t->done || (t->stopping && t->op == OP_NONE && (t->stop_sent || !t->registered));
}

void sw_tracker_allow_final_scrape(struct sw_tracker *t)
{
	t->final_scrape_ok = true;
}
