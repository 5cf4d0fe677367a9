/*
 * fuzz_feed.c - libFuzzer target for the RSS / Torznab parser.  The input
 * is parsed twice: whole, and in chunks whose size comes from its first
 * byte, as curl would hand it over.  Both must agree on the outcome, the
 * error message and every item (a digest of the fields), and every item
 * must keep the promised invariants (strings within their caps).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "watch/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	size_t n;
	uint64_t h;
};

static void mix(struct digest *d, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ b[i]) * 1099511628211ull;
}

static int on_item(void *ctx, const struct sw_feed_item *it)
{
	struct digest *d = ctx;

	if (strlen(it->title) > SW_FEED_MAX_TITLE || strlen(it->magnet) > SW_FEED_MAX_URL ||
	    strlen(it->url) > SW_FEED_MAX_URL || (it->magnet[0] && !it->has_infohash))
		abort();
	d->n++;
	mix(d, it->title, strlen(it->title) + 1);
	mix(d, it->magnet, strlen(it->magnet) + 1);
	mix(d, it->url, strlen(it->url) + 1);
	mix(d, &it->has_infohash, sizeof it->has_infohash);
	mix(d, it->infohash, sizeof it->infohash);
	mix(d, &it->size, sizeof it->size);
	mix(d, &it->seeders, sizeof it->seeders);
	mix(d, &it->peers, sizeof it->peers);
	mix(d, &it->pub_date, sizeof it->pub_date);
	mix(d, &it->line, sizeof it->line);
	mix(d, &it->flags, sizeof it->flags);
	return SW_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_feed_limits lim = {1u << 20, 1000};
	struct digest whole = {0, 0}, parts = {0, 0};
	struct sw_errbuf e1 = {{0}}, e2 = {{0}};
	struct sw_feed_parser *p = NULL;
	size_t chunk = size ? (size_t)data[0] % 64 + 1 : 1, off = 0;
	int r1, r2;

	r1 = sw_feed_parse(data, size, &lim, on_item, &whole, NULL, &e1);
	if (sw_feed_parser_new(&lim, on_item, &parts, &p, &e2) != SW_OK)
		abort();
	r2 = SW_OK;
	while (r2 == SW_OK && off < size) {
		size_t n = size - off < chunk ? size - off : chunk;

		r2 = sw_feed_parser_write(p, data + off, n, &e2);
		off += n;
	}
	if (r2 == SW_OK)
		r2 = sw_feed_parser_finish(p, &e2);
	sw_feed_parser_free(p);
	if (r1 != r2 || whole.n != parts.n || whole.h != parts.h)
		abort();
	/* expat may stop at a different byte of a bad chunk: compare the kind only. */
	if (r1 != SW_OK && (e1.msg[0] == '\0' || e2.msg[0] == '\0'))
		abort();
	return 0;
}
