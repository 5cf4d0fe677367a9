/*
 * session.h - one BitTorrent connection, as a monitor uses it.
 *
 * A monitor does not download: it connects, handshakes, listens to what
 * the peer says it holds, and leaves.  What a session can establish, in
 * DESIGN.md's tiers:
 *
 *   connectable  the peer completed a handshake for our infohash and did
 *                not break the protocol in what followed (a peer that
 *                sends a malformed bitfield right after the handshake is
 *                a fake, and stays `seen`);
 *   verified     its bitfield / have / have all shows at least one piece
 *                (the fraction is kept up to date while connected).
 *
 * Along the way it reads the BEP 10 handshake (client `v`, metadata size,
 * ut_metadata and ut_pex ids), relays ut_pex peers, and, when asked,
 * fetches metadata pieces (BEP 9) for its owner.
 *
 * Reading is a resumable state machine over the connection's input
 * (sw_pw_next_message): a message is handled only when all of it has
 * arrived, and a length prefix above SW_PW_MAX_MSG_LEN drops the peer
 * before any of it is buffered.  Every way a session ends has a reason
 * string for the log.
 *
 * Ownership: the owner creates a session over a connected (or connecting)
 * struct sw_tcp, which the session then owns, and frees it with
 * sw_peer_session_free(); the on_closed callback is the last one, after
 * which the owner must free the session (not from inside other callbacks).
 */
#ifndef SW_PEER_SESSION_H
#define SW_PEER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/types.h"
#include "net/loop.h"
#include "net/tcp.h"
#include "proto/peerext.h"
#include "proto/peerwire.h"

#define SW_SESSION_REASON_LEN 160
#define SW_SESSION_CLIENT_LEN 64

#ifndef SW_SESSION_SETTLE_MS
#define SW_SESSION_SETTLE_MS 3000 /* a handshake stands as `connectable` after this */
#endif
#ifndef SW_SESSION_MAX_EARLY_HAVES
#define SW_SESSION_MAX_EARLY_HAVES 4096 /* haves kept before the piece count is known */
#endif
#ifndef SW_SESSION_PEX_MIN_GAP_MS
#define SW_SESSION_PEX_MIN_GAP_MS 45000 /* BEP 11 says once a minute; allow some jitter */
#endif
#ifndef SW_SESSION_HAVE_SLACK
#define SW_SESSION_HAVE_SLACK 1000 /* haves beyond 2 per piece before a flood is called */
#endif
#ifndef SW_SESSION_MAX_MSGS_PER_READ
#define SW_SESSION_MAX_MSGS_PER_READ 1024 /* then yield to the loop */
#endif

struct sw_peer_session;

struct sw_peer_session_cb {
	void *ctx;
	/* The peer proved `connectable`. */
	void (*connectable)(void *ctx, struct sw_peer_session *s);
	/* What it holds changed: have_count of num_pieces (num_pieces > 0). */
	void (*have)(void *ctx, struct sw_peer_session *s, uint32_t have_count,
		     uint32_t num_pieces);
	/* Its BEP 10 handshake arrived (s->ext holds it). */
	void (*ext_handshake)(void *ctx, struct sw_peer_session *s);
	/* Peers it told us about (ut_pex added / added6). */
	void (*pex)(void *ctx, struct sw_peer_session *s, const struct sw_px_pex_peer *peers,
		    size_t n);
	/* A metadata piece (data) or a refusal (data NULL). */
	void (*metadata)(void *ctx, struct sw_peer_session *s, uint32_t piece,
			 const uint8_t *data, size_t len);
	/* A proof finished (sw_peer_session_prove): ok if the piece hashed right. */
	void (*proved)(void *ctx, struct sw_peer_session *s, bool ok, const char *why);
	/* The session ended; s->reason says why.  Free it after this returns. */
	void (*closed)(void *ctx, struct sw_peer_session *s);
};

struct sw_peer_session_params {
	uint8_t infohash[SW_INFOHASH_LEN];
	uint8_t peer_id[SW_PEER_ID_LEN];  /* ours */
	uint32_t num_pieces;               /* 0: not known yet (magnet) */
	uint16_t listen_port;              /* sent in the BEP 10 handshake */
	int64_t handshake_timeout_ms;
	int64_t idle_timeout_ms;
	bool incoming;                     /* the peer connected to us */
};

enum sw_session_state { SW_SESSION_CONNECTING, SW_SESSION_HANDSHAKE, SW_SESSION_ACTIVE,
			SW_SESSION_CLOSED };

struct sw_peer_session {
	struct sw_peer_session_params p;
	struct sw_peer_session_cb cb;
	struct sw_loop *loop;
	struct sw_tcp *tcp;
	struct sw_addr addr;
	enum sw_session_state state;
	bool sent_handshake;
	bool connectable;      /* promoted (callback fired) */
	bool protocol_error;   /* the peer broke the protocol */
	struct sw_pw_handshake hs;   /* the peer's */
	struct sw_px_handshake ext;  /* its BEP 10 handshake, when has_ext */
	bool has_ext;
	char client[SW_SESSION_CLIENT_LEN]; /* from peer id and `v` */
	/* What it holds.  Before the piece count is known: raw evidence. */
	uint8_t *bits;
	struct sw_pw_have have;
	bool have_all, pending_bitfield;
	uint8_t *early_bitfield;
	size_t early_bitfield_len;
	uint32_t *early_haves;
	size_t n_early_haves;
	bool pex_seen;         /* first ut_pex message arrived (BEP 11 limits differ) */
	bool peer_unchoked;    /* the peer unchoked us */
	bool self;             /* the peer id was ours: we reached ourselves */
	bool settled;          /* settle time passed while its bitfield was unchecked */
	uint64_t msgs, pex_msgs, pex_ignored;
	int64_t last_pex;      /* when the last ut_pex message was taken */
	int64_t started, handshaken;
	struct event *settle;
	struct event *deadline; /* the handshake must be done by then */
	uint64_t haves;         /* have messages received */
	struct event *keepalive;
	char reason[SW_SESSION_REASON_LEN];
	/* Proving (--prove): one whole piece downloaded and hashed. */
	struct {
		bool active, unchoked, interested_sent;
		uint32_t piece, piece_len, nblocks, next_block, received, outstanding;
		uint8_t hash[20];
		uint8_t *buf, *got; /* the piece; a byte per block: received */
	} prove;
};

/*
 * Start a session over tcp (connecting for outgoing, accepted for
 * incoming; for incoming, the peer's handshake may already be buffered and
 * infohash is set by the owner after sw_peer_session_peek_infohash()).
 */
int sw_peer_session_new(struct sw_loop *loop, struct sw_tcp *tcp,
			const struct sw_peer_session_params *p, const struct sw_peer_session_cb *cb,
			struct sw_peer_session **out);
/* Connect to `to` and start an outgoing session over it. */
int sw_peer_session_connect(struct sw_loop *loop, const struct sw_addr *to, int64_t timeout_ms,
			    const struct sw_peer_session_params *p,
			    const struct sw_peer_session_cb *cb, struct sw_peer_session **out);
void sw_peer_session_free(struct sw_peer_session *s); /* NULL-safe; closes the connection */
/* Incoming: process the handshake the owner found buffered. */
void sw_peer_session_kick(struct sw_peer_session *s);

/* The piece count became known (metadata fetched): apply what was kept. */
void sw_peer_session_set_pieces(struct sw_peer_session *s, uint32_t num_pieces);
/* Ask for metadata piece i (the peer announced ut_metadata). */
int sw_peer_session_request_metadata(struct sw_peer_session *s, uint32_t piece);
/*
 * Prove the peer: download piece `piece` (piece_len bytes) from it and check
 * it against hash (SHA-1, v1).  Sends interested, requests the blocks once
 * unchoked (a window of them at a time), and reports through cb.proved.
 */
int sw_peer_session_prove(struct sw_peer_session *s, uint32_t piece, uint32_t piece_len,
			  const uint8_t hash[20]);
/* End the session from outside (e.g. linger over); no callback. */
void sw_peer_session_close(struct sw_peer_session *s, const char *reason);

/* The fraction of pieces shown, or -1 when the piece count is unknown. */
double sw_peer_session_have_fraction(const struct sw_peer_session *s);

#endif /* SW_PEER_SESSION_H */
