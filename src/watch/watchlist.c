/*
 * watchlist.c - the watchlist INI file, read with inih.
 *
 * inih calls a handler with (section, key, value) and, on a syntax error,
 * returns only the number of the first bad line.  To name the line of
 * every error we feed it through our own line reader (ini_parse_stream),
 * which sees each line before inih does and so knows:
 *   - the line number of the key the handler is being called for;
 *   - lines too long for inih's fixed buffer, which inih would silently
 *     split in two (we refuse them instead);
 *   - NUL bytes, which would end a line early;
 *   - section headers: inih cuts section names at 49 bytes, ignores text
 *     after ']' and never reports an empty section, so headers are parsed
 *     here ([title "NAME"], with \" and \\ escapes) and inih's section
 *     argument is not used;
 *   - continuation lines (indented, after a key): inih hands each one to
 *     the handler as if the key were repeated; we join it to the value.
 *
 * Parsing is two passes.  While inih reads, the handler only records raw
 * (section, key, value, line) entries.  Then every entry is interpreted in
 * file order (years, durations, magnets, infohashes, paths), so a value
 * continued over several lines is checked whole.  The first error by line
 * number is the one reported, whichever pass found it.
 */
#include "watch/watchlist.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/hex.h"
#include "core/time.h"
#include "proto/magnet.h"
#include "watch/release.h"

#define SHOWN          48 /* bytes of a value quoted in a message */
#define HEX_IH_LEN     (2 * SW_INFOHASH_LEN)
#define BASE32_IH_LEN  32
#define MAX_LIST_ITEMS SW_MATCH_MAX_SPELLINGS
#define MAX_SUGGEST    2 /* edit distance of a "did you mean" */

enum sect_type { SECT_SETTINGS, SECT_TITLE, SECT_FEED };

struct sect {
	enum sect_type type;
	char *name; /* NULL for [swarmwatch] */
	unsigned line;
	size_t index; /* into titles / feeds */
};

struct raw {
	size_t sect;
	char key[32];
	struct sw_buf val;
	unsigned line;
};

struct ctx {
	/* the reader */
	const char *p, *end;
	unsigned line;
	bool cont;     /* the current line continues the last key's value */
	bool have_key; /* a key was seen since the last header */
	/* what the handler recorded */
	struct sect *sects;
	size_t n_sects, cap_sects;
	struct raw *raws;
	size_t n_raws, cap_raws;
	/* the first error */
	int err;
	unsigned err_line;
	char err_msg[SW_ERRBUF_LEN];
	/* the result */
	const struct sw_watchlist_opts *opts;
	struct sw_watchlist *w;
	size_t cap_titles, cap_feeds;
};

static int fail(struct ctx *c, unsigned line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Keep the first error by line number. */
static int fail(struct ctx *c, unsigned line, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->err != SW_OK && c->err_line <= line)
		return c->err;
	c->err = code;
	c->err_line = line;
	va_start(ap, fmt);
	vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
	va_end(ap);
	return code;
}

static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return SW_OK;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * sz);
	if (q == NULL)
		return SW_E_NOMEM;
	*p = q;
	*cap = n;
	return SW_OK;
}

/* Append s to the NULL-terminated vector *v of *n strings. */
static int strv_push(char ***v, size_t *n, const char *s, size_t len)
{
	char **q = realloc(*v, (*n + 2) * sizeof *q);
	char *d;

	if (q == NULL)
		return SW_E_NOMEM;
	*v = q;
	d = strndup(s, len);
	if (d == NULL)
		return SW_E_NOMEM;
	q[(*n)++] = d;
	q[*n] = NULL;
	return SW_OK;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* ---- section headers ---------------------------------------------------- */

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* The text between '"' and '"' at *s, unescaped into out; NULL on error. */
static const char *quoted(const char *s, const char *end, struct sw_buf *out)
{
	for (s++; s < end && *s != '"'; s++) {
		if (*s == '\\' && s + 1 < end && (s[1] == '"' || s[1] == '\\'))
			s++;
		if (sw_buf_putc(out, (uint8_t)*s) != SW_OK)
			return NULL;
	}
	return s < end ? s + 1 : NULL;
}

static int header(struct ctx *c, const char *s, const char *end)
{
	static const char *const types[] = {"swarmwatch", "title", "feed"};
	struct sw_buf name;
	const char *t = ++s;
	struct sect *sec;
	size_t tlen, type;
	int rc = SW_E_INVALID;

	sw_buf_init(&name, SW_WATCHLIST_MAX_LINE);
	while (s < end && is_space(*s))
		s++;
	for (t = s; s < end && ((*s >= 'a' && *s <= 'z') || *s == '_'); s++)
		;
	tlen = (size_t)(s - t);
	for (type = 0; type < 3; type++) {
		if (strlen(types[type]) == tlen && memcmp(types[type], t, tlen) == 0)
			break;
	}
	while (s < end && is_space(*s))
		s++;
	if (s < end && *s == '"') {
		s = quoted(s, end, &name);
		if (s == NULL) {
			fail(c, c->line, rc, "unterminated quoted name in section header");
			goto out;
		}
		while (s < end && is_space(*s))
			s++;
	}
	if (s >= end || *s != ']') {
		fail(c, c->line, rc,
		     "malformed section header (expected [swarmwatch], "
		     "[title \"NAME\"] or [feed \"NAME\"])");
		goto out;
	}
	for (s++; s < end && is_space(*s); s++)
		;
	if (s < end && *s != ';' && *s != '#') {
		fail(c, c->line, rc, "text after ']' in section header");
		goto out;
	}
	if (type == 3) {
		fail(c, c->line, rc,
		     "unknown section [%.*s] (expected [swarmwatch], [title \"NAME\"] or "
		     "[feed \"NAME\"])",
		     (int)(tlen < SHOWN ? tlen : SHOWN), t);
		goto out;
	}
	if (type == SECT_SETTINGS && name.len > 0) {
		fail(c, c->line, rc, "[swarmwatch] takes no name");
		goto out;
	}
	if (type != SECT_SETTINGS && name.len == 0) {
		fail(c, c->line, rc, "[%s] needs a name in double quotes: [%s \"NAME\"]",
		     types[type], types[type]);
		goto out;
	}
	if (type == SECT_SETTINGS) {
		for (size_t i = 0; i < c->n_sects; i++) {
			if (c->sects[i].type == SECT_SETTINGS) {
				fail(c, c->line, rc,
				     "second [swarmwatch] section (first at line %u)",
				     c->sects[i].line);
				goto out;
			}
		}
	}
	if (grow((void **)&c->sects, &c->cap_sects, c->n_sects + 1, sizeof *sec) != SW_OK) {
		rc = fail(c, c->line, SW_E_NOMEM, "out of memory");
		goto out;
	}
	sec = &c->sects[c->n_sects];
	sec->type = (enum sect_type)type;
	sec->line = c->line;
	sec->index = 0;
	sec->name = NULL;
	if (name.len > 0 && (sec->name = strdup((const char *)name.data)) == NULL) {
		rc = fail(c, c->line, SW_E_NOMEM, "out of memory");
		goto out;
	}
	c->n_sects++;
	rc = SW_OK;
out:
	sw_buf_deinit(&name);
	return rc;
}

/* ---- the reader and the handler ----------------------------------------- */

/* fgets for inih over c->p..c->end; see the top of the file. */
static char *reader(char *str, int num, void *stream)
{
	struct ctx *c = stream;
	const char *nl, *s, *end;
	size_t len, room = num > 2 ? (size_t)num - 2 : 0;

	if (c->err != SW_OK || c->p >= c->end)
		return NULL;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	end = nl ? nl : c->end;
	len = (size_t)(end - c->p);
	c->line++;
	if (len > room || len > SW_WATCHLIST_MAX_LINE) {
		fail(c, c->line, SW_E_TOO_BIG,
		     "line longer than %u bytes (continue a long value on indented lines)",
		     (unsigned)(room < SW_WATCHLIST_MAX_LINE ? room : SW_WATCHLIST_MAX_LINE));
		return NULL;
	}
	if (memchr(c->p, '\0', len) != NULL) {
		fail(c, c->line, SW_E_INVALID, "NUL byte in line");
		return NULL;
	}
	memcpy(str, c->p, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	s = c->p;
	c->p = nl ? nl + 1 : c->end;
	if (c->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	/* Classify the line as inih will (ini.c, ini_parse_stream). */
	c->cont = false;
	if (s < end && is_space(*s) && c->have_key) {
		const char *t = s;

		while (t < end && is_space(*t))
			t++;
		c->cont = t < end && *t != ';' && *t != '#';
		return str;
	}
	while (s < end && is_space(*s))
		s++;
	if (s < end && *s == '[') {
		c->have_key = false;
		header(c, s, end);
	}
	return str;
}

static bool is_list_key(const char *key)
{
	return strcmp(key, "aliases") == 0 || strcmp(key, "exclude") == 0;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct ctx *c = user;
	size_t vlen = strlen(value);
	struct raw *r;

	(void)section; /* inih's cut copy; ours is c->sects[c->n_sects - 1] */
	if (c->err != SW_OK)
		return 1;
	if (c->n_sects == 0) {
		fail(c, c->line, SW_E_INVALID, "key '%.*s' outside any section", SHOWN, key);
		return 1;
	}
	if (c->cont && c->n_raws > 0) {
		r = &c->raws[c->n_raws - 1];
		/* A list continues after a comma; anything else is glued on. */
		if (is_list_key(r->key) && r->val.len > 0 && r->val.data[r->val.len - 1] != ',' &&
		    sw_buf_putc(&r->val, ',') != SW_OK)
			vlen = SIZE_MAX;
		if (vlen == SIZE_MAX || sw_buf_append(&r->val, value, vlen) != SW_OK)
			fail(c, c->line, SW_E_TOO_BIG, "value of '%s' longer than %u bytes", r->key,
			     (unsigned)SW_WATCHLIST_MAX_VALUE);
		return 1;
	}
	c->have_key = true;
	if (grow((void **)&c->raws, &c->cap_raws, c->n_raws + 1, sizeof *r) != SW_OK) {
		fail(c, c->line, SW_E_NOMEM, "out of memory");
		return 1;
	}
	r = &c->raws[c->n_raws++];
	r->sect = c->n_sects - 1;
	r->line = c->line;
	snprintf(r->key, sizeof r->key, "%s", key);
	sw_buf_init(&r->val, SW_WATCHLIST_MAX_VALUE);
	if (strlen(key) >= sizeof r->key)
		fail(c, c->line, SW_E_INVALID, "unknown key '%.*s'", SHOWN, key);
	else if (sw_buf_append(&r->val, value, vlen) != SW_OK || sw_buf_putc(&r->val, 0) != SW_OK)
		fail(c, c->line, SW_E_NOMEM, "out of memory");
	else
		r->val.len--; /* keep data a C string even when empty */
	return 1;
}

/* ---- values ------------------------------------------------------------- */

static const char *val(const struct raw *r)
{
	return r->val.data ? (const char *)r->val.data : "";
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32], i, j;

	if (la >= 31 || lb >= 31)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static const char *const settings_keys[] = {
    "database",      "listen", "secret",        "retention",     "feed_interval", "evidence",
    "allow_private", "dht",    "dht_bootstrap", "geoip_country", "geoip_asn",     NULL};
static const char *const title_keys[] = {"year",    "aliases",  "exclude", "magnet",
                                         "torrent", "infohash", NULL};
static const char *const feed_keys[] = {"url", "interval", NULL};

static int unknown_key(struct ctx *c, const struct raw *r, const struct sect *s,
                       const char *const *keys)
{
	const char *best = NULL;
	char where[SHOWN + 32], hint[64] = "";

	for (size_t i = 0; keys[i] != NULL; i++) {
		if (edit_distance(r->key, keys[i]) <= MAX_SUGGEST) {
			best = keys[i];
			break;
		}
	}
	if (best != NULL)
		snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
	if (s->type == SECT_SETTINGS)
		snprintf(where, sizeof where, "[swarmwatch]");
	else
		snprintf(where, sizeof where, "[%s \"%.*s\"]",
		         s->type == SECT_TITLE ? "title" : "feed", SHOWN,
		         s->type == SECT_TITLE ? c->w->titles[s->index].name
		                               : c->w->feeds[s->index].name);
	return fail(c, r->line, SW_E_INVALID, "unknown key '%s' in %s%s", r->key, where, hint);
}

static int parse_bool(struct ctx *c, const struct raw *r, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(val(r), yes[i]) == 0 || strcasecmp(val(r), no[i]) == 0) {
			*out = strcasecmp(val(r), yes[i]) == 0;
			return SW_OK;
		}
	}
	return fail(c, r->line, SW_E_INVALID, "%s: '%.*s' is not a boolean (yes or no)", r->key,
	            SHOWN, val(r));
}

static int parse_duration(struct ctx *c, const struct raw *r, int64_t min_ms, int64_t *out)
{
	int rc = sw_duration_parse(val(r), out);

	if (rc != SW_OK)
		return fail(c, r->line, rc,
		            "%s: '%.*s' is not a duration (e.g. 90s, 15m, 1h30m, 30d)", r->key,
		            SHOWN, val(r));
	if (*out < min_ms)
		return fail(c, r->line, SW_E_RANGE, "%s: %.*s is shorter than %lld ms", r->key,
		            SHOWN, val(r), (long long)min_ms);
	return SW_OK;
}

/* base_dir/p unless p is absolute or there is no base. */
static int resolve(struct ctx *c, const struct raw *r, const char *p, char **out)
{
	const char *base = c->opts->base_dir;
	size_t n;

	free(*out);
	*out = NULL;
	if (*p == '\0')
		return fail(c, r->line, SW_E_INVALID, "%s: empty path", r->key);
	if (p[0] == '/' || base == NULL || *base == '\0') {
		*out = strdup(p);
	} else {
		n = strlen(base) + strlen(p) + 2;
		*out = malloc(n);
		if (*out != NULL)
			snprintf(*out, n, "%s/%s", base, p);
	}
	return *out ? SW_OK : fail(c, r->line, SW_E_NOMEM, "out of memory");
}

static int set_path(struct ctx *c, const struct raw *r, char **out)
{
	if (*out != NULL)
		return fail(c, r->line, SW_E_INVALID, "%s given twice", r->key);
	return resolve(c, r, val(r), out);
}

static int set_string(struct ctx *c, const struct raw *r, char **out)
{
	if (*out != NULL)
		return fail(c, r->line, SW_E_INVALID, "%s given twice", r->key);
	if (r->val.len == 0)
		return fail(c, r->line, SW_E_INVALID, "%s: empty value", r->key);
	*out = strdup(val(r));
	return *out ? SW_OK : fail(c, r->line, SW_E_NOMEM, "out of memory");
}

static int settings_key(struct ctx *c, const struct raw *r, const struct sect *s)
{
	struct sw_watchlist *w = c->w;
	struct sw_addr a;
	const char *k = r->key;

	if (strcmp(k, "database") == 0)
		return set_path(c, r, &w->database);
	if (strcmp(k, "secret") == 0)
		return set_path(c, r, &w->secret);
	if (strcmp(k, "geoip_country") == 0)
		return set_path(c, r, &w->geoip_country);
	if (strcmp(k, "geoip_asn") == 0)
		return set_path(c, r, &w->geoip_asn);
	if (strcmp(k, "listen") == 0) {
		if (sw_addr_parse(&a, val(r)) != SW_OK)
			return fail(c, r->line, SW_E_INVALID,
			            "listen: '%.*s' is not an address and port (1.2.3.4:6881 or "
			            "[::1]:6881)",
			            SHOWN, val(r));
		return set_string(c, r, &w->listen);
	}
	if (strcmp(k, "retention") == 0)
		return parse_duration(c, r, 1000, &w->retention_ms);
	if (strcmp(k, "feed_interval") == 0)
		return parse_duration(c, r, SW_WATCHLIST_MIN_FEED_INTERVAL_MS,
		                      &w->feed_interval_ms);
	if (strcmp(k, "evidence") == 0)
		return parse_bool(c, r, &w->evidence);
	if (strcmp(k, "allow_private") == 0)
		return parse_bool(c, r, &w->allow_private);
	if (strcmp(k, "dht") == 0)
		return parse_bool(c, r, &w->dht);
	if (strcmp(k, "dht_bootstrap") == 0) {
		if (r->val.len == 0 || strchr(val(r), ':') == NULL || strchr(val(r), ' ') != NULL)
			return fail(c, r->line, SW_E_INVALID,
			            "dht_bootstrap: '%.*s' is not host:port", SHOWN, val(r));
		if (w->n_dht_bootstrap >= SW_WATCHLIST_MAX_VALUES)
			return fail(c, r->line, SW_E_TOO_BIG, "over %u dht_bootstrap nodes",
			            (unsigned)SW_WATCHLIST_MAX_VALUES);
		if (strv_push(&w->dht_bootstrap, &w->n_dht_bootstrap, val(r), r->val.len))
			return fail(c, r->line, SW_E_NOMEM, "out of memory");
		return SW_OK;
	}
	return unknown_key(c, r, s, settings_keys);
}

/*
 * Split a comma list ("Herz aus Stahl, \"Crouching Tiger, Hidden Dragon\"")
 * and append its items to *v.
 */
static int list_key(struct ctx *c, const struct raw *r, char ***v, size_t *n)
{
	const char *s = val(r), *end = s + r->val.len;
	struct sw_buf item;
	int rc = SW_OK;

	sw_buf_init(&item, SW_WATCHLIST_MAX_VALUE);
	while (rc == SW_OK) {
		struct sw_words words;

		sw_buf_reset(&item);
		while (s < end && is_space(*s))
			s++;
		if (s < end && *s == '"') {
			s = quoted(s, end, &item);
			if (s == NULL) {
				rc = fail(c, r->line, SW_E_INVALID, "%s: unterminated quote",
				          r->key);
				break;
			}
			while (s < end && is_space(*s))
				s++;
			if (s < end && *s != ',') {
				rc = fail(c, r->line, SW_E_INVALID,
				          "%s: text after a quoted item (a comma is missing)",
				          r->key);
				break;
			}
		} else {
			const char *comma = memchr(s, ',', (size_t)(end - s)),
			           *e = comma ? comma : end;

			while (e > s && is_space(e[-1]))
				e--;
			if (sw_buf_append(&item, s, (size_t)(e - s)) != SW_OK) {
				rc = fail(c, r->line, SW_E_NOMEM, "out of memory");
				break;
			}
			s = comma ? comma : end;
		}
		if (item.len == 0 ||
		    sw_words_split((const char *)item.data, item.len, &words) != SW_OK ||
		    words.n == 0) {
			rc = fail(c, r->line, SW_E_INVALID, "%s: an item has no words%s", r->key,
			          item.len > SW_WORDS_MAX ? " or too many" : "");
			break;
		}
		if (*n + 1 >= MAX_LIST_ITEMS) {
			rc = fail(c, r->line, SW_E_TOO_BIG, "over %d %s for one title",
			          MAX_LIST_ITEMS - 1, r->key);
			break;
		}
		if (strv_push(v, n, (const char *)item.data, item.len) != SW_OK) {
			rc = fail(c, r->line, SW_E_NOMEM, "out of memory");
			break;
		}
		if (s >= end)
			break;
		s++; /* the comma */
	}
	sw_buf_deinit(&item);
	return rc;
}

static int parse_year(struct ctx *c, const struct raw *r, unsigned *out)
{
	const char *s = val(r);
	unsigned long y = 0;
	size_t i;

	if (*out != 0)
		return fail(c, r->line, SW_E_INVALID, "year given twice");
	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 5; i++)
		y = y * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i] != '\0')
		return fail(c, r->line, SW_E_INVALID, "year '%.*s' is not a number", SHOWN, s);
	if (y < SW_WATCHLIST_YEAR_MIN || y > SW_WATCHLIST_YEAR_MAX)
		return fail(c, r->line, SW_E_RANGE, "year %lu is out of range (%d..%d)", y,
		            SW_WATCHLIST_YEAR_MIN, SW_WATCHLIST_YEAR_MAX);
	*out = (unsigned)y;
	return SW_OK;
}

static int infohash_key(struct ctx *c, const struct raw *r, struct sw_watch_title *t)
{
	uint8_t ih[SW_INFOHASH_LEN], (*q)[SW_INFOHASH_LEN];
	int ok;

	if (r->val.len == HEX_IH_LEN)
		ok = sw_hex_decode(val(r), r->val.len, ih, sizeof ih) == SW_OK;
	else if (r->val.len == BASE32_IH_LEN)
		ok = sw_base32_decode(val(r), r->val.len, ih, sizeof ih) == SW_OK;
	else
		ok = 0;
	if (!ok)
		return fail(c, r->line, SW_E_INVALID,
		            "bad infohash '%.*s' (expected 40 hex digits or 32 base32 "
		            "characters)",
		            SHOWN, val(r));
	if (t->n_infohashes >= SW_WATCHLIST_MAX_VALUES)
		return fail(c, r->line, SW_E_TOO_BIG, "over %u infohashes for one title",
		            (unsigned)SW_WATCHLIST_MAX_VALUES);
	q = realloc(t->infohashes, (t->n_infohashes + 1) * sizeof *t->infohashes);
	if (q == NULL)
		return fail(c, r->line, SW_E_NOMEM, "out of memory");
	t->infohashes = q;
	memcpy(t->infohashes[t->n_infohashes++], ih, sizeof ih);
	return SW_OK;
}

static int magnet_key(struct ctx *c, const struct raw *r, struct sw_watch_title *t)
{
	struct sw_magnet *m = NULL;
	struct sw_errbuf eb = {{0}};
	int rc = sw_magnet_parse(val(r), r->val.len, &m, &eb);

	sw_magnet_free(m);
	if (rc != SW_OK)
		return fail(c, r->line, rc, "bad magnet: %s", eb.msg[0] ? eb.msg : sw_strerror(rc));
	if (t->n_magnets >= SW_WATCHLIST_MAX_VALUES)
		return fail(c, r->line, SW_E_TOO_BIG, "over %u magnets for one title",
		            (unsigned)SW_WATCHLIST_MAX_VALUES);
	if (strv_push(&t->magnets, &t->n_magnets, val(r), r->val.len) != SW_OK)
		return fail(c, r->line, SW_E_NOMEM, "out of memory");
	return SW_OK;
}

static int torrent_key(struct ctx *c, const struct raw *r, struct sw_watch_title *t)
{
	char *path = NULL;
	struct stat st;
	int rc = resolve(c, r, val(r), &path);

	if (rc != SW_OK)
		return rc;
	if (c->opts->check_files && stat(path, &st) != 0) {
		rc = fail(c, r->line, errno == ENOENT ? SW_E_NOT_FOUND : SW_E_IO,
		          "torrent '%.*s': %s", SHOWN, path,
		          errno == ENOENT ? "no such file" : strerror(errno));
		free(path);
		return rc;
	}
	if (c->opts->check_files && !S_ISREG(st.st_mode)) {
		rc = fail(c, r->line, SW_E_IO, "torrent '%.*s': not a regular file", SHOWN, path);
		free(path);
		return rc;
	}
	if (t->n_torrents >= SW_WATCHLIST_MAX_VALUES)
		rc = fail(c, r->line, SW_E_TOO_BIG, "over %u torrents for one title",
		          (unsigned)SW_WATCHLIST_MAX_VALUES);
	else if (strv_push(&t->torrents, &t->n_torrents, path, strlen(path)) != SW_OK)
		rc = fail(c, r->line, SW_E_NOMEM, "out of memory");
	free(path);
	return rc;
}

static int title_key(struct ctx *c, const struct raw *r, const struct sect *s)
{
	struct sw_watch_title *t = &c->w->titles[s->index];
	const char *k = r->key;

	if (strcmp(k, "year") == 0)
		return parse_year(c, r, &t->year);
	if (strcmp(k, "aliases") == 0)
		return list_key(c, r, &t->aliases, &t->n_aliases);
	if (strcmp(k, "exclude") == 0)
		return list_key(c, r, &t->excludes, &t->n_excludes);
	if (strcmp(k, "magnet") == 0)
		return magnet_key(c, r, t);
	if (strcmp(k, "torrent") == 0)
		return torrent_key(c, r, t);
	if (strcmp(k, "infohash") == 0)
		return infohash_key(c, r, t);
	return unknown_key(c, r, s, title_keys);
}

/* "file:///x" (or file://localhost/x) -> "/x", %XX decoded in place. */
static int file_url(char *u)
{
	char *p = u + strlen("file://"), *d = u;

	if (strncasecmp(p, "localhost/", 10) == 0)
		p += strlen("localhost");
	if (*p != '/')
		return SW_E_INVALID;
	for (; *p; p++) {
		unsigned v;

		if (*p == '%') {
			if (sscanf(p + 1, "%2x", &v) != 1 || v == 0 || !p[1] || !p[2])
				return SW_E_INVALID;
			*d++ = (char)v;
			p += 2;
		} else {
			*d++ = *p;
		}
	}
	*d = '\0';
	return SW_OK;
}

static int feed_url(struct ctx *c, const struct raw *r, struct sw_watch_feed *f)
{
	const char *v = val(r), *colon = strchr(v, ':');
	char *u;

	if (f->url != NULL)
		return fail(c, r->line, SW_E_INVALID, "url given twice");
	if (strncasecmp(v, "http://", 7) == 0 || strncasecmp(v, "https://", 8) == 0) {
		if (strlen(v) <= (size_t)(v[4] == ':' ? 7 : 8) || strpbrk(v, " \t\"<>") != NULL)
			return fail(c, r->line, SW_E_INVALID, "url: '%.*s' is not a valid URL",
			            SHOWN, v);
		f->url = strdup(v);
		return f->url ? SW_OK : fail(c, r->line, SW_E_NOMEM, "out of memory");
	}
	f->is_file = true;
	if (strncasecmp(v, "file://", 7) == 0) {
		if ((u = strdup(v)) == NULL)
			return fail(c, r->line, SW_E_NOMEM, "out of memory");
		if (file_url(u) != SW_OK) {
			free(u);
			return fail(c, r->line, SW_E_INVALID,
			            "url: '%.*s' is not a file:///absolute/path URL", SHOWN, v);
		}
		f->url = u;
		return SW_OK;
	}
	if (colon != NULL && colon > v &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyz+.-") == (size_t)(colon - v))
		return fail(c, r->line, SW_E_UNSUPPORTED,
		            "url: unsupported scheme '%.*s' (http, https, file, or a path)",
		            (int)(colon - v < SHOWN ? colon - v : SHOWN), v);
	return resolve(c, r, v, &f->url);
}

static int feed_key(struct ctx *c, const struct raw *r, const struct sect *s)
{
	struct sw_watch_feed *f = &c->w->feeds[s->index];

	if (strcmp(r->key, "url") == 0)
		return feed_url(c, r, f);
	if (strcmp(r->key, "interval") == 0)
		return parse_duration(c, r, SW_WATCHLIST_MIN_FEED_INTERVAL_MS, &f->interval_ms);
	return unknown_key(c, r, s, feed_keys);
}

/* ---- building the result ------------------------------------------------ */

static int add_section(struct ctx *c, struct sect *s)
{
	struct sw_watchlist *w = c->w;
	struct sw_words words;

	if (s->type == SECT_TITLE) {
		if (w->n_titles >= SW_WATCHLIST_MAX_TITLES)
			return fail(c, s->line, SW_E_TOO_BIG, "over %u titles",
			            (unsigned)SW_WATCHLIST_MAX_TITLES);
		if (sw_words_split(s->name, strlen(s->name), &words) != SW_OK || words.n == 0)
			return fail(c, s->line, SW_E_INVALID,
			            "title \"%.*s\" has no words or too many", SHOWN, s->name);
		if (grow((void **)&w->titles, &c->cap_titles, w->n_titles + 1, sizeof *w->titles) !=
		    SW_OK)
			return fail(c, s->line, SW_E_NOMEM, "out of memory");
		s->index = w->n_titles++;
		memset(&w->titles[s->index], 0, sizeof w->titles[0]);
		w->titles[s->index].name = s->name;
		w->titles[s->index].line = s->line;
		s->name = NULL; /* the title owns it now */
	} else if (s->type == SECT_FEED) {
		if (w->n_feeds >= SW_WATCHLIST_MAX_FEEDS)
			return fail(c, s->line, SW_E_TOO_BIG, "over %u feeds",
			            (unsigned)SW_WATCHLIST_MAX_FEEDS);
		for (size_t i = 0; i < w->n_feeds; i++) {
			if (strcmp(w->feeds[i].name, s->name) == 0)
				return fail(c, s->line, SW_E_INVALID,
				            "duplicate feed \"%.*s\" (first at line %u)", SHOWN,
				            s->name, w->feeds[i].line);
		}
		if (grow((void **)&w->feeds, &c->cap_feeds, w->n_feeds + 1, sizeof *w->feeds) !=
		    SW_OK)
			return fail(c, s->line, SW_E_NOMEM, "out of memory");
		s->index = w->n_feeds++;
		memset(&w->feeds[s->index], 0, sizeof w->feeds[0]);
		w->feeds[s->index].name = s->name;
		w->feeds[s->index].line = s->line;
		s->name = NULL;
	}
	return SW_OK;
}

/* After every key: what needs the whole section (duplicates, required keys). */
static int check_sections(struct ctx *c)
{
	struct sw_watchlist *w = c->w;

	for (size_t i = 0; i < w->n_titles; i++) {
		const struct sw_watch_title *t = &w->titles[i];

		for (size_t j = 0; j < i; j++) {
			const struct sw_watch_title *u = &w->titles[j];

			if (strcasecmp(t->name, u->name) == 0 && t->year == u->year)
				return fail(c, t->line, SW_E_INVALID,
				            "duplicate title \"%.*s\"%s (first at line %u)", SHOWN,
				            t->name, t->year ? " with the same year" : "", u->line);
		}
	}
	for (size_t i = 0; i < w->n_feeds; i++) {
		struct sw_watch_feed *f = &w->feeds[i];

		if (f->url == NULL)
			return fail(c, f->line, SW_E_INVALID, "[feed \"%.*s\"] has no url", SHOWN,
			            f->name);
		if (f->interval_ms == 0)
			f->interval_ms = w->feed_interval_ms;
	}
	return SW_OK;
}

static int build(struct ctx *c)
{
	struct sw_watchlist *w = c->w;
	size_t r = 0;

	for (size_t i = 0; i < c->n_sects; i++) {
		struct sect *s = &c->sects[i];

		if (add_section(c, s) != SW_OK)
			return c->err;
		for (; r < c->n_raws && c->raws[r].sect == i; r++) {
			const struct raw *raw = &c->raws[r];
			int rc;

			if (c->err != SW_OK && c->err_line <= raw->line)
				return c->err;
			if (s->type == SECT_SETTINGS)
				rc = settings_key(c, raw, s);
			else if (s->type == SECT_TITLE)
				rc = title_key(c, raw, s);
			else
				rc = feed_key(c, raw, s);
			if (rc != SW_OK)
				return rc;
		}
	}
	if (check_sections(c) != SW_OK)
		return c->err;
	w->specs = calloc(w->n_titles ? w->n_titles : 1, sizeof *w->specs);
	if (w->specs == NULL)
		return fail(c, 0, SW_E_NOMEM, "out of memory");
	for (size_t i = 0; i < w->n_titles; i++) {
		w->specs[i].name = w->titles[i].name;
		w->specs[i].year = w->titles[i].year;
		w->specs[i].aliases = (const char *const *)w->titles[i].aliases;
		w->specs[i].excludes = (const char *const *)w->titles[i].excludes;
	}
	return SW_OK;
}

static void ctx_deinit(struct ctx *c)
{
	for (size_t i = 0; i < c->n_sects; i++)
		free(c->sects[i].name);
	free(c->sects);
	for (size_t i = 0; i < c->n_raws; i++)
		sw_buf_deinit(&c->raws[i].val);
	free(c->raws);
}

int sw_watchlist_parse(const char *text, size_t len, const struct sw_watchlist_opts *opts,
                       struct sw_watchlist **out, struct sw_errbuf *eb)
{
	static const struct sw_watchlist_opts none = {NULL, NULL, false};
	struct ctx c;
	const char *name;
	int rc, syntax;

	if (out == NULL || (text == NULL && len > 0))
		return sw_errbuf_set(eb, SW_E_INVALID, "watchlist: NULL argument");
	*out = NULL;
	memset(&c, 0, sizeof c);
	c.opts = opts ? opts : &none;
	name = c.opts->name ? c.opts->name : "<string>";
	if (len > SW_WATCHLIST_MAX_SIZE)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "%s: larger than %u bytes", name,
		                     (unsigned)SW_WATCHLIST_MAX_SIZE);
	c.p = text ? text : "";
	c.end = c.p + len;
	c.w = calloc(1, sizeof *c.w);
	if (c.w == NULL || (c.w->path = strdup(name)) == NULL) {
		rc = sw_errbuf_set(eb, SW_E_NOMEM, "%s: out of memory", name);
		goto out;
	}
	c.w->retention_ms = SW_WATCHLIST_DEF_RETENTION_MS;
	c.w->feed_interval_ms = SW_WATCHLIST_DEF_FEED_INTERVAL_MS;
	c.w->dht = true;
	syntax = ini_parse_stream(reader, &c, handler, &c);
	if (syntax > 0)
		fail(&c, (unsigned)syntax, SW_E_INVALID,
		     "malformed line (expected 'key = value', [section] or a ; comment)");
	else if (syntax < 0)
		fail(&c, 0, SW_E_NOMEM, "inih failed (%d)", syntax);
	if (c.err == SW_OK || c.err_line > 1)
		build(&c);
	rc = c.err;
	if (rc != SW_OK) {
		if (c.err_line > 0)
			sw_errbuf_set(eb, rc, "%s:%u: %s", name, c.err_line, c.err_msg);
		else
			sw_errbuf_set(eb, rc, "%s: %s", name, c.err_msg);
	}
out:
	ctx_deinit(&c);
	if (rc != SW_OK)
		sw_watchlist_free(c.w);
	else
		*out = c.w;
	return rc;
}

int sw_watchlist_load(const char *path, struct sw_watchlist **out, struct sw_errbuf *eb)
{
	struct sw_watchlist_opts o = {path, NULL, true};
	char dir[PATH_MAX], *slash, *real = NULL;
	struct sw_buf in;
	int rc;

	if (path == NULL || out == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "watchlist: NULL argument");
	sw_buf_init(&in, (size_t)SW_WATCHLIST_MAX_SIZE + 1);
	rc = sw_buf_read_file(&in, path);
	if (rc != SW_OK) {
		if (rc == SW_E_TOO_BIG)
			sw_errbuf_set(eb, rc, "%s: larger than %u bytes", path,
			              (unsigned)SW_WATCHLIST_MAX_SIZE);
		else
			sw_errbuf_set(eb, rc, "%s: cannot read: %s", path,
			              rc == SW_E_NOT_FOUND ? "no such file" : strerror(errno));
		goto out;
	}
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	real = realpath(dir, NULL);
	o.base_dir = real ? real : dir;
	rc = sw_watchlist_parse((const char *)in.data, in.len, &o, out, eb);
out:
	free(real);
	sw_buf_deinit(&in);
	return rc;
}

void sw_watchlist_free(struct sw_watchlist *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n_titles; i++) {
		struct sw_watch_title *t = &w->titles[i];

		free(t->name);
		strv_free(t->aliases);
		strv_free(t->excludes);
		strv_free(t->magnets);
		strv_free(t->torrents);
		free(t->infohashes);
	}
	free(w->titles);
	for (size_t i = 0; i < w->n_feeds; i++) {
		free(w->feeds[i].name);
		free(w->feeds[i].url);
	}
	free(w->feeds);
	free(w->specs);
	free(w->path);
	free(w->database);
	free(w->listen);
	free(w->secret);
	strv_free(w->dht_bootstrap);
	free(w->geoip_country);
	free(w->geoip_asn);
	free(w);
}
