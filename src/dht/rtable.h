/*
 * rtable.h - the DHT routing table (BEP 5), one per address family.
 *
 * Bucket i holds nodes whose id shares exactly i leading bits with ours
 * (0..159), at most SW_RT_K of them, plus a small replacement cache.  That
 * is the table BEP 5 grows by splitting the bucket holding our own id,
 * laid out flat: a bucket far from us covers the same keyspace as the
 * BEP's, and the buckets near our id only exist when nodes fill them.
 *
 * Node states follow the BEP: a node is good if it answered one of our
 * queries in the last 15 minutes, or answered once and queried us in the
 * last 15 minutes; questionable after 15 minutes of silence; bad after
 * SW_RT_MAX_FAILS queries in a row went unanswered.  A full bucket takes a
 * new node only in place of a bad one, or of a questionable one that the
 * caller pinged and that failed; otherwise the newcomer waits in the
 * replacement cache.  BEP 42: when a bucket is full, a node whose id does
 * not match its address yields its slot to a node whose id does.
 *
 * Pure: no sockets, no clocks (every call takes now_ms), no allocation
 * after sw_rt_init().
 */
#ifndef SW_DHT_RTABLE_H
#define SW_DHT_RTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "dht/nodeid.h"

#define SW_RT_K           8
#define SW_RT_BUCKETS     160
#define SW_RT_REPLACEMENTS 4
#define SW_RT_MAX_FAILS   3
#define SW_RT_GOOD_MS     (15 * 60 * 1000)
#define SW_RT_REFRESH_MS  (15 * 60 * 1000)

struct sw_rt_node {
	uint8_t id[SW_NODEID_LEN];
	struct sw_addr addr;
	int64_t last_reply;  /* last answer to one of our queries; 0 never */
	int64_t last_query;  /* last query from it */
	int64_t added;
	uint8_t fails;       /* our queries unanswered in a row */
	bool id_valid;       /* BEP 42 */
	bool used;
};

struct sw_rt_bucket {
	struct sw_rt_node nodes[SW_RT_K];
	struct sw_rt_node repl[SW_RT_REPLACEMENTS];
	int64_t changed; /* last time a node was added or answered */
};

struct sw_rtable {
	uint8_t self[SW_NODEID_LEN];
	struct sw_rt_bucket b[SW_RT_BUCKETS];
	size_t count; /* nodes in buckets (not replacements) */
	unsigned top; /* one past the deepest bucket holding nodes (slots never empty again) */
};

enum sw_rt_state { SW_RT_GOOD = 0, SW_RT_QUESTIONABLE, SW_RT_BAD };

void sw_rt_init(struct sw_rtable *t, const uint8_t self[SW_NODEID_LEN]);
/* Keep the nodes, change our id (re-bucketing every node). */
void sw_rt_set_self(struct sw_rtable *t, const uint8_t self[SW_NODEID_LEN], int64_t now_ms);

/* Leading bits id shares with ours: the bucket index (160: our own id). */
unsigned sw_rt_bucket_of(const struct sw_rtable *t, const uint8_t id[SW_NODEID_LEN]);

enum sw_rt_state sw_rt_state(const struct sw_rt_node *n, int64_t now_ms);

/*
 * A node answered one of our queries (replied = true) or queried us.
 * Inserts it if there is room (see the top of this file), refreshes it
 * if known.  A node that only queried us is not inserted into a full
 * bucket.  Returns the node's slot in the table, NULL if it went to the
 * replacement cache or was refused (our own id, a known address with
 * another id).  *ping_out (may be NULL) gets a questionable node of the
 * full bucket the caller should ping to make room, or NULL.
 */
struct sw_rt_node *sw_rt_heard(struct sw_rtable *t, const uint8_t id[SW_NODEID_LEN],
                               const struct sw_addr *addr, bool replied, bool id_valid,
                               int64_t now_ms, struct sw_rt_node **ping_out);

/*
 * A query to addr (whose id we expected to be id, or NULL if unknown)
 * went unanswered.  A node that reaches SW_RT_MAX_FAILS is replaced from
 * its bucket's replacement cache.
 */
void sw_rt_failed(struct sw_rtable *t, const uint8_t *id, const struct sw_addr *addr);

/* The node at addr (with id, or NULL to search every bucket). */
struct sw_rt_node *sw_rt_find(struct sw_rtable *t, const uint8_t *id, const struct sw_addr *addr);

/*
 * Up to max nodes closest to target by XOR distance, closest first,
 * skipping bad nodes.  Returns how many.
 */
size_t sw_rt_closest(const struct sw_rtable *t, const uint8_t target[SW_NODEID_LEN],
                     const struct sw_rt_node **out, size_t max, int64_t now_ms);

/*
 * The first bucket (lowest index that holds or could hold nodes) not
 * changed for SW_RT_REFRESH_MS: a random id in its range goes to *target.
 * Returns false when none is due.
 */
bool sw_rt_refresh_due(struct sw_rtable *t, int64_t now_ms, const uint8_t rnd[SW_NODEID_LEN],
                       uint8_t target[SW_NODEID_LEN]);

/* XOR distance order: <0 if a is closer to target than b, 0 equal, >0 farther. */
int sw_rt_cmp_distance(const uint8_t target[SW_NODEID_LEN], const uint8_t a[SW_NODEID_LEN],
                       const uint8_t b[SW_NODEID_LEN]);

/* Good and questionable node counts (for stats). */
void sw_rt_counts(const struct sw_rtable *t, int64_t now_ms, size_t *good, size_t *dubious);

#endif /* SW_DHT_RTABLE_H */
