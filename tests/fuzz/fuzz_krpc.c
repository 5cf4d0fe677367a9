/*
 * fuzz_krpc.c - libFuzzer target for the KRPC parser.  Every input is
 * parsed with a full token array and with a small one; a message that
 * parses is walked completely (every node, every value, the bloom
 * filters, the samples) with the invariants checked, and rebuilt through
 * the builders, whose output must parse again with the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "proto/krpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMALL_TOKENS 16

static struct sw_bencode_token tok[SW_KRPC_TOKENS];
static struct sw_bencode_token tok2[SW_KRPC_TOKENS];

static void check_rc(int rc)
{
	if (rc != SW_OK && rc != SW_E_INVALID && rc != SW_E_TOO_BIG && rc != SW_E_UNSUPPORTED &&
	    rc != SW_E_NOT_FOUND && rc != SW_E_TYPE && rc != SW_E_RANGE)
		abort();
}

static unsigned walk(const struct sw_krpc_msg *m)
{
	struct sw_krpc_node node;
	struct sw_addr a;
	uint32_t cur = 0;
	size_t nv = 0;
	unsigned sum = 0;

	for (size_t i = 0; i < m->nodes_count; i++)
		if (sw_krpc_node4(m, i, &node) != SW_OK || node.addr.family != AF_INET)
			abort();
	for (size_t i = 0; i < m->nodes6_count; i++)
		if (sw_krpc_node6(m, i, &node) != SW_OK ||
		    (node.addr.family != AF_INET6 && node.addr.family != AF_INET))
			abort(); /* IPv4-mapped (::ffff:a.b.c.d) comes out as IPv4 */
	if (sw_krpc_node4(m, m->nodes_count, &node) != SW_E_RANGE)
		abort();
	while (sw_krpc_value_next(m, &cur, &a))
		nv++;
	if (nv != m->values_count)
		abort();
	for (size_t i = 0; m->bf_seeds != NULL && i < SW_KRPC_BLOOM_LEN; i++)
		sum += m->bf_seeds[i];
	for (size_t i = 0; i < m->samples_count * SW_INFOHASH_LEN; i++)
		sum += m->samples[i];
	if ((m->type == SW_KRPC_QUERY || m->type == SW_KRPC_RESPONSE) && m->id == NULL)
		abort();
	if (m->tid_len > SW_KRPC_TID_MAX || sw_krpc_method_name(m->method) == NULL)
		abort();
	return sum;
}

/* Rebuild what was parsed and parse it again. */
static void rebuild(const struct sw_krpc_msg *m)
{
	struct sw_krpc_hdr h = {m->tid,
	                        m->tid_len,
	                        m->id,
	                        m->version,
	                        m->version_len,
	                        m->read_only,
	                        m->has_ip ? &m->ip : NULL};
	struct sw_krpc_msg m2;
	struct sw_buf b;
	int rc;

	sw_buf_init(&b, 1 << 20);
	if (m->type == SW_KRPC_ERROR) {
		rc = sw_krpc_build_error(&b, &h, (int)(m->error_code & 0xffff), "x");
	} else if (m->type == SW_KRPC_RESPONSE) {
		struct sw_krpc_reply r = {m->token,    m->token_len,
		                          NULL,        0,
		                          m->nodes,    m->nodes_count * SW_COMPACT_NODE4_LEN,
		                          m->nodes6,   m->nodes6_count * SW_COMPACT_NODE6_LEN,
		                          m->bf_seeds, m->bf_peers,
		                          m->samples,  m->samples_count,
		                          m->interval, m->num};
		rc = sw_krpc_build_reply(&b, &h, &r);
	} else {
		rc = sw_krpc_build_ping(&b, &h);
	}
	if (rc != SW_OK)
		abort();
	if (sw_krpc_parse(b.data, b.len, tok2, SW_KRPC_TOKENS, &m2, NULL) != SW_OK)
		abort();
	if (m2.type != m->type || m2.tid_len != m->tid_len || m2.nodes_count != m->nodes_count ||
	    m2.nodes6_count != m->nodes6_count || m2.samples_count != m->samples_count ||
	    m2.interval != m->interval || m2.num != m->num ||
	    /* our builders put `ip` in replies and errors only, never in queries */
	    (m->type != SW_KRPC_QUERY && m2.has_ip != m->has_ip) ||
	    (m->tid_len > 0 && memcmp(m2.tid, m->tid, m->tid_len) != 0))
		abort();
	sw_buf_deinit(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_krpc_msg m;
	struct sw_errbuf eb;
	volatile unsigned sink;
	int rc = sw_krpc_parse(data, size, tok, SW_KRPC_TOKENS, &m, &eb);

	check_rc(rc);
	if (rc == SW_OK) {
		sink = walk(&m);
		(void)sink;
		rebuild(&m);
	}
	check_rc(sw_krpc_parse(data, size, tok, SMALL_TOKENS, &m, NULL));
	return 0;
}
