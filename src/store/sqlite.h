/*
 * sqlite.h - the SQLite backend of the store (see sink.h and docs/store.md).
 *
 * One file, WAL mode, synchronous=NORMAL, writes batched in transactions of
 * opt->batch_rows rows through cached prepared statements, the unique-
 * address tables updated by folding every opt->fold_rows observations and
 * on flush.  The schema (sqlite_schema.h) is migrated forward on open.  The
 * read helpers below answer the questions tests and reports ask; they flush
 * first, so they see everything put so far.
 */
#ifndef SW_STORE_SQLITE_H
#define SW_STORE_SQLITE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"
#include "store/sink.h"

/* "No time bound" for the as_of_ms arguments below. */
#define SW_STORE_AS_OF_ALL INT64_MAX

/*
 * Open (creating if needed) the store at path and migrate it to the
 * current schema.  opt may be NULL (defaults); it is copied, but its
 * addr_transform_ctx is borrowed for the sink's lifetime.  On success
 * *out is a sink the caller closes with sw_sink_close().  On failure *out
 * is NULL and the result is SW_E_DB (SQLite's message in eb: a path that
 * cannot be created, a file that is not a database, a lock that did not
 * clear within busy_timeout_ms), SW_E_UNSUPPORTED (a newer schema, or not a
 * swarmwatch file) or SW_E_NOMEM.
 */
int sw_store_sqlite_open(const char *path, const struct sw_store_options *opt, struct sw_sink **out,
                         struct sw_errbuf *eb);

/* Is sink an SQLite sink?  The functions below refuse others (SW_E_INVALID). */
bool sw_store_sqlite_is(const struct sw_sink *sink);

/*
 * Number of observations, of one swarm if infohash is not NULL (this scans
 * the table: observations has no index, to keep inserts fast).
 */
int sw_store_sqlite_count_observations(struct sw_sink *sink, const uint8_t *infohash,
                                       int64_t *n_out, struct sw_errbuf *eb);

/*
 * Unique addresses (or pseudonyms) of a title, from the `peers` table: those
 * first observed at tier_min or a stronger tier no later than as_of_ms
 * (SW_STORE_AS_OF_ALL: ever).  A title with no linked torrents gives 0.
 */
int sw_store_sqlite_unique_addrs_title(struct sw_sink *sink, int64_t title_id,
                                       enum sw_tier tier_min, int64_t as_of_ms, int64_t *n_out,
                                       struct sw_errbuf *eb);

/* The same for one swarm, from `swarm_peers`; linked or not. */
int sw_store_sqlite_unique_addrs_swarm(struct sw_sink *sink,
                                       const uint8_t infohash[SW_INFOHASH_LEN],
                                       enum sw_tier tier_min, int64_t as_of_ms, int64_t *n_out,
                                       struct sw_errbuf *eb);

/*
 * Every torrent of the store (only those linked to a title if
 * linked_only), oldest first: fn gets its infohash, its name (NULL if
 * unknown) and its title id (0 if none).  Flushes first.
 */
typedef void (*sw_store_torrent_fn)(void *ctx, const uint8_t infohash[SW_INFOHASH_LEN],
                                    const char *name, int64_t title_id);
int sw_store_sqlite_torrents(struct sw_sink *sink, bool linked_only, sw_store_torrent_fn fn,
                             void *ctx, struct sw_errbuf *eb);

/*
 * The DHT routing table (schema 3): save replaces what was saved (n nodes,
 * ids[i] at addrs[i]); load calls fn for each saved node, newest first.
 */
int sw_store_sqlite_dht_save(struct sw_sink *sink, const uint8_t (*ids)[20],
                             const struct sw_addr *addrs, size_t n, int64_t now_ms,
                             struct sw_errbuf *eb);
typedef void (*sw_store_dht_node_fn)(void *ctx, const uint8_t id[20], const struct sw_addr *addr);
int sw_store_sqlite_dht_load(struct sw_sink *sink, sw_store_dht_node_fn fn, void *ctx,
                             struct sw_errbuf *eb);

/*
 * Retention: delete the observations (the evidence log) older than
 * cutoff_ms, after folding them into the peer tables, which keep every
 * address's first and last sighting and best tier: unique counts do not
 * change.  *deleted (may be NULL) gets how many rows went.
 */
int sw_store_sqlite_retain(struct sw_sink *sink, int64_t cutoff_ms, int64_t *deleted,
                           struct sw_errbuf *eb);

/* The tracker URLs that gave a scrape for infohash (not "dht"), for a resumed swarm. */
typedef void (*sw_store_tracker_fn)(void *ctx, const char *url);
int sw_store_sqlite_trackers(struct sw_sink *sink, const uint8_t infohash[SW_INFOHASH_LEN],
                             sw_store_tracker_fn fn, void *ctx, struct sw_errbuf *eb);

/*
 * The writing daemon's own counters and gauges (schema 5), for `serve`'s
 * /metrics: put_stats replaces every row with these n, stamped now_ms.  A
 * name is a Prometheus metric name (counters end in "_total"); labels is
 * the text between the braces ("" for none), written by the caller.
 */
struct sw_store_stat {
	const char *name;
	const char *labels;
	int64_t value;
};
int sw_store_sqlite_put_stats(struct sw_sink *sink, const struct sw_store_stat *stats, size_t n,
                              int64_t now_ms, struct sw_errbuf *eb);

#endif /* SW_STORE_SQLITE_H */
