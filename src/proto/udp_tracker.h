/*
 * udp_tracker.h - the UDP tracker protocol (BEP 15) with BEP 41 URL data:
 * request builders and a response parser.  Pure codec: no sockets, no
 * clocks, no allocation.  The per-tracker state machine (connection-id
 * lifetime, retransmission at 15 * 2^n s, choosing transaction ids) lives
 * above this in src/tracker/.
 *
 * Builders write one datagram into the caller's buffer and return the
 * number of bytes written (> 0), or SW_E_TOO_BIG when the buffer is too
 * small or a count cap is exceeded, or SW_E_INVALID for arguments that
 * cannot be encoded.  The buffer is untouched on failure.
 *
 * The parser reads one datagram and checks, in BEP 15's order: the 8-byte
 * header is there, the transaction id is ours, the action is the one we
 * asked for (or an error), the action's fixed part is there.  Every way a
 * datagram can be dropped has its own return code, so the caller can count
 * drops by reason.  Pointers in the result (peers, scrape triples, error
 * text) point into the datagram: it must outlive them.
 */
#ifndef SW_UDP_TRACKER_H
#define SW_UDP_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/types.h"

#define SW_UDPT_PROTOCOL_ID 0x41727101980ULL /* connect request magic */

enum sw_udpt_action {
	SW_UDPT_ACTION_CONNECT = 0,
	SW_UDPT_ACTION_ANNOUNCE = 1,
	SW_UDPT_ACTION_SCRAPE = 2,
	SW_UDPT_ACTION_ERROR = 3,
};

/* The announce "event" field (BEP 15 numbers; the HTTP module uses the same). */
enum sw_udpt_event {
	SW_UDPT_EVENT_NONE = 0,
	SW_UDPT_EVENT_COMPLETED = 1,
	SW_UDPT_EVENT_STARTED = 2,
	SW_UDPT_EVENT_STOPPED = 3,
};

/* Fixed sizes from BEP 15. */
#define SW_UDPT_HEADER_LEN         8 /* action + transaction id, every response */
#define SW_UDPT_CONNECT_REQ_LEN    16
#define SW_UDPT_CONNECT_RESP_LEN   16
#define SW_UDPT_ANNOUNCE_REQ_LEN   98 /* without BEP 41 options */
#define SW_UDPT_ANNOUNCE_RESP_MIN  20 /* before the peer entries */
#define SW_UDPT_SCRAPE_REQ_HDR_LEN 16 /* before the infohashes */
#define SW_UDPT_SCRAPE_RESP_MIN    8  /* before the triples */
#define SW_UDPT_SCRAPE_ENTRY_LEN   12 /* seeders, completed, leechers */
#define SW_UDPT_ERROR_RESP_MIN     8  /* before the message */
#define SW_UDPT_NUM_WANT_DEFAULT   (-1)

/* BEP 15: "up to about 74 torrents can be scraped at once". */
#ifndef SW_UDPT_MAX_SCRAPE
#define SW_UDPT_MAX_SCRAPE 74
#endif
#define SW_UDPT_SCRAPE_REQ_MAX (SW_UDPT_SCRAPE_REQ_HDR_LEN + SW_UDPT_MAX_SCRAPE * SW_INFOHASH_LEN)

/* BEP 41 option types and the URLData chunk limit (a one-byte length). */
#define SW_UDPT_OPT_END       0x0
#define SW_UDPT_OPT_NOP       0x1
#define SW_UDPT_OPT_URLDATA   0x2
#define SW_UDPT_URLDATA_CHUNK 255
/*
 * Longest path+query we send: four full chunks, so that the largest
 * announce (SW_UDPT_ANNOUNCE_REQ_MAX = 1127 bytes) fits the IPv6 minimum
 * MTU of 1280 less the IPv6 and UDP headers.
 */
#ifndef SW_UDPT_MAX_URLDATA
#define SW_UDPT_MAX_URLDATA (4 * SW_UDPT_URLDATA_CHUNK)
#endif
#define SW_UDPT_ANNOUNCE_REQ_MAX                                                                   \
	(SW_UDPT_ANNOUNCE_REQ_LEN + SW_UDPT_MAX_URLDATA +                                          \
	 2 * ((SW_UDPT_MAX_URLDATA + SW_UDPT_URLDATA_CHUNK - 1) / SW_UDPT_URLDATA_CHUNK) + 1)

/* Everything an announce request carries.  Integers in host order. */
struct sw_udpt_announce_req {
	uint64_t connection_id;
	uint32_t txid;
	uint8_t infohash[SW_INFOHASH_LEN];
	uint8_t peer_id[SW_PEER_ID_LEN];
	uint64_t downloaded;
	uint64_t left;
	uint64_t uploaded;
	uint32_t event; /* enum sw_udpt_event */
	uint32_t key;
	int32_t num_want; /* SW_UDPT_NUM_WANT_DEFAULT lets the tracker choose */
	uint16_t port;
	/*
	 * BEP 41: the tracker URL's path and query ("/announce?passkey=x"),
	 * borrowed for the call; see sw_udpt_url_request().  NULL or empty
	 * sends a plain 98-byte BEP 15 announce with no options at all.
	 */
	const char *url_request;
	size_t url_request_len;
};

/* Connect request: 16 bytes.  outlen >= SW_UDPT_CONNECT_REQ_LEN. */
int sw_udpt_build_connect(uint8_t *out, size_t outlen, uint32_t txid);

/*
 * Announce request: 98 bytes, plus BEP 41 options when url_request is
 * set (URLData chunks of at most 255 bytes, then EndOfOptions).  A
 * url_request longer than SW_UDPT_MAX_URLDATA is SW_E_TOO_BIG; an event
 * above STOPPED is SW_E_INVALID.  SW_UDPT_ANNOUNCE_REQ_MAX always fits.
 */
int sw_udpt_build_announce(uint8_t *out, size_t outlen, const struct sw_udpt_announce_req *req);

/*
 * Scrape request for n (1..SW_UDPT_MAX_SCRAPE) infohashes stored back to
 * back in infohashes[0 .. n*SW_INFOHASH_LEN).  n == 0 is SW_E_INVALID.
 */
int sw_udpt_build_scrape(uint8_t *out, size_t outlen, uint64_t connection_id, uint32_t txid,
                         const uint8_t *infohashes, size_t n);

/*
 * The BEP 41 request string of a tracker URL: for
 * "udp://tracker.example:6969/announce?passkey=x#frag" it is
 * "/announce?passkey=x" (from the first '/' after the authority up to a
 * '#').  *req points into url; empty (len 0) when the URL has no path.
 * SW_E_INVALID when url does not start with "udp://" (any case).
 */
int sw_udpt_url_request(const char *url, size_t len, const char **req, size_t *req_len);

/* One parsed response.  Which fields are set depends on action. */
struct sw_udpt_response {
	uint32_t action; /* enum sw_udpt_action */
	uint32_t txid;

	/* CONNECT */
	uint64_t connection_id;

	/* ANNOUNCE: counts as sent (the caller clamps what it uses). */
	uint32_t interval;
	uint32_t leechers;
	uint32_t seeders;
	const uint8_t *peers; /* num_peers entries of peer_len bytes, into the datagram */
	size_t num_peers;
	size_t peer_len; /* SW_COMPACT_PEER4_LEN or SW_COMPACT_PEER6_LEN */
	uint8_t family;  /* AF_INET or AF_INET6, as passed to the parser */

	/* SCRAPE: triples in the order the infohashes were requested. */
	const uint8_t *scrape; /* num_scrape entries of SW_UDPT_SCRAPE_ENTRY_LEN bytes */
	size_t num_scrape;

	/*
	 * ANNOUNCE and SCRAPE: bytes after the last whole entry.  They are
	 * ignored (BEP 15: "do not expect packets to be exactly of a certain
	 * size"), not an error, so the whole entries before them are kept;
	 * a non-zero value is worth counting, since it also shows a tracker
	 * that uses the wrong entry size for the socket's family.
	 */
	size_t tail_len;

	/* ERROR: the message, into the datagram, not NUL-terminated, with
	 * trailing NUL bytes removed (opentracker sends one). */
	const char *message;
	size_t message_len;
};

/*
 * Parse datagram p[0..n) as the answer to a request of expect_action
 * (CONNECT, ANNOUNCE or SCRAPE) sent with expect_txid over a socket of
 * family (AF_INET or AF_INET6; it sets the peer entry size of an
 * announce response, BEP 15 "IPv6").  Returns:
 *
 *   SW_OK            *out holds a response of expect_action.
 *   SW_E_UNSUPPORTED the tracker answered with an error (action 3) for our
 *                    transaction: out->action is SW_UDPT_ACTION_ERROR and
 *                    out->message holds its text.
 *   SW_E_NEED_MORE   shorter than the header or than the fixed part of its
 *                    action (drop: short).
 *   SW_E_NOT_FOUND   another transaction id (drop: not ours, or stale).
 *   SW_E_TYPE        a transaction id of ours but another action (drop).
 *   SW_E_INVALID     expect_action or family is not one of the above (a
 *                    caller bug).
 *
 * *out is zeroed first and, from the header on, filled as far as the
 * checks got (action and txid are set on SW_E_TYPE and SW_E_NEED_MORE).
 */
int sw_udpt_parse_response(const uint8_t *p, size_t n, uint32_t expect_txid, int expect_action,
                           int family, struct sw_udpt_response *out);

/*
 * Peer entry i of an announce response: 0, or SW_E_RANGE if i >= num_peers.
 * An IPv4-mapped IPv6 entry (::ffff:a.b.c.d) comes out as IPv4, as
 * sw_addr_init_v6() makes every address.
 */
int sw_udpt_peer(const struct sw_udpt_response *r, size_t i, struct sw_addr *out);

struct sw_udpt_scrape_entry {
	uint32_t seeders;
	uint32_t completed;
	uint32_t leechers;
};

/* Triple i of a scrape response: 0, or SW_E_RANGE if i >= num_scrape. */
int sw_udpt_scrape_entry(const struct sw_udpt_response *r, size_t i,
                         struct sw_udpt_scrape_entry *out);

/* "connect", "announce", "scrape", "error"; NULL if unknown. */
const char *sw_udpt_action_name(uint32_t action);

#endif /* SW_UDP_TRACKER_H */
