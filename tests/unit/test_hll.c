/*
 * test_hll.c - HyperLogLog: the hash against OpenSSL's SipHash, accuracy
 * against the exact number of distinct addresses added (1k to 1.5M, and
 * the error over 64 independent keys), merge against the sketch of the
 * union, the sparse-to-dense step, the byte form and its validation, and
 * IPv6 by address and by /64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/siphash.h"
#include "count/hll.h"

#define SIGMA SW_HLL_STD_ERROR

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * The i-th distinct test address: three in four IPv4 (i times an odd
 * constant, a bijection of 32-bit integers), one in four IPv6 (splitmix64,
 * a bijection of 64-bit integers, as the interface id).  Distinct for
 * distinct i below 2^32, so the true count is the number of i.
 */
static void nth_addr(uint64_t i, uint64_t salt, struct sw_addr *a)
{
	if (i % 4 != 3) {
		uint32_t v = (uint32_t)(i + salt) * 0x9e3779b1u ^ 0x5bd1e995u;
		uint8_t ip[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
		                 (uint8_t)v};

		sw_addr_init_v4(a, ip, 6881);
	} else {
		uint64_t v = splitmix64(i + salt);
		uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0};

		for (int k = 0; k < 8; k++)
			ip[8 + k] = (uint8_t)(v >> (8 * k));
		sw_addr_init_v6(a, ip, 6881);
	}
}

static void make_key(uint64_t seed, uint8_t key[SW_HLL_KEY_LEN])
{
	uint64_t a = splitmix64(seed), b = splitmix64(seed ^ 0xabcdef);

	memcpy(key, &a, 8);
	memcpy(key + 8, &b, 8);
}

/* Add addresses [from, to) of the test sequence. */
static void add_range(struct sw_hll *h, uint64_t from, uint64_t to)
{
	struct sw_addr a;

	for (uint64_t i = from; i < to; i++) {
		nth_addr(i, 0, &a);
		assert_int_equal(sw_hll_add_addr(h, &a), SW_OK);
	}
}

static void serialize(struct sw_hll *h, struct sw_buf *b)
{
	sw_buf_init(b, 1 << 20);
	assert_int_equal(sw_hll_serialize(h, b), SW_OK);
}

/* --- hash --------------------------------------------------------------- */

static uint64_t openssl_siphash(const uint8_t key[16], const uint8_t *p, size_t n)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_SIPHASH, NULL);
	EVP_MAC_CTX *ctx;
	size_t size = 8, outl = 0;
	OSSL_PARAM params[] = {OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_END};
	uint8_t out[8];
	uint64_t v = 0;

	assert_non_null(mac);
	ctx = EVP_MAC_CTX_new(mac);
	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, p, n), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &outl, sizeof(out)), 1);
	assert_int_equal(outl, 8);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)out[i] << (8 * i);
	return v;
}

static void test_siphash_matches_openssl(void **state)
{
	uint8_t key[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* The paper's test vector (appendix A): 15 bytes 00..0e. */
	assert_true(sw_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
	for (size_t n = 0; n <= 64; n++)
		assert_true(sw_siphash(key, msg, n) == openssl_siphash(key, msg, n));
	make_key(7, key);
	for (size_t n = 0; n <= 64; n += 5)
		assert_true(sw_siphash(key, msg, n) == openssl_siphash(key, msg, n));
}

/* --- accuracy --------------------------------------------------------------- */

static double rel_error(uint64_t n, const uint8_t *key)
{
	struct sw_hll *h;
	double e;

	assert_int_equal(sw_hll_new(key, &h), SW_OK);
	add_range(h, 0, n);
	e = sw_hll_estimate(h);
	sw_hll_free(h);
	return (e - (double)n) / (double)n;
}

static void test_error_within_bounds(void **state)
{
	static const uint64_t sizes[] = {1000, 10000, 100000, 1500000};
	uint8_t key[SW_HLL_KEY_LEN];

	(void)state;
	for (int k = 0; k < 2; k++) {
		make_key((uint64_t)k + 1, key);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			double err = rel_error(sizes[i], key);

			print_message("hll: key %d, %7llu distinct: error %+.3f%%\n", k,
			              (unsigned long long)sizes[i], 100 * err);
			assert_true(fabs(err) <= 3 * SIGMA);
			/* 1,000 is sparse: near-exact, not just within 3 sigma. */
			if (sizes[i] == 1000)
				assert_true(fabs(err) <= 0.001);
		}
	}
}

/*
 * The claim itself: over 48 keys (48 independent sketches of 150,000
 * distinct addresses, past the small range where the error is lower) the
 * root-mean-square relative error is about 1.04/sqrt(m) and the mean
 * error about 0.  A sample of 48 estimates the RMSE to within ~10% (one
 * standard deviation), so [0.7, 1.3] x sigma is a 3-deviation band; the
 * mean's bound is 3 deviations of a mean of 48.
 */
static void test_rmse_over_keys(void **state)
{
	const int trials = 48;
	const uint64_t n = 150000;
	double sum = 0, sumsq = 0, rmse, mean;
	uint8_t key[SW_HLL_KEY_LEN];

	(void)state;
	for (int t = 0; t < trials; t++) {
		double e;

		make_key(1000 + (uint64_t)t, key);
		e = rel_error(n, key);
		sum += e;
		sumsq += e * e;
	}
	rmse = sqrt(sumsq / trials);
	mean = sum / trials;
	print_message("hll: %d keys x %llu distinct: rmse %.3f%% (sigma %.3f%%), mean %+.3f%%\n",
	              trials, (unsigned long long)n, 100 * rmse, 100 * SIGMA, 100 * mean);
	assert_true(rmse <= 1.3 * SIGMA);
	assert_true(rmse >= 0.7 * SIGMA); /* a sketch far better than theory is suspect */
	assert_true(fabs(mean) <= 3 * SIGMA / sqrt(trials));
}

static void test_repeats_change_nothing(void **state)
{
	struct sw_hll *h;
	struct sw_buf b1, b2;

	(void)state;
	assert_int_equal(sw_hll_new(NULL, &h), SW_OK);
	assert_int_equal(sw_hll_count(h), 0);
	add_range(h, 0, 50000);
	serialize(h, &b1);
	add_range(h, 0, 50000);
	add_range(h, 1000, 2000);
	serialize(h, &b2);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);
	sw_buf_deinit(&b1);
	sw_buf_deinit(&b2);
	sw_hll_free(h);
}

/* --- merge -------------------------------------------------------------------- */

/* merge(sketch[a0,a1), sketch[b0,b1)) == sketch[min, max) (the ranges overlap
 * or touch), byte for byte. */
static void check_merge(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1, bool want_sparse)
{
	struct sw_hll *a, *b, *u;
	struct sw_buf ba, bu;
	uint64_t lo = a0 < b0 ? a0 : b0, hi = a1 > b1 ? a1 : b1;

	assert_int_equal(sw_hll_new(NULL, &a), SW_OK);
	assert_int_equal(sw_hll_new(NULL, &b), SW_OK);
	assert_int_equal(sw_hll_new(NULL, &u), SW_OK);
	add_range(a, a0, a1);
	add_range(b, b0, b1);
	add_range(u, lo, hi);
	assert_int_equal(sw_hll_merge(a, b, NULL), SW_OK);
	serialize(a, &ba);
	serialize(u, &bu);
	assert_int_equal(sw_hll_is_sparse(a), want_sparse);
	assert_int_equal(ba.len, bu.len);
	assert_memory_equal(ba.data, bu.data, ba.len);
	assert_int_equal(sw_hll_count(a), sw_hll_count(u));
	sw_buf_deinit(&ba);
	sw_buf_deinit(&bu);
	sw_hll_free(a);
	sw_hll_free(b);
	sw_hll_free(u);
}

static void test_merge_equals_union(void **state)
{
	(void)state;
	check_merge(0, 1000, 500, 2000, true);       /* sparse + sparse */
	check_merge(0, 2000, 1500, 4000, false);     /* sparse + sparse, union dense */
	check_merge(0, 1000, 0, 80000, false);       /* sparse + dense */
	check_merge(0, 80000, 79000, 80500, false);  /* dense + sparse */
	check_merge(0, 60000, 40000, 100000, false); /* dense + dense */
}

static void test_merge_key_mismatch(void **state)
{
	uint8_t key[SW_HLL_KEY_LEN];
	struct sw_hll *a, *b;
	struct sw_errbuf eb;

	(void)state;
	make_key(3, key);
	assert_int_equal(sw_hll_new(NULL, &a), SW_OK);
	assert_int_equal(sw_hll_new(key, &b), SW_OK);
	add_range(a, 0, 10);
	add_range(b, 10, 20);
	assert_int_equal(sw_hll_merge(a, b, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "different keys"));
	assert_int_equal(sw_hll_count(a), 10);
	sw_hll_free(a);
	sw_hll_free(b);
}

/* --- sparse to dense ---------------------------------------------------------- */

static void test_sparse_to_dense_is_continuous(void **state)
{
	struct sw_hll *h;
	struct sw_addr a;
	double last_sparse = -1, first_dense = -1;
	uint64_t n_sparse = 0, n_dense = 0;

	(void)state;
	assert_int_equal(sw_hll_new(NULL, &h), SW_OK);
	for (uint64_t i = 0; i < 2 * SW_HLL_SPARSE_MAX && first_dense < 0; i++) {
		double e;

		nth_addr(i, 0, &a);
		assert_int_equal(sw_hll_add_addr(h, &a), SW_OK);
		e = sw_hll_estimate(h);
		if (sw_hll_is_sparse(h)) {
			/* near-exact while sparse */
			assert_true(fabs(e - (double)(i + 1)) <= 0.002 * (double)(i + 1) + 1);
			last_sparse = e;
			n_sparse = i + 1;
		} else {
			first_dense = e;
			n_dense = i + 1;
		}
	}
	assert_true(first_dense > 0);
	assert_int_equal(n_dense, n_sparse + 1);
	print_message("hll: sparse->dense at %llu items: estimate %.1f -> %.1f\n",
	              (unsigned long long)n_dense, last_sparse, first_dense);
	/* One item later the dense estimate is within the dense error. */
	assert_true(fabs(first_dense - (double)n_dense) <= 3 * SIGMA * (double)n_dense);
	assert_true(fabs(first_dense - last_sparse) <= 3 * SIGMA * (double)n_dense);
	sw_hll_free(h);
}

/* --- byte form ------------------------------------------------------------------ */

static void check_round_trip(uint64_t n, const uint8_t *key)
{
	struct sw_hll *h, *g;
	struct sw_buf b1, b2;
	struct sw_errbuf eb;

	assert_int_equal(sw_hll_new(key, &h), SW_OK);
	add_range(h, 0, n);
	serialize(h, &b1);
	assert_int_equal(sw_hll_deserialize(b1.data, b1.len, key, &g, &eb), SW_OK);
	assert_int_equal(sw_hll_is_sparse(g), sw_hll_is_sparse(h));
	assert_int_equal(sw_hll_count(g), sw_hll_count(h));
	serialize(g, &b2);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);
	if (!sw_hll_is_sparse(h))
		assert_int_equal(b1.len, SW_HLL_SERIAL_MAX);
	else
		assert_true(b1.len <= SW_HLL_HEADER_LEN + 4 + 5 * n);
	print_message("hll: %llu items serialize to %zu bytes\n", (unsigned long long)n, b1.len);
	/* adding to the copy goes on from where the original was */
	add_range(g, n, n + 100);
	add_range(h, n, n + 100);
	assert_int_equal(sw_hll_count(g), sw_hll_count(h));
	sw_buf_deinit(&b1);
	sw_buf_deinit(&b2);
	sw_hll_free(h);
	sw_hll_free(g);
}

static void test_serialize_round_trip(void **state)
{
	uint8_t key[SW_HLL_KEY_LEN];

	(void)state;
	make_key(11, key);
	check_round_trip(0, NULL);
	check_round_trip(1, NULL);
	check_round_trip(1000, key);
	check_round_trip(SW_HLL_SPARSE_MAX, NULL);
	check_round_trip(200000, key);
}

/* Deserializing p must fail with code and a message containing what. */
static void expect_bad(const uint8_t *p, size_t n, const uint8_t *key, int code, const char *what)
{
	struct sw_hll *h = (struct sw_hll *)1;
	struct sw_errbuf eb;

	eb.msg[0] = 0;
	assert_int_equal(sw_hll_deserialize(p, n, key, &h, &eb), code);
	assert_null(h);
	if (strstr(eb.msg, what) == NULL)
		fail_msg("message \"%s\" does not contain \"%s\"", eb.msg, what);
}

static void test_corrupt_blobs_are_errors(void **state)
{
	uint8_t key[SW_HLL_KEY_LEN], *p;
	struct sw_hll *sparse, *dense;
	struct sw_buf bs, bd;

	(void)state;
	make_key(5, key);
	assert_int_equal(sw_hll_new(NULL, &sparse), SW_OK);
	assert_int_equal(sw_hll_new(NULL, &dense), SW_OK);
	add_range(sparse, 0, 100);
	add_range(dense, 0, 100000);
	serialize(sparse, &bs);
	serialize(dense, &bd);

	expect_bad(bs.data, 3, NULL, SW_E_NEED_MORE, "header");
	expect_bad(bs.data, bs.len - 1, NULL, SW_E_NEED_MORE, "past the end");
	expect_bad(bd.data, bd.len - 1, NULL, SW_E_NEED_MORE, "shorter");
	expect_bad(bs.data, bs.len, key, SW_E_INVALID, "fingerprint");
	p = malloc(bd.len + 1);
	assert_non_null(p);

	memcpy(p, bs.data, bs.len);
	p[0] = 'X';
	expect_bad(p, bs.len, NULL, SW_E_INVALID, "magic");
	memcpy(p, bs.data, bs.len);
	p[4] = 2;
	expect_bad(p, bs.len, NULL, SW_E_UNSUPPORTED, "version 2");
	memcpy(p, bs.data, bs.len);
	p[5] = 9;
	expect_bad(p, bs.len, NULL, SW_E_INVALID, "encoding 9");
	memcpy(p, bs.data, bs.len);
	p[6] = 12;
	expect_bad(p, bs.len, NULL, SW_E_UNSUPPORTED, "precision 12/25");
	memcpy(p, bs.data, bs.len);
	p[bs.len] = 0;
	expect_bad(p, bs.len + 1, NULL, SW_E_TRAILING, "follow");
	memcpy(p, bs.data, bs.len);
	p[16] = 0xff; /* count 0x...ff > SW_HLL_SPARSE_MAX */
	p[17] = 0xff;
	expect_bad(p, bs.len, NULL, SW_E_TOO_BIG, "count");
	memcpy(p, bs.data, bs.len);
	p[20] = 0x80; /* first pair: rank 0 (the low 6 bits) */
	expect_bad(p, bs.len, NULL, SW_E_INVALID, "entry 0");
	{
		/* a hand-made sparse body: pair (1,1), then delta 0 (a repeat) */
		uint8_t s[SW_HLL_HEADER_LEN + 4 + 2];

		memcpy(s, bs.data, SW_HLL_HEADER_LEN);
		s[16] = 2, s[17] = s[18] = s[19] = 0;
		s[20] = 0x41; /* index' 1, rank' 1 */
		s[21] = 0x00;
		expect_bad(s, sizeof(s), NULL, SW_E_INVALID, "entry 1 at byte 21 is out of order");
		s[21] = 0x01; /* index' 1, rank' 2: same register twice */
		expect_bad(s, sizeof(s), NULL, SW_E_INVALID, "out of order");
		s[21] = 0x7f; /* 65 + 127 = 192: index' 3, rank' 0 */
		expect_bad(s, sizeof(s), NULL, SW_E_INVALID, "entry 1 at byte 21 is out of range");
	}
	{
		uint8_t v[SW_HLL_HEADER_LEN + 4 + 6];

		memcpy(v, bs.data, SW_HLL_HEADER_LEN);
		v[16] = 1, v[17] = v[18] = v[19] = 0;
		memset(v + 20, 0xff, 6); /* a varint that never ends */
		expect_bad(v, sizeof(v), NULL, SW_E_INVALID, "not a minimal 32-bit varint");
		v[20] = 0x81, v[21] = 0x00; /* 1 in two bytes */
		expect_bad(v, SW_HLL_HEADER_LEN + 4 + 2, NULL, SW_E_INVALID, "minimal");
	}
	memcpy(p, bd.data, bd.len);
	p[16 + 3] = 0xff; /* registers 4 (bits 24..29) = 63 */
	expect_bad(p, bd.len, NULL, SW_E_INVALID, "register 4");
	free(p);
	sw_buf_deinit(&bs);
	sw_buf_deinit(&bd);
	sw_hll_free(sparse);
	sw_hll_free(dense);
}

/* --- IPv6 by address and by /64 ------------------------------------------------ */

static void test_ipv6_by_address_and_by_64(void **state)
{
	struct sw_hll *host, *net;
	struct sw_addr a;
	char s[64];

	(void)state;
	assert_int_equal(sw_hll_new(NULL, &host), SW_OK);
	assert_int_equal(sw_hll_new(NULL, &net), SW_OK);
	/* 1,000 privacy addresses of one /64, 500 other /64s, and 200 IPv4
	 * hosts whose bytes are those of the prefix 2001:db8::/32. */
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "2001:db8:1:2:%x:%x::1", i, i * 7);
		assert_int_equal(sw_addr_parse_ip(&a, s, 0), 0);
		assert_int_equal(sw_hll_add_addr(host, &a), SW_OK);
		assert_int_equal(sw_hll_add_addr_net(net, &a), SW_OK);
	}
	for (int i = 0; i < 500; i++) {
		snprintf(s, sizeof(s), "2001:db8:2:%x::%x", i, i);
		assert_int_equal(sw_addr_parse_ip(&a, s, 0), 0);
		assert_int_equal(sw_hll_add_addr(host, &a), SW_OK);
		assert_int_equal(sw_hll_add_addr_net(net, &a), SW_OK);
	}
	for (int i = 0; i < 200; i++) {
		snprintf(s, sizeof(s), "32.1.13.%d", i);
		assert_int_equal(sw_addr_parse_ip(&a, s, 0), 0);
		assert_int_equal(sw_hll_add_addr(host, &a), SW_OK);
		assert_int_equal(sw_hll_add_addr_net(net, &a), SW_OK);
	}
	/* sparse: near-exact at these sizes (two of 1,700 items share one of
	 * the 2^25 sparse registers with probability 4%, as happens here) */
	assert_true(llabs((long long)sw_hll_count(host) - 1700) <= 2);
	assert_true(llabs((long long)sw_hll_count(net) - 701) <= 1);
	sw_hll_free(host);
	sw_hll_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_matches_openssl),
	    cmocka_unit_test(test_error_within_bounds),
	    cmocka_unit_test(test_rmse_over_keys),
	    cmocka_unit_test(test_repeats_change_nothing),
	    cmocka_unit_test(test_merge_equals_union),
	    cmocka_unit_test(test_merge_key_mismatch),
	    cmocka_unit_test(test_sparse_to_dense_is_continuous),
	    cmocka_unit_test(test_serialize_round_trip),
	    cmocka_unit_test(test_corrupt_blobs_are_errors),
	    cmocka_unit_test(test_ipv6_by_address_and_by_64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
