/*
 * feedpoll.c - feeds on a timer, new items out.
 *
 * One poll: fetch (sw_http_get with the document cap as its body cap, or
 * read the file in SW_FEEDPOLL_READ_CHUNK pieces), parse everything into
 * owned copies, and only if the document was a good feed, hand out the
 * items whose key the seen-set does not hold.  Then arm the feed's timer
 * for the next poll.  A fetch still in flight when the timer would fire
 * again cannot happen: the timer is armed only when a poll ends.
 *
 * The seen-set: two open-addressing tables of 64-bit keys (0 is "empty",
 * so a key of 0 is stored as 1).  Keys go into the current table; a
 * lookup checks both; when the current one holds max_seen / 2 keys the old
 * one is cleared and the tables swap.  So memory is fixed, every key seen
 * in the last max_seen / 2 insertions is remembered, and an item still
 * listed is re-inserted each poll and never forgotten.
 */
#include "watch/feedpoll.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define FNV64_OFFSET 14695981039346656037ull
#define FNV64_PRIME  1099511628211ull
#define ERR_LEN      SW_ERRBUF_LEN

struct seen {
	uint64_t *slot;
	size_t mask, n;
};

/* An owned copy of an item, until the poll is known to be good. */
struct copy {
	struct sw_feed_item it;
	char *title, *magnet, *url;
};

struct feed {
	struct sw_feedpoll *fp;
	char *name, *url;
	bool is_file;
	int64_t interval_ms;
	unsigned polls;
	struct event *timer;
	struct sw_http_req *req;
	struct feed *next;
};

struct poll {
	struct copy *items;
	size_t n, cap;
};

struct sw_feedpoll {
	struct sw_loop *loop;
	struct sw_http *http;
	struct sw_feedpoll_opts o;
	sw_feedpoll_item_cb on_item;
	sw_feedpoll_report_cb on_report;
	void *ctx;
	struct feed *feeds;
	struct seen seen[2];
	int cur;
};

/* ---- the seen-set ------------------------------------------------------- */

static uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV64_PRIME;
	return h;
}

static uint64_t item_key(const struct sw_feed_item *it)
{
	uint64_t k;

	if (it->has_infohash)
		k = fnv64(FNV64_OFFSET ^ 'i', it->infohash, SW_INFOHASH_LEN);
	else if (it->url[0])
		k = fnv64(FNV64_OFFSET ^ 'u', it->url, strlen(it->url));
	else
		k = fnv64(FNV64_OFFSET ^ 't', it->title, strlen(it->title));
	return k ? k : 1;
}

static bool seen_has(const struct seen *s, uint64_t k)
{
	for (size_t i = (size_t)k & s->mask;; i = (i + 1) & s->mask) {
		if (s->slot[i] == k)
			return true;
		if (s->slot[i] == 0)
			return false;
	}
}

static void seen_put(struct seen *s, uint64_t k)
{
	size_t i;

	for (i = (size_t)k & s->mask; s->slot[i] != 0; i = (i + 1) & s->mask) {
		if (s->slot[i] == k)
			return;
	}
	s->slot[i] = k;
	s->n++;
}

/* true when k was not in either generation; k is in the current one after. */
static bool seen_add(struct sw_feedpoll *fp, uint64_t k)
{
	struct seen *cur = &fp->seen[fp->cur], *old = &fp->seen[!fp->cur];
	bool fresh = !seen_has(cur, k) && !seen_has(old, k);

	if (cur->n >= fp->o.max_seen / 2) {
		memset(old->slot, 0, (old->mask + 1) * sizeof *old->slot);
		old->n = 0;
		fp->cur = !fp->cur;
		cur = old;
	}
	seen_put(cur, k);
	return fresh;
}

/* ---- one poll ----------------------------------------------------------- */

static void poll_free(struct poll *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->items[i].title);
		free(pl->items[i].magnet);
		free(pl->items[i].url);
	}
	free(pl->items);
}

static int keep_item(void *ctx, const struct sw_feed_item *it)
{
	struct poll *pl = ctx;
	struct copy *c;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? 2 * pl->cap : 64;
		struct copy *q = realloc(pl->items, cap * sizeof *q);

		if (q == NULL)
			return SW_E_NOMEM;
		pl->items = q;
		pl->cap = cap;
	}
	c = &pl->items[pl->n];
	c->it = *it;
	c->title = strdup(it->title);
	c->magnet = strdup(it->magnet);
	c->url = strdup(it->url);
	pl->n++;
	if (c->title == NULL || c->magnet == NULL || c->url == NULL)
		return SW_E_NOMEM;
	c->it.title = c->title;
	c->it.magnet = c->magnet;
	c->it.url = c->url;
	return SW_OK;
}

static void rearm(struct feed *f)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(f->interval_ms / 1000);
	tv.tv_usec = (suseconds_t)(f->interval_ms % 1000) * 1000;
	evtimer_add(f->timer, &tv);
}

/* The parse is over (rc): report, hand out what is new, schedule the next. */
static void poll_end(struct feed *f, struct sw_feed_parser *p, struct poll *pl, int rc,
                     const char *error, long status)
{
	struct sw_feedpoll *fp = f->fp;
	struct sw_feedpoll_report r;
	const struct sw_feed_stats *st = p ? sw_feed_parser_stats(p) : NULL;

	memset(&r, 0, sizeof r);
	r.feed = f->name;
	r.poll = ++f->polls;
	r.rc = rc;
	r.error = rc == SW_OK ? "" : error;
	r.http_status = status;
	r.bytes = st ? st->bytes : 0;
	r.items = rc == SW_OK ? pl->n : 0;
	r.skipped = st ? st->skipped : 0;
	r.skip_reason = st ? st->skip_reason : "";
	rearm(f);
	if (rc == SW_OK) {
		for (size_t i = 0; i < pl->n; i++) {
			if (!seen_add(fp, item_key(&pl->items[i].it)))
				continue;
			r.fresh++;
			fp->on_item(fp->ctx, f->name, &pl->items[i].it);
		}
	}
	if (fp->on_report)
		fp->on_report(fp->ctx, &r);
}

static int parser(struct feed *f, struct poll *pl, struct sw_feed_parser **out,
                  struct sw_errbuf *eb)
{
	struct sw_feed_limits lim = {f->fp->o.max_bytes, f->fp->o.max_items};

	memset(pl, 0, sizeof *pl);
	return sw_feed_parser_new(&lim, keep_item, pl, out, eb);
}

static void poll_file(struct feed *f)
{
	struct sw_feed_parser *p = NULL;
	struct sw_errbuf eb = {{0}};
	uint8_t *chunk = NULL;
	struct poll pl;
	FILE *in = NULL;
	int rc = parser(f, &pl, &p, &eb);

	if (rc == SW_OK && (chunk = malloc(SW_FEEDPOLL_READ_CHUNK)) == NULL)
		rc = sw_errbuf_set(&eb, SW_E_NOMEM, "out of memory");
	if (rc == SW_OK && (in = fopen(f->url, "rb")) == NULL)
		rc = sw_errbuf_set(&eb, errno == ENOENT ? SW_E_NOT_FOUND : SW_E_IO,
		                   "cannot read %s: %s", f->url, strerror(errno));
	while (rc == SW_OK) {
		size_t n = fread(chunk, 1, SW_FEEDPOLL_READ_CHUNK, in);

		if (n > 0)
			rc = sw_feed_parser_write(p, chunk, n, &eb);
		if (rc == SW_OK && n < SW_FEEDPOLL_READ_CHUNK) {
			if (ferror(in))
				rc = sw_errbuf_set(&eb, SW_E_IO, "cannot read %s: %s", f->url,
				                   strerror(errno));
			else
				rc = sw_feed_parser_finish(p, &eb);
			break;
		}
	}
	if (in != NULL)
		fclose(in);
	free(chunk);
	poll_end(f, p, &pl, rc, eb.msg, 0);
	poll_free(&pl);
	sw_feed_parser_free(p);
}

static void on_fetched(void *ctx, const struct sw_http_result *res)
{
	struct feed *f = ctx;
	struct sw_feed_parser *p = NULL;
	struct sw_errbuf eb = {{0}};
	struct poll pl;
	int rc;

	f->req = NULL; /* http.c frees it after we return */
	rc = parser(f, &pl, &p, &eb);
	if (rc != SW_OK) {
		/* nothing: eb says why */
	} else if (res->rc == SW_E_TOO_BIG) {
		rc = sw_errbuf_set(&eb, SW_E_TOO_BIG, "feed larger than %zu bytes (fetch stopped)",
		                   f->fp->o.max_bytes);
	} else if (res->rc != SW_OK) {
		rc = sw_errbuf_set(&eb, res->rc, "fetch failed: %s", res->error);
	} else if (res->status != 200) {
		rc = sw_errbuf_set(&eb, SW_E_IO, "HTTP status %ld", res->status);
	} else {
		rc = sw_feed_parser_write(p, res->body, res->len, &eb);
		if (rc == SW_OK)
			rc = sw_feed_parser_finish(p, &eb);
	}
	poll_end(f, p, &pl, rc, eb.msg, res->status);
	poll_free(&pl);
	sw_feed_parser_free(p);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct feed *f = arg;
	struct sw_http_opts ho;
	struct sw_errbuf eb = {{0}};
	int rc;

	(void)fd;
	(void)what;
	if (f->is_file) {
		poll_file(f);
		return;
	}
	memset(&ho, 0, sizeof ho);
	ho.timeout_ms = f->fp->o.timeout_ms;
	ho.max_body = f->fp->o.max_bytes;
	ho.max_redirects = -1;
	rc = sw_http_get(f->fp->http, f->url, &ho, on_fetched, f, &f->req);
	if (rc != SW_OK) {
		sw_errbuf_set(&eb, rc, "cannot start the fetch: %s", sw_strerror(rc));
		poll_end(f, NULL, &(struct poll){NULL, 0, 0}, rc, eb.msg, 0);
	}
}

/* ---- the poller --------------------------------------------------------- */

int sw_feedpoll_new(struct sw_loop *loop, struct sw_http *http, const struct sw_feedpoll_opts *opts,
                    sw_feedpoll_item_cb on_item, sw_feedpoll_report_cb on_report, void *ctx,
                    struct sw_feedpoll **out, struct sw_errbuf *eb)
{
	struct sw_feedpoll *fp;
	size_t slots = 1;

	if (loop == NULL || on_item == NULL || out == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "feedpoll: NULL argument");
	fp = calloc(1, sizeof *fp);
	if (fp == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "feedpoll: out of memory");
	fp->loop = loop;
	fp->http = http;
	if (opts)
		fp->o = *opts;
	if (fp->o.max_bytes == 0)
		fp->o.max_bytes = SW_FEED_MAX_BYTES;
	if (fp->o.max_items == 0)
		fp->o.max_items = SW_FEED_MAX_ITEMS;
	if (fp->o.timeout_ms <= 0)
		fp->o.timeout_ms = SW_FEEDPOLL_TIMEOUT_MS;
	if (fp->o.max_seen < 2)
		fp->o.max_seen = SW_FEEDPOLL_MAX_SEEN;
	while (slots < fp->o.max_seen) /* each table at most half full */
		slots *= 2;
	fp->on_item = on_item;
	fp->on_report = on_report;
	fp->ctx = ctx;
	for (int i = 0; i < 2; i++) {
		fp->seen[i].slot = calloc(slots, sizeof *fp->seen[i].slot);
		fp->seen[i].mask = slots - 1;
		if (fp->seen[i].slot == NULL) {
			sw_feedpoll_free(fp);
			return sw_errbuf_set(eb, SW_E_NOMEM, "feedpoll: out of memory");
		}
	}
	*out = fp;
	return SW_OK;
}

int sw_feedpoll_add(struct sw_feedpoll *fp, const char *name, const char *url, bool is_file,
                    int64_t interval_ms, struct sw_errbuf *eb)
{
	struct feed *f;
	struct timeval now = {0, 0};

	if (fp == NULL || name == NULL || url == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "feedpoll: NULL argument");
	if (interval_ms <= 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "feed %s: interval must be positive", name);
	if (!is_file && fp->http == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "feed %s: an URL needs an HTTP client",
		                     name);
	for (f = fp->feeds; f != NULL; f = f->next) {
		if (strcmp(f->name, name) == 0)
			return sw_errbuf_set(eb, SW_E_INVALID, "feed %s: added twice", name);
	}
	f = calloc(1, sizeof *f);
	if (f == NULL || (f->name = strdup(name)) == NULL || (f->url = strdup(url)) == NULL ||
	    (f->timer = evtimer_new(fp->loop->base, on_timer, f)) == NULL) {
		if (f != NULL) {
			free(f->name);
			free(f->url);
			free(f);
		}
		return sw_errbuf_set(eb, SW_E_NOMEM, "feedpoll: out of memory");
	}
	f->fp = fp;
	f->is_file = is_file;
	f->interval_ms = interval_ms;
	f->next = fp->feeds;
	fp->feeds = f;
	evtimer_add(f->timer, &now);
	return SW_OK;
}

static void feed_free(struct feed *f)
{
	if (f->req != NULL)
		sw_http_cancel(f->fp->http, f->req);
	event_free(f->timer);
	free(f->name);
	free(f->url);
	free(f);
}

int sw_feedpoll_remove(struct sw_feedpoll *fp, const char *name)
{
	for (struct feed **pp = &fp->feeds; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, name) == 0) {
			struct feed *f = *pp;

			*pp = f->next;
			feed_free(f);
			return SW_OK;
		}
	}
	return SW_E_NOT_FOUND;
}

void sw_feedpoll_free(struct sw_feedpoll *fp)
{
	if (fp == NULL)
		return;
	while (fp->feeds != NULL) {
		struct feed *f = fp->feeds;

		fp->feeds = f->next;
		feed_free(f);
	}
	free(fp->seen[0].slot);
	free(fp->seen[1].slot);
	free(fp);
}
