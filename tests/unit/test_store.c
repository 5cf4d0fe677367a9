/*
 * test_store.c - the store (src/store/) on real database files.
 *
 * Every test works on its own file in one mkdtemp() directory and checks
 * what the sink wrote with a second, plain SQLite connection: that is what
 * a report or the sqlite3 shell would see, and it proves rows are
 * committed rather than merely visible to the writing connection.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/hash.h"
#include "store/peer_agg.h"
#include "store/sink.h"
#include "store/sqlite.h"
#include "store/sqlite_schema.h"

#define T0 1700000000000LL /* a time in ms: 2023-11-14 */

/* infohash_of(ih, 1) as an SQL literal */
#define SWARM1 "x'01ababababababababababababababababababab'"

struct ctx {
	char dir[64];
	int n; /* files made so far */
	char path[128];
};

/* --- helpers ------------------------------------------------------------ */

static const char *new_path(struct ctx *c)
{
	snprintf(c->path, sizeof(c->path), "%s/s%d.db", c->dir, ++c->n);
	return c->path;
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "raw_exec: %s: %s\n", sql, err);
		sqlite3_free(err);
		fail();
	}
}

/* First column of the first row as an integer; -1 for NULL, -2 for no row. */
static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -2;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void raw_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static int64_t file_int(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	int64_t v = raw_int(db, sql);

	sqlite3_close(db);
	return v;
}

static struct sw_sink *open_ok(const char *path, const struct sw_store_options *opt)
{
	struct sw_errbuf eb = {{0}};
	struct sw_sink *s = NULL;
	int rc = sw_store_sqlite_open(path, opt, &s, &eb);

	if (rc != SW_OK)
		fprintf(stderr, "open %s: %s\n", path, eb.msg);
	assert_int_equal(rc, SW_OK);
	assert_non_null(s);
	return s;
}

static void close_ok(struct sw_sink *s)
{
	struct sw_errbuf eb = {{0}};

	assert_int_equal(sw_sink_close(s, &eb), SW_OK);
}

static void infohash_of(uint8_t ih[SW_INFOHASH_LEN], uint8_t n)
{
	memset(ih, 0xab, SW_INFOHASH_LEN);
	ih[0] = n;
}

static struct sw_observation obs4(int64_t ts, uint8_t swarm, uint32_t ip, enum sw_tier tier)
{
	struct sw_observation o;

	uint8_t b[SW_ADDR_V4_LEN] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
	                             (uint8_t)ip};

	memset(&o, 0, sizeof(o));
	o.ts_ms = ts;
	infohash_of(o.infohash, swarm);
	sw_addr_init_v4(&o.addr, b, 6881);
	o.source = SW_SOURCE_TRACKER;
	o.tier = tier;
	return o;
}

static void put_ok(struct sw_sink *s, const struct sw_observation *o)
{
	struct sw_errbuf eb = {{0}};
	int rc = sw_sink_put_observation(s, o, &eb);

	if (rc != SW_OK)
		fprintf(stderr, "put: %s\n", eb.msg);
	assert_int_equal(rc, SW_OK);
}

static int64_t title_ok(struct sw_sink *s, const char *name, int year)
{
	struct sw_title t = {.name = name, .year = year};
	int64_t id = 0;

	assert_int_equal(sw_sink_put_title(s, &t, &id, NULL), SW_OK);
	assert_true(id > 0);
	return id;
}

static void link_ok(struct sw_sink *s, uint8_t swarm, int64_t title_id)
{
	uint8_t ih[SW_INFOHASH_LEN];
	struct sw_errbuf eb = {{0}};
	int rc;

	infohash_of(ih, swarm);
	rc = sw_sink_link_torrent_title(s, ih, title_id, &eb);
	if (rc != SW_OK)
		fprintf(stderr, "link: %s\n", eb.msg);
	assert_int_equal(rc, SW_OK);
}

static int64_t title_count(struct sw_sink *s, int64_t title_id, enum sw_tier tier, int64_t as_of)
{
	int64_t n = -1;

	assert_int_equal(sw_store_sqlite_unique_addrs_title(s, title_id, tier, as_of, &n, NULL),
	                 SW_OK);
	return n;
}

static int64_t swarm_count(struct sw_sink *s, uint8_t swarm, enum sw_tier tier, int64_t as_of)
{
	uint8_t ih[SW_INFOHASH_LEN];
	int64_t n = -1;

	infohash_of(ih, swarm);
	assert_int_equal(sw_store_sqlite_unique_addrs_swarm(s, ih, tier, as_of, &n, NULL), SW_OK);
	return n;
}

/* --- fixture ------------------------------------------------------------ */

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	snprintf(c->dir, sizeof(c->dir), "/tmp/sw_test_store.XXXXXX");
	if (mkdtemp(c->dir) == NULL) {
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

/* The directory holds files and at most one level of subdirectories. */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			remove_tree(p);
	}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	remove_tree(c->dir);
	free(c);
	return 0;
}

/* --- opening, schema, errors -------------------------------------------- */

static void test_open_creates_wal_store(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	char mode[16];
	sqlite3 *db;

	assert_string_equal(sw_sink_backend(s), "sqlite");
	assert_true(sw_store_sqlite_is(s));
	close_ok(s);

	db = raw_open(path);
	raw_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	assert_int_equal(raw_int(db, "PRAGMA user_version"), SW_STORE_SQLITE_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "PRAGMA application_id"), SW_STORE_SQLITE_APP_ID);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
	                             "('titles', 'torrents', 'observations', 'peers', 'scrapes', "
	                             "'swarm_peers', 'store_state')"),
	                 7);
	assert_int_equal(raw_int(db, "SELECT id FROM tiers WHERE name = 'verified'"),
	                 SW_TIER_VERIFIED);
	assert_int_equal(raw_int(db, "SELECT id FROM sources WHERE name = 'dht-passive'"),
	                 SW_SOURCE_DHT_PASSIVE);
	sqlite3_close(db);

	/* Opening again changes nothing. */
	close_ok(open_ok(path, NULL));
	assert_int_equal(file_int(path, "PRAGMA user_version"), SW_STORE_SQLITE_SCHEMA_VERSION);
}

static void test_close_null(void **state)
{
	(void)state;
	assert_int_equal(sw_sink_close(NULL, NULL), SW_OK);
	assert_string_equal(sw_sink_backend(NULL), "");
	assert_false(sw_store_sqlite_is(NULL));
}

static void test_unwritable_path(void **state)
{
	struct ctx *c = *state;
	struct sw_errbuf eb = {{0}};
	struct sw_sink dummy = {NULL};
	struct sw_sink *s = &dummy; /* must be reset to NULL */
	char path[256];
	FILE *f;

	/* A regular file where a directory should be: fails even as root. */
	snprintf(path, sizeof(path), "%s/plainfile", c->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/plainfile/store.db", c->dir);
	assert_int_equal(sw_store_sqlite_open(path, NULL, &s, &eb), SW_E_DB);
	assert_null(s);
	assert_non_null(strstr(eb.msg, path));
	assert_non_null(strstr(eb.msg, "unable to open"));
}

static void test_not_a_database(void **state)
{
	const char *path = new_path(*state);
	struct sw_errbuf eb = {{0}};
	struct sw_sink *s = NULL;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an sqlite file. ", f);
	fclose(f);
	assert_int_equal(sw_store_sqlite_open(path, NULL, &s, &eb), SW_E_DB);
	assert_null(s);
	assert_non_null(strstr(eb.msg, "not a database"));
}

static void test_foreign_sqlite_file_refused(void **state)
{
	const char *path = new_path(*state);
	struct sw_errbuf eb = {{0}};
	struct sw_sink *s = NULL;
	sqlite3 *db = raw_open(path);
	char mode[16];

	raw_exec(db, "CREATE TABLE recipes(name TEXT)");
	sqlite3_close(db);
	assert_int_equal(sw_store_sqlite_open(path, NULL, &s, &eb), SW_E_UNSUPPORTED);
	assert_null(s);
	assert_non_null(strstr(eb.msg, "no swarmwatch schema version"));

	/* Refused before anything was written to it. */
	db = raw_open(path);
	raw_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "delete");
	sqlite3_close(db);
}

static void test_future_version_refused(void **state)
{
	const char *path = new_path(*state);
	struct sw_errbuf eb = {{0}};
	struct sw_sink *s = NULL;
	char sql[64], want[64];
	sqlite3 *db;

	close_ok(open_ok(path, NULL));
	db = raw_open(path);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SW_STORE_SQLITE_SCHEMA_VERSION + 5);
	raw_exec(db, sql);
	sqlite3_close(db);

	assert_int_equal(sw_store_sqlite_open(path, NULL, &s, &eb), SW_E_UNSUPPORTED);
	assert_null(s);
	snprintf(want, sizeof(want), "schema version %d, newer",
	         SW_STORE_SQLITE_SCHEMA_VERSION + 5);
	assert_non_null(strstr(eb.msg, want));
	assert_non_null(strstr(eb.msg, path));
	assert_int_equal(file_int(path, "PRAGMA user_version"), SW_STORE_SQLITE_SCHEMA_VERSION + 5);
}

/*
 * A file as schema version 1 wrote it: observations of a linked and an
 * unlinked swarm, and a v1 peers row with a country.  Opening migrates it
 * and rebuilds the peer tables from the observations.
 */
static void test_migrates_v1_file(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s;
	char country[8];
	sqlite3 *db = raw_open(path);

	assert_null(sw_store_sqlite_migration_sql(0));
	assert_null(sw_store_sqlite_migration_sql(SW_STORE_SQLITE_SCHEMA_VERSION + 1));
	raw_exec(db, sw_store_sqlite_migration_sql(1));
	raw_exec(db, "PRAGMA user_version = 1");
	raw_exec(db, "INSERT INTO titles(id, name, year) VALUES (1, 'Fury', 2014)");
	raw_exec(db,
	         "INSERT INTO torrents(infohash, title_id, name) VALUES "
	         "(zeroblob(20), 1, 'Fury.2014.DVDScr.XVID.AC3-CM8'), (" SWARM1 ", NULL, 'other')");
	/* 10.0.0.1 seen at 100, verified at 300; 10.0.0.2 seen at 200; one in swarm 01. */
	raw_exec(db, "INSERT INTO observations VALUES "
	             "(100, zeroblob(20), x'0a000001', 6881, 0, 0, NULL, NULL), "
	             "(300, zeroblob(20), x'0a000001', 6881, 0, 2, 0.5, 'qB'), "
	             "(200, zeroblob(20), x'0a000002', 6881, 1, 0, NULL, NULL), "
	             "(150, " SWARM1 ", x'0a000003', 51413, 3, 1, NULL, NULL)");
	raw_exec(db, "INSERT INTO peers VALUES (1, x'0a000001', 100, 300, 2, 'DE', 3320), "
	             "(1, x'0a000002', 200, 200, 0, NULL, NULL)");
	sqlite3_close(db);

	s = open_ok(path, NULL);
	assert_int_equal(title_count(s, 1, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 2);
	assert_int_equal(title_count(s, 1, SW_TIER_SEEN, 150), 1);
	assert_int_equal(title_count(s, 1, SW_TIER_VERIFIED, 299), 0);
	assert_int_equal(title_count(s, 1, SW_TIER_VERIFIED, 300), 1);
	assert_int_equal(swarm_count(s, 1, SW_TIER_CONNECTABLE, SW_STORE_AS_OF_ALL), 1);
	/* A new observation folds on top of the migrated rows. */
	{
		struct sw_observation o = obs4(400, 0, 0x0a000004, SW_TIER_SEEN);

		memset(o.infohash, 0, sizeof(o.infohash));
		put_ok(s, &o);
	}
	assert_int_equal(title_count(s, 1, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 3);
	close_ok(s);

	db = raw_open(path);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), SW_STORE_SQLITE_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM observations"), 5);
	raw_text(db, "SELECT country FROM peers WHERE addr = x'0a000001'", country,
	         sizeof(country));
	assert_string_equal(country, "DE");
	assert_int_equal(raw_int(db, "SELECT first_verified FROM peers WHERE addr = x'0a000001'"),
	                 300);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'peers_v1'"),
	                 0);
	sqlite3_close(db);
}

/* --- writing and reading back ------------------------------------------ */

static void test_batches_flush_and_reopen(void **state)
{
	const char *path = new_path(*state);
	struct sw_store_options opt = {.batch_rows = 100};
	struct sw_sink *s = open_ok(path, &opt);
	uint8_t ih[SW_INFOHASH_LEN];
	sqlite3 *reader = raw_open(path);
	char client[32];
	int64_t n = 0;

	for (uint32_t i = 0; i < 250; i++) {
		struct sw_observation o =
		    obs4(T0 + i, (uint8_t)(i % 2), 0x0a000000 + i, SW_TIER_SEEN);

		o.source = SW_SOURCE_DHT;
		o.has_have = i == 7;
		o.have = 0.25;
		o.client = i == 7 ? "Transmission 3.00" : NULL;
		put_ok(s, &o);
	}
	/*
	 * The writer thread commits whole batches, two of them by now or soon;
	 * the last 50 wait for flush.  Never a part of a batch.
	 */
	n = raw_int(reader, "SELECT count(*) FROM observations");
	assert_true(n == 0 || n == 100 || n == 200);
	assert_int_equal(sw_sink_flush(s, NULL), SW_OK);
	assert_int_equal(raw_int(reader, "SELECT count(*) FROM observations"), 250);
	assert_int_equal(sw_sink_flush(s, NULL), SW_OK); /* nothing to do */
	sqlite3_close(reader);
	close_ok(s);

	s = open_ok(path, &opt);
	assert_int_equal(sw_store_sqlite_count_observations(s, NULL, &n, NULL), SW_OK);
	assert_int_equal(n, 250);
	infohash_of(ih, 1);
	assert_int_equal(sw_store_sqlite_count_observations(s, ih, &n, NULL), SW_OK);
	assert_int_equal(n, 125);
	close_ok(s);

	reader = raw_open(path);
	assert_int_equal(raw_int(reader, "SELECT count(*) FROM observations WHERE "
	                                 "ts = 1700000000007 AND addr = x'0a000007' AND "
	                                 "port = 6881 AND source = 1 AND tier = 0 AND have = 0.25"),
	                 1);
	raw_text(reader, "SELECT client FROM observations WHERE ts = 1700000000007", client,
	         sizeof(client));
	assert_string_equal(client, "Transmission 3.00");
	assert_int_equal(raw_int(reader, "SELECT have FROM observations WHERE ts = 1700000000008"),
	                 -1);
	assert_int_equal(raw_int(reader, "SELECT count(*) FROM swarm_peers"), 250);
	sqlite3_close(reader);
}

static void test_peers_upsert(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	int64_t fury = title_ok(s, "Fury", 2014);
	sqlite3 *db;
	struct sw_observation o;

	link_ok(s, 1, fury);
	/* Out of order, rising and falling tiers: first/last are min/max. */
	o = obs4(1000, 1, 0x0a000001, SW_TIER_CONNECTABLE);
	put_ok(s, &o);
	o = obs4(500, 1, 0x0a000001, SW_TIER_SEEN);
	put_ok(s, &o);
	o = obs4(2000, 1, 0x0a000001, SW_TIER_SEEN);
	put_ok(s, &o);
	o = obs4(1500, 1, 0x0a000001, SW_TIER_VERIFIED);
	strcpy(o.country, "FR");
	o.asn = 3215;
	put_ok(s, &o);
	assert_int_equal(sw_sink_flush(s, NULL), SW_OK);

	db = raw_open(path);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM peers"), 1);
	assert_int_equal(raw_int(db, "SELECT first_seen FROM peers"), 500);
	assert_int_equal(raw_int(db, "SELECT last_seen FROM peers"), 2000);
	assert_int_equal(raw_int(db, "SELECT best_tier FROM peers"), SW_TIER_VERIFIED);
	assert_int_equal(raw_int(db, "SELECT first_connectable FROM peers"), 1000);
	assert_int_equal(raw_int(db, "SELECT first_verified FROM peers"), 1500);
	assert_int_equal(raw_int(db, "SELECT first_proven FROM peers"), -1);
	assert_int_equal(raw_int(db, "SELECT asn FROM peers"), 3215);
	assert_int_equal(raw_int(db, "SELECT title_id FROM peers"), fury);
	assert_int_equal(raw_int(db, "SELECT first_connectable FROM swarm_peers"), 1000);

	/* Later, weaker, in a new fold: best tier stays, last_seen moves. */
	o = obs4(3000, 1, 0x0a000001, SW_TIER_SEEN);
	put_ok(s, &o);
	o = obs4(400, 1, 0x0a000001, SW_TIER_SEEN); /* a late report of an early sighting */
	put_ok(s, &o);
	assert_int_equal(sw_sink_flush(s, NULL), SW_OK);
	assert_int_equal(raw_int(db, "SELECT best_tier FROM peers"), SW_TIER_VERIFIED);
	assert_int_equal(raw_int(db, "SELECT last_seen FROM peers"), 3000);
	assert_int_equal(raw_int(db, "SELECT first_seen FROM peers"), 400);
	assert_int_equal(raw_int(db, "SELECT first_verified FROM peers"), 1500);
	assert_int_equal(raw_int(db, "SELECT asn FROM swarm_peers"), 3215);
	sqlite3_close(db);

	/* "As of T" per tier: verified counts only from the time it was. */
	assert_int_equal(title_count(s, fury, SW_TIER_SEEN, 399), 0);
	assert_int_equal(title_count(s, fury, SW_TIER_SEEN, 400), 1);
	assert_int_equal(title_count(s, fury, SW_TIER_CONNECTABLE, 999), 0);
	assert_int_equal(title_count(s, fury, SW_TIER_CONNECTABLE, 1000), 1);
	assert_int_equal(title_count(s, fury, SW_TIER_VERIFIED, 1499), 0);
	assert_int_equal(title_count(s, fury, SW_TIER_VERIFIED, SW_STORE_AS_OF_ALL), 1);
	assert_int_equal(title_count(s, fury, SW_TIER_PROVEN, SW_STORE_AS_OF_ALL), 0);
	close_ok(s);
}

static void test_ipv6_and_mapped_addresses(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	struct sw_observation o = obs4(T0, 1, 0xc0000201, SW_TIER_SEEN); /* 192.0.2.1 */
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	put_ok(s, &o);
	/* Built by hand: sw_addr_init_v6() would unmap it already. */
	o.addr.family = AF_INET6;
	memcpy(o.addr.ip, mapped, sizeof(mapped));
	put_ok(s, &o); /* the same host */
	sw_addr_init_v6(&o.addr, v6, 6881);
	put_ok(s, &o);
	assert_int_equal(swarm_count(s, 1, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 2);
	close_ok(s);
	assert_int_equal(
	    file_int(path, "SELECT count(*) FROM swarm_peers WHERE "
	                   "addr = x'c0000201' OR addr = x'20010db8000000000000000000000001'"),
	    2);
}

static void test_link_backfill_relink_unlink(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	int64_t a = title_ok(s, "Annie", 2014), b = title_ok(s, "Mr. Turner", 2014);
	uint8_t ih[SW_INFOHASH_LEN];
	struct sw_errbuf eb = {{0}};
	struct sw_observation o;

	/* Swarm 1: two addresses before any link; swarm 2: one shared (seen
	 * there first), one its own. */
	o = obs4(T0, 1, 0x0a000001, SW_TIER_SEEN);
	put_ok(s, &o);
	o = obs4(T0 + 1, 1, 0x0a000002, SW_TIER_SEEN);
	put_ok(s, &o);
	o = obs4(T0 - 10, 2, 0x0a000002, SW_TIER_SEEN);
	put_ok(s, &o);
	o = obs4(T0 + 3, 2, 0x0a000003, SW_TIER_SEEN);
	put_ok(s, &o);
	assert_int_equal(title_count(s, a, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 0);

	link_ok(s, 1, a); /* backfilled */
	assert_int_equal(title_count(s, a, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 2);
	link_ok(s, 2, a); /* a hybrid's second swarm: addresses counted once */
	assert_int_equal(title_count(s, a, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 3);
	link_ok(s, 2, a); /* again: nothing changes */
	assert_int_equal(title_count(s, a, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 3);
	assert_int_equal(title_count(s, a, SW_TIER_SEEN, T0 - 10), 1);

	link_ok(s, 2, b); /* mis-matched: move swarm 2 to b */
	assert_int_equal(title_count(s, a, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 2);
	assert_int_equal(title_count(s, b, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 2);
	assert_int_equal(file_int(path, "SELECT first_seen FROM peers WHERE addr = x'0a000002' "
	                                "AND title_id = 1"),
	                 T0 + 1);

	link_ok(s, 2, SW_SINK_NO_TITLE);
	assert_int_equal(title_count(s, b, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 0);
	assert_int_equal(swarm_count(s, 2, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 2);

	infohash_of(ih, 3);
	assert_int_equal(sw_sink_link_torrent_title(s, ih, 999, &eb), SW_E_NOT_FOUND);
	assert_non_null(strstr(eb.msg, "999"));
	assert_int_equal(sw_sink_link_torrent_title(s, ih, -1, &eb), SW_E_INVALID);
	close_ok(s);
	/* Linking a torrent we never saw creates it; the failed link did not. */
	assert_int_equal(file_int(path, "SELECT count(*) FROM torrents"), 2);
}

static void test_titles(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	const char *aliases[] = {"Fury (2014)", "\"Fury\" \xff"};
	struct sw_title t = {.name = "Fury", .year = 2014, .aliases = aliases, .n_aliases = 2};
	int64_t id1 = 0, id2 = 0, id3 = 0;
	char json[128];
	sqlite3 *db;

	assert_int_equal(sw_sink_put_title(s, &t, &id1, NULL), SW_OK);
	t.n_aliases = 1;
	assert_int_equal(sw_sink_put_title(s, &t, &id2, NULL), SW_OK);
	assert_int_equal(id1, id2); /* same (name, year): same title, new aliases */
	t.year = 2013;
	assert_int_equal(sw_sink_put_title(s, &t, &id3, NULL), SW_OK);
	assert_true(id3 != id1);
	t.year = 0;
	assert_int_equal(sw_sink_put_title(s, &t, &id2, NULL), SW_OK);
	assert_int_equal(sw_sink_put_title(s, &t, &id3, NULL), SW_OK);
	assert_int_equal(id2, id3); /* unknown year matches unknown year */

	t.name = "";
	assert_int_equal(sw_sink_put_title(s, &t, &id3, NULL), SW_E_INVALID);
	close_ok(s);

	db = raw_open(path);
	raw_text(db, "SELECT aliases FROM titles WHERE id = 1", json, sizeof(json));
	assert_string_equal(json, "[\"Fury (2014)\"]");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM titles"), 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM titles WHERE year IS NULL"), 1);
	sqlite3_close(db);
}

static void test_torrent_upsert(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	struct sw_torrent t = {.name = "Fury.2014.DVDScr",
	                       .total_size = SW_SINK_UNKNOWN,
	                       .num_pieces = SW_SINK_UNKNOWN,
	                       .source = "magnet",
	                       .first_seen_ms = 2000};
	char text[64];
	sqlite3 *db;

	infohash_of(t.infohash, 9);
	assert_int_equal(sw_sink_put_torrent(s, &t, NULL), SW_OK);
	t.name = NULL;
	t.total_size = 1468006400;
	t.num_pieces = 700;
	t.source = "dht";
	t.first_seen_ms = 1000;
	assert_int_equal(sw_sink_put_torrent(s, &t, NULL), SW_OK);
	t.first_seen_ms = SW_SINK_UNKNOWN;
	assert_int_equal(sw_sink_put_torrent(s, &t, NULL), SW_OK);
	close_ok(s);

	db = raw_open(path);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM torrents"), 1);
	raw_text(db, "SELECT name FROM torrents", text, sizeof(text));
	assert_string_equal(text, "Fury.2014.DVDScr");
	raw_text(db, "SELECT source FROM torrents", text, sizeof(text));
	assert_string_equal(text, "magnet");
	assert_int_equal(raw_int(db, "SELECT total_size FROM torrents"), 1468006400);
	assert_int_equal(raw_int(db, "SELECT num_pieces FROM torrents"), 700);
	assert_int_equal(raw_int(db, "SELECT first_seen FROM torrents"), 1000);
	assert_int_equal(raw_int(db, "SELECT title_id FROM torrents"), -1);
	sqlite3_close(db);
}

static void test_scrape_nulls(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	struct sw_scrape sc = {.ts_ms = T0,
	                       .tracker = "udp://tracker.example:1337/announce",
	                       .seeders = 12,
	                       .leechers = SW_SINK_UNKNOWN,
	                       .completed = SW_SINK_UNKNOWN};
	char url[64];
	sqlite3 *db;

	infohash_of(sc.infohash, 4);
	assert_int_equal(sw_sink_put_scrape(s, &sc, NULL), SW_OK);
	sc.tracker = NULL;
	sc.seeders = SW_SINK_UNKNOWN;
	sc.completed = 0; /* zero is a count, not unknown */
	assert_int_equal(sw_sink_put_scrape(s, &sc, NULL), SW_OK);
	sc.ts_ms = -5;
	assert_int_equal(sw_sink_put_scrape(s, &sc, NULL), SW_E_INVALID);
	close_ok(s);

	db = raw_open(path);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM scrapes"), 2);
	assert_int_equal(raw_int(db, "SELECT seeders FROM scrapes WHERE rowid = 1"), 12);
	assert_int_equal(raw_int(db, "SELECT leechers FROM scrapes WHERE rowid = 1"), -1);
	assert_int_equal(raw_int(db, "SELECT completed FROM scrapes WHERE rowid = 1"), -1);
	raw_text(db, "SELECT tracker FROM scrapes WHERE rowid = 1", url, sizeof(url));
	assert_string_equal(url, "udp://tracker.example:1337/announce");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM scrapes WHERE rowid = 2 AND "
	                             "tracker IS NULL AND seeders IS NULL AND completed = 0"),
	                 1);
	sqlite3_close(db);
}

static void test_invalid_records(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	struct sw_errbuf eb = {{0}};
	struct sw_observation o = obs4(T0, 1, 1, SW_TIER_SEEN);
	char long_name[SW_SINK_TEXT_MAX + 2];
	struct sw_torrent t = {.name = long_name};
	int64_t n = -1;

	o.tier = SW_TIER_COUNT;
	assert_int_equal(sw_sink_put_observation(s, &o, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "tier"));
	o = obs4(T0, 1, 1, SW_TIER_SEEN);
	o.source = (enum sw_source)99;
	assert_int_equal(sw_sink_put_observation(s, &o, &eb), SW_E_INVALID);
	o = obs4(T0, 1, 1, SW_TIER_SEEN);
	o.addr.family = AF_UNIX;
	assert_int_equal(sw_sink_put_observation(s, &o, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "family"));
	o = obs4(T0, 1, 1, SW_TIER_SEEN);
	o.has_have = true;
	o.have = 1.5;
	assert_int_equal(sw_sink_put_observation(s, &o, &eb), SW_E_INVALID);
	o.have = NAN;
	assert_int_equal(sw_sink_put_observation(s, &o, &eb), SW_E_INVALID);
	o = obs4(-1, 1, 1, SW_TIER_SEEN);
	assert_int_equal(sw_sink_put_observation(s, &o, &eb), SW_E_INVALID);
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(sw_sink_put_torrent(s, &t, &eb), SW_E_TOO_BIG);
	assert_int_equal(
	    sw_store_sqlite_unique_addrs_title(s, 1, SW_TIER_COUNT, SW_STORE_AS_OF_ALL, &n, &eb),
	    SW_E_INVALID);

	assert_int_equal(sw_store_sqlite_count_observations(s, NULL, &n, NULL), SW_OK);
	assert_int_equal(n, 0);
	close_ok(s);
}

/*
 * Another connection holds the write lock: a put fails with SQLite's
 * message, rows committed before stay, and the sink works once the lock
 * is gone.
 */
static void test_locked_write_keeps_committed(void **state)
{
	const char *path = new_path(*state);
	struct sw_store_options opt = {.busy_timeout_ms = 20};
	struct sw_sink *s = open_ok(path, &opt);
	struct sw_errbuf eb = {{0}};
	struct sw_observation o;
	sqlite3 *other;
	int64_t n = 0;

	for (uint32_t i = 0; i < 10; i++) {
		o = obs4(T0 + i, 1, 0x0a000000 + i, SW_TIER_SEEN);
		put_ok(s, &o);
	}
	assert_int_equal(sw_sink_flush(s, NULL), SW_OK);

	other = raw_open(path);
	sqlite3_busy_timeout(other, 0);
	raw_exec(other, "BEGIN IMMEDIATE");
	/* The put is queued; writing it fails, and flush says so. */
	o = obs4(T0 + 10, 1, 0x0b000000, SW_TIER_SEEN);
	put_ok(s, &o);
	assert_int_equal(sw_sink_flush(s, &eb), SW_E_DB);
	assert_non_null(strstr(eb.msg, "locked"));
	assert_int_equal(raw_int(other, "SELECT count(*) FROM observations"), 10);
	raw_exec(other, "ROLLBACK");
	sqlite3_close(other);

	o = obs4(T0 + 11, 1, 0x0c000000, SW_TIER_SEEN);
	put_ok(s, &o);
	assert_int_equal(sw_store_sqlite_count_observations(s, NULL, &n, NULL), SW_OK);
	assert_int_equal(n, 11);
	assert_int_equal(swarm_count(s, 1, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 11);
	close_ok(s);
}

/* A keyed pseudonym in place of the address: HMAC-SHA256 under a secret. */
static int hmac_transform(void *ctx, const uint8_t *in, size_t in_len,
                          uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len)
{
	const char *secret = ctx;

	*out_len = SW_SHA256_LEN;
	return sw_hmac_sha256(secret, strlen(secret), in, in_len, out);
}

static int failing_transform(void *ctx, const uint8_t *in, size_t in_len,
                             uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len)
{
	(void)ctx;
	(void)in;
	(void)in_len;
	(void)out;
	(void)out_len;
	return SW_E_UNSUPPORTED;
}

static void test_address_transform(void **state)
{
	const char *path = new_path(*state);
	char secret[] = "per-deployment secret";
	struct sw_store_options opt = {.addr_transform = hmac_transform,
	                               .addr_transform_ctx = secret};
	struct sw_sink *s = open_ok(path, &opt);
	struct sw_observation o = obs4(T0, 1, 0x0a000001, SW_TIER_SEEN);
	struct sw_errbuf eb = {{0}};

	put_ok(s, &o);
	o.ts_ms++;
	put_ok(s, &o);
	o = obs4(T0, 1, 0x0a000002, SW_TIER_SEEN);
	put_ok(s, &o);
	assert_int_equal(swarm_count(s, 1, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 2);
	close_ok(s);
	assert_int_equal(file_int(path, "SELECT count(*) FROM observations WHERE "
	                                "length(addr) = 32 AND addr != x'0a000001'"),
	                 3);

	opt.addr_transform = failing_transform;
	s = open_ok(path, &opt);
	assert_int_equal(sw_sink_put_observation(s, &o, &eb), SW_E_UNSUPPORTED);
	assert_non_null(strstr(eb.msg, "transform"));
	close_ok(s);
}

/*
 * Observations committed but never folded (a crash between a batch commit
 * and the next fold) are folded, by SQL, when the file is opened again.
 */
static void test_unfolded_rows_are_recovered(void **state)
{
	const char *path = new_path(*state);
	struct sw_sink *s = open_ok(path, NULL);
	int64_t id = title_ok(s, "Still Alice", 2014);
	struct sw_observation o = obs4(T0, 1, 0x0a000001, SW_TIER_SEEN);
	sqlite3 *db;

	link_ok(s, 1, id);
	put_ok(s, &o);
	close_ok(s);

	db = raw_open(path);
	raw_exec(db, "INSERT INTO observations(ts, infohash, addr, port, source, tier) "
	             "SELECT 5, infohash, x'0a000009', 1, 0, 3 FROM torrents");
	sqlite3_close(db);

	s = open_ok(path, NULL);
	assert_int_equal(title_count(s, id, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 2);
	assert_int_equal(title_count(s, id, SW_TIER_PROVEN, 5), 1);
	o = obs4(T0 + 1, 1, 0x0a000002, SW_TIER_SEEN);
	put_ok(s, &o);
	assert_int_equal(title_count(s, id, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 3);
	close_ok(s);
	assert_int_equal(file_int(path, "SELECT value FROM store_state"), 3);
}

/* Small batches and folds, and more entries than the fold table starts with. */
static void test_many_folds(void **state)
{
	const char *path = new_path(*state);
	struct sw_store_options opt = {.batch_rows = 7, .fold_rows = 50};
	struct sw_sink *s = open_ok(path, &opt);
	int64_t id = title_ok(s, "To Write Love on Her Arms", 2012);

	link_ok(s, 1, id);
	link_ok(s, 2, id);
	for (uint32_t i = 0; i < 3000; i++) {
		struct sw_observation o = obs4(T0 + i, (uint8_t)(1 + i % 3), 0x0a000000 + i % 1200,
		                               i % 5 == 0 ? SW_TIER_CONNECTABLE : SW_TIER_SEEN);
		put_ok(s, &o);
	}
	/* Swarm 3 (addresses = 2 mod 3) is not linked; 1 and 2 hold the other 800. */
	assert_int_equal(title_count(s, id, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 800);
	assert_int_equal(swarm_count(s, 3, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 400);
	close_ok(s);

	opt.batch_rows = 0;
	opt.fold_rows = 0;
	s = open_ok(path, &opt);
	for (uint32_t i = 0; i < 5000; i++) {
		struct sw_observation o = obs4(T0 + 5000 + i, 1, 0x0b000000 + i, SW_TIER_SEEN);
		put_ok(s, &o);
	}
	assert_int_equal(title_count(s, id, SW_TIER_SEEN, SW_STORE_AS_OF_ALL), 5800);
	assert_int_equal(title_count(s, id, SW_TIER_SEEN, T0 + 4999), 800);
	assert_int_equal(title_count(s, id, SW_TIER_CONNECTABLE, SW_STORE_AS_OF_ALL), 160);
	close_ok(s);
}

static void test_peer_agg(void **state)
{
	struct sw_peer_agg a;
	uint8_t ih[SW_INFOHASH_LEN], key[4] = {10, 0, 0, 1};

	(void)state;
	infohash_of(ih, 1);
	sw_peer_agg_init(&a);
	assert_int_equal(sw_peer_agg_add(&a, ih, key, 4, 50, SW_TIER_VERIFIED, "SE", 1), SW_OK);
	assert_int_equal(sw_peer_agg_add(&a, ih, key, 4, 20, SW_TIER_SEEN, "", 0), SW_OK);
	assert_int_equal(sw_peer_agg_add(&a, ih, key, 0, 20, SW_TIER_SEEN, "", 0), SW_E_INVALID);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.entries[0].first[SW_TIER_SEEN], 20);
	assert_int_equal(a.entries[0].first[SW_TIER_CONNECTABLE], 50);
	assert_int_equal(a.entries[0].first[SW_TIER_VERIFIED], 50);
	assert_true(a.entries[0].first[SW_TIER_PROVEN] == SW_PEER_AGG_NEVER);
	assert_int_equal(a.entries[0].last_seen, 50);
	assert_int_equal(a.entries[0].best_tier, SW_TIER_VERIFIED);
	assert_string_equal(a.entries[0].country, "SE");
	for (uint32_t i = 0; i < 5000; i++) {
		uint8_t k[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
		                (uint8_t)i};

		assert_int_equal(sw_peer_agg_add(&a, ih, k, 4, i, SW_TIER_SEEN, NULL, 0), SW_OK);
		assert_int_equal(sw_peer_agg_add(&a, ih, k, 4, i, SW_TIER_SEEN, NULL, 0), SW_OK);
	}
	assert_int_equal(a.n, 5001);
	sw_peer_agg_reset(&a);
	assert_int_equal(a.n, 0);
	assert_int_equal(sw_peer_agg_add(&a, ih, key, 4, 7, SW_TIER_SEEN, NULL, 0), SW_OK);
	assert_int_equal(a.entries[0].first[SW_TIER_SEEN], 7);
	sw_peer_agg_deinit(&a);
	sw_peer_agg_deinit(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_creates_wal_store),
	    cmocka_unit_test(test_close_null),
	    cmocka_unit_test(test_unwritable_path),
	    cmocka_unit_test(test_not_a_database),
	    cmocka_unit_test(test_foreign_sqlite_file_refused),
	    cmocka_unit_test(test_future_version_refused),
	    cmocka_unit_test(test_migrates_v1_file),
	    cmocka_unit_test(test_batches_flush_and_reopen),
	    cmocka_unit_test(test_peers_upsert),
	    cmocka_unit_test(test_ipv6_and_mapped_addresses),
	    cmocka_unit_test(test_link_backfill_relink_unlink),
	    cmocka_unit_test(test_titles),
	    cmocka_unit_test(test_torrent_upsert),
	    cmocka_unit_test(test_scrape_nulls),
	    cmocka_unit_test(test_invalid_records),
	    cmocka_unit_test(test_locked_write_keeps_committed),
	    cmocka_unit_test(test_address_transform),
	    cmocka_unit_test(test_unfolded_rows_are_recovered),
	    cmocka_unit_test(test_many_folds),
	    cmocka_unit_test(test_peer_agg),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
