/*
 * magnet.c - magnet URIs (BEP 9 "magnet URI format"; btmh from BEP 52).
 *
 * Why strict here when magnets in the wild are sloppy: a magnet is how a
 * swarm is named on index sites, so a wrong infohash silently watches the
 * wrong swarm.  We accept every spelling the BEPs allow, plus what clients
 * commonly emit (upper-case parameter names, numbered forms like "tr.1",
 * percent-escaped URNs), and reject anything that could be misread: a
 * magnet with two different btih (or btmh) topics names two swarms, and
 * picking one silently (libtorrent keeps the last) would watch the wrong one.
 *
 *     magnet:?xt=urn:btih:<hash>&xt=urn:btmh:<multihash>&dn=..&tr=..&x.pe=..
 *
 *     btih hash   40 hex digits, or 32 base32 characters (RFC 4648, no
 *                 padding, either case) -- both encode the 20-byte SHA-1
 *     btmh        the multihash of the SHA-256 infohash, in hex:
 *
 *                   +------+------+-------- 32 bytes --------+
 *                   | 0x12 | 0x20 |   sha2-256 digest         |
 *                   +------+------+---------------------------+
 *                    code   length   -> "1220" + 64 hex digits
 *
 *     dn          display name, percent-decoded, '+' read as a space
 *                 (form encoding, which is how indexes write names)
 *     tr, x.pe    percent-decoded as is: a '+' in a tracker URL is a '+'
 *
 * Every value is percent-decoded into its own copy; a bad escape ("%zz",
 * a '%' too close to the end) or an escaped NUL fails the whole URI, with
 * the parameter's name in the message.  The URI length and the number of
 * trackers and peers are capped.
 */
#include "proto/magnet.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/hex.h"

#define SCHEME         "magnet:?"
#define SCHEME_LEN     (sizeof(SCHEME) - 1)
#define URN_BTIH       "urn:btih:"
#define URN_BTMH       "urn:btmh:"
#define URN_PREFIX_LEN (sizeof(URN_BTIH) - 1)
#define BTIH_HEX_LEN   (2 * SW_INFOHASH_LEN)                      /* 40 */
#define BTIH_B32_LEN   ((8 * SW_INFOHASH_LEN) / 5)                /* 32 */
#define MH_SHA2_256    0x12                                       /* multihash function code */
#define MH_HEADER_LEN  2                                          /* code byte, length byte */
#define BTMH_HEX_LEN   (2 * (MH_HEADER_LEN + SW_INFOHASH_V2_LEN)) /* 68 */
#define SHOW_MAX       64

/* A parameter value, percent-decoded and NUL-terminated. */
struct value {
	char *s;
	size_t len;
};

/* A printable copy of s for an error message: '?' for odd bytes, cut short. */
static const char *show(char out[SHOW_MAX + 4], const char *s, size_t n)
{
	size_t i, k = n > SHOW_MAX ? SHOW_MAX : n;

	for (i = 0; i < k; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n > k) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = 0;
	return out;
}

/* Percent-decode s[0..n) into v; plus: '+' means a space. */
static int decode(const char *s, size_t n, bool plus, const char *param, struct value *v,
                  struct sw_errbuf *eb)
{
	size_t o = 0;

	v->s = malloc(n + 1);
	if (v->s == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		uint8_t b;

		if (s[i] != '%') {
			v->s[o++] = plus && s[i] == '+' ? ' ' : s[i];
			continue;
		}
		if (n - i < 3 || sw_hex_decode(s + i + 1, 2, &b, 1) != SW_OK)
			return sw_errbuf_set(eb, SW_E_INVALID,
			                     "bad percent-escape in '%s' at byte %zu of its value",
			                     param, i);
		if (b == 0)
			return sw_errbuf_set(eb, SW_E_INVALID, "'%s' contains an escaped NUL byte",
			                     param);
		v->s[o++] = (char)b;
		i += 2;
	}
	v->s[o] = 0;
	v->len = o;
	return SW_OK;
}

static int parse_btih(struct sw_magnet *m, const char *h, size_t n, struct sw_errbuf *eb)
{
	uint8_t ih[SW_INFOHASH_LEN];

	if (n == BTIH_HEX_LEN) {
		if (sw_hex_decode(h, n, ih, sizeof(ih)) != SW_OK)
			return sw_errbuf_set(eb, SW_E_INVALID,
			                     "invalid btih hash: not hexadecimal");
	} else if (n == BTIH_B32_LEN) {
		if (sw_base32_decode(h, n, ih, sizeof(ih)) != SW_OK)
			return sw_errbuf_set(eb, SW_E_INVALID, "invalid btih hash: not base32");
	} else {
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "invalid btih hash: expected 40 hex or 32 base32 characters, "
		                     "got %zu",
		                     n);
	}
	if (m->has_v1 && memcmp(m->infohash_v1, ih, sizeof(ih)) != 0)
		return sw_errbuf_set(
		    eb, SW_E_UNSUPPORTED,
		    "magnet names two different btih hashes (one swarm per magnet)");
	memcpy(m->infohash_v1, ih, sizeof(ih));
	m->has_v1 = true;
	return SW_OK;
}

static int parse_btmh(struct sw_magnet *m, const char *h, size_t n, struct sw_errbuf *eb)
{
	uint8_t mh[MH_HEADER_LEN + SW_INFOHASH_V2_LEN];

	if (n < 2 * MH_HEADER_LEN || n % 2 != 0 ||
	    sw_hex_decode(h, 2 * MH_HEADER_LEN, mh, MH_HEADER_LEN) != SW_OK)
		return sw_errbuf_set(eb, SW_E_INVALID, "invalid btmh hash: not a hex multihash");
	if (mh[0] != MH_SHA2_256)
		return sw_errbuf_set(eb, SW_E_UNSUPPORTED,
		                     "unsupported btmh hash function 0x%02x: only sha2-256 (0x12)",
		                     mh[0]);
	if (mh[1] != SW_INFOHASH_V2_LEN)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "invalid btmh hash: sha2-256 digest length must be 32, got %u",
		                     mh[1]);
	if (n != BTMH_HEX_LEN)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "invalid btmh hash: expected 68 hex characters (1220 and a "
		                     "sha2-256 digest), got %zu",
		                     n);
	if (sw_hex_decode(h, n, mh, sizeof(mh)) != SW_OK)
		return sw_errbuf_set(eb, SW_E_INVALID, "invalid btmh hash: not hexadecimal");
	if (m->has_v2 && memcmp(m->infohash_v2, mh + MH_HEADER_LEN, SW_INFOHASH_V2_LEN) != 0)
		return sw_errbuf_set(
		    eb, SW_E_UNSUPPORTED,
		    "magnet names two different btmh hashes (one swarm per magnet)");
	memcpy(m->infohash_v2, mh + MH_HEADER_LEN, SW_INFOHASH_V2_LEN);
	m->has_v2 = true;
	return SW_OK;
}

/* xt: btih and btmh are ours; other URNs are someone else's. */
static int parse_xt(struct sw_magnet *m, const struct value *v, struct sw_errbuf *eb)
{
	if (v->len < URN_PREFIX_LEN)
		return SW_OK;
	if (strncasecmp(v->s, URN_BTIH, URN_PREFIX_LEN) == 0)
		return parse_btih(m, v->s + URN_PREFIX_LEN, v->len - URN_PREFIX_LEN, eb);
	if (strncasecmp(v->s, URN_BTMH, URN_PREFIX_LEN) == 0)
		return parse_btmh(m, v->s + URN_PREFIX_LEN, v->len - URN_PREFIX_LEN, eb);
	return SW_OK;
}

/* x.pe: "host:port" or "[v6]:port", port 1..65535. */
static bool valid_peer(const char *s, size_t n)
{
	const char *colon = NULL;
	unsigned long port = 0;
	size_t hostlen;

	for (size_t i = 0; i < n; i++)
		if (s[i] == ':')
			colon = s + i;
	if (colon == NULL || colon == s || (size_t)(colon - s) + 1 == n)
		return false;
	hostlen = (size_t)(colon - s);
	for (const char *p = colon + 1; p < s + n; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > UINT16_MAX)
			return false;
	}
	if (port == 0)
		return false;
	if (s[0] == '[')
		return hostlen > 2 && s[hostlen - 1] == ']' &&
		       memchr(s + 1, ']', hostlen - 2) == NULL;
	return memchr(s, ':', hostlen) == NULL && memchr(s, ']', hostlen) == NULL;
}

/* Append v (taking its string) to *list unless it is empty or there already. */
static int add_unique(char ***list, size_t *n, size_t max, struct value *v, const char *param,
                      struct sw_errbuf *eb)
{
	char **nl;

	if (v->len == 0)
		return SW_OK;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], v->s) == 0)
			return SW_OK;
	if (*n >= max)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "more than %zu '%s' parameters", max, param);
	nl = realloc(*list, (*n + 1) * sizeof(*nl));
	if (nl == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "out of memory");
	*list = nl;
	nl[(*n)++] = v->s;
	v->s = NULL;
	return SW_OK;
}

enum param { P_OTHER, P_XT, P_DN, P_TR, P_PE };

/* Which parameter key[0..n) names, a ".<digits>" suffix ignored. */
static enum param param_of(const char *key, size_t n)
{
	static const struct {
		const char *name;
		enum param p;
	} known[] = {{"xt", P_XT}, {"dn", P_DN}, {"tr", P_TR}, {"x.pe", P_PE}};
	size_t d = n;

	while (d > 0 && key[d - 1] >= '0' && key[d - 1] <= '9')
		d--;
	if (d > 0 && d < n && key[d - 1] == '.')
		n = d - 1;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && strncasecmp(known[i].name, key, n) == 0)
			return known[i].p;
	return P_OTHER;
}

/* One "key=value" segment of the query. */
static int parse_param(struct sw_magnet *m, const char *seg, size_t n, struct sw_errbuf *eb)
{
	const char *eq = memchr(seg, '=', n);
	size_t keylen = eq != NULL ? (size_t)(eq - seg) : n;
	const char *val = eq != NULL ? eq + 1 : seg + n;
	size_t vlen = n - keylen - (eq != NULL);
	enum param p = param_of(seg, keylen);
	static const char *const names[] = {"", "xt", "dn", "tr", "x.pe"};
	struct value v = {NULL, 0};
	char shown[SHOW_MAX + 4];
	int rc;

	if (p == P_OTHER)
		return SW_OK;
	rc = decode(val, vlen, p == P_DN, names[p], &v, eb);
	if (rc != SW_OK)
		goto out;
	switch (p) {
	case P_XT: rc = parse_xt(m, &v, eb); break;
	case P_DN:
		if (m->name == NULL && v.len > 0) {
			m->name = v.s;
			v.s = NULL;
		}
		break;
	case P_TR:
		rc = add_unique(&m->trackers, &m->num_trackers, SW_MAGNET_MAX_TRACKERS, &v, "tr",
		                eb);
		break;
	case P_PE:
		if (!valid_peer(v.s, v.len))
			rc = sw_errbuf_set(eb, SW_E_INVALID,
			                   "invalid 'x.pe' value '%s': expected host:port",
			                   show(shown, v.s, v.len));
		else
			rc = add_unique(&m->peers, &m->num_peers, SW_MAGNET_MAX_PEERS, &v, "x.pe",
			                eb);
		break;
	case P_OTHER: break;
	}
out:
	free(v.s);
	return rc;
}

/* The scheme, the length cap, and no control characters anywhere. */
static int check_uri(const char *uri, size_t len, struct sw_errbuf *eb)
{
	if (len > SW_MAGNET_MAX_LEN)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "magnet URI is %zu bytes, more than %u", len,
		                     SW_MAGNET_MAX_LEN);
	if (len < SCHEME_LEN || strncasecmp(uri, SCHEME, SCHEME_LEN) != 0)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "not a magnet URI: must start with 'magnet:?'");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uri[i];

		if (c < 0x20 || c == 0x7f)
			return sw_errbuf_set(eb, SW_E_INVALID,
			                     "magnet URI has a control character at byte %zu", i);
	}
	return SW_OK;
}

int sw_magnet_parse(const char *uri, size_t len, struct sw_magnet **out, struct sw_errbuf *eb)
{
	struct sw_magnet *m = NULL;
	size_t pos;
	int rc;

	*out = NULL;
	rc = check_uri(uri, len, eb);
	if (rc != SW_OK)
		goto out;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		rc = sw_errbuf_set(eb, SW_E_NOMEM, "out of memory");
		goto out;
	}
	for (pos = SCHEME_LEN; pos < len;) {
		const char *amp = memchr(uri + pos, '&', len - pos);
		size_t end = amp != NULL ? (size_t)(amp - uri) : len;

		rc = parse_param(m, uri + pos, end - pos, eb);
		if (rc != SW_OK)
			goto out;
		pos = end + 1;
	}
	if (!m->has_v1 && !m->has_v2) {
		rc = sw_errbuf_set(eb, SW_E_INVALID, "no xt=urn:btih or urn:btmh");
		goto out;
	}
	*out = m;
	m = NULL;
out:
	sw_magnet_free(m);
	return rc;
}

void sw_magnet_free(struct sw_magnet *m)
{
	if (m == NULL)
		return;
	free(m->name);
	for (size_t i = 0; i < m->num_trackers; i++)
		free(m->trackers[i]);
	free(m->trackers);
	for (size_t i = 0; i < m->num_peers; i++)
		free(m->peers[i]);
	free(m->peers);
	free(m);
}

void sw_magnet_swarm_id(const struct sw_magnet *m, uint8_t out[SW_INFOHASH_LEN])
{
	memcpy(out, m->has_v1 ? m->infohash_v1 : m->infohash_v2, SW_INFOHASH_LEN);
}
