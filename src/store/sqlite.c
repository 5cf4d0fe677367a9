/*
 * sqlite.c - the SQLite sink: batched writes, cached statements, and the
 * upkeep of the unique-address tables.
 *
 * Speed comes from four things.  One transaction per batch of
 * opt.batch_rows rows, opened by the first write and committed when the
 * batch is full, on flush and on close: a commit per row would run at the
 * speed of the disk.  Statements prepared once at open
 * (SQLITE_PREPARE_PERSISTENT) and bound with SQLITE_STATIC, so a put copies
 * nothing.  No index on observations, so an insert appends to the end of
 * one B-tree.  And the unique-address tables are not touched per
 * observation.
 *
 * swarm_peers (per swarm) and peers (per title) are kept by folding:
 * each observation also updates an in-memory entry per (swarm, address)
 * (peer_agg.c), and every opt.fold_rows observations, and on flush, close
 * and before reads, the entries are upserted in key order, one per
 * distinct (swarm, address), inside the transaction that commits the last
 * batch.  Trackers and DHT nodes hand out the same addresses announce
 * after announce, so most observations cost no peer-table write at all,
 * and a large fold touches each B-tree page once instead of once per row.
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

/* Page cache per connection, KiB: the peer tables are updated at random. */
#ifndef SW_SQLITE_CACHE_KIB
#define SW_SQLITE_CACHE_KIB 65536
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

struct sqlite_sink {
	struct sw_sink base; /* first, so a struct sw_sink * is a struct sqlite_sink * */
	sqlite3 *db;
	struct sw_store_options opt; /* resolved: no zero defaults left */
	bool in_txn;                 /* a batch transaction is open */
	bool agg_stale;              /* agg misses unfolded rows: fold by SQL */
	size_t pending;              /* rows put in the open batch */
	size_t unfolded;             /* observations put since the last fold */
	int64_t folded_rowid;        /* committed store_state.folded_rowid */
	int64_t last_obs_rowid;      /* the last observation inserted */
	struct sw_peer_agg agg;      /* unfolded observations, unless agg_stale */
	sqlite3_stmt *st[ST_COUNT];
};

static const struct sw_sink_ops sqlite_ops;

/* --- statements and transactions -------------------------------------- */

/*
 * The open transaction is gone (rolled back by us or by SQLite).  What it
 * held of the batch is lost; the in-memory fold may hold rows that are no
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
	s->agg_stale = true;
	sw_peer_agg_reset(&s->agg);
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

/* Upsert entry e with ?1 = infohash or (if NULL) title_id. */
static int upsert_entry(struct sqlite_sink *s, enum stmt which, const uint8_t *infohash,
                        int64_t title_id, const struct sw_peer_agg_entry *e, struct sw_errbuf *eb)
{
	sqlite3_stmt *st = s->st[which];
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
	if (b != SQLITE_OK)
		return bind_failed(s, st, stmt_what[which], eb);
	return step(s, st, stmt_what[which], NULL, NULL, eb);
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
			rc = upsert_entry(s, ST_UPSERT_SWARM, e->infohash, 0, e, eb);
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

static int fold_agg(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	size_t n = s->agg.n, n_titled = 0;
	const struct sw_peer_agg_entry **order = malloc(n * sizeof(*order));
	struct titled *titled = malloc(n * sizeof(*titled));
	int rc;

	if (order == NULL || titled == NULL) {
		rc = fold_sql(s, eb); /* slower, but needs no memory of ours */
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = &s->agg.entries[i];
	qsort(order, n, sizeof(*order), sw_peer_agg_cmp);
	rc = fold_swarms(s, order, n, titled, &n_titled, eb);
	if (rc != SW_OK)
		goto out;
	qsort(titled, n_titled, sizeof(*titled), titled_cmp);
	for (size_t i = 0; rc == SW_OK && i < n_titled; i++)
		rc = upsert_entry(s, ST_UPSERT_TITLE, NULL, titled[i].title_id, titled[i].e, eb);
out:
	free(order);
	free(titled);
	return rc;
}

/* Inside the open transaction: fold, and move folded_rowid to *through. */
static int fold(struct sqlite_sink *s, int64_t *through, struct sw_errbuf *eb)
{
	int rc;

	*through = s->folded_rowid;
	if (s->agg_stale) {
		rc = step(s, s->st[ST_MAX_OBS], stmt_what[ST_MAX_OBS], NULL, through, eb);
		if (rc == SW_OK)
			rc = fold_sql(s, eb);
	} else if (s->agg.n > 0) {
		*through = s->last_obs_rowid;
		rc = fold_agg(s, eb);
	} else {
		return SW_OK;
	}
	if (rc == SW_OK)
		rc = run_keyed(s, ST_STATE_SET, NULL, *through, NULL, NULL, eb);
	return rc;
}

/*
 * Commit the open batch, folding first if fold_rows observations wait or
 * force_fold says so (then also when no batch is open).  On failure the
 * batch is lost (see lose_batch()); earlier batches stay.
 */
static int commit(struct sqlite_sink *s, bool force_fold, struct sw_errbuf *eb)
{
	bool do_fold =
	    (s->agg_stale || s->agg.n > 0) && (force_fold || s->unfolded >= s->opt.fold_rows);
	int64_t through = s->folded_rowid;
	int rc = SW_OK;

	if (!s->in_txn && !do_fold)
		return SW_OK;
	rc = begin(s, eb);
	if (rc == SW_OK && do_fold)
		rc = fold(s, &through, eb);
	if (rc == SW_OK)
		rc = run(s, ST_COMMIT, eb);
	if (rc != SW_OK) {
		if (s->in_txn)
			lose_batch(s);
		return rc;
	}
	s->in_txn = false;
	s->pending = 0;
	if (do_fold) {
		s->folded_rowid = through;
		s->unfolded = 0;
		s->agg_stale = false;
		sw_peer_agg_reset(&s->agg);
	}
	return SW_OK;
}

/* A row went into the batch: commit if the batch is full. */
static int row_added(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	if (++s->pending >= s->opt.batch_rows || s->unfolded >= s->opt.fold_rows)
		return commit(s, false, eb);
	return SW_OK;
}

/*
 * Control-plane calls run in a transaction of their own: commit and fold
 * everything, begin, work, then control_end() commits or rolls back just
 * that work.
 */
static int control_begin(struct sqlite_sink *s, struct sw_errbuf *eb)
{
	int rc = commit(s, true, eb);

	return rc == SW_OK ? begin(s, eb) : rc;
}

static int control_end(struct sqlite_sink *s, int rc, struct sw_errbuf *eb)
{
	if (rc == SW_OK)
		return commit(s, false, eb);
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_step(s->st[ST_ROLLBACK]);
		sqlite3_reset(s->st[ST_ROLLBACK]);
	}
	s->in_txn = false;
	s->pending = 0;
	return rc;
}

/* --- writes ------------------------------------------------------------ */

static int put_observation(struct sw_sink *sink, const struct sw_observation *o,
                           struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = s->st[ST_OBS];
	uint8_t key[SW_SINK_ADDR_MAX], net[SW_SINK_ADDR_MAX];
	size_t key_len = 0, net_len = 0;
	int rc, b = SQLITE_OK;

	rc = sw_sink_addr_key(&s->opt, &o->addr, key, &key_len, eb);
	if (rc == SW_OK)
		rc = sw_sink_net_key(&s->opt, &o->addr, net, &net_len, eb);
	if (rc == SW_OK)
		rc = begin(s, eb);
	if (rc != SW_OK)
		return rc;
	b |= sqlite3_bind_int64(st, 1, o->ts_ms);
	b |= sqlite3_bind_blob(st, 2, o->infohash, SW_INFOHASH_LEN, SQLITE_STATIC);
	b |= sqlite3_bind_blob(st, 3, key, (int)key_len, SQLITE_STATIC);
	b |= sqlite3_bind_int(st, 4, o->addr.port);
	b |= sqlite3_bind_int(st, 5, (int)o->source);
	b |= sqlite3_bind_int(st, 6, (int)o->tier);
	b |= o->has_have ? sqlite3_bind_double(st, 7, o->have) : sqlite3_bind_null(st, 7);
	b |= bind_text_opt(st, 8, o->client, SW_SINK_CLIENT_MAX);
	b |= bind_text_opt(st, 9, o->country[0] != '\0' ? o->country : NULL, 2);
	b |= o->asn != 0 ? sqlite3_bind_int64(st, 10, o->asn) : sqlite3_bind_null(st, 10);
	b |= net_len ? sqlite3_bind_blob(st, 11, net, (int)net_len, SQLITE_STATIC)
	             : sqlite3_bind_null(st, 11);
	if (b != SQLITE_OK)
		return bind_failed(s, st, "insert observation", eb);
	rc = step(s, st, "insert observation", NULL, NULL, eb);
	if (rc != SW_OK)
		return rc;
	s->last_obs_rowid = sqlite3_last_insert_rowid(s->db);
	s->unfolded++;
	if (!s->agg_stale && sw_peer_agg_add_net(&s->agg, o->infohash, key, key_len, net, net_len,
	                                         o->ts_ms, o->tier, o->country, o->asn) != SW_OK) {
		/* Out of memory: the row is safe in the file; fold it by SQL. */
		s->agg_stale = true;
		sw_peer_agg_reset(&s->agg);
	}
	return row_added(s, eb);
}

static int put_scrape(struct sw_sink *sink, const struct sw_scrape *sc, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = s->st[ST_SCRAPE];
	int rc = begin(s, eb), b = SQLITE_OK;

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
	int rc = begin(s, eb), b = SQLITE_OK;

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
	return commit((struct sqlite_sink *)sink, true, eb);
}

/* --- open and close ---------------------------------------------------- */

static void destroy(struct sqlite_sink *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close_v2(s->db);
	sw_peer_agg_deinit(&s->agg);
	free(s);
}

static int close_sink(struct sw_sink *sink, struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	int rc = commit(s, true, eb);

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
		s->agg_stale = true;
		s->unfolded = (size_t)(s->last_obs_rowid - s->folded_rowid);
	}
	return rc;
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
	sw_peer_agg_init(&s->agg);
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
	rc = commit(s, true, eb);
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
	rc = commit(s, true, eb);
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

int sw_store_sqlite_dht_save(struct sw_sink *sink, const uint8_t (*ids)[20],
                             const struct sw_addr *addrs, size_t n, int64_t now_ms,
                             struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!sw_store_sqlite_is(sink))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: not an sqlite sink");
	rc = commit(s, false, eb);
	if (rc != SW_OK)
		return rc;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE; DELETE FROM dht_nodes", NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO dht_nodes(addr, port, id, saved) "
	                              "VALUES (?1, ?2, ?3, ?4)",
	                       -1, &st, NULL) != SQLITE_OK) {
		rc = sw_store_sqlite_dberr(eb, s->db, "save dht nodes");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = addrs[i].family == AF_INET ? SW_ADDR_V4_LEN : SW_ADDR_V6_LEN;

		sqlite3_bind_blob(st, 1, addrs[i].ip, (int)len, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, addrs[i].port);
		sqlite3_bind_blob(st, 3, ids[i], 20, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now_ms);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = sw_store_sqlite_dberr(eb, s->db, "save dht nodes");
			goto out;
		}
		sqlite3_reset(st);
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = sw_store_sqlite_dberr(eb, s->db, "save dht nodes");
out:
	sqlite3_finalize(st);
	if (rc != SW_OK && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int sw_store_sqlite_dht_load(struct sw_sink *sink, sw_store_dht_node_fn fn, void *ctx,
                             struct sw_errbuf *eb)
{
	struct sqlite_sink *s = (struct sqlite_sink *)sink;
	sqlite3_stmt *st = NULL;
	int rc = SW_OK, step;

	if (!sw_store_sqlite_is(sink))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: not an sqlite sink");
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
	rc = commit(s, true, eb);
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
