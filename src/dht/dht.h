/*
 * dht.h - a Mainline DHT node (BEP 5) on the loop's shared UDP sockets.
 *
 * One node serves both address families (BEP 32): a routing table per
 * family, one node id.  It
 *
 * - answers ping, find_node, get_peers (with BEP 33 scrape filters),
 *   announce_peer and sample_infohashes (BEP 51) as a good citizen:
 *   tokens from a rotating secret (the previous period's are accepted),
 *   a token bucket per source address and a global one, and replies to a
 *   source that never answered us no larger than `amplification` times
 *   its query;
 * - keeps its routing table by BEP 5's rules, with BEP 42 node ids
 *   derived from our external address once replies' "ip" agree on it;
 * - looks up watched swarms (iterative get_peers), on a schedule: values
 *   go to on_values after the node that gave them passed a liar probe (a
 *   get_peers for a random infohash must not return values); a BEP 33
 *   scrape of the closest nodes goes to on_scrape; optionally we announce
 *   ourselves with our listen port;
 * - crawls the keyspace with sample_infohashes (BEP 51) when asked,
 *   respecting each node's interval;
 * - reports the queries it receives (passive observation) to on_query.
 *
 * Everything is bounded: transactions, searches, held values, rate-limit
 * and liar tables, the crawl frontier and the announced-peer store have
 * fixed caps; what does not fit is dropped and counted in the stats.
 */
#ifndef SW_DHT_H
#define SW_DHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/types.h"
#include "dht/nodeid.h"
#include "net/loop.h"
#include "net/udp.h"

/* The usual public bootstrap nodes, used when none is configured. */
extern const char *const sw_dht_default_bootstrap[];

struct sw_dht;

struct sw_dht_scrape {
	double seeds, peers; /* BEP 33 estimates from the merged filters */
	bool seeds_saturated, peers_saturated;
	unsigned nodes; /* how many filters were merged */
};

struct sw_dht_opts {
	struct sw_loop *loop;
	struct sw_udp *udp4, *udp6; /* at least one */
	const uint8_t *id;          /* our node id; NULL: random (BEP 42 once we know our address) */
	bool read_only;             /* BEP 43: ro=1, answer no queries */
	bool allow_private;         /* use nodes and values at non-public addresses */
	unsigned alpha;             /* parallel queries per lookup (0: 8) */
	unsigned max_qps;           /* queries served per second, all sources (0: 5000) */
	unsigned per_addr_qps;      /* datagrams per second from one address (0: 25, burst x4) */
	unsigned amplification;     /* reply/query byte bound for unverified sources (0: 3) */
	int64_t lookup_interval_ms; /* between lookups of a watched swarm (0: 5 min) */
	uint16_t announce_port;     /* announce watched swarms with this port; 0: do not */
	bool no_scrape;             /* skip the BEP 33 scrape after lookups */
	bool no_liar_probe;         /* trust values without probing (benchmarks) */

	void *ctx;
	/* Values for a watched swarm from a node that passed the liar probe. */
	void (*on_values)(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], const struct sw_addr *peers,
	                  size_t n);
	/* A lookup of a watched swarm converged: nodes that answered. */
	void (*on_lookup_done)(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], unsigned answered,
	                       size_t values);
	void (*on_scrape)(void *ctx, const uint8_t ih[SW_INFOHASH_LEN], const struct sw_dht_scrape *s);
	/*
	 * A get_peers (port 0: the asker's peer port is unknown) or announce_peer
	 * (port: the announced one) query we received, for any infohash.
	 */
	void (*on_query)(void *ctx, int method, const uint8_t ih[SW_INFOHASH_LEN],
	                 const struct sw_addr *from, bool seed);
	/* Infohashes sampled by the crawl (BEP 51) from one node. */
	void (*on_samples)(void *ctx, const uint8_t *ihs, size_t n, const struct sw_addr *from);
};

struct sw_dht_stats {
	uint64_t rx, tx;
	uint64_t rx_queries, rx_replies, rx_errors;
	uint64_t tx_queries, tx_replies, tx_errors;
	uint64_t dropped_parse;     /* not a KRPC message (bad bencode, wrong lengths...) */
	uint64_t dropped_tid;       /* a reply matching no outstanding transaction */
	uint64_t dropped_source;    /* a reply from another address than we asked */
	uint64_t dropped_ratelimit; /* over the per-address or the global rate */
	uint64_t dropped_private;   /* nodes at non-public addresses, ignored */
	uint64_t dropped_full;      /* no free transaction / search / held slot */
	uint64_t timeouts;
	uint64_t bad_tokens;
	uint64_t trimmed_replies; /* replies cut to the amplification bound */
	uint64_t values, values_discounted, values_unconfirmed;
	uint64_t liars; /* distinct nodes found lying (up to 64 remembered) */
	uint64_t lookups, lookups_done;
	uint64_t samples, sample_queries;
	uint64_t ext_addr_changes;
};

int sw_dht_new(const struct sw_dht_opts *o, struct sw_dht **out, struct sw_errbuf *eb);
/* NULL-safe.  Leaves the sockets open (their DHT handler removed). */
void sw_dht_free(struct sw_dht *d);

/*
 * Bootstrap from HOST:PORT entries (NULL: sw_dht_default_bootstrap).
 * Names are resolved on the loop.  Bootstrap addresses are trusted: they
 * may be private or loopback.  SW_E_USAGE for an entry that does not
 * parse.
 */
int sw_dht_bootstrap(struct sw_dht *d, const char *const *hostports, size_t n,
                     struct sw_errbuf *eb);

/* Ping a known node (from a saved table): it joins the table if it answers. */
void sw_dht_add_node(struct sw_dht *d, const struct sw_addr *a);

/* Watch a swarm: look it up now and every lookup_interval_ms. */
int sw_dht_watch(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN]);
void sw_dht_unwatch(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN]);

/* Start (qps > 0) or stop (0) a BEP 51 crawl at about qps queries per second. */
void sw_dht_crawl(struct sw_dht *d, unsigned qps);

/* Nodes of the routing tables (good and questionable), for saving: up to max. */
size_t sw_dht_nodes(struct sw_dht *d, uint8_t (*ids)[SW_NODEID_LEN], struct sw_addr *addrs,
                    size_t max);
/* Good + questionable nodes in the tables. */
size_t sw_dht_table_size(struct sw_dht *d);
const uint8_t *sw_dht_id(const struct sw_dht *d);
const struct sw_dht_stats *sw_dht_stats(const struct sw_dht *d);

/* The last BEP 33 estimate of a watched swarm; false if none yet. */
bool sw_dht_last_scrape(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN],
                        struct sw_dht_scrape *out);
/* Nodes that answered the last converged lookup of a watched swarm (0 if none). */
unsigned sw_dht_last_nodes(struct sw_dht *d, const uint8_t ih[SW_INFOHASH_LEN]);

/* Feed one datagram (the UDP handler does this; exposed for the fuzzer and bench). */
void sw_dht_receive(struct sw_dht *d, const struct sw_addr *from, const uint8_t *p, size_t n);

#endif /* SW_DHT_H */
