/*
 * feed.c - RSS 2.0 / Torznab items out of a stream of bytes, with expat.
 *
 * Sniffing.  Index sites answer with HTML when something is wrong
 * (Cloudflare challenges, "503 Service Unavailable", login pages), and
 * HTML is seldom well-formed XML: "<!doctype html>" in lowercase is
 * already a syntax error for expat.  So the first SNIFF_LEN bytes are held
 * back and looked at before expat sees them; a page that starts like HTML
 * is reported as such instead of as "syntax error at line 1".  A root
 * element <html> (XHTML) is caught again by the element handler.
 *
 * Elements.  Expat runs without namespace processing: a feed that uses
 * torznab:attr without declaring the prefix is common enough, and would
 * be fatal with it.  Names are matched on their local part: in an <item>,
 * title, link, guid, pubDate, size and enclosure directly under it (no
 * prefix, so <media:title> is not the title), and at any depth the
 * extensions indexes use: <torznab:attr>/<newznab:attr name= value=>,
 * ezRSS's <torrent><infoHash>/<magnetURI>/<contentLength>/<seeds>/<peers>,
 * and nyaa's <nyaa:infoHash>/<nyaa:seeders>/<nyaa:leechers>.
 *
 * Bounds.  Text is collected into one buffer per field with a cap; the
 * document, the items and the nesting depth have caps; a DTD may not
 * declare entities (expat 2.4+ also limits entity amplification, but no
 * feed needs entities at all, so none are allowed).
 */
#include "watch/feed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "core/buf.h"
#include "core/hex.h"
#include "proto/magnet.h"

#define SNIFF_LEN    512
#define SHOWN        40 /* bytes of a first tag quoted in a message */
#define NUM_MAX_LEN  32
#define DATE_MAX_LEN 128
#define HEX_IH_LEN   (2 * SW_INFOHASH_LEN)
#define B32_IH_LEN   32

enum field {
	F_NONE = -1,
	F_TITLE,
	F_LINK,
	F_GUID,
	F_DATE,
	F_SIZE,     /* <size> */
	F_CLEN,     /* ezRSS <contentLength> */
	F_IH,       /* <infoHash> */
	F_MAGNET,   /* <magnetURI> */
	F_SEEDERS,  /* <seeds>, <nyaa:seeders> */
	F_PEERS,    /* ezRSS <peers> */
	F_LEECHERS, /* <nyaa:leechers> */
	F_ENC_URL,  /* <enclosure url=> */
	F_ENC_LEN,  /* <enclosure length=> */
	F_TZ_IH,    /* torznab attrs */
	F_TZ_MAGNET,
	F_TZ_SIZE,
	F_TZ_SEEDERS,
	F_TZ_PEERS,
	F_TZ_LEECHERS,
	F_COUNT
};

static const size_t field_cap[F_COUNT] = {
    [F_TITLE] = SW_FEED_MAX_TITLE, [F_LINK] = SW_FEED_MAX_URL,   [F_GUID] = SW_FEED_MAX_URL,
    [F_DATE] = DATE_MAX_LEN,       [F_SIZE] = NUM_MAX_LEN,       [F_CLEN] = NUM_MAX_LEN,
    [F_IH] = 2 * HEX_IH_LEN,       [F_MAGNET] = SW_FEED_MAX_URL, [F_SEEDERS] = NUM_MAX_LEN,
    [F_PEERS] = NUM_MAX_LEN,       [F_LEECHERS] = NUM_MAX_LEN,   [F_ENC_URL] = SW_FEED_MAX_URL,
    [F_ENC_LEN] = NUM_MAX_LEN,     [F_TZ_IH] = 2 * HEX_IH_LEN,   [F_TZ_MAGNET] = SW_FEED_MAX_URL,
    [F_TZ_SIZE] = NUM_MAX_LEN,     [F_TZ_SEEDERS] = NUM_MAX_LEN, [F_TZ_PEERS] = NUM_MAX_LEN,
    [F_TZ_LEECHERS] = NUM_MAX_LEN,
};

struct sw_feed_parser {
	XML_Parser xp;
	sw_feed_item_cb cb;
	void *ctx;
	size_t max_bytes, max_items;
	struct sw_feed_stats st;
	int err;
	char err_msg[SW_ERRBUF_LEN];
	/* sniffing */
	uint8_t sniff[SNIFF_LEN];
	size_t n_sniff;
	bool sniffed;
	/* elements */
	int depth;
	bool root_seen;
	int item_depth; /* depth of the open <item>, or 0 */
	enum field capture;
	int capture_depth;
	unsigned item_line;
	struct sw_buf f[F_COUNT];
	bool over[F_COUNT]; /* text went past the field's cap */
};

static int set_err(struct sw_feed_parser *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_err(struct sw_feed_parser *p, int code, const char *fmt, ...)
{
	va_list ap;

	if (p->err != SW_OK)
		return p->err;
	p->err = code;
	va_start(ap, fmt);
	vsnprintf(p->err_msg, sizeof p->err_msg, fmt, ap);
	va_end(ap);
	XML_StopParser(p->xp, XML_FALSE);
	return code;
}

/* ---- small parsers ------------------------------------------------------ */

static const char *local_name(const char *name)
{
	const char *c = strrchr(name, ':');

	return c ? c + 1 : name;
}

static bool has_prefix(const char *name)
{
	return strchr(name, ':') != NULL;
}

static const char *trim(struct sw_buf *b)
{
	char *s = b->data ? (char *)b->data : (char *)"";
	size_t n = b->len;

	if (b->data == NULL)
		return "";
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	s[n] = '\0';
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

/* A decimal count or size; -1 when absent or not a plain number. */
static int64_t number(struct sw_buf *b)
{
	const char *s = trim(b);
	int64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static bool infohash(const char *s, uint8_t out[SW_INFOHASH_LEN])
{
	size_t n = strlen(s);

	if (n == HEX_IH_LEN)
		return sw_hex_decode(s, n, out, SW_INFOHASH_LEN) == SW_OK;
	if (n == B32_IH_LEN)
		return sw_base32_decode(s, n, out, SW_INFOHASH_LEN) == SW_OK;
	return false;
}

static bool is_magnet(const char *s)
{
	return strncasecmp(s, "magnet:", 7) == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int zone_minutes(const char *z, int *out)
{
	static const struct {
		const char *name;
		int min;
	} zones[] = {{"GMT", 0},    {"UT", 0},     {"UTC", 0},    {"Z", 0},
	             {"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
	             {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420}};

	if ((z[0] == '+' || z[0] == '-') && strlen(z) == 5 && strspn(z + 1, "0123456789") == 4) {
		int v = (z[1] - '0') * 600 + (z[2] - '0') * 60 + (z[3] - '0') * 10 + (z[4] - '0');

		*out = z[0] == '-' ? -v : v;
		return SW_OK;
	}
	if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':') {
		char c[6] = {z[0], z[1], z[2], z[4], z[5], 0};

		return zone_minutes(c, out);
	}
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		if (strcasecmp(z, zones[i].name) == 0) {
			*out = zones[i].min;
			return SW_OK;
		}
	}
	return SW_E_INVALID;
}

static int finish_date(int y, int mon, int d, int h, int mi, int sec, const char *zone,
                       int64_t *out)
{
	int zm = 0;

	if (mon < 1 || mon > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970 ||
	    y > 9999 || h < 0 || mi < 0 || sec < 0)
		return SW_E_INVALID;
	if (*zone != '\0' && zone_minutes(zone, &zm) != SW_OK)
		return SW_E_INVALID;
	*out = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + sec - (int64_t)zm * 60;
	return SW_OK;
}

int sw_feed_parse_date(const char *s, int64_t *out)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char mon[4] = "", zone[8] = "";
	int y, d, h, mi, sec = 0, n = 0, m;
	const char *p;

	if (s == NULL || out == NULL || strlen(s) > DATE_MAX_LEN)
		return SW_E_INVALID;
	while (*s == ' ')
		s++;
	/* ISO 8601: 2014-12-09T18:33:00Z, or +01:00 */
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &m, &d, &h, &mi, &sec, &n) == 6) {
		p = s + n;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		if (strlen(p) >= sizeof zone)
			return SW_E_INVALID;
		snprintf(zone, sizeof zone, "%s", p);
		return finish_date(y, m, d, h, mi, sec, zone, out);
	}
	/* RFC 822: [Day, ]DD Mon YYYY HH:MM[:SS] ZONE */
	p = strchr(s, ',');
	if (p != NULL)
		s = p + 1;
	n = 0;
	if (sscanf(s, " %2d %3s %4d %2d:%2d%n", &d, mon, &y, &h, &mi, &n) != 5)
		return SW_E_INVALID;
	p = s + n;
	if (*p == ':' && sscanf(p, ":%2d%n", &sec, &n) == 1)
		p += n;
	while (*p == ' ')
		p++;
	if (strlen(p) >= sizeof zone || strchr(p, ' ') != NULL)
		return SW_E_INVALID;
	snprintf(zone, sizeof zone, "%s", p);
	for (m = 0; m < 12; m++) {
		if (strncasecmp(mon, months + 3 * m, 3) == 0)
			break;
	}
	if (m == 12 || strlen(mon) != 3)
		return SW_E_INVALID;
	if (y < 100)
		y += y < 70 ? 2000 : 1900;
	return finish_date(y, m + 1, d, h, mi, sec, zone, out);
}

/* ---- items -------------------------------------------------------------- */

static void skip(struct sw_feed_parser *p, const char *why)
{
	if (p->st.skipped++ == 0)
		snprintf(p->st.skip_reason, sizeof p->st.skip_reason, "item at line %u: %s",
		         p->item_line, why);
}

static int64_t first_number(struct sw_feed_parser *p, const enum field *order, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = number(&p->f[order[i]]);

		if (v >= 0)
			return v;
	}
	return -1;
}

static void item_magnet(struct sw_feed_parser *p, struct sw_feed_item *it, bool *ih_from_magnet,
                        uint8_t ih[SW_INFOHASH_LEN])
{
	static const enum field order[] = {F_TZ_MAGNET, F_MAGNET, F_ENC_URL, F_LINK, F_GUID};
	struct sw_magnet *m = NULL;

	*ih_from_magnet = false;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const char *s = trim(&p->f[order[i]]);

		if (!is_magnet(s))
			continue;
		if (sw_magnet_parse(s, strlen(s), &m, NULL) != SW_OK) {
			it->flags |= SW_FEED_F_BAD_MAGNET;
			continue;
		}
		sw_magnet_swarm_id(m, ih);
		sw_magnet_free(m);
		*ih_from_magnet = true;
		it->magnet = s;
		return;
	}
}

static void item_url(struct sw_feed_parser *p, struct sw_feed_item *it)
{
	static const enum field order[] = {F_ENC_URL, F_LINK};

	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const char *s = trim(&p->f[order[i]]);

		if (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0) {
			it->url = s;
			return;
		}
	}
}

static void item_end(struct sw_feed_parser *p)
{
	static const enum field sizes[] = {F_TZ_SIZE, F_SIZE, F_ENC_LEN, F_CLEN};
	static const enum field seeders[] = {F_TZ_SEEDERS, F_SEEDERS};
	static const enum field peers[] = {F_TZ_PEERS, F_PEERS};
	static const enum field leechers[] = {F_TZ_LEECHERS, F_LEECHERS};
	struct sw_feed_item it;
	uint8_t ih[SW_INFOHASH_LEN];
	const char *given;
	bool from_magnet;
	int64_t leech;
	int rc;

	memset(&it, 0, sizeof it);
	it.line = p->item_line;
	it.title = trim(&p->f[F_TITLE]);
	it.magnet = "";
	it.url = "";
	if (p->over[F_TITLE])
		it.flags |= SW_FEED_F_TITLE_CUT;
	for (int f = F_LINK; f < F_COUNT; f++) {
		if (p->over[f] && (f == F_GUID || f == F_DATE)) {
			sw_buf_reset(&p->f[f]); /* optional: treated as absent */
		} else if (p->over[f]) {
			skip(p, "a link or attribute is longer than its cap");
			return;
		}
	}
	item_magnet(p, &it, &from_magnet, ih);
	item_url(p, &it);
	given = trim(&p->f[F_TZ_IH]);
	if (*given == '\0')
		given = trim(&p->f[F_IH]);
	if (*given != '\0') {
		if (!infohash(given, it.infohash)) {
			skip(p, "infohash is not 40 hex digits or 32 base32 characters");
			return;
		}
		if (from_magnet && memcmp(ih, it.infohash, SW_INFOHASH_LEN) != 0) {
			skip(p, "infohash disagrees with the magnet's");
			return;
		}
		it.has_infohash = true;
	} else if (from_magnet) {
		memcpy(it.infohash, ih, SW_INFOHASH_LEN);
		it.has_infohash = true;
	}
	if (*it.title == '\0' && *it.magnet == '\0' && *it.url == '\0' && !it.has_infohash) {
		skip(p, "no title, link or infohash");
		return;
	}
	it.size = first_number(p, sizes, 4);
	it.seeders = first_number(p, seeders, 2);
	it.peers = first_number(p, peers, 2);
	leech = first_number(p, leechers, 2);
	if (it.peers < 0 && leech >= 0 && it.seeders >= 0)
		it.peers = it.seeders + leech;
	if (sw_feed_parse_date(trim(&p->f[F_DATE]), &it.pub_date) != SW_OK)
		it.pub_date = -1;
	if (p->st.items >= p->max_items) {
		set_err(p, SW_E_TOO_BIG, "more than %zu items", p->max_items);
		return;
	}
	p->st.items++;
	rc = p->cb(p->ctx, &it);
	if (rc != SW_OK)
		set_err(p, rc, "stopped by the item callback at line %u: %s", it.line,
		        sw_strerror(rc));
}

/* ---- expat handlers ----------------------------------------------------- */

static const char *attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	}
	return NULL;
}

static void put(struct sw_feed_parser *p, enum field f, const char *s)
{
	sw_buf_reset(&p->f[f]);
	p->over[f] = s != NULL && sw_buf_puts(&p->f[f], s) != SW_OK;
}

static void root(struct sw_feed_parser *p, const char *name, const XML_Char **atts)
{
	const char *code, *desc;

	p->root_seen = true;
	if (strcmp(name, "rss") == 0)
		return;
	if (strcasecmp(name, "html") == 0)
		set_err(p, SW_E_INVALID, "feed is HTML, not RSS (starts with <%s>)", name);
	else if (strcmp(name, "feed") == 0)
		set_err(p, SW_E_UNSUPPORTED, "feed is Atom, not RSS (root element <feed>)");
	else if (strcmp(name, "rdf:RDF") == 0)
		set_err(p, SW_E_UNSUPPORTED, "feed is RSS 1.0 (RDF), not RSS 2.0");
	else if (strcmp(name, "error") == 0) {
		code = attr(atts, "code");
		desc = attr(atts, "description");
		set_err(p, SW_E_INVALID, "Torznab error %.16s: %.120s", code ? code : "?",
		        desc ? desc : "(no description)");
	} else {
		set_err(p, SW_E_INVALID, "not RSS (root element <%.*s>)", SHOWN, name);
	}
}

static void torznab_attr(struct sw_feed_parser *p, const XML_Char **atts)
{
	static const struct {
		const char *name;
		enum field f;
	} map[] = {{"infohash", F_TZ_IH}, {"magneturl", F_TZ_MAGNET},
	           {"size", F_TZ_SIZE},   {"seeders", F_TZ_SEEDERS},
	           {"peers", F_TZ_PEERS}, {"leechers", F_TZ_LEECHERS}};
	const char *name = attr(atts, "name"), *value = attr(atts, "value");

	p->st.kind = SW_FEED_TORZNAB;
	if (name == NULL || value == NULL)
		return;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcasecmp(name, map[i].name) == 0)
			put(p, map[i].f, value);
	}
}

static enum field item_field(const char *name, bool direct)
{
	static const struct {
		const char *name;
		enum field f;
	} direct_map[] = {{"title", F_TITLE},
	                  {"link", F_LINK},
	                  {"guid", F_GUID},
	                  {"pubDate", F_DATE},
	                  {"size", F_SIZE}},
	  any_map[] = {{"infohash", F_IH},      {"magneturi", F_MAGNET}, {"contentlength", F_CLEN},
	               {"seeds", F_SEEDERS},    {"seeders", F_SEEDERS},  {"peers", F_PEERS},
	               {"leechers", F_LEECHERS}};
	const char *local = local_name(name);

	if (direct && !has_prefix(name)) {
		for (size_t i = 0; i < sizeof direct_map / sizeof direct_map[0]; i++) {
			if (strcmp(name, direct_map[i].name) == 0)
				return direct_map[i].f;
		}
	}
	for (size_t i = 0; i < sizeof any_map / sizeof any_map[0]; i++) {
		if (strcasecmp(local, any_map[i].name) == 0 &&
		    (has_prefix(name) || !direct || strcmp(local, "size") != 0))
			return any_map[i].f;
	}
	return F_NONE;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sw_feed_parser *p = ud;

	if (++p->depth > SW_FEED_MAX_DEPTH) {
		set_err(p, SW_E_TOO_BIG, "elements nested deeper than %d at line %lu",
		        SW_FEED_MAX_DEPTH, (unsigned long)XML_GetCurrentLineNumber(p->xp));
		return;
	}
	if (p->depth == 1) {
		root(p, name, atts);
		return;
	}
	if (p->item_depth == 0) {
		if (strcmp(name, "item") == 0) {
			p->item_depth = p->depth;
			p->item_line = (unsigned)XML_GetCurrentLineNumber(p->xp);
			for (int f = 0; f < F_COUNT; f++) {
				sw_buf_reset(&p->f[f]);
				p->over[f] = false;
			}
		}
		return;
	}
	if (p->capture != F_NONE)
		return; /* markup inside a field: its text still counts */
	if (strcmp(local_name(name), "attr") == 0 && has_prefix(name)) {
		torznab_attr(p, atts);
		return;
	}
	if (p->depth == p->item_depth + 1 && strcmp(name, "enclosure") == 0) {
		put(p, F_ENC_URL, attr(atts, "url"));
		put(p, F_ENC_LEN, attr(atts, "length"));
		return;
	}
	p->capture = item_field(name, p->depth == p->item_depth + 1);
	if (p->capture != F_NONE) {
		p->capture_depth = p->depth;
		sw_buf_reset(&p->f[p->capture]);
		p->over[p->capture] = false;
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct sw_feed_parser *p = ud;

	(void)name;
	if (p->capture != F_NONE && p->depth == p->capture_depth)
		p->capture = F_NONE;
	if (p->item_depth != 0 && p->depth == p->item_depth) {
		p->item_depth = 0;
		item_end(p);
	}
	p->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct sw_feed_parser *p = ud;
	struct sw_buf *b;

	if (p->capture == F_NONE || p->over[p->capture] || len <= 0)
		return;
	b = &p->f[p->capture];
	if (sw_buf_append(b, s, (size_t)len) != SW_OK) {
		p->over[p->capture] = true;
		/* A title is cut, not refused: keep what fits. */
		if (p->capture == F_TITLE && b->len < b->max)
			sw_buf_append(b, s, b->max - b->len);
	}
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
                                   const XML_Char *value, int value_len, const XML_Char *base,
                                   const XML_Char *sys, const XML_Char *pub,
                                   const XML_Char *notation)
{
	struct sw_feed_parser *p = ud;

	(void)is_param, (void)value, (void)value_len, (void)base, (void)sys, (void)pub;
	(void)notation;
	set_err(p, SW_E_UNSUPPORTED, "DTD declares entity '%.*s' at line %lu: not allowed", SHOWN,
	        name, (unsigned long)XML_GetCurrentLineNumber(p->xp));
}

/* ---- the parser --------------------------------------------------------- */

int sw_feed_parser_new(const struct sw_feed_limits *lim, sw_feed_item_cb cb, void *ctx,
                       struct sw_feed_parser **out, struct sw_errbuf *eb)
{
	struct sw_feed_parser *p;

	if (cb == NULL || out == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "feed: NULL argument");
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "feed: out of memory");
	p->xp = XML_ParserCreate(NULL);
	if (p->xp == NULL) {
		free(p);
		return sw_errbuf_set(eb, SW_E_NOMEM, "feed: out of memory");
	}
	p->cb = cb;
	p->ctx = ctx;
	p->max_bytes = lim && lim->max_bytes ? lim->max_bytes : SW_FEED_MAX_BYTES;
	p->max_items = lim && lim->max_items ? lim->max_items : SW_FEED_MAX_ITEMS;
	p->capture = F_NONE;
	p->st.kind = SW_FEED_UNKNOWN;
	for (int f = 0; f < F_COUNT; f++)
		sw_buf_init(&p->f[f], field_cap[f]);
	XML_SetUserData(p->xp, p);
	XML_SetElementHandler(p->xp, on_start, on_end);
	XML_SetCharacterDataHandler(p->xp, on_text);
	XML_SetEntityDeclHandler(p->xp, on_entity_decl);
	*out = p;
	return SW_OK;
}

void sw_feed_parser_free(struct sw_feed_parser *p)
{
	if (p == NULL)
		return;
	for (int f = 0; f < F_COUNT; f++)
		sw_buf_deinit(&p->f[f]);
	XML_ParserFree(p->xp);
	free(p);
}

const struct sw_feed_stats *sw_feed_parser_stats(const struct sw_feed_parser *p)
{
	return &p->st;
}

static int report(const struct sw_feed_parser *p, struct sw_errbuf *eb)
{
	return sw_errbuf_set(eb, p->err, "%s", p->err_msg);
}

/* "<!DOCTYPE html>" or "<html lang=en>": the first tag, for the message. */
static void first_tag(const char *s, size_t n, char *out, size_t outlen)
{
	size_t k = 0;

	while (k < n && k + 1 < outlen && k < SHOWN && s[k] != '>' && s[k] != '\n')
		k++;
	snprintf(out, outlen, "%.*s%s", (int)k, s, k < n && s[k] == '>' ? ">" : "...");
}

/* Look at the first bytes: HTML, or not markup at all? */
static int sniff(struct sw_feed_parser *p)
{
	const char *s = (const char *)p->sniff;
	size_t n = p->n_sniff;
	char tag[SHOWN + 8];

	p->sniffed = true;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3, n -= 3;
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, n--;
	if (n == 0)
		return SW_OK; /* all blank so far: expat will say */
	if ((n >= 14 && strncasecmp(s, "<!doctype html", 14) == 0) ||
	    (n >= 5 && strncasecmp(s, "<html", 5) == 0 &&
	     (n == 5 || s[5] == '>' || s[5] == ' ' || s[5] == '\n' || s[5] == '\r'))) {
		first_tag(s, n, tag, sizeof tag);
		return set_err(p, SW_E_INVALID, "feed is HTML, not RSS (starts with %s)", tag);
	}
	if (*s != '<' && (unsigned char)*s < 0x80) {
		first_tag(s, n, tag, sizeof tag);
		return set_err(p, SW_E_INVALID, "feed is not XML (starts with '%.*s')",
		               (int)strcspn(tag, "\r\n"), tag);
	}
	return SW_OK;
}

static int expat(struct sw_feed_parser *p, const void *data, size_t len, bool final)
{
	while (p->err == SW_OK) {
		int n = len > INT32_MAX ? INT32_MAX : (int)len;

		if (XML_Parse(p->xp, data, n, final && (size_t)n == len) != XML_STATUS_OK) {
			if (p->err == SW_OK)
				set_err(p, SW_E_INVALID,
				        "malformed XML at line %lu, column %lu: %s",
				        (unsigned long)XML_GetCurrentLineNumber(p->xp),
				        (unsigned long)XML_GetCurrentColumnNumber(p->xp) + 1,
				        XML_ErrorString(XML_GetErrorCode(p->xp)));
			break;
		}
		data = (const uint8_t *)data + n;
		len -= (size_t)n;
		if (len == 0)
			break;
	}
	return p->err;
}

int sw_feed_parser_write(struct sw_feed_parser *p, const void *data, size_t len,
                         struct sw_errbuf *eb)
{
	if (p == NULL || (data == NULL && len > 0))
		return sw_errbuf_set(eb, SW_E_INVALID, "feed: NULL argument");
	if (p->err != SW_OK)
		return report(p, eb);
	if (len > p->max_bytes - p->st.bytes) {
		set_err(p, SW_E_TOO_BIG, "feed larger than %zu bytes", p->max_bytes);
		return report(p, eb);
	}
	p->st.bytes += len;
	if (!p->sniffed) {
		size_t take = len < SNIFF_LEN - p->n_sniff ? len : SNIFF_LEN - p->n_sniff;

		memcpy(p->sniff + p->n_sniff, data, take);
		p->n_sniff += take;
		data = (const uint8_t *)data + take;
		len -= take;
		if (p->n_sniff < SNIFF_LEN)
			return SW_OK;
		if (sniff(p) != SW_OK || expat(p, p->sniff, p->n_sniff, false) != SW_OK)
			return report(p, eb);
	}
	if (len > 0 && expat(p, data, len, false) != SW_OK)
		return report(p, eb);
	return SW_OK;
}

int sw_feed_parser_finish(struct sw_feed_parser *p, struct sw_errbuf *eb)
{
	if (p == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "feed: NULL argument");
	if (p->err != SW_OK)
		return report(p, eb);
	if (p->st.bytes == 0) {
		set_err(p, SW_E_INVALID, "feed is empty (0 bytes)");
		return report(p, eb);
	}
	if (!p->sniffed && (sniff(p) != SW_OK || expat(p, p->sniff, p->n_sniff, false) != SW_OK))
		return report(p, eb);
	if (expat(p, "", 0, true) != SW_OK)
		return report(p, eb);
	if (p->st.kind == SW_FEED_UNKNOWN)
		p->st.kind = SW_FEED_RSS;
	return SW_OK;
}

int sw_feed_parse(const void *data, size_t len, const struct sw_feed_limits *lim,
                  sw_feed_item_cb cb, void *ctx, struct sw_feed_stats *stats_out,
                  struct sw_errbuf *eb)
{
	struct sw_feed_parser *p = NULL;
	int rc = sw_feed_parser_new(lim, cb, ctx, &p, eb);

	if (rc == SW_OK)
		rc = sw_feed_parser_write(p, data, len, eb);
	if (rc == SW_OK)
		rc = sw_feed_parser_finish(p, eb);
	if (p != NULL && stats_out != NULL)
		*stats_out = p->st;
	sw_feed_parser_free(p);
	return rc;
}
