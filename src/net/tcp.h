/*
 * tcp.h - TCP connections and listeners on the loop (libevent bufferevents).
 *
 * The peer layer reads through a small window: sw_tcp_peek() makes the
 * first n input bytes contiguous and returns them, sw_tcp_consume() drops
 * them.  Input is capped (the high watermark stops reading when a peer
 * sends faster than we parse), output is capped (a peer that does not read
 * is dropped), and every connection has a connect timeout and an idle
 * timeout that the owner sets.
 *
 * Ownership: the owner frees a connection with sw_tcp_close(), which never
 * calls back; a callback may call sw_tcp_close() on its own connection and
 * must not touch it afterwards.
 */
#ifndef SW_TCP_H
#define SW_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/error.h"
#include "net/loop.h"

#ifndef SW_TCP_MAX_INPUT
#define SW_TCP_MAX_INPUT (2u << 20) /* stop reading beyond this much unparsed input */
#endif
#ifndef SW_TCP_MAX_OUTPUT
#define SW_TCP_MAX_OUTPUT (1u << 20)
#endif

struct sw_tcp;

enum sw_tcp_event {
	SW_TCP_CONNECTED,  /* outgoing connection is up */
	SW_TCP_READABLE,   /* new input */
	SW_TCP_CLOSED,     /* EOF, error or timeout: reason says which; close it */
};

typedef void (*sw_tcp_cb)(void *ctx, struct sw_tcp *c, enum sw_tcp_event ev, const char *reason);

/* Connect to `to` within timeout_ms; events go to cb. */
int sw_tcp_connect(struct sw_loop *loop, const struct sw_addr *to, int64_t timeout_ms,
		   sw_tcp_cb cb, void *ctx, struct sw_tcp **out);
void sw_tcp_close(struct sw_tcp *c); /* NULL-safe, no callback */

/* Idle timeout: SW_TCP_CLOSED "timeout" when nothing arrives for ms (0: none). */
void sw_tcp_set_idle_timeout(struct sw_tcp *c, int64_t ms);
void sw_tcp_set_cb(struct sw_tcp *c, sw_tcp_cb cb, void *ctx);

size_t sw_tcp_input_len(const struct sw_tcp *c);
/* The first n input bytes, contiguous, or NULL when fewer are buffered. */
const uint8_t *sw_tcp_peek(struct sw_tcp *c, size_t n);
void sw_tcp_consume(struct sw_tcp *c, size_t n);
/* Queue bytes; SW_E_TOO_BIG when the peer is not reading (output cap). */
int sw_tcp_write(struct sw_tcp *c, const void *p, size_t n);
const struct sw_addr *sw_tcp_remote(const struct sw_tcp *c);

/* Accepted connections are handed over with the listener's callback. */
typedef void (*sw_tcp_accept_cb)(void *ctx, struct sw_tcp *c);
struct sw_tcp_listener;

int sw_tcp_listen(struct sw_loop *loop, const struct sw_addr *bind, sw_tcp_accept_cb cb,
		  void *ctx, struct sw_tcp_listener **out, struct sw_errbuf *eb);
void sw_tcp_listener_free(struct sw_tcp_listener *l); /* NULL-safe */
const struct sw_addr *sw_tcp_listener_addr(const struct sw_tcp_listener *l);

#endif /* SW_TCP_H */
