/*
 * fuzz_udp_tracker.c - libFuzzer target for the BEP 15 response parser and
 * the BEP 41 request-string helper.  Each input is parsed as the answer to
 * every action over both address families, with the transaction id taken
 * from the input (so the checks past the txid are reached); every peer and
 * scrape triple is decoded and every pointer checked against the input.
 * The input also goes through sw_udpt_url_request() and, as a request
 * string, through the announce builder, whose size must match BEP 41.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "core/addr.h"
#include "core/error.h"
#include "proto/udp_tracker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_response(const uint8_t *data, size_t size, int rc,
                           const struct sw_udpt_response *r)
{
	struct sw_udpt_scrape_entry e;
	struct sw_addr a;
	size_t i;

	if (rc == SW_OK && r->action == SW_UDPT_ACTION_ANNOUNCE) {
		if (r->peers < data ||
		    SW_UDPT_ANNOUNCE_RESP_MIN + r->num_peers * r->peer_len + r->tail_len != size ||
		    r->tail_len >= r->peer_len)
			abort();
		for (i = 0; i < r->num_peers; i++) {
			/* An IPv4-mapped v6 entry decodes as IPv4 (sw_addr_init_v6). */
			if (sw_udpt_peer(r, i, &a) != SW_OK ||
			    (a.family != r->family && a.family != AF_INET))
				abort();
		}
		if (sw_udpt_peer(r, r->num_peers, &a) != SW_E_RANGE)
			abort();
	}
	if (rc == SW_OK && r->action == SW_UDPT_ACTION_SCRAPE) {
		if (SW_UDPT_SCRAPE_RESP_MIN + r->num_scrape * SW_UDPT_SCRAPE_ENTRY_LEN +
		        r->tail_len !=
		    size)
			abort();
		for (i = 0; i < r->num_scrape; i++) {
			if (sw_udpt_scrape_entry(r, i, &e) != SW_OK)
				abort();
		}
	}
	if (rc == SW_E_UNSUPPORTED) {
		if (r->action != SW_UDPT_ACTION_ERROR ||
		    (const uint8_t *)r->message != data + SW_UDPT_ERROR_RESP_MIN ||
		    SW_UDPT_ERROR_RESP_MIN + r->message_len > size)
			abort();
	}
	if (rc != SW_OK && rc != SW_E_UNSUPPORTED && rc != SW_E_NEED_MORE && rc != SW_E_NOT_FOUND &&
	    rc != SW_E_TYPE)
		abort();
}

static void fuzz_builders(const uint8_t *data, size_t size)
{
	static uint8_t pkt[SW_UDPT_ANNOUNCE_REQ_MAX];
	struct sw_udpt_announce_req req;
	const char *s;
	size_t len, chunks;
	int n;

	if (sw_udpt_url_request((const char *)data, size, &s, &len) == SW_OK &&
	    (s < (const char *)data || s + len > (const char *)data + size))
		abort();
	memset(&req, 0, sizeof(req));
	req.url_request = (const char *)data;
	req.url_request_len = size;
	n = sw_udpt_build_announce(pkt, sizeof(pkt), &req);
	if (size > SW_UDPT_MAX_URLDATA) {
		if (n != SW_E_TOO_BIG)
			abort();
		return;
	}
	chunks = (size + SW_UDPT_URLDATA_CHUNK - 1) / SW_UDPT_URLDATA_CHUNK;
	if ((size_t)n != SW_UDPT_ANNOUNCE_REQ_LEN + (size ? size + 2 * chunks + 1 : 0))
		abort();
	if (size > 0 && pkt[n - 1] != SW_UDPT_OPT_END)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct sw_udpt_response r;
	uint32_t txid = 0;
	int action, f, rc;

	if (size >= SW_UDPT_HEADER_LEN)
		txid = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 |
		       data[7];
	for (action = SW_UDPT_ACTION_CONNECT; action <= SW_UDPT_ACTION_SCRAPE; action++) {
		for (f = 0; f < 2; f++) {
			rc = sw_udpt_parse_response(data, size, txid, action, families[f], &r);
			check_response(data, size, rc, &r);
		}
	}
	rc = sw_udpt_parse_response(data, size, txid ^ 1u, SW_UDPT_ACTION_ANNOUNCE, AF_INET, &r);
	if (rc != SW_E_NOT_FOUND && rc != SW_E_NEED_MORE)
		abort();
	fuzz_builders(data, size);
	return 0;
}
