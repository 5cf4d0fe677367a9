/*
 * fuzz_http_tracker.c - libFuzzer target for HTTP tracker replies and URLs.
 * Each input is parsed as an announce reply (with room for few and for
 * many peers, so both the capacity and the copy paths run) and as a
 * scrape reply, whose entries are then iterated and looked up; every
 * pointer in a result must lie inside the input.  The input, cut at its
 * first NUL, is also used as an announce URL for both URL builders.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "proto/bencode.h"
#include "proto/http_tracker.h"

#define FEW_PEERS  4
#define MANY_PEERS 1024
#define URL_MAX    (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_bencode_token tok[SW_HTTPT_TOKENS];
static struct sw_addr peers[MANY_PEERS];

static void inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	if (p != NULL && (p < data || p + len > data + size))
		abort();
}

static void fuzz_announce(const uint8_t *data, size_t size, size_t cap)
{
	struct sw_httpt_announce a;
	struct sw_errbuf eb;
	int rc;

	rc = sw_httpt_parse_announce(data, size, tok, SW_HTTPT_TOKENS, peers, cap, &a, &eb);
	if (rc == SW_OK) {
		if (a.num_peers > cap || a.num_v4 + a.num_v6 != a.num_peers)
			abort();
		inside(a.warning, a.warning_len, data, size);
		inside(a.tracker_id, a.tracker_id_len, data, size);
		for (size_t i = 0; i < a.num_peers; i++) {
			if (peers[i].family != AF_INET && peers[i].family != AF_INET6)
				abort();
		}
	} else if (rc == SW_E_UNSUPPORTED) {
		if (a.failure == NULL)
			abort();
		inside(a.failure, a.failure_len, data, size);
	}
	if (rc != SW_OK && memchr(eb.msg, 0, sizeof(eb.msg)) == NULL)
		abort();
}

static void fuzz_scrape(const uint8_t *data, size_t size)
{
	struct sw_httpt_scrape s;
	struct sw_httpt_scrape_entry e, l;
	uint32_t cursor = 0;
	size_t n = 0;

	if (sw_httpt_parse_scrape(data, size, tok, SW_HTTPT_TOKENS, &s, NULL) != SW_OK)
		return;
	while (sw_httpt_scrape_next(&s, &cursor, &e) == SW_OK) {
		n++;
		if (e.complete < -1 || e.incomplete < -1 || e.downloaded < -1)
			abort();
		(void)sw_httpt_scrape_lookup(&s, e.infohash, &l);
	}
	if (n != s.num_files)
		abort();
}

static void fuzz_urls(const uint8_t *data, size_t size)
{
	struct sw_httpt_announce_req req;
	struct sw_buf out;
	char *url = malloc(size + 1);
	int rc;

	if (url == NULL)
		return;
	memcpy(url, data, size);
	url[size] = 0;
	memset(&req, 0, sizeof(req));
	req.announce_url = url;
	req.numwant = SW_HTTPT_NUMWANT_DEFAULT;
	req.tracker_id = data;
	req.tracker_id_len = size < SW_INFOHASH_LEN ? size : SW_INFOHASH_LEN;
	sw_buf_init(&out, URL_MAX);
	rc = sw_httpt_announce_url(&out, &req);
	if (rc == SW_OK && strlen((char *)out.data) != out.len)
		abort();
	sw_buf_reset(&out);
	rc = sw_httpt_scrape_url(&out, url, data,
	                         size / SW_INFOHASH_LEN > 3 ? 3 : size / SW_INFOHASH_LEN);
	if (rc != SW_OK && out.len != 0)
		abort();
	sw_buf_deinit(&out);
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_announce(data, size, FEW_PEERS);
	fuzz_announce(data, size, MANY_PEERS);
	fuzz_scrape(data, size);
	fuzz_urls(data, size);
	return 0;
}
