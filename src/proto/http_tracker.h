/*
 * http_tracker.h - HTTP tracker requests and replies: announce (BEP 3,
 * with compact peers from BEP 23 and peers6 from BEP 7) and scrape
 * (BEP 48).  Pure codec: the caller fetches the URL (libcurl in
 * src/net/) and hands the body back here.
 *
 * URLs are appended to a caller's struct sw_buf, whose cap bounds them;
 * on failure the buffer is restored to what it held before the call.
 *
 * Replies are decoded with the allocation-free bencode decoder into a
 * token array the caller supplies (SW_HTTPT_TOKENS is enough for any
 * announce reply this module would keep; a reply that needs more fails
 * with SW_E_TOO_BIG).  Every pointer in a parsed result (failure and
 * warning text, tracker id, scrape entries) points into the reply body,
 * and a parsed scrape also refers to the tokens: keep both alive while
 * the result is used.  Peers are copied out into the caller's array of
 * struct sw_addr; nothing is allocated.
 */
#ifndef SW_HTTP_TRACKER_H
#define SW_HTTP_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/types.h"
#include "proto/bencode.h"

/* The announce "event" parameter; same numbers as enum sw_udpt_event. */
enum sw_httpt_event {
	SW_HTTPT_EVENT_NONE = 0, /* a regular announce: no event parameter */
	SW_HTTPT_EVENT_COMPLETED = 1,
	SW_HTTPT_EVENT_STARTED = 2,
	SW_HTTPT_EVENT_STOPPED = 3,
};

/*
 * Tokens for one reply: a compact announce needs about 20; a BEP 3 peer
 * list 7 per peer (dict, three keys, three values), so 4096 covers about
 * 580 dict peers, more than any tracker returns for one announce.
 */
#ifndef SW_HTTPT_TOKENS
#define SW_HTTPT_TOKENS 4096
#endif
#define SW_HTTPT_NUMWANT_DEFAULT (-1) /* omit numwant: the tracker chooses */

struct sw_httpt_announce_req {
	const char *announce_url; /* "http(s)://host[:port]/path[?query]", NUL-terminated */
	uint8_t infohash[SW_INFOHASH_LEN];
	uint8_t peer_id[SW_PEER_ID_LEN];
	uint16_t port;
	uint64_t uploaded;
	uint64_t downloaded;
	uint64_t left;
	uint32_t event;  /* enum sw_httpt_event */
	int32_t numwant; /* SW_HTTPT_NUMWANT_DEFAULT to omit */
	uint32_t key;    /* sent as 8 hex digits (BEP 7: the same on every announce) */
	/* "tracker id" from an earlier reply (borrowed), NULL when none. */
	const uint8_t *tracker_id;
	size_t tracker_id_len;
};

/*
 * Append the announce URL to out:
 *
 *   <announce_url>?info_hash=%..&peer_id=%..&port=P&uploaded=U&downloaded=D
 *   &left=L&compact=1[&numwant=N]&key=HHHHHHHH[&event=E][&trackerid=T]&no_peer_id=1
 *
 * with '&' instead of '?' when announce_url already has a query, and any
 * "#fragment" of announce_url dropped.  Binary values are percent-encoded
 * byte by byte.  SW_E_INVALID when announce_url is not http(s) or event is
 * unknown; SW_E_TOO_BIG when out's cap is reached.
 */
int sw_httpt_announce_url(struct sw_buf *out, const struct sw_httpt_announce_req *req);

/*
 * Append the scrape URL for n infohashes (back to back in
 * infohashes[0 .. n*SW_INFOHASH_LEN), n may be 0 for a full scrape) to
 * out.  BEP 48 convention: the last '/' of the URL's path must be
 * followed by "announce", which becomes "scrape", keeping what follows
 * ("/announce.php?passkey=x" -> "/scrape.php?passkey=x&info_hash=...").
 * SW_E_UNSUPPORTED when the URL does not follow it (the tracker has no
 * scrape we may guess), SW_E_INVALID when it is not http(s), SW_E_TOO_BIG
 * at the cap.
 */
int sw_httpt_scrape_url(struct sw_buf *out, const char *announce_url, const uint8_t *infohashes,
                        size_t n);

/*
 * Percent-encode p[0..n) onto out: RFC 3986 unreserved characters
 * (A-Z a-z 0-9 - . _ ~) as they are, every other byte as %XX (upper-case).
 */
int sw_httpt_urlencode(struct sw_buf *out, const uint8_t *p, size_t n);

/* A parsed announce reply.  -1 marks an integer the tracker did not send. */
struct sw_httpt_announce {
	int64_t interval;
	int64_t min_interval;
	int64_t complete;   /* seeders */
	int64_t incomplete; /* leechers */
	int64_t downloaded; /* opentracker sends it: completed downloads */
	/* Strings into the reply (not NUL-terminated); NULL when absent. */
	const uint8_t *failure; /* "failure reason" */
	size_t failure_len;
	const uint8_t *warning; /* "warning message" */
	size_t warning_len;
	const uint8_t *tracker_id; /* "tracker id": send it back on the next announce */
	size_t tracker_id_len;
	/* Peers written to the caller's array, in reply order: peers, then peers6. */
	size_t num_peers;
	size_t num_v4, num_v6;   /* of num_peers, by family; IPv4-mapped IPv6
	                            (::ffff:a.b.c.d) counts as IPv4 */
	size_t dropped_capacity; /* well-formed peers that did not fit */
	size_t dropped_invalid;  /* list entries: not a dict, bad or missing ip / port */
	size_t dropped_hostname; /* list entries whose ip is a DNS name (not resolved) */
	bool compact;            /* "peers" was a BEP 23 string */
};

/*
 * Parse announce reply body p[0..n), decoding into tok[0..max_tok) and
 * writing up to cap peers to peers[].  Returns:
 *
 *   SW_OK            *out is filled.
 *   SW_E_UNSUPPORTED the tracker refused: out->failure holds its "failure
 *                    reason" (nothing else is read).
 *   SW_E_INVALID     not bencode ("reply is not bencode (starts with '<')"
 *                    for an HTML error page), not a dictionary, or a
 *                    compact peers string whose length is not a multiple of
 *                    6 (peers) or 18 (peers6).
 *   SW_E_NEED_MORE   bencode cut short (a truncated body).
 *   SW_E_TYPE        a known key with a value of the wrong type.
 *   SW_E_RANGE       a negative interval or count.
 *   SW_E_TOO_BIG     more than max_tok tokens.
 *
 * eb (if not NULL) names the key or the byte at fault.  Bytes after the
 * dictionary are ignored.  A BEP 3 list entry that is not usable is
 * counted, not an error: one bad peer does not spoil the others.
 */
int sw_httpt_parse_announce(const uint8_t *p, size_t n, struct sw_bencode_token *tok,
                            size_t max_tok, struct sw_addr *peers, size_t cap,
                            struct sw_httpt_announce *out, struct sw_errbuf *eb);

/* A parsed scrape reply; it reads the caller's body and tokens. */
struct sw_httpt_scrape {
	struct sw_bencode_doc doc;
	uint32_t files;               /* token index of the "files" dict; 0 when absent */
	size_t num_files;             /* usable entries */
	size_t num_invalid;           /* entries skipped: key not 20 bytes, value not a
	                                 dict, or a field of the wrong type or negative */
	int64_t min_request_interval; /* "flags" / "min_request_interval", or -1 */
	const uint8_t *failure;       /* "failure reason", NULL when absent */
	size_t failure_len;
};

struct sw_httpt_scrape_entry {
	uint8_t infohash[SW_INFOHASH_LEN];
	int64_t complete;   /* seeders now; -1 if absent */
	int64_t incomplete; /* leechers now; -1 if absent */
	int64_t downloaded; /* completed downloads ever; -1 if absent */
};

/*
 * Parse scrape reply body p[0..n) into tok[0..max_tok).  Same returns as
 * sw_httpt_parse_announce() (SW_E_UNSUPPORTED with out->failure set when
 * the tracker refused).  A reply without "files" has no entries.
 */
int sw_httpt_parse_scrape(const uint8_t *p, size_t n, struct sw_bencode_token *tok, size_t max_tok,
                          struct sw_httpt_scrape *out, struct sw_errbuf *eb);

/* The entry for infohash: 0, or SW_E_NOT_FOUND (absent or unusable). */
int sw_httpt_scrape_lookup(const struct sw_httpt_scrape *s, const uint8_t infohash[SW_INFOHASH_LEN],
                           struct sw_httpt_scrape_entry *out);

/*
 * Iterate the usable entries: start with *cursor = 0; each call fills out
 * and returns 0, or SW_E_NOT_FOUND after the last.
 */
int sw_httpt_scrape_next(const struct sw_httpt_scrape *s, uint32_t *cursor,
                         struct sw_httpt_scrape_entry *out);

#endif /* SW_HTTP_TRACKER_H */
