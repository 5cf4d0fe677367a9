/*
 * test_privacy.c - addresses at rest: keyed pseudonyms (equal to
 * HMAC-SHA256 computed by OpenSSL, secret file created 0600, loose modes
 * refused, no raw address in the database file), retention (old evidence
 * rows go, unique counts stay), and the saved DHT routing table.
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/hash.h"
#include "store/pseudonym.h"
#include "store/sink.h"
#include "store/query.h"
#include "store/sqlite.h"

static char dir[] = "/tmp/test_privacy.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_pseudonym_is_hmac(void **state)
{
	struct sw_pseudonym p;
	uint8_t out[SW_SINK_ADDR_MAX], want[32];
	size_t len = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < 32; i++)
		p.secret[i] = (uint8_t)(i * 7 + 1);
	sw_pseudonym_prepare(&p);
	for (size_t n = 4; n <= 16; n += 12) {
		uint8_t in[16];

		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)(200 - i);
		assert_int_equal(sw_pseudonym_transform(&p, in, n, out, &len), SW_OK);
		assert_int_equal(len, 32);
		assert_int_equal(sw_hmac_sha256(p.secret, 32, in, n, want), SW_OK);
		assert_memory_equal(out, want, 32);
	}
}

static void test_secret_file(void **state)
{
	char path[256];
	struct sw_pseudonym a, b;
	struct sw_errbuf eb = {{0}};
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/secret", dir);
	assert_int_equal(sw_pseudonym_load(path, &a, &eb), SW_OK); /* created */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sw_pseudonym_load(path, &b, &eb), SW_OK); /* read back */
	assert_memory_equal(a.secret, b.secret, 32);
	chmod(path, 0644);
	assert_int_equal(sw_pseudonym_load(path, &b, &eb), SW_E_INVALID);
	assert_non_null(strstr(eb.msg, "chmod 600"));
}

static void obs(struct sw_sink *s, const uint8_t *ih, unsigned host, int64_t ts, enum sw_tier t)
{
	struct sw_observation o;
	uint8_t ip[4] = {198, 51, 100, (uint8_t)host};

	memset(&o, 0, sizeof(o));
	o.ts_ms = ts;
	memcpy(o.infohash, ih, 20);
	sw_addr_init_v4(&o.addr, ip, 6881);
	o.source = SW_SOURCE_TRACKER;
	o.tier = t;
	assert_int_equal(sw_sink_put_observation(s, &o, NULL), SW_OK);
}

static void test_no_raw_address_and_retention(void **state)
{
	char path[256];
	struct sw_pseudonym p;
	struct sw_store_options so;
	struct sw_sink *s = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_title t = {"Fury", 2014, NULL, 0};
	uint8_t ih[20];
	int64_t id = 0, n = 0, del = 0, before[3], after[3];
	FILE *f;
	uint8_t *bytes;
	long size;

	(void)state;
	snprintf(path, sizeof(path), "%s/p.db", dir);
	memset(&p, 0, sizeof(p));
	memset(p.secret, 7, 32);
	sw_pseudonym_prepare(&p);
	memset(&so, 0, sizeof(so));
	so.addr_transform = sw_pseudonym_transform;
	so.addr_transform_ctx = &p;
	memset(ih, 0xab, 20);
	assert_int_equal(sw_store_sqlite_open(path, &so, &s, &eb), SW_OK);
	assert_int_equal(sw_sink_put_title(s, &t, &id, &eb), SW_OK);
	assert_int_equal(sw_sink_link_torrent_title(s, ih, id, &eb), SW_OK);
	/* 50 addresses seen on day 1, 20 of them verified; 10 more on day 30. */
	for (unsigned h = 1; h <= 50; h++)
		obs(s, ih, h, 86400000, h <= 20 ? SW_TIER_VERIFIED : SW_TIER_SEEN);
	for (unsigned h = 51; h <= 60; h++)
		obs(s, ih, h, 30LL * 86400000, SW_TIER_SEEN);
	for (int tier = 0; tier < 3; tier++)
		assert_int_equal(sw_store_sqlite_unique_addrs_title(s, id, (enum sw_tier)tier,
								    SW_STORE_AS_OF_ALL, &before[tier],
								    &eb),
				 SW_OK);
	assert_int_equal(before[0], 60);
	assert_int_equal(before[2], 20);
	/* Keep 7 days as of day 31: day 1's rows go, day 30's stay. */
	assert_int_equal(sw_store_sqlite_retain(s, 24LL * 86400000, &del, &eb), SW_OK);
	assert_int_equal(del, 50);
	assert_int_equal(sw_store_sqlite_count_observations(s, NULL, &n, &eb), SW_OK);
	assert_int_equal(n, 10);
	for (int tier = 0; tier < 3; tier++) {
		assert_int_equal(sw_store_sqlite_unique_addrs_title(s, id, (enum sw_tier)tier,
								    SW_STORE_AS_OF_ALL, &after[tier],
								    &eb),
				 SW_OK);
		assert_int_equal(after[tier], before[tier]);
	}
	assert_int_equal(sw_sink_close(s, &eb), SW_OK);

	/* No raw address bytes anywhere in the file (the WAL is checkpointed on close). */
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	bytes = malloc((size_t)size);
	assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	for (unsigned h = 1; h <= 60; h++) {
		uint8_t ip[4] = {198, 51, 100, (uint8_t)h};

		assert_null(memmem(bytes, (size_t)size, ip, 4));
	}
	free(bytes);
}

struct loaded {
	size_t n;
	struct sw_addr a[4];
	uint8_t id[4][20];
};

static void on_node(void *ctx, const uint8_t id[20], const struct sw_addr *a)
{
	struct loaded *l = ctx;

	if (l->n < 4) {
		memcpy(l->id[l->n], id, 20);
		l->a[l->n++] = *a;
	}
}

static void test_dht_nodes_saved(void **state)
{
	char path[256];
	struct sw_sink *s = NULL;
	struct sw_errbuf eb = {{0}};
	uint8_t ids[2][20];
	struct sw_addr a[2];
	uint8_t v4[4] = {203, 0, 113, 9}, v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct loaded l = {0};

	(void)state;
	snprintf(path, sizeof(path), "%s/d.db", dir);
	memset(ids[0], 1, 20);
	memset(ids[1], 2, 20);
	sw_addr_init_v4(&a[0], v4, 6881);
	sw_addr_init_v6(&a[1], v6, 51413);
	assert_int_equal(sw_store_sqlite_open(path, NULL, &s, &eb), SW_OK);
	assert_int_equal(sw_store_sqlite_dht_save(s, (const uint8_t(*)[20])ids, a, 2, 1000, &eb),
			 SW_OK);
	assert_int_equal(sw_sink_close(s, &eb), SW_OK);
	assert_int_equal(sw_store_sqlite_open(path, NULL, &s, &eb), SW_OK);
	assert_int_equal(sw_store_sqlite_dht_load(s, on_node, &l, &eb), SW_OK);
	assert_int_equal(l.n, 2);
	for (size_t i = 0; i < 2; i++) {
		size_t k = memcmp(&l.a[i], &a[0], sizeof(a[0])) == 0 ? 0 : 1;

		assert_memory_equal(&l.a[i], &a[k], sizeof(a[k]));
		assert_memory_equal(l.id[i], ids[k], 20);
	}
	/* Saving again replaces the set. */
	assert_int_equal(sw_store_sqlite_dht_save(s, (const uint8_t(*)[20])ids, a, 1, 2000, &eb),
			 SW_OK);
	l.n = 0;
	assert_int_equal(sw_store_sqlite_dht_load(s, on_node, &l, &eb), SW_OK);
	assert_int_equal(l.n, 1);
	sw_sink_close(s, NULL);
}

/* IPv6 counted per address and per /64, pseudonyms on or off. */
static void ipv6_nets(bool pseudonyms)
{
	char path[256];
	struct sw_pseudonym p;
	struct sw_store_options so;
	struct sw_sink *s = NULL;
	struct sw_query *q = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_title t = {"Annie", 2014, NULL, 0};
	struct sw_query_window win = {INT64_MAX, SW_QUERY_NO_SINCE};
	uint8_t ih[20];
	int64_t id = 0, ips[3], nets[3];
	/* three hosts of 2001:db8:1:2::/64, one of 2001:db8:1:3::/64, one IPv4, one v4-mapped */
	static const uint8_t v6[4][16] = {
	    {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, [15] = 1},
	    {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, [8] = 0xab, [15] = 2},
	    {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, [14] = 1, [15] = 3},
	    {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3, [15] = 1},
	};
	static const uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 7};
	uint8_t v4[4] = {198, 51, 100, 1};

	snprintf(path, sizeof(path), "%s/v6-%d.db", dir, pseudonyms);
	memset(&p, 0, sizeof(p));
	memset(p.secret, 9, 32);
	sw_pseudonym_prepare(&p);
	memset(&so, 0, sizeof(so));
	if (pseudonyms) {
		so.addr_transform = sw_pseudonym_transform;
		so.addr_transform_ctx = &p;
	}
	memset(ih, 0xcd, 20);
	assert_int_equal(sw_store_sqlite_open(path, &so, &s, &eb), SW_OK);
	assert_int_equal(sw_sink_put_title(s, &t, &id, &eb), SW_OK);
	assert_int_equal(sw_sink_link_torrent_title(s, ih, id, &eb), SW_OK);
	for (int i = 0; i < 6; i++) {
		struct sw_observation o;

		memset(&o, 0, sizeof(o));
		o.ts_ms = 1000 + i;
		memcpy(o.infohash, ih, 20);
		if (i < 4)
			sw_addr_init_v6(&o.addr, v6[i], 6881);
		else if (i == 4)
			sw_addr_init_v4(&o.addr, v4, 6881);
		else
			sw_addr_init_v6(&o.addr, mapped, 6881);
		o.source = SW_SOURCE_TRACKER;
		o.tier = i == 0 || i == 2 ? SW_TIER_VERIFIED : SW_TIER_SEEN;
		assert_int_equal(sw_sink_put_observation(s, &o, &eb), SW_OK);
	}
	assert_int_equal(sw_sink_close(s, &eb), SW_OK);
	assert_int_equal(sw_query_open(path, &q, &eb), SW_OK);
	assert_int_equal(sw_query_title_unique(q, id, &win, ips, &eb), SW_OK);
	assert_int_equal(sw_query_title_unique_nets(q, id, &win, nets, &eb), SW_OK);
	sw_query_close(q);
	assert_int_equal(ips[0], 6);  /* every address */
	assert_int_equal(nets[0], 4); /* two /64s, the IPv4 and the v4-mapped address */
	assert_int_equal(ips[2], 2);
	assert_int_equal(nets[2], 1); /* both verified hosts share a /64 */
}

static void test_ipv6_per_64(void **state)
{
	(void)state;
	ipv6_nets(false);
	ipv6_nets(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pseudonym_is_hmac),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_no_raw_address_and_retention),
		cmocka_unit_test(test_dht_nodes_saved),
		cmocka_unit_test(test_ipv6_per_64),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
