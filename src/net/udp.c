/* udp.c - shared UDP sockets with first-byte dispatch (see udp.h). */
#include "net/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sw_udp {
	int fd;
	struct event *ev;
	struct sw_addr local;
	struct {
		sw_udp_handler cb;
		void *ctx;
	} handlers[SW_UDP_KINDS];
	struct sw_udp_stats stats;
	uint8_t buf[SW_UDP_MAX_DATAGRAM];
};

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sw_udp *u = arg;

	(void)what;
	for (int i = 0; i < SW_UDP_READS_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct sw_addr from;
		enum sw_udp_kind kind;
		ssize_t n = recvfrom(fd, u->buf, sizeof(u->buf), 0, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			return; /* EAGAIN, or an ICMP error surfacing: nothing to read */
		u->stats.rx++;
		u->stats.rx_bytes += (uint64_t)n;
		if (n == 0 || sw_addr_from_sockaddr(&from, (struct sockaddr *)&ss) != SW_OK)
			continue;
		kind = u->buf[0] == 'd' ? SW_UDP_DHT : SW_UDP_TRACKER;
		if (u->handlers[kind].cb == NULL) {
			u->stats.unhandled++;
			continue;
		}
		u->handlers[kind].cb(u->handlers[kind].ctx, &from, u->buf, (size_t)n);
	}
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
	if (u->fd >= 0)
		close(u->fd);
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
	sl = sw_addr_to_sockaddr(to, &ss);
	if (sendto(u->fd, p, n, 0, (struct sockaddr *)&ss, sl) < 0) {
		u->stats.send_errors++;
		return SW_E_IO;
	}
	u->stats.tx++;
	u->stats.tx_bytes += n;
	return SW_OK;
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
