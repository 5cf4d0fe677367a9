/*
 * krpc.c - KRPC messages of the Mainline DHT (BEP 5, 32, 33, 42, 43, 51).
 *
 * Every message is one bencoded dict in one UDP datagram:
 *
 *   query     d1:ad2:id20:<id>9:info_hash20:<ih>e1:q9:get_peers1:t2:<tid>
 *              1:v4:LT..1:y1:qe
 *   response  d2:ip6:<compact peer>1:rd2:id20:<id>5:nodes52:<2 nodes>
 *              5:token4:<tok>6:valuesl6:<peer>6:<peer>ee1:t2:<tid>1:y1:re
 *   error     d1:eli203e14:Protocol Errore1:t2:<tid>1:y1:ee
 *
 * Top level: "y" (q, r or e), "t" (transaction id, echoed back; libtorrent
 * uses 2 bytes), "v" (client version, e.g. "LT" 0x01 0x02), "ro" (BEP 43:
 * the querier is read-only, do not add it to routing tables) and "ip"
 * (BEP 42: the address the replier saw us at, compact 6 or 18 bytes).
 *
 * Query arguments ("a"): id (20), target (find_node, sample_infohashes,
 * get), info_hash (get_peers, announce_peer), token, port, implied_port
 * (announce from the UDP source port), seed (BEP 33), want (BEP 32: a list
 * of "n4"/"n6"), scrape and noseed (BEP 33).
 *
 * Response values ("r"): id, nodes (n * 26: id + IPv4 + port), nodes6
 * (n * 38: id + IPv6 + port), values (a list of compact peers, 6 or 18
 * bytes each), token, BFsd/BFpe (256-byte bloom filters, BEP 33), samples
 * (n * 20 infohashes), interval and num (BEP 51).
 *
 * Strictness: what the DHT code acts on must be well-formed (ids and
 * hashes 20 bytes, compact lists whole, ports in range) or the message is
 * refused with a reason; odd "values" entries are counted and skipped
 * because one bad peer in a list should not cost the other peers.
 * Unknown keys are ignored (get/put/vote carry many).
 */
#include "proto/krpc.h"

#include <string.h>

#define PORT_MAX     65535
#define V4_LEN       4
#define V6_LEN       16
#define TYPE_KEY_LEN 1

/* --- parsing helpers ----------------------------------------------------- */

/* Optional string: 0 found, 1 absent, SW_E_TYPE. */
static int opt_str(const struct sw_bencode_doc *d, uint32_t dict, const char *key,
                   const uint8_t **p, size_t *n, struct sw_errbuf *eb)
{
	int64_t i = sw_bencode_dict_find(d, dict, key);

	*p = NULL;
	*n = 0;
	if (i < 0)
		return 1;
	if (sw_bencode_get_str(d, (uint32_t)i, p, n) != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "\"%s\" is not a string", key);
	return SW_OK;
}

/* Optional string of exactly len bytes. */
static int opt_fixed(const struct sw_bencode_doc *d, uint32_t dict, const char *key, size_t len,
                     const uint8_t **p, struct sw_errbuf *eb)
{
	size_t n;
	int rc = opt_str(d, dict, key, p, &n, eb);

	if (rc != SW_OK)
		return rc < 0 ? rc : SW_OK;
	if (n != len) {
		*p = NULL;
		return sw_errbuf_set(eb, SW_E_RANGE, "%s length %zu is not %zu", key, n, len);
	}
	return SW_OK;
}

/* Optional string of whole units of unit bytes; *count units. */
static int opt_multiple(const struct sw_bencode_doc *d, uint32_t dict, const char *key, size_t unit,
                        const uint8_t **p, size_t *count, struct sw_errbuf *eb)
{
	size_t n;
	int rc = opt_str(d, dict, key, p, &n, eb);

	*count = 0;
	if (rc != SW_OK)
		return rc < 0 ? rc : SW_OK;
	if (n % unit != 0) {
		*p = NULL;
		return sw_errbuf_set(eb, SW_E_RANGE, "%s length %zu is not a multiple of %zu", key,
		                     n, unit);
	}
	*count = n / unit;
	return SW_OK;
}

/* Optional integer in lo..hi; *out = -1 when absent. */
static int opt_int(const struct sw_bencode_doc *d, uint32_t dict, const char *key, int64_t lo,
                   int64_t hi, int64_t *out, struct sw_errbuf *eb)
{
	int64_t i = sw_bencode_dict_find(d, dict, key);

	*out = -1;
	if (i < 0)
		return SW_OK;
	if (sw_bencode_get_int(d, (uint32_t)i, out) != SW_OK) {
		*out = -1;
		return sw_errbuf_set(eb, SW_E_TYPE, "\"%s\" is not an integer", key);
	}
	if (*out < lo || *out > hi) {
		int64_t v = *out;

		*out = -1;
		return sw_errbuf_set(eb, SW_E_RANGE, "\"%s\" %lld is out of range", key,
		                     (long long)v);
	}
	return SW_OK;
}

/* Optional flag: true when present and non-zero. */
static int opt_flag(const struct sw_bencode_doc *d, uint32_t dict, const char *key, bool *out,
                    struct sw_errbuf *eb)
{
	int64_t i = sw_bencode_dict_find(d, dict, key), v = 0;

	*out = false;
	if (i < 0)
		return SW_OK;
	if (sw_bencode_get_int(d, (uint32_t)i, &v) != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "\"%s\" is not an integer", key);
	*out = v != 0;
	return SW_OK;
}

/* A required dict under key: its token index in *out. */
static int req_dict(const struct sw_bencode_doc *d, const char *key, uint32_t *out,
                    struct sw_errbuf *eb)
{
	int64_t i = sw_bencode_dict_find(d, 0, key);

	if (i < 0)
		return sw_errbuf_set(eb, SW_E_NOT_FOUND, "\"%s\" is missing", key);
	if (sw_bencode_type(d, (uint32_t)i) != SW_BENCODE_DICT)
		return sw_errbuf_set(eb, SW_E_TYPE, "\"%s\" is not a dict", key);
	*out = (uint32_t)i;
	return SW_OK;
}

/* The required 20-byte "id" of "a" or "r". */
static int req_id(const struct sw_bencode_doc *d, uint32_t dict, struct sw_krpc_msg *m,
                  struct sw_errbuf *eb)
{
	if (sw_bencode_dict_find(d, dict, "id") < 0)
		return sw_errbuf_set(eb, SW_E_NOT_FOUND, "\"id\" is missing");
	return opt_fixed(d, dict, "id", SW_KRPC_NODE_ID_LEN, &m->id, eb);
}

/* --- top level ----------------------------------------------------------- */

static int parse_y(const struct sw_bencode_doc *d, struct sw_krpc_msg *m, struct sw_errbuf *eb)
{
	const uint8_t *p;
	size_t n;
	int rc = opt_str(d, 0, "y", &p, &n, eb);

	if (rc < 0)
		return rc;
	if (rc > 0)
		return sw_errbuf_set(eb, SW_E_NOT_FOUND, "\"y\" is missing");
	if (n == TYPE_KEY_LEN && p[0] == 'q')
		m->type = SW_KRPC_QUERY;
	else if (n == TYPE_KEY_LEN && p[0] == 'r')
		m->type = SW_KRPC_RESPONSE;
	else if (n == TYPE_KEY_LEN && p[0] == 'e')
		m->type = SW_KRPC_ERROR;
	else
		return sw_errbuf_set(eb, SW_E_UNSUPPORTED, "\"y\" is not q, r or e");
	return SW_OK;
}

static int parse_ip(const struct sw_bencode_doc *d, struct sw_krpc_msg *m, struct sw_errbuf *eb)
{
	const uint8_t *p;
	size_t n;
	int rc = opt_str(d, 0, "ip", &p, &n, eb);

	if (rc != SW_OK)
		return rc < 0 ? rc : SW_OK;
	if (n == SW_COMPACT_PEER4_LEN)
		sw_addr_from_compact4(&m->ip, p);
	else if (n == SW_COMPACT_PEER6_LEN)
		sw_addr_from_compact6(&m->ip, p);
	else
		return sw_errbuf_set(eb, SW_E_RANGE, "ip length %zu is not 6 or 18", n);
	m->has_ip = true;
	return SW_OK;
}

static int parse_header(const struct sw_bencode_doc *d, struct sw_krpc_msg *m, struct sw_errbuf *eb)
{
	int rc = parse_y(d, m, eb);

	if (rc != SW_OK)
		return rc;
	rc = opt_str(d, 0, "t", &m->tid, &m->tid_len, eb);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return sw_errbuf_set(eb, SW_E_NOT_FOUND, "\"t\" is missing");
	if (m->tid_len > SW_KRPC_TID_MAX)
		return sw_errbuf_set(eb, SW_E_RANGE, "t length %zu is over %d", m->tid_len,
		                     SW_KRPC_TID_MAX);
	rc = opt_str(d, 0, "v", &m->version, &m->version_len, eb);
	if (rc < 0)
		return rc;
	rc = opt_flag(d, 0, "ro", &m->read_only, eb);
	if (rc != SW_OK)
		return rc;
	return parse_ip(d, m, eb);
}

/* --- queries ------------------------------------------------------------- */

static const char *const method_names[] = {
    [SW_KRPC_UNKNOWN] = "unknown",
    [SW_KRPC_PING] = "ping",
    [SW_KRPC_FIND_NODE] = "find_node",
    [SW_KRPC_GET_PEERS] = "get_peers",
    [SW_KRPC_ANNOUNCE_PEER] = "announce_peer",
    [SW_KRPC_SAMPLE_INFOHASHES] = "sample_infohashes",
};
#define NMETHODS (sizeof(method_names) / sizeof(method_names[0]))

const char *sw_krpc_method_name(int method)
{
	if (method < 0 || (size_t)method >= NMETHODS)
		return method_names[SW_KRPC_UNKNOWN];
	return method_names[method];
}

static int method_lookup(const uint8_t *p, size_t n)
{
	for (size_t i = 1; i < NMETHODS; i++)
		if (strlen(method_names[i]) == n && memcmp(method_names[i], p, n) == 0)
			return (int)i;
	return SW_KRPC_UNKNOWN;
}

/* "want": a list of strings; "n4" and "n6" are noted, others ignored. */
static int parse_want(const struct sw_bencode_doc *d, uint32_t a, struct sw_krpc_msg *m,
                      struct sw_errbuf *eb)
{
	int64_t w = sw_bencode_dict_find(d, a, "want");
	uint32_t i, end;

	if (w < 0)
		return SW_OK;
	if (sw_bencode_type(d, (uint32_t)w) != SW_BENCODE_LIST)
		return sw_errbuf_set(eb, SW_E_TYPE, "\"want\" is not a list");
	end = d->tok[w].next;
	for (i = (uint32_t)w + 1; i < end; i = d->tok[i].next) {
		const uint8_t *p;
		size_t n;

		if (sw_bencode_get_str(d, i, &p, &n) != SW_OK)
			return sw_errbuf_set(eb, SW_E_TYPE, "\"want\" entry is not a string");
		if (n == 2 && memcmp(p, "n4", 2) == 0)
			m->want_n4 = true;
		else if (n == 2 && memcmp(p, "n6", 2) == 0)
			m->want_n6 = true;
	}
	return SW_OK;
}

static int parse_args_flags(const struct sw_bencode_doc *d, uint32_t a, struct sw_krpc_msg *m,
                            struct sw_errbuf *eb)
{
	int64_t port;
	int rc = opt_int(d, a, "port", 0, PORT_MAX, &port, eb);

	if (rc != SW_OK)
		return rc;
	m->port = (int32_t)port;
	if ((rc = opt_flag(d, a, "implied_port", &m->implied_port, eb)) != SW_OK ||
	    (rc = opt_flag(d, a, "seed", &m->seed, eb)) != SW_OK ||
	    (rc = opt_flag(d, a, "scrape", &m->scrape, eb)) != SW_OK ||
	    (rc = opt_flag(d, a, "noseed", &m->noseed, eb)) != SW_OK)
		return rc;
	return parse_want(d, a, m, eb);
}

static int parse_query(const struct sw_bencode_doc *d, struct sw_krpc_msg *m, struct sw_errbuf *eb)
{
	uint32_t a;
	int rc = opt_str(d, 0, "q", &m->method_name, &m->method_name_len, eb);

	if (rc < 0)
		return rc;
	if (rc > 0)
		return sw_errbuf_set(eb, SW_E_NOT_FOUND, "\"q\" is missing");
	m->method = method_lookup(m->method_name, m->method_name_len);
	if ((rc = req_dict(d, "a", &a, eb)) != SW_OK || (rc = req_id(d, a, m, eb)) != SW_OK ||
	    (rc = opt_fixed(d, a, "target", SW_KRPC_NODE_ID_LEN, &m->target, eb)) != SW_OK ||
	    (rc = opt_fixed(d, a, "info_hash", SW_INFOHASH_LEN, &m->info_hash, eb)) != SW_OK)
		return rc;
	rc = opt_str(d, a, "token", &m->token, &m->token_len, eb);
	if (rc < 0)
		return rc;
	return parse_args_flags(d, a, m, eb);
}

/* --- responses ----------------------------------------------------------- */

static int parse_values(const struct sw_bencode_doc *d, uint32_t r, struct sw_krpc_msg *m,
                        struct sw_errbuf *eb)
{
	int64_t v = sw_bencode_dict_find(d, r, "values");
	uint32_t i, end;

	if (v < 0)
		return SW_OK;
	if (sw_bencode_type(d, (uint32_t)v) != SW_BENCODE_LIST)
		return sw_errbuf_set(eb, SW_E_TYPE, "\"values\" is not a list");
	m->values_tok = (uint32_t)v;
	end = d->tok[v].next;
	for (i = (uint32_t)v + 1; i < end; i = d->tok[i].next) {
		const uint8_t *p;
		size_t n;

		if (sw_bencode_get_str(d, i, &p, &n) == SW_OK &&
		    (n == SW_COMPACT_PEER4_LEN || n == SW_COMPACT_PEER6_LEN))
			m->values_count++;
		else
			m->values_invalid++;
	}
	return SW_OK;
}

static int parse_response(const struct sw_bencode_doc *d, struct sw_krpc_msg *m,
                          struct sw_errbuf *eb)
{
	uint32_t r;
	int rc;

	if ((rc = req_dict(d, "r", &r, eb)) != SW_OK || (rc = req_id(d, r, m, eb)) != SW_OK ||
	    (rc = opt_multiple(d, r, "nodes", SW_COMPACT_NODE4_LEN, &m->nodes, &m->nodes_count,
	                       eb)) != SW_OK ||
	    (rc = opt_multiple(d, r, "nodes6", SW_COMPACT_NODE6_LEN, &m->nodes6, &m->nodes6_count,
	                       eb)) != SW_OK ||
	    (rc = opt_multiple(d, r, "samples", SW_INFOHASH_LEN, &m->samples, &m->samples_count,
	                       eb)) != SW_OK ||
	    (rc = opt_fixed(d, r, "BFsd", SW_KRPC_BLOOM_LEN, &m->bf_seeds, eb)) != SW_OK ||
	    (rc = opt_fixed(d, r, "BFpe", SW_KRPC_BLOOM_LEN, &m->bf_peers, eb)) != SW_OK ||
	    (rc = opt_int(d, r, "interval", 0, INT64_MAX, &m->interval, eb)) != SW_OK ||
	    (rc = opt_int(d, r, "num", 0, INT64_MAX, &m->num, eb)) != SW_OK)
		return rc;
	rc = opt_str(d, r, "token", &m->token, &m->token_len, eb);
	if (rc < 0)
		return rc;
	return parse_values(d, r, m, eb);
}

/* --- errors -------------------------------------------------------------- */

/* "e": [code, message]; the message may be missing. */
static int parse_error(const struct sw_bencode_doc *d, struct sw_krpc_msg *m, struct sw_errbuf *eb)
{
	int64_t e = sw_bencode_dict_find(d, 0, "e");
	uint32_t i;

	if (e < 0)
		return sw_errbuf_set(eb, SW_E_NOT_FOUND, "\"e\" is missing");
	if (sw_bencode_type(d, (uint32_t)e) != SW_BENCODE_LIST || d->tok[e].count < 1)
		return sw_errbuf_set(eb, SW_E_TYPE, "\"e\" is not a non-empty list");
	i = (uint32_t)e + 1;
	if (sw_bencode_get_int(d, i, &m->error_code) != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "error code is not an integer");
	if (d->tok[e].count >= 2 &&
	    sw_bencode_get_str(d, d->tok[i].next, &m->error_msg, &m->error_msg_len) != SW_OK)
		return sw_errbuf_set(eb, SW_E_TYPE, "error message is not a string");
	return SW_OK;
}

/* --- entry points -------------------------------------------------------- */

int sw_krpc_parse(const uint8_t *p, size_t n, struct sw_bencode_token *tok, size_t ntok,
                  struct sw_krpc_msg *m, struct sw_errbuf *eb)
{
	struct sw_bencode_error be = {0, 0, ""};
	struct sw_bencode_doc *d = &m->doc;
	int rc;

	memset(m, 0, sizeof(*m));
	m->port = -1;
	m->interval = -1;
	m->num = -1;
	m->error_code = -1;
	if (n > SW_BENCODE_MAX_INPUT)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "datagram is too large");
	rc = sw_bencode_decode(p, n, tok, ntok, 0, d, &be);
	if (rc == SW_E_TRAILING)
		return sw_errbuf_set(eb, SW_E_INVALID, "%zu bytes after the message",
		                     n - d->tok[0].end);
	if (rc == SW_E_TOO_BIG)
		return sw_errbuf_set(eb, rc, "too big at byte %zu: %s", be.offset, be.what);
	if (rc != SW_OK)
		return sw_errbuf_set(eb, SW_E_INVALID, "not bencode at byte %zu: %s", be.offset,
		                     be.what);
	if (sw_bencode_type(d, 0) != SW_BENCODE_DICT)
		return sw_errbuf_set(eb, SW_E_UNSUPPORTED, "message is not a dict");
	rc = parse_header(d, m, eb);
	if (rc != SW_OK)
		return rc;
	if (m->type == SW_KRPC_QUERY)
		return parse_query(d, m, eb);
	if (m->type == SW_KRPC_RESPONSE)
		return parse_response(d, m, eb);
	return parse_error(d, m, eb);
}

static void node_at(const uint8_t *p, struct sw_krpc_node *out, bool v6)
{
	memcpy(out->id, p, SW_KRPC_NODE_ID_LEN);
	if (v6)
		sw_addr_from_compact6(&out->addr, p + SW_KRPC_NODE_ID_LEN);
	else
		sw_addr_from_compact4(&out->addr, p + SW_KRPC_NODE_ID_LEN);
}

int sw_krpc_node4(const struct sw_krpc_msg *m, size_t i, struct sw_krpc_node *out)
{
	if (m->nodes == NULL || i >= m->nodes_count)
		return SW_E_RANGE;
	node_at(m->nodes + i * SW_COMPACT_NODE4_LEN, out, false);
	return SW_OK;
}

int sw_krpc_node6(const struct sw_krpc_msg *m, size_t i, struct sw_krpc_node *out)
{
	if (m->nodes6 == NULL || i >= m->nodes6_count)
		return SW_E_RANGE;
	node_at(m->nodes6 + i * SW_COMPACT_NODE6_LEN, out, true);
	return SW_OK;
}

bool sw_krpc_value_next(const struct sw_krpc_msg *m, uint32_t *cursor, struct sw_addr *out)
{
	const struct sw_bencode_doc *d = &m->doc;
	uint32_t end, i;

	if (m->values_tok == 0 || m->values_tok >= d->ntok)
		return false;
	end = d->tok[m->values_tok].next;
	for (i = *cursor == 0 ? m->values_tok + 1 : *cursor; i < end; i = d->tok[i].next) {
		const uint8_t *p;
		size_t n;

		if (sw_bencode_get_str(d, i, &p, &n) != SW_OK)
			continue;
		if (n == SW_COMPACT_PEER4_LEN)
			sw_addr_from_compact4(out, p);
		else if (n == SW_COMPACT_PEER6_LEN)
			sw_addr_from_compact6(out, p);
		else
			continue;
		*cursor = d->tok[i].next;
		return true;
	}
	*cursor = end;
	return false;
}

/* --- building ------------------------------------------------------------ */

/* Compact peer of a; 6 or 18 bytes. */
static size_t put_compact(uint8_t *o, const struct sw_addr *a)
{
	size_t n = a->family == AF_INET6 ? V6_LEN : V4_LEN;

	memcpy(o, a->ip, n);
	o[n] = (uint8_t)(a->port >> 8);
	o[n + 1] = (uint8_t)a->port;
	return n + 2;
}

size_t sw_krpc_compact_node(uint8_t *out, size_t outlen, const uint8_t id[SW_KRPC_NODE_ID_LEN],
                            const struct sw_addr *addr)
{
	size_t need = addr->family == AF_INET6 ? SW_COMPACT_NODE6_LEN : SW_COMPACT_NODE4_LEN;

	if ((addr->family != AF_INET && addr->family != AF_INET6) || outlen < need)
		return 0;
	memcpy(out, id, SW_KRPC_NODE_ID_LEN);
	return SW_KRPC_NODE_ID_LEN + put_compact(out + SW_KRPC_NODE_ID_LEN, addr);
}

/* Undo a failed build: the buffer goes back to len. */
static int restore(struct sw_buf *out, size_t len, int rc)
{
	if (rc != SW_OK) {
		out->len = len;
		if (out->data != NULL)
			out->data[len] = 0;
	}
	return rc;
}

static void enc_bytes(struct sw_bencode_enc *e, const char *key, const uint8_t *p, size_t n)
{
	sw_bencode_enc_cstr(e, key);
	sw_bencode_enc_str(e, p != NULL ? (const void *)p : "", n);
}

static void enc_int(struct sw_bencode_enc *e, const char *key, int64_t v)
{
	sw_bencode_enc_cstr(e, key);
	sw_bencode_enc_int(e, v);
}

/* Open the message dict and write t, y, v, and ro (queries) or ip (others). */
static int begin(struct sw_bencode_enc *e, struct sw_buf *out, const struct sw_krpc_hdr *h, char y)
{
	char ys[2] = {y, 0};

	if (h->tid_len > SW_KRPC_TID_MAX || (h->tid == NULL && h->tid_len != 0) ||
	    (y != 'e' && h->id == NULL))
		return SW_E_INVALID;
	sw_bencode_enc_init(e, out);
	sw_bencode_enc_dict(e);
	enc_bytes(e, "t", h->tid, h->tid_len);
	enc_bytes(e, "y", (const uint8_t *)ys, 1);
	if (h->version != NULL)
		enc_bytes(e, "v", h->version, h->version_len);
	if (y == 'q' && h->read_only)
		enc_int(e, "ro", 1);
	if (y != 'q' && h->ip != NULL) {
		uint8_t c[SW_COMPACT_PEER6_LEN];

		enc_bytes(e, "ip", c, put_compact(c, h->ip));
	}
	return SW_OK;
}

/* Close the body and message dicts; restore out on failure. */
static int finish(struct sw_bencode_enc *e, struct sw_buf *out, size_t start)
{
	sw_bencode_enc_end(e);
	sw_bencode_enc_end(e);
	return restore(out, start, sw_bencode_enc_finish(e));
}

struct query_args {
	const char *method;
	const uint8_t *target;
	const uint8_t *info_hash;
	const uint8_t *token;
	size_t token_len;
	int32_t port; /* -1: none */
	bool implied_port;
	unsigned flags;
};

static void enc_want(struct sw_bencode_enc *e, unsigned flags)
{
	if ((flags & (SW_KRPC_WANT_N4 | SW_KRPC_WANT_N6)) == 0)
		return;
	sw_bencode_enc_cstr(e, "want");
	sw_bencode_enc_list(e);
	if (flags & SW_KRPC_WANT_N4)
		sw_bencode_enc_cstr(e, "n4");
	if (flags & SW_KRPC_WANT_N6)
		sw_bencode_enc_cstr(e, "n6");
	sw_bencode_enc_end(e);
}

static int build_query(struct sw_buf *out, const struct sw_krpc_hdr *h, const struct query_args *q)
{
	struct sw_bencode_enc e;
	size_t start = out->len;
	int rc = begin(&e, out, h, 'q');

	if (rc != SW_OK)
		return rc;
	sw_bencode_enc_cstr(&e, "q");
	sw_bencode_enc_cstr(&e, q->method);
	sw_bencode_enc_cstr(&e, "a");
	sw_bencode_enc_dict(&e);
	enc_bytes(&e, "id", h->id, SW_KRPC_NODE_ID_LEN);
	if (q->target != NULL)
		enc_bytes(&e, "target", q->target, SW_KRPC_NODE_ID_LEN);
	if (q->info_hash != NULL)
		enc_bytes(&e, "info_hash", q->info_hash, SW_INFOHASH_LEN);
	if (q->token != NULL)
		enc_bytes(&e, "token", q->token, q->token_len);
	if (q->port >= 0)
		enc_int(&e, "port", q->port);
	if (q->implied_port)
		enc_int(&e, "implied_port", 1);
	if (q->flags & SW_KRPC_SCRAPE)
		enc_int(&e, "scrape", 1);
	if (q->flags & SW_KRPC_NOSEED)
		enc_int(&e, "noseed", 1);
	enc_want(&e, q->flags);
	return finish(&e, out, start);
}

int sw_krpc_build_ping(struct sw_buf *out, const struct sw_krpc_hdr *h)
{
	struct query_args q = {.method = "ping", .port = -1};

	return build_query(out, h, &q);
}

int sw_krpc_build_find_node(struct sw_buf *out, const struct sw_krpc_hdr *h,
                            const uint8_t target[SW_KRPC_NODE_ID_LEN], unsigned want)
{
	struct query_args q = {.method = "find_node", .target = target, .port = -1};

	q.flags = want & (SW_KRPC_WANT_N4 | SW_KRPC_WANT_N6);
	return build_query(out, h, &q);
}

int sw_krpc_build_get_peers(struct sw_buf *out, const struct sw_krpc_hdr *h,
                            const uint8_t info_hash[SW_INFOHASH_LEN], unsigned flags)
{
	struct query_args q = {.method = "get_peers", .info_hash = info_hash, .port = -1};

	q.flags = flags;
	return build_query(out, h, &q);
}

int sw_krpc_build_announce_peer(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                const uint8_t info_hash[SW_INFOHASH_LEN], const uint8_t *token,
                                size_t token_len, uint16_t port, bool implied_port)
{
	struct query_args q = {.method = "announce_peer", .info_hash = info_hash};

	if (token == NULL)
		return SW_E_INVALID;
	q.token = token;
	q.token_len = token_len;
	q.port = port;
	q.implied_port = implied_port;
	return build_query(out, h, &q);
}

int sw_krpc_build_sample_infohashes(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                    const uint8_t target[SW_KRPC_NODE_ID_LEN], unsigned want)
{
	struct query_args q = {.method = "sample_infohashes", .target = target, .port = -1};

	q.flags = want & (SW_KRPC_WANT_N4 | SW_KRPC_WANT_N6);
	return build_query(out, h, &q);
}

static bool reply_ok(const struct sw_krpc_reply *r)
{
	return (r->nodes == NULL || r->nodes_len % SW_COMPACT_NODE4_LEN == 0) &&
	       (r->nodes6 == NULL || r->nodes6_len % SW_COMPACT_NODE6_LEN == 0) &&
	       (r->token != NULL || r->token_len == 0);
}

static void enc_values(struct sw_bencode_enc *e, const struct sw_addr *v, size_t n)
{
	sw_bencode_enc_cstr(e, "values");
	sw_bencode_enc_list(e);
	for (size_t i = 0; i < n; i++) {
		uint8_t c[SW_COMPACT_PEER6_LEN];

		sw_bencode_enc_str(e, c, put_compact(c, &v[i]));
	}
	sw_bencode_enc_end(e);
}

int sw_krpc_build_reply(struct sw_buf *out, const struct sw_krpc_hdr *h,
                        const struct sw_krpc_reply *r)
{
	struct sw_bencode_enc e;
	size_t start = out->len;
	int rc;

	if (!reply_ok(r))
		return SW_E_RANGE;
	if ((rc = begin(&e, out, h, 'r')) != SW_OK)
		return rc;
	sw_bencode_enc_cstr(&e, "r");
	sw_bencode_enc_dict(&e);
	enc_bytes(&e, "id", h->id, SW_KRPC_NODE_ID_LEN);
	if (r->token != NULL)
		enc_bytes(&e, "token", r->token, r->token_len);
	if (r->values != NULL && r->values_count > 0)
		enc_values(&e, r->values, r->values_count);
	if (r->nodes != NULL)
		enc_bytes(&e, "nodes", r->nodes, r->nodes_len);
	if (r->nodes6 != NULL)
		enc_bytes(&e, "nodes6", r->nodes6, r->nodes6_len);
	if (r->bf_seeds != NULL)
		enc_bytes(&e, "BFsd", r->bf_seeds, SW_KRPC_BLOOM_LEN);
	if (r->bf_peers != NULL)
		enc_bytes(&e, "BFpe", r->bf_peers, SW_KRPC_BLOOM_LEN);
	if (r->samples != NULL)
		enc_bytes(&e, "samples", r->samples, r->samples_count * SW_INFOHASH_LEN);
	if (r->interval >= 0)
		enc_int(&e, "interval", r->interval);
	if (r->num >= 0)
		enc_int(&e, "num", r->num);
	return finish(&e, out, start);
}

int sw_krpc_build_ping_reply(struct sw_buf *out, const struct sw_krpc_hdr *h)
{
	struct sw_krpc_reply r = {.interval = -1, .num = -1};

	return sw_krpc_build_reply(out, h, &r);
}

int sw_krpc_build_announce_peer_reply(struct sw_buf *out, const struct sw_krpc_hdr *h)
{
	return sw_krpc_build_ping_reply(out, h);
}

int sw_krpc_build_find_node_reply(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                  const uint8_t *nodes, size_t nodes_len, const uint8_t *nodes6,
                                  size_t nodes6_len)
{
	struct sw_krpc_reply r = {.interval = -1, .num = -1};

	r.nodes = nodes;
	r.nodes_len = nodes_len;
	r.nodes6 = nodes6;
	r.nodes6_len = nodes6_len;
	return sw_krpc_build_reply(out, h, &r);
}

int sw_krpc_build_get_peers_reply(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                  const struct sw_krpc_reply *r)
{
	struct sw_krpc_reply g = *r;

	if (r->token == NULL)
		return SW_E_INVALID; /* BEP 5: get_peers replies carry a token */
	g.samples = NULL;
	g.interval = -1;
	g.num = -1;
	return sw_krpc_build_reply(out, h, &g);
}

int sw_krpc_build_sample_infohashes_reply(struct sw_buf *out, const struct sw_krpc_hdr *h,
                                          int64_t interval, int64_t num, const uint8_t *samples,
                                          size_t samples_count, const uint8_t *nodes,
                                          size_t nodes_len)
{
	struct sw_krpc_reply r = {.interval = interval, .num = num};
	static const uint8_t none[1];

	if (interval < 0 || num < 0)
		return SW_E_RANGE;
	r.samples = samples != NULL ? samples : none; /* BEP 51: always present */
	r.samples_count = samples != NULL ? samples_count : 0;
	r.nodes = nodes;
	r.nodes_len = nodes_len;
	return sw_krpc_build_reply(out, h, &r);
}

int sw_krpc_build_error(struct sw_buf *out, const struct sw_krpc_hdr *h, int code, const char *msg)
{
	struct sw_bencode_enc e;
	size_t start = out->len;
	int rc = begin(&e, out, h, 'e');

	if (rc != SW_OK)
		return rc;
	sw_bencode_enc_cstr(&e, "e");
	sw_bencode_enc_list(&e);
	sw_bencode_enc_int(&e, code);
	sw_bencode_enc_cstr(&e, msg != NULL ? msg : "");
	return finish(&e, out, start);
}
