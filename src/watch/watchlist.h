/*
 * watchlist.h - the watchlist file: which titles to watch, which feeds to
 * poll, and the daemon's settings (examples/sony-2014.ini documents every
 * key).
 *
 * The file is INI, read with inih, one line at a time through our own
 * reader so that every error names the file and the line:
 *
 *     sony.ini:12: unknown key 'yaer' in [title "Fury"]
 *
 * Sections: [swarmwatch] (settings, at most once), [title "NAME"] (one per
 * title), [feed "NAME"] (one per feed).  Lines are at most
 * SW_WATCHLIST_MAX_LINE bytes (inih's buffer); a longer value (a magnet
 * with many trackers) is continued on indented lines, which are joined to
 * it without a separator.  List keys (aliases, exclude) take
 * comma-separated items, "double-quoted" when an item holds a comma, and
 * may also be repeated.
 *
 * What comes out: a struct sw_watchlist on the heap that owns every string
 * in it; free it with sw_watchlist_free().  `specs` is ready for
 * sw_matcher_new() (match.h) and borrows from the titles.  Relative paths
 * (torrent, database, secret, geoip_*, feed files) are resolved against
 * the watchlist file's directory.
 */
#ifndef SW_WATCHLIST_H
#define SW_WATCHLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"
#include "watch/match.h"

#ifndef SW_WATCHLIST_MAX_SIZE
#define SW_WATCHLIST_MAX_SIZE (4u << 20) /* bytes of a watchlist file */
#endif
#ifndef SW_WATCHLIST_MAX_TITLES
#define SW_WATCHLIST_MAX_TITLES 10000
#endif
#ifndef SW_WATCHLIST_MAX_FEEDS
#define SW_WATCHLIST_MAX_FEEDS 256
#endif
#ifndef SW_WATCHLIST_MAX_VALUES
#define SW_WATCHLIST_MAX_VALUES 1024 /* magnets, torrents, ... per title */
#endif
#ifndef SW_WATCHLIST_MAX_VALUE
#define SW_WATCHLIST_MAX_VALUE (64u * 1024u) /* bytes of one (joined) value */
#endif
/* inih's line buffer as Debian builds it is 200 bytes: '\n' and NUL
 * included, 198 bytes of text.  Longer lines are errors, never cut. */
#define SW_WATCHLIST_MAX_LINE 198
#define SW_WATCHLIST_YEAR_MIN 1888
#define SW_WATCHLIST_YEAR_MAX 2100
/* Defaults of the [swarmwatch] settings. */
#define SW_WATCHLIST_DEF_FEED_INTERVAL_MS (15 * 60 * 1000)
#define SW_WATCHLIST_MIN_FEED_INTERVAL_MS 1000
#define SW_WATCHLIST_DEF_RETENTION_MS     ((int64_t)90 * 24 * 3600 * 1000)

struct sw_watch_title {
	char *name;     /* as written in [title "NAME"] */
	unsigned year;  /* 0 when not given */
	char **aliases; /* NULL-terminated; n_aliases of them */
	size_t n_aliases;
	char **excludes; /* NULL-terminated */
	size_t n_excludes;
	char **magnets; /* NULL-terminated, each one parsed by sw_magnet_parse */
	size_t n_magnets;
	char **torrents; /* NULL-terminated paths, resolved */
	size_t n_torrents;
	uint8_t (*infohashes)[SW_INFOHASH_LEN]; /* v1 infohashes, n_infohashes */
	size_t n_infohashes;
	unsigned line; /* line of the [title] header */
};

struct sw_watch_feed {
	char *name;
	char *url; /* http(s) URL, or for a file its path (resolved) */
	bool is_file;
	int64_t interval_ms; /* the feed's own, else the [swarmwatch] feed_interval */
	unsigned line;
};

struct sw_watchlist {
	char *path; /* the file as given ("<string>" when parsed from memory) */

	/* [swarmwatch]: NULL / 0 / false when not given, unless noted. */
	char *database;
	char *listen;             /* "host:port" as given, checked by sw_addr_parse */
	char *secret;             /* path of the pseudonym secret file */
	int64_t retention_ms;     /* default SW_WATCHLIST_DEF_RETENTION_MS */
	int64_t feed_interval_ms; /* default SW_WATCHLIST_DEF_FEED_INTERVAL_MS */
	bool evidence;      /* raw addresses at rest, not pseudonyms (--evidence) */
	bool allow_private; /* accept non-public peer addresses (--allow-private) */
	bool dht;             /* default true */
	char **dht_bootstrap; /* NULL-terminated "host:port" */
	size_t n_dht_bootstrap;
	char *geoip_country;
	char *geoip_asn;

	struct sw_watch_title *titles;
	size_t n_titles;
	struct sw_watch_feed *feeds;
	size_t n_feeds;

	struct sw_title_spec *specs; /* n_titles, for sw_matcher_new() */
};

struct sw_watchlist_opts {
	const char *name;     /* used in messages; NULL: "<string>" */
	const char *base_dir; /* for relative paths; NULL: leave them relative */
	bool check_files;     /* torrent files must exist and be regular files */
};

/*
 * Read and parse the watchlist at path (relative paths resolve against its
 * directory, torrent files must exist).  Returns SW_OK and *out, or
 * SW_E_NOT_FOUND / SW_E_IO (cannot read), SW_E_TOO_BIG (over
 * SW_WATCHLIST_MAX_SIZE or a count cap), SW_E_INVALID (eb: "file:line:
 * what"), SW_E_NOMEM.
 */
int sw_watchlist_load(const char *path, struct sw_watchlist **out, struct sw_errbuf *eb);

/*
 * Parse len bytes of text (no NUL needed; a NUL byte inside is an error).
 * opts may be NULL.  Same returns as sw_watchlist_load.
 */
int sw_watchlist_parse(const char *text, size_t len, const struct sw_watchlist_opts *opts,
                       struct sw_watchlist **out, struct sw_errbuf *eb);

void sw_watchlist_free(struct sw_watchlist *w); /* NULL-safe */

#endif /* SW_WATCHLIST_H */
