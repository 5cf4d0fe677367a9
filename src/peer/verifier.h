/*
 * verifier.h - connect to harvested peers and see what they really hold.
 *
 * Every address a tracker, the DHT or a peer names is a candidate.  The
 * verifier connects to candidates under a global cap on concurrent
 * connections and one connection per IP and swarm at a time, stays
 * connected for a while (`linger`) to follow have messages, revisits
 * verified peers that are still downloading, and retries unreachable ones
 * with backoff up to a few attempts.  It also accepts incoming
 * connections for the swarms it knows (peers behind NAT reach us only that
 * way), and fetches metadata (BEP 9) for swarms known only by infohash:
 * from one peer at a time, verified against the infohash before a byte is
 * used, moving to another peer when one refuses, stalls or lies.
 *
 * Memory is bounded by the caps (connections, candidates), not by the
 * swarm's size.  Results leave through callbacks; the verifier keeps no
 * counts of its own beyond its candidates' states.
 */
#ifndef SW_VERIFIER_H
#define SW_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/types.h"
#include "net/loop.h"
#include "net/tcp.h"

struct sw_verifier;
struct sw_vswarm;

struct sw_verifier_update {
	struct sw_vswarm *swarm;
	void *swarm_ctx;
	struct sw_addr addr;  /* the peer's endpoint (incoming: its BEP 10 port if given) */
	bool incoming;
	enum sw_tier tier;    /* best reached so far */
	double have;          /* fraction held, -1 unknown */
	const char *client;   /* "" unknown */
};

struct sw_verifier_opts {
	struct sw_loop *loop;
	uint8_t peer_id[SW_PEER_ID_LEN];
	uint16_t listen_port;
	size_t max_conns;            /* concurrent connections (default 500) */
	size_t max_candidates;       /* per verifier (default 1,000,000) */
	int64_t connect_timeout_ms;  /* default 10 s */
	int64_t handshake_timeout_ms; /* default 10 s */
	int64_t idle_timeout_ms;     /* default 150 s */
	int64_t linger_ms;           /* time connected per visit (default 60 s) */
	int64_t revisit_ms;          /* gap before revisiting a partial peer (5 min) */
	int64_t retry_base_ms;       /* backoff after a failed connection (30 s) */
	int max_attempts;            /* failed connections before giving up (4) */
	bool prove;                  /* download one piece per verified peer and hash it */
	size_t max_proofs;           /* proofs at once (4): each holds a piece in memory */
	void *ctx;
	void (*update)(void *ctx, const struct sw_verifier_update *u);
	/* Peers learned from ut_pex: the owner checks them and adds them as candidates. */
	void (*pex)(void *ctx, struct sw_vswarm *sw, void *swarm_ctx, const struct sw_addr *peers,
		    size_t n);
	/* Verified metadata: the info dictionary's bytes. */
	void (*metadata)(void *ctx, struct sw_vswarm *sw, void *swarm_ctx, const uint8_t *info,
			 size_t len);
	void (*log)(void *ctx, const char *msg);
};

struct sw_verifier_stats {
	uint64_t connects, connect_failures, handshakes, protocol_errors;
	uint64_t incoming, incoming_refused, metadata_failures, proven;
	size_t active, candidates;
};

int sw_verifier_new(const struct sw_verifier_opts *o, struct sw_verifier **out);
void sw_verifier_free(struct sw_verifier *v); /* NULL-safe; closes every connection */

/*
 * Watch a swarm.  num_pieces 0: unknown, fetch metadata first (verified
 * against infohash, and against ih_v2 when not NULL).
 */
int sw_verifier_add_swarm(struct sw_verifier *v, const uint8_t infohash[SW_INFOHASH_LEN],
			  const uint8_t *ih_v2, uint32_t num_pieces, void *swarm_ctx,
			  struct sw_vswarm **out);
/* The piece count became known (the owner parsed the metadata). */
void sw_verifier_set_pieces(struct sw_verifier *v, struct sw_vswarm *sw, uint32_t num_pieces);
/*
 * For --prove: the v1 piece hashes (num_pieces * 20 bytes, copied), piece
 * length and total size.  Pieces above SW_VERIFIER_MAX_PROOF_PIECE are
 * not proved (SW_E_UNSUPPORTED): a proof holds a whole piece in memory.
 */
#ifndef SW_VERIFIER_MAX_PROOF_PIECE
#define SW_VERIFIER_MAX_PROOF_PIECE (16u << 20)
#endif
int sw_verifier_set_hashes(struct sw_verifier *v, struct sw_vswarm *sw, const uint8_t *hashes,
			   uint32_t num_pieces, uint64_t piece_length, uint64_t total_size);
/* A candidate address for sw (duplicates are ignored). */
void sw_verifier_add_peer(struct sw_verifier *v, struct sw_vswarm *sw, const struct sw_addr *a);
/* An accepted connection: read its handshake, pick the swarm, verify. */
void sw_verifier_accept(struct sw_verifier *v, struct sw_tcp *c);
/* Close every connection (results so far stand). */
void sw_verifier_stop(struct sw_verifier *v);
const struct sw_verifier_stats *sw_verifier_stats(struct sw_verifier *v);

#endif /* SW_VERIFIER_H */
