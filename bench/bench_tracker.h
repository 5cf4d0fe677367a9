/*
 * bench_tracker.h - what the parts of the tracker benchmark share.
 *
 * One binary, build/bench/bench_tracker, measures one thing per run
 * against a local opentracker and prints one tab-separated result line:
 *
 *   bench_tracker.c         swarmwatch's side: our codecs (src/proto/) on
 *                           our net layer (sw_udp on the sw_loop, sw_http)
 *   bench_tracker_raw.c     the anchors: a straight-line sendto/recvfrom UDP
 *                           client and a tiny poll(2) HTTP/1.0 client, no
 *                           swarmwatch code in either
 *   bench_tracker_swarm.c   the 5,000-peer swarm for `count`: register the
 *                           peers, and watch the tracker's replies on the
 *                           loopback interface to time how fast a client
 *                           (count) finds them all
 *
 * A rate run keeps `window` requests outstanding: each reply (or timeout)
 * frees its slot and the next request goes out at once.  It runs for
 * `warmup` seconds unmeasured, then for `seconds`, or until `max_req`
 * replies have come back, and stops by itself either way.
 *
 * Every announce comes from the client's one address but names another
 * (peer_id, port) pair, cycling through `ports` of them, with event=none,
 * left > 0 and numwant = `numwant`: the tracker inserts or updates a peer
 * in a swarm of `ports` peers and returns up to numwant of them, which is
 * the work a monitor's announce asks of it.
 */
#ifndef SW_BENCH_TRACKER_H
#define SW_BENCH_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#define BT_IH_LEN         20
#define BT_PEER_ID_LEN    20
#define BT_MAX_WINDOW     1024 /* slot index in the low 10 bits of a transaction id */
#define BT_SLOT_BITS      10
#define BT_MAX_SCRAPE     74 /* BEP 15: "up to about 74 torrents" per scrape */
#define BT_PEER_PORT0     10000
#define BT_PEER_ID_PREFIX "-SB0001-"

enum bt_kind { BT_UDP_ANNOUNCE, BT_UDP_SCRAPE, BT_HTTP_ANNOUNCE, BT_HTTP_SCRAPE };

struct bt_opts {
	enum bt_kind kind;
	int raw;                    /* 0: swarmwatch, 1: the anchor */
	struct sockaddr_in tracker; /* UDP and HTTP: same address and port */
	char tracker_host[64];      /* "127.S.0.1:6969", for URLs */
	struct sockaddr_in bind;    /* UDP client source address (port 0) */
	double seconds, warmup, timeout;
	unsigned window;       /* outstanding requests (HTTP: connections) */
	uint64_t max_req;      /* stop after this many replies (0: no cap) */
	uint8_t ih[BT_IH_LEN]; /* announce infohash */
	uint8_t scrape_ih[BT_MAX_SCRAPE * BT_IH_LEN];
	unsigned per_scrape; /* infohashes per scrape request */
	unsigned ports;      /* distinct (peer_id, port) pairs announced */
	int numwant;
};

/* What a run counts; the measured part is the difference of two snapshots. */
struct bt_count {
	uint64_t sent;     /* requests sent (resends included) */
	uint64_t ok;       /* replies accepted */
	uint64_t items;    /* infohashes in accepted scrape replies */
	uint64_t peers;    /* peers in accepted announce replies */
	uint64_t timeouts; /* requests given up after opts.timeout */
	uint64_t errors;   /* error replies, HTTP failures, bad or stray datagrams */
	uint64_t sink;     /* something read from every reply, printed */
};

/* Monotonic and process CPU clocks, in seconds. */
double bt_now(void);
double bt_cpu(void);

/* The n-th announce's peer_id and port (n counts requests). */
void bt_peer(const struct bt_opts *o, uint64_t n, uint8_t peer_id[BT_PEER_ID_LEN], uint16_t *port);

/*
 * Drive the measurement clock: call often with the current counts; it
 * takes the snapshot at the end of the warm-up and returns 1 when the run
 * is over (time up, or max_req replies measured).
 */
struct bt_clock {
	double start, t0, t1, cpu0, cpu1;
	struct bt_count c0;
	int measuring;
};
void bt_clock_start(struct bt_clock *k);
int bt_clock_tick(struct bt_clock *k, const struct bt_opts *o, const struct bt_count *c);
/* Print the result line (and the header line once, with -H). */
void bt_report(const struct bt_opts *o, const struct bt_clock *k, const struct bt_count *c);

/* The sides: 0 on a completed run, -1 (message on stderr) otherwise. */
int bt_sw_udp(const struct bt_opts *o, struct bt_count *c, struct bt_clock *k);
int bt_sw_http(const struct bt_opts *o, struct bt_count *c, struct bt_clock *k);
int bt_raw_udp(const struct bt_opts *o, struct bt_count *c, struct bt_clock *k);
int bt_raw_http(const struct bt_opts *o, struct bt_count *c, struct bt_clock *k);

/* The swarm for `count` (bench_tracker_swarm.c); argv after the mode. */
int bt_register_main(int argc, char **argv);
int bt_timeline_main(int argc, char **argv);

#endif /* SW_BENCH_TRACKER_H */
