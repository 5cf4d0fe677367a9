/*
 * test_krpc.c - KRPC (BEP 5/32/33/42/43/51): every real libtorrent
 * message in tests/fixtures/dht/ and bench/corpus/dht/ parses, with the
 * fields its kind implies; each builder round-trips through the parser;
 * hostile datagrams are refused with the right code and reason.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "proto/krpc.h"

#define FIXTURES SW_SOURCE_DIR "/tests/fixtures/dht/"
#define BENCH    SW_SOURCE_DIR "/bench/corpus/dht/"

#define P(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

static struct sw_bencode_token tok[SW_KRPC_TOKENS];

static const uint8_t ID[20] = "abcdefghij0123456789";
static const uint8_t IH[20] = "ABCDEFGHIJ0123456789";

static int parse(const uint8_t *p, size_t n, struct sw_krpc_msg *m, struct sw_errbuf *eb)
{
	return sw_krpc_parse(p, n, tok, SW_KRPC_TOKENS, m, eb);
}

/* --- real messages ------------------------------------------------------- */

struct counts {
	int files, q, r, e;
	int nodes, nodes6, values, bf, samples, ip, version;
};

/* What the file name (lt_<kind>_<method>..., or <kind>_<method>...) implies. */
static void check_kind(const char *name, const struct sw_krpc_msg *m)
{
	const char *k = strncmp(name, "lt_", 3) == 0 ? name + 3 : name;

	if (k[0] == 'q') {
		assert_int_equal(m->type, SW_KRPC_QUERY);
		if (strncmp(k + 2, "get_peers", 9) == 0)
			assert_int_equal(m->method, SW_KRPC_GET_PEERS);
		else if (strncmp(k + 2, "announce_peer", 13) == 0)
			assert_int_equal(m->method, SW_KRPC_ANNOUNCE_PEER);
		else if (strncmp(k + 2, "sample_infohashes", 17) == 0)
			assert_int_equal(m->method, SW_KRPC_SAMPLE_INFOHASHES);
		else if (strncmp(k + 2, "get", 3) == 0 || strncmp(k + 2, "put", 3) == 0)
			assert_int_equal(m->method, SW_KRPC_UNKNOWN);
		assert_non_null(m->id);
		if (m->method == SW_KRPC_GET_PEERS || m->method == SW_KRPC_ANNOUNCE_PEER)
			assert_non_null(m->info_hash);
		if (m->method == SW_KRPC_ANNOUNCE_PEER) {
			assert_non_null(m->token);
			assert_true(m->port >= 0);
		}
	} else if (k[0] == 'r') {
		assert_int_equal(m->type, SW_KRPC_RESPONSE);
		assert_non_null(m->id);
		if (strncmp(k + 2, "get_peers", 9) == 0)
			assert_non_null(m->token);
		if (strncmp(k + 2, "get_peers_scrape", 16) == 0)
			assert_true(m->bf_seeds != NULL && m->bf_peers != NULL);
		if (strncmp(k + 2, "sample_infohashes", 17) == 0)
			assert_true(m->samples != NULL && m->interval >= 0 && m->num >= 0);
		if (strncmp(k + 2, "find_node", 9) == 0)
			assert_true(m->nodes_count + m->nodes6_count > 0);
	} else {
		assert_int_equal(m->type, SW_KRPC_ERROR);
		assert_true(m->error_code >= 201 && m->error_code <= 204);
	}
}

/* Walk everything the message holds, as the DHT code would. */
static void walk(const struct sw_krpc_msg *m, struct counts *c)
{
	struct sw_krpc_node node;
	struct sw_addr a;
	uint32_t cur = 0;
	size_t nv = 0;

	for (size_t i = 0; i < m->nodes_count; i++) {
		assert_int_equal(sw_krpc_node4(m, i, &node), SW_OK);
		assert_int_equal(node.addr.family, AF_INET);
	}
	assert_int_equal(sw_krpc_node4(m, m->nodes_count, &node), SW_E_RANGE);
	for (size_t i = 0; i < m->nodes6_count; i++) {
		assert_int_equal(sw_krpc_node6(m, i, &node), SW_OK);
		assert_int_equal(node.addr.family, AF_INET6);
	}
	while (sw_krpc_value_next(m, &cur, &a))
		nv++;
	assert_int_equal(nv, m->values_count);
	c->nodes += m->nodes_count > 0;
	c->nodes6 += m->nodes6_count > 0;
	c->values += m->values_count > 0;
	c->bf += m->bf_seeds != NULL;
	c->samples += m->samples != NULL;
	c->ip += m->has_ip;
	c->version += m->version != NULL;
}

static void parse_dir(const char *dir, struct counts *c)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		struct sw_krpc_msg m;
		struct sw_errbuf eb = {{0}};
		struct sw_buf b;
		size_t l = strlen(de->d_name);

		if (l < 4 || strcmp(de->d_name + l - 4, ".bin") != 0)
			continue;
		snprintf(path, sizeof(path), "%s%s", dir, de->d_name);
		sw_buf_init(&b, 1 << 20);
		assert_int_equal(sw_buf_read_file(&b, path), SW_OK);
		if (parse(b.data, b.len, &m, &eb) != SW_OK)
			fail_msg("%s: %s", de->d_name, eb.msg);
		check_kind(de->d_name, &m);
		walk(&m, c);
		c->files++;
		c->q += m.type == SW_KRPC_QUERY;
		c->r += m.type == SW_KRPC_RESPONSE;
		c->e += m.type == SW_KRPC_ERROR;
		sw_buf_deinit(&b);
	}
	closedir(d);
}

static void test_fixtures(void **state)
{
	struct counts c = {0};

	(void)state;
	parse_dir(FIXTURES, &c);
	/* tests/fixtures/dht: 32 queries, 42 replies, 12 errors. */
	assert_int_equal(c.files, 86);
	assert_int_equal(c.q, 32);
	assert_int_equal(c.r, 42);
	assert_int_equal(c.e, 12);
	assert_true(c.nodes > 0 && c.nodes6 > 0 && c.values > 0 && c.samples > 0);
	assert_true(c.ip > 0 && c.version > 0);
}

static void test_bench_corpus(void **state)
{
	struct counts c = {0};

	(void)state;
	parse_dir(BENCH, &c);
	assert_int_equal(c.files, 1042);
	assert_int_equal(c.q + c.r + c.e, 1042);
	assert_true(c.bf >= 48);
}

static void test_real_get_peers_reply(void **state)
{
	static const char path[] = FIXTURES "lt_r_get_peers_01.bin";
	struct sw_krpc_msg m;
	struct sw_addr a;
	struct sw_buf b;
	uint32_t cur = 0;
	char s[SW_ADDR_STRLEN];

	(void)state;
	sw_buf_init(&b, 1 << 16);
	assert_int_equal(sw_buf_read_file(&b, path), SW_OK);
	assert_int_equal(parse(b.data, b.len, &m, NULL), SW_OK);
	assert_true(m.has_ip);
	sw_addr_str(&m.ip, s, sizeof(s));
	assert_string_equal(s, "127.0.0.4:57043");
	assert_int_equal(m.nodes_count, 2);
	assert_int_equal(m.token_len, 4);
	assert_int_equal(m.values_count, 2);
	assert_true(sw_krpc_value_next(&m, &cur, &a));
	sw_addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "127.0.0.2:44435");
	assert_true(sw_krpc_value_next(&m, &cur, &a));
	assert_false(sw_krpc_value_next(&m, &cur, &a));
	sw_buf_deinit(&b);
}

/* --- builders round-trip ------------------------------------------------- */

static const struct sw_krpc_hdr HDR = {
    (const uint8_t *)"aa", 2, ID, (const uint8_t *)"SW01", 4, false, NULL};

static void roundtrip(struct sw_buf *b, struct sw_krpc_msg *m)
{
	struct sw_errbuf eb = {{0}};

	if (parse(b->data, b->len, m, &eb) != SW_OK)
		fail_msg("%s: %s", (const char *)b->data, eb.msg);
	assert_int_equal(m->tid_len, 2);
	assert_memory_equal(m->tid, "aa", 2);
	assert_int_equal(m->version_len, 4);
}

static void test_build_queries(void **state)
{
	static const char ping[] =
	    "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:v4:SW011:y1:qe";
	struct sw_krpc_hdr h = HDR;
	struct sw_krpc_msg m;
	struct sw_buf b;

	(void)state;
	sw_buf_init(&b, 4096);
	assert_int_equal(sw_krpc_build_ping(&b, &h), SW_OK);
	assert_int_equal(b.len, sizeof(ping) - 1);
	assert_memory_equal(b.data, ping, b.len);
	roundtrip(&b, &m);
	assert_int_equal(m.method, SW_KRPC_PING);
	assert_false(m.read_only);

	sw_buf_reset(&b);
	h.read_only = true;
	assert_int_equal(sw_krpc_build_find_node(&b, &h, IH, SW_KRPC_WANT_N4 | SW_KRPC_WANT_N6),
	                 SW_OK);
	roundtrip(&b, &m);
	assert_int_equal(m.method, SW_KRPC_FIND_NODE);
	assert_memory_equal(m.target, IH, 20);
	assert_true(m.want_n4 && m.want_n6 && m.read_only);

	sw_buf_reset(&b);
	assert_int_equal(
	    sw_krpc_build_get_peers(&b, &h, IH, SW_KRPC_WANT_N6 | SW_KRPC_SCRAPE | SW_KRPC_NOSEED),
	    SW_OK);
	roundtrip(&b, &m);
	assert_int_equal(m.method, SW_KRPC_GET_PEERS);
	assert_memory_equal(m.info_hash, IH, 20);
	assert_true(!m.want_n4 && m.want_n6 && m.scrape && m.noseed);

	sw_buf_reset(&b);
	assert_int_equal(sw_krpc_build_announce_peer(&b, &h, IH, P("tok1"), 6881, true), SW_OK);
	roundtrip(&b, &m);
	assert_int_equal(m.method, SW_KRPC_ANNOUNCE_PEER);
	assert_int_equal(m.port, 6881);
	assert_true(m.implied_port);
	assert_int_equal(m.token_len, 4);
	assert_memory_equal(m.token, "tok1", 4);

	sw_buf_reset(&b);
	assert_int_equal(sw_krpc_build_sample_infohashes(&b, &h, IH, 0), SW_OK);
	roundtrip(&b, &m);
	assert_int_equal(m.method, SW_KRPC_SAMPLE_INFOHASHES);
	assert_memory_equal(m.target, IH, 20);
	assert_string_equal(sw_krpc_method_name(m.method), "sample_infohashes");
	sw_buf_deinit(&b);
}

static void make_nodes(uint8_t *n4, uint8_t *n6)
{
	struct sw_addr a;
	static const uint8_t ip4[4] = {203, 0, 113, 7};
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};

	sw_addr_init_v4(&a, ip4, 6881);
	assert_int_equal(sw_krpc_compact_node(n4, 52, ID, &a), SW_COMPACT_NODE4_LEN);
	assert_int_equal(sw_krpc_compact_node(n4 + 26, 26, IH, &a), SW_COMPACT_NODE4_LEN);
	sw_addr_init_v6(&a, ip6, 51413);
	assert_int_equal(sw_krpc_compact_node(n6, 37, ID, &a), 0);
	assert_int_equal(sw_krpc_compact_node(n6, 38, ID, &a), SW_COMPACT_NODE6_LEN);
}

static void test_build_replies(void **state)
{
	uint8_t n4[52], n6[38];
	struct sw_addr vals[3];
	struct sw_krpc_hdr h = HDR;
	struct sw_krpc_node node;
	struct sw_krpc_msg m;
	struct sw_buf b;

	(void)state;
	sw_buf_init(&b, 4096);
	make_nodes(n4, n6);
	sw_addr_init_v4(&vals[2], (const uint8_t *)"\x7f\0\0\x01", 1000);
	assert_int_equal(sw_addr_parse(&vals[0], "198.51.100.1:6881"), SW_OK);
	assert_int_equal(sw_addr_parse(&vals[1], "[2001:db8::1]:51413"), SW_OK);
	h.ip = &vals[1];

	assert_int_equal(sw_krpc_build_ping_reply(&b, &h), SW_OK);
	roundtrip(&b, &m);
	assert_int_equal(m.type, SW_KRPC_RESPONSE);
	assert_memory_equal(m.id, ID, 20);
	assert_true(m.has_ip && memcmp(&m.ip, &vals[1], sizeof(m.ip)) == 0);

	sw_buf_reset(&b);
	assert_int_equal(sw_krpc_build_announce_peer_reply(&b, &h), SW_OK);
	roundtrip(&b, &m);

	sw_buf_reset(&b);
	assert_int_equal(sw_krpc_build_find_node_reply(&b, &h, n4, 52, n6, 38), SW_OK);
	roundtrip(&b, &m);
	assert_int_equal(m.nodes_count, 2);
	assert_int_equal(m.nodes6_count, 1);
	assert_int_equal(sw_krpc_node4(&m, 1, &node), SW_OK);
	assert_memory_equal(node.id, IH, 20);
	assert_int_equal(node.addr.port, 6881);
	assert_int_equal(sw_krpc_node6(&m, 0, &node), SW_OK);
	assert_int_equal(node.addr.port, 51413);
	assert_int_equal(node.addr.ip[15], 9);
	assert_int_equal(sw_krpc_build_find_node_reply(&b, &h, n4, 51, NULL, 0), SW_E_RANGE);
	sw_buf_deinit(&b);
}

static void test_build_data_replies(void **state)
{
	uint8_t n4[52], n6[38], bf[256], samples[60];
	struct sw_addr vals[3], got;
	struct sw_krpc_hdr h = HDR;
	struct sw_krpc_reply r = {.interval = -1, .num = -1};
	struct sw_krpc_msg m;
	struct sw_buf b;
	uint32_t cur = 0;

	(void)state;
	sw_buf_init(&b, 4096);
	make_nodes(n4, n6);
	sw_addr_init_v4(&vals[2], (const uint8_t *)"\x7f\0\0\x01", 1000);
	assert_int_equal(sw_addr_parse(&vals[0], "198.51.100.1:6881"), SW_OK);
	assert_int_equal(sw_addr_parse(&vals[1], "[2001:db8::1]:51413"), SW_OK);
	memset(bf, 0xa5, sizeof(bf));
	r.token = (const uint8_t *)"xyz";
	r.token_len = 3;
	r.values = vals;
	r.values_count = 3;
	r.nodes = n4;
	r.nodes_len = 26;
	r.bf_seeds = bf;
	r.bf_peers = bf;
	assert_int_equal(sw_krpc_build_get_peers_reply(&b, &h, &r), SW_OK);
	roundtrip(&b, &m);
	assert_int_equal(m.token_len, 3);
	assert_int_equal(m.values_count, 3);
	assert_int_equal(m.values_invalid, 0);
	assert_int_equal(m.nodes_count, 1);
	assert_memory_equal(m.bf_seeds, bf, 256);
	assert_memory_equal(m.bf_peers, bf, 256);
	for (int i = 0; i < 3; i++) {
		assert_true(sw_krpc_value_next(&m, &cur, &got));
		assert_memory_equal(&got, &vals[i], sizeof(got));
	}
	assert_false(sw_krpc_value_next(&m, &cur, &got));

	sw_buf_reset(&b);
	memset(samples, 7, sizeof(samples));
	assert_int_equal(
	    sw_krpc_build_sample_infohashes_reply(&b, &h, 21600, 1234, samples, 3, n4, 52), SW_OK);
	roundtrip(&b, &m);
	assert_int_equal(m.interval, 21600);
	assert_int_equal(m.num, 1234);
	assert_int_equal(m.samples_count, 3);
	assert_int_equal(m.nodes_count, 2);
	sw_buf_deinit(&b);
}

static void test_build_errors(void **state)
{
	static const char want[] = "d1:eli203e14:Protocol Errore1:t2:aa1:v4:SW011:y1:ee";
	static const int codes[] = {SW_KRPC_ERR_GENERIC, SW_KRPC_ERR_SERVER, SW_KRPC_ERR_PROTOCOL,
	                            SW_KRPC_ERR_METHOD};
	struct sw_krpc_hdr h = HDR;
	struct sw_krpc_msg m;
	struct sw_buf b;

	(void)state;
	sw_buf_init(&b, 4096);
	assert_int_equal(sw_krpc_build_error(&b, &h, SW_KRPC_ERR_PROTOCOL, "Protocol Error"),
	                 SW_OK);
	assert_int_equal(b.len, sizeof(want) - 1);
	assert_memory_equal(b.data, want, b.len);
	for (int i = 0; i < 4; i++) {
		sw_buf_reset(&b);
		assert_int_equal(sw_krpc_build_error(&b, &h, codes[i], "msg"), SW_OK);
		roundtrip(&b, &m);
		assert_int_equal(m.type, SW_KRPC_ERROR);
		assert_int_equal(m.error_code, codes[i]);
		assert_int_equal(m.error_msg_len, 3);
	}
	/* A failed build leaves the buffer as it was. */
	sw_buf_deinit(&b);
	sw_buf_init(&b, 20);
	assert_int_equal(sw_buf_puts(&b, "keep"), SW_OK);
	assert_int_equal(sw_krpc_build_error(&b, &h, 201, "a long message"), SW_E_TOO_BIG);
	assert_int_equal(b.len, 4);
	assert_string_equal((const char *)b.data, "keep");
	h.tid_len = 17;
	assert_int_equal(sw_krpc_build_ping(&b, &h), SW_E_INVALID);
	sw_buf_deinit(&b);
}

/* --- hostile ------------------------------------------------------------- */

static void expect(const uint8_t *p, size_t n, int code, const char *reason)
{
	struct sw_errbuf eb = {{0}};
	struct sw_krpc_msg m;

	assert_int_equal(parse(p, n, &m, &eb), code);
	if (reason != NULL && strstr(eb.msg, reason) == NULL)
		fail_msg("reason \"%s\" does not contain \"%s\"", eb.msg, reason);
}

#define EXPECT(s, code, reason) expect(P(s), code, reason)

#define RID "2:id20:abcdefghij0123456789"

static void test_hostile_shape(void **state)
{
	uint8_t bomb[600];

	(void)state;
	EXPECT("", SW_E_INVALID, "not bencode");
	EXPECT("hello", SW_E_INVALID, "not bencode");
	EXPECT("d1:t2:aa1:y1:r", SW_E_INVALID, "not bencode");
	EXPECT("li1ee", SW_E_UNSUPPORTED, "not a dict");
	EXPECT("4:spam", SW_E_UNSUPPORTED, "not a dict");
	EXPECT("d1:rd" RID "e1:t2:aa1:y1:reXX", SW_E_INVALID, "2 bytes after");
	EXPECT("d1:rd" RID "e1:t2:aae", SW_E_NOT_FOUND, "\"y\"");
	EXPECT("d1:rd" RID "e1:y1:re", SW_E_NOT_FOUND, "\"t\"");
	EXPECT("d1:rd" RID "e1:t2:aa1:y1:xe", SW_E_UNSUPPORTED, "\"y\"");
	EXPECT("d1:rd" RID "e1:ti5e1:y1:re", SW_E_TYPE, "\"t\" is not a string");
	EXPECT("d1:rd" RID "e1:tle1:y1:re", SW_E_TYPE, "\"t\"");
	EXPECT("d1:rd" RID "e1:t17:aaaaaaaaaaaaaaaaa1:y1:re", SW_E_RANGE, "t length 17");
	EXPECT("d1:rd" RID "e1:t0:1:y1:re", SW_OK, NULL);
	EXPECT("d1:rd2:id19:abcdefghij012345678e1:t2:aa1:y1:re", SW_E_RANGE, "id length 19");
	EXPECT("d1:rde1:t2:aa1:y1:re", SW_E_NOT_FOUND, "\"id\"");
	EXPECT("d1:t2:aa1:y1:re", SW_E_NOT_FOUND, "\"r\"");
	EXPECT("d1:rle1:t2:aa1:y1:re", SW_E_TYPE, "\"r\" is not a dict");
	EXPECT("d1:t2:aa1:y1:qe", SW_E_NOT_FOUND, "\"q\"");
	EXPECT("d1:q4:ping1:t2:aa1:y1:qe", SW_E_NOT_FOUND, "\"a\"");
	EXPECT("d1:t2:aa1:y1:ee", SW_E_NOT_FOUND, "\"e\"");
	EXPECT("d1:eli201ee1:t2:aa1:y1:ee", SW_OK, NULL);
	EXPECT("d1:ele1:t2:aa1:y1:ee", SW_E_TYPE, "\"e\"");
	EXPECT("d1:el3:abce1:t2:aa1:y1:ee", SW_E_TYPE, "error code");
	EXPECT("d2:ip5:abcde1:rd" RID "e1:t2:aa1:y1:re", SW_E_RANGE, "ip length 5");

	/* A bencode bomb: nesting far past the decoder's depth cap. */
	memset(bomb, 'l', 300);
	memset(bomb + 300, 'e', 300);
	expect(bomb, sizeof(bomb), SW_E_TOO_BIG, NULL);
	memset(bomb, 'd', 1);
	memcpy(bomb + 1, "1:a", 3);
	expect(bomb, 4, SW_E_INVALID, NULL);
}

static void test_hostile_lengths(void **state)
{
	char big[700];
	int n;

	(void)state;
	EXPECT("d1:rd" RID "5:nodes27:aaaaaaaaaaaaaaaaaaaaaaaaaaae1:t2:aa1:y1:re", SW_E_RANGE,
	       "nodes length 27 is not a multiple of 26");
	EXPECT("d1:rd" RID "6:nodes637:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaae1:t2:aa1:y1:re",
	       SW_E_RANGE, "nodes6 length 37 is not a multiple of 38");
	EXPECT("d1:rd" RID "5:nodesi1ee1:t2:aa1:y1:re", SW_E_TYPE, "\"nodes\"");
	EXPECT("d1:rd" RID "7:samples19:aaaaaaaaaaaaaaaaaaae1:t2:aa1:y1:re", SW_E_RANGE,
	       "samples length 19");
	EXPECT("d1:rd" RID "8:intervali-1ee1:t2:aa1:y1:re", SW_E_RANGE, "interval");
	EXPECT("d1:rd" RID "6:values3:abce1:t2:aa1:y1:re", SW_E_TYPE, "values");
	EXPECT("d1:ad" RID "4:porti65536ee1:q13:announce_peer1:t2:aa1:y1:qe", SW_E_RANGE, "port");
	EXPECT("d1:ad" RID "4:want2:n4e1:q9:find_node1:t2:aa1:y1:qe", SW_E_TYPE, "want");
	EXPECT("d1:ad" RID "6:target3:abce1:q9:find_node1:t2:aa1:y1:qe", SW_E_RANGE, "target");

	/* BFsd of 255 bytes. */
	n = snprintf(big, sizeof(big), "d1:rd" RID "4:BFsd255:");
	memset(big + n, 'x', 255);
	n += 255;
	n += snprintf(big + n, sizeof(big) - (size_t)n, "e1:t2:aa1:y1:re");
	expect((const uint8_t *)big, (size_t)n, SW_E_RANGE, "BFsd length 255 is not 256");
}

static void test_hostile_values(void **state)
{
	struct sw_krpc_msg m;
	struct sw_addr a;
	uint32_t cur = 0;
	int seen = 0;
	static const char s[] = "d1:rd" RID "6:valuesl5:abcde6:abcdefi7e18:abcdefghijklmnopqr"
	                        "le6:ABCDEFee1:t2:aa1:y1:re";

	(void)state;
	assert_int_equal(parse(P(s), &m, NULL), SW_OK);
	assert_int_equal(m.values_count, 3);
	assert_int_equal(m.values_invalid, 3);
	while (sw_krpc_value_next(&m, &cur, &a))
		seen++;
	assert_int_equal(seen, 3);
	assert_false(sw_krpc_value_next(&m, &cur, &a));
}

static void test_hostile_tokens_and_random(void **state)
{
	struct sw_bencode_token few[4];
	struct sw_krpc_msg m;
	uint8_t buf[512];
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(sw_krpc_parse(P("d1:rd" RID "e1:t2:aa1:y1:re"), few, 4, &m, NULL),
	                 SW_E_TOO_BIG);
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		int rc;

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		if (round % 2)
			buf[0] = 'd';
		rc = parse(buf, n, &m, NULL);
		assert_true(rc == SW_OK || rc == SW_E_INVALID || rc == SW_E_TOO_BIG ||
		            rc == SW_E_UNSUPPORTED || rc == SW_E_NOT_FOUND || rc == SW_E_TYPE ||
		            rc == SW_E_RANGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_bench_corpus),
	    cmocka_unit_test(test_real_get_peers_reply),
	    cmocka_unit_test(test_build_queries),
	    cmocka_unit_test(test_build_replies),
	    cmocka_unit_test(test_build_data_replies),
	    cmocka_unit_test(test_build_errors),
	    cmocka_unit_test(test_hostile_shape),
	    cmocka_unit_test(test_hostile_lengths),
	    cmocka_unit_test(test_hostile_values),
	    cmocka_unit_test(test_hostile_tokens_and_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
