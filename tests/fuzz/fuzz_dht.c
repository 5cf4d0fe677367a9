/*
 * fuzz_dht.c - libFuzzer target for the DHT node: every input is one
 * datagram handed to sw_dht_receive() of a live node.
 *
 * The node's only socket is bound to 127.0.0.1: Linux refuses to send
 * from it to any non-loopback address (EINVAL), so whatever nodes and
 * values the inputs name, nothing leaves the machine.  Every datagram
 * comes from one fixed source, S: a second socket on 127.0.0.1 that the
 * harness owns and never answers from, so the node's replies and queries
 * land there and nowhere else.  The node is the bootstrap node's peer of
 * S, watches one swarm and crawls, so it has transactions outstanding
 * toward S.
 *
 * To get past the checks no random bytes pass, the harness splices two
 * secrets into an input before feeding it:
 *
 *   "TXID" (4 bytes)     -> the transaction id of a query the node sent to
 *                           S (read from S), so replies reach handle_reply;
 *   "TOKENTOK" (8 bytes) -> the token the node gave S in a get_peers
 *                           reply, so announce_peer queries are stored.
 *
 * The seeds (tests/fuzz/corpus/dht/) are real libtorrent KRPC messages
 * (tests/fixtures/dht/): its queries as they are, its replies with "t"
 * made "TXID" and its announce_peer with the token made "TOKENTOK".
 *
 * Rate limits are set out of reach (one source sends everything); the
 * loop runs without blocking every few inputs so that timeouts, lookups
 * and the crawl's ticks happen.  After each input the node's invariants
 * are checked: the counters add up, the table stays within its bounds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/time.h"
#include "dht/dht.h"
#include "dht/rtable.h"
#include "net/loop.h"
#include "net/udp.h"
#include "proto/krpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TXID       "TXID"
#define TXID_LEN   4
#define TOKEN      "TOKENTOK"
#define TOKEN_LEN  8
#define TIDS       64
#define MAX_INPUT  4096
#define LOOP_EVERY 32
#define TOKEN_MS   60000 /* re-read the token well within its 5-10 minute life */

struct harness {
	struct sw_loop loop;
	struct sw_udp *node_udp;
	int sink; /* S: a plain socket on 127.0.0.1, read by the harness only */
	struct sw_addr s_addr;
	struct sw_dht *d;
	uint8_t tids[TIDS][TXID_LEN];
	size_t ntids;
	uint8_t token[TOKEN_LEN];
	bool has_token;
	int64_t token_at;
	unsigned long runs;
};

static struct harness *H;

static const uint8_t watched[SW_INFOHASH_LEN + 1] = "swarmwatch-fuzz-ih!!";

/* Read what the node sent to S: keep the 4-byte transaction ids of its queries. */
static void drain(struct harness *h, uint8_t *token_out, bool *got_token)
{
	static struct sw_bencode_token tok[SW_KRPC_TOKENS];
	uint8_t b[SW_UDP_MAX_DATAGRAM];

	for (int i = 0; i < 256; i++) {
		struct sw_krpc_msg m;
		ssize_t n = recv(h->sink, b, sizeof(b), MSG_DONTWAIT);

		if (n <= 0)
			return;
		if (sw_krpc_parse(b, (size_t)n, tok, SW_KRPC_TOKENS, &m, NULL) != SW_OK)
			abort(); /* the node sent something it cannot parse itself */
		if (m.type == SW_KRPC_QUERY && m.tid_len == TXID_LEN && h->ntids < TIDS)
			memcpy(h->tids[h->ntids++], m.tid, TXID_LEN);
		if (m.type == SW_KRPC_RESPONSE && token_out != NULL && m.token != NULL &&
		    m.token_len == TOKEN_LEN) {
			memcpy(token_out, m.token, TOKEN_LEN);
			*got_token = true;
		}
	}
}

/* Ask the node for peers as S, and keep the token of its reply. */
static void fetch_token(struct harness *h)
{
	static const uint8_t q[] = "d1:ad2:id20:SSSSSSSSSSSSSSSSSSSS9:info_hash20:"
	                           "swarmwatch-fuzz-ih!!e1:q9:get_peers1:t2:tk1:y1:qe";
	bool got = false;

	drain(h, NULL, NULL);
	sw_dht_receive(h->d, &h->s_addr, q, sizeof(q) - 1);
	drain(h, h->token, &got);
	if (got)
		h->has_token = true;
	h->token_at = sw_time_mono_ms();
}

static struct harness *setup(void)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct sw_addr lo;
	struct sw_dht_opts o;
	struct sockaddr_storage ss;
	socklen_t sl;
	char boot[SW_ADDR_STRLEN];
	const char *bp = boot;
	static const uint8_t ip[SW_ADDR_V4_LEN] = {127, 0, 0, 1};

	if (h == NULL || sw_loop_init(&h->loop, NULL) != SW_OK)
		abort();
	sw_addr_init_v4(&lo, ip, 0);
	if (sw_udp_open(&h->loop, &lo, &h->node_udp, NULL) != SW_OK)
		abort();
	h->sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sl = sw_addr_to_sockaddr(&lo, &ss);
	if (h->sink < 0 || bind(h->sink, (struct sockaddr *)&ss, sl) != 0)
		abort();
	sl = sizeof(ss);
	if (getsockname(h->sink, (struct sockaddr *)&ss, &sl) != 0 ||
	    sw_addr_from_sockaddr(&h->s_addr, (struct sockaddr *)&ss) != SW_OK)
		abort();
	memset(&o, 0, sizeof(o));
	o.loop = &h->loop;
	o.udp4 = h->node_udp; /* IPv4 only: an IPv6 socket could send anywhere */
	o.allow_private = true;
	o.max_qps = 100000000;
	o.per_addr_qps = 100000000;
	o.lookup_interval_ms = 1000;
	o.announce_port = 6881;
	if (sw_dht_new(&o, &h->d, NULL) != SW_OK)
		abort();
	sw_addr_str(&h->s_addr, boot, sizeof(boot));
	if (sw_dht_bootstrap(h->d, &bp, 1, NULL) != SW_OK || sw_dht_watch(h->d, watched) != SW_OK)
		abort();
	sw_dht_crawl(h->d, 1000);
	fetch_token(h);
	return h;
}

static void check(struct harness *h)
{
	const struct sw_dht_stats *st = sw_dht_stats(h->d);
	size_t table = sw_dht_table_size(h->d);

	/* (dropped_ratelimit is left out: a query over the global rate counts twice) */
	if (st->rx_queries + st->rx_replies + st->rx_errors + st->dropped_parse > st->rx ||
	    table > (size_t)SW_RT_BUCKETS * SW_RT_K)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness *h = H ? H : (H = setup());
	uint8_t buf[MAX_INPUT];

	if (size > sizeof(buf))
		return -1; /* one UDP datagram from a real node is far smaller */
	memcpy(buf, data, size);
	drain(h, NULL, NULL);
	if (h->ntids == 0)
		sw_dht_add_node(h->d, &h->s_addr); /* a ping toward S: a transaction to answer */
	drain(h, NULL, NULL);
	if (!h->has_token || sw_time_mono_ms() - h->token_at > TOKEN_MS)
		fetch_token(h);
	for (size_t i = 0; i + TXID_LEN <= size; i++)
		if (memcmp(buf + i, TXID, TXID_LEN) == 0 && h->ntids > 0)
			memcpy(buf + i, h->tids[--h->ntids], TXID_LEN);
	for (size_t i = 0; h->has_token && i + TOKEN_LEN <= size; i++)
		if (memcmp(buf + i, TOKEN, TOKEN_LEN) == 0)
			memcpy(buf + i, h->token, TOKEN_LEN);
	sw_dht_receive(h->d, &h->s_addr, buf, size);
	if (++h->runs % LOOP_EVERY == 0)
		event_base_loop(h->loop.base, EVLOOP_NONBLOCK);
	check(h);
	return 0;
}
