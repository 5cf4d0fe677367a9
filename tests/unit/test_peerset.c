/* test_peerset.c - exact peer/IP sets: dedup, tiers, sources, caps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "core/addr.h"
#include "count/peerset.h"

static struct sw_addr addr(const char *s)
{
	struct sw_addr a;

	assert_int_equal(sw_addr_parse(&a, s), 0);
	return a;
}

static void test_ports_of_one_ip_count_once(void **state)
{
	struct sw_peerset *ps;
	struct sw_addr a1 = addr("1.2.3.4:100"), a2 = addr("1.2.3.4:200"), b = addr("[2001::1]:5");
	bool new_ip;

	(void)state;
	assert_int_equal(sw_peerset_new(100, 42, &ps), 0);
	assert_non_null(sw_peerset_add(ps, &a1, SW_SOURCE_TRACKER, 1, &new_ip));
	assert_true(new_ip);
	assert_non_null(sw_peerset_add(ps, &a2, SW_SOURCE_PEX, 2, &new_ip));
	assert_false(new_ip);
	assert_non_null(sw_peerset_add(ps, &a1, SW_SOURCE_TRACKER, 3, &new_ip));
	assert_non_null(sw_peerset_add(ps, &b, SW_SOURCE_DHT, 4, &new_ip));
	assert_true(new_ip);
	assert_int_equal(sw_peerset_size(ps), 3);
	assert_int_equal(sw_peerset_unique_ips(ps, SW_TIER_SEEN), 2);
	assert_int_equal(sw_peerset_unique_ips_from(ps, SW_SOURCE_TRACKER), 1);
	assert_int_equal(sw_peerset_unique_ips_from(ps, SW_SOURCE_PEX), 1);
	assert_int_equal(sw_peerset_unique_ips_from(ps, SW_SOURCE_DHT), 1);
	assert_int_equal(sw_peerset_at(ps, 0)->first_seen, 1);
	assert_int_equal(sw_peerset_at(ps, 0)->last_seen, 3);
	sw_peerset_free(ps);
}

static void test_tiers(void **state)
{
	struct sw_peerset *ps;
	struct sw_addr a1 = addr("1.2.3.4:100"), a2 = addr("1.2.3.4:200");
	struct sw_peer *p;

	(void)state;
	assert_int_equal(sw_peerset_new(100, 1, &ps), 0);
	sw_peerset_add(ps, &a1, SW_SOURCE_TRACKER, 1, NULL);
	p = sw_peerset_add(ps, &a2, SW_SOURCE_TRACKER, 1, NULL);
	sw_peerset_raise_tier(ps, p, SW_TIER_VERIFIED);
	sw_peerset_raise_tier(ps, p, SW_TIER_CONNECTABLE); /* never lowers */
	assert_int_equal(p->tier, SW_TIER_VERIFIED);
	assert_int_equal(sw_peerset_unique_ips(ps, SW_TIER_SEEN), 1);
	assert_int_equal(sw_peerset_unique_ips(ps, SW_TIER_CONNECTABLE), 1);
	assert_int_equal(sw_peerset_unique_ips(ps, SW_TIER_VERIFIED), 1);
	assert_int_equal(sw_peerset_unique_ips(ps, SW_TIER_PROVEN), 0);
	sw_peerset_free(ps);
}

/* IPv6 per /64, IPv4 (and IPv4-mapped) per address; by tier. */
static void test_networks(void **state)
{
	struct sw_peerset *ps;
	const char *seen[] = {"[2001:db8:1:2::1]:1", "[2001:db8:1:2::2]:1", "[2001:db8:1:3::1]:1",
	                      "1.2.3.4:1", "1.2.3.5:1", "[::ffff:1.2.3.6]:1"};
	struct sw_peer *p;
	size_t nets[SW_TIER_COUNT];

	(void)state;
	assert_int_equal(sw_peerset_new(100, 1, &ps), 0);
	sw_peerset_unique_nets(ps, nets);
	assert_int_equal(nets[SW_TIER_SEEN], 0);
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		struct sw_addr a = addr(seen[i]);

		p = sw_peerset_add(ps, &a, SW_SOURCE_TRACKER, 1, NULL);
		if (i == 1 || i == 4) /* one of the shared /64, one IPv4 */
			sw_peerset_raise_tier(ps, p, SW_TIER_CONNECTABLE);
	}
	assert_int_equal(sw_peerset_unique_ips(ps, SW_TIER_SEEN), 6);
	/* 2001:db8:1:2::/64, 2001:db8:1:3::/64, and three IPv4 addresses */
	sw_peerset_unique_nets(ps, nets);
	assert_int_equal(nets[SW_TIER_SEEN], 5);
	assert_int_equal(nets[SW_TIER_CONNECTABLE], 2);
	assert_int_equal(nets[SW_TIER_VERIFIED], 0);
	sw_peerset_free(ps);
}

static void test_many_and_cap(void **state)
{
	struct sw_peerset *ps;
	char s[64];

	(void)state;
	assert_int_equal(sw_peerset_new(50000, 7, &ps), 0);
	for (int i = 0; i < 60000; i++) {
		struct sw_addr a;

		snprintf(s, sizeof(s), "10.%d.%d.%d:%d", (i >> 16) & 255, (i >> 8) & 255, i & 255,
			 1000 + i % 3);
		assert_int_equal(sw_addr_parse(&a, s), 0);
		sw_peerset_add(ps, &a, SW_SOURCE_TRACKER, i, NULL);
	}
	assert_int_equal(sw_peerset_size(ps), 50000);
	assert_int_equal(sw_peerset_unique_ips(ps, SW_TIER_SEEN), 50000);
	assert_int_equal(sw_peerset_overflow(ps), 10000);
	for (int i = 0; i < 50000; i += 997) {
		struct sw_addr a;

		snprintf(s, sizeof(s), "10.%d.%d.%d:%d", (i >> 16) & 255, (i >> 8) & 255, i & 255,
			 1000 + i % 3);
		sw_addr_parse(&a, s);
		assert_non_null(sw_peerset_find(ps, &a));
	}
	sw_peerset_free(ps);
	sw_peerset_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_of_one_ip_count_once),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_many_and_cap),
	};
	return cmocka_run_group_tests_name("peerset", tests, NULL, NULL);
}
