/*
 * http.h - HTTP(S) GET through libcurl's multi interface, driven by the
 * loop (curl tells us which sockets and timeouts to watch; libevent tells
 * curl when they fire).  No threads.
 *
 * Each request has a hard cap on the body size (a tracker that sends 50 MB
 * is cut off at the cap and reported), a total timeout, gzip/deflate, and
 * at most a few redirects, to http and https only.
 */
#ifndef SW_HTTP_H
#define SW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "net/loop.h"

struct sw_http_opts {
	long timeout_ms;   /* whole request; 0: 30 s */
	size_t max_body;   /* 0: 4 MiB */
	long max_redirects; /* 0: none; -1: default 5 */
};

struct sw_http_result {
	int rc;              /* 0, or SW_E_IO / SW_E_TOO_BIG */
	long status;         /* HTTP status, 0 if none was received */
	const uint8_t *body; /* valid only during the callback */
	size_t len;
	const char *error;   /* human-readable failure, "" on success */
};

/* Called once per request, from the loop.  It may start new requests. */
typedef void (*sw_http_done)(void *ctx, const struct sw_http_result *r);

struct sw_http;
struct sw_http_req;

int sw_http_new(struct sw_loop *loop, struct sw_http **out, struct sw_errbuf *eb);
/* Cancel every pending request (their callbacks are not called) and free. */
void sw_http_free(struct sw_http *h);

/*
 * Start a GET.  On success the callback will be called exactly once unless
 * the request is cancelled first; *req_out (optional) names the request
 * for sw_http_cancel() until then.
 */
int sw_http_get(struct sw_http *h, const char *url, const struct sw_http_opts *opts,
		sw_http_done cb, void *ctx, struct sw_http_req **req_out);
void sw_http_cancel(struct sw_http *h, struct sw_http_req *req);
size_t sw_http_pending(const struct sw_http *h);

#endif /* SW_HTTP_H */
