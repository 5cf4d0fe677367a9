/*
 * udp.c - shared UDP sockets with first-byte dispatch (see udp.h).
 *
 * Batching: a readable socket is drained with recvmmsg(), up to
 * SW_UDP_READS_PER_WAKEUP datagrams per call, each into its own
 * SW_UDP_MAX_DATAGRAM slot (so nothing is ever truncated; the slots are
 * one lazily-touched allocation, so memory in use follows the datagrams'
 * real sizes).  While the handlers of such a batch run, what they send is
 * copied into a transmit queue and leaves in one sendmmsg() when the batch
 * is done (or the queue fills): a DHT node answering a flood makes two
 * system calls per batch instead of two per datagram.  Datagrams larger
 * than a queue slot, and everything sent outside a batch, go out at once
 * with sendto(), after whatever is queued, so the order is kept.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "net/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#ifndef SW_UDP_TXQ_SLOT
#define SW_UDP_TXQ_SLOT 2048 /* larger datagrams bypass the queue */
#endif

struct txq {
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	uint8_t data[SW_UDP_TXQ_SLOT];
};

struct sw_udp {
	int fd;
	struct event *ev;
	struct sw_addr local;
	struct {
		sw_udp_handler cb;
		void *ctx;
	} handlers[SW_UDP_KINDS];
	struct sw_udp_stats stats;
	bool batching; /* inside on_readable: sends are queued */
	uint8_t *rx;   /* SW_UDP_READS_PER_WAKEUP slots of SW_UDP_MAX_DATAGRAM */
	struct sockaddr_storage rx_from[SW_UDP_READS_PER_WAKEUP];
	struct mmsghdr rx_msg[SW_UDP_READS_PER_WAKEUP];
	struct iovec rx_iov[SW_UDP_READS_PER_WAKEUP];
	struct txq *tx; /* SW_UDP_READS_PER_WAKEUP slots */
	size_t ntx;
	struct mmsghdr tx_msg[SW_UDP_READS_PER_WAKEUP];
	struct iovec tx_iov[SW_UDP_READS_PER_WAKEUP];
};

/* Send what is queued, in order; a datagram the kernel refuses is counted and skipped. */
static void flush(struct sw_udp *u)
{
	size_t done = 0;

	for (size_t i = 0; i < u->ntx; i++) {
		memset(&u->tx_msg[i], 0, sizeof(u->tx_msg[i]));
		u->tx_iov[i].iov_base = u->tx[i].data;
		u->tx_iov[i].iov_len = u->tx[i].len;
		u->tx_msg[i].msg_hdr.msg_name = &u->tx[i].to;
		u->tx_msg[i].msg_hdr.msg_namelen = u->tx[i].tolen;
		u->tx_msg[i].msg_hdr.msg_iov = &u->tx_iov[i];
		u->tx_msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < u->ntx) {
		int n = sendmmsg(u->fd, u->tx_msg + done, (unsigned)(u->ntx - done), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* the first one failed: drop it, go on with the rest */
			u->stats.send_errors++;
			done++;
			continue;
		}
		for (size_t i = done; i < done + (size_t)n; i++) {
			u->stats.tx++;
			u->stats.tx_bytes += u->tx[i].len;
		}
		done += (size_t)n;
	}
	u->ntx = 0;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sw_udp *u = arg;
	int n;

	(void)what;
	for (int i = 0; i < SW_UDP_READS_PER_WAKEUP; i++) {
		u->rx_iov[i].iov_base = u->rx + (size_t)i * SW_UDP_MAX_DATAGRAM;
		u->rx_iov[i].iov_len = SW_UDP_MAX_DATAGRAM;
		memset(&u->rx_msg[i].msg_hdr, 0, sizeof(u->rx_msg[i].msg_hdr));
		u->rx_msg[i].msg_hdr.msg_name = &u->rx_from[i];
		u->rx_msg[i].msg_hdr.msg_namelen = sizeof(u->rx_from[i]);
		u->rx_msg[i].msg_hdr.msg_iov = &u->rx_iov[i];
		u->rx_msg[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, u->rx_msg, SW_UDP_READS_PER_WAKEUP, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return; /* EAGAIN, or an ICMP error surfacing: nothing to read */
	u->batching = true;
	for (int i = 0; i < n; i++) {
		const uint8_t *p = u->rx_iov[i].iov_base;
		size_t len = u->rx_msg[i].msg_len;
		struct sw_addr from;
		enum sw_udp_kind kind;

		u->stats.rx++;
		u->stats.rx_bytes += len;
		if (len == 0 ||
		    sw_addr_from_sockaddr(&from, (struct sockaddr *)&u->rx_from[i]) != SW_OK)
			continue;
		kind = p[0] == 'd' ? SW_UDP_DHT : SW_UDP_TRACKER;
		if (u->handlers[kind].cb == NULL) {
			u->stats.unhandled++;
			continue;
		}
		u->handlers[kind].cb(u->handlers[kind].ctx, &from, p, len);
	}
	u->batching = false;
	flush(u);
}

int sw_udp_open(struct sw_loop *loop, const struct sw_addr *bind_addr, struct sw_udp **out,
		struct sw_errbuf *eb)
{
	struct sockaddr_storage ss;
	socklen_t sl = sw_addr_to_sockaddr(bind_addr, &ss);
	struct sw_udp *u;
	int one = 1;
	char as[SW_ADDR_STRLEN];

	*out = NULL;
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return SW_E_NOMEM;
	u->fd = -1;
	/* Large, but only the pages datagrams are written to are ever touched. */
	u->rx = malloc((size_t)SW_UDP_READS_PER_WAKEUP * SW_UDP_MAX_DATAGRAM);
	u->tx = malloc(SW_UDP_READS_PER_WAKEUP * sizeof(*u->tx));
	if (u->rx == NULL || u->tx == NULL) {
		sw_udp_close(u);
		return SW_E_NOMEM;
	}
	sw_addr_str(bind_addr, as, sizeof(as));
	u->fd = socket(bind_addr->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		goto fail;
	if (bind_addr->family == AF_INET6)
		setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(u->fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(u->fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    sw_addr_from_sockaddr(&u->local, (struct sockaddr *)&ss) != SW_OK)
		goto fail;
	u->ev = event_new(loop->base, u->fd, EV_READ | EV_PERSIST, on_readable, u);
	if (u->ev == NULL || event_add(u->ev, NULL) < 0) {
		sw_udp_close(u);
		return sw_errbuf_set(eb, SW_E_NOMEM, "udp %s: cannot watch socket", as);
	}
	*out = u;
	return SW_OK;
fail:
	sw_errbuf_set(eb, SW_E_IO, "udp %s: %s", as, strerror(errno));
	sw_udp_close(u);
	return SW_E_IO;
}

void sw_udp_close(struct sw_udp *u)
{
	if (u == NULL)
		return;
	if (u->ev != NULL)
		event_free(u->ev);
	if (u->fd >= 0) {
		flush(u);
		close(u->fd);
	}
	free(u->rx);
	free(u->tx);
	free(u);
}

void sw_udp_set_handler(struct sw_udp *u, enum sw_udp_kind kind, sw_udp_handler cb, void *ctx)
{
	u->handlers[kind].cb = cb;
	u->handlers[kind].ctx = ctx;
}

int sw_udp_send(struct sw_udp *u, const struct sw_addr *to, const void *p, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (to->family != u->local.family)
		return SW_E_UNSUPPORTED;
	if (u->batching && n <= SW_UDP_TXQ_SLOT) {
		struct txq *q;

		if (u->ntx == SW_UDP_READS_PER_WAKEUP)
			flush(u);
		q = &u->tx[u->ntx++];
		q->tolen = sw_addr_to_sockaddr(to, &q->to);
		q->len = n;
		memcpy(q->data, p, n);
		return SW_OK; /* a later failure is counted in send_errors */
	}
	flush(u); /* keep the order */
	sl = sw_addr_to_sockaddr(to, &ss);
	if (sendto(u->fd, p, n, 0, (struct sockaddr *)&ss, sl) < 0) {
		u->stats.send_errors++;
		return SW_E_IO;
	}
	u->stats.tx++;
	u->stats.tx_bytes += n;
	return SW_OK;
}

int sw_udp_set_rcvbuf(struct sw_udp *u, int bytes)
{
	int got = 0;
	socklen_t sl = sizeof(got);

	if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0)
		setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	if (getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &got, &sl) != 0)
		return 0;
	return got;
}

int sw_udp_family(const struct sw_udp *u)
{
	return u->local.family;
}

const struct sw_addr *sw_udp_local(const struct sw_udp *u)
{
	return &u->local;
}

const struct sw_udp_stats *sw_udp_stats(const struct sw_udp *u)
{
	return &u->stats;
}
