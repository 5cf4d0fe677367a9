/*
 * bench_hll.c - the HyperLogLog benchmark: our sketch on the scale
 * (1.5 million distinct addresses and 10 million repeat observations), and
 * the same items as Redis commands for bench/run_hll.sh to feed to Redis.
 *
 * The stream is deterministic: at each step, with probability
 * distinct / (distinct + repeats), the next new address (three in four
 * IPv4, one in four IPv6, all distinct by construction), otherwise a
 * repeat of an address already sent, picked uniformly.  An address's item
 * is the tagged bytes sw_hll_add_addr() hashes (sw_hll_addr_item()), so
 * Redis is given byte for byte what we are.
 *
 *     bench_hll [-n DISTINCT] [-r REPEATS]
 *         measure: build the stream, then time (each the median of 3 runs)
 *         the stream alone, SipHash alone, sw_hll_add_addr over the
 *         stream, OpenSSL's EVP_MAC SipHash (on the first million items);
 *         print "key<TAB>value" lines: rates, estimate, error, memory.
 *     bench_hll --resp [-n DISTINCT] [-r REPEATS] [-b BATCH] [-k KEY]
 *         write the stream to stdout as RESP "PFADD KEY item..." commands
 *         of BATCH items (default 1000) for `redis-cli --pipe`.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core/addr.h"
#include "core/siphash.h"
#include "count/hll.h"

#define RUNS 3

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t mix(uint64_t x)
{
	return splitmix64(&x);
}

/* The k-th distinct address (distinct for distinct k < 2^32). */
static void nth_addr(uint32_t k, struct sw_addr *a)
{
	if (k % 4 != 3) {
		uint32_t v = k * 0x9e3779b1u ^ 0x5bd1e995u;
		uint8_t ip[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
		                 (uint8_t)v};

		sw_addr_init_v4(a, ip, 6881);
	} else {
		uint64_t v = mix(k);
		uint8_t ip[16] = {0x2a, 0x02, 0x0d, 0xb8, 0x11, 0x22, 0, 0};

		ip[6] = (uint8_t)(k >> 8);
		for (int i = 0; i < 8; i++)
			ip[8 + i] = (uint8_t)(v >> (8 * i));
		sw_addr_init_v6(a, ip, 6881);
	}
}

/* The stream as address numbers. */
static uint32_t *make_stream(uint32_t distinct, uint32_t repeats, size_t *n_out)
{
	size_t n = (size_t)distinct + repeats, sent_new = 0;
	uint32_t *s = malloc(n * sizeof(*s));
	uint64_t rng = 20141127;

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t left_new = distinct - sent_new, left = n - i;
		bool want_new = sent_new == 0 || (splitmix64(&rng) % left) < left_new;

		if (want_new && left_new > 0)
			s[i] = (uint32_t)sent_new++;
		else
			s[i] = (uint32_t)(splitmix64(&rng) % sent_new);
	}
	*n_out = n;
	return s;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median3(double *t)
{
	qsort(t, RUNS, sizeof(*t), cmp_double);
	return t[RUNS / 2];
}

static int write_resp(const uint32_t *s, size_t n, size_t batch, const char *key)
{
	struct sw_addr a;
	uint8_t item[SW_HLL_ITEM_MAX];

	for (size_t i = 0; i < n; i += batch) {
		size_t k = n - i < batch ? n - i : batch;

		printf("*%zu\r\n$5\r\nPFADD\r\n$%zu\r\n%s\r\n", k + 2, strlen(key), key);
		for (size_t j = 0; j < k; j++) {
			size_t len;

			nth_addr(s[i + j], &a);
			len = sw_hll_addr_item(&a, false, item);
			printf("$%zu\r\n", len);
			fwrite(item, 1, len, stdout);
			fputs("\r\n", stdout);
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static uint64_t openssl_pass(const uint32_t *s, size_t n, const uint8_t *key)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_SIPHASH, NULL);
	size_t size = 8;
	OSSL_PARAM params[] = {OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_END};
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	uint64_t sink = 0;
	struct sw_addr a;
	uint8_t item[SW_HLL_ITEM_MAX], out[8];

	if (ctx == NULL) {
		fprintf(stderr, "bench_hll: OpenSSL has no SIPHASH\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len, outl;

		nth_addr(s[i], &a);
		len = sw_hll_addr_item(&a, false, item);
		if (EVP_MAC_init(ctx, key, SW_HLL_KEY_LEN, params) != 1 ||
		    EVP_MAC_update(ctx, item, len) != 1 ||
		    EVP_MAC_final(ctx, out, &outl, sizeof(out)) != 1) {
			fprintf(stderr, "bench_hll: EVP_MAC failed\n");
			exit(1);
		}
		sink += out[0];
		if (i == 0) {
			uint64_t v = 0;

			for (int k = 0; k < 8; k++)
				v |= (uint64_t)out[k] << (8 * k);
			if (v == sw_siphash(key, item, len))
				continue;
			fprintf(stderr, "bench_hll: OpenSSL and sw_siphash disagree\n");
			exit(1);
		}
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return sink;
}

static int measure(const uint32_t *s, size_t n, uint32_t distinct)
{
	double t_gen[RUNS], t_hash[RUNS], t_add[RUNS], t_ossl[RUNS], est = 0;
	uint8_t key[SW_HLL_KEY_LEN] = {0}, item[SW_HLL_ITEM_MAX];
	size_t n_ossl = n < 1000000 ? n : 1000000, mem = 0;
	volatile uint64_t sink = 0;
	struct sw_addr a;

	for (int r = 0; r < RUNS; r++) {
		struct sw_hll *h;
		double t0 = now_s();
		uint64_t acc = 0;

		for (size_t i = 0; i < n; i++) {
			nth_addr(s[i], &a);
			acc += sw_hll_addr_item(&a, false, item) + item[1];
		}
		t_gen[r] = now_s() - t0;
		t0 = now_s();
		for (size_t i = 0; i < n; i++) {
			nth_addr(s[i], &a);
			acc += sw_siphash(key, item, sw_hll_addr_item(&a, false, item));
		}
		t_hash[r] = now_s() - t0;
		if (sw_hll_new(NULL, &h) != 0)
			return 1;
		t0 = now_s();
		for (size_t i = 0; i < n; i++) {
			nth_addr(s[i], &a);
			if (sw_hll_add_addr(h, &a) != 0)
				return 1;
		}
		est = sw_hll_estimate(h);
		t_add[r] = now_s() - t0;
		mem = sw_hll_memory(h);
		sw_hll_free(h);
		t0 = now_s();
		acc += openssl_pass(s, n_ossl, key);
		t_ossl[r] = now_s() - t0;
		sink += acc;
	}
	printf("items\t%zu\n", n);
	printf("distinct\t%u\n", distinct);
	printf("estimate\t%.0f\n", est);
	printf("error_pct\t%+.3f\n", 100 * (est - distinct) / distinct);
	printf("sketch_bytes\t%zu\n", mem);
	printf("stream_only_per_s\t%.0f\n", n / median3(t_gen));
	printf("siphash_per_s\t%.0f\n", n / median3(t_hash));
	printf("hll_add_per_s\t%.0f\n", n / median3(t_add));
	printf("openssl_siphash_per_s\t%.0f\n", n_ossl / median3(t_ossl));
	fprintf(stderr, "# sink %llu\n", (unsigned long long)sink);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t distinct = 1500000, repeats = 10000000;
	size_t batch = 1000, n;
	const char *key = "swarmwatch:bench:hll";
	bool resp = false;
	uint32_t *s;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--resp") == 0)
			resp = true;
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			distinct = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			repeats = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
			batch = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
			key = argv[++i];
		else {
			fprintf(stderr, "usage: bench_hll [--resp] [-n DISTINCT] [-r REPEATS] [-b "
			                "BATCH] [-k KEY]\n");
			return 2;
		}
	}
	if (distinct == 0 || batch == 0) {
		fprintf(stderr, "bench_hll: -n and -b must be positive\n");
		return 2;
	}
	s = make_stream(distinct, repeats, &n);
	if (s == NULL) {
		fprintf(stderr, "bench_hll: out of memory\n");
		return 1;
	}
	rc = resp ? write_resp(s, n, batch, key) : measure(s, n, distinct);
	free(s);
	return rc;
}
