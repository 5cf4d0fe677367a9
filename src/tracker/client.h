/*
 * client.h - every tracker of every watched swarm, driven on the loop.
 *
 * The glue between the pure state machines (tracker.h) and the network:
 * it resolves UDP tracker hosts with evdns, sends their datagrams on the
 * shared UDP sockets (and takes the tracker kind of datagram from them,
 * matching the source address and transaction id), runs HTTP requests on
 * the shared curl client, and keeps one timer per tracker at the deadline
 * its state machine asks for.
 */
#ifndef SW_TRACKER_CLIENT_H
#define SW_TRACKER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/addr.h"
#include "core/error.h"
#include "net/http.h"
#include "net/loop.h"
#include "net/udp.h"
#include "tracker/tracker.h"

struct sw_tracker_client;

/* Peers named by tracker t (valid during the call). */
typedef void (*sw_tracker_peers_cb)(void *ctx, struct sw_tracker *t, const struct sw_addr *peers,
				    size_t n);

struct sw_tracker_client_opts {
	struct sw_loop *loop;
	struct sw_udp *udp4, *udp6; /* either may be NULL */
	struct sw_http *http;
	long http_timeout_ms;
	size_t http_max_body;
	sw_tracker_peers_cb on_peers;
	void *ctx;
};

int sw_tracker_client_new(const struct sw_tracker_client_opts *o, struct sw_tracker_client **out);
void sw_tracker_client_free(struct sw_tracker_client *c); /* NULL-safe */

/* Add and start a tracker for the swarm p describes. */
int sw_tracker_client_add(struct sw_tracker_client *c, const char *url,
			  const struct sw_tracker_params *p, struct sw_tracker **out,
			  struct sw_errbuf *eb);

size_t sw_tracker_client_count(const struct sw_tracker_client *c);
struct sw_tracker *sw_tracker_client_at(const struct sw_tracker_client *c, size_t i);

/* Begin leaving every swarm (event=stopped, last scrapes). */
void sw_tracker_client_stop(struct sw_tracker_client *c);
/* Leave one tracker's swarm (event=stopped, a last scrape), the others go on. */
void sw_tracker_client_stop_one(struct sw_tracker_client *c, struct sw_tracker *t);
/* Has every tracker finished? */
bool sw_tracker_client_done(const struct sw_tracker_client *c);
/* The caller updates a tracker's count of distinct peers it named. */
void sw_tracker_client_poke(struct sw_tracker_client *c, struct sw_tracker *t);

struct sw_tracker_client_stats {
	uint64_t udp_unmatched; /* datagrams from no tracker's address */
};
const struct sw_tracker_client_stats *sw_tracker_client_stats(const struct sw_tracker_client *c);

#endif /* SW_TRACKER_CLIENT_H */
