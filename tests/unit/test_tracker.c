/*
 * test_tracker.c - the monitor's per-tracker state machine, driven by hand:
 * a clock we set, datagrams we build from BEP 15's layout, and an io table
 * that records what the tracker sends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/addr.h"
#include "proto/udp_tracker.h"
#include "tracker/tracker.h"

struct rec {
	uint8_t last[2048];
	size_t last_len, sent;
	size_t peers;
	int scraped;
	uint32_t next_txid;
	char log[256];
};

static int io_send(void *ctx, struct sw_tracker *t, const uint8_t *p, size_t n)
{
	struct rec *r = ctx;

	(void)t;
	memcpy(r->last, p, n);
	r->last_len = n;
	r->sent++;
	return 0;
}

static void io_peers(void *ctx, struct sw_tracker *t, const struct sw_addr *p, size_t n)
{
	struct rec *r = ctx;

	(void)p;
	r->peers += n;
	t->known += n; /* the caller's job: distinct peers named */
}

static void io_scraped(void *ctx, struct sw_tracker *t)
{
	(void)t;
	((struct rec *)ctx)->scraped++;
}

static void io_log(void *ctx, struct sw_tracker *t, const char *msg)
{
	(void)t;
	strncpy(((struct rec *)ctx)->log, msg, 255);
}

static uint32_t io_rand(void *ctx)
{
	return ++((struct rec *)ctx)->next_txid;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The action and transaction id of the request last sent. */
static uint32_t sent_action(const struct rec *r)
{
	return get32(r->last + 8);
}

static uint32_t sent_txid(const struct rec *r)
{
	return get32(r->last + 12);
}

static struct sw_tracker *make(struct rec *r, struct sw_tracker_io *io, int64_t floor_ms)
{
	struct sw_tracker_params p;
	struct sw_tracker *t;
	struct sw_addr a;

	memset(r, 0, sizeof(*r));
	memset(io, 0, sizeof(*io));
	io->ctx = r;
	io->send_udp = io_send;
	io->peers = io_peers;
	io->scraped = io_scraped;
	io->log = io_log;
	io->random32 = io_rand;
	memset(&p, 0, sizeof(p));
	memset(p.infohash, 0xab, sizeof(p.infohash));
	p.numwant = 200;
	p.reannounce_floor_ms = floor_ms;
	p.udp_first_timeout_ms = 1000;
	p.udp_max_retries = 2;
	p.retry_base_ms = 10000;
	p.retry_max_ms = 100000;
	assert_int_equal(sw_tracker_new("udp://127.0.0.1:6969/announce", &p, 0, &t, NULL), 0);
	assert_int_equal(sw_addr_parse(&a, "127.0.0.1:6969"), 0);
	sw_tracker_resolved(t, &a, NULL, 0, io);
	return t;
}

static void reply_connect(struct sw_tracker *t, struct rec *r, int64_t now,
			  struct sw_tracker_io *io)
{
	uint8_t p[16] = {0};

	put32(p, SW_UDPT_ACTION_CONNECT);
	put32(p + 4, get32(r->last + 12));
	put32(p + 8, 0x11223344);
	put32(p + 12, 0x55667788);
	sw_tracker_udp_input(t, p, sizeof(p), now, io);
}

/* An announce reply with n IPv4 peers 10.0.0.i:1000+i. */
static void reply_announce(struct sw_tracker *t, struct rec *r, int64_t now,
			   struct sw_tracker_io *io, int n, uint32_t seeders, uint32_t leechers)
{
	uint8_t p[20 + 6 * 64] = {0};

	put32(p, SW_UDPT_ACTION_ANNOUNCE);
	put32(p + 4, get32(r->last + 12));
	put32(p + 8, 1800);
	put32(p + 12, leechers);
	put32(p + 16, seeders);
	for (int i = 0; i < n; i++) {
		uint8_t *e = p + 20 + 6 * i;

		e[0] = 10, e[3] = (uint8_t)i, e[4] = (uint8_t)((1000 + i) >> 8),
		e[5] = (uint8_t)(1000 + i);
	}
	sw_tracker_udp_input(t, p, 20 + 6 * (size_t)n, now, io);
}

static void reply_scrape(struct sw_tracker *t, struct rec *r, int64_t now,
			 struct sw_tracker_io *io, uint32_t s, uint32_t c, uint32_t l)
{
	uint8_t p[20] = {0};

	put32(p, SW_UDPT_ACTION_SCRAPE);
	put32(p + 4, get32(r->last + 12));
	put32(p + 8, s);
	put32(p + 12, c);
	put32(p + 16, l);
	sw_tracker_udp_input(t, p, sizeof(p), now, io);
}

static void test_connect_announce_scrape(void **state)
{
	struct rec r;
	struct sw_tracker_io io;
	struct sw_tracker *t = make(&r, &io, 5000);

	(void)state;
	sw_tracker_poll(t, 0, &io);
	assert_int_equal(r.last_len, SW_UDPT_CONNECT_REQ_LEN);
	assert_int_equal(sent_action(&r), SW_UDPT_ACTION_CONNECT);
	reply_connect(t, &r, 10, &io);
	/* The announce follows at once, with event=started (2) at offset 80. */
	assert_int_equal(sent_action(&r), SW_UDPT_ACTION_ANNOUNCE);
	assert_int_equal(get32(r.last + 80), SW_UDPT_EVENT_STARTED);
	assert_int_equal((int32_t)get32(r.last + 92), 200); /* num_want */
	reply_announce(t, &r, 20, &io, 5, 3, 3);
	assert_true(t->answered && t->ok);
	assert_int_equal(r.peers, 5);
	/* Scrape next, reusing the connection id (no new connect). */
	sw_tracker_poll(t, 30, &io);
	assert_int_equal(sent_action(&r), SW_UDPT_ACTION_SCRAPE);
	assert_memory_equal(r.last, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	reply_scrape(t, &r, 40, &io, 7, 9, 8);
	assert_int_equal(r.scraped, 1);
	assert_int_equal(t->seeders, 7);
	assert_int_equal(t->completed, 9);
	assert_int_equal(t->leechers, 8);
	sw_tracker_free(t);
}

static void test_reannounce_to_gather(void **state)
{
	struct rec r;
	struct sw_tracker_io io;
	struct sw_tracker *t = make(&r, &io, 5000);
	int64_t next;

	(void)state;
	sw_tracker_poll(t, 0, &io);
	reply_connect(t, &r, 0, &io);
	/* The swarm holds 100 others (101 with us) but we got 10. */
	reply_announce(t, &r, 0, &io, 10, 50, 51);
	next = sw_tracker_poll(t, 1, &io); /* scrape goes out first */
	reply_scrape(t, &r, 2, &io, 50, 0, 51);
	next = sw_tracker_poll(t, 3, &io);
	assert_int_equal(next, 5000); /* the floor, not the 1800 s interval */
	r.sent = 0;
	sw_tracker_poll(t, 4999, &io);
	assert_int_equal(r.sent, 0);
	sw_tracker_poll(t, 5000, &io);
	assert_int_equal(r.sent, 1);
	assert_int_equal(sent_action(&r), SW_UDPT_ACTION_ANNOUNCE);
	assert_int_equal(get32(r.last + 80), SW_UDPT_EVENT_NONE);
	/* Once we know all 100, it waits the tracker's interval. */
	t->known = 100;
	reply_announce(t, &r, 5001, &io, 0, 50, 51);
	next = sw_tracker_poll(t, 5002, &io);
	assert_int_equal(next, 2 + 60000); /* the next scrape; no more announces at the floor */
	sw_tracker_free(t);
}

static void test_retransmit_and_give_up(void **state)
{
	struct rec r;
	struct sw_tracker_io io;
	struct sw_tracker *t = make(&r, &io, 5000);
	int64_t d;

	(void)state;
	d = sw_tracker_poll(t, 0, &io);
	assert_int_equal(d, 1000); /* first timeout */
	d = sw_tracker_poll(t, 1000, &io);
	assert_int_equal(r.sent, 2);
	assert_int_equal(d, 1000 + 2000); /* doubled */
	d = sw_tracker_poll(t, 3000, &io);
	assert_int_equal(r.sent, 3);
	assert_int_equal(d, 3000 + 4000);
	sw_tracker_poll(t, 7000, &io); /* third timeout: give up */
	assert_int_equal(r.sent, 3);
	assert_false(t->answered);
	assert_non_null(strstr(t->error, "no reply after 3 attempts"));
	/* Back off: nothing before retry_base. */
	r.sent = 0;
	sw_tracker_poll(t, 7000 + 9999, &io);
	assert_int_equal(r.sent, 0);
	sw_tracker_poll(t, 7000 + 10000, &io);
	assert_int_equal(r.sent, 1);
	sw_tracker_free(t);
}

static void test_drops_are_counted(void **state)
{
	struct rec r;
	struct sw_tracker_io io;
	struct sw_tracker *t = make(&r, &io, 5000);
	uint8_t p[16] = {0};

	(void)state;
	sw_tracker_poll(t, 0, &io);
	put32(p, SW_UDPT_ACTION_CONNECT);
	put32(p + 4, sent_txid(&r) + 1); /* wrong transaction id */
	assert_false(sw_tracker_udp_expects(t, p, sizeof(p)));
	sw_tracker_udp_input(t, p, sizeof(p), 1, &io);
	assert_int_equal(t->stats.drop_txid, 1);
	put32(p + 4, sent_txid(&r));
	sw_tracker_udp_input(t, p, 7, 1, &io); /* short */
	assert_int_equal(t->stats.drop_short, 1);
	put32(p, SW_UDPT_ACTION_SCRAPE); /* our txid, wrong action */
	sw_tracker_udp_input(t, p, sizeof(p), 1, &io);
	assert_int_equal(t->stats.drop_action, 1);
	assert_false(t->answered);
	/* An error reply for our transaction fails the announce with its text. */
	{
		uint8_t e[8 + 12];

		put32(e, SW_UDPT_ACTION_ERROR);
		put32(e + 4, sent_txid(&r));
		memcpy(e + 8, "unregistered", 12);
		sw_tracker_udp_input(t, e, sizeof(e), 2, &io);
	}
	assert_string_equal(t->error, "tracker error: unregistered");
	sw_tracker_free(t);
}

static void test_connection_id_expires(void **state)
{
	struct rec r;
	struct sw_tracker_io io;
	struct sw_tracker *t = make(&r, &io, 1000);

	(void)state;
	sw_tracker_poll(t, 0, &io);
	reply_connect(t, &r, 0, &io);
	reply_announce(t, &r, 0, &io, 1, 1, 1); /* we know the one other peer */
	sw_tracker_poll(t, 59000, &io); /* scrape within 60 s: no connect */
	assert_int_equal(sent_action(&r), SW_UDPT_ACTION_SCRAPE);
	reply_scrape(t, &r, 59000, &io, 5, 0, 5);
	sw_tracker_poll(t, 61000, &io); /* the re-announce: connect first */
	assert_int_equal(sent_action(&r), SW_UDPT_ACTION_CONNECT);
	sw_tracker_free(t);
}

static void test_stop_then_final_scrape(void **state)
{
	struct rec r;
	struct sw_tracker_io io;
	struct sw_tracker *t = make(&r, &io, 5000);

	(void)state;
	sw_tracker_poll(t, 0, &io);
	reply_connect(t, &r, 0, &io);
	reply_announce(t, &r, 0, &io, 2, 1, 2);
	sw_tracker_stop(t, 10);
	sw_tracker_poll(t, 10, &io);
	assert_int_equal(sent_action(&r), SW_UDPT_ACTION_ANNOUNCE);
	assert_int_equal(get32(r.last + 80), SW_UDPT_EVENT_STOPPED);
	reply_announce(t, &r, 11, &io, 0, 1, 1);
	assert_true(sw_tracker_stop_finished(t));
	r.sent = 0;
	sw_tracker_poll(t, 12, &io); /* waits for the go-ahead */
	assert_int_equal(r.sent, 0);
	sw_tracker_allow_final_scrape(t);
	sw_tracker_poll(t, 13, &io);
	assert_int_equal(sent_action(&r), SW_UDPT_ACTION_SCRAPE);
	reply_scrape(t, &r, 14, &io, 1, 0, 1);
	assert_true(sw_tracker_done(t));
	assert_int_equal(t->leechers, 1);
	sw_tracker_free(t);
}

static void test_urls(void **state)
{
	struct sw_tracker_params p;
	struct sw_tracker *t;
	struct sw_errbuf eb;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(sw_tracker_new("udp://[::1]:6969/announce", &p, 0, &t, &eb), 0);
	assert_string_equal(t->host, "::1");
	assert_int_equal(t->host_port, 6969);
	sw_tracker_free(t);
	assert_int_equal(sw_tracker_new("udp://host/announce", &p, 0, &t, &eb), SW_E_INVALID);
	assert_int_equal(sw_tracker_new("udp://host:0/announce", &p, 0, &t, &eb), SW_E_INVALID);
	assert_int_equal(sw_tracker_new("wss://host/announce", &p, 0, &t, &eb), SW_E_UNSUPPORTED);
	assert_int_equal(sw_tracker_new("https://host/announce", &p, 0, &t, &eb), 0);
	assert_int_equal(t->proto, SW_TRACKER_HTTP);
	sw_tracker_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_announce_scrape),
		cmocka_unit_test(test_reannounce_to_gather),
		cmocka_unit_test(test_retransmit_and_give_up),
		cmocka_unit_test(test_drops_are_counted),
		cmocka_unit_test(test_connection_id_expires),
		cmocka_unit_test(test_stop_then_final_scrape),
		cmocka_unit_test(test_urls),
	};
	return cmocka_run_group_tests_name("tracker", tests, NULL, NULL);
}
