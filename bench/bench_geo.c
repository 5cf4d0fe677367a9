/*
 * bench_geo.c - country+ASN lookups per second through src/geo, with the
 * per-/24 (/48) cache off and on, over three address streams:
 *
 *   uniform4   random IPv4 addresses (the cache's worst case)
 *   uniform6   random addresses of 2000::/4 below 2a10::
 *   clustered  IPv4 addresses drawn from 5,000 random /24s, as a swarm's
 *              peers cluster in their providers' networks
 *
 *     bench_geo COUNTRY.mmdb ASN.mmdb [N]     (N lookups per run, 1000000)
 *
 * Each figure is the median of 3 runs; output is "stream cache
 * lookups_per_s hit_rate" lines, tab-separated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/addr.h"
#include "geo/geo.h"

#define RUNS 3

static uint64_t rng = 1;

static uint32_t rnd(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 32);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void v4(struct sw_addr *a, uint32_t v)
{
	uint8_t ip[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	sw_addr_init_v4(a, ip, 0);
}

static void make_stream(const char *kind, struct sw_addr *s, size_t n)
{
	static uint32_t nets[5000];

	rng = 2014;
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		nets[i] = rnd() & 0xffffff00u;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(kind, "uniform4") == 0) {
			v4(&s[i], rnd());
		} else if (strcmp(kind, "clustered") == 0) {
			v4(&s[i], nets[rnd() % 5000] | (rnd() & 0xff));
		} else {
			uint8_t ip[16] = {0x20, (uint8_t)(rnd() % 0x2a)};

			if (ip[1] >= 0x10)
				ip[0] = 0x2a, ip[1] = (uint8_t)(ip[1] - 0x10);
			for (int k = 2; k < 16; k++)
				ip[k] = (uint8_t)rnd();
			sw_addr_init_v6(&s[i], ip, 0);
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = {"uniform4", "uniform6", "clustered"};
	size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000000;
	struct sw_addr *s;
	struct sw_errbuf eb;
	uint64_t sink = 0;

	if (argc < 3 || n == 0) {
		fprintf(stderr, "usage: bench_geo COUNTRY.mmdb ASN.mmdb [N]\n");
		return 2;
	}
	s = malloc(n * sizeof(*s));
	if (s == NULL)
		return 1;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		make_stream(kinds[k], s, n);
		for (int cache = 0; cache < 2; cache++) {
			double t[RUNS], hit = 0;

			for (int r = 0; r < RUNS; r++) {
				struct sw_geo *g;
				struct sw_geo_info info;
				struct sw_geo_stats st;
				double t0;

				if (sw_geo_open(argv[1], argv[2], &g, &eb) != 0) {
					fprintf(stderr, "bench_geo: %s\n", eb.msg);
					return 1;
				}
				sw_geo_set_cache(g, cache);
				t0 = now_s();
				for (size_t i = 0; i < n; i++) {
					if (sw_geo_lookup(g, &s[i], &info, &eb) != 0) {
						fprintf(stderr, "bench_geo: %s\n", eb.msg);
						return 1;
					}
					sink += info.asn + (uint8_t)info.country[0];
				}
				t[r] = now_s() - t0;
				sw_geo_get_stats(g, &st);
				hit = (double)st.cache_hits / (double)st.lookups;
				sw_geo_close(g);
			}
			qsort(t, RUNS, sizeof(t[0]), cmp_double);
			printf("%s\t%s\t%.0f\t%.3f\n", kinds[k], cache ? "on" : "off",
			       (double)n / t[RUNS / 2], hit);
		}
	}
	fprintf(stderr, "# sink %llu\n", (unsigned long long)sink);
	free(s);
	return 0;
}
