/*
 * krpc.h - the DHT's KRPC messages (BEP 5), with IPv6 (BEP 32), scrape
 * bloom filters (BEP 33), the node id "ip" echo (BEP 42), read-only
 * nodes (BEP 43) and sample_infohashes (BEP 51).  Pure codec over
 * proto/bencode.h: no sockets, no clocks, nothing allocated.
 *
 * Parsing takes one datagram and the caller's token array (SW_KRPC_TOKENS
 * is enough for any message a real node sends in one UDP packet; more
 * tokens than given is SW_E_TOO_BIG) and fills struct sw_krpc_msg, whose
 * byte fields point into the datagram: the datagram and the tokens must
 * outlive the message.  Compact node and value lists are read with
 * sw_krpc_node4/6() and sw_krpc_value_next().
 *
 * Builders append one whole message, canonical bencode, to the caller's
 * struct sw_buf (whose cap bounds it); on failure the buffer is left as
 * it was.
 */
#ifndef SW_KRPC_H
#define SW_KRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/types.h"
#include "proto/bencode.h"

#define SW_KRPC_NODE_ID_LEN  20
#define SW_COMPACT_NODE4_LEN 26  /* id (20) + compact IPv4 peer (6) */
#define SW_COMPACT_NODE6_LEN 38  /* id (20) + compact IPv6 peer (18), BEP 32 */
#define SW_KRPC_TID_MAX      16  /* longest transaction id accepted (libtorrent: 2) */
#define SW_KRPC_BLOOM_LEN    256 /* BEP 33 BFsd / BFpe */

/*
 * Tokens to give the parser.  A datagram of 1500 bytes holds at most ~500
 * values ("0:" is the shortest); real replies use well under 200.
 */
#ifndef SW_KRPC_TOKENS
#define SW_KRPC_TOKENS 512
#endif

/* Error codes of BEP 5. */
#define SW_KRPC_ERR_GENERIC  201
#define SW_KRPC_ERR_SERVER   202
#define SW_KRPC_ERR_PROTOCOL 203
#define SW_KRPC_ERR_METHOD   204

enum sw_krpc_type {
	SW_KRPC_QUERY = 1,    /* "y": "q" */
	SW_KRPC_RESPONSE = 2, /* "y": "r" */
	SW_KRPC_ERROR = 3,    /* "y": "e" */
};

enum sw_krpc_method {
	SW_KRPC_UNKNOWN = 0, /* any other "q" (get, put, vote...): see method_name */
	SW_KRPC_PING,
	SW_KRPC_FIND_NODE,
	SW_KRPC_GET_PEERS,
	SW_KRPC_ANNOUNCE_PEER,
	SW_KRPC_SAMPLE_INFOHASHES,
};

/* "want" (BEP 32) and get_peers flags (BEP 33) for the builders. */
#define SW_KRPC_WANT_N4 0x1u
#define SW_KRPC_WANT_N6 0x2u
#define SW_KRPC_SCRAPE  0x4u
#define SW_KRPC_NOSEED  0x8u

/*
 * One parsed message.  Pointers are into the datagram, NULL when the key
 * was absent; integers are -1 when absent.
 */
struct sw_krpc_msg {
	int type; /* enum sw_krpc_type */
	const uint8_t *tid;
	size_t tid_len;         /* 0 .. SW_KRPC_TID_MAX ("t" may be empty) */
	const uint8_t *version; /* "v", the client version, any bytes */
	size_t version_len;
	bool read_only; /* "ro": 1 (BEP 43) */
	bool has_ip;    /* "ip" (BEP 42): how the sender sees us */
	struct sw_addr ip;

	/* queries */
	int method; /* enum sw_krpc_method */
	const uint8_t *method_name;
	size_t method_name_len;

	/* queries ("a") and responses ("r") */
	const uint8_t *id;        /* SW_KRPC_NODE_ID_LEN bytes; always set for q and r */
	const uint8_t *target;    /* find_node, sample_infohashes, get */
	const uint8_t *info_hash; /* get_peers, announce_peer */
	const uint8_t *token;     /* announce_peer query; get_peers response */
	size_t token_len;
	int32_t port;          /* announce_peer: 0 .. 65535 */
	bool implied_port;     /* announce_peer "implied_port": 1 */
	bool seed;             /* announce_peer "seed": 1 (BEP 33) */
	bool want_n4, want_n6; /* "want" list (BEP 32) */
	bool scrape, noseed;   /* get_peers (BEP 33) */

	/* responses */
	const uint8_t *nodes; /* nodes_count * SW_COMPACT_NODE4_LEN bytes */
	size_t nodes_count;
	const uint8_t *nodes6; /* nodes6_count * SW_COMPACT_NODE6_LEN bytes */
	size_t nodes6_count;
	uint32_t values_tok;     /* token index of the "values" list, 0 if absent */
	size_t values_count;     /* well-formed entries: 6 or 18 bytes */
	size_t values_invalid;   /* other entries (skipped by sw_krpc_value_next) */
	const uint8_t *bf_seeds; /* "BFsd", SW_KRPC_BLOOM_LEN bytes */
	const uint8_t *bf_peers; /* "BFpe" */
	const uint8_t *samples;  /* samples_count * SW_INFOHASH_LEN bytes */
	size_t samples_count;
	int64_t interval; /* sample_infohashes, seconds, >= 0 */
	int64_t num;      /* sample_infohashes, >= 0 */

	/* errors */
	int64_t error_code;
	const uint8_t *error_msg; /* may be NULL */
	size_t error_msg_len;

	struct sw_bencode_doc doc; /* for sw_krpc_value_next() */
};

/*
 * Parse datagram p[0..n) using tok[0..ntok).  Returns:
 *
 *   SW_OK            *m is filled.
 *   SW_E_INVALID     not bencode, cut short, or bytes after the dict.
 *   SW_E_TOO_BIG     nesting deeper than the decoder's cap, more than
 *                    ntok values.
 *   SW_E_UNSUPPORTED bencode, but not a dict; or "y" other than q/r/e.
 *   SW_E_NOT_FOUND   a required key missing: "y", "t", "q", "a", "r",
 *                    "e", "id".
 *   SW_E_TYPE        a key of the wrong bencode type.
 *   SW_E_RANGE       a wrong length or value: "t" over SW_KRPC_TID_MAX,
 *                    an id or infohash not 20 bytes, "nodes" not a
 *                    multiple of 26, "nodes6" of 38, "samples" of 20,
 *                    "BFsd"/"BFpe" not 256, "ip" not 6 or 18, a port
 *                    outside 0..65535, negative interval or num.
 *
 * eb (if not NULL) says which key and why ("nodes length 27 is not a
 * multiple of 26").  Unknown keys are ignored; bad "values" entries are
 * counted, not fatal.
 */
int sw_krpc_parse(const uint8_t *p, size_t n, struct sw_bencode_token *tok, size_t ntok,
                  struct sw_krpc_msg *m, struct sw_errbuf *eb);

/* A node from a compact node list. */
struct sw_krpc_node {
	uint8_t id[SW_KRPC_NODE_ID_LEN];
	struct sw_addr addr;
};

/*
 * Node i of "nodes" / "nodes6": 0, or SW_E_RANGE when i >= the count.  As
 * everywhere (core/addr.h), an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * in nodes6 or values comes out as IPv4.
 */
int sw_krpc_node4(const struct sw_krpc_msg *m, size_t i, struct sw_krpc_node *out);
int sw_krpc_node6(const struct sw_krpc_msg *m, size_t i, struct sw_krpc_node *out);

/*
 * Walk "values": start with *cursor = 0; each call stores the next
 * well-formed value (IPv4 or IPv6 peer) in *out and returns true, and
 * returns false at the end.  Invalid entries are skipped.
 */
bool sw_krpc_value_next(const struct sw_krpc_msg *m, uint32_t *cursor, struct sw_addr *out);

/* "ping", "find_node"...; "unknown" for SW_KRPC_UNKNOWN. */
const char *sw_krpc_method_name(int method);

/* --- building ------------------------------------------------------------ */

/* What every message we send carries. */
struct sw_krpc_hdr {
	const uint8_t *tid; /* 0 .. SW_KRPC_TID_MAX bytes */
	size_t tid_len;
	const uint8_t *id;      /* our node id (20 bytes); not used by errors */
	const uint8_t *version; /* "v", NULL to leave out */
	size_t version_len;
	bool read_only;           /* queries: "ro": 1 (BEP 43) */
	const struct sw_addr *ip; /* responses, errors: "ip" (BEP 42), or NULL */
};

/*
 * Write the compact node (id, then address and port) into out[0..outlen):
 * 26 bytes for IPv4, 38 for IPv6.  Returns the length, or 0 when outlen
 * is too small or the family is neither.
 */
size_t sw_krpc_compact_node(uint8_t *out, size_t outlen, const uint8_t id[SW_KRPC_NODE_ID_LEN],
                            const struct sw_addr *addr);

/* Queries.  want: SW_KRPC_WANT_N4 / _N6; flags also SW_KRPC_SCRAPE / _NOSEED. */
int sw_krpc_build_ping(struct sw_buf *out, const struct sw_krpc_hdr *h);
int sw_krpc_build_find_node(struct sw_buf *out, const struct sw_krpc_hdr *h,
                            const uint8_t target[SW_KRPC_NODE_ID_LEN], unsigned want);
int sw_krpc_build_get_peers(struct sw_buf *out, const struct sw_krpc_hdr *h,
                            const uint8_t info_hash[SW_INFOHASH_LEN], unsigned flags);
int sw_krpc_build_announce_peer(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                const uint8_t info_hash[SW_INFOHASH_LEN], const uint8_t *token,
                                size_t token_len, uint16_t port, bool implied_port);
int sw_krpc_build_sample_infohashes(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                    const uint8_t target[SW_KRPC_NODE_ID_LEN], unsigned want);

/*
 * A response body: each member is written when set (non-NULL pointer,
 * count > 0 for values, >= 0 for interval and num).  nodes/nodes6 are
 * compact lists of whole nodes; values are addresses (IPv4 and IPv6).
 */
struct sw_krpc_reply {
	const uint8_t *token;
	size_t token_len;
	const struct sw_addr *values;
	size_t values_count;
	const uint8_t *nodes; /* nodes_len % 26 == 0 */
	size_t nodes_len;
	const uint8_t *nodes6; /* nodes6_len % 38 == 0 */
	size_t nodes6_len;
	const uint8_t *bf_seeds; /* SW_KRPC_BLOOM_LEN bytes each */
	const uint8_t *bf_peers;
	const uint8_t *samples; /* samples_count * 20 bytes */
	size_t samples_count;
	int64_t interval; /* -1 to leave out */
	int64_t num;      /* -1 to leave out */
};

/* Any response: {"id", and what r sets}.  SW_E_RANGE for bad lengths. */
int sw_krpc_build_reply(struct sw_buf *out, const struct sw_krpc_hdr *h,
                        const struct sw_krpc_reply *r);
/* The per-method shapes of it. */
int sw_krpc_build_ping_reply(struct sw_buf *out, const struct sw_krpc_hdr *h);
int sw_krpc_build_announce_peer_reply(struct sw_buf *out, const struct sw_krpc_hdr *h);
int sw_krpc_build_find_node_reply(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                  const uint8_t *nodes, size_t nodes_len, const uint8_t *nodes6,
                                  size_t nodes6_len);
int sw_krpc_build_get_peers_reply(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                  const struct sw_krpc_reply *r);
int sw_krpc_build_sample_infohashes_reply(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                          int64_t interval, int64_t num, const uint8_t *samples,
                                          size_t samples_count, const uint8_t *nodes,
                                          size_t nodes_len);

/* An error reply: {"e": [code, msg]}; code is one of SW_KRPC_ERR_*. */
int sw_krpc_build_error(struct sw_buf *out, const struct sw_krpc_hdr *h, int code, const char *msg);

#endif /* SW_KRPC_H */
