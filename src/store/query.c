/*
 * query.c - read-only questions to an SQLite store (see query.h).
 *
 * Every query binds the same numbered parameters, so one helper binds
 * them all: ?1 title id, ?2 as_of, ?3 since, ?4 bucket width, ?5 bucket
 * origin.  Counts that need no `since` use SQL without the last_seen test,
 * so they stay range scans of one of the peers indexes (first_seen, or the
 * partial index of a stronger tier) that never touch the table itself.
 */
#include "store/query.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/hex.h"
#include "store/sink.h"
#include "store/sqlite_schema.h"

/* Oldest schema whose tables the queries below read. */
#define MIN_SCHEMA_VERSION 2
#define MS_PER_DAY         86400000LL
#define BUSY_TIMEOUT_MS    SW_SINK_BUSY_TIMEOUT_MS

struct sw_query {
	sqlite3 *db;
	char *path;
	bool in_snapshot;
	int64_t version; /* the file's schema version */
};

struct params {
	int64_t title_id, as_of, since, bucket, origin;
};

static int dberr(struct sw_query *q, const char *what, struct sw_errbuf *eb)
{
	return sw_errbuf_set(eb, SW_E_DB, "store: %s: %s: %s", q->path, what,
	                     sqlite3_errmsg(q->db));
}

static int prepare(struct sw_query *q, const char *sql, const struct params *p, sqlite3_stmt **st,
                   struct sw_errbuf *eb)
{
	int n, b = SQLITE_OK;

	if (sqlite3_prepare_v2(q->db, sql, -1, st, NULL) != SQLITE_OK)
		return dberr(q, "prepare", eb);
	n = sqlite3_bind_parameter_count(*st);
	if (p != NULL) {
		const int64_t v[] = {p->title_id, p->as_of, p->since, p->bucket, p->origin};

		for (int i = 0; i < n && i < (int)(sizeof(v) / sizeof(v[0])); i++)
			b |= sqlite3_bind_int64(*st, i + 1, v[i]);
	}
	if (b != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return dberr(q, "bind", eb);
	}
	return SW_OK;
}

/* The first n columns of sql's one row; NULL, or no row, reads as null_value. */
static int query_cols(struct sw_query *q, const char *sql, const struct params *p, int n,
                      int64_t null_value, int64_t *out, struct sw_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(q, sql, p, &st, eb), step;

	if (rc != SW_OK)
		return rc;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW || step == SQLITE_DONE) {
		for (int i = 0; i < n; i++)
			out[i] = step == SQLITE_DONE || sqlite3_column_type(st, i) == SQLITE_NULL
			             ? null_value
			             : sqlite3_column_int64(st, i);
	} else {
		rc = dberr(q, "query", eb);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The first column of a one-row query. */
static int query_i64(struct sw_query *q, const char *sql, const struct params *p,
                     int64_t null_value, int64_t *out, struct sw_errbuf *eb)
{
	return query_cols(q, sql, p, 1, null_value, out, eb);
}

int sw_query_open(const char *path, struct sw_query **out, struct sw_errbuf *eb)
{
	const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
	struct sw_query *q;
	int64_t version = 0;
	int rc;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL || (q->path = strdup(path)) == NULL) {
		free(q);
		return sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory");
	}
	if (sqlite3_open_v2(path, &q->db, flags, NULL) != SQLITE_OK) {
		rc = sw_errbuf_set(eb, SW_E_DB, "store: cannot open %s: %s", path,
		                   q->db != NULL ? sqlite3_errmsg(q->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	/* Reports read much of the peer tables: map the file rather than copy pages. */
	sqlite3_exec(q->db, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
	rc = sw_store_sqlite_check(q->db, path, eb);
	if (rc == SW_OK)
		rc = query_i64(q, "PRAGMA user_version", NULL, 0, &version, eb);
	if (rc == SW_OK)
		q->version = version;
	if (rc == SW_OK && version < MIN_SCHEMA_VERSION)
		rc = sw_errbuf_set(
		    eb, version == 0 ? SW_E_NOT_FOUND : SW_E_UNSUPPORTED,
		    version == 0 ? "store: %s holds no swarmwatch store yet (schema version %lld)"
		                 : "store: %s has schema version %lld; open it once with a "
		                   "writing swarmwatch command to migrate it",
		    path, (long long)version);
out:
	if (rc != SW_OK)
		sw_query_close(q);
	else
		*out = q;
	return rc;
}

void sw_query_close(struct sw_query *q)
{
	if (q == NULL)
		return;
	sqlite3_close(q->db);
	free(q->path);
	free(q);
}

int sw_query_begin(struct sw_query *q, struct sw_errbuf *eb)
{
	if (q->in_snapshot)
		return SW_OK;
	if (sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return dberr(q, "begin", eb);
	q->in_snapshot = true;
	return SW_OK;
}

void sw_query_end(struct sw_query *q)
{
	if (q == NULL || !q->in_snapshot)
		return;
	sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
	q->in_snapshot = false;
}

void sw_query_titles_free(struct sw_query_title *t, size_t n)
{
	for (size_t i = 0; t != NULL && i < n; i++)
		free(t[i].name);
	free(t);
}

int sw_query_titles(struct sw_query *q, struct sw_query_title **out, size_t *n_out,
                    struct sw_errbuf *eb)
{
	struct sw_query_title *t = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int rc =
	    prepare(q, "SELECT id, name, coalesce(year, 0) FROM titles ORDER BY id", NULL, &st, eb);
	int step;

	while (rc == SW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);

		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct sw_query_title *nt = realloc(t, ncap * sizeof(*nt));

			if (nt == NULL) {
				rc = sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory");
				break;
			}
			t = nt;
			cap = ncap;
		}
		t[n].id = sqlite3_column_int64(st, 0);
		t[n].year = sqlite3_column_int(st, 2);
		t[n].name = strdup(name != NULL ? name : "");
		if (t[n++].name == NULL)
			rc = sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory");
	}
	if (rc == SW_OK && step != SQLITE_DONE)
		rc = dberr(q, "titles", eb);
	sqlite3_finalize(st);
	if (rc != SW_OK) {
		sw_query_titles_free(t, n);
		return rc;
	}
	*out = t;
	*n_out = n;
	return SW_OK;
}

int sw_query_title_torrents(struct sw_query *q, int64_t title_id, int64_t *n_out,
                            struct sw_errbuf *eb)
{
	struct params p = {.title_id = title_id};

	return query_i64(q, "SELECT count(*) FROM torrents WHERE title_id = ?1", &p, 0, n_out, eb);
}

/*
 * Every tier in one pass over the title's range of the covering
 * peers_title_seen (schema 5); [with_since].  A peer's first_seen is never
 * after its first_connectable or first_verified, so the first_seen bound
 * holds every peer a tier counts.
 */
#define UNIQUE_SQL                                                                                 \
	"SELECT count(*), count(CASE WHEN first_connectable <= ?2 THEN 1 END), "                   \
	"count(CASE WHEN first_verified <= ?2 THEN 1 END) "                                        \
	"FROM peers WHERE title_id = ?1 AND first_seen <= ?2"
static const char *const unique_sql[2] = {UNIQUE_SQL, UNIQUE_SQL " AND last_seen >= ?3"};

int sw_query_title_unique(struct sw_query *q, int64_t title_id, const struct sw_query_window *w,
                          int64_t n_out[SW_QUERY_TIERS], struct sw_errbuf *eb)
{
	struct params p = {title_id, w->as_of_ms, w->since_ms, 0, 0};
	int with_since = w->since_ms != SW_QUERY_NO_SINCE;

	_Static_assert(SW_QUERY_TIERS == 3, "unique_sql counts three tiers");
	return query_cols(q, unique_sql[with_since], &p, SW_QUERY_TIERS, 0, n_out, eb);
}

/*
 * Networks: an IPv4 address is its own, IPv6 addresses count per /64
 * (schema 4).  Only IPv6 rows carry a net, and they have their own partial
 * index, so: addresses, minus (IPv6 addresses - distinct IPv6 networks) per
 * tier, in one pass over that index; no DISTINCT over every address of a
 * title.  (INDEXED BY: the planner would rather walk the whole title.)
 */
#define V6_SHARED(cond)                                                                            \
	"count(CASE WHEN " cond " THEN 1 END) - count(DISTINCT CASE WHEN " cond " THEN net END)"
#define V6_SQL                                                                                     \
	"SELECT " V6_SHARED("1") ", " V6_SHARED("first_connectable <= ?2") ", " V6_SHARED(      \
	    "first_verified <= ?2") " FROM peers INDEXED BY peers_title_net "                   \
	                            "WHERE title_id = ?1 AND net IS NOT NULL AND first_seen <= ?2"
static const char *const v6_sql[2] = {V6_SQL, V6_SQL " AND last_seen >= ?3"};

int sw_query_title_unique_nets(struct sw_query *q, int64_t title_id,
                               const struct sw_query_window *w, int64_t n_out[SW_QUERY_TIERS],
                               struct sw_errbuf *eb)
{
	struct params p = {title_id, w->as_of_ms, w->since_ms, 0, 0};
	int with_since = w->since_ms != SW_QUERY_NO_SINCE;
	int64_t shared[SW_QUERY_TIERS]; /* IPv6 addresses beyond the first of their /64 */
	int rc = sw_query_title_unique(q, title_id, w, n_out, eb);

	if (rc != SW_OK || q->version < 4) /* no net yet: every address its own network */
		return rc;
	rc = query_cols(q, v6_sql[with_since], &p, SW_QUERY_TIERS, 0, shared, eb);
	for (int t = 0; t < SW_QUERY_TIERS && rc == SW_OK; t++)
		n_out[t] -= shared[t];
	return rc;
}

#define TIER_COUNTS(pfx)                                                                           \
	"count(*), count(CASE WHEN " pfx "first_connectable <= ?2 THEN 1 END), "                   \
	"count(CASE WHEN " pfx "first_verified <= ?2 THEN 1 END)"

/*
 * Per-bucket counts for days and series: each tier's first time, bucketed
 * by (time - ?5) / ?4; the three tiers unioned, then summed per bucket.
 */
#define BUCKET_SQL(col, s, c, v)                                                                   \
	"SELECT (" col " - ?5) / ?4 AS b, " s " AS s, " c " AS c, " v " AS v FROM peers "          \
	"WHERE title_id = ?1 AND first_seen <= ?2 AND " col " <= ?2 AND " col " >= ?5 "          \
	"AND last_seen >= ?3"

/* (Countries are summed in C: country_breakdown().) */
static const char *const group_sql[] = {
    [SW_QUERY_BY_COUNTRY] = NULL,
    [SW_QUERY_BY_ASN] = "SELECT coalesce(asn, 0) AS k, NULL, " TIER_COUNTS(
        "") " FROM peers WHERE title_id = ?1 AND first_seen <= ?2 "
            "AND last_seen >= ?3 GROUP BY k",
    [SW_QUERY_BY_DAY] = "SELECT b, NULL, sum(s), sum(c), sum(v) FROM (" BUCKET_SQL(
        "first_seen", "1", "0",
        "0") " UNION ALL " BUCKET_SQL("first_connectable", "0", "1",
                                      "0") " UNION ALL " BUCKET_SQL("first_verified", "0", "0",
                                                                    "1") ") GROUP BY b ORDER BY b",
    [SW_QUERY_BY_TORRENT] = "SELECT t.infohash, t.name, count(s.addr), "
                            "count(CASE WHEN s.first_connectable <= ?2 THEN 1 END), "
                            "count(CASE WHEN s.first_verified <= ?2 THEN 1 END) "
                            "FROM torrents t LEFT JOIN swarm_peers s ON s.infohash = t.infohash "
                            "AND s.first_seen <= ?2 AND s.last_seen >= ?3 "
                            "WHERE t.title_id = ?1 GROUP BY t.infohash",
};

void sw_query_rows_free(struct sw_query_row *rows, size_t n)
{
	for (size_t i = 0; rows != NULL && i < n; i++)
		free(rows[i].label);
	free(rows);
}

/* Fill row r from the statement's current row (k, label, seen, conn, verified). */
static int take_row(sqlite3_stmt *st, enum sw_query_group by, struct sw_query_row *r)
{
	const char *label = (const char *)sqlite3_column_text(st, 1);

	memset(r, 0, sizeof(*r));
	switch (by) {
	case SW_QUERY_BY_COUNTRY:
		snprintf(r->key, sizeof(r->key), "%s", (const char *)sqlite3_column_text(st, 0));
		break;
	case SW_QUERY_BY_ASN: r->ikey = sqlite3_column_int64(st, 0); break;
	case SW_QUERY_BY_DAY: r->ikey = sqlite3_column_int64(st, 0) * MS_PER_DAY; break;
	case SW_QUERY_BY_TORRENT:
		if (sqlite3_column_bytes(st, 0) == SW_INFOHASH_LEN)
			sw_hex_encode(sqlite3_column_blob(st, 0), SW_INFOHASH_LEN, r->key);
		break;
	}
	for (int t = 0; t < SW_QUERY_TIERS; t++)
		r->n[t] = sqlite3_column_int64(st, 2 + t);
	if (label != NULL && (r->label = strdup(label)) == NULL)
		return SW_E_NOMEM;
	return SW_OK;
}

/*
 * Countries: one pass over the title's entries in the covering
 * peers_title_seen (schema 5), summed here by country code.  A GROUP BY
 * would sort every address first (1.5 million: a second).  Anything but
 * two capital letters (NULL, "", a stray value) counts as unknown.
 */
#define N_CC (26 * 26 + 1) /* AA..ZZ, then unknown */

static int country_breakdown(struct sw_query *q, const struct params *p,
                             struct sw_query_row **out, size_t *n_out, struct sw_errbuf *eb)
{
	static const char sql[] = "SELECT country, first_connectable <= ?2, first_verified <= ?2 "
	                          "FROM peers WHERE title_id = ?1 AND first_seen <= ?2 "
	                          "AND last_seen >= ?3";
	int64_t(*acc)[SW_QUERY_TIERS] = calloc(N_CC, sizeof(*acc));
	struct sw_query_row *rows = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc, step = SQLITE_DONE;

	if (acc == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory");
	rc = prepare(q, sql, p, &st, eb);
	while (rc == SW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *cc = sqlite3_column_text(st, 0);
		size_t i = N_CC - 1;

		if (cc != NULL && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' &&
		    cc[2] == '\0')
			i = (size_t)(cc[0] - 'A') * 26 + (size_t)(cc[1] - 'A');
		if (i == 26 * 26 - 1) /* "ZZ" is how unknown is shown */
			i = N_CC - 1;
		acc[i][0]++;
		acc[i][1] += sqlite3_column_int(st, 1);
		acc[i][2] += sqlite3_column_int(st, 2);
	}
	if (rc == SW_OK && step != SQLITE_DONE)
		rc = dberr(q, "breakdown", eb);
	sqlite3_finalize(st);
	for (size_t i = 0; rc == SW_OK && i < N_CC; i++)
		n += acc[i][0] > 0;
	if (rc == SW_OK && n > 0 && (rows = calloc(n, sizeof(*rows))) == NULL)
		rc = sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory");
	n = 0;
	for (size_t i = 0; rc == SW_OK && i < N_CC; i++) {
		if (acc[i][0] == 0)
			continue;
		if (i == N_CC - 1)
			snprintf(rows[n].key, sizeof(rows[n].key), "%s", SW_QUERY_UNKNOWN_COUNTRY);
		else
			snprintf(rows[n].key, sizeof(rows[n].key), "%c%c", (char)('A' + i / 26),
			         (char)('A' + i % 26));
		memcpy(rows[n].n, acc[i], sizeof(rows[n].n));
		n++;
	}
	free(acc);
	if (rc != SW_OK) {
		free(rows);
		return rc;
	}
	*out = rows;
	*n_out = n;
	return SW_OK;
}

int sw_query_breakdown(struct sw_query *q, int64_t title_id, enum sw_query_group by,
                       const struct sw_query_window *w, struct sw_query_row **out, size_t *n_out,
                       struct sw_errbuf *eb)
{
	struct params p = {title_id, w->as_of_ms, w->since_ms, MS_PER_DAY, 0};
	struct sw_query_row *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int rc, step = SQLITE_DONE;

	if ((unsigned)by > SW_QUERY_BY_TORRENT)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: unknown breakdown %d", (int)by);
	if (by == SW_QUERY_BY_COUNTRY)
		return country_breakdown(q, &p, out, n_out, eb);
	rc = prepare(q, group_sql[by], &p, &st, eb);
	while (rc == SW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct sw_query_row *nr = realloc(rows, ncap * sizeof(*nr));

			if (nr == NULL) {
				rc = sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory");
				break;
			}
			rows = nr;
			cap = ncap;
		}
		if (take_row(st, by, &rows[n++]) != SW_OK)
			rc = sw_errbuf_set(eb, SW_E_NOMEM, "store: out of memory");
	}
	if (rc == SW_OK && step != SQLITE_DONE)
		rc = dberr(q, "breakdown", eb);
	sqlite3_finalize(st);
	if (rc != SW_OK) {
		sw_query_rows_free(rows, n);
		return rc;
	}
	*out = rows;
	*n_out = n;
	return SW_OK;
}

int sw_query_span(struct sw_query *q, const struct sw_query_window *w, int64_t *first_out,
                  int64_t *last_out, struct sw_errbuf *eb)
{
	struct params p = {0, w->as_of_ms, w->since_ms, 0, 0};
	int rc = query_i64(q,
	                   "SELECT min(first_seen) FROM peers WHERE first_seen <= ?2 "
	                   "AND last_seen >= ?3",
	                   &p, -1, first_out, eb);

	if (rc == SW_OK)
		rc = query_i64(
		    q,
		    "SELECT max(max(first_seen), "
		    "coalesce(max(CASE WHEN first_connectable <= ?2 THEN first_connectable END), "
		    "0), "
		    "coalesce(max(CASE WHEN first_verified <= ?2 THEN first_verified END), 0)) "
		    "FROM peers WHERE first_seen <= ?2 AND last_seen >= ?3",
		    &p, -1, last_out, eb);
	return rc;
}

int sw_query_series(struct sw_query *q, int64_t title_id, const struct sw_query_window *w,
                    int64_t start_ms, int64_t bucket_ms, size_t n_buckets,
                    int64_t (*counts)[SW_QUERY_TIERS], struct sw_errbuf *eb)
{
	struct params p = {title_id, w->as_of_ms, w->since_ms, bucket_ms, start_ms};
	sqlite3_stmt *st = NULL;
	int rc, step = SQLITE_DONE;

	if (bucket_ms <= 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: series bucket must be positive");
	memset(counts, 0, n_buckets * sizeof(*counts));
	rc = prepare(q, group_sql[SW_QUERY_BY_DAY], &p, &st, eb);
	while (rc == SW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(st, 0);

		if (b < 0 || (uint64_t)b >= n_buckets)
			continue;
		for (int t = 0; t < SW_QUERY_TIERS; t++)
			counts[b][t] = sqlite3_column_int64(st, 2 + t);
	}
	if (rc == SW_OK && step != SQLITE_DONE)
		rc = dberr(q, "series", eb);
	sqlite3_finalize(st);
	return rc;
}

int sw_query_stats(struct sw_query *q, struct sw_query_stats *st, struct sw_errbuf *eb)
{
	int64_t folded = 0, version = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = query_i64(q, "SELECT count(*) FROM titles", NULL, 0, &st->titles, eb);
	if (rc == SW_OK)
		rc = query_i64(q, "SELECT count(*) FROM torrents", NULL, 0, &st->torrents, eb);
	if (rc == SW_OK)
		rc = query_i64(q, "SELECT count(*) FROM torrents WHERE title_id IS NOT NULL", NULL,
		               0, &st->torrents_linked, eb);
	if (rc == SW_OK)
		rc = query_i64(q, "SELECT max(rowid) FROM observations", NULL, 0, &st->observations,
		               eb);
	if (rc == SW_OK)
		rc = query_i64(q, "SELECT max(rowid) FROM scrapes", NULL, 0, &st->scrapes, eb);
	if (rc == SW_OK)
		rc = query_i64(q,
		               "SELECT ts FROM observations WHERE rowid = "
		               "(SELECT max(rowid) FROM observations)",
		               NULL, -1, &st->last_observation_ms, eb);
	if (rc == SW_OK)
		rc = query_i64(q, "SELECT value FROM store_state WHERE name = 'folded_rowid'", NULL,
		               0, &folded, eb);
	if (rc == SW_OK)
		rc = query_i64(q, "PRAGMA user_version", NULL, 0, &version, eb);
	st->unfolded = st->observations > folded ? st->observations - folded : 0;
	st->schema_version = (int)version;
	return rc;
}

int sw_query_daemon_stats(struct sw_query *q, sw_query_daemon_stat_fn fn, void *ctx,
                          struct sw_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	if (q->version < 5)
		return SW_OK;
	rc = prepare(q, "SELECT name, labels, value, updated FROM daemon_stats ORDER BY name, labels",
	             NULL, &st, eb);
	while (rc == SW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *labels = (const char *)sqlite3_column_text(st, 1);

		if (name != NULL)
			fn(ctx, name, labels != NULL ? labels : "", sqlite3_column_int64(st, 2),
			   sqlite3_column_int64(st, 3));
	}
	if (rc == SW_OK && step != SQLITE_DONE)
		rc = dberr(q, "daemon stats", eb);
	sqlite3_finalize(st);
	return rc;
}
