/* client.c - trackers on the loop: timers, DNS, UDP demux, HTTP (see client.h). */
#include "tracker/client.h"

#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <openssl/rand.h>

#include "core/log.h"
#include "core/time.h"

struct entry {
	struct sw_tracker_client *c;
	struct sw_tracker *t;
	struct event *timer;
	struct evdns_getaddrinfo_request *dns_req;
	struct sw_http_req *http_req;
};

struct sw_tracker_client {
	struct sw_tracker_client_opts o;
	struct entry **entries;
	size_t n, cap;
	bool stopping;
	struct sw_tracker_io io;
	struct sw_tracker_client_stats stats;
};

static struct entry *entry_of(struct sw_tracker_client *c, const struct sw_tracker *t)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->entries[i]->t == t)
			return c->entries[i];
	return NULL;
}

static void schedule(struct entry *e, int64_t deadline, int64_t now)
{
	struct timeval tv;
	int64_t d;

	if (deadline == SW_TRACKER_NEVER) {
		evtimer_del(e->timer);
		return;
	}
	d = deadline > now ? deadline - now : 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	evtimer_add(e->timer, &tv);
}

/* After every event: the stop protocol's barrier, then the tracker's poll. */
static void run(struct entry *e)
{
	struct sw_tracker_client *c = e->c;
	int64_t now = sw_time_mono_ms();

	schedule(e, sw_tracker_poll(e->t, now, &c->io), now);
	if (c->stopping) {
		bool all = true;

		for (size_t i = 0; i < c->n && all; i++)
			all = sw_tracker_stop_finished(c->entries[i]->t);
		for (size_t i = 0; i < c->n && all; i++) {
			struct entry *o = c->entries[i];

			if (!o->t->final_scrape_ok) {
				sw_tracker_allow_final_scrape(o->t);
				schedule(o, now, now);
			}
		}
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run(arg);
}

/* --- the I/O the state machines ask for ----------------------------------- */

static int io_send_udp(void *ctx, struct sw_tracker *t, const uint8_t *p, size_t n)
{
	struct sw_tracker_client *c = ctx;
	struct sw_udp *u = t->addr.family == AF_INET6 ? c->o.udp6 : c->o.udp4;

	return u ? sw_udp_send(u, &t->addr, p, n) : SW_E_UNSUPPORTED;
}

static void on_http_done(void *arg, const struct sw_http_result *r)
{
	struct entry *e = arg;

	e->http_req = NULL;
	sw_tracker_http_done(e->t, r->rc, r->status, r->body, r->len, r->error,
			     sw_time_mono_ms(), &e->c->io);
	run(e);
}

static int io_http_get(void *ctx, struct sw_tracker *t, const char *url)
{
	struct sw_tracker_client *c = ctx;
	struct entry *e = entry_of(c, t);
	struct sw_http_opts ho = {c->o.http_timeout_ms, c->o.http_max_body, -1};

	if (c->o.http == NULL || e == NULL)
		return SW_E_UNSUPPORTED;
	return sw_http_get(c->o.http, url, &ho, on_http_done, e, &e->http_req);
}

static void io_peers(void *ctx, struct sw_tracker *t, const struct sw_addr *peers, size_t n)
{
	struct sw_tracker_client *c = ctx;

	if (c->o.on_peers)
		c->o.on_peers(c->o.ctx, t, peers, n);
}

static void io_log(void *ctx, struct sw_tracker *t, const char *msg)
{
	(void)ctx;
	sw_info("tracker %s: %s", t->url, msg);
}

static uint32_t io_random32(void *ctx)
{
	uint32_t v = 0;

	(void)ctx;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint32_t)sw_time_mono_ms() * 2654435761u;
	return v;
}

/* --- UDP ------------------------------------------------------------------ */

static void on_udp(void *ctx, const struct sw_addr *from, const uint8_t *p, size_t n)
{
	struct sw_tracker_client *c = ctx;
	struct entry *first = NULL;

	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = c->entries[i];

		if (e->t->proto != SW_TRACKER_UDP || !e->t->resolved ||
		    !sw_addr_same_ip(&e->t->addr, from) || e->t->addr.port != from->port)
			continue;
		if (sw_tracker_udp_expects(e->t, p, n)) {
			sw_tracker_udp_input(e->t, p, n, sw_time_mono_ms(), &c->io);
			run(e);
			return;
		}
		if (first == NULL)
			first = e;
	}
	if (first != NULL) /* from a tracker, but not an answer: count the drop */
		sw_tracker_udp_input(first->t, p, n, sw_time_mono_ms(), &c->io);
	else
		c->stats.udp_unmatched++;
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct entry *e = arg;
	struct sw_tracker_client *c = e->c;
	struct sw_addr a;
	bool found = false;
	char msg[SW_TRACKER_ERRLEN];

	e->dns_req = NULL;
	for (struct evutil_addrinfo *ai = res; ai != NULL && !found; ai = ai->ai_next) {
		if (sw_addr_from_sockaddr(&a, ai->ai_addr) != SW_OK)
			continue;
		if ((a.family == AF_INET && c->o.udp4) || (a.family == AF_INET6 && c->o.udp6))
			found = true;
	}
	if (res)
		evutil_freeaddrinfo(res);
	if (result == EVUTIL_EAI_CANCEL)
		return;
	if (!found) {
		snprintf(msg, sizeof(msg), "cannot resolve %.100s: %s", e->t->host,
			 result ? evutil_gai_strerror(result) : "no usable address");
		sw_tracker_resolved(e->t, NULL, msg, sw_time_mono_ms(), &c->io);
	} else {
		a.port = e->t->host_port;
		sw_tracker_resolved(e->t, &a, NULL, sw_time_mono_ms(), &c->io);
	}
	run(e);
}

/* --- lifecycle -------------------------------------------------------------- */

int sw_tracker_client_new(const struct sw_tracker_client_opts *o, struct sw_tracker_client **out)
{
	struct sw_tracker_client *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return SW_E_NOMEM;
	c->o = *o;
	c->io.ctx = c;
	c->io.send_udp = io_send_udp;
	c->io.http_get = io_http_get;
	c->io.peers = io_peers;
	c->io.log = io_log;
	c->io.random32 = io_random32;
	if (o->udp4)
		sw_udp_set_handler(o->udp4, SW_UDP_TRACKER, on_udp, c);
	if (o->udp6)
		sw_udp_set_handler(o->udp6, SW_UDP_TRACKER, on_udp, c);
	*out = c;
	return SW_OK;
}

void sw_tracker_client_free(struct sw_tracker_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = c->entries[i];

		if (e->dns_req)
			evdns_getaddrinfo_cancel(e->dns_req);
		if (e->http_req)
			sw_http_cancel(c->o.http, e->http_req);
		event_free(e->timer);
		sw_tracker_free(e->t);
		free(e);
	}
	if (c->o.udp4)
		sw_udp_set_handler(c->o.udp4, SW_UDP_TRACKER, NULL, NULL);
	if (c->o.udp6)
		sw_udp_set_handler(c->o.udp6, SW_UDP_TRACKER, NULL, NULL);
	free(c->entries);
	free(c);
}

int sw_tracker_client_add(struct sw_tracker_client *c, const char *url,
			  const struct sw_tracker_params *p, struct sw_tracker **out,
			  struct sw_errbuf *eb)
{
	struct entry *e;
	int rc;

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		struct entry **ne = realloc(c->entries, ncap * sizeof(*ne));

		if (ne == NULL)
			return SW_E_NOMEM;
		c->entries = ne;
		c->cap = ncap;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return SW_E_NOMEM;
	rc = sw_tracker_new(url, p, (int)c->n, &e->t, eb);
	if (rc) {
		free(e);
		return rc;
	}
	e->c = c;
	e->timer = evtimer_new(c->o.loop->base, on_timer, e);
	if (e->timer == NULL) {
		sw_tracker_free(e->t);
		free(e);
		return SW_E_NOMEM;
	}
	c->entries[c->n++] = e;
	if (out)
		*out = e->t;
	if (e->t->proto == SW_TRACKER_UDP) {
		struct evutil_addrinfo hints;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
		/* May call on_resolved at once for a numeric host. */
		e->dns_req = evdns_getaddrinfo(c->o.loop->dns, e->t->host, NULL, &hints,
					       on_resolved, e);
	} else {
		schedule(e, 0, 0);
	}
	return SW_OK;
}

size_t sw_tracker_client_count(const struct sw_tracker_client *c)
{
	return c->n;
}

struct sw_tracker *sw_tracker_client_at(const struct sw_tracker_client *c, size_t i)
{
	return i < c->n ? c->entries[i]->t : NULL;
}

void sw_tracker_client_stop(struct sw_tracker_client *c)
{
	int64_t now = sw_time_mono_ms();

	c->stopping = true;
	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = c->entries[i];

		if (e->dns_req) {
			evdns_getaddrinfo_cancel(e->dns_req);
			e->dns_req = NULL;
		}
		sw_tracker_stop(e->t, now);
		schedule(e, now, now);
	}
}

void sw_tracker_client_stop_one(struct sw_tracker_client *c, struct sw_tracker *t)
{
	int64_t now = sw_time_mono_ms();

	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = c->entries[i];

		if (e->t != t)
			continue;
		if (e->dns_req) {
			evdns_getaddrinfo_cancel(e->dns_req);
			e->dns_req = NULL;
		}
		/* Alone, it waits for no other tracker before its last scrape. */
		sw_tracker_allow_final_scrape(t);
		sw_tracker_stop(t, now);
		schedule(e, now, now);
		return;
	}
}

bool sw_tracker_client_done(const struct sw_tracker_client *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (!sw_tracker_done(c->entries[i]->t))
			return false;
	return true;
}

void sw_tracker_client_poke(struct sw_tracker_client *c, struct sw_tracker *t)
{
	struct entry *e = entry_of(c, t);

	if (e != NULL && !c->stopping)
		schedule(e, sw_time_mono_ms(), sw_time_mono_ms());
}

const struct sw_tracker_client_stats *sw_tracker_client_stats(const struct sw_tracker_client *c)
{
	return &c->stats;
}
