/*
 * udp.h - one UDP socket per address family, shared by every UDP user.
 *
 * Transmission's design: the DHT and the UDP tracker client share one
 * socket (and so one port) and incoming datagrams are dispatched on their
 * first byte: KRPC messages are bencoded dictionaries and start with 'd';
 * everything else goes to the tracker client, which matches replies by
 * transaction id.  A datagram with no handler for its kind is counted and
 * dropped.
 */
#ifndef SW_UDP_H
#define SW_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/error.h"
#include "net/loop.h"

#define SW_UDP_MAX_DATAGRAM 65536
#ifndef SW_UDP_READS_PER_WAKEUP
#define SW_UDP_READS_PER_WAKEUP 64 /* bound the work of one readable event */
#endif

enum sw_udp_kind { SW_UDP_TRACKER = 0, SW_UDP_DHT, SW_UDP_KINDS };

/* p is valid only during the call. */
typedef void (*sw_udp_handler)(void *ctx, const struct sw_addr *from, const uint8_t *p,
			       size_t n);

struct sw_udp_stats {
	uint64_t rx, tx, rx_bytes, tx_bytes;
	uint64_t unhandled; /* no handler for the datagram's kind */
	uint64_t send_errors;
};

struct sw_udp;

/*
 * Open a socket bound to bind_addr (port 0: any free port) and watch it on
 * the loop.  *out is freed with sw_udp_close().
 */
int sw_udp_open(struct sw_loop *loop, const struct sw_addr *bind_addr, struct sw_udp **out,
		struct sw_errbuf *eb);
void sw_udp_close(struct sw_udp *u); /* NULL-safe */

void sw_udp_set_handler(struct sw_udp *u, enum sw_udp_kind kind, sw_udp_handler cb, void *ctx);
/*
 * Send p[0..n) to `to` (copied: p may be reused at once).  Called from a
 * handler, the datagram is queued and leaves with the others of the batch
 * when the handlers are done (see udp.c); SW_OK then means queued, and a
 * refusal by the kernel only shows in the stats' send_errors.
 */
int sw_udp_send(struct sw_udp *u, const struct sw_addr *to, const void *p, size_t n);
int sw_udp_family(const struct sw_udp *u);
/*
 * Ask for a kernel receive buffer of bytes (SO_RCVBUFFORCE when allowed,
 * else SO_RCVBUF, which net.core.rmem_max caps); returns the size granted.
 */
int sw_udp_set_rcvbuf(struct sw_udp *u, int bytes);
/* The bound address, with the port the kernel chose. */
const struct sw_addr *sw_udp_local(const struct sw_udp *u);
const struct sw_udp_stats *sw_udp_stats(const struct sw_udp *u);

#endif /* SW_UDP_H */
