/*
 * http_tracker.c - HTTP tracker URLs and bencoded replies.
 *
 * Announce request (BEP 3, query parameters of a GET on the announce URL):
 *
 *   http://tracker.example/announce?info_hash=%12%34...&peer_id=-SW0001-...
 *       &port=6881&uploaded=0&downloaded=0&left=1000&compact=1&numwant=50
 *       &key=0badcafe&event=started&trackerid=...&no_peer_id=1
 *
 * info_hash and peer_id are 20 raw bytes each, percent-encoded byte by
 * byte; the unreserved characters of RFC 3986 go as they are, because
 * some trackers compare the query text rather than decoding it.  compact=1
 * asks for BEP 23 peers (trackers may answer either way); no_peer_id=1
 * lets a tracker drop peer ids from a BEP 3 list; key (BEP 7) lets the
 * tracker match our announces across address families and IP changes.
 *
 * Announce reply (BEP 3, 7, 23), a bencoded dictionary:
 *
 *   d 8:interval i1800e  12:min interval i900e  10:tracker id 3:abc
 *     8:complete i5e  10:incomplete i3e  15:warning message 4:slow
 *     5:peers 12:<ip4><port><ip4><port>                   (BEP 23 compact)
 *     6:peers6 18:<ip6 (16 bytes)><port (2 bytes)>         (BEP 7)
 *   e
 *
 *   compact entry  +----+----+----+----+----+----+
 *   (BEP 23)       | IPv4 address      | port    |   network order
 *                  +----+----+----+----+----+----+
 *   peers6 entry   | IPv6 address (16 bytes) | port (2) |
 *
 * or "peers" as a BEP 3 list: l d 2:ip 9:127.0.0.1 7:peer id 20:... 4:port i6881e e ... e
 * where ip is dotted IPv4, IPv6 text or a DNS name.  Names are never
 * resolved here (a tracker could aim our connections anywhere); they are
 * counted and skipped.  A reply with "failure reason" is a refusal and
 * nothing else in it is read (BEP 3: "no other keys are required").
 *
 * Scrape (BEP 48): the scrape URL is the announce URL with "announce" in
 * the last path segment replaced by "scrape", plus one info_hash parameter
 * per swarm.  The reply: d 5:files d 20:<infohash> d 8:complete i11e
 * 10:downloaded i13772e 10:incomplete i19e e ... e e, sometimes with
 * "flags" d 20:min_request_interval i900e e.
 *
 * Replies are read with the caller's token array and never copied: every
 * string in a result points into the reply.  HTML error pages and other
 * non-bencode bodies are common (proxies, captive portals, 404 pages), so
 * the first byte of the body is named in the error.
 */
#include "proto/http_tracker.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ANNOUNCE_WORD     "announce"
#define ANNOUNCE_WORD_LEN (sizeof(ANNOUNCE_WORD) - 1)
#define SCRAPE_WORD       "scrape"
#define PORT_MAX          65535
#define HOSTNAME_MAX      253 /* RFC 1035 text form */
#define IP_TEXT_MAX       64  /* longest IP literal we parse, with brackets */
#define ENC_CHUNK         64  /* input bytes percent-encoded per append */
#define ERR_TEXT_MAX      160 /* tracker text quoted into an errbuf */

/* Where the parts of an http(s) URL are, as offsets into it. */
struct url_parts {
	size_t path;  /* first byte after the authority ('/', '?' or end) */
	size_t query; /* the '?' or end */
	size_t end;   /* the '#' or the NUL: bytes kept */
};

static int split_url(const char *url, struct url_parts *u)
{
	static const char *const schemes[] = {"http://", "https://"};
	size_t i = 0, n;

	for (n = 0; n < sizeof(schemes) / sizeof(schemes[0]); n++) {
		if (strncasecmp(url, schemes[n], strlen(schemes[n])) == 0)
			i = strlen(schemes[n]);
	}
	if (i == 0)
		return SW_E_INVALID;
	while (url[i] != '\0' && url[i] != '/' && url[i] != '?' && url[i] != '#')
		i++;
	u->path = i;
	while (url[i] != '\0' && url[i] != '?' && url[i] != '#')
		i++;
	u->query = i;
	while (url[i] != '\0' && url[i] != '#')
		i++;
	u->end = i;
	return SW_OK;
}

/* The separator before our first parameter: '?', '&', or none. */
static int put_separator(struct sw_buf *out, const char *url, const struct url_parts *u)
{
	if (u->query == u->end)
		return sw_buf_putc(out, '?');
	if (url[u->end - 1] == '?' || url[u->end - 1] == '&')
		return SW_OK;
	return sw_buf_putc(out, '&');
}

static bool is_unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int sw_httpt_urlencode(struct sw_buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char chunk[3 * ENC_CHUNK];
	size_t i = 0, k;
	int rc;

	while (i < n) {
		for (k = 0; i < n && k + 3 <= sizeof(chunk); i++) {
			if (is_unreserved(p[i])) {
				chunk[k++] = (char)p[i];
				continue;
			}
			chunk[k++] = '%';
			chunk[k++] = hex[p[i] >> 4];
			chunk[k++] = hex[p[i] & 0xf];
		}
		rc = sw_buf_append(out, chunk, k);
		if (rc)
			return rc;
	}
	return SW_OK;
}

/* Undo a failed build: the buffer goes back to len. */
static int restore(struct sw_buf *out, size_t len, int rc)
{
	if (rc) {
		out->len = len;
		if (out->data != NULL)
			out->data[len] = 0;
	}
	return rc;
}

static const char *event_name(uint32_t event)
{
	switch (event) {
	case SW_HTTPT_EVENT_COMPLETED: return "completed";
	case SW_HTTPT_EVENT_STARTED: return "started";
	case SW_HTTPT_EVENT_STOPPED: return "stopped";
	}
	return NULL;
}

/* The announce parameters, after the separator. */
static int put_announce_query(struct sw_buf *out, const struct sw_httpt_announce_req *req)
{
	const char *event = event_name(req->event);
	int rc;

	if ((rc = sw_buf_puts(out, "info_hash=")) ||
	    (rc = sw_httpt_urlencode(out, req->infohash, SW_INFOHASH_LEN)) ||
	    (rc = sw_buf_puts(out, "&peer_id=")) ||
	    (rc = sw_httpt_urlencode(out, req->peer_id, SW_PEER_ID_LEN)))
		return rc;
	rc = sw_buf_printf(
	    out, "&port=%u&uploaded=%" PRIu64 "&downloaded=%" PRIu64 "&left=%" PRIu64 "&compact=1",
	    (unsigned)req->port, req->uploaded, req->downloaded, req->left);
	if (rc == SW_OK && req->numwant >= 0)
		rc = sw_buf_printf(out, "&numwant=%" PRId32, req->numwant);
	if (rc == SW_OK)
		rc = sw_buf_printf(out, "&key=%08" PRIx32, req->key);
	if (rc == SW_OK && event != NULL)
		rc = sw_buf_printf(out, "&event=%s", event);
	if (rc == SW_OK && req->tracker_id != NULL) {
		if ((rc = sw_buf_puts(out, "&trackerid=")) == SW_OK)
			rc = sw_httpt_urlencode(out, req->tracker_id, req->tracker_id_len);
	}
	if (rc == SW_OK)
		rc = sw_buf_puts(out, "&no_peer_id=1");
	return rc;
}

int sw_httpt_announce_url(struct sw_buf *out, const struct sw_httpt_announce_req *req)
{
	const char *url = req->announce_url;
	size_t start = out->len;
	struct url_parts u;
	int rc;

	if (req->event > SW_HTTPT_EVENT_STOPPED)
		return SW_E_INVALID;
	rc = split_url(url, &u);
	if (rc)
		goto out;
	rc = sw_buf_append(out, url, u.end);
	if (rc)
		goto out;
	rc = put_separator(out, url, &u);
	if (rc)
		goto out;
	rc = put_announce_query(out, req);
out:
	return restore(out, start, rc);
}

int sw_httpt_scrape_url(struct sw_buf *out, const char *url, const uint8_t *infohashes, size_t n)
{
	size_t start = out->len, seg, i;
	struct url_parts u;
	int rc;

	rc = split_url(url, &u);
	if (rc)
		goto out;
	/* The last path segment must begin with "announce". */
	for (seg = u.query; seg > u.path && url[seg - 1] != '/'; seg--)
		;
	if (seg == u.path || u.query - seg < ANNOUNCE_WORD_LEN ||
	    memcmp(url + seg, ANNOUNCE_WORD, ANNOUNCE_WORD_LEN) != 0) {
		rc = SW_E_UNSUPPORTED;
		goto out;
	}
	if ((rc = sw_buf_append(out, url, seg)) || (rc = sw_buf_puts(out, SCRAPE_WORD)) ||
	    (rc = sw_buf_append(out, url + seg + ANNOUNCE_WORD_LEN,
	                        u.end - seg - ANNOUNCE_WORD_LEN)))
		goto out;
	for (i = 0; i < n; i++) {
		rc = i == 0 ? put_separator(out, url, &u) : sw_buf_putc(out, '&');
		if (rc == SW_OK)
			rc = sw_buf_puts(out, "info_hash=");
		if (rc == SW_OK)
			rc = sw_httpt_urlencode(out, infohashes + i * SW_INFOHASH_LEN,
			                        SW_INFOHASH_LEN);
		if (rc)
			goto out;
	}
out:
	return restore(out, start, rc);
}

/* --- replies --------------------------------------------------------------- */

/* Quote tracker text into eb, with unprintable bytes as '?'. */
static int set_text(struct sw_errbuf *eb, int code, const char *what, const uint8_t *p, size_t len)
{
	char text[ERR_TEXT_MAX + 1];
	size_t i, n = len < ERR_TEXT_MAX ? len : ERR_TEXT_MAX;

	for (i = 0; i < n; i++)
		text[i] = isprint(p[i]) ? (char)p[i] : '?';
	text[n] = 0;
	return sw_errbuf_set(eb, code, "%s: %s%s", what, text, len > n ? "..." : "");
}

/* Can byte c begin a bencoded value? */
static bool starts_bencode(uint8_t c)
{
	return c == 'd' || c == 'l' || c == 'i' || (c >= '0' && c <= '9');
}

/* Decode a reply whose root must be a dictionary.  Trailing bytes are ignored. */
static int decode_reply(const uint8_t *p, size_t n, struct sw_bencode_token *tok, size_t max_tok,
                        struct sw_bencode_doc *doc, struct sw_errbuf *eb)
{
	struct sw_bencode_error err = {0};
	char first[8];
	int rc;

	if (n == 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "reply is empty");
	if (isprint(p[0]))
		snprintf(first, sizeof(first), "'%c'", p[0]);
	else
		snprintf(first, sizeof(first), "0x%02x", p[0]);
	if (!starts_bencode(p[0]))
		return sw_errbuf_set(eb, SW_E_INVALID, "reply is not bencode (starts with %s)",
		                     first);
	rc = sw_bencode_decode(p, n, tok, max_tok, 0, doc, &err);
	if (rc == SW_E_TOO_BIG)
		return sw_errbuf_set(eb, rc, "reply exceeds a bencode limit (%zu tokens): %s",
		                     max_tok, err.what ? err.what : "");
	if (rc == SW_E_NEED_MORE)
		return sw_errbuf_set(eb, rc, "reply is truncated bencode: %s at byte %zu",
		                     err.what ? err.what : "", err.offset);
	if (rc != SW_OK && rc != SW_E_TRAILING)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "reply is not bencode (starts with %s): %s at byte %zu", first,
		                     err.what ? err.what : "", err.offset);
	if (sw_bencode_type(doc, 0) != SW_BENCODE_DICT)
		return sw_errbuf_set(eb, SW_E_INVALID, "reply is not a dictionary");
	return SW_OK;
}

/* An optional non-negative integer under key: -1 when absent. */
static int opt_int(const struct sw_bencode_doc *d, uint32_t dict, const char *key, int64_t *out,
                   struct sw_errbuf *eb)
{
	int rc = sw_bencode_dict_get_int(d, dict, key, out);

	if (rc == SW_E_NOT_FOUND) {
		*out = -1;
		return SW_OK;
	}
	if (rc)
		return sw_errbuf_set(eb, SW_E_TYPE, "'%s' is not an integer", key);
	if (*out < 0)
		return sw_errbuf_set(eb, SW_E_RANGE, "'%s' is negative (%" PRId64 ")", key, *out);
	return SW_OK;
}

/* An optional string under key: NULL when absent. */
static int opt_str(const struct sw_bencode_doc *d, uint32_t dict, const char *key,
                   const uint8_t **p, size_t *len, struct sw_errbuf *eb)
{
	int rc = sw_bencode_dict_get_str(d, dict, key, p, len);

	if (rc == SW_E_NOT_FOUND) {
		*p = NULL;
		*len = 0;
		return SW_OK;
	}
	if (rc)
		return sw_errbuf_set(eb, SW_E_TYPE, "'%s' is not a string", key);
	return SW_OK;
}

/* "failure reason": SW_E_UNSUPPORTED when present. */
static int check_failure(const struct sw_bencode_doc *d, const uint8_t **p, size_t *len,
                         struct sw_errbuf *eb)
{
	int rc = opt_str(d, 0, "failure reason", p, len, eb);

	if (rc == SW_OK && *p != NULL)
		rc = set_text(eb, SW_E_UNSUPPORTED, "tracker failure", *p, *len);
	return rc;
}

/* Where peers go: the caller's array and the counters in the result. */
struct peer_sink {
	struct sw_addr *peers;
	size_t cap;
	struct sw_httpt_announce *out;
};

static void sink_add(struct peer_sink *s, const struct sw_addr *a)
{
	if (s->out->num_peers >= s->cap) {
		s->out->dropped_capacity++;
		return;
	}
	s->peers[s->out->num_peers++] = *a;
	if (a->family == AF_INET)
		s->out->num_v4++;
	else
		s->out->num_v6++;
}

static int compact_peers(const struct sw_bencode_doc *d, uint32_t idx, const char *key,
                         size_t entry_len, struct peer_sink *s, struct sw_errbuf *eb)
{
	struct sw_addr a;
	const uint8_t *p;
	size_t len, i;

	(void)sw_bencode_get_str(d, idx, &p, &len);
	if (len % entry_len != 0)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "compact %s length %zu is not a multiple of %zu", key, len,
		                     entry_len);
	for (i = 0; i < len; i += entry_len) {
		if (entry_len == SW_COMPACT_PEER4_LEN)
			sw_addr_from_compact4(&a, p + i);
		else
			sw_addr_from_compact6(&a, p + i);
		sink_add(s, &a);
	}
	return SW_OK;
}

/* A DNS name rather than a malformed address?  Letters, digits, '-', '.', '_'. */
static bool is_hostname(const uint8_t *p, size_t len)
{
	bool alpha = false;
	size_t i;

	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (isalpha(p[i]))
			alpha = true;
		else if (!isdigit(p[i]) && p[i] != '-' && p[i] != '.' && p[i] != '_')
			return false;
	}
	return alpha;
}

/* One BEP 3 peer dictionary: added, or counted as invalid or hostname. */
static void dict_peer(const struct sw_bencode_doc *d, uint32_t idx, struct peer_sink *s)
{
	char text[IP_TEXT_MAX];
	const uint8_t *ip;
	struct sw_addr a;
	size_t len;
	int64_t port;

	if (sw_bencode_type(d, idx) != SW_BENCODE_DICT ||
	    sw_bencode_dict_get_str(d, idx, "ip", &ip, &len) != SW_OK ||
	    sw_bencode_dict_get_int(d, idx, "port", &port) != SW_OK || port < 0 ||
	    port > PORT_MAX) {
		s->out->dropped_invalid++;
		return;
	}
	if (len > 0 && len < sizeof(text) && memchr(ip, 0, len) == NULL) {
		memcpy(text, ip, len);
		text[len] = 0;
		if (sw_addr_parse_ip(&a, text, (uint16_t)port) == SW_OK) {
			sink_add(s, &a);
			return;
		}
	}
	if (is_hostname(ip, len))
		s->out->dropped_hostname++;
	else
		s->out->dropped_invalid++;
}

/* "peers" or "peers6": a compact string of entry_len entries, or a BEP 3 list. */
static int read_peers(const struct sw_bencode_doc *d, const char *key, size_t entry_len,
                      struct peer_sink *s, struct sw_errbuf *eb)
{
	int64_t found = sw_bencode_dict_find(d, 0, key);
	uint32_t idx, i, k;

	if (found < 0)
		return SW_OK;
	idx = (uint32_t)found;
	switch (sw_bencode_type(d, idx)) {
	case SW_BENCODE_STR:
		if (entry_len == SW_COMPACT_PEER4_LEN)
			s->out->compact = true;
		return compact_peers(d, idx, key, entry_len, s, eb);
	case SW_BENCODE_LIST:
		for (i = idx + 1, k = 0; k < d->tok[idx].count; k++, i = d->tok[i].next)
			dict_peer(d, i, s);
		return SW_OK;
	default: return sw_errbuf_set(eb, SW_E_TYPE, "'%s' is neither a string nor a list", key);
	}
}

int sw_httpt_parse_announce(const uint8_t *p, size_t n, struct sw_bencode_token *tok,
                            size_t max_tok, struct sw_addr *peers, size_t cap,
                            struct sw_httpt_announce *out, struct sw_errbuf *eb)
{
	struct peer_sink sink = {peers, cap, out};
	struct sw_bencode_doc doc;
	int rc;

	memset(out, 0, sizeof(*out));
	out->interval = out->min_interval = -1;
	out->complete = out->incomplete = out->downloaded = -1;
	rc = decode_reply(p, n, tok, max_tok, &doc, eb);
	if (rc)
		return rc;
	rc = check_failure(&doc, &out->failure, &out->failure_len, eb);
	if (rc)
		return rc;
	if ((rc = opt_int(&doc, 0, "interval", &out->interval, eb)) ||
	    (rc = opt_int(&doc, 0, "min interval", &out->min_interval, eb)) ||
	    (rc = opt_int(&doc, 0, "complete", &out->complete, eb)) ||
	    (rc = opt_int(&doc, 0, "incomplete", &out->incomplete, eb)) ||
	    (rc = opt_int(&doc, 0, "downloaded", &out->downloaded, eb)) ||
	    (rc = opt_str(&doc, 0, "warning message", &out->warning, &out->warning_len, eb)) ||
	    (rc = opt_str(&doc, 0, "tracker id", &out->tracker_id, &out->tracker_id_len, eb)))
		return rc;
	rc = read_peers(&doc, "peers", SW_COMPACT_PEER4_LEN, &sink, eb);
	if (rc == SW_OK)
		rc = read_peers(&doc, "peers6", SW_COMPACT_PEER6_LEN, &sink, eb);
	return rc;
}

/* --- scrape replies -------------------------------------------------------- */

/* A field of a scrape entry: -1 when absent, SW_E_INVALID when unusable. */
static int entry_int(const struct sw_bencode_doc *d, uint32_t dict, const char *key, int64_t *v)
{
	int rc = sw_bencode_dict_get_int(d, dict, key, v);

	if (rc == SW_E_NOT_FOUND) {
		*v = -1;
		return SW_OK;
	}
	return rc == SW_OK && *v >= 0 ? SW_OK : SW_E_INVALID;
}

/* The files entry whose key is token k. */
static int read_entry(const struct sw_bencode_doc *d, uint32_t k, struct sw_httpt_scrape_entry *e)
{
	const uint8_t *ih;
	size_t len;
	uint32_t v;

	if (sw_bencode_get_str(d, k, &ih, &len) != SW_OK || len != SW_INFOHASH_LEN)
		return SW_E_INVALID;
	v = d->tok[k].next;
	if (sw_bencode_type(d, v) != SW_BENCODE_DICT)
		return SW_E_INVALID;
	memcpy(e->infohash, ih, SW_INFOHASH_LEN);
	if (entry_int(d, v, "complete", &e->complete) ||
	    entry_int(d, v, "incomplete", &e->incomplete) ||
	    entry_int(d, v, "downloaded", &e->downloaded))
		return SW_E_INVALID;
	return SW_OK;
}

int sw_httpt_parse_scrape(const uint8_t *p, size_t n, struct sw_bencode_token *tok, size_t max_tok,
                          struct sw_httpt_scrape *out, struct sw_errbuf *eb)
{
	struct sw_httpt_scrape_entry e;
	uint32_t flags, k, i;
	int64_t found;
	int rc;

	memset(out, 0, sizeof(*out));
	out->min_request_interval = -1;
	rc = decode_reply(p, n, tok, max_tok, &out->doc, eb);
	if (rc)
		return rc;
	rc = check_failure(&out->doc, &out->failure, &out->failure_len, eb);
	if (rc)
		return rc;
	/* "flags" is an extension: a malformed one is ignored, not fatal. */
	if (sw_bencode_dict_get_dict(&out->doc, 0, "flags", &flags) == SW_OK &&
	    entry_int(&out->doc, flags, "min_request_interval", &out->min_request_interval))
		out->min_request_interval = -1;
	found = sw_bencode_dict_find(&out->doc, 0, "files");
	if (found < 0)
		return SW_OK;
	if (sw_bencode_type(&out->doc, (uint32_t)found) != SW_BENCODE_DICT)
		return sw_errbuf_set(eb, SW_E_TYPE, "'files' is not a dictionary");
	out->files = (uint32_t)found;
	for (i = out->files + 1, k = 0; k < out->doc.tok[out->files].count; k++) {
		if (read_entry(&out->doc, i, &e) == SW_OK)
			out->num_files++;
		else
			out->num_invalid++;
		i = out->doc.tok[out->doc.tok[i].next].next;
	}
	return SW_OK;
}

int sw_httpt_scrape_lookup(const struct sw_httpt_scrape *s, const uint8_t infohash[SW_INFOHASH_LEN],
                           struct sw_httpt_scrape_entry *out)
{
	int64_t v;

	if (s->files == 0)
		return SW_E_NOT_FOUND;
	v = sw_bencode_dict_findn(&s->doc, s->files, infohash, SW_INFOHASH_LEN);
	if (v < 0)
		return SW_E_NOT_FOUND;
	/* A key is a string, one token: it sits just before its value. */
	if (read_entry(&s->doc, (uint32_t)v - 1, out) != SW_OK)
		return SW_E_NOT_FOUND;
	return SW_OK;
}

int sw_httpt_scrape_next(const struct sw_httpt_scrape *s, uint32_t *cursor,
                         struct sw_httpt_scrape_entry *out)
{
	uint32_t k, end;

	if (s->files == 0)
		return SW_E_NOT_FOUND;
	if (*cursor == 0)
		*cursor = s->files + 1;
	end = s->doc.tok[s->files].next;
	while (*cursor < end) {
		k = *cursor;
		if (s->doc.tok[k].next >= end)
			break;
		*cursor = s->doc.tok[s->doc.tok[k].next].next;
		if (read_entry(&s->doc, k, out) == SW_OK)
			return SW_OK;
	}
	*cursor = end;
	return SW_E_NOT_FOUND;
}
