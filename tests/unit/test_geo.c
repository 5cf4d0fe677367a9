/*
 * test_geo.c - country and ASN lookups.
 *
 * 1. The test bed's databases: a mapping of nested 127.x and fd00::
 *    networks is written as JSON, turned into mmdb files by
 *    tests/testbed/make_geo_mmdb.pl in both field layouts (GeoLite2 and
 *    @ip-location-db), and 4,000 addresses are looked up with the cache on
 *    (twice) and off; each answer must equal the longest-prefix match over
 *    the mapping computed here.
 * 2. The installed databases (data/geo, scripts/deps.sh): 1,500 addresses
 *    looked up here and by MaxMind::DB::Reader, the pure-Perl reader
 *    (tests/testbed/geo_lookup.pl), must agree exactly.
 * 3. Absent, missing and corrupt files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/error.h"
#include "geo/geo.h"

#define LONG_ORG "Organisation With Name Long Enough To Be Cut Short In The Cach\xc3\xa9 Of Geo"
/* SW_GEO_ORG_LEN - 1 = 63 bytes would end inside the two-byte "é" */
#define LONG_ORG_CUT "Organisation With Name Long Enough To Be Cut Short In The Cach"

struct net {
	const char *cidr;
	const char *country; /* NULL: not in the country database */
	uint32_t asn;        /* 0: not in the ASN database */
	const char *org;
};

static const struct net mapping[] = {
    {"127.10.0.0/16", "US", 64501, "Testbed US"},
    {"127.10.2.0/26", "FR", 64502, "Testbed Fr\xc3\xa2nce"},
    {"127.10.2.128/25", "DE", 0, NULL},
    {"127.11.0.0/16", "JP", 64503, NULL},
    {"127.12.0.0/24", "GB", 64504, LONG_ORG},
    {"127.12.0.7/32", "IE", 0, NULL},
    {"::1/128", NULL, 64999, "loopback"},
    {"fd00:1::/32", "NL", 64510, "Testbed v6"},
    {"fd00:1:2::/48", "BE", 0, NULL},
    {"fd00:1:3:4::/64", "SE", 64511, "Testbed /64"},
};
#define NMAP (sizeof(mapping) / sizeof(mapping[0]))

static char tmpdir[] = "/tmp/sw_test_geo.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct sw_addr addr(const char *s)
{
	struct sw_addr a;

	if (sw_addr_parse_ip(&a, s, 0) != 0)
		fail_msg("bad address %s", s);
	return a;
}

/* Does a lie in cidr?  *len_out: the prefix length. */
static int in_net(const struct sw_addr *a, const char *cidr, int *len_out)
{
	char ip[64];
	const char *slash = strchr(cidr, '/');
	struct sw_addr n;
	int len = atoi(slash + 1);

	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = 0;
	n = addr(ip);
	if (n.family != a->family)
		return 0;
	for (int b = 0; b < len; b++) {
		int m = 0x80 >> (b % 8);

		if ((a->ip[b / 8] & m) != (n.ip[b / 8] & m))
			return 0;
	}
	*len_out = len;
	return 1;
}

/* The answer the mapping gives: longest prefix, per database. */
static void expected(const struct sw_addr *a, struct sw_geo_info *out)
{
	int best_c = -1, best_a = -1, len;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < NMAP; i++) {
		if (!in_net(a, mapping[i].cidr, &len))
			continue;
		if (mapping[i].country != NULL && len > best_c) {
			best_c = len;
			strcpy(out->country, mapping[i].country);
		}
		if (mapping[i].asn != 0 && len > best_a) {
			best_a = len;
			out->asn = mapping[i].asn;
			if (mapping[i].org == NULL)
				out->org[0] = 0;
			else if (strcmp(mapping[i].org, LONG_ORG) == 0)
				strcpy(out->org, LONG_ORG_CUT);
			else
				strcpy(out->org, mapping[i].org);
		}
	}
}

static void write_mapping(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("{", f);
	for (size_t i = 0; i < NMAP; i++) {
		fprintf(f, "%s\n \"%s\": {", i ? "," : "", mapping[i].cidr);
		if (mapping[i].country != NULL)
			fprintf(f, "\"country\": \"%s\"%s", mapping[i].country,
			        mapping[i].asn ? ", " : "");
		if (mapping[i].asn != 0)
			fprintf(f, "\"asn\": %u", mapping[i].asn);
		if (mapping[i].org != NULL)
			fprintf(f, ", \"org\": \"%s\"", mapping[i].org);
		fputs("}", f);
	}
	fputs("\n}\n", f);
	assert_int_equal(fclose(f), 0);
}

static uint64_t rng_state = 42;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

/* Addresses around the mapped networks, mapped or not. */
static void random_testbed_addr(struct sw_addr *a)
{
	if (rnd() % 4 != 0) {
		/* a few /24s, so that the cache sees repeats */
		uint8_t ip[4] = {127, (uint8_t)(10 + rnd() % 4), (uint8_t)(rnd() % 4),
		                 (uint8_t)rnd()};

		sw_addr_init_v4(a, ip, 0);
	} else {
		uint8_t ip[16] = {0xfd, 0x00,
		                  0,    (uint8_t)(rnd() % 3),
		                  0,    (uint8_t)(rnd() % 5),
		                  0,    (uint8_t)(rnd() % 6)};

		for (int i = 8; i < 16; i++)
			ip[i] = (uint8_t)rnd();
		if (rnd() % 50 == 0)
			memset(ip, 0, 15), ip[15] = 1; /* ::1 */
		sw_addr_init_v6(a, ip, 0);
	}
}

static void check_info(const struct sw_addr *a, const struct sw_geo_info *got,
                       const struct sw_geo_info *want)
{
	char s[SW_ADDR_STRLEN];

	if (strcmp(got->country, want->country) != 0 || got->asn != want->asn ||
	    strcmp(got->org, want->org) != 0) {
		sw_addr_ip_str(a, s, sizeof(s));
		fail_msg("%s: got %s/%u/'%s', want %s/%u/'%s'", s, got->country, got->asn, got->org,
		         want->country, want->asn, want->org);
	}
}

static void check_testbed_layout(const char *layout)
{
	char map[512], cdb[512], adb[512], cmd[2048];
	struct sw_geo *g;
	struct sw_geo_stats st;
	struct sw_errbuf eb;
	struct sw_addr a;
	struct sw_geo_info got, want;

	snprintf(map, sizeof(map), "%s/map.json", tmpdir);
	snprintf(cdb, sizeof(cdb), "%s/%s-country.mmdb", tmpdir, layout);
	snprintf(adb, sizeof(adb), "%s/%s-asn.mmdb", tmpdir, layout);
	write_mapping(map);
	snprintf(cmd, sizeof(cmd),
	         "perl '%s/tests/testbed/make_geo_mmdb.pl' --mapping '%s' --country '%s' "
	         "--asn '%s' --layout %s",
	         SW_SOURCE_DIR, map, cdb, adb, layout);
	assert_int_equal(system(cmd), 0);
	if (sw_geo_open(cdb, adb, &g, &eb) != SW_OK)
		fail_msg("%s", eb.msg);
	for (int pass = 0; pass < 3; pass++) {
		rng_state = 42;
		sw_geo_set_cache(g, pass < 2);
		for (int i = 0; i < 4000; i++) {
			random_testbed_addr(&a);
			expected(&a, &want);
			assert_int_equal(sw_geo_lookup(g, &a, &got, &eb), SW_OK);
			check_info(&a, &got, &want);
		}
	}
	/* the named cases, with and without the cache */
	for (int pass = 0; pass < 2; pass++) {
		static const char *const named[] = {
		    "127.10.0.1",    "127.10.2.1",    "127.10.2.64", "127.10.2.200", "127.12.0.7",
		    "127.12.0.8",    "127.99.0.1",    "::1",         "::2",          "fd00:1:2::1",
		    "fd00:1:3:4::9", "fd00:1:3:5::9", "2001:db8::1", "10.0.0.1"};

		sw_geo_set_cache(g, pass == 0);
		for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
			a = addr(named[i]);
			expected(&a, &want);
			assert_int_equal(sw_geo_lookup(g, &a, &got, &eb), SW_OK);
			check_info(&a, &got, &want);
		}
	}
	a = addr("127.10.2.1");
	assert_int_equal(sw_geo_lookup(g, &a, &got, &eb), SW_OK);
	assert_string_equal(got.country, "FR");
	assert_string_equal(got.org, "Testbed Fr\xc3\xa2nce");
	sw_geo_get_stats(g, &st);
	print_message("geo (%s): %llu lookups, %llu from the cache\n", layout,
	              (unsigned long long)st.lookups, (unsigned long long)st.cache_hits);
	assert_true(st.cache_hits > 1000); /* the cache works where it may... */
	assert_true(st.cache_hits < 8000); /* ...and not where the /24 is split */
	sw_geo_close(g);
}

static void test_testbed_geolite2_layout(void **state)
{
	(void)state;
	check_testbed_layout("geolite2");
}

static void test_testbed_ip_location_db_layout(void **state)
{
	(void)state;
	check_testbed_layout("ip-location-db");
}

/* --- the installed databases against the Perl reader --------------------------- */

static void test_installed_data_matches_perl_reader(void **state)
{
	char cdb[512], adb[512], in[512], out[512], cmd[4096], line[512];
	struct sw_addr addrs[1500];
	struct sw_geo *g;
	struct sw_errbuf eb;
	FILE *f;
	size_t n = sizeof(addrs) / sizeof(addrs[0]), known = 0;

	(void)state;
	snprintf(cdb, sizeof(cdb), "%s/%s", SW_SOURCE_DIR, SW_GEO_DEFAULT_COUNTRY);
	snprintf(adb, sizeof(adb), "%s/%s", SW_SOURCE_DIR, SW_GEO_DEFAULT_ASN);
	if (access(cdb, R_OK) != 0 || access(adb, R_OK) != 0)
		fail_msg("%s or %s is missing: run scripts/deps.sh", cdb, adb);
	snprintf(in, sizeof(in), "%s/addrs.txt", tmpdir);
	snprintf(out, sizeof(out), "%s/perl.txt", tmpdir);
	f = fopen(in, "w");
	assert_non_null(f);
	rng_state = 7;
	for (size_t i = 0; i < n; i++) {
		char s[SW_ADDR_STRLEN];

		if (i % 3 != 2) {
			uint32_t v = rnd() ^ rnd() << 16;
			uint8_t ip[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			                 (uint8_t)v};

			sw_addr_init_v4(&addrs[i], ip, 0);
		} else {
			/* 2000::/4 below 2a10::, where most allocations are */
			uint8_t ip[16] = {0x20, (uint8_t)(rnd() % 0x2a), (uint8_t)rnd(),
			                  (uint8_t)rnd()};

			if (ip[1] >= 0x10)
				ip[0] = 0x2a, ip[1] = (uint8_t)(ip[1] - 0x10);
			for (int k = 4; k < 16; k++)
				ip[k] = (uint8_t)rnd();
			sw_addr_init_v6(&addrs[i], ip, 0);
		}
		sw_addr_ip_str(&addrs[i], s, sizeof(s));
		fprintf(f, "%s\n", s);
	}
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "perl '%s/tests/testbed/geo_lookup.pl' '%s' '%s' < '%s' > '%s'",
	         SW_SOURCE_DIR, cdb, adb, in, out);
	assert_int_equal(system(cmd), 0);
	if (sw_geo_open(cdb, adb, &g, &eb) != SW_OK)
		fail_msg("%s", eb.msg);
	f = fopen(out, "r");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		struct sw_geo_info got, want;
		char *tab1, *tab2;

		assert_non_null(fgets(line, sizeof(line), f));
		line[strcspn(line, "\n")] = 0;
		tab1 = strchr(line, '\t');
		assert_non_null(tab1);
		tab2 = strchr(tab1 + 1, '\t');
		assert_non_null(tab2);
		*tab1 = *tab2 = 0;
		memset(&want, 0, sizeof(want));
		assert_true(strlen(line) < sizeof(want.country));
		memcpy(want.country, line, strlen(line) + 1);
		want.asn = (uint32_t)strtoul(tab1 + 1, NULL, 10);
		assert_int_equal(sw_geo_lookup(g, &addrs[i], &got, &eb), SW_OK);
		/* long names are cut: compare what we kept */
		if (strlen(tab2 + 1) >= SW_GEO_ORG_LEN) {
			assert_true(strlen(got.org) >= SW_GEO_ORG_LEN - 4);
			assert_memory_equal(got.org, tab2 + 1, strlen(got.org));
			snprintf(want.org, sizeof(want.org), "%s", got.org);
		} else {
			snprintf(want.org, sizeof(want.org), "%s", tab2 + 1);
		}
		check_info(&addrs[i], &got, &want);
		known += got.country[0] != 0 && got.asn != 0;
	}
	fclose(f);
	print_message("geo (installed data): %zu addresses agree with MaxMind::DB::Reader, "
	              "%zu with country and ASN\n",
	              n, known);
	assert_true(known > n / 3); /* the databases do cover the address space */
	sw_geo_close(g);
}

/* --- files --------------------------------------------------------------------- */

static void test_absent_missing_and_corrupt_files(void **state)
{
	char bad[512], missing[512];
	struct sw_geo *g;
	struct sw_geo_info info;
	struct sw_errbuf eb;
	struct sw_addr a = addr("127.10.0.1");
	FILE *f;

	(void)state;
	assert_int_equal(sw_geo_open(NULL, NULL, &g, &eb), SW_OK);
	assert_false(sw_geo_has_country(g));
	assert_false(sw_geo_has_asn(g));
	assert_int_equal(sw_geo_lookup(g, &a, &info, &eb), SW_OK);
	assert_string_equal(info.country, "");
	assert_int_equal(info.asn, 0);
	assert_string_equal(info.org, "");
	sw_geo_close(g);

	snprintf(missing, sizeof(missing), "%s/nonexistent.mmdb", tmpdir);
	assert_int_equal(sw_geo_open(missing, NULL, &g, &eb), SW_E_NOT_FOUND);
	assert_null(g);
	assert_non_null(strstr(eb.msg, missing));

	snprintf(bad, sizeof(bad), "%s/bad.mmdb", tmpdir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("this is not a MaxMind DB, just some bytes\n", f);
	fclose(f);
	assert_int_equal(sw_geo_open(NULL, bad, &g, &eb), SW_E_INVALID);
	assert_null(g);
	assert_non_null(strstr(eb.msg, bad));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_testbed_geolite2_layout),
	    cmocka_unit_test(test_testbed_ip_location_db_layout),
	    cmocka_unit_test(test_installed_data_matches_perl_reader),
	    cmocka_unit_test(test_absent_missing_and_corrupt_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
