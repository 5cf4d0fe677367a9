/*
 * tracker.h - one tracker as a monitor uses it: announce, scrape, repeat.
 *
 * A client announces to one tracker per tier and stops when it has enough
 * peers; a monitor wants every peer every tracker knows.  So every tracker
 * of every tier gets its own struct sw_tracker, and each one:
 *
 *   1. announces with event=started, numwant as high as trackers allow,
 *      as a leecher (trackers return only leechers to seeds);
 *   2. scrapes for seeders / leechers / completed;
 *   3. while the tracker's counts say the swarm holds more peers than it
 *      has named to us, announces again to draw another random sample,
 *      never sooner than its `min interval` or, without one, the
 *      re-announce floor; otherwise it waits its `interval`;
 *   4. on stop, announces event=stopped and scrapes once more, so the
 *      last counts it reports are the swarm's without us.
 *
 * Failures back off exponentially per tracker.  UDP requests are
 * retransmitted on BEP 15's schedule, 15 * 2^n seconds, except that the
 * first timeout is configurable (a monitor cannot wait 15 s for a dead
 * tracker in a 60 s run); connection ids are reused for at most 60 s.
 *
 * This module does no I/O: the caller resolves the host, owns the UDP
 * socket and the HTTP client, and hands back what arrives; it calls
 * sw_tracker_poll() at the deadline it is given.  Every outgoing request
 * leaves through the callbacks in struct sw_tracker_io.
 */
#ifndef SW_TRACKER_H
#define SW_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/types.h"

#define SW_TRACKER_NEVER INT64_MAX
#define SW_TRACKER_ERRLEN 200
#define SW_TRACKER_MAX_PEERS_PER_REPLY 4096

#ifndef SW_TRACKER_CONN_ID_TTL_MS
#define SW_TRACKER_CONN_ID_TTL_MS 60000 /* BEP 15: one minute */
#endif

enum sw_tracker_proto { SW_TRACKER_UDP, SW_TRACKER_HTTP };

struct sw_tracker_params {
	uint8_t infohash[SW_INFOHASH_LEN];
	uint8_t peer_id[SW_PEER_ID_LEN]; /* stable for the swarm */
	uint32_t key;                    /* stable for the swarm (BEP 7) */
	uint16_t port;                   /* our listen port */
	uint64_t left;                   /* what we claim to miss: we are a leecher */
	int32_t numwant;
	int64_t reannounce_floor_ms; /* least gap between announces without min interval */
	int64_t udp_first_timeout_ms; /* BEP 15 says 15 s */
	int udp_max_retries;          /* BEP 15 says 8 */
	int64_t retry_base_ms;        /* backoff after a failure, doubled each time */
	int64_t retry_max_ms;
};

struct sw_tracker;

/* How the tracker talks to the world; ctx is the caller's. */
struct sw_tracker_io {
	void *ctx;
	/* Send a datagram to t's resolved address. */
	int (*send_udp)(void *ctx, struct sw_tracker *t, const uint8_t *p, size_t n);
	/* Start a GET of url; the caller later calls sw_tracker_http_done(). */
	int (*http_get)(void *ctx, struct sw_tracker *t, const char *url);
	/* Peers named by one reply (peers[] is valid during the call). */
	void (*peers)(void *ctx, struct sw_tracker *t, const struct sw_addr *peers, size_t n);
	/* New scrape counts are in t (seeders, leechers, completed). */
	void (*scraped)(void *ctx, struct sw_tracker *t);
	/* Something worth logging: a failure, a warning, a dropped reply. */
	void (*log)(void *ctx, struct sw_tracker *t, const char *msg);
	uint32_t (*random32)(void *ctx);
};

enum sw_tracker_op { OP_NONE = 0, OP_CONNECT, OP_ANNOUNCE, OP_SCRAPE };

struct sw_tracker {
	char *url;
	enum sw_tracker_proto proto;
	int index;          /* the caller's number for it */
	char host[256];     /* UDP: to resolve */
	uint16_t host_port; /* UDP */
	bool resolved;      /* UDP: addr is set */
	struct sw_addr addr;
	struct sw_tracker_params p;

	/* The one request in flight, and the one it serves (a connect serves
	 * an announce or a scrape). */
	enum sw_tracker_op op, want_op;
	int op_event;       /* the announce's event */
	uint32_t txid;
	int attempt;
	int64_t deadline;   /* UDP retransmit; HTTP has curl's timeout */
	uint64_t conn_id;
	int64_t conn_expiry;

	/* Schedule. */
	int64_t next_announce, next_scrape;
	int next_event;     /* event of the next announce */
	bool registered;    /* the tracker took an announce of ours */
	bool stopping, stop_sent, done;
	bool final_scrape_ok; /* the caller's go-ahead: every tracker has stopped */
	bool scrape_unsupported;
	int failures;

	/* What it told us. */
	bool ok;                 /* last announce succeeded */
	bool answered;           /* any announce ever succeeded */
	char error[SW_TRACKER_ERRLEN];   /* last announce failure, "" if none */
	char warning[SW_TRACKER_ERRLEN];
	int64_t interval_ms, min_interval_ms; /* 0 when not given */
	uint8_t tracker_id[128];
	size_t tracker_id_len;
	bool has_scrape;
	int64_t seeders, leechers, completed;
	int64_t last_announce;
	size_t known;       /* distinct peers it has named (kept by the caller) */

	struct {
		uint64_t announces, scrapes, peers, replies;
		uint64_t drop_short, drop_txid, drop_action, drop_source;
		uint64_t timeouts, http_errors;
	} stats;
};

/*
 * Make a tracker for url ("udp://host:port[/path]" or "http(s)://...").
 * SW_E_UNSUPPORTED for other schemes, SW_E_INVALID for a malformed URL,
 * with eb saying which.  Free with sw_tracker_free().
 */
int sw_tracker_new(const char *url, const struct sw_tracker_params *p, int index,
		   struct sw_tracker **out, struct sw_errbuf *eb);
void sw_tracker_free(struct sw_tracker *t);

/* UDP: the host resolved (or failed to: addr NULL and a message). */
void sw_tracker_resolved(struct sw_tracker *t, const struct sw_addr *addr, const char *err,
			 int64_t now, const struct sw_tracker_io *io);

/* Do what is due; returns the next time (ms) it wants to be polled. */
int64_t sw_tracker_poll(struct sw_tracker *t, int64_t now, const struct sw_tracker_io *io);

/* A datagram from the tracker's address (the caller matched the source). */
void sw_tracker_udp_input(struct sw_tracker *t, const uint8_t *p, size_t n, int64_t now,
			  const struct sw_tracker_io *io);
/* Does this datagram answer t's request in flight (its transaction id)? */
bool sw_tracker_udp_expects(const struct sw_tracker *t, const uint8_t *p, size_t n);

/* The HTTP request started by io->http_get finished. */
void sw_tracker_http_done(struct sw_tracker *t, int rc, long status, const uint8_t *body,
			  size_t len, const char *err, int64_t now, const struct sw_tracker_io *io);

/* Leave the swarm: event=stopped (if we registered), a last scrape, done. */
void sw_tracker_stop(struct sw_tracker *t, int64_t now);
/*
 * Has the event=stopped announce finished (or was none needed)?  The last
 * scrape waits for sw_tracker_allow_final_scrape(), which the caller gives
 * once every tracker of the swarm has stopped: trackers that share one
 * swarm (opentracker's UDP and HTTP ports) would otherwise count us still.
 */
bool sw_tracker_stop_finished(const struct sw_tracker *t);
void sw_tracker_allow_final_scrape(struct sw_tracker *t);
/* Nothing more to send (stopped, or gave up). */
bool sw_tracker_done(const struct sw_tracker *t);

#endif /* SW_TRACKER_H */
