/*
 * udp_tracker.c - BEP 15 datagrams, with BEP 41 URL data on announces.
 *
 * Every integer is big-endian.  Requests (client -> tracker):
 *
 *   connect        0               8         12        16
 *                  +---------------+---------+---------+
 *                  | protocol_id   | action  | txid    |
 *                  | 0x41727101980 | 0       |         |
 *                  +---------------+---------+---------+
 *
 *   announce       0               8         12        16
 *                  +---------------+---------+---------+
 *                  | connection_id | action 1| txid    |
 *                  +---------------+---------+---------+--- ... ---+
 *               16 | info_hash (20)          | peer_id (20)        |
 *                  +-----------+-----------+-----------+-----------+
 *               56 | downloaded| left      | uploaded  |  (64 bits each)
 *                  +-----------+-----------+-----------+
 *               80 | event | ip = 0 | key | num_want | port |  (32,32,32,32,16 bits)
 *               98 +-------+--------+-----+----------+------+
 *                  | BEP 41 options ...                      |
 *
 *   scrape         0               8         12        16 + 20 * n
 *                  +---------------+---------+---------+-----------+
 *                  | connection_id | action 2| txid    | info_hash*|
 *                  +---------------+---------+---------+-----------+
 *
 * BEP 41 options follow the 98-byte announce: one type byte each; NOP (1)
 * and EndOfOptions (0) have no body; URLData (2) has a length byte and up
 * to 255 bytes of the tracker URL's path and query, and consecutive
 * URLData options are concatenated by the tracker:
 *
 *   | 0x02 | len | "/announce?passkey=..." | 0x02 | len | "...rest" | 0x00 |
 *
 * A tracker that knows nothing of BEP 41 ignores bytes past 98, so the
 * options are sent only when the URL has a path; a bare "udp://host:port"
 * gets the plain 98-byte form that every tracker accepts.
 *
 * Responses (tracker -> client) all start with action and txid:
 *
 *   connect        | action 0 | txid | connection_id (64) |           16 bytes
 *   announce       | action 1 | txid | interval | leechers | seeders | peers...
 *                     peers: 6-byte (IPv4 + port) entries over an IPv4 socket,
 *                            18-byte (IPv6 + port) over an IPv6 one (BEP 15 "IPv6")
 *   scrape         | action 2 | txid | (seeders, completed, leechers) * n
 *   error          | action 3 | txid | message text...
 *
 * BEP 15 warns that packets may grow, so sizes are minima: extra bytes
 * after a connect response are ignored, and an announce or scrape body that
 * is not a whole number of entries keeps its whole entries and reports the
 * rest in tail_len.
 */
#include "proto/udp_tracker.h"

#include <string.h>
#include <strings.h>

/* Offsets inside the fixed parts (BEP 15 tables). */
#define REQ_ACTION_OFF      8
#define REQ_TXID_OFF        12
#define ANN_INFOHASH_OFF    16
#define ANN_PEER_ID_OFF     36
#define ANN_DOWNLOADED_OFF  56
#define ANN_LEFT_OFF        64
#define ANN_UPLOADED_OFF    72
#define ANN_EVENT_OFF       80
#define ANN_IP_OFF          84
#define ANN_KEY_OFF         88
#define ANN_NUM_WANT_OFF    92
#define ANN_PORT_OFF        96
#define RESP_TXID_OFF       4
#define RESP_CONN_ID_OFF    8
#define RESP_INTERVAL_OFF   8
#define RESP_LEECHERS_OFF   12
#define RESP_SEEDERS_OFF    16
#define SCRAPE_SEEDERS_OFF  0
#define SCRAPE_COMPLETE_OFF 4
#define SCRAPE_LEECHERS_OFF 8
#define UDP_SCHEME          "udp://"
#define UDP_SCHEME_LEN      (sizeof(UDP_SCHEME) - 1)
#define OPT_HEADER_LEN      2 /* type, length */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

int sw_udpt_build_connect(uint8_t *out, size_t outlen, uint32_t txid)
{
	if (outlen < SW_UDPT_CONNECT_REQ_LEN)
		return SW_E_TOO_BIG;
	put_u64(out, SW_UDPT_PROTOCOL_ID);
	put_u32(out + REQ_ACTION_OFF, SW_UDPT_ACTION_CONNECT);
	put_u32(out + REQ_TXID_OFF, txid);
	return SW_UDPT_CONNECT_REQ_LEN;
}

/* Bytes the BEP 41 options take for a request string of len bytes. */
static size_t options_len(size_t len)
{
	size_t chunks = (len + SW_UDPT_URLDATA_CHUNK - 1) / SW_UDPT_URLDATA_CHUNK;

	return len == 0 ? 0 : len + chunks * OPT_HEADER_LEN + 1;
}

/* Write URLData chunks of s[0..len) and EndOfOptions at p. */
static void put_options(uint8_t *p, const char *s, size_t len)
{
	while (len > 0) {
		size_t chunk = len < SW_UDPT_URLDATA_CHUNK ? len : SW_UDPT_URLDATA_CHUNK;

		*p++ = SW_UDPT_OPT_URLDATA;
		*p++ = (uint8_t)chunk;
		memcpy(p, s, chunk);
		p += chunk;
		s += chunk;
		len -= chunk;
	}
	*p = SW_UDPT_OPT_END;
}

int sw_udpt_build_announce(uint8_t *out, size_t outlen, const struct sw_udpt_announce_req *req)
{
	size_t url_len = req->url_request != NULL ? req->url_request_len : 0;
	size_t total;

	if (req->event > SW_UDPT_EVENT_STOPPED)
		return SW_E_INVALID;
	if (url_len > SW_UDPT_MAX_URLDATA)
		return SW_E_TOO_BIG;
	total = SW_UDPT_ANNOUNCE_REQ_LEN + options_len(url_len);
	if (outlen < total)
		return SW_E_TOO_BIG;
	put_u64(out, req->connection_id);
	put_u32(out + REQ_ACTION_OFF, SW_UDPT_ACTION_ANNOUNCE);
	put_u32(out + REQ_TXID_OFF, req->txid);
	memcpy(out + ANN_INFOHASH_OFF, req->infohash, SW_INFOHASH_LEN);
	memcpy(out + ANN_PEER_ID_OFF, req->peer_id, SW_PEER_ID_LEN);
	put_u64(out + ANN_DOWNLOADED_OFF, req->downloaded);
	put_u64(out + ANN_LEFT_OFF, req->left);
	put_u64(out + ANN_UPLOADED_OFF, req->uploaded);
	put_u32(out + ANN_EVENT_OFF, req->event);
	put_u32(out + ANN_IP_OFF, 0); /* BEP 15: default; unusable over IPv6 */
	put_u32(out + ANN_KEY_OFF, req->key);
	put_u32(out + ANN_NUM_WANT_OFF, (uint32_t)req->num_want);
	put_u16(out + ANN_PORT_OFF, req->port);
	if (url_len > 0)
		put_options(out + SW_UDPT_ANNOUNCE_REQ_LEN, req->url_request, url_len);
	return (int)total;
}

int sw_udpt_build_scrape(uint8_t *out, size_t outlen, uint64_t connection_id, uint32_t txid,
                         const uint8_t *infohashes, size_t n)
{
	size_t total;

	if (n == 0)
		return SW_E_INVALID;
	if (n > SW_UDPT_MAX_SCRAPE)
		return SW_E_TOO_BIG;
	total = SW_UDPT_SCRAPE_REQ_HDR_LEN + n * SW_INFOHASH_LEN;
	if (outlen < total)
		return SW_E_TOO_BIG;
	put_u64(out, connection_id);
	put_u32(out + REQ_ACTION_OFF, SW_UDPT_ACTION_SCRAPE);
	put_u32(out + REQ_TXID_OFF, txid);
	memcpy(out + SW_UDPT_SCRAPE_REQ_HDR_LEN, infohashes, n * SW_INFOHASH_LEN);
	return (int)total;
}

int sw_udpt_url_request(const char *url, size_t len, const char **req, size_t *req_len)
{
	size_t i, start;

	*req = url;
	*req_len = 0;
	if (len < UDP_SCHEME_LEN || strncasecmp(url, UDP_SCHEME, UDP_SCHEME_LEN) != 0)
		return SW_E_INVALID;
	for (i = UDP_SCHEME_LEN; i < len && url[i] != '/' && url[i] != '?' && url[i] != '#'; i++)
		;
	start = i;
	while (i < len && url[i] != '#')
		i++;
	*req = url + start;
	*req_len = i - start;
	return SW_OK;
}

static void parse_announce(const uint8_t *p, size_t n, struct sw_udpt_response *out)
{
	size_t body = n - SW_UDPT_ANNOUNCE_RESP_MIN;

	out->interval = get_u32(p + RESP_INTERVAL_OFF);
	out->leechers = get_u32(p + RESP_LEECHERS_OFF);
	out->seeders = get_u32(p + RESP_SEEDERS_OFF);
	out->peers = p + SW_UDPT_ANNOUNCE_RESP_MIN;
	out->num_peers = body / out->peer_len;
	out->tail_len = body % out->peer_len;
}

static void parse_scrape(const uint8_t *p, size_t n, struct sw_udpt_response *out)
{
	size_t body = n - SW_UDPT_SCRAPE_RESP_MIN;

	out->scrape = p + SW_UDPT_SCRAPE_RESP_MIN;
	out->num_scrape = body / SW_UDPT_SCRAPE_ENTRY_LEN;
	out->tail_len = body % SW_UDPT_SCRAPE_ENTRY_LEN;
}

static void parse_error(const uint8_t *p, size_t n, struct sw_udpt_response *out)
{
	size_t len = n - SW_UDPT_ERROR_RESP_MIN;

	out->message = (const char *)p + SW_UDPT_ERROR_RESP_MIN;
	while (len > 0 && out->message[len - 1] == '\0')
		len--;
	out->message_len = len;
}

/* The fixed part a response of action must have. */
static size_t min_len(uint32_t action)
{
	switch (action) {
	case SW_UDPT_ACTION_CONNECT: return SW_UDPT_CONNECT_RESP_LEN;
	case SW_UDPT_ACTION_ANNOUNCE: return SW_UDPT_ANNOUNCE_RESP_MIN;
	case SW_UDPT_ACTION_SCRAPE: return SW_UDPT_SCRAPE_RESP_MIN;
	default: return SW_UDPT_ERROR_RESP_MIN;
	}
}

int sw_udpt_parse_response(const uint8_t *p, size_t n, uint32_t expect_txid, int expect_action,
                           int family, struct sw_udpt_response *out)
{
	memset(out, 0, sizeof(*out));
	if (expect_action < SW_UDPT_ACTION_CONNECT || expect_action > SW_UDPT_ACTION_SCRAPE)
		return SW_E_INVALID;
	if (family != AF_INET && family != AF_INET6)
		return SW_E_INVALID;
	out->family = (uint8_t)family;
	out->peer_len = family == AF_INET ? SW_COMPACT_PEER4_LEN : SW_COMPACT_PEER6_LEN;
	if (n < SW_UDPT_HEADER_LEN)
		return SW_E_NEED_MORE;
	out->action = get_u32(p);
	out->txid = get_u32(p + RESP_TXID_OFF);
	if (out->txid != expect_txid)
		return SW_E_NOT_FOUND;
	if (out->action != (uint32_t)expect_action && out->action != SW_UDPT_ACTION_ERROR)
		return SW_E_TYPE;
	if (n < min_len(out->action))
		return SW_E_NEED_MORE;
	switch (out->action) {
	case SW_UDPT_ACTION_CONNECT: out->connection_id = get_u64(p + RESP_CONN_ID_OFF); break;
	case SW_UDPT_ACTION_ANNOUNCE: parse_announce(p, n, out); break;
	case SW_UDPT_ACTION_SCRAPE: parse_scrape(p, n, out); break;
	default: parse_error(p, n, out); return SW_E_UNSUPPORTED;
	}
	return SW_OK;
}

int sw_udpt_peer(const struct sw_udpt_response *r, size_t i, struct sw_addr *out)
{
	const uint8_t *e;

	if (i >= r->num_peers)
		return SW_E_RANGE;
	e = r->peers + i * r->peer_len;
	if (r->peer_len == SW_COMPACT_PEER4_LEN)
		sw_addr_from_compact4(out, e);
	else
		sw_addr_from_compact6(out, e);
	return SW_OK;
}

int sw_udpt_scrape_entry(const struct sw_udpt_response *r, size_t i,
                         struct sw_udpt_scrape_entry *out)
{
	const uint8_t *e;

	if (i >= r->num_scrape)
		return SW_E_RANGE;
	e = r->scrape + i * SW_UDPT_SCRAPE_ENTRY_LEN;
	out->seeders = get_u32(e + SCRAPE_SEEDERS_OFF);
	out->completed = get_u32(e + SCRAPE_COMPLETE_OFF);
	out->leechers = get_u32(e + SCRAPE_LEECHERS_OFF);
	return SW_OK;
}

const char *sw_udpt_action_name(uint32_t action)
{
	switch (action) {
	case SW_UDPT_ACTION_CONNECT: return "connect";
	case SW_UDPT_ACTION_ANNOUNCE: return "announce";
	case SW_UDPT_ACTION_SCRAPE: return "scrape";
	case SW_UDPT_ACTION_ERROR: return "error";
	}
	return NULL;
}
