/*
 * test_bloom.c - BEP 33 bloom filters: the BEP's test vector (the exact
 * 256 bytes and the estimate 1224.9308), merge semantics, the empty and
 * saturated filters.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/addr.h"
#include "core/error.h"
#include "dht/bloom.h"

/* BEP 33, "Test Vectors". */
static const char expected_hex[] =
    "F6C3F5EAA07FFD91BDE89F777F26FB2BFF37BDB8FB2BBAA2FD3DDDE7BACFFF75EE7CCBAE"
    "FE5EEDB1FBFAFF67F6ABFF5E43DDBCA3FD9B9FFDF4FFD3E9DFF12D1BDF59DB53DBE9FA5B"
    "7FF3B8FDFCDE1AFB8BEDD7BE2F3EE71EBBBFE93BCDEEFE148246C2BC5DBFF7E7EFDCF24F"
    "D8DC7ADFFD8FFFDFDDFFF7A4BBEEDF5CB95CE81FC7FCFF1FF4FFFFDFE5F7FDCBB7FD79B3"
    "FA1FC77BFE07FFF905B7B7FFC7FEFEFFE0B8370BB0CD3F5B7F2BD93FEB4386CFDD6F7FD5"
    "BFAF2E9EBFFFFEECD67ADBF7C67F17EFD5D75EBA6FFEBA7FFF47A91EB1BFBB53E8ABFB57"
    "62ABE8FF237279BFEFBFEEF5FFC5FEBFDFE5ADFFADFEE1FB737FFFFBFD9F6AEFFEEE76B6"
    "FD8F72EF";

static void insert_v4(struct sw_bloom *b, unsigned from, unsigned to)
{
	for (unsigned i = from; i <= to; i++) {
		uint8_t ip[4] = {192, 0, 2, (uint8_t)i};

		assert_int_equal(sw_bloom_insert_ip(b, ip, 4), SW_OK);
	}
}

static void insert_v6(struct sw_bloom *b, unsigned from, unsigned to)
{
	for (unsigned i = from; i <= to; i++) {
		uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8};
		struct sw_addr a;

		ip[14] = (uint8_t)(i >> 8);
		ip[15] = (uint8_t)i;
		sw_addr_init_v6(&a, ip, 6881); /* the port is not hashed */
		assert_int_equal(sw_bloom_insert(b, &a), SW_OK);
	}
}

static void test_vector(void **state)
{
	struct sw_bloom b;
	uint8_t want[SW_BLOOM_BYTES];
	bool sat = true;
	double n;

	(void)state;
	assert_int_equal(sizeof(expected_hex) - 1, 2 * SW_BLOOM_BYTES);
	for (size_t i = 0; i < SW_BLOOM_BYTES; i++) {
		unsigned v;

		assert_int_equal(sscanf(expected_hex + 2 * i, "%2x", &v), 1);
		want[i] = (uint8_t)v;
	}
	sw_bloom_init(&b);
	insert_v4(&b, 0, 255);
	insert_v6(&b, 0, 0x3e7);
	assert_memory_equal(b.bits, want, SW_BLOOM_BYTES);
	n = sw_bloom_estimate(&b, &sat);
	assert_false(sat);
	/*
	 * "For the 1256 inserted values the calculated estimate should be
	 * 1224.9308": 619 zero bits give 1224.93089..., which the BEP prints
	 * cut (not rounded) to four decimals.
	 */
	assert_int_equal(sw_bloom_zero_bits(&b), 619);
	assert_true(n >= 1224.9308 && n < 1224.9309);
}

static void test_merge(void **state)
{
	struct sw_bloom all, a, b, ab, ba;
	struct sw_addr x;
	uint8_t ip[4] = {192, 0, 2, 77};

	(void)state;
	sw_bloom_init(&all);
	insert_v4(&all, 0, 255);
	insert_v6(&all, 0, 0x3e7);
	sw_bloom_init(&a);
	insert_v4(&a, 0, 255);
	insert_v6(&a, 0, 0x100);
	sw_bloom_init(&b);
	insert_v6(&b, 0x80, 0x3e7); /* overlaps a */
	ab = a;
	sw_bloom_merge(&ab, &b);
	ba = b;
	sw_bloom_merge(&ba, &a);
	/* The OR is the filter of the union, in either order; merging is idempotent. */
	assert_memory_equal(ab.bits, all.bits, SW_BLOOM_BYTES);
	assert_memory_equal(ba.bits, all.bits, SW_BLOOM_BYTES);
	sw_bloom_merge(&ab, &b);
	assert_memory_equal(ab.bits, all.bits, SW_BLOOM_BYTES);
	assert_true(sw_bloom_estimate(&a, NULL) < sw_bloom_estimate(&ab, NULL));
	/* Everything inserted is found. */
	sw_addr_init_v4(&x, ip, 1);
	assert_true(sw_bloom_contains(&a, &x));
	assert_true(sw_bloom_contains(&ab, &x));
}

static void test_edges(void **state)
{
	struct sw_bloom b;
	uint8_t ip[4] = {198, 51, 100, 1};
	uint8_t full[SW_BLOOM_BYTES];
	bool sat = false;
	double n, max;

	(void)state;
	sw_bloom_init(&b);
	assert_int_equal(sw_bloom_zero_bits(&b), SW_BLOOM_BITS);
	assert_true(sw_bloom_estimate(&b, &sat) == 0.0);
	assert_false(sat);
	assert_int_equal(sw_bloom_insert_ip(&b, ip, 5), SW_E_INVALID);
	assert_int_equal(sw_bloom_insert_ip(&b, ip, 4), SW_OK);
	n = sw_bloom_estimate(&b, &sat);
	assert_true(n > 0.9 && n < 1.1); /* one address, one or two bits */

	/* Saturated: no zero bit, no log(0); the largest estimate and the flag. */
	memset(full, 0xff, sizeof(full));
	sw_bloom_load(&b, full);
	assert_int_equal(sw_bloom_zero_bits(&b), 0);
	max = sw_bloom_estimate(&b, &sat);
	assert_true(sat);
	assert_true(max > 7805.0 && max < 7806.0);
	/* One zero bit left gives the same number, not saturated. */
	b.bits[7] = 0x7f;
	assert_true(sw_bloom_estimate(&b, &sat) == max);
	assert_false(sat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
