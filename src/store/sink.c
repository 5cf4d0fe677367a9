/*
 * sink.c - the backend-neutral half of the store: record validation,
 * address canonicalisation, and dispatch through the ops table.
 *
 * Validation lives here rather than in each backend so that SQLite and a
 * later ClickHouse backend refuse exactly the same records with the same
 * messages, and so that a backend can bind fields without re-checking them
 * (the SQLite schema carries no CHECK constraints on the hot tables: they
 * would cost on every insert what this file checks once).
 */
#include "store/sink.h"

#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int check_text(const char *what, const char *s, struct sw_errbuf *eb)
{
	if (s != NULL && strnlen(s, SW_SINK_TEXT_MAX + 1) > SW_SINK_TEXT_MAX)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "store: %s longer than %d bytes", what,
		                     SW_SINK_TEXT_MAX);
	return SW_OK;
}

static int check_observation(const struct sw_observation *o, struct sw_errbuf *eb)
{
	if (o->ts_ms < 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: observation time is negative");
	if ((unsigned)o->source >= SW_SOURCE_COUNT)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: unknown source %d", (int)o->source);
	if ((unsigned)o->tier >= SW_TIER_COUNT)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: unknown tier %d", (int)o->tier);
	if (o->has_have && !(o->have >= 0.0 && o->have <= 1.0))
		return sw_errbuf_set(eb, SW_E_INVALID, "store: have fraction %g outside 0..1",
		                     o->have);
	if (memchr(o->country, 0, sizeof(o->country)) == NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: country is not a C string");
	if (o->addr.family != AF_INET && o->addr.family != AF_INET6)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: unknown address family %u",
		                     (unsigned)o->addr.family);
	return SW_OK;
}

int sw_sink_put_observation(struct sw_sink *sink, const struct sw_observation *obs,
                            struct sw_errbuf *eb)
{
	int rc = check_observation(obs, eb);

	if (rc != SW_OK)
		return rc;
	return sink->ops->put_observation(sink, obs, eb);
}

int sw_sink_put_scrape(struct sw_sink *sink, const struct sw_scrape *sc, struct sw_errbuf *eb)
{
	int rc;

	if (sc->ts_ms < 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: scrape time is negative");
	rc = check_text("tracker url", sc->tracker, eb);
	if (rc != SW_OK)
		return rc;
	return sink->ops->put_scrape(sink, sc, eb);
}

int sw_sink_put_torrent(struct sw_sink *sink, const struct sw_torrent *t, struct sw_errbuf *eb)
{
	int rc = check_text("torrent name", t->name, eb);

	if (rc == SW_OK)
		rc = check_text("torrent source", t->source, eb);
	if (rc != SW_OK)
		return rc;
	return sink->ops->put_torrent(sink, t, eb);
}

int sw_sink_put_title(struct sw_sink *sink, const struct sw_title *t, int64_t *id_out,
                      struct sw_errbuf *eb)
{
	int rc;

	if (t->name == NULL || t->name[0] == '\0')
		return sw_errbuf_set(eb, SW_E_INVALID, "store: title has no name");
	if (t->year < 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: title year %d is negative", t->year);
	if (t->n_aliases > SW_SINK_ALIASES_MAX)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "store: title has more than %d aliases",
		                     SW_SINK_ALIASES_MAX);
	rc = check_text("title name", t->name, eb);
	for (size_t i = 0; rc == SW_OK && i < t->n_aliases; i++) {
		if (t->aliases[i] == NULL)
			return sw_errbuf_set(eb, SW_E_INVALID, "store: title alias %zu is NULL", i);
		rc = check_text("title alias", t->aliases[i], eb);
	}
	if (rc != SW_OK)
		return rc;
	return sink->ops->put_title(sink, t, id_out, eb);
}

int sw_sink_link_torrent_title(struct sw_sink *sink, const uint8_t infohash[SW_INFOHASH_LEN],
                               int64_t title_id, struct sw_errbuf *eb)
{
	if (title_id < 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "store: title id %lld is negative",
		                     (long long)title_id);
	return sink->ops->link_torrent_title(sink, infohash, title_id, eb);
}

int sw_sink_flush(struct sw_sink *sink, struct sw_errbuf *eb)
{
	return sink->ops->flush(sink, eb);
}

int sw_sink_close(struct sw_sink *sink, struct sw_errbuf *eb)
{
	if (sink == NULL)
		return SW_OK;
	return sink->ops->close(sink, eb);
}

const char *sw_sink_backend(const struct sw_sink *sink)
{
	return sink != NULL ? sink->ops->name : "";
}

int sw_sink_addr_key(const struct sw_store_options *opt, const struct sw_addr *addr,
                     uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len, struct sw_errbuf *eb)
{
	const uint8_t *raw;
	size_t raw_len;
	int rc;

	if (addr->family == AF_INET) {
		raw = addr->ip;
		raw_len = SW_ADDR_V4_LEN;
	} else if (addr->family == AF_INET6) {
		raw = addr->ip;
		raw_len = SW_ADDR_V6_LEN;
		if (memcmp(addr->ip, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
			raw = addr->ip + sizeof(v4_mapped_prefix);
			raw_len = SW_ADDR_V4_LEN;
		}
	} else {
		return sw_errbuf_set(eb, SW_E_INVALID, "store: unknown address family %u",
		                     (unsigned)addr->family);
	}
	if (opt == NULL || opt->addr_transform == NULL) {
		memcpy(out, raw, raw_len);
		*out_len = raw_len;
		return SW_OK;
	}
	*out_len = 0;
	rc = opt->addr_transform(opt->addr_transform_ctx, raw, raw_len, out, out_len);
	if (rc != SW_OK)
		return sw_errbuf_set(eb, rc, "store: address transform failed: %s",
		                     sw_strerror(rc));
	if (*out_len == 0 || *out_len > SW_SINK_ADDR_MAX)
		return sw_errbuf_set(eb, SW_E_RANGE, "store: address transform gave %zu bytes",
		                     *out_len);
	return SW_OK;
}

int sw_sink_net_key(const struct sw_store_options *opt, const struct sw_addr *addr,
                    uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len, struct sw_errbuf *eb)
{
	struct sw_addr net;

	*out_len = 0;
	if (addr->family != AF_INET6 ||
	    memcmp(addr->ip, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0)
		return SW_OK; /* IPv4: the address is its own network */
	net = *addr;
	memset(net.ip + 8, 0, SW_ADDR_V6_LEN - 8);
	return sw_sink_addr_key(opt, &net, out, out_len, eb);
}

void sw_store_options_resolve(const struct sw_store_options *opt, struct sw_store_options *out)
{
	if (opt != NULL)
		*out = *opt;
	else
		memset(out, 0, sizeof(*out));
	if (out->batch_rows == 0)
		out->batch_rows = SW_SINK_BATCH_ROWS;
	if (out->fold_rows == 0)
		out->fold_rows = SW_SINK_FOLD_ROWS;
	if (out->busy_timeout_ms == 0)
		out->busy_timeout_ms = SW_SINK_BUSY_TIMEOUT_MS;
	else if (out->busy_timeout_ms < 0)
		out->busy_timeout_ms = 0;
}
