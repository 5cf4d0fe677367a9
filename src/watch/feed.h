/*
 * feed.h - RSS 2.0 and Torznab feeds, parsed as they arrive.
 *
 * A torrent index publishes its "hot XVID DIVX torrents" list, or a
 * Jackett/Prowlarr search its results, as RSS 2.0: one <item> per torrent
 * with a title, a link or <enclosure> (a magnet or a .torrent URL) and,
 * for Torznab, <torznab:attr name="infohash|seeders|peers|size" value=.../>.
 * The parser (expat underneath) is fed the document in chunks of any size,
 * as curl or read(2) hand them over, and calls back once per complete
 * item; nothing else is kept, so memory is bounded by the field caps, not
 * by the document.
 *
 * What is refused, with a message that says what and where: a document
 * over max_bytes; more than max_items items; malformed XML (expat's line
 * and column); an HTML page ("feed is HTML, not RSS (starts with
 * <html>)"); Atom, RSS 1.0 and other roots; a Torznab <error> reply; DTDs
 * that declare entities.  An item whose fields are unusable (a link longer
 * than SW_FEED_MAX_URL, a Torznab infohash that contradicts its magnet) is
 * skipped and counted, not fatal.
 *
 * Ownership: the item passed to the callback and every string in it are
 * valid only during the call.  The parser owns its expat parser; free it
 * with sw_feed_parser_free() (NULL-safe).
 */
#ifndef SW_FEED_H
#define SW_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

#ifndef SW_FEED_MAX_BYTES
#define SW_FEED_MAX_BYTES (16u << 20) /* default document cap */
#endif
#ifndef SW_FEED_MAX_ITEMS
#define SW_FEED_MAX_ITEMS 10000 /* default item cap */
#endif
#ifndef SW_FEED_MAX_TITLE
#define SW_FEED_MAX_TITLE 1024 /* longer titles are cut (SW_FEED_F_TITLE_CUT) */
#endif
#ifndef SW_FEED_MAX_URL
#define SW_FEED_MAX_URL 8192 /* longer links make the item skipped */
#endif
#ifndef SW_FEED_MAX_DEPTH
#define SW_FEED_MAX_DEPTH 64 /* element nesting */
#endif
#define SW_FEED_SKIP_LEN 160

#define SW_FEED_F_TITLE_CUT  0x01u /* the title was longer than SW_FEED_MAX_TITLE */
#define SW_FEED_F_BAD_MAGNET 0x02u /* a magnet link was given but does not parse */

struct sw_feed_item {
	const char *title;  /* trimmed; "" when absent */
	const char *magnet; /* a magnet link (enclosure, link, guid, torznab magneturl), or "" */
	const char *url;    /* the .torrent / download URL (enclosure, else link), or "" */
	bool has_infohash;  /* from torznab "infohash", an <infoHash>, or the magnet */
	uint8_t infohash[SW_INFOHASH_LEN];
	int64_t size;     /* bytes (torznab size, <size>, enclosure length), or -1 */
	int64_t seeders;  /* or -1 */
	int64_t peers;    /* or -1 (torznab: seeders + leechers) */
	int64_t pub_date; /* Unix seconds from <pubDate>, or -1 */
	unsigned line;    /* line of the <item> tag */
	uint32_t flags;   /* SW_FEED_F_* */
};

/* Return SW_OK to go on; anything else stops the parse with that code. */
typedef int (*sw_feed_item_cb)(void *ctx, const struct sw_feed_item *item);

struct sw_feed_limits {
	size_t max_bytes; /* 0: SW_FEED_MAX_BYTES */
	size_t max_items; /* 0: SW_FEED_MAX_ITEMS */
};

enum sw_feed_kind { SW_FEED_UNKNOWN = 0, SW_FEED_RSS, SW_FEED_TORZNAB };

struct sw_feed_stats {
	size_t bytes;   /* fed so far */
	size_t items;   /* handed to the callback */
	size_t skipped; /* items dropped (see skip_reason for the first) */
	uint8_t kind;   /* enum sw_feed_kind: Torznab once a torznab attr is seen */
	char skip_reason[SW_FEED_SKIP_LEN];
};

struct sw_feed_parser;

/* lim may be NULL.  SW_OK, SW_E_INVALID (NULL cb or out) or SW_E_NOMEM. */
int sw_feed_parser_new(const struct sw_feed_limits *lim, sw_feed_item_cb cb, void *ctx,
                       struct sw_feed_parser **out, struct sw_errbuf *eb);

/*
 * Feed the next len bytes.  SW_OK, or the error that ended the parse
 * (SW_E_TOO_BIG, SW_E_INVALID, SW_E_UNSUPPORTED, the callback's code); after
 * an error every further call returns it again.
 */
int sw_feed_parser_write(struct sw_feed_parser *p, const void *data, size_t len,
                         struct sw_errbuf *eb);

/* The document is complete: SW_OK or why it is not a feed. */
int sw_feed_parser_finish(struct sw_feed_parser *p, struct sw_errbuf *eb);

const struct sw_feed_stats *sw_feed_parser_stats(const struct sw_feed_parser *p);
void sw_feed_parser_free(struct sw_feed_parser *p);

/* All of a document at once: new, write, finish, free; stats_out optional. */
int sw_feed_parse(const void *data, size_t len, const struct sw_feed_limits *lim,
                  sw_feed_item_cb cb, void *ctx, struct sw_feed_stats *stats_out,
                  struct sw_errbuf *eb);

/*
 * An RFC 822 date as RSS writes it ("Tue, 09 Dec 2014 18:33:00 +0000",
 * GMT/UT/Z and the US zone names, 2-digit years) or ISO 8601
 * ("2014-12-09T18:33:00Z"), to Unix seconds.  SW_OK or SW_E_INVALID.
 */
int sw_feed_parse_date(const char *s, int64_t *out);

#endif /* SW_FEED_H */
