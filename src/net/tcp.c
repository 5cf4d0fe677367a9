/* tcp.c - bufferevent-based connections with caps and timeouts (see tcp.h). */
#include "net/tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

struct sw_tcp {
	struct bufferevent *bev;
	struct sw_addr remote;
	sw_tcp_cb cb;
	void *ctx;
	bool connected;
};

struct sw_tcp_listener {
	struct evconnlistener *l;
	struct sw_addr addr;
	struct sw_loop *loop;
	sw_tcp_accept_cb cb;
	void *ctx;
};

static void set_timeouts(struct sw_tcp *c, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	bufferevent_set_timeouts(c->bev, ms > 0 ? &tv : NULL, ms > 0 ? &tv : NULL);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct sw_tcp *c = arg;

	(void)bev;
	c->cb(c->ctx, c, SW_TCP_READABLE, NULL);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct sw_tcp *c = arg;
	const char *reason;
	char buf[128];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = true;
		c->cb(c->ctx, c, SW_TCP_CONNECTED, NULL);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		reason = c->connected ? "idle timeout" : "connect timeout";
	} else if (what & BEV_EVENT_EOF) {
		reason = "closed by peer";
	} else {
		int err = EVUTIL_SOCKET_ERROR();

		snprintf(buf, sizeof(buf), "%s", err ? evutil_socket_error_to_string(err) : "error");
		reason = buf;
	}
	c->cb(c->ctx, c, SW_TCP_CLOSED, reason);
}

static struct sw_tcp *wrap(struct bufferevent *bev, const struct sw_addr *remote, sw_tcp_cb cb,
			   void *ctx)
{
	struct sw_tcp *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->bev = bev;
	c->remote = *remote;
	c->cb = cb;
	c->ctx = ctx;
	bufferevent_setcb(bev, on_read, NULL, on_event, c);
	bufferevent_setwatermark(bev, EV_READ, 0, SW_TCP_MAX_INPUT);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return c;
}

int sw_tcp_connect(struct sw_loop *loop, const struct sw_addr *to, int64_t timeout_ms,
		   sw_tcp_cb cb, void *ctx, struct sw_tcp **out)
{
	struct sockaddr_storage ss;
	socklen_t sl = sw_addr_to_sockaddr(to, &ss);
	struct bufferevent *bev;
	struct sw_tcp *c;

	*out = NULL;
	bev = bufferevent_socket_new(loop->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL)
		return SW_E_NOMEM;
	c = wrap(bev, to, cb, ctx);
	if (c == NULL) {
		bufferevent_free(bev);
		return SW_E_NOMEM;
	}
	set_timeouts(c, timeout_ms);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)sl) < 0) {
		sw_tcp_close(c);
		return SW_E_IO; /* e.g. out of file descriptors */
	}
	*out = c;
	return SW_OK;
}

void sw_tcp_close(struct sw_tcp *c)
{
	if (c == NULL)
		return;
	bufferevent_free(c->bev);
	free(c);
}

void sw_tcp_set_idle_timeout(struct sw_tcp *c, int64_t ms)
{
	set_timeouts(c, ms);
}

void sw_tcp_set_cb(struct sw_tcp *c, sw_tcp_cb cb, void *ctx)
{
	c->cb = cb;
	c->ctx = ctx;
}

size_t sw_tcp_input_len(const struct sw_tcp *c)
{
	return evbuffer_get_length(bufferevent_get_input(c->bev));
}

const uint8_t *sw_tcp_peek(struct sw_tcp *c, size_t n)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	if (evbuffer_get_length(in) < n)
		return NULL;
	return evbuffer_pullup(in, (ev_ssize_t)n);
}

void sw_tcp_consume(struct sw_tcp *c, size_t n)
{
	evbuffer_drain(bufferevent_get_input(c->bev), n);
}

int sw_tcp_write(struct sw_tcp *c, const void *p, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (evbuffer_get_length(out) + n > SW_TCP_MAX_OUTPUT)
		return SW_E_TOO_BIG;
	return bufferevent_write(c->bev, p, n) == 0 ? SW_OK : SW_E_NOMEM;
}

const struct sw_addr *sw_tcp_remote(const struct sw_tcp *c)
{
	return &c->remote;
}

/* A connection the listener accepted has no owner yet: drop its events. */
static void unowned(void *ctx, struct sw_tcp *c, enum sw_tcp_event ev, const char *reason)
{
	(void)ctx;
	(void)reason;
	if (ev == SW_TCP_CLOSED)
		sw_tcp_close(c);
}

static void on_accept(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct sw_tcp_listener *l = arg;
	struct bufferevent *bev;
	struct sw_addr remote;
	struct sw_tcp *c;

	(void)el;
	(void)salen;
	if (sw_addr_from_sockaddr(&remote, sa) != SW_OK) {
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_socket_new(l->loop->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c = wrap(bev, &remote, unowned, NULL);
	if (c == NULL) {
		bufferevent_free(bev);
		return;
	}
	c->connected = true;
	l->cb(l->ctx, c);
}

int sw_tcp_listen(struct sw_loop *loop, const struct sw_addr *bind, sw_tcp_accept_cb cb,
		  void *ctx, struct sw_tcp_listener **out, struct sw_errbuf *eb)
{
	struct sockaddr_storage ss;
	socklen_t sl = sw_addr_to_sockaddr(bind, &ss);
	struct sw_tcp_listener *l = calloc(1, sizeof(*l));
	char as[SW_ADDR_STRLEN];
	evutil_socket_t fd;

	*out = NULL;
	if (l == NULL)
		return SW_E_NOMEM;
	l->loop = loop;
	l->cb = cb;
	l->ctx = ctx;
	l->l = evconnlistener_new_bind(loop->base, on_accept, l,
				       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
					       LEV_OPT_CLOSE_ON_EXEC,
				       128, (struct sockaddr *)&ss, (int)sl);
	if (l->l == NULL) {
		sw_addr_str(bind, as, sizeof(as));
		free(l);
		return sw_errbuf_set(eb, SW_E_IO, "listen on %s: %s", as, strerror(errno));
	}
	fd = evconnlistener_get_fd(l->l);
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    sw_addr_from_sockaddr(&l->addr, (struct sockaddr *)&ss) != SW_OK)
		l->addr = *bind;
	*out = l;
	return SW_OK;
}

void sw_tcp_listener_free(struct sw_tcp_listener *l)
{
	if (l == NULL)
		return;
	evconnlistener_free(l->l);
	free(l);
}

const struct sw_addr *sw_tcp_listener_addr(const struct sw_tcp_listener *l)
{
	return &l->addr;
}
