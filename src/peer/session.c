/*
 * session.c - one peer connection: handshake, what it holds, BEP 10/9/11.
 *
 *   CONNECTING --tcp up--> send handshake --> HANDSHAKE
 *   HANDSHAKE  --68 bytes, our infohash--> ACTIVE (send BEP 10 handshake,
 *              have none when the peer is fast; settle timer starts)
 *   ACTIVE     --3 s without a protocol error, or a clean close--> connectable
 *              bitfield / have / have all --> have count --> verified
 *              (what was shown before then is reported at that moment)
 *   any        --protocol error, EOF, timeout--> CLOSED (reason)
 *
 * For an incoming connection the peer speaks first: we read its handshake
 * before sending ours (the owner peeked at it to pick the swarm).
 */
#include "peer/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/time.h"
#include "peer/clientid.h"

#define KEEPALIVE_MS 90000

static void set_reason(struct sw_peer_session *s, const char *prefix, const char *detail)
{
	if (s->reason[0] == 0)
		snprintf(s->reason, sizeof(s->reason), "%s%s", prefix, detail ? detail : "");
}

/* End the session and tell the owner (last callback). */
static void finish(struct sw_peer_session *s, const char *prefix, const char *detail)
{
	if (s->state == SW_SESSION_CLOSED)
		return;
	set_reason(s, prefix, detail);
	s->state = SW_SESSION_CLOSED;
	if (s->deadline)
		evtimer_del(s->deadline);
	if (s->settle)
		evtimer_del(s->settle);
	if (s->keepalive)
		evtimer_del(s->keepalive);
	sw_tcp_close(s->tcp);
	s->tcp = NULL;
	if (s->cb.closed)
		s->cb.closed(s->cb.ctx, s);
}

static void protocol_error(struct sw_peer_session *s, const char *what)
{
	s->protocol_error = true;
	finish(s, "protocol error: ", what);
}

static void report_have(struct sw_peer_session *s);

/*
 * The peer's evidence stands: it shook hands for our infohash and has not
 * broken the protocol for SW_SESSION_SETTLE_MS (or closed cleanly before).
 * What it showed it holds in that time is reported now, and as it changes
 * from then on.  A fake that answers with a malformed bitfield, or floods
 * have messages, is dropped before this and stays `seen`.
 */
static void promote_connectable(struct sw_peer_session *s)
{
	if (s->connectable || s->protocol_error || s->state != SW_SESSION_ACTIVE)
		return;
	if (s->bits == NULL && s->early_bitfield != NULL) {
		/* A bitfield we cannot check yet (no piece count): wait for it. */
		s->settled = true;
		return;
	}
	s->connectable = true;
	if (s->settle)
		evtimer_del(s->settle);
	if (s->cb.connectable)
		s->cb.connectable(s->cb.ctx, s);
	if (s->state == SW_SESSION_ACTIVE)
		report_have(s);
}

static void report_have(struct sw_peer_session *s)
{
	if (s->bits == NULL || !s->connectable || s->cb.have == NULL)
		return;
	s->cb.have(s->cb.ctx, s, s->have.count, s->have.num_pieces);
}

static int send_bytes(struct sw_peer_session *s, const uint8_t *p, int n)
{
	if (n < 0)
		return n;
	return sw_tcp_write(s->tcp, p, (size_t)n);
}

static int send_handshake(struct sw_peer_session *s)
{
	uint8_t hs[SW_PW_HANDSHAKE_LEN];

	s->sent_handshake = true;
	return send_bytes(s, hs, sw_pw_build_handshake(hs, sizeof(hs), s->p.infohash, s->p.peer_id));
}

/* After both handshakes: our BEP 10 handshake, and have none. */
static void start_active(struct sw_peer_session *s)
{
	uint8_t msg[SW_PW_MSG_BARE_LEN];
	struct timeval settle = {SW_SESSION_SETTLE_MS / 1000, (SW_SESSION_SETTLE_MS % 1000) * 1000};

	s->state = SW_SESSION_ACTIVE;
	evtimer_del(s->deadline);
	if (sw_pw_reserved_has_ext(s->hs.reserved)) {
		struct sw_px_handshake_req req = {SW_PX_LOCAL_UT_METADATA, SW_PX_LOCAL_UT_PEX, NULL,
						  s->p.listen_port, 0};
		struct sw_buf b;

		sw_buf_init(&b, 4096);
		if (sw_px_build_handshake(&b, &req) == SW_OK)
			sw_tcp_write(s->tcp, b.data, b.len);
		sw_buf_deinit(&b);
	}
	if (sw_pw_reserved_has_fast(s->hs.reserved))
		send_bytes(s, msg, sw_pw_build_have_none(msg, sizeof(msg)));
	sw_tcp_set_idle_timeout(s->tcp, s->p.idle_timeout_ms);
	evtimer_add(s->settle, &settle);
}

static void read_handshake(struct sw_peer_session *s)
{
	size_t n = sw_tcp_input_len(s->tcp);
	const uint8_t *p;
	struct sw_errbuf eb = {{0}};
	int rc;

	if (n > SW_PW_HANDSHAKE_LEN)
		n = SW_PW_HANDSHAKE_LEN;
	if (n == 0 || (p = sw_tcp_peek(s->tcp, n)) == NULL)
		return;
	rc = sw_pw_parse_handshake(p, n, &s->hs, &eb);
	if (rc == SW_E_NEED_MORE)
		return;
	if (rc != SW_OK) {
		protocol_error(s, eb.msg[0] ? eb.msg : "bad handshake");
		return;
	}
	if (memcmp(s->hs.infohash, s->p.infohash, SW_INFOHASH_LEN) != 0) {
		protocol_error(s, "handshake for another infohash");
		return;
	}
	if (memcmp(s->hs.peer_id, s->p.peer_id, SW_PEER_ID_LEN) == 0) {
		/* Our own address came back to us: not a peer, and no breach. */
		s->self = true;
		finish(s, "connected to ourselves", NULL);
		return;
	}
	sw_tcp_consume(s->tcp, SW_PW_HANDSHAKE_LEN);
	s->handshaken = 1;
	sw_clientid_from_peer_id(s->hs.peer_id, s->client, sizeof(s->client));
	if (!s->sent_handshake && send_handshake(s) != SW_OK) {
		finish(s, "cannot send handshake", NULL);
		return;
	}
	start_active(s);
}

/* --- what the peer holds ---------------------------------------------------- */

static int keep_early_bitfield(struct sw_peer_session *s, const uint8_t *bits, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (copy == NULL)
		return SW_E_NOMEM;
	memcpy(copy, bits, len);
	free(s->early_bitfield);
	s->early_bitfield = copy;
	s->early_bitfield_len = len;
	return SW_OK;
}

static void on_bitfield(struct sw_peer_session *s, const struct sw_pw_msg *m)
{
	struct sw_errbuf eb = {{0}};

	if (s->bits == NULL) {
		if (keep_early_bitfield(s, m->data, m->data_len) != SW_OK)
			finish(s, "out of memory", NULL);
		return;
	}
	if (sw_pw_have_bitfield(&s->have, m->data, m->data_len, &eb) != SW_OK) {
		protocol_error(s, eb.msg);
		return;
	}
	report_have(s);
}

static void on_have(struct sw_peer_session *s, uint32_t index)
{
	struct sw_errbuf eb = {{0}};
	uint32_t before = s->have.count;

	if (s->bits == NULL) {
		uint32_t *h;

		if (s->n_early_haves >= SW_SESSION_MAX_EARLY_HAVES)
			return;
		h = realloc(s->early_haves, (s->n_early_haves + 1) * sizeof(*h));
		if (h == NULL)
			return;
		s->early_haves = h;
		s->early_haves[s->n_early_haves++] = index;
		return;
	}
	/* A peer announces each piece once; a flood of haves is not evidence. */
	if (++s->haves > 2 * (uint64_t)s->have.num_pieces + SW_SESSION_HAVE_SLACK) {
		snprintf(eb.msg, sizeof(eb.msg), "have flood: %llu have messages for %u pieces",
			 (unsigned long long)s->haves, s->have.num_pieces);
		protocol_error(s, eb.msg);
		return;
	}
	if (sw_pw_have_add(&s->have, index, &eb) != SW_OK) {
		protocol_error(s, eb.msg);
		return;
	}
	if (s->have.count != before)
		report_have(s);
}

static void on_have_all(struct sw_peer_session *s)
{
	s->have_all = true;
	if (s->bits == NULL)
		return;
	sw_pw_have_all(&s->have);
	report_have(s);
}

/* --- BEP 10 / 9 / 11 --------------------------------------------------------- */

static void on_ext_handshake(struct sw_peer_session *s, const struct sw_pw_msg *m)
{
	struct sw_errbuf eb = {{0}};

	if (sw_px_parse_handshake(m->data, m->data_len, &s->ext, &eb) != SW_OK) {
		protocol_error(s, eb.msg[0] ? eb.msg : "bad extension handshake");
		return;
	}
	s->has_ext = true;
	if (s->ext.has_client && s->ext.client[0])
		sw_clientid_describe(s->hs.peer_id, (const uint8_t *)s->ext.client,
				     strlen(s->ext.client), s->client, sizeof(s->client));
	if (s->cb.ext_handshake && s->state == SW_SESSION_ACTIVE)
		s->cb.ext_handshake(s->cb.ctx, s);
}

static void on_pex(struct sw_peer_session *s, const struct sw_pw_msg *m)
{
	struct sw_px_pex_peer added[2 * SW_PX_PEX_MAX_ADDED];
	struct sw_px_pex out;
	struct sw_errbuf eb = {{0}};

	s->pex_msgs++;
	/*
	 * BEP 11: "no more than once a minute".  Messages that come sooner are
	 * ignored (and counted): a flood of gossip is not evidence.
	 */
	if (s->pex_seen && sw_time_mono_ms() - s->last_pex < SW_SESSION_PEX_MIN_GAP_MS) {
		s->pex_ignored++;
		return;
	}
	s->last_pex = sw_time_mono_ms();
	if (sw_px_parse_pex(m->data, m->data_len, !s->pex_seen, added, 2 * SW_PX_PEX_MAX_ADDED,
			    NULL, 0, &out, &eb) != SW_OK) {
		protocol_error(s, eb.msg[0] ? eb.msg : "bad ut_pex message");
		return;
	}
	s->pex_seen = true;
	if (out.num_added > 0 && s->cb.pex)
		s->cb.pex(s->cb.ctx, s, added, out.num_added);
}

static void on_metadata_msg(struct sw_peer_session *s, const struct sw_pw_msg *m)
{
	struct sw_px_metadata_msg mm;
	struct sw_errbuf eb = {{0}};

	if (sw_px_parse_metadata(m->data, m->data_len, s->has_ext ? s->ext.metadata_size : -1, &mm,
				 &eb) != SW_OK) {
		protocol_error(s, eb.msg[0] ? eb.msg : "bad ut_metadata message");
		return;
	}
	if (s->cb.metadata == NULL)
		return;
	if (mm.msg_type == SW_PX_METADATA_DATA)
		s->cb.metadata(s->cb.ctx, s, mm.piece, mm.data, mm.data_len);
	else if (mm.msg_type == SW_PX_METADATA_REJECT)
		s->cb.metadata(s->cb.ctx, s, mm.piece, NULL, 0);
	/* requests: we hold no metadata to give; they go unanswered */
}

static void on_extended(struct sw_peer_session *s, const struct sw_pw_msg *m)
{
	if (m->ext_id == SW_PX_EXT_HANDSHAKE)
		on_ext_handshake(s, m);
	else if (m->ext_id == SW_PX_LOCAL_UT_PEX)
		on_pex(s, m);
	else if (m->ext_id == SW_PX_LOCAL_UT_METADATA)
		on_metadata_msg(s, m);
}

/* --- proving: one piece, hashed ---------------------------------------------- */

#define PROVE_WINDOW 64 /* blocks outstanding at once */

static void prove_done(struct sw_peer_session *s, bool ok, const char *why)
{
	s->prove.active = false;
	free(s->prove.buf);
	free(s->prove.got);
	s->prove.buf = s->prove.got = NULL;
	if (s->cb.proved)
		s->cb.proved(s->cb.ctx, s, ok, why);
}

static uint32_t block_len(const struct sw_peer_session *s, uint32_t b)
{
	uint32_t off = b * SW_PW_BLOCK_LEN;

	return s->prove.piece_len - off < SW_PW_BLOCK_LEN ? s->prove.piece_len - off
							  : SW_PW_BLOCK_LEN;
}

/* Keep PROVE_WINDOW requests in flight while unchoked. */
static void prove_request(struct sw_peer_session *s)
{
	uint8_t msg[SW_PW_MSG_REQUEST_LEN];

	while (s->prove.active && s->prove.unchoked && s->prove.outstanding < PROVE_WINDOW &&
	       s->prove.next_block < s->prove.nblocks) {
		uint32_t b = s->prove.next_block++;

		if (s->prove.got[b])
			continue;
		if (send_bytes(s, msg,
			       sw_pw_build_request(msg, sizeof(msg), s->prove.piece,
						   b * SW_PW_BLOCK_LEN, block_len(s, b))) != SW_OK)
			return;
		s->prove.outstanding++;
	}
}

static void prove_block(struct sw_peer_session *s, const struct sw_pw_msg *m)
{
	uint32_t b = m->begin / SW_PW_BLOCK_LEN;
	uint8_t digest[SW_SHA1_LEN];

	if (!s->prove.active || m->index != s->prove.piece || m->begin % SW_PW_BLOCK_LEN != 0 ||
	    b >= s->prove.nblocks || m->data_len != block_len(s, b) || s->prove.got[b])
		return; /* not ours (or a duplicate): ignore */
	memcpy(s->prove.buf + m->begin, m->data, m->data_len);
	s->prove.got[b] = 1;
	s->prove.received++;
	if (s->prove.outstanding > 0)
		s->prove.outstanding--;
	if (s->prove.received < s->prove.nblocks) {
		prove_request(s);
		return;
	}
	if (sw_sha1(s->prove.buf, s->prove.piece_len, digest) != SW_OK)
		prove_done(s, false, "cannot hash");
	else if (memcmp(digest, s->prove.hash, SW_SHA1_LEN) != 0)
		prove_done(s, false, "piece does not match its hash");
	else
		prove_done(s, true, "piece matches its hash");
}

/* Choked: BEP 3 drops our pending requests; ask again from the first gap. */
static void prove_choked(struct sw_peer_session *s)
{
	s->prove.unchoked = false;
	s->prove.outstanding = 0;
	s->prove.next_block = 0;
}

int sw_peer_session_prove(struct sw_peer_session *s, uint32_t piece, uint32_t piece_len,
			  const uint8_t hash[20])
{
	uint8_t msg[SW_PW_MSG_BARE_LEN];

	if (s->state != SW_SESSION_ACTIVE || s->prove.active || piece_len == 0 ||
	    s->bits == NULL || !sw_pw_have_get(&s->have, piece))
		return SW_E_INVALID;
	memset(&s->prove, 0, sizeof(s->prove));
	s->prove.piece = piece;
	s->prove.piece_len = piece_len;
	s->prove.nblocks = (piece_len + SW_PW_BLOCK_LEN - 1) / SW_PW_BLOCK_LEN;
	memcpy(s->prove.hash, hash, SW_SHA1_LEN);
	s->prove.buf = malloc(piece_len);
	s->prove.got = calloc(s->prove.nblocks, 1);
	if (s->prove.buf == NULL || s->prove.got == NULL) {
		free(s->prove.buf);
		free(s->prove.got);
		memset(&s->prove, 0, sizeof(s->prove));
		return SW_E_NOMEM;
	}
	s->prove.active = true;
	s->prove.unchoked = s->peer_unchoked;
	s->prove.interested_sent = true;
	send_bytes(s, msg, sw_pw_build_interested(msg, sizeof(msg)));
	prove_request(s);
	return SW_OK;
}

static void handle(struct sw_peer_session *s, const struct sw_pw_msg *m)
{
	s->msgs++;
	switch (m->id) {
	case SW_PW_UNCHOKE:
		s->peer_unchoked = true;
		s->prove.unchoked = true;
		prove_request(s);
		return;
	case SW_PW_CHOKE:
		s->peer_unchoked = false;
		if (s->prove.active)
			prove_choked(s);
		return;
	case SW_PW_PIECE:
		prove_block(s, m);
		return;
	case SW_PW_REJECT:
		if (s->prove.active && m->index == s->prove.piece)
			prove_done(s, false, "peer rejected our request");
		return;
	case SW_PW_BITFIELD: on_bitfield(s, m); return;
	case SW_PW_HAVE: on_have(s, m->index); return;
	case SW_PW_HAVE_ALL: on_have_all(s); return;
	case SW_PW_EXTENDED: on_extended(s, m); return;
	case SW_PW_HAVE_NONE:
	default:
		/* keep-alive, choke, unchoke, interest, requests, ... : nothing to learn */
		return;
	}
}

static void read_messages(struct sw_peer_session *s)
{
	for (int i = 0; i < SW_SESSION_MAX_MSGS_PER_READ && s->state == SW_SESSION_ACTIVE; i++) {
		size_t n = sw_tcp_input_len(s->tcp), consumed = 0, want;
		const uint8_t *p;
		struct sw_pw_msg m;
		struct sw_errbuf eb = {{0}};
		int rc;

		if (n < SW_PW_LEN_PREFIX)
			return;
		p = sw_tcp_peek(s->tcp, SW_PW_LEN_PREFIX);
		want = SW_PW_LEN_PREFIX + ((size_t)p[0] << 24 | (size_t)p[1] << 16 |
					   (size_t)p[2] << 8 | p[3]);
		if (want > SW_PW_LEN_PREFIX + SW_PW_MAX_MSG_LEN) {
			protocol_error(s, "message length prefix too large");
			return;
		}
		if (n < want)
			return; /* READ_LATER: the rest is on its way */
		p = sw_tcp_peek(s->tcp, want);
		rc = sw_pw_next_message(p, want, &m, &consumed, &eb);
		if (rc != SW_OK) {
			protocol_error(s, eb.msg[0] ? eb.msg : sw_strerror(rc));
			return;
		}
		handle(s, &m);
		if (s->state != SW_SESSION_ACTIVE)
			return;
		sw_tcp_consume(s->tcp, consumed);
	}
}

/* --- the connection ------------------------------------------------------- */

static void on_tcp(void *ctx, struct sw_tcp *c, enum sw_tcp_event ev, const char *reason)
{
	struct sw_peer_session *s = ctx;

	(void)c;
	switch (ev) {
	case SW_TCP_CONNECTED:
		s->state = SW_SESSION_HANDSHAKE;
		sw_tcp_set_idle_timeout(s->tcp, s->p.handshake_timeout_ms);
		if (send_handshake(s) != SW_OK)
			finish(s, "cannot send handshake", NULL);
		return;
	case SW_TCP_READABLE:
		if (s->state == SW_SESSION_HANDSHAKE)
			read_handshake(s);
		if (s->state == SW_SESSION_ACTIVE)
			read_messages(s);
		return;
	case SW_TCP_CLOSED:
		/* A peer that shook hands and then left cleanly was there. */
		if (s->state == SW_SESSION_ACTIVE && !s->protocol_error)
			promote_connectable(s);
		finish(s, s->state == SW_SESSION_CONNECTING ? "connect failed: "
			  : s->state == SW_SESSION_HANDSHAKE ? "during handshake: "
								: "",
		       reason);
		return;
	}
}

/* The handshake must be complete by then, however slowly its bytes trickle. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct sw_peer_session *s = arg;

	(void)fd;
	(void)what;
	if (s->state == SW_SESSION_CONNECTING)
		finish(s, "connect failed: ", "timeout");
	else if (s->state == SW_SESSION_HANDSHAKE)
		protocol_error(s, "handshake not complete in time (slow peer)");
}

static void on_settle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	promote_connectable(arg);
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct sw_peer_session *s = arg;
	uint8_t ka[SW_PW_MSG_KEEPALIVE_LEN];

	(void)fd;
	(void)what;
	if (s->state == SW_SESSION_ACTIVE)
		send_bytes(s, ka, sw_pw_build_keepalive(ka, sizeof(ka)));
}

int sw_peer_session_new(struct sw_loop *loop, struct sw_tcp *tcp,
			const struct sw_peer_session_params *p, const struct sw_peer_session_cb *cb,
			struct sw_peer_session **out)
{
	struct sw_peer_session *s = calloc(1, sizeof(*s));
	struct timeval ka = {KEEPALIVE_MS / 1000, 0};

	*out = NULL;
	if (s == NULL)
		return SW_E_NOMEM;
	s->p = *p;
	s->cb = *cb;
	s->loop = loop;
	s->tcp = tcp;
	s->addr = *sw_tcp_remote(tcp);
	s->settle = evtimer_new(loop->base, on_settle, s);
	s->deadline = evtimer_new(loop->base, on_deadline, s);
	s->keepalive = event_new(loop->base, -1, EV_PERSIST, on_keepalive, s);
	if (s->settle == NULL || s->keepalive == NULL || s->deadline == NULL) {
		s->tcp = NULL; /* the caller still owns tcp on failure */
		sw_peer_session_free(s);
		return SW_E_NOMEM;
	}
	if (p->num_pieces > 0)
		sw_peer_session_set_pieces(s, p->num_pieces);
	evtimer_add(s->keepalive, &ka);
	if (p->handshake_timeout_ms > 0) {
		struct timeval dl = {(time_t)(p->handshake_timeout_ms / 1000),
				     (suseconds_t)(p->handshake_timeout_ms % 1000) * 1000};

		evtimer_add(s->deadline, &dl);
	}
	sw_tcp_set_cb(tcp, on_tcp, s);
	if (p->incoming) {
		/* The peer spoke first; its handshake may be buffered already. */
		s->state = SW_SESSION_HANDSHAKE;
		sw_tcp_set_idle_timeout(tcp, p->handshake_timeout_ms);
	} else {
		s->state = SW_SESSION_CONNECTING;
	}
	*out = s;
	return SW_OK;
}

/* For an incoming session: process what is already buffered. */
void sw_peer_session_kick(struct sw_peer_session *s)
{
	on_tcp(s, s->tcp, SW_TCP_READABLE, NULL);
}

void sw_peer_session_free(struct sw_peer_session *s)
{
	if (s == NULL)
		return;
	if (s->settle)
		event_free(s->settle);
	if (s->deadline)
		event_free(s->deadline);
	if (s->keepalive)
		event_free(s->keepalive);
	sw_tcp_close(s->tcp);
	free(s->prove.buf);
	free(s->prove.got);
	free(s->bits);
	free(s->early_bitfield);
	free(s->early_haves);
	free(s);
}

void sw_peer_session_set_pieces(struct sw_peer_session *s, uint32_t num_pieces)
{
	struct sw_errbuf eb = {{0}};

	if (s->bits != NULL || num_pieces == 0)
		return;
	s->bits = calloc(sw_pw_bitfield_len(num_pieces), 1);
	if (s->bits == NULL)
		return;
	s->p.num_pieces = num_pieces;
	sw_pw_have_init(&s->have, s->bits, num_pieces);
	if (s->early_bitfield != NULL &&
	    sw_pw_have_bitfield(&s->have, s->early_bitfield, s->early_bitfield_len, &eb) != SW_OK) {
		protocol_error(s, eb.msg);
		return;
	}
	for (size_t i = 0; i < s->n_early_haves; i++) {
		if (sw_pw_have_add(&s->have, s->early_haves[i], &eb) != SW_OK) {
			protocol_error(s, eb.msg);
			return;
		}
	}
	if (s->have_all)
		sw_pw_have_all(&s->have);
	free(s->early_bitfield);
	free(s->early_haves);
	s->early_bitfield = NULL;
	s->early_haves = NULL;
	s->n_early_haves = 0;
	if (s->settled && !s->connectable)
		promote_connectable(s); /* reports what it holds, too */
	else
		report_have(s);
}

int sw_peer_session_request_metadata(struct sw_peer_session *s, uint32_t piece)
{
	struct sw_buf b;
	int rc;

	if (s->state != SW_SESSION_ACTIVE || !s->has_ext || !s->ext.has_ut_metadata)
		return SW_E_UNSUPPORTED;
	sw_buf_init(&b, 256);
	rc = sw_px_build_metadata_request(&b, s->ext.ut_metadata, piece);
	if (rc == SW_OK)
		rc = sw_tcp_write(s->tcp, b.data, b.len);
	sw_buf_deinit(&b);
	return rc;
}

void sw_peer_session_close(struct sw_peer_session *s, const char *reason)
{
	if (s->state == SW_SESSION_CLOSED)
		return;
	set_reason(s, "", reason);
	s->state = SW_SESSION_CLOSED;
	sw_tcp_close(s->tcp);
	s->tcp = NULL;
}

double sw_peer_session_have_fraction(const struct sw_peer_session *s)
{
	if (s->bits == NULL || s->have.num_pieces == 0)
		return -1;
	return (double)s->have.count / (double)s->have.num_pieces;
}

int sw_peer_session_connect(struct sw_loop *loop, const struct sw_addr *to, int64_t timeout_ms,
			    const struct sw_peer_session_params *p,
			    const struct sw_peer_session_cb *cb, struct sw_peer_session **out)
{
	struct sw_peer_session *s;
	struct sw_tcp *tcp;
	int rc;

	*out = NULL;
	/* Callbacks are deferred to the loop, so none can fire before s exists. */
	rc = sw_tcp_connect(loop, to, timeout_ms, on_tcp, NULL, &tcp);
	if (rc)
		return rc;
	rc = sw_peer_session_new(loop, tcp, p, cb, &s);
	if (rc) {
		sw_tcp_close(tcp);
		return rc;
	}
	*out = s;
	return SW_OK;
}
