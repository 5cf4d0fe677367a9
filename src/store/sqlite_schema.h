/*
 * sqlite_schema.h - the SQLite store's schema: versions and migrations.
 *
 * Used by sqlite.c when it opens a file, and by tests that build files of
 * an older version by hand.  Nothing here keeps state.
 */
#ifndef SW_STORE_SQLITE_SCHEMA_H
#define SW_STORE_SQLITE_SCHEMA_H

#include <sqlite3.h>

#include "core/error.h"

/* The schema version this code writes (PRAGMA user_version). */
#define SW_STORE_SQLITE_SCHEMA_VERSION 5

/* PRAGMA application_id of a swarmwatch store: "SWRM". */
#define SW_STORE_SQLITE_APP_ID 0x5357524D

/*
 * The SQL that takes a file from schema version `version - 1` to `version`
 * (1 .. SW_STORE_SQLITE_SCHEMA_VERSION), without the user_version update;
 * NULL for any other version.  Static; do not free.
 */
const char *sw_store_sqlite_migration_sql(int version);

/*
 * Read-only look at an open file before anything writes to it: refuse
 * (SW_E_UNSUPPORTED, message naming path) a schema version newer than
 * this code's, a foreign application_id, or tables without a version.
 */
int sw_store_sqlite_check(sqlite3 *db, const char *path, struct sw_errbuf *eb);

/*
 * Bring the open database db up to SW_STORE_SQLITE_SCHEMA_VERSION: one
 * transaction per step, each setting user_version as it commits, so a
 * failure leaves the file at the last version that completed.  Refuses,
 * with SW_E_UNSUPPORTED and a message naming path, a file whose version is
 * newer than this code's, or a file that holds tables but is not a
 * swarmwatch store.  SQLite errors are SW_E_DB with SQLite's message.
 */
int sw_store_sqlite_migrate(sqlite3 *db, const char *path, struct sw_errbuf *eb);

/* SW_E_DB with "store: WHAT: <sqlite's message for db>" in eb. */
int sw_store_sqlite_dberr(struct sw_errbuf *eb, sqlite3 *db, const char *what);

#endif /* SW_STORE_SQLITE_SCHEMA_H */
