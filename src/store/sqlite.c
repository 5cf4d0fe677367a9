/*
 * sqlite.c - the SQLite sink: batched writes, cached statements, and the
 * upkeep of the unique-address tables.
 *
 * Speed comes from these.  A writer thread of the sink's own does the
 * SQLite work, fed full batches through a queue, while the caller keys,
 * looks up and collects the next ones (see "the writer thread" below); a
 * checkpointer thread copies the WAL into the file beside it.  One
 * transaction per batch of opt.batch_rows rows: a commit per row would run
 * at the speed of the disk.  Statements prepared once at open
 * (SQLITE_PREPARE_PERSISTENT) and bound with SQLITE_STATIC, observations
 * inserted OBS_MULTI rows per statement.  No index on observations, so an
 * insert appends to the end of one B-tree.  And the unique-address tables
 * are not touched per observation.
 *
 * swarm_peers (per swarm) and peers (per title) are kept by folding:
 * each observation also updates an in-memory entry per (swarm, address)
 * (peer_agg.c), and every opt.fold_rows observations, and on flush, close
 * and before reads, the entries are upserted in key order, one per
 * distinct (swarm, address), inside the transaction that commits the last
 * batch.  Trackers and DHT nodes hand out the same addresses announce
 * after announce, so most observations cost no peer-table write at all,
 * and a large fold touches each B-tree page once instead of once per row.
 * An entry is merged by the cheapest statement that does it: a plain
 * insert for a new address, a last_seen update for one seen again
 * (upsert_entry()); the full merge, which rewrites every index, is rare.
 * peers gets rows only for torrents linked to a title; linking backfills
 * it from swarm_peers, relinking rebuilds the old title's rows.
 *
 * store_state.folded_rowid records how far the peer tables are complete,
 * and moves in the same transaction as the fold.  Observations past it
 * that the in-memory entries do not cover (after a crash, or after a lost
 * batch made the entries unreliable: "stale") are folded by SQL instead,
 * with INSERT ... SELECT ... GROUP BY over rowid > folded_rowid.  Folding
 * is idempotent (min, max, coalesce), so folding a row twice is harmless.
 * This assumes one writing process per file; readers are welcome (WAL).
 *
 * When a statement fails, SQLite undoes either that statement alone (the
 * batch carries on) or the whole transaction (SQLITE_FULL, IOERR, NOMEM);
 * sqlite3_get_autocommit() tells which.  Committed batches are never
 * touched again, so a failed write never loses them.
 */
#include "store/sqlite.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/json.h"
#include "store/peer_agg.h"
#include "store/sqlite_schema.h"

_Static_assert(SW_SOURCE_TRACKER == 0 && SW_SOURCE_DHT == 1 && SW_SOURCE_DHT_PASSIVE == 2 &&
                   SW_SOURCE_PEX == 3 && SW_SOURCE_INCOMING == 4 && SW_SOURCE_COUNT == 5,
               "source values are stored; see the sources table of the schema");
_Static_assert(SW_TIER_SEEN == 0 && SW_TIER_CONNECTABLE == 1 && SW_TIER_VERIFIED == 2 &&
                   SW_TIER_PROVEN == 3 && SW_TIER_COUNT == 4,
               "tier values are stored and compared (tier >= 1 ...) in the SQL below");

/*
 * Page cache per connection, KiB.  The peer tables are updated at random,
 * so no cache that fits in memory holds them at Fury's scale; 64 MiB was no
 * faster than 32 MiB there (bench/run_scale.sh).
 */
#ifndef SW_SQLITE_CACHE_KIB
#define SW_SQLITE_CACHE_KIB 32768
#endif

/* Bytes per page of a new file: 8 KiB was ~10% faster than 4 KiB at bulk inserts. */
#ifndef SW_SQLITE_PAGE_SIZE
#define SW_SQLITE_PAGE_SIZE 8192
#endif

/* JSON array of at most SW_SINK_ALIASES_MAX escaped aliases. */
#define ALIASES_JSON_MAX ((size_t)SW_SINK_ALIASES_MAX * (6 * SW_SINK_TEXT_MAX + 3) + 2)

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_OBS,
	ST_SCRAPE,
	ST_TORRENT,
	ST_UPSERT_SWARM,
	ST_UPSERT_TITLE,
	ST_ADD_SWARM,
	ST_ADD_TITLE,
	ST_FOLD_SWARM,
	ST_FOLD_TITLE,
	ST_STATE_GET,
	ST_STATE_SET,
	ST_MAX_OBS,
	ST_TITLE_FIND,
	ST_TITLE_INSERT,
	ST_TITLE_ALIASES,
	ST_TITLE_EXISTS,
	ST_TORRENT_TITLE,
	ST_LINK,
	ST_TITLE_DROP,
	ST_TITLE_REBUILD,
	ST_TITLE_BACKFILL,
	ST_COUNT
};

/* clang-format off */
#define PEER_COLS \
	"addr, first_seen, last_seen, best_tier, first_connectable, first_verified, " \
	"first_proven, country, asn, net"

/* Observations o of one group -> the PEER_COLS after addr. */
#define FOLD_AGG \
	"min(o.ts), max(o.ts), max(o.tier), " \
	"min(CASE WHEN o.tier >= 1 THEN o.ts END), " \
	"min(CASE WHEN o.tier >= 2 THEN o.ts END), " \
	"min(CASE WHEN o.tier >= 3 THEN o.ts END), " \
	"max(o.country), max(o.asn), max(o.net)"

/* Two-argument min() is NULL if either is: keep whichever is known. */
#define EARLIEST(c) c " = coalesce(min(" c ", excluded." c "), " c ", excluded." c ")"

/* Merge a new aggregate into an existing peer row. */
#define MERGE_PEER \
	"first_seen = min(first_seen, excluded.first_seen), " \
	"last_seen = max(last_seen, excluded.last_seen), " \
	"best_tier = max(best_tier, excluded.best_tier), " \
	EARLIEST("first_connectable") ", " \
	EARLIEST("first_verified") ", " \
	EARLIEST("first_proven") ", " \
	"country = coalesce(excluded.country, country), " \
	"asn = coalesce(excluded.asn, asn), " \
	"net = coalesce(net, excluded.net)"
/*
 * The row (bound as the upserts bind it) exists and the entry brings it
 * nothing but (perhaps) a later last_seen: no earlier first time, no
 * higher tier, no new country, asn or net.  Then updating last_seen alone
 * is the whole merge, and SQLite leaves every index without last_seen
 * alone.
 */
#define NOTHING_NEW \
	"first_seen <= ?3 AND best_tier >= ?5 " \
	"AND (?6 IS NULL OR first_connectable <= ?6) " \
	"AND (?7 IS NULL OR first_verified <= ?7) " \
	"AND (?8 IS NULL OR first_proven <= ?8) " \
	"AND (?9 IS NULL OR country IS ?9) AND (?10 IS NULL OR asn IS ?10) " \
	"AND (?11 IS NULL OR net IS NOT NULL)"
/* clang-format on */

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_OBS] = "INSERT INTO observations(ts, infohash, addr, port, source, tier, have, client, "
               "country, asn, net) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_SCRAPE] = "INSERT INTO scrapes(ts, infohash, tracker, seeders, leechers, completed) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_TORRENT] = "INSERT INTO torrents(infohash, name, total_size, num_pieces, source, "
                   "first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                   "ON CONFLICT(infohash) DO UPDATE SET "
                   "name = coalesce(excluded.name, name), "
                   "total_size = coalesce(excluded.total_size, total_size), "
                   "num_pieces = coalesce(excluded.num_pieces, num_pieces), "
                   "source = coalesce(source, excluded.source), " EARLIEST("first_seen"),
    [ST_UPSERT_SWARM] = "INSERT INTO swarm_peers(infohash, " PEER_COLS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                        "ON CONFLICT(infohash, addr) DO UPDATE SET " MERGE_PEER,
    [ST_UPSERT_TITLE] = "INSERT INTO peers(title_id, " PEER_COLS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                        "ON CONFLICT(title_id, addr) DO UPDATE SET " MERGE_PEER,
    [ST_ADD_SWARM] = "INSERT INTO swarm_peers(infohash, " PEER_COLS ") "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                     "ON CONFLICT(infohash, addr) DO UPDATE SET "
                     "last_seen = max(last_seen, ?4) WHERE " NOTHING_NEW,
    [ST_ADD_TITLE] = "INSERT INTO peers(title_id, " PEER_COLS ") "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                     "ON CONFLICT(title_id, addr) DO UPDATE SET "
                     "last_seen = max(last_seen, ?4) WHERE " NOTHING_NEW,
    [ST_FOLD_SWARM] = "INSERT INTO swarm_peers(infohash, " PEER_COLS ") "
                      "SELECT o.infohash, o.addr, " FOLD_AGG " FROM observations o "
                      "WHERE o.rowid > ?1 GROUP BY o.infohash, o.addr "
                      "ON CONFLICT(infohash, addr) DO UPDATE SET " MERGE_PEER,
    [ST_FOLD_TITLE] = "INSERT INTO peers(title_id, " PEER_COLS ") "
                      "SELECT t.title_id, o.addr, " FOLD_AGG " FROM observations o "
                      "JOIN torrents t ON t.infohash = o.infohash "
                      "WHERE o.rowid > ?1 AND t.title_id IS NOT NULL "
                      "GROUP BY t.title_id, o.addr "
                      "ON CONFLICT(title_id, addr) DO UPDATE SET " MERGE_PEER,
    [ST_STATE_GET] = "SELECT value FROM store_state WHERE name = 'folded_rowid'",
    [ST_STATE_SET] = "INSERT INTO store_state(name, value) VALUES ('folded_rowid', ?1) "
                     "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    [ST_MAX_OBS] = "SELECT coalesce(max(rowid), 0) FROM observations",
    [ST_TITLE_FIND] = "SELECT id FROM titles WHERE name = ?1 AND year IS ?2",
    [ST_TITLE_INSERT] = "INSERT INTO titles(name, year, aliases) VALUES (?1, ?2, ?3)",
    [ST_TITLE_ALIASES] = "UPDATE titles SET aliases = ?2 WHERE id = ?1",
    [ST_TITLE_EXISTS] = "SELECT id FROM titles WHERE id = ?1",
    [ST_TORRENT_TITLE] = "SELECT title_id FROM torrents WHERE infohash = ?1",
    [ST_LINK] = "INSERT INTO torrents(infohash, title_id) VALUES (?1, ?2) "
                "ON CONFLICT(infohash) DO UPDATE SET title_id = excluded.title_id",
    [ST_TITLE_DROP] = "DELETE FROM peers WHERE title_id = ?1",
    [ST_TITLE_REBUILD] = "INSERT INTO peers(title_id, " PEER_COLS ") "
                         "SELECT ?1, s.addr, min(s.first_seen), max(s.last_seen), "
                         "max(s.best_tier), min(s.first_connectable), min(s.first_verified), "
                         "min(s.first_proven), max(s.country), max(s.asn), max(s.net) "
                         "FROM torrents t JOIN swarm_peers s ON s.infohash = t.infohash "
                         "WHERE t.title_id = ?1 GROUP BY s.addr",
    [ST_TITLE_BACKFILL] = "INSERT INTO peers(title_id, " PEER_COLS ") "
                          "SELECT ?2, " PEER_COLS " FROM swarm_peers WHERE infohash = ?1 "
                          "ON CONFLICT(title_id, addr) DO UPDATE SET " MERGE_PEER,
};

/* What each statement does, for error messages. */
static const char *const stmt_what[ST_COUNT] = {
    [ST_BEGIN] = "begin batch",
    [ST_COMMIT] = "commit batch",
    [ST_ROLLBACK] = "roll back batch",
    [ST_OBS] = "insert observation",
    [ST_SCRAPE] = "insert scrape",
    [ST_TORRENT] = "upsert torrent",
    [ST_UPSERT_SWARM] = "update swarm_peers",
    [ST_UPSERT_TITLE] = "update peers",
    [ST_ADD_SWARM] = "add to swarm_peers",
    [ST_ADD_TITLE] = "add to peers",
    [ST_FOLD_SWARM] = "fold swarm_peers",
    [ST_FOLD_TITLE] = "fold peers",
    [ST_STATE_GET] = "read store_state",
    [ST_STATE_SET] = "update store_state",
    [ST_MAX_OBS] = "count observations",
    [ST_TITLE_FIND] = "find title",
    [ST_TITLE_INSERT] = "insert title",
    [ST_TITLE_ALIASES] = "update title",
    [ST_TITLE_EXISTS] = "find title",
    [ST_TORRENT_TITLE] = "find torrent",
    [ST_LINK] = "link torrent",
    [ST_TITLE_DROP] = "drop title peers",
    [ST_TITLE_REBUILD] = "rebuild title peers",
    [ST_TITLE_BACKFILL] = "backfill title peers",
};

/* One observation waiting in a batch: the record with its stored keys. */
struct obs_rec {
	int64_t ts;
	double have;
	uint32_t asn;
	uint32_t client_off; /* into the batch's text, when has_client */
	uint32_t net_off;    /* into the batch's text, when net_len (IPv6 only) */
	uint16_t client_len;
	uint16_t port;
	uint8_t source, tier, key_len, net_len;
	bool has_have, has_client;
	char country[3];
	uint8_t infohash[SW_INFOHASH_LEN];
	uint8_t key[SW_SINK_ADDR_MAX];
};

/* Observations put, in order, and the client strings they point into. */
struct batch {
	struct obs_rec *recs; /* n of opt.batch_rows */
	size_t n;
	char *text;
	size_t text_len, text_cap;
	bool fold;               /* fold after writing these rows */
	struct sw_peer_agg *agg; /* what to fold; NULL: fold by SQL */
};

/* Columns of an observations insert, and rows per multi-row insert. */
#define OBS_COLS  11
#define OBS_MULTI 32

/*
 * Most batches in flight (opt.fold_rows / opt.batch_rows + 2, at most
 * this): a fold window's worth, so that while the writer folds, the
 * caller fills the next batches instead of waiting.
 */
#define MAX_BATCHES 128

struct sqlite_sink {
	struct sw_sink base; /* first, so a struct sw_sink * is a struct sqlite_sink * */
	sqlite3 *db;
	struct sw_store_options opt; /* resolved: no zero defaults left */

	/*
	 * The database side.  Used by whichever thread owns the connection:
	 * the writer while batches are queued, the caller once they are
	 * written (wait_idle()).
	 */
	bool in_txn;            /* a batch transaction is open */
	bool stale;             /* unfolded rows the next fold's agg may not cover */
	size_t pending;         /* rows written in the open transaction */
	int64_t folded_rowid;   /* committed store_state.folded_rowid */
	int64_t last_obs_rowid; /* the last observation inserted */
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *st_obs_multi; /* ST_OBS for OBS_MULTI rows; NULL: none */

	/* The caller's side: the batch being filled and the current fold window. */
	struct batch *cur;
	struct sw_peer_agg aggs[2]; /* cur_agg filled; the other may be folding */
	int cur_agg;
	bool agg_oom;    /* cur_agg lost an entry: fold this window by SQL */
	size_t unfolded; /* observations put since the last fold was handed over */

	/* The writer thread and its queue, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	pthread_t thread;
	bool thread_started, quit;
	/* The checkpointer thread and its own connection, also under mu. */
	sqlite3 *ckpt_db;
	pthread_t ckpt_thread;
	pthread_cond_t cv_ckpt;
	bool ckpt_started, ckpt_wanted, ckpt_running, ckpt_quit;
	struct batch *queue[MAX_BATCHES]; /* FIFO: q_head, q_len */
	size_t q_head, q_len;
	struct batch *spare[MAX_BATCHES]; /* written batches, ready to refill */
	size_t n_spare, n_batches, max_batches;
	bool agg_busy[2];   /* handed to the writer, not yet folded */
	int werr;           /* first error of the writer not yet returned */
	char werr_msg[SW_ERRBUF_LEN];
};

static const struct sw_sink_ops sqlite_ops;

/* --- statements and transactions -------------------------------------- */

/*
 * The open transaction is gone (rolled back by us or by SQLite).  What it
 * held of the batch is lost; the in-memory folds may hold rows that are no
 * longer in the file, so fold by SQL until the next fold succeeds.
 */
static void lose_batch(struct sqlite_sink *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_step(s->st[ST_ROLLBACK]);
		sqlite3_reset(s->st[ST_ROLLBACK]);
	}
	s->in_txn = false;
	s->pending = 0;
	s->stale = true;
}

/*
 * Step st once: *row_out (if not NULL) gets whether it produced a row,
 * *val_out (if not NULL) that row's first column.  Then reset st and
 * clear its bindings, so no borrowed pointer stays bound past the call.
 */
static int step(struct sqlite_sink *s, sqlite3_stmt *st, const char *what, bool *row_out,
                int64_t *val_out, struct sw_errbuf *eb)
{
	int rc = sqlite3_step(st), ret = SW_OK;

	if (rc == SQLITE_ROW && val_out != NULL)
		*val_out = sqlite3_column_int64(st, 0);
	if (row_out != NULL)
		*row_out = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sw_store_sqlite_dberr(eb, s->db, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (ret != SW_OK && s->in_txn && sqlite3_get_autocommit(s->db))
		lose_batch(s);
	return ret;
}

static int run(struct sqlite_sink *s, enum stmt which, struct sw_errbuf *eb)
{
	return step(s, s->st[which], stmt_what[which], NULL, NULL, eb);
}

static int bind_failed(struct sqlite_sink *s, sqlite3_stmt *st, const char *what,
                       struct sw_errbuf *eb)
{
	int rc = sw_store_sqlite_dberr(eb, s->db, what);

	sqlite3_clear_bindings(st);
	return rc;
}

/* Step a statement whose ?1 is an infohash or, if that is NULL, an id. */
static int run_keyed(struct sqlite_sink *s, enum stmt which, const uint8_t *infohash, int64_t id,
                     bool *found, int64_t *val, struct sw_errbuf *eb)
{
	sqlite3_stmt *st = s->st[which];
	int b;

	if (infohash != NULL)
		b = sqlite3_bind_blob(st, 1, infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	else
		b = sqlite3_bind_int64(st, 1, id);
	if (b != SQLITE_OK)
		return bind_failed(s, st, stmt_what[which], eb);
	return step(s, st, stmt_what[which], found, val, eb);
}

/* NULL, or at most max bytes of str (borrowed until the step). */
static int bind_text_opt(sqlite3_stmt *st, int i, const char *str, size_t max)
{
	if (str == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, str, (int)strnlen(str, max), SQLITE_STATIC);
}

/* A negative value (SW_SINK_UNKNOWN) is NULL. */
static int bind_i64_opt(sqlite3_stmt *st, int i, int64_t v)
{
	return v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static int begin(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	int rc;

	if (s->in_txn)
		return SW_OK;
	rc = run(s, ST_BEGIN, eb);
	if (rc == SW_OK)
		s->in_txn = true;
	return rc;
}

/* --- folding into swarm_peers and peers -------------------------------- */

struct titled {
	int64_t title_id;
	const struct sw_peer_agg_entry *e;
};

static int titled_cmp(const void *a, const void *b)
{
	const struct titled *x = a, *y = b;
	size_t xl = x->e->key_len, yl = y->e->key_len;
	int c;

	if (x->title_id != y->title_id)
		return x->title_id < y->title_id ? -1 : 1;
	c = memcmp(x->e->key, y->e->key, xl < yl ? xl : yl);
	return c != 0 ? c : (xl > yl) - (xl < yl);
}

/* Bind entry e as the add and upsert statements take it: ?1 = infohash or (if NULL) title_id. */
static int bind_entry(sqlite3_stmt *st, const uint8_t *infohash, int64_t title_id,
                      const struct sw_peer_agg_entry *e)
{
	int b = SQLITE_OK;

	if (infohash != NULL)
		b |= sqlite3_bind_blob(st, 1, infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	else
		b |= sqlite3_bind_int64(st, 1, title_id);
	b |= sqlite3_bind_blob(st, 2, e->key, e->key_len, SQLITE_STATIC);
	b |= sqlite3_bind_int64(st, 3, e->first[SW_TIER_SEEN]);
	b |= sqlite3_bind_int64(st, 4, e->last_seen);
	b |= sqlite3_bind_int(st, 5, e->best_tier);
	for (int t = SW_TIER_CONNECTABLE; t < SW_TIER_COUNT; t++) {
		if (e->first[t] == SW_PEER_AGG_NEVER)
			b |= sqlite3_bind_null(st, 5 + t);
		else
			b |= sqlite3_bind_int64(st, 5 + t, e->first[t]);
	}
	b |= bind_text_opt(st, 9, e->country[0] != '\0' ? e->country : NULL, 2);
	b |= e->asn != 0 ? sqlite3_bind_int64(st, 10, e->asn) : sqlite3_bind_null(st, 10);
	b |= e->net_len ? sqlite3_bind_blob(st, 11, e->net, e->net_len, SQLITE_STATIC)
	                : sqlite3_bind_null(st, 11);
	return b;
}

/*
 * Merge entry e into swarm_peers (infohash given) or peers (title_id).
 * The full merge (an upsert) rewrites every index of the row, so it is
 * the last resort.  A new address is a plain insert, and one seen again
 * usually needs only a later last_seen, which no index but the row's own
 * and the covering peers_title_seen holds: both are the add statement,
 * and only when that changed nothing does the full merge run.
 */
static int upsert_entry(struct sqlite_sink *s, const uint8_t *infohash, int64_t title_id,
                        const struct sw_peer_agg_entry *e, struct sw_errbuf *eb)
{
	static const enum stmt by_swarm[2] = {ST_ADD_SWARM, ST_UPSERT_SWARM};
	static const enum stmt by_title[2] = {ST_ADD_TITLE, ST_UPSERT_TITLE};
	const enum stmt *order = infohash != NULL ? by_swarm : by_title;
	int rc = SW_OK;

	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = s->st[order[i]];

		if (bind_entry(st, infohash, title_id, e) != SQLITE_OK)
			return bind_failed(s, st, stmt_what[order[i]], eb);
		rc = step(s, st, stmt_what[order[i]], NULL, NULL, eb);
		if (rc != SW_OK || sqlite3_changes(s->db) > 0)
			break;
	}
	return rc;
}

/*
 * Upsert the entries (sorted by swarm) into swarm_peers; collect those of
 * linked swarms with their title in titled[*n_titled].
 */
static int fold_swarms(struct sqlite_sink *s, const struct sw_peer_agg_entry **order, size_t n,
                       struct titled *titled, size_t *n_titled, struct sw_errbuf *eb)
{
	const uint8_t *cur = NULL;
	int64_t title_id = 0;
	int rc = SW_OK;

	*n_titled = 0;
	for (size_t i = 0; rc == SW_OK && i < n; i++) {
		const struct sw_peer_agg_entry *e = order[i];

		if (cur == NULL || memcmp(cur, e->infohash, SW_INFOHASH_LEN) != 0) {
			title_id = 0; /* a NULL title_id reads as 0 too */
			cur = e->infohash;
			rc = run_keyed(s, ST_TORRENT_TITLE, cur, 0, NULL, &title_id, eb);
		}
		if (rc == SW_OK)
			rc = upsert_entry(s, e->infohash, 0, e, eb);
		if (rc == SW_OK && title_id != SW_SINK_NO_TITLE)
			titled[(*n_titled)++] = (struct titled){title_id, e};
	}
	return rc;
}

/* Fold the unfolded observations by SQL: for stale entries and as fallback. */
static int fold_sql(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	int rc = run_keyed(s, ST_FOLD_SWARM, NULL, s->folded_rowid, NULL, NULL, eb);

	if (rc == SW_OK)
		rc = run_keyed(s, ST_FOLD_TITLE, NULL, s->folded_rowid, NULL, NULL, eb);
	return rc;
}

static int fold_agg(struct sqlite_sink *s, const struct sw_peer_agg *agg, struct sw_errbuf *eb)
{
	size_t n = agg->n, n_titled = 0;
	const struct sw_peer_agg_entry **order = malloc(n * sizeof(*order));
	struct titled *titled = malloc(n * sizeof(*titled));
	int rc;

	if (order == NULL || titled == NULL) {
		rc = fold_sql(s, eb); /* slower, but needs no memory of ours */
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = &agg->entries[i];
	qsort(order, n, sizeof(*order), sw_peer_agg_cmp);
	rc = fold_swarms(s, order, n, titled, &n_titled, eb);
	if (rc != SW_OK)
		goto out;
	qsort(titled, n_titled, sizeof(*titled), titled_cmp);
	for (size_t i = 0; rc == SW_OK && i < n_titled; i++)
		rc = upsert_entry(s, NULL, titled[i].title_id, titled[i].e, eb);
out:
	free(order);
	free(titled);
	return rc;
}

/*
 * Inside the open transaction: fold every observation written so far into
 * the peer tables, from agg (which covers those since folded_rowid) or, when
 * there is none or it cannot be trusted, by SQL; move folded_rowid to
 * *through.  *folded says whether there was anything to fold.
 */
static int fold(struct sqlite_sink *s, const struct sw_peer_agg *agg, int64_t *through,
                bool *folded, struct sw_errbuf *eb)
{
	int rc;

	*through = s->folded_rowid;
	*folded = false;
	if (s->last_obs_rowid <= s->folded_rowid && !s->stale)
		return SW_OK;
	if (s->stale || agg == NULL) {
		rc = step(s, s->st[ST_MAX_OBS], stmt_what[ST_MAX_OBS], NULL, through, eb);
		if (rc == SW_OK)
			rc = fold_sql(s, eb);
	} else {
		*through = s->last_obs_rowid;
		rc = agg->n > 0 ? fold_agg(s, agg, eb) : SW_OK;
	}
	if (rc == SW_OK)
		rc = run_keyed(s, ST_STATE_SET, NULL, *through, NULL, NULL, eb);
	*folded = rc == SW_OK;
	return rc;
}

/* Bind queued observation r as row k (0-based) of an observations insert. */
static int bind_obs(sqlite3_stmt *st, int k, const struct batch *b, const struct obs_rec *r)
{
	int i = k * OBS_COLS, bd = SQLITE_OK;

	bd |= sqlite3_bind_int64(st, i + 1, r->ts);
	bd |= sqlite3_bind_blob(st, i + 2, r->infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	bd |= sqlite3_bind_blob(st, i + 3, r->key, r->key_len, SQLITE_STATIC);
	bd |= sqlite3_bind_int(st, i + 4, r->port);
	bd |= sqlite3_bind_int(st, i + 5, r->source);
	bd |= sqlite3_bind_int(st, i + 6, r->tier);
	bd |= r->has_have ? sqlite3_bind_double(st, i + 7, r->have) : sqlite3_bind_null(st, i + 7);
	bd |= r->has_client ? sqlite3_bind_text(st, i + 8, b->text + r->client_off, r->client_len,
	                                        SQLITE_STATIC)
	                    : sqlite3_bind_null(st, i + 8);
	bd |= bind_text_opt(st, i + 9, r->country[0] != '\0' ? r->country : NULL, 2);
	bd |= r->asn != 0 ? sqlite3_bind_int64(st, i + 10, r->asn) : sqlite3_bind_null(st, i + 10);
	bd |= r->net_len ? sqlite3_bind_blob(st, i + 11, b->text + r->net_off, r->net_len,
	                                     SQLITE_STATIC)
	                 : sqlite3_bind_null(st, i + 11);
	return bd;
}

/*
 * Insert n (1 or OBS_MULTI) queued observations into the open transaction:
 * one statement for OBS_MULTI rows costs a third of OBS_MULTI statements.
 */
static int insert_obs(struct sqlite_sink *s, const struct batch *b, const struct obs_rec *r,
                      size_t n, struct sw_errbuf *eb)
{
	sqlite3_stmt *st = n == 1 ? s->st[ST_OBS] : s->st_obs_multi;
	int bd = SQLITE_OK;

	for (size_t k = 0; k < n; k++)
		bd |= bind_obs(st, (int)k, b, &r[k]);
	if (bd != SQLITE_OK)
		return bind_failed(s, st, "insert observation", eb);
	return step(s, st, "insert observation", NULL, NULL, eb);
}

/*
 * Write a batch (NULL: none) in the open transaction or a new one, fold if
 * it says so, and commit.  Run by the writer thread, or by the caller once
 * the writer is idle.  A row that fails is skipped (the fold's entries may
 * then count it: fold by SQL next time); a failed transaction loses the
 * batch.  Either way the first error is returned.
 */
static int write_batch(struct sqlite_sink *s, const struct batch *b, struct sw_errbuf *eb)
{
	bool do_fold = b != NULL && b->fold, folded = false;
	int64_t through = s->folded_rowid;
	int rc = SW_OK, first = SW_OK;
	struct sw_errbuf row_eb = {{0}};

	if ((b == NULL || b->n == 0) && !do_fold && !s->in_txn)
		return SW_OK;
	rc = begin(s, eb);
	for (size_t i = 0, n; rc == SW_OK && b != NULL && i < b->n; i += n) {
		int r;

		/* Whole groups of OBS_MULTI, then one by one (and after a failure). */
		n = b->n - i >= OBS_MULTI && s->st_obs_multi != NULL && first == SW_OK ? OBS_MULTI
		                                                                        : 1;
		r = insert_obs(s, b, &b->recs[i], n, first == SW_OK ? eb : &row_eb);
		if (r == SW_OK) {
			s->last_obs_rowid = sqlite3_last_insert_rowid(s->db);
			s->pending += n;
			continue;
		}
		if (first == SW_OK)
			first = r;
		s->stale = true;
		if (!s->in_txn) /* the transaction went with it */
			return first;
	}
	if (rc == SW_OK && do_fold)
		rc = fold(s, b->agg, &through, &folded, eb);
	if (rc == SW_OK)
		rc = run(s, ST_COMMIT, eb);
	if (rc != SW_OK) {
		if (s->in_txn)
			lose_batch(s);
		return first != SW_OK ? first : rc;
	}
	s->in_txn = false;
	s->pending = 0;
	if (folded) {
		s->folded_rowid = through;
		s->stale = false;
	}
	return first;
}

/* --- the writer thread --------------------------------------------------- */

/*
 * Observations are written by a thread of the sink's own, so that keying,
 * geo and the caller's bookkeeping of the next batch run while SQLite
 * writes the last one (two cores: twice the rate).  The caller hands over
 * full batches through a FIFO and gets written ones back to refill; the
 * last batch of a fold window carries that window's agg, and the caller
 * goes on filling the other one.  Anything else that touches the
 * connection first waits for the queue to empty (wait_idle()), so only one
 * thread uses it at a time.  The writer's errors are kept and returned by
 * the next flush, close or control call.
 */
static void *writer_main(void *arg)
{
	struct sqlite_sink *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct batch *b;
		struct sw_errbuf eb = {{0}};
		int rc;

		while (s->q_len == 0 && !s->quit)
			pthread_cond_wait(&s->cv_work, &s->mu);
		if (s->q_len == 0)
			break;
		b = s->queue[s->q_head];
		pthread_mutex_unlock(&s->mu);
		rc = write_batch(s, b, &eb);
		pthread_mutex_lock(&s->mu);
		if (rc != SW_OK && s->werr == SW_OK) {
			s->werr = rc;
			memcpy(s->werr_msg, eb.msg, sizeof(s->werr_msg));
		}
		if (b->fold && b->agg != NULL)
			s->agg_busy[b->agg == &s->aggs[1]] = false;
		s->q_head = (s->q_head + 1) % MAX_BATCHES;
		s->q_len--;
		s->spare[s->n_spare++] = b;
		pthread_cond_broadcast(&s->cv_done);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/*
 * WAL checkpoints (copying committed pages from the WAL into the database
 * file, then syncing it) cost the writer a fifth of its time when it runs
 * them itself after a commit, as SQLite's automatic checkpoint does.  A
 * thread of their own with its own connection runs them instead, PASSIVE
 * (never blocking the writer or readers), whenever the WAL has grown by
 * CKPT_PAGES since the last one.  If it falls far behind, the writer runs
 * one too.  Without the thread, SQLite's automatic checkpoint stays on.
 */
#define CKPT_PAGES 1000

static void *ckpt_main(void *arg)
{
	struct sqlite_sink *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->ckpt_wanted && !s->ckpt_quit)
			pthread_cond_wait(&s->cv_ckpt, &s->mu);
		if (s->ckpt_quit)
			break;
		s->ckpt_wanted = false;
		s->ckpt_running = true;
		pthread_mutex_unlock(&s->mu);
		/* BUSY (another checkpoint runs) or an I/O error: the next one retries. */
		sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&s->mu);
		s->ckpt_running = false;
		pthread_cond_broadcast(&s->cv_ckpt);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/*
 * Called by SQLite after each commit on the sink's connection, with the
 * WAL's size in pages.  The WAL starts again from its beginning only when
 * a transaction begins after a checkpoint copied all of it, which a
 * checkpointer running beside a busy writer seldom achieves: past
 * CKPT_RESTART_PAGES, the writer waits for it and then copies the rest
 * itself (little, by then), so the next batch restarts the WAL.
 */
#define CKPT_RESTART_PAGES (16 * CKPT_PAGES)

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sqlite_sink *s = arg;

	if (pages < CKPT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&s->mu);
	if (pages >= CKPT_RESTART_PAGES) {
		while (s->ckpt_running)
			pthread_cond_wait(&s->cv_ckpt, &s->mu);
		pthread_mutex_unlock(&s->mu);
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	s->ckpt_wanted = true;
	pthread_cond_signal(&s->cv_ckpt);
	pthread_mutex_unlock(&s->mu);
	return SQLITE_OK;
}

/* Start the checkpointer; on any failure SQLite's own checkpoints stay on. */
static void start_checkpointer(struct sqlite_sink *s)
{
	const char *path = sqlite3_db_filename(s->db, "main");

	if (path == NULL || path[0] == '\0' ||
	    sqlite3_open_v2(path, &s->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		sqlite3_close_v2(s->ckpt_db);
		s->ckpt_db = NULL;
		return;
	}
	sqlite3_busy_timeout(s->ckpt_db, s->opt.busy_timeout_ms);
	if (pthread_create(&s->ckpt_thread, NULL, ckpt_main, s) != 0) {
		sqlite3_close_v2(s->ckpt_db);
		s->ckpt_db = NULL;
		return;
	}
	s->ckpt_started = true;
	sqlite3_wal_hook(s->db, wal_hook, s); /* replaces the automatic checkpoint */
}

static int start_writer(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	sigset_t all, old;
	int rc;

	/* Signals are the caller's business: the writer blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!s->ckpt_started)
		start_checkpointer(s);
	rc = pthread_create(&s->thread, NULL, writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return sw_errbuf_set(eb, SW_E_NOMEM, "store: cannot start the writer thread: %s",
		                     strerror(rc));
	s->thread_started = true;
	return SW_OK;
}

/* The writer's kept error, if any, into eb (and forgotten).  Under mu. */
static int take_error(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	int rc = s->werr;

	if (rc != SW_OK) {
		sw_errbuf_set(eb, rc, "%s", s->werr_msg);
		s->werr = SW_OK;
	}
	return rc;
}

/* Wait until every queued batch is written: the connection is ours then. */
static void wait_writer(struct sqlite_sink *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->q_len > 0)
		pthread_cond_wait(&s->cv_done, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

/* The same, and return the writer's kept error. */
static int wait_idle(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	int rc;

	wait_writer(s);
	pthread_mutex_lock(&s->mu);
	rc = take_error(s, eb);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void batch_free(struct batch *b)
{
	if (b != NULL) {
		free(b->recs);
		free(b->text);
		free(b);
	}
}

/* An empty batch to fill: a spare one, a new one, or (all in flight) wait. */
static int get_batch(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	struct batch *b = NULL;

	pthread_mutex_lock(&s->mu);
	if (s->n_spare == 0 && s->n_batches >= s->max_batches)
		while (s->n_spare == 0)
			pthread_cond_wait(&s->cv_done, &s->mu);
	if (s->n_spare > 0)
		b = s->spare[--s->n_spare];
	pthread_mutex_unlock(&s->mu);
	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b != NULL)
			b->recs = malloc(s->opt.batch_rows * sizeof(*b->recs));
		if (b == NULL || b->recs == NULL) {
			batch_free(b);
			return sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory for a batch");
		}
		s->n_batches++;
	}
	b->n = 0;
	b->text_len = 0;
	b->fold = false;
	b->agg = NULL;
	s->cur = b;
	return SW_OK;
}

/* The fold window was handed over: start the next one in aggs[cur_agg]. */
static void new_window(struct sqlite_sink *s)
{
	sw_peer_agg_reset(&s->aggs[s->cur_agg]);
	s->agg_oom = false;
	s->unfolded = 0;
}

/*
 * Write and (if fold_now) fold everything put so far, then return with the
 * connection ours and no transaction open.  The writer's kept error, if
 * any, is returned.
 */
static int drain(struct sqlite_sink *s, bool fold_now, struct sw_errbuf *eb)
{
	struct batch none = {0}, *b = s->cur != NULL ? s->cur : &none;
	int rc = wait_idle(s, eb), rc2;

	b->fold = fold_now;
	b->agg = s->agg_oom ? NULL : &s->aggs[s->cur_agg];
	rc2 = write_batch(s, b, eb);
	if (rc == SW_OK)
		rc = rc2;
	b->n = 0;
	b->text_len = 0;
	if (fold_now)
		new_window(s);
	return rc;
}

/*
 * Hand the current batch to the writer, with the fold window's agg if
 * fold_now (then switch to the other agg, once the writer is done with it).
 */
static int post(struct sqlite_sink *s, bool fold_now, struct sw_errbuf *eb)
{
	struct batch *b = s->cur;

	if (!s->thread_started && start_writer(s, eb) != SW_OK)
		return drain(s, fold_now, eb); /* no thread: write it here */
	b->fold = fold_now;
	b->agg = NULL;
	pthread_mutex_lock(&s->mu);
	if (fold_now) {
		int next = !s->cur_agg;

		if (!s->agg_oom) {
			b->agg = &s->aggs[s->cur_agg];
			s->agg_busy[s->cur_agg] = true;
		}
		while (s->agg_busy[next])
			pthread_cond_wait(&s->cv_done, &s->mu);
		s->cur_agg = next;
	}
	s->queue[(s->q_head + s->q_len) % MAX_BATCHES] = b;
	s->q_len++;
	pthread_cond_signal(&s->cv_work);
	pthread_mutex_unlock(&s->mu);
	if (fold_now)
		new_window(s);
	s->cur = NULL;
	return SW_OK;
}

/* The caller wrote a row itself (scrape, torrent): commit if the batch is full. */
static int row_added(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	if (++s->pending >= s->opt.batch_rows)
		return write_batch(s, NULL, eb);
	return SW_OK;
}

/*
 * Control-plane calls run in a transaction of their own: write and fold
 * everything, begin, work, then control_end() commits or rolls back just
 * that work.
 */
static int control_begin(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	int rc = drain(s, true, eb);

	return rc == SW_OK ? begin(s, eb) : rc;
}

static int control_end(struct sqlite_sink *s, int rc, struct sw_errbuf *eb)
{
	if (rc == SW_OK)
		return write_batch(s, NULL, eb);
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_step(s->st[ST_ROLLBACK]);
		sqlite3_reset(s->st[ST_ROLLBACK]);
	}
	s->in_txn = false;
	s->pending = 0;
	return rc;
}

/* --- writes ------------------------------------------------------------ */

/* Append len bytes to the batch's text; *off gets where.  false: out of memory. */
static bool batch_text(struct batch *b, const void *data, size_t len, uint32_t *off)
{
	if (b->text_len + len > b->text_cap) {
		size_t cap = b->text_cap ? b->text_cap : 4096;
		char *t;

		while (cap < b->text_len + len)
			cap *= 2;
		t = realloc(b->text, cap);
		if (t == NULL)
			return false;
		b->text = t;
		b->text_cap = cap;
	}
	memcpy(b->text + b->text_len, data, len);
	*off = (uint32_t)b->text_len;
	b->text_len += len;
	return true;
}

static int put_observation(struct sw_sink *sink, const struct sw_observation *o,
                           struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	struct obs_rec *r;
	struct sw_peer_agg *agg = &s->aggs[s->cur_agg];
	uint8_t net[SW_SINK_ADDR_MAX];
	size_t key_len = 0, net_len = 0;
	int rc;

	if (s->cur == NULL && (rc = get_batch(s, eb)) != SW_OK)
		return rc;
	r = &s->cur->recs[s->cur->n];
	memset(r, 0, offsetof(struct obs_rec, infohash));
	rc = sw_sink_addr_key(&s->opt, &o->addr, r->key, &key_len, eb);
	if (rc == SW_OK)
		rc = sw_sink_net_key(&s->opt, &o->addr, net, &net_len, eb);
	if (rc != SW_OK)
		return rc;
	r->key_len = (uint8_t)key_len;
	r->net_len = (uint8_t)net_len;
	if (net_len > 0 && !batch_text(s->cur, net, net_len, &r->net_off))
		return sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory for a batch");
	if (o->client != NULL) {
		size_t len = strnlen(o->client, SW_SINK_CLIENT_MAX);

		if (!batch_text(s->cur, o->client, len, &r->client_off))
			return sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory for a batch");
		r->client_len = (uint16_t)len;
		r->has_client = true;
	}
	r->ts = o->ts_ms;
	memcpy(r->infohash, o->infohash, SW_INFOHASH_LEN);
	r->port = o->addr.port;
	r->source = (uint8_t)o->source;
	r->tier = (uint8_t)o->tier;
	r->has_have = o->has_have;
	r->have = o->have;
	memcpy(r->country, o->country, sizeof(r->country));
	r->country[2] = '\0';
	r->asn = o->asn;
	s->cur->n++;
	s->unfolded++;
	if (!s->agg_oom && sw_peer_agg_add_net(agg, o->infohash, r->key, key_len, net, net_len,
	                                       o->ts_ms, o->tier, o->country, o->asn) != SW_OK) {
		/* Out of memory: the row will be written; fold this window by SQL. */
		s->agg_oom = true;
		sw_peer_agg_reset(agg);
	}
	if (s->unfolded >= s->opt.fold_rows)
		return post(s, true, eb);
	if (s->cur->n >= s->opt.batch_rows)
		return post(s, false, eb);
	return SW_OK;
}

static int put_scrape(struct sw_sink *sink, const struct sw_scrape *sc, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = s->st[ST_SCRAPE];
	int rc, b = SQLITE_OK;

	wait_writer(s); /* the connection is ours; the writer's errors stay for flush */
	rc = begin(s, eb);

	if (rc != SW_OK)
		return rc;
	b |= sqlite3_bind_int64(st, 1, sc->ts_ms);
	b |= sqlite3_bind_blob(st, 2, sc->infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	b |= bind_text_opt(st, 3, sc->tracker, SW_SINK_TEXT_MAX);
	b |= bind_i64_opt(st, 4, sc->seeders);
	b |= bind_i64_opt(st, 5, sc->leechers);
	b |= bind_i64_opt(st, 6, sc->completed);
	if (b != SQLITE_OK)
		return bind_failed(s, st, "insert scrape", eb);
	rc = step(s, st, "insert scrape", NULL, NULL, eb);
	return rc == SW_OK ? row_added(s, eb) : rc;
}

static int put_torrent(struct sw_sink *sink, const struct sw_torrent *t, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = s->st[ST_TORRENT];
	int rc, b = SQLITE_OK;

	wait_writer(s); /* the connection is ours; the writer's errors stay for flush */
	rc = begin(s, eb);

	if (rc != SW_OK)
		return rc;
	b |= sqlite3_bind_blob(st, 1, t->infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	b |= bind_text_opt(st, 2, t->name, SW_SINK_TEXT_MAX);
	b |= bind_i64_opt(st, 3, t->total_size);
	b |= bind_i64_opt(st, 4, t->num_pieces);
	b |= bind_text_opt(st, 5, t->source, SW_SINK_TEXT_MAX);
	b |= bind_i64_opt(st, 6, t->first_seen_ms);
	if (b != SQLITE_OK)
		return bind_failed(s, st, "upsert torrent", eb);
	rc = step(s, st, "upsert torrent", NULL, NULL, eb);
	return rc == SW_OK ? row_added(s, eb) : rc;
}

static int aliases_json(const struct sw_title *t, struct sw_buf *out, struct sw_errbuf *eb)
{
	struct sw_json j;
	int rc;

	sw_json_init(&j, out);
	sw_json_arr_begin(&j);
	for (size_t i = 0; i < t->n_aliases; i++)
		sw_json_str(&j, t->aliases[i]);
	sw_json_arr_end(&j);
	rc = sw_json_error(&j);
	if (rc != SW_OK)
		return sw_errbuf_set(eb, rc, "store: title aliases: %s", sw_strerror(rc));
	return SW_OK;
}

/* Find (name, year) or insert it; replace its aliases; *id_out its id. */
static int upsert_title(struct sqlite_sink *s, const struct sw_title *t,
                        const struct sw_buf *aliases, int64_t *id_out, struct sw_errbuf *eb)
{
	sqlite3_stmt *find = s->st[ST_TITLE_FIND];
	sqlite3_stmt *st;
	bool found = false;
	int rc, b = SQLITE_OK;

	b |= sqlite3_bind_text(find, 1, t->name, -1, SQLITE_STATIC);
	b |= t->year > 0 ? sqlite3_bind_int(find, 2, t->year) : sqlite3_bind_null(find, 2);
	if (b != SQLITE_OK)
		return bind_failed(s, find, "find title", eb);
	rc = step(s, find, "find title", &found, id_out, eb);
	if (rc != SW_OK)
		return rc;
	st = s->st[found ? ST_TITLE_ALIASES : ST_TITLE_INSERT];
	if (found) {
		b |= sqlite3_bind_int64(st, 1, *id_out);
	} else {
		b |= sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		b |= t->year > 0 ? sqlite3_bind_int(st, 2, t->year) : sqlite3_bind_null(st, 2);
	}
	b |= sqlite3_bind_text(st, found ? 2 : 3, (const char *)aliases->data, (int)aliases->len,
	                       SQLITE_STATIC);
	if (b != SQLITE_OK)
		return bind_failed(s, st, "write title", eb);
	rc = step(s, st, "write title", NULL, NULL, eb);
	if (rc == SW_OK && !found)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int put_title(struct sw_sink *sink, const struct sw_title *t, int64_t *id_out,
                     struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	struct sw_buf aliases;
	int64_t id = 0;
	int rc;

	sw_buf_init(&aliases, ALIASES_JSON_MAX);
	rc = aliases_json(t, &aliases, eb);
	if (rc != SW_OK)
		goto out;
	rc = control_begin(s, eb);
	if (rc != SW_OK)
		goto out;
	rc = upsert_title(s, t, &aliases, &id, eb);
	rc = control_end(s, rc, eb);
out:
	sw_buf_deinit(&aliases);
	if (rc == SW_OK)
		*id_out = id;
	return rc;
}

/* Point infohash at title_id (old_id before) and fix up peers. */
static int relink(struct sqlite_sink *s, const uint8_t *infohash, int64_t old_id, int64_t title_id,
                  struct sw_errbuf *eb)
{
	sqlite3_stmt *link = s->st[ST_LINK];
	int rc, b = SQLITE_OK;

	b |= sqlite3_bind_blob(link, 1, infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	b |= title_id != SW_SINK_NO_TITLE ? sqlite3_bind_int64(link, 2, title_id)
	                                  : sqlite3_bind_null(link, 2);
	if (b != SQLITE_OK)
		return bind_failed(s, link, "link torrent", eb);
	rc = step(s, link, "link torrent", NULL, NULL, eb);
	if (rc == SW_OK && old_id != SW_SINK_NO_TITLE) {
		/* Its addresses may be the old title's only through this swarm. */
		rc = run_keyed(s, ST_TITLE_DROP, NULL, old_id, NULL, NULL, eb);
		if (rc == SW_OK)
			rc = run_keyed(s, ST_TITLE_REBUILD, NULL, old_id, NULL, NULL, eb);
	}
	if (rc == SW_OK && title_id != SW_SINK_NO_TITLE) {
		sqlite3_stmt *fill = s->st[ST_TITLE_BACKFILL];

		b |= sqlite3_bind_blob(fill, 1, infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
		b |= sqlite3_bind_int64(fill, 2, title_id);
		if (b != SQLITE_OK)
			return bind_failed(s, fill, "backfill peers", eb);
		rc = step(s, fill, "backfill peers", NULL, NULL, eb);
	}
	return rc;
}

static int link_torrent_title(struct sw_sink *sink, const uint8_t infohash[SW_INFOHASH_LEN],
                              int64_t title_id, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	bool found = false;
	int64_t old_id = SW_SINK_NO_TITLE;
	int rc;

	/* Committing the batch first folds it, so swarm_peers is complete. */
	rc = control_begin(s, eb);
	if (rc != SW_OK)
		return rc;
	if (title_id != SW_SINK_NO_TITLE) {
		rc = run_keyed(s, ST_TITLE_EXISTS, NULL, title_id, &found, NULL, eb);
		if (rc == SW_OK && !found)
			rc = sw_errbuf_set(eb, SW_E_NOT_FOUND, "store: no title with id %lld",
			                   (long long)title_id);
	}
	if (rc == SW_OK)
		rc = run_keyed(s, ST_TORRENT_TITLE, infohash, 0, &found, &old_id, eb);
	if (rc == SW_OK && (found ? old_id != title_id : title_id != SW_SINK_NO_TITLE))
		rc = relink(s, infohash, found ? old_id : SW_SINK_NO_TITLE, title_id, eb);
	return control_end(s, rc, eb);
}

static int flush(struct sw_sink *sink, struct sw_errbuf *eb)
{
	return drain((struct sqlite_sink *)sink, true, eb);
}

/* --- open and close ---------------------------------------------------- */

static void destroy(struct sqlite_sink *s)
{
	if (s == NULL)
		return;
	if (s->ckpt_started) {
		pthread_mutex_lock(&s->mu);
		s->ckpt_quit = true;
		pthread_cond_signal(&s->cv_ckpt);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->ckpt_thread, NULL);
	}
	sqlite3_close_v2(s->ckpt_db);
	if (s->thread_started) {
		pthread_mutex_lock(&s->mu);
		s->quit = true;
		pthread_cond_signal(&s->cv_work);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL); /* it writes what is queued first */
	}
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_finalize(s->st_obs_multi);
	sqlite3_close_v2(s->db);
	sw_peer_agg_deinit(&s->aggs[0]);
	sw_peer_agg_deinit(&s->aggs[1]);
	batch_free(s->cur);
	for (size_t i = 0; i < s->n_spare; i++)
		batch_free(s->spare[i]);
	pthread_cond_destroy(&s->cv_work);
	pthread_cond_destroy(&s->cv_done);
	pthread_cond_destroy(&s->cv_ckpt);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static int close_sink(struct sw_sink *sink, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	int rc = drain(s, true, eb);

	destroy(s);
	return rc;
}

static const struct sw_sink_ops sqlite_ops = {
    .name = "sqlite",
    .put_observation = put_observation,
    .put_scrape = put_scrape,
    .put_torrent = put_torrent,
    .put_title = put_title,
    .link_torrent_title = link_torrent_title,
    .flush = flush,
    .close = close_sink,
};

/* WAL, so reports can read while the daemon writes; NORMAL sync is safe in WAL. */
static int set_pragmas(struct sqlite_sink *s, const char *path, struct sw_errbuf *eb)
{
	static const char tuning[] = "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;";
	sqlite3_stmt *st = NULL;
	const char *mode;
	char sql[64];
	int rc = SW_OK;

	/* Only takes effect on a new file; must precede WAL (which fixes it). */
	snprintf(sql, sizeof(sql), "PRAGMA page_size = %d", SW_SQLITE_PAGE_SIZE);
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = sw_store_sqlite_dberr(eb, s->db, path);
		goto out;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		rc = sw_errbuf_set(eb, SW_E_DB, "store: %s: cannot use WAL (journal mode is %s)",
		                   path, mode != NULL ? mode : "unknown");
		goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", SW_SQLITE_CACHE_KIB);
	if (sqlite3_exec(s->db, tuning, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = sw_store_sqlite_dberr(eb, s->db, path);
out:
	sqlite3_finalize(st);
	return rc;
}

/* Where folding stands: observations past folded_rowid are folded by SQL. */
static int read_fold_state(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	int rc = step(s, s->st[ST_STATE_GET], stmt_what[ST_STATE_GET], NULL, &s->folded_rowid, eb);
	if (rc == SW_OK)
		rc =
		    step(s, s->st[ST_MAX_OBS], stmt_what[ST_MAX_OBS], NULL, &s->last_obs_rowid, eb);
	if (rc == SW_OK && s->last_obs_rowid > s->folded_rowid) {
		s->stale = true;
		s->unfolded = (size_t)(s->last_obs_rowid - s->folded_rowid);
	}
	return rc;
}

/* ST_OBS's INSERT with OBS_MULTI rows of ?-parameters. */
static void prepare_obs_multi(struct sqlite_sink *s)
{
	static const char head[] = "INSERT INTO observations(ts, infohash, addr, port, source, "
	                           "tier, have, client, country, asn, net) VALUES ";
	char *sql = malloc(sizeof(head) + OBS_MULTI * (OBS_COLS * 5 + 4));
	size_t len = sizeof(head) - 1;

	if (sql == NULL)
		return;
	memcpy(sql, head, len);
	for (int k = 0; k < OBS_MULTI; k++) {
		sql[len++] = k ? ',' : '(';
		if (k)
			sql[len++] = '(';
		for (int c = 0; c < OBS_COLS; c++)
			len += (size_t)snprintf(sql + len, 8, c ? ",?%d" : "?%d", k * OBS_COLS + c + 1);
		sql[len++] = ')';
	}
	sql[len] = '\0';
	if (sqlite3_prepare_v3(s->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT, &s->st_obs_multi,
	                       NULL) != SQLITE_OK)
		s->st_obs_multi = NULL;
	free(sql);
}

static int open_db(struct sqlite_sink *s, const char *path, struct sw_errbuf *eb)
{
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	int rc;

	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
		return sw_errbuf_set(eb, SW_E_DB, "store: cannot open %s: %s", path,
		                     s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
	sqlite3_busy_timeout(s->db, s->opt.busy_timeout_ms);
	/* Look before writing: WAL mode would change someone else's file. */
	rc = sw_store_sqlite_check(s->db, path, eb);
	if (rc == SW_OK)
		rc = set_pragmas(s, path, eb);
	if (rc == SW_OK)
		rc = sw_store_sqlite_migrate(s->db, path, eb);
	for (int i = 0; rc == SW_OK && i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
		                       NULL) != SQLITE_OK)
			rc = sw_store_sqlite_dberr(eb, s->db, stmt_what[i]);
	}
	if (rc == SW_OK)
		prepare_obs_multi(s); /* optional: without it rows go one by one */
	if (rc == SW_OK)
		rc = read_fold_state(s, eb);
	return rc;
}

int sw_store_sqlite_open(const char *path, const struct sw_store_options *opt, struct sw_sink **out,
                         struct sw_errbuf *eb)
{
	struct sqlite_sink *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory");
	s->base.ops = &sqlite_ops;
	sw_store_options_resolve(opt, &s->opt);
	sw_peer_agg_init(&s->aggs[0]);
	sw_peer_agg_init(&s->aggs[1]);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv_work, NULL);
	pthread_cond_init(&s->cv_done, NULL);
	pthread_cond_init(&s->cv_ckpt, NULL);
	/* Enough batches for a fold window, so a fold does not stall the caller. */
	s->max_batches = s->opt.fold_rows / s->opt.batch_rows + 2;
	if (s->max_batches > MAX_BATCHES)
		s->max_batches = MAX_BATCHES;
	rc = open_db(s, path, eb);
	if (rc != SW_OK)
		destroy(s);
	else
		*out = &s->base;
	return rc;
}

/* --- reads ------------------------------------------------------------- */

bool sw_store_sqlite_is(const struct sw_sink *sink)
{
	return sink != NULL && sink->ops == &sqlite_ops;
}

/*
 * Run a count query: ?1 (if the SQL has it) is infohash or, when that is
 * NULL, id; ?2 (if present) is as_of.  Commits the batch first.
 */
static int read_count(struct sw_sink *sink, const char *sql, const uint8_t *infohash, int64_t id,
                      int64_t as_of, int64_t *n_out, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = NULL;
	int rc, n_params, b = SQLITE_OK;

	if (!sw_store_sqlite_is(sink))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: not an sqlite sink");
	rc = drain(s, true, eb);
	if (rc != SW_OK)
		return rc;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sw_store_sqlite_dberr(eb, s->db, sql);
	n_params = sqlite3_bind_parameter_count(st);
	if (n_params >= 1 && infohash != NULL)
		b |= sqlite3_bind_blob(st, 1, infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	else if (n_params >= 1)
		b |= sqlite3_bind_int64(st, 1, id);
	if (n_params >= 2)
		b |= sqlite3_bind_int64(st, 2, as_of);
	if (b == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*n_out = sqlite3_column_int64(st, 0);
	else
		rc = sw_store_sqlite_dberr(eb, s->db, "count");
	sqlite3_finalize(st);
	return rc;
}

int sw_store_sqlite_count_observations(struct sw_sink *sink, const uint8_t *infohash,
                                       int64_t *n_out, struct sw_errbuf *eb)
{
	const char *sql = infohash != NULL ? "SELECT count(*) FROM observations WHERE infohash = ?1"
	                                   : "SELECT count(*) FROM observations";

	return read_count(sink, sql, infohash, 0, 0, n_out, eb);
}

/* Column names are fixed strings, never input: index by tier. */
static const char *const title_count_sql[SW_TIER_COUNT] = {
    "SELECT count(*) FROM peers WHERE title_id = ?1 AND first_seen <= ?2",
    "SELECT count(*) FROM peers WHERE title_id = ?1 AND first_connectable <= ?2",
    "SELECT count(*) FROM peers WHERE title_id = ?1 AND first_verified <= ?2",
    "SELECT count(*) FROM peers WHERE title_id = ?1 AND first_proven <= ?2",
};

static const char *const swarm_count_sql[SW_TIER_COUNT] = {
    "SELECT count(*) FROM swarm_peers WHERE infohash = ?1 AND first_seen <= ?2",
    "SELECT count(*) FROM swarm_peers WHERE infohash = ?1 AND first_connectable <= ?2",
    "SELECT count(*) FROM swarm_peers WHERE infohash = ?1 AND first_verified <= ?2",
    "SELECT count(*) FROM swarm_peers WHERE infohash = ?1 AND first_proven <= ?2",
};

int sw_store_sqlite_unique_addrs_title(struct sw_sink *sink, int64_t title_id,
                                       enum sw_tier tier_min, int64_t as_of_ms, int64_t *n_out,
                                       struct sw_errbuf *eb)
{
	if ((unsigned)tier_min >= SW_TIER_COUNT)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: unknown tier %d", (int)tier_min);
	return read_count(sink, title_count_sql[tier_min], NULL, title_id, as_of_ms, n_out, eb);
}

int sw_store_sqlite_unique_addrs_swarm(struct sw_sink *sink,
                                       const uint8_t infohash[SW_INFOHASH_LEN],
                                       enum sw_tier tier_min, int64_t as_of_ms, int64_t *n_out,
                                       struct sw_errbuf *eb)
{
	if ((unsigned)tier_min >= SW_TIER_COUNT)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: unknown tier %d", (int)tier_min);
	return read_count(sink, swarm_count_sql[tier_min], infohash, 0, as_of_ms, n_out, eb);
}

int sw_store_sqlite_torrents(struct sw_sink *sink, bool linked_only, sw_store_torrent_fn fn,
                             void *ctx, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	const char *sql = linked_only
	                      ? "SELECT infohash, name, coalesce(title_id, 0) FROM torrents "
	                        "WHERE title_id IS NOT NULL ORDER BY first_seen"
	                      : "SELECT infohash, name, coalesce(title_id, 0) FROM torrents "
	                        "ORDER BY first_seen";
	sqlite3_stmt *st = NULL;
	int rc, step;

	if (!sw_store_sqlite_is(sink))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: not an sqlite sink");
	rc = drain(s, true, eb);
	if (rc != SW_OK)
		return rc;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sw_store_sqlite_dberr(eb, s->db, "list torrents");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const void *ih = sqlite3_column_blob(st, 0);

		if (ih == NULL || sqlite3_column_bytes(st, 0) != SW_INFOHASH_LEN)
			continue;
		fn(ctx, ih, (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2));
	}
	if (step != SQLITE_DONE)
		rc = sw_store_sqlite_dberr(eb, s->db, "list torrents");
	sqlite3_finalize(st);
	return rc;
}

/* Binds row i of a replace_rows() table; returns an SQLITE_* code. */
typedef int (*bind_row_fn)(sqlite3_stmt *st, size_t i, const void *ctx);

/*
 * Replace a small table's rows in one transaction of their own: everything
 * queued is written first, then DELETE, then insert_sql bound by bind for
 * rows 0..n-1.  Errors name what; a failure leaves the old rows.
 */
static int replace_rows(struct sw_sink *sink, const char *delete_sql, const char *insert_sql,
                        bind_row_fn bind, const void *ctx, size_t n, const char *what,
                        struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!sw_store_sqlite_is(sink))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: not an sqlite sink");
	rc = drain(s, false, eb);
	if (rc != SW_OK)
		return rc;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, delete_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, insert_sql, -1, &st, NULL) != SQLITE_OK) {
		rc = sw_store_sqlite_dberr(eb, s->db, what);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (bind(st, i, ctx) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
			rc = sw_store_sqlite_dberr(eb, s->db, what);
			goto out;
		}
		sqlite3_reset(st);
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = sw_store_sqlite_dberr(eb, s->db, what);
out:
	sqlite3_finalize(st);
	if (rc != SW_OK && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

struct dht_rows {
	const uint8_t (*ids)[20];
	const struct sw_addr *addrs;
	int64_t now_ms;
};

static int bind_dht_node(sqlite3_stmt *st, size_t i, const void *ctx)
{
	const struct dht_rows *r = ctx;
	const struct sw_addr *a = &r->addrs[i];
	size_t len = a->family == AF_INET ? SW_ADDR_V4_LEN : SW_ADDR_V6_LEN;
	int b = SQLITE_OK;

	b |= sqlite3_bind_blob(st, 1, a->ip, (int)len, SQLITE_STATIC);
	b |= sqlite3_bind_int(st, 2, a->port);
	b |= sqlite3_bind_blob(st, 3, r->ids[i], 20, SQLITE_STATIC);
	b |= sqlite3_bind_int64(st, 4, r->now_ms);
	return b;
}

int sw_store_sqlite_dht_save(struct sw_sink *sink, const uint8_t (*ids)[20],
                             const struct sw_addr *addrs, size_t n, int64_t now_ms,
                             struct sw_errbuf *eb)
{
	const struct dht_rows rows = {ids, addrs, now_ms};

	return replace_rows(sink, "DELETE FROM dht_nodes",
	                    "INSERT OR REPLACE INTO dht_nodes(addr, port, id, saved) "
	                    "VALUES (?1, ?2, ?3, ?4)",
	                    bind_dht_node, &rows, n, "save dht nodes", eb);
}

int sw_store_sqlite_dht_load(struct sw_sink *sink, sw_store_dht_node_fn fn, void *ctx,
                             struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = NULL;
	int rc = SW_OK, step;

	if (!sw_store_sqlite_is(sink))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: not an sqlite sink");
	wait_writer(s);
	if (sqlite3_prepare_v2(s->db, "SELECT addr, port, id FROM dht_nodes ORDER BY saved DESC",
	                       -1, &st, NULL) != SQLITE_OK)
		return sw_store_sqlite_dberr(eb, s->db, "load dht nodes");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const void *ip = sqlite3_column_blob(st, 0), *id = sqlite3_column_blob(st, 2);
		int iplen = sqlite3_column_bytes(st, 0), port = sqlite3_column_int(st, 1);
		struct sw_addr a;

		if (ip == NULL || id == NULL || sqlite3_column_bytes(st, 2) != 20 || port <= 0 ||
		    port > 65535)
			continue;
		if (iplen == SW_ADDR_V4_LEN)
			sw_addr_init_v4(&a, ip, (uint16_t)port);
		else if (iplen == SW_ADDR_V6_LEN)
			sw_addr_init_v6(&a, ip, (uint16_t)port);
		else
			continue;
		fn(ctx, id, &a);
	}
	if (step != SQLITE_DONE)
		rc = sw_store_sqlite_dberr(eb, s->db, "load dht nodes");
	sqlite3_finalize(st);
	return rc;
}

int sw_store_sqlite_retain(struct sw_sink *sink, int64_t cutoff_ms, int64_t *deleted,
                           struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = NULL;
	int rc;

	if (deleted)
		*deleted = 0;
	if (!sw_store_sqlite_is(sink))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: not an sqlite sink");
	/* Fold everything first: the peer tables must hold what is deleted. */
	rc = drain(s, true, eb);
	if (rc != SW_OK)
		return rc;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM observations WHERE ts < ?1 AND rowid <= ?2", -1,
	                       &st, NULL) != SQLITE_OK)
		return sw_store_sqlite_dberr(eb, s->db, "retention");
	sqlite3_bind_int64(st, 1, cutoff_ms);
	sqlite3_bind_int64(st, 2, s->folded_rowid);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sw_store_sqlite_dberr(eb, s->db, "retention");
	else if (deleted)
		*deleted = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return rc;
}

int sw_store_sqlite_trackers(struct sw_sink *sink, const uint8_t infohash[SW_INFOHASH_LEN],
                             sw_store_tracker_fn fn, void *ctx, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = NULL;
	int rc = SW_OK, step;

	if (!sw_store_sqlite_is(sink))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: not an sqlite sink");
	wait_writer(s);
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT DISTINCT tracker FROM scrapes WHERE infohash = ?1 AND "
	                       "tracker IS NOT NULL AND tracker <> 'dht' LIMIT 64",
	                       -1, &st, NULL) != SQLITE_OK)
		return sw_store_sqlite_dberr(eb, s->db, "list trackers");
	sqlite3_bind_blob(st, 1, infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *url = (const char *)sqlite3_column_text(st, 0);

		if (url != NULL)
			fn(ctx, url);
	}
	if (step != SQLITE_DONE)
		rc = sw_store_sqlite_dberr(eb, s->db, "list trackers");
	sqlite3_finalize(st);
	return rc;
}

struct stat_rows {
	const struct sw_store_stat *stats;
	int64_t now_ms;
};

static int bind_stat(sqlite3_stmt *st, size_t i, const void *ctx)
{
	const struct stat_rows *r = ctx;
	const struct sw_store_stat *x = &r->stats[i];
	int b = SQLITE_OK;

	b |= sqlite3_bind_text(st, 1, x->name, -1, SQLITE_STATIC);
	b |= sqlite3_bind_text(st, 2, x->labels != NULL ? x->labels : "", -1, SQLITE_STATIC);
	b |= sqlite3_bind_int64(st, 3, x->value);
	b |= sqlite3_bind_int64(st, 4, r->now_ms);
	return b;
}

int sw_store_sqlite_put_stats(struct sw_sink *sink, const struct sw_store_stat *stats, size_t n,
                              int64_t now_ms, struct sw_errbuf *eb)
{
	const struct stat_rows rows = {stats, now_ms};

	return replace_rows(sink, "DELETE FROM daemon_stats",
	                    "INSERT OR REPLACE INTO daemon_stats(name, labels, value, updated) "
	                    "VALUES (?1, ?2, ?3, ?4)",
	                    bind_stat, &rows, n, "save daemon stats", eb);
}
