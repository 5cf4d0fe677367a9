/*
 * sink.h - where observations go: a backend-neutral store interface.
 *
 * Harvesting code (trackers, DHT, PEX, peer sessions) produces records and
 * hands them to a struct sw_sink; it never knows whether SQLite or, later,
 * ClickHouse is behind it.  A sink is a small object with an ops table
 * (libuv's handles, the kernel's file_operations): each backend fills one
 * struct sw_sink_ops and embeds struct sw_sink as the first member of its own
 * state.  Callers use only the sw_sink_* wrappers below.
 *
 * Contract for every backend:
 *
 * - Records are plain structs of borrowed data.  The sink copies what it
 *   needs before the call returns; the caller may free or reuse the record
 *   and every string it points to as soon as the call returns.
 * - Writes are batched.  A put returning 0 means the record was accepted
 *   into the current batch; it is durable once a later sw_sink_flush() or
 *   sw_sink_close() returned 0 (a backend may also commit earlier, when a
 *   batch fills).  A failure returns a negative SW_E_* code with detail in
 *   eb and leaves the sink usable.  A failure while committing loses the
 *   uncommitted batch (at most batch_rows records); rows committed before
 *   are never lost.
 * - A backend may write on a thread of its own: a put hands the record
 *   over, and an error in writing it is returned by the next
 *   sw_sink_flush(), sw_sink_close() or control-plane call instead.
 * - Derived tables (unique addresses per swarm and per title) may lag the
 *   records put; sw_sink_flush() brings them up to date.  A daemon flushes
 *   on a timer, which bounds both the loss window and the lag.
 * - put_title and link_torrent_title are control-plane calls: they flush,
 *   then commit their own work before returning, so an id they return is
 *   durable.
 * - One sink is used from one thread (the event loop); whatever threads a
 *   backend runs inside are its own business.
 *
 * Addresses are the compact struct sw_addr of core/addr.h ({family, 16
 * bytes, port}).  Before storing, a sink canonicalises one (IPv4 as its 4
 * bytes, IPv6 as its 16, an IPv4-mapped IPv6 address ::ffff:a.b.c.d as
 * the IPv4 address it is) and then applies the optional address transform
 * of the options (the hook for pseudonymisation: an HMAC of the address
 * under a secret), so the stored `addr` is "the address or its pseudonym",
 * at most SW_SINK_ADDR_MAX bytes.  Ports are stored as they are.
 */
#ifndef SW_STORE_SINK_H
#define SW_STORE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/types.h"

/* Longest stored address key: a raw IPv6 address or a SHA-256 pseudonym. */
#define SW_SINK_ADDR_MAX 32

/* A nullable integer field (count, size, time) holding this is unknown. */
#define SW_SINK_UNKNOWN (-1)

/* Longest text a sink accepts (names, URLs); longer is SW_E_TOO_BIG. */
#ifndef SW_SINK_TEXT_MAX
#define SW_SINK_TEXT_MAX 4096
#endif
/* Peer client names are display strings from the wire: cut at this. */
#ifndef SW_SINK_CLIENT_MAX
#define SW_SINK_CLIENT_MAX 128
#endif
#ifndef SW_SINK_ALIASES_MAX
#define SW_SINK_ALIASES_MAX 64
#endif

/* Default number of rows per write transaction. */
#ifndef SW_SINK_BATCH_ROWS
#define SW_SINK_BATCH_ROWS 5000
#endif
/*
 * Default number of observations between folds into the unique-address
 * tables.  A fold rewrites pages all over those tables (their keys are
 * pseudonyms, in no order), so its cost grows with the tables, not with the
 * window: fewer, larger folds are faster (1.5 M addresses: 200,000 -> 600,000
 * took ingest from 400,000 to 600,000 observations/s).  A backend may keep
 * up to this many distinct (swarm, address) entries in memory: the SQLite
 * one keeps two windows (one filling, one folding) of ~150 bytes each, and
 * up to a window of queued rows of ~100 bytes each: at most ~240 MB at the
 * default, ~70 MB at Fury's scale.  A daemon that flushes on a timer folds
 * far earlier.
 */
#ifndef SW_SINK_FOLD_ROWS
#define SW_SINK_FOLD_ROWS 600000
#endif
#ifndef SW_SINK_BUSY_TIMEOUT_MS
#define SW_SINK_BUSY_TIMEOUT_MS 5000
#endif

/* One sighting of an address in a swarm. */
struct sw_observation {
	int64_t ts_ms; /* milliseconds since the epoch, UTC; >= 0 */
	uint8_t infohash[SW_INFOHASH_LEN];
	struct sw_addr addr; /* AF_INET or AF_INET6; port stored as is */
	enum sw_source source;
	enum sw_tier tier;
	bool has_have;      /* false: have is unknown (stored NULL) */
	double have;        /* fraction of pieces held, 0..1 */
	const char *client; /* NULL if unknown; cut at SW_SINK_CLIENT_MAX bytes */
	char country[3];    /* ISO 3166-1 alpha-2, or "" if unknown */
	uint32_t asn;       /* autonomous system number, 0 if unknown */
};

/* One scrape answer (tracker scrape, or BEP 33 with tracker "dht"). */
struct sw_scrape {
	int64_t ts_ms;
	uint8_t infohash[SW_INFOHASH_LEN];
	const char *tracker; /* announce URL; NULL if unknown */
	int64_t seeders;     /* each: a count, or SW_SINK_UNKNOWN (stored NULL) */
	int64_t leechers;
	int64_t completed;
};

/*
 * What we know of a torrent.  Unknown fields (NULL / SW_SINK_UNKNOWN) never
 * overwrite known ones; a known name, size or piece count replaces the old
 * one; source keeps the first one given; first_seen keeps the earliest.
 */
struct sw_torrent {
	uint8_t infohash[SW_INFOHASH_LEN];
	const char *name;   /* info dict name or magnet dn; NULL if unknown */
	int64_t total_size; /* bytes */
	int64_t num_pieces; /* pieces */
	const char *source; /* how we found it: "magnet", "dht", "rss", ... */
	int64_t first_seen_ms;
};

/* A title of the watchlist.  (name, year) identifies it. */
struct sw_title {
	const char *name;           /* required */
	int year;                   /* 0 if unknown */
	const char *const *aliases; /* n_aliases strings, may be NULL if 0 */
	size_t n_aliases;           /* at most SW_SINK_ALIASES_MAX */
};

/* Unlinks a torrent from its title in sw_sink_link_torrent_title(). */
#define SW_SINK_NO_TITLE 0

/*
 * Optional address transform (pseudonymisation hook).  in is the canonical
 * address (4 or 16 bytes); write at most SW_SINK_ADDR_MAX bytes to out and
 * their count to *out_len.  Return 0 or a negative SW_E_* code, which the
 * put then returns.  Must be deterministic: equal inputs give equal outputs,
 * or unique counts break.
 */
typedef int (*sw_sink_addr_transform_fn)(void *ctx, const uint8_t *in, size_t in_len,
                                         uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len);

/*
 * Options common to all backends.  Zero-initialise, then set what you
 * need: every zero field means its default.
 */
struct sw_store_options {
	size_t batch_rows;   /* rows per transaction; 0: SW_SINK_BATCH_ROWS */
	size_t fold_rows;    /* observations per peer-table fold; 0: SW_SINK_FOLD_ROWS */
	int busy_timeout_ms; /* wait for a locked file; 0: default, <0: none */
	sw_sink_addr_transform_fn addr_transform; /* NULL: identity */
	void *addr_transform_ctx;                 /* borrowed; must outlive the sink */
};

struct sw_sink;

/* A backend's implementation.  All members are required. */
struct sw_sink_ops {
	const char *name; /* "sqlite" */
	int (*put_observation)(struct sw_sink *s, const struct sw_observation *o,
	                       struct sw_errbuf *eb);
	int (*put_scrape)(struct sw_sink *s, const struct sw_scrape *sc, struct sw_errbuf *eb);
	int (*put_torrent)(struct sw_sink *s, const struct sw_torrent *t, struct sw_errbuf *eb);
	int (*put_title)(struct sw_sink *s, const struct sw_title *t, int64_t *id_out,
	                 struct sw_errbuf *eb);
	int (*link_torrent_title)(struct sw_sink *s, const uint8_t infohash[SW_INFOHASH_LEN],
	                          int64_t title_id, struct sw_errbuf *eb);
	int (*flush)(struct sw_sink *s, struct sw_errbuf *eb);
	/* Flush, release everything (always), return the flush's result. */
	int (*close)(struct sw_sink *s, struct sw_errbuf *eb);
};

/* Embedded first in each backend's state; allocated by the backend's open. */
struct sw_sink {
	const struct sw_sink_ops *ops;
};

/*
 * Record writers.  Each validates the record (SW_E_INVALID for an unknown
 * source or tier, an address family other than AF_INET/AF_INET6, have
 * outside 0..1, a negative time; SW_E_TOO_BIG for text over
 * SW_SINK_TEXT_MAX), then hands it to the backend.  eb may be NULL.
 */
int sw_sink_put_observation(struct sw_sink *sink, const struct sw_observation *obs,
                            struct sw_errbuf *eb);
int sw_sink_put_scrape(struct sw_sink *sink, const struct sw_scrape *sc, struct sw_errbuf *eb);
int sw_sink_put_torrent(struct sw_sink *sink, const struct sw_torrent *t, struct sw_errbuf *eb);

/*
 * Insert the title, or find the one with the same (name, year) and replace
 * its aliases.  *id_out gets its id (> 0).  Commits before returning.
 */
int sw_sink_put_title(struct sw_sink *sink, const struct sw_title *t, int64_t *id_out,
                      struct sw_errbuf *eb);

/*
 * Make the torrent count towards title_id (creating a bare torrent record
 * if none exists yet), or unlink it with SW_SINK_NO_TITLE.  Addresses seen
 * in the swarm before the link count too.  SW_E_NOT_FOUND if the title does
 * not exist.  Commits before returning.
 */
int sw_sink_link_torrent_title(struct sw_sink *sink, const uint8_t infohash[SW_INFOHASH_LEN],
                               int64_t title_id, struct sw_errbuf *eb);

/* Commit the current batch and bring the derived tables up to date. */
int sw_sink_flush(struct sw_sink *sink, struct sw_errbuf *eb);

/*
 * Flush and free the sink.  NULL is a no-op returning 0.  The sink is gone
 * whatever the result; a non-zero result means the last batch was lost
 * (call sw_sink_flush() first to handle that while the sink still exists).
 */
int sw_sink_close(struct sw_sink *sink, struct sw_errbuf *eb);

/* The backend's name ("sqlite"); "" for NULL. */
const char *sw_sink_backend(const struct sw_sink *sink);

/* --- for backends ------------------------------------------------------ */

/*
 * The stored form of an address: canonicalise (see the top of this file),
 * then transform with opt's hook if it has one.  out gets *out_len bytes.
 * Returns 0, SW_E_INVALID for a bad family, or the transform's error.
 */
int sw_sink_addr_key(const struct sw_store_options *opt, const struct sw_addr *addr,
                     uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len, struct sw_errbuf *eb);

/*
 * The stored form of an IPv6 address's /64 network (the address with its
 * low 64 bits zeroed, canonicalised and transformed like an address);
 * *out_len 0 for IPv4 and IPv4-mapped addresses, which have none.
 */
int sw_sink_net_key(const struct sw_store_options *opt, const struct sw_addr *addr,
                    uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len, struct sw_errbuf *eb);

/* opt with every zero field replaced by its default; opt may be NULL. */
void sw_store_options_resolve(const struct sw_store_options *opt, struct sw_store_options *out);

#endif /* SW_STORE_SINK_H */
