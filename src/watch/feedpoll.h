/*
 * feedpoll.h - poll RSS / Torznab feeds on the loop and hand out the items
 * not seen before.
 *
 * The poller runs on the daemon's loop (loop.h) and fetches URLs through
 * its HTTP client (http.h); a feed that is a local file is read in chunks
 * on the loop.  Each feed is polled when added, then every interval_ms.
 * A poll parses the whole document (feed.h) before anything is handed
 * out: a document that turns out to be broken, HTML or too big yields an
 * error report for that feed and no items, and the other feeds go on as
 * before.  Items are deduplicated across all feeds and polls, by infohash
 * when the item has one, else by its link or title, in a set of bounded
 * size (two generations of max_seen / 2 keys: the oldest keys are
 * forgotten first).
 *
 * Callbacks run on the loop.  The item and the report, and every string in
 * them, are valid only during the call.  Callbacks must not free the
 * poller; they may call sw_feedpoll_remove() for another feed.
 */
#ifndef SW_FEEDPOLL_H
#define SW_FEEDPOLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "net/http.h"
#include "net/loop.h"
#include "watch/feed.h"

#ifndef SW_FEEDPOLL_MAX_SEEN
#define SW_FEEDPOLL_MAX_SEEN 200000 /* keys remembered for dedup */
#endif
#define SW_FEEDPOLL_TIMEOUT_MS 60000L /* default: a whole fetch */
#define SW_FEEDPOLL_READ_CHUNK (64u * 1024u)

struct sw_feedpoll_opts {
	size_t max_bytes; /* per document; 0: SW_FEED_MAX_BYTES */
	size_t max_items; /* per document; 0: SW_FEED_MAX_ITEMS */
	long timeout_ms;  /* per HTTP fetch; 0: SW_FEEDPOLL_TIMEOUT_MS */
	size_t max_seen;  /* 0: SW_FEEDPOLL_MAX_SEEN */
};

/* What one poll of one feed gave. */
struct sw_feedpoll_report {
	const char *feed;        /* the feed's name */
	unsigned poll;           /* 1 for the first poll of this feed */
	int rc;                  /* SW_OK, or why the poll failed */
	const char *error;       /* "" on success, else a message naming the cause */
	long http_status;        /* 0 for files or when none was received */
	size_t bytes;            /* of the document */
	size_t items;            /* in the document */
	size_t fresh;            /* handed to the item callback */
	size_t skipped;          /* unusable items (feed.h) */
	const char *skip_reason; /* the first one's, or "" */
};

typedef void (*sw_feedpoll_item_cb)(void *ctx, const char *feed, const struct sw_feed_item *item);
typedef void (*sw_feedpoll_report_cb)(void *ctx, const struct sw_feedpoll_report *r);

struct sw_feedpoll;

/*
 * A poller on loop; http may be NULL when every feed is a file.  opts may
 * be NULL.  on_item is required, on_report optional.  SW_OK, SW_E_INVALID
 * or SW_E_NOMEM.
 */
int sw_feedpoll_new(struct sw_loop *loop, struct sw_http *http, const struct sw_feedpoll_opts *opts,
                    sw_feedpoll_item_cb on_item, sw_feedpoll_report_cb on_report, void *ctx,
                    struct sw_feedpoll **out, struct sw_errbuf *eb);

/*
 * Add a feed: url is an http(s) URL, or with is_file a path.  Its first
 * poll starts from the loop at once; then every interval_ms (> 0).
 * SW_E_INVALID for a duplicate name, a bad interval or an URL without
 * an HTTP client, SW_E_NOMEM.
 */
int sw_feedpoll_add(struct sw_feedpoll *fp, const char *name, const char *url, bool is_file,
                    int64_t interval_ms, struct sw_errbuf *eb);

/* Stop polling a feed (a fetch in flight is cancelled).  SW_E_NOT_FOUND. */
int sw_feedpoll_remove(struct sw_feedpoll *fp, const char *name);

/* Cancels every fetch; no callback is called after.  NULL-safe. */
void sw_feedpoll_free(struct sw_feedpoll *fp);

#endif /* SW_FEEDPOLL_H */
