/*
 * loop.h - the one event loop: libevent's event_base and its resolver.
 *
 * Single-threaded: every callback in swarmwatch runs on this loop.  The
 * loop owns nothing else; UDP sockets (udp.h) and the HTTP client
 * (http.h) are created on it and must be freed before it.
 */
#ifndef SW_LOOP_H
#define SW_LOOP_H

#include <stdint.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "core/error.h"

struct sw_loop {
	struct event_base *base;
	struct evdns_base *dns; /* system resolv.conf; numeric hosts answer at once */
};

int sw_loop_init(struct sw_loop *l, struct sw_errbuf *eb);
void sw_loop_deinit(struct sw_loop *l); /* NULL-safe, idempotent */

/* Run until sw_loop_stop() or no more events. */
int sw_loop_run(struct sw_loop *l);
void sw_loop_stop(struct sw_loop *l);

#endif /* SW_LOOP_H */
