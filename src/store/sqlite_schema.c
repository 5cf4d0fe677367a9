/*
 * sqlite_schema.c - versions of the SQLite store's schema and the forward
 * migrations between them.
 *
 * A store file says which schema it holds in PRAGMA user_version and that
 * it is a swarmwatch file in PRAGMA application_id.  `migrations[i]` takes
 * a file from version i to version i+1.  Opening a file runs the steps it
 * lacks, each in its own BEGIN IMMEDIATE transaction that also sets
 * user_version, so a crash or an error leaves the file at a consistent
 * version and the next open carries on.  The version is re-read inside the
 * write lock, so two processes opening an old file at once do not both
 * migrate it.  There are no down-migrations: a file newer than the code is
 * refused rather than guessed at.
 *
 * Rules for adding a version: append a step, never edit a shipped one; a
 * step must work on any file of the previous version, whatever it holds,
 * in time linear in its size (no correlated scans of observations); build
 * indexes after filling tables.
 *
 * History:
 *   1  the tables of the DESIGN.md sketch: titles, torrents, observations,
 *      peers (per title), scrapes; sources and tiers name their integers.
 *   2  swarm_peers (per-swarm unique addresses), per-tier first-seen times
 *      in peers and swarm_peers ("verified as of T" is not "seen as of T
 *      and verified some time"), country and asn on observations; both
 *      peer tables are rebuilt from observations, the source of truth.
 *      store_state holds folded_rowid: observations up to that rowid are
 *      counted in the peer tables (sqlite.c folds the rest in later).
 *   3  dht_nodes: the DHT routing table, saved on exit and loaded on
 *      start (BEP 5 clients keep theirs too, so a restart need not go back
 *      to the bootstrap routers).  Node addresses are kept raw even in
 *      pseudonym mode: they must be contacted again.
 *   4  net: an IPv6 address's /64 network (its key, transformed like
 *      addr), on observations and both peer tables, so that IPv6 can be
 *      counted per /64 as well as per address; NULL for IPv4 (an IPv4
 *      address is its own network) and for rows written before version 4.
 *      Two indexes for reports: IPv6 networks, and one covering the
 *      country breakdown (1.5 M addresses: 0.3 s instead of 3 s).
 *   5  peers keeps one covering index, peers_title_seen (title_id,
 *      first_seen, country, first_connectable, first_verified, last_seen),
 *      instead of the per-tier ones and the country one: every tier count
 *      is a range scan of it (first_seen is never after a tier's first
 *      time), and each index cost the writer as much as the table.
 *      daemon_stats: the writing daemon's counters (messages, errors,
 *      swarms, peers held), replaced on each of its flushes, for /metrics.
 *
 * Integers stored for sources and tiers are the enum values of
 * core/types.h; the static asserts in sqlite.c pin them.
 */
#include "store/sqlite_schema.h"

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"

/* clang-format off */
static const char *const migrations[SW_STORE_SQLITE_SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"PRAGMA application_id = 1398231629;\n" /* SW_STORE_SQLITE_APP_ID */
	"CREATE TABLE sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	"INSERT INTO sources VALUES (0, 'tracker'), (1, 'dht'), (2, 'dht-passive'),\n"
	"  (3, 'pex'), (4, 'incoming');\n"
	"CREATE TABLE tiers(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	"INSERT INTO tiers VALUES (0, 'seen'), (1, 'connectable'), (2, 'verified'),\n"
	"  (3, 'proven');\n"
	"CREATE TABLE titles(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL,\n"
	"  year INTEGER,\n"
	"  aliases TEXT NOT NULL DEFAULT '[]');\n"
	"CREATE INDEX titles_name ON titles(name, year);\n"
	"CREATE TABLE torrents(\n"
	"  infohash BLOB NOT NULL PRIMARY KEY,\n"
	"  title_id INTEGER,\n"
	"  name TEXT,\n"
	"  total_size INTEGER,\n"
	"  num_pieces INTEGER,\n"
	"  source TEXT,\n"
	"  first_seen INTEGER) WITHOUT ROWID;\n"
	"CREATE INDEX torrents_title ON torrents(title_id) WHERE title_id IS NOT NULL;\n"
	"CREATE TABLE observations(\n"
	"  ts INTEGER NOT NULL,\n"
	"  infohash BLOB NOT NULL,\n"
	"  addr BLOB NOT NULL,\n"
	"  port INTEGER NOT NULL,\n"
	"  source INTEGER NOT NULL,\n"
	"  tier INTEGER NOT NULL,\n"
	"  have REAL,\n"
	"  client TEXT);\n"
	"CREATE TABLE peers(\n"
	"  title_id INTEGER NOT NULL,\n"
	"  addr BLOB NOT NULL,\n"
	"  first_seen INTEGER NOT NULL,\n"
	"  last_seen INTEGER NOT NULL,\n"
	"  best_tier INTEGER NOT NULL,\n"
	"  country TEXT,\n"
	"  asn INTEGER,\n"
	"  PRIMARY KEY (title_id, addr)) WITHOUT ROWID;\n"
	"CREATE INDEX peers_title_first ON peers(title_id, first_seen);\n"
	"CREATE TABLE scrapes(\n"
	"  ts INTEGER NOT NULL,\n"
	"  infohash BLOB NOT NULL,\n"
	"  tracker TEXT,\n"
	"  seeders INTEGER,\n"
	"  leechers INTEGER,\n"
	"  completed INTEGER);\n"
	"CREATE INDEX scrapes_infohash_ts ON scrapes(infohash, ts);\n",

	/* 1 -> 2 */
	"ALTER TABLE observations ADD COLUMN country TEXT;\n"
	"ALTER TABLE observations ADD COLUMN asn INTEGER;\n"
	"CREATE TABLE swarm_peers(\n"
	"  infohash BLOB NOT NULL,\n"
	"  addr BLOB NOT NULL,\n"
	"  first_seen INTEGER NOT NULL,\n"
	"  last_seen INTEGER NOT NULL,\n"
	"  best_tier INTEGER NOT NULL,\n"
	"  first_connectable INTEGER,\n"
	"  first_verified INTEGER,\n"
	"  first_proven INTEGER,\n"
	"  country TEXT,\n"
	"  asn INTEGER,\n"
	"  PRIMARY KEY (infohash, addr)) WITHOUT ROWID;\n"
	"INSERT INTO swarm_peers\n"
	"  SELECT infohash, addr, min(ts), max(ts), max(tier),\n"
	"    min(CASE WHEN tier >= 1 THEN ts END), min(CASE WHEN tier >= 2 THEN ts END),\n"
	"    min(CASE WHEN tier >= 3 THEN ts END), NULL, NULL\n"
	"  FROM observations GROUP BY infohash, addr;\n"
	"DROP INDEX peers_title_first;\n"
	"ALTER TABLE peers RENAME TO peers_v1;\n"
	"CREATE TABLE peers(\n"
	"  title_id INTEGER NOT NULL,\n"
	"  addr BLOB NOT NULL,\n"
	"  first_seen INTEGER NOT NULL,\n"
	"  last_seen INTEGER NOT NULL,\n"
	"  best_tier INTEGER NOT NULL,\n"
	"  country TEXT,\n"
	"  asn INTEGER,\n"
	"  first_connectable INTEGER,\n"
	"  first_verified INTEGER,\n"
	"  first_proven INTEGER,\n"
	"  PRIMARY KEY (title_id, addr)) WITHOUT ROWID;\n"
	"INSERT INTO peers\n"
	"  SELECT t.title_id, s.addr, min(s.first_seen), max(s.last_seen), max(s.best_tier),\n"
	"    (SELECT country FROM peers_v1 p WHERE p.title_id = t.title_id AND p.addr = s.addr),\n"
	"    (SELECT asn FROM peers_v1 p WHERE p.title_id = t.title_id AND p.addr = s.addr),\n"
	"    min(s.first_connectable), min(s.first_verified), min(s.first_proven)\n"
	"  FROM swarm_peers s JOIN torrents t ON t.infohash = s.infohash\n"
	"  WHERE t.title_id IS NOT NULL GROUP BY t.title_id, s.addr;\n"
	"DROP TABLE peers_v1;\n"
	"CREATE INDEX peers_title_first ON peers(title_id, first_seen);\n"
	"CREATE TABLE store_state(name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL)\n"
	"  WITHOUT ROWID;\n"
	"INSERT INTO store_state SELECT 'folded_rowid', coalesce(max(rowid), 0) FROM observations;\n"
	"CREATE INDEX peers_title_connectable ON peers(title_id, first_connectable)\n"
	"  WHERE first_connectable IS NOT NULL;\n"
	"CREATE INDEX peers_title_verified ON peers(title_id, first_verified)\n"
	"  WHERE first_verified IS NOT NULL;\n"
	"CREATE INDEX peers_title_proven ON peers(title_id, first_proven)\n"
	"  WHERE first_proven IS NOT NULL;\n",
	/* 2 -> 3 */
	"CREATE TABLE dht_nodes(\n"
	"  addr BLOB NOT NULL,\n"
	"  port INTEGER NOT NULL,\n"
	"  id BLOB NOT NULL,\n"
	"  saved INTEGER NOT NULL,\n"
	"  PRIMARY KEY (addr, port)) WITHOUT ROWID;\n",
	/* 3 -> 4 */
	"ALTER TABLE observations ADD COLUMN net BLOB;\n"
	"ALTER TABLE swarm_peers ADD COLUMN net BLOB;\n"
	"ALTER TABLE peers ADD COLUMN net BLOB;\n"
	"CREATE INDEX peers_title_net ON peers(title_id, net) WHERE net IS NOT NULL;\n"
	/* covers the report's country breakdown: no pass over the whole table */
	"CREATE INDEX peers_title_country\n"
	"  ON peers(title_id, country, first_seen, first_connectable, first_verified, last_seen);\n",
	/* 4 -> 5 */
	"DROP INDEX peers_title_first;\n"
	"DROP INDEX peers_title_connectable;\n"
	"DROP INDEX peers_title_verified;\n"
	"DROP INDEX peers_title_country;\n"
	"CREATE INDEX peers_title_seen\n"
	"  ON peers(title_id, first_seen, country, first_connectable, first_verified, last_seen);\n"
	"CREATE TABLE daemon_stats(\n"
	"  name TEXT NOT NULL,\n"
	"  labels TEXT NOT NULL,\n"
	"  value INTEGER NOT NULL,\n"
	"  updated INTEGER NOT NULL,\n"
	"  PRIMARY KEY (name, labels)) WITHOUT ROWID;\n",
};
/* clang-format on */

const char *sw_store_sqlite_migration_sql(int version)
{
	if (version < 1 || version > SW_STORE_SQLITE_SCHEMA_VERSION)
		return NULL;
	return migrations[version - 1];
}

int sw_store_sqlite_dberr(struct sw_errbuf *eb, sqlite3 *db, const char *what)
{
	return sw_errbuf_set(eb, SW_E_DB, "store: %s: %s", what,
	                     db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

/* The integer result of a one-row, one-column query; errors name path. */
static int query_int(sqlite3 *db, const char *path, const char *sql, int *out, struct sw_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sw_store_sqlite_dberr(eb, db, path);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SW_OK;
	} else {
		rc = sw_store_sqlite_dberr(eb, db, path);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Is the file at `version` something we may migrate?  (Inside the lock.) */
static int check_file(sqlite3 *db, const char *path, int version, struct sw_errbuf *eb)
{
	int app_id = 0, n_tables = 0, rc;

	if (version > SW_STORE_SQLITE_SCHEMA_VERSION)
		return sw_errbuf_set(eb, SW_E_UNSUPPORTED,
		                     "store: %s has schema version %d, newer than the %d this "
		                     "swarmwatch knows; use a newer swarmwatch",
		                     path, version, SW_STORE_SQLITE_SCHEMA_VERSION);
	rc = query_int(db, path, "PRAGMA application_id", &app_id, eb);
	if (rc != SW_OK)
		return rc;
	if (app_id != 0 && app_id != SW_STORE_SQLITE_APP_ID)
		return sw_errbuf_set(eb, SW_E_UNSUPPORTED,
		                     "store: %s is not a swarmwatch store (application_id %#x)",
		                     path, (unsigned)app_id);
	if (version > 0)
		return SW_OK;
	rc = query_int(db, path, "SELECT count(*) FROM sqlite_master", &n_tables, eb);
	if (rc == SW_OK && n_tables > 0)
		rc = sw_errbuf_set(eb, SW_E_UNSUPPORTED,
		                   "store: %s holds tables but no swarmwatch schema version", path);
	return rc;
}

/*
 * One step under the write lock.  *done is set when the file needs no
 * more steps.
 */
static int migrate_step(sqlite3 *db, const char *path, bool *done, struct sw_errbuf *eb)
{
	char sql[64], what[SW_ERRBUF_LEN];
	int version = 0, rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sw_store_sqlite_dberr(eb, db, path);
	rc = query_int(db, path, "PRAGMA user_version", &version, eb);
	if (rc == SW_OK)
		rc = check_file(db, path, version, eb);
	if (rc != SW_OK)
		goto out;
	if (version == SW_STORE_SQLITE_SCHEMA_VERSION) {
		*done = true;
		goto out;
	}
	snprintf(what, sizeof(what), "%s: migration to schema version %d", path, version + 1);
	if (sqlite3_exec(db, migrations[version], NULL, NULL, NULL) != SQLITE_OK) {
		rc = sw_store_sqlite_dberr(eb, db, what);
		goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = sw_store_sqlite_dberr(eb, db, what);
out:
	if (rc == SW_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = sw_store_sqlite_dberr(eb, db, path);
	if (rc != SW_OK && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int sw_store_sqlite_check(sqlite3 *db, const char *path, struct sw_errbuf *eb)
{
	int version = 0;
	int rc = query_int(db, path, "PRAGMA user_version", &version, eb);

	return rc == SW_OK ? check_file(db, path, version, eb) : rc;
}

int sw_store_sqlite_migrate(sqlite3 *db, const char *path, struct sw_errbuf *eb)
{
	bool done = false;
	int rc = SW_OK;

	while (rc == SW_OK && !done)
		rc = migrate_step(db, path, &done, eb);
	return rc;
}
