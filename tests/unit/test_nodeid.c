/*
 * test_nodeid.c - BEP 42 node ids: CRC32-C itself, the BEP's five test
 * vectors (validation and generation), IPv6, and the exempt networks.
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
#include "core/hex.h"
#include "dht/nodeid.h"

/* BEP 42's table: IP, rand, example node id. */
static const struct {
	const char *ip;
	unsigned rand;
	const char *id;
} vectors[] = {
    {"124.31.75.21", 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"},
    {"21.75.31.124", 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"},
    {"65.23.51.170", 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616"},
    {"84.124.73.14", 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41"},
    {"43.213.53.83", 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"},
};

static void unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void test_crc32c(void **state)
{
	(void)state;
	/* The standard check value of CRC-32C, and RFC 3720's 32 zero bytes. */
	uint8_t zeros[32] = {0};

	assert_int_equal(sw_nodeid_crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(sw_nodeid_crc32c(zeros, sizeof(zeros)), 0x8a9136aau);
	assert_int_equal(sw_nodeid_crc32c("", 0), 0);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct sw_addr a;
		uint8_t id[20], gen[20], bad[20];

		assert_int_equal(sw_addr_parse_ip(&a, vectors[i].ip, 0), SW_OK);
		unhex(vectors[i].id, id, 20);
		assert_int_equal(id[19], vectors[i].rand);
		assert_false(sw_nodeid_exempt(&a));
		assert_true(sw_nodeid_valid(&a, id));
		/* Given the example's random bytes, generation gives the example. */
		assert_int_equal(sw_nodeid_generate(&a, id, gen), SW_OK);
		assert_memory_equal(gen, id, 20);
		/* Any bit of the 21-bit prefix, or another r, breaks it. */
		for (int bit = 0; bit < 21; bit++) {
			memcpy(bad, id, 20);
			bad[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
			assert_false(sw_nodeid_valid(&a, bad));
		}
		memcpy(bad, id, 20);
		bad[19] ^= 1;
		assert_false(sw_nodeid_valid(&a, bad));
		/* The random parts do not matter. */
		bad[19] ^= 1 | 0xf8;
		bad[2] ^= 7;
		bad[10] ^= 0xff;
		assert_true(sw_nodeid_valid(&a, bad));
	}
}

static void test_ipv6(void **state)
{
	struct sw_addr a, b;
	uint8_t rnd[20], id[20];

	(void)state;
	memset(rnd, 0x5c, sizeof(rnd));
	assert_int_equal(sw_addr_parse_ip(&a, "2001:db8:1234:5678::1", 0), SW_OK);
	assert_int_equal(sw_nodeid_generate(&a, rnd, id), SW_OK);
	assert_true(sw_nodeid_valid(&a, id));
	/* Only the high 64 bits count. */
	assert_int_equal(sw_addr_parse_ip(&b, "2001:db8:1234:5678:ffff::9", 0), SW_OK);
	assert_true(sw_nodeid_valid(&b, id));
	/* The mask keeps low bits of the /64: another /64 gets another prefix. */
	assert_int_equal(sw_addr_parse_ip(&b, "2001:db8:1234:5679::1", 0), SW_OK);
	assert_false(sw_nodeid_valid(&b, id));
	/* An IPv4 id is not valid for an IPv6 address. */
	a.family = 0;
	assert_int_equal(sw_nodeid_generate(&a, rnd, id), SW_E_INVALID);
	assert_false(sw_nodeid_valid(&a, id));
}

static void test_exempt(void **state)
{
	static const char *const local[] = {"10.1.2.3",    "172.16.0.1",  "172.31.255.255",
	                                    "192.168.1.1", "169.254.9.9", "127.0.0.2",
	                                    "::1",         "fe80::1",     "fd00::5"};
	static const char *const global[] = {"172.32.0.1", "100.64.0.1", "8.8.8.8", "2001:db8::1"};
	uint8_t id[20] = {0};
	struct sw_addr a;

	(void)state;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		assert_int_equal(sw_addr_parse_ip(&a, local[i], 0), SW_OK);
		assert_true(sw_nodeid_exempt(&a));
		assert_true(sw_nodeid_valid(&a, id));
	}
	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
		assert_int_equal(sw_addr_parse_ip(&a, global[i], 0), SW_OK);
		assert_false(sw_nodeid_exempt(&a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c),
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_exempt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
