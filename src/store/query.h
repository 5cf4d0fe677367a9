/*
 * query.h - read-only questions to an SQLite store, for reports and the
 * dashboard (see docs/store.md for the tables).
 *
 * A struct sw_query is a read-only connection to a store file that another
 * process may be writing (WAL: readers never block the writer).  It never
 * writes, so it neither migrates nor folds: the peer tables are as of the
 * writer's last fold (sw_query_stats() says how many observations wait),
 * which the daemon does on each flush.  Wrap the questions of one report
 * in sw_query_begin() / sw_query_end() to read them from one snapshot.
 *
 * Counts per tier are "at that tier or a stronger one": index with enum
 * sw_tier (SW_TIER_SEEN, SW_TIER_CONNECTABLE, SW_TIER_VERIFIED).  A window
 * is the peers first seen at the tier no later than as_of_ms and, if
 * since_ms is not SW_QUERY_NO_SINCE, last seen at or after since_ms.
 */
#ifndef SW_STORE_QUERY_H
#define SW_STORE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* The tiers a report shows: seen, connectable, verified. */
#define SW_QUERY_TIERS 3

#define SW_QUERY_NO_SINCE INT64_MIN

/* Longest key of a breakdown row: a 40-hex infohash. */
#define SW_QUERY_KEY_MAX (2 * SW_INFOHASH_LEN + 1)

/* Country code of peers whose country is unknown (ISO 3166 user-assigned). */
#define SW_QUERY_UNKNOWN_COUNTRY "ZZ"

struct sw_query;

struct sw_query_window {
	int64_t as_of_ms;
	int64_t since_ms; /* SW_QUERY_NO_SINCE: no lower bound on last_seen */
};

struct sw_query_title {
	int64_t id;
	char *name; /* owned by the array; see sw_query_titles_free() */
	int year;   /* 0 if unknown */
};

enum sw_query_group {
	SW_QUERY_BY_COUNTRY,
	SW_QUERY_BY_ASN,
	SW_QUERY_BY_DAY,
	SW_QUERY_BY_TORRENT,
};

/*
 * One row of a breakdown.  key: the country code or the torrent's
 * infohash in hex; "" for ASNs and days, which are in ikey (the ASN, 0 if
 * unknown; the UTC day's first millisecond).  label: the torrent's name or NULL; owned
 * by the array.  n: unique addresses per tier (for days: those that
 * reached the tier that day).
 */
struct sw_query_row {
	char key[SW_QUERY_KEY_MAX];
	int64_t ikey;
	char *label;
	int64_t n[SW_QUERY_TIERS];
};

/* What /metrics shows about the store itself. */
struct sw_query_stats {
	int64_t titles;
	int64_t torrents;            /* swarms known */
	int64_t torrents_linked;     /* swarms counted towards a title */
	int64_t observations;        /* ever recorded: the highest rowid */
	int64_t scrapes;             /* ever recorded: the highest rowid */
	int64_t last_observation_ms; /* -1 if none */
	int64_t unfolded;            /* observations not yet in the peer tables */
	int schema_version;
};

/*
 * Open path read-only.  SW_E_DB if it cannot be opened (missing, not a
 * database), SW_E_UNSUPPORTED for a newer schema or a foreign file,
 * SW_E_NOT_FOUND for a file that holds no swarmwatch tables yet.  *out is
 * freed with sw_query_close() (NULL-safe).
 */
int sw_query_open(const char *path, struct sw_query **out, struct sw_errbuf *eb);
void sw_query_close(struct sw_query *q);

/* Start / end a read snapshot.  end is NULL-safe and never fails. */
int sw_query_begin(struct sw_query *q, struct sw_errbuf *eb);
void sw_query_end(struct sw_query *q);

/* Every title, ordered by id.  Free with sw_query_titles_free(). */
int sw_query_titles(struct sw_query *q, struct sw_query_title **out, size_t *n_out,
                    struct sw_errbuf *eb);
void sw_query_titles_free(struct sw_query_title *t, size_t n);

/* Torrents linked to a title. */
int sw_query_title_torrents(struct sw_query *q, int64_t title_id, int64_t *n_out,
                            struct sw_errbuf *eb);

/* Unique addresses of a title in the window, per tier. */
/*
 * The same, counting networks: an IPv4 address is one, IPv6 addresses
 * count once per /64 (stores of schema 4 on; older ones per address).
 */
int sw_query_title_unique_nets(struct sw_query *q, int64_t title_id,
                               const struct sw_query_window *w, int64_t n_out[SW_QUERY_TIERS],
                               struct sw_errbuf *eb);
int sw_query_title_unique(struct sw_query *q, int64_t title_id, const struct sw_query_window *w,
                          int64_t n_out[SW_QUERY_TIERS], struct sw_errbuf *eb);

/*
 * A title's unique addresses grouped by country, ASN, UTC day or torrent.
 * Days come in order; the rest in SQL's order (the caller sorts).  A
 * torrent with no peers in the window is still a row (zeros).  Free the
 * rows with sw_query_rows_free().
 */
int sw_query_breakdown(struct sw_query *q, int64_t title_id, enum sw_query_group by,
                       const struct sw_query_window *w, struct sw_query_row **out, size_t *n_out,
                       struct sw_errbuf *eb);
void sw_query_rows_free(struct sw_query_row *rows, size_t n);

/*
 * Earliest first_seen and latest first time at any tier of all titles'
 * peers in the window; *first_out = -1 if there are none.
 */
int sw_query_span(struct sw_query *q, const struct sw_query_window *w, int64_t *first_out,
                  int64_t *last_out, struct sw_errbuf *eb);

/*
 * New unique addresses of a title per time bucket: counts[i][tier] for
 * bucket i = [start + i * bucket_ms, start + (i+1) * bucket_ms), i <
 * n_buckets; counts is zeroed first.  Addresses before start or past the
 * last bucket are not counted.
 */
int sw_query_series(struct sw_query *q, int64_t title_id, const struct sw_query_window *w,
                    int64_t start_ms, int64_t bucket_ms, size_t n_buckets,
                    int64_t (*counts)[SW_QUERY_TIERS], struct sw_errbuf *eb);

int sw_query_stats(struct sw_query *q, struct sw_query_stats *st, struct sw_errbuf *eb);

/*
 * The writing daemon's counters (schema 5: daemon_stats), ordered by name
 * and labels: fn gets each with the time it was written.  A file of an
 * older schema, or one no daemon wrote to, has none.
 */
typedef void (*sw_query_daemon_stat_fn)(void *ctx, const char *name, const char *labels,
                                        int64_t value, int64_t updated_ms);
int sw_query_daemon_stats(struct sw_query *q, sw_query_daemon_stat_fn fn, void *ctx,
                          struct sw_errbuf *eb);

#endif /* SW_STORE_QUERY_H */
