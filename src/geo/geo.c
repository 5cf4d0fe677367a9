/*
 * geo.c - country and ASN lookups through libmaxminddb (see geo.h).
 *
 * A lookup walks each database's search tree (up to 128 steps) and then
 * decodes the record's fields by name; the cost is a few hundred
 * nanoseconds per database, dominated by cache misses in the mapped file.
 * Peers cluster by network (many addresses of one provider's /24), so a
 * direct-mapped cache of answers per /24 (IPv4) or /48 (IPv6) saves most of
 * that on real streams; bench/bench_geo.c measures both paths.
 *
 * The cache is only correct when the answer is the same for the whole
 * /24 or /48.  libmaxminddb tells the prefix length of the network a
 * lookup landed in (a record, or an empty part of the tree): when it is
 * at most the cache's prefix in every open database, the whole cache
 * network shares the answer and it is stored; otherwise (the databases
 * split the /24, as the test bed's do) the lookup is not cached.
 */
#include "geo/geo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>

#define IPV4_IN_V6_BITS 96 /* an IPv4 address sits at ::a.b.c.d/96 in an IPv6 tree */

struct db {
	MMDB_s mmdb;
	bool open;
	bool flat;        /* country: @ip-location-db's country_code first */
	const char *path; /* points into the struct sw_geo's copy */
};

struct cache_ent {
	uint64_t key; /* 0: empty */
	struct sw_geo_info info;
};

struct sw_geo {
	struct db country, asn;
	bool cache_on;
	struct sw_geo_stats stats;
	struct cache_ent *cache; /* SW_GEO_CACHE_SLOTS entries, or NULL */
	char paths[];            /* the two paths, NUL-terminated */
};

static int open_db(struct db *d, const char *path, struct sw_errbuf *eb)
{
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &d->mmdb);

	if (rc == MMDB_FILE_OPEN_ERROR)
		return sw_errbuf_set(eb, errno == ENOENT ? SW_E_NOT_FOUND : SW_E_IO,
		                     "geo: cannot open %s: %s", path, strerror(errno));
	if (rc == MMDB_OUT_OF_MEMORY_ERROR)
		return sw_errbuf_set(eb, SW_E_NOMEM, "geo: out of memory opening %s", path);
	if (rc == MMDB_IO_ERROR)
		return sw_errbuf_set(eb, SW_E_IO, "geo: cannot read %s: %s", path,
		                     MMDB_strerror(rc));
	if (rc != MMDB_SUCCESS)
		return sw_errbuf_set(eb, SW_E_INVALID, "geo: %s is not a usable MaxMind DB: %s",
		                     path, MMDB_strerror(rc));
	d->open = true;
	d->path = path;
	/* GeoLite2/GeoIP2 files say so in their type; others are tried flat first. */
	d->flat = d->mmdb.metadata.database_type == NULL ||
	          (strstr(d->mmdb.metadata.database_type, "GeoLite2") == NULL &&
	           strstr(d->mmdb.metadata.database_type, "GeoIP2") == NULL);
	return SW_OK;
}

int sw_geo_open(const char *country_path, const char *asn_path, struct sw_geo **out,
                struct sw_errbuf *eb)
{
	size_t lc = country_path != NULL ? strlen(country_path) + 1 : 0;
	size_t la = asn_path != NULL ? strlen(asn_path) + 1 : 0;
	struct sw_geo *g = calloc(1, sizeof(*g) + lc + la);
	int rc = SW_OK;

	*out = NULL;
	if (g == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "geo: out of memory");
	g->cache_on = SW_GEO_CACHE_SLOTS > 0;
	if (SW_GEO_CACHE_SLOTS > 0 &&
	    (g->cache = calloc(SW_GEO_CACHE_SLOTS + 0u, sizeof(*g->cache))) == NULL) {
		rc = sw_errbuf_set(eb, SW_E_NOMEM, "geo: out of memory");
		goto out;
	}
	if (country_path != NULL) {
		memcpy(g->paths, country_path, lc);
		if ((rc = open_db(&g->country, g->paths, eb)) != SW_OK)
			goto out;
	}
	if (asn_path != NULL) {
		memcpy(g->paths + lc, asn_path, la);
		if ((rc = open_db(&g->asn, g->paths + lc, eb)) != SW_OK)
			goto out;
	}
out:
	if (rc != SW_OK) {
		sw_geo_close(g);
		return rc;
	}
	*out = g;
	return SW_OK;
}

void sw_geo_close(struct sw_geo *g)
{
	if (g == NULL)
		return;
	if (g->country.open)
		MMDB_close(&g->country.mmdb);
	if (g->asn.open)
		MMDB_close(&g->asn.mmdb);
	free(g->cache);
	free(g);
}

bool sw_geo_has_country(const struct sw_geo *g)
{
	return g->country.open;
}

bool sw_geo_has_asn(const struct sw_geo *g)
{
	return g->asn.open;
}

void sw_geo_get_stats(const struct sw_geo *g, struct sw_geo_stats *out)
{
	*out = g->stats;
}

void sw_geo_set_cache(struct sw_geo *g, bool on)
{
	g->cache_on = on && g->cache != NULL;
}

/* --- decoding --------------------------------------------------------------- */

/* Look a path up in e; SW_OK with data->has_data false when absent. */
static int get(const struct db *d, MMDB_entry_s *e, MMDB_entry_data_s *data,
               const char *const *path, struct sw_errbuf *eb)
{
	int rc = MMDB_aget_value(e, data, path);

	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		data->has_data = false;
		return SW_OK;
	}
	if (rc != MMDB_SUCCESS)
		return sw_errbuf_set(eb, SW_E_INVALID, "geo: %s: bad record for %s: %s", d->path,
		                     path[0], MMDB_strerror(rc));
	return SW_OK;
}

static bool copy_country(const MMDB_entry_data_s *data, char out[SW_GEO_COUNTRY_LEN])
{
	const char *s = data->utf8_string;

	if (!data->has_data || data->type != MMDB_DATA_TYPE_UTF8_STRING || data->data_size != 2 ||
	    s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return false;
	out[0] = s[0];
	out[1] = s[1];
	out[2] = 0;
	return true;
}

static int lookup_country(const struct db *d, MMDB_entry_s *e, struct sw_geo_info *out,
                          struct sw_errbuf *eb)
{
	static const char *const nested[] = {"country", "iso_code", NULL};
	static const char *const registered[] = {"registered_country", "iso_code", NULL};
	static const char *const flat[] = {"country_code", NULL};
	const char *const *order[3] = {nested, registered, flat};
	MMDB_entry_data_s data;
	int rc;

	if (d->flat) {
		order[0] = flat;
		order[2] = nested;
	}
	for (int i = 0; i < 3; i++) {
		if ((rc = get(d, e, &data, order[i], eb)) != SW_OK)
			return rc;
		if (copy_country(&data, out->country))
			return SW_OK;
	}
	return SW_OK;
}

static void copy_org(const MMDB_entry_data_s *data, char out[SW_GEO_ORG_LEN])
{
	size_t n = data->data_size;

	if (!data->has_data || data->type != MMDB_DATA_TYPE_UTF8_STRING)
		return;
	if (n > SW_GEO_ORG_LEN - 1) {
		n = SW_GEO_ORG_LEN - 1;
		/* back up to the start of a UTF-8 sequence */
		while (n > 0 && ((uint8_t)data->utf8_string[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, data->utf8_string, n);
	out[n] = 0;
	/* a NUL inside the name would end it early; keep what precedes it */
}

static int lookup_asn(const struct db *d, MMDB_entry_s *e, struct sw_geo_info *out,
                      struct sw_errbuf *eb)
{
	static const char *const number[] = {"autonomous_system_number", NULL};
	static const char *const org[] = {"autonomous_system_organization", NULL};
	MMDB_entry_data_s data;
	int rc;

	if ((rc = get(d, e, &data, number, eb)) != SW_OK)
		return rc;
	if (data.has_data) {
		if (data.type == MMDB_DATA_TYPE_UINT32)
			out->asn = data.uint32;
		else if (data.type == MMDB_DATA_TYPE_UINT16)
			out->asn = data.uint16;
		else if (data.type == MMDB_DATA_TYPE_UINT64 && data.uint64 <= UINT32_MAX)
			out->asn = (uint32_t)data.uint64;
	}
	if ((rc = get(d, e, &data, org, eb)) != SW_OK)
		return rc;
	copy_org(&data, out->org);
	return SW_OK;
}

/* --- lookup ----------------------------------------------------------------- */

/* One database: fill out; *prefix_out is the found network's prefix length
 * counted in a's own family. */
static int lookup_db(const struct db *d, const struct sockaddr *sa, const struct sw_addr *a,
                     bool is_country, struct sw_geo_info *out, unsigned *prefix_out,
                     struct sw_errbuf *eb)
{
	int mmdb_err = MMDB_SUCCESS;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&d->mmdb, sa, &mmdb_err);
	unsigned prefix = r.netmask;

	if (mmdb_err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) {
		*prefix_out = 0; /* the whole IPv6 space is unknown to this file */
		return SW_OK;
	}
	if (mmdb_err != MMDB_SUCCESS)
		return sw_errbuf_set(eb, SW_E_INVALID, "geo: %s: lookup failed: %s", d->path,
		                     MMDB_strerror(mmdb_err));
	if (a->family == AF_INET && d->mmdb.metadata.ip_version == 6)
		prefix = prefix >= IPV4_IN_V6_BITS ? prefix - IPV4_IN_V6_BITS : 0;
	*prefix_out = prefix;
	if (!r.found_entry)
		return SW_OK;
	return is_country ? lookup_country(d, &r.entry, out, eb) : lookup_asn(d, &r.entry, out, eb);
}

static uint64_t cache_key(const struct sw_addr *a)
{
	uint64_t k = (uint64_t)a->family << 56;

	if (a->family == AF_INET)
		k |= (uint64_t)a->ip[0] << 16 | (uint64_t)a->ip[1] << 8 | a->ip[2];
	else
		for (int i = 0; i < SW_GEO_CACHE_PREFIX6 / 8; i++)
			k |= (uint64_t)a->ip[i] << (8 * i);
	return k; /* never 0: family is non-zero */
}

static size_t cache_slot(uint64_t key)
{
	key *= 0x9e3779b97f4a7c15ull;
	return (size_t)(key >> 40) & (SW_GEO_CACHE_SLOTS - 1u);
}

int sw_geo_lookup(struct sw_geo *g, const struct sw_addr *a, struct sw_geo_info *out,
                  struct sw_errbuf *eb)
{
	unsigned limit = a->family == AF_INET ? SW_GEO_CACHE_PREFIX4 : SW_GEO_CACHE_PREFIX6;
	unsigned pc = 0, pa = 0;
	struct sockaddr_storage ss;
	struct cache_ent *ce = NULL;
	uint64_t key = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	g->stats.lookups++;
	if (a->family != AF_INET && a->family != AF_INET6)
		return sw_errbuf_set(eb, SW_E_INVALID, "geo: address family %u", a->family);
	if (g->cache_on) {
		key = cache_key(a);
		ce = &g->cache[cache_slot(key)];
		if (ce->key == key) {
			*out = ce->info;
			g->stats.cache_hits++;
			return SW_OK;
		}
	}
	sw_addr_to_sockaddr(a, &ss);
	if (g->country.open &&
	    (rc = lookup_db(&g->country, (struct sockaddr *)&ss, a, true, out, &pc, eb)) != SW_OK)
		return rc;
	if (g->asn.open &&
	    (rc = lookup_db(&g->asn, (struct sockaddr *)&ss, a, false, out, &pa, eb)) != SW_OK)
		return rc;
	if (ce != NULL && pc <= limit && pa <= limit) {
		ce->key = key;
		ce->info = *out;
	}
	return SW_OK;
}
