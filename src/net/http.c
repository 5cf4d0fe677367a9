/*
 * http.c - libcurl multi on libevent.
 *
 * curl asks, through the socket callback, to watch a socket for reading
 * and/or writing (or to stop), and through the timer callback for one
 * timeout.  We keep one event per socket and one timer; when any fires we
 * hand it to curl_multi_socket_action() and then collect finished
 * transfers with curl_multi_info_read().
 */
#include "net/http.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/buf.h"

#define DEFAULT_TIMEOUT_MS   30000L
#define DEFAULT_MAX_BODY     (4u << 20)
#define DEFAULT_MAX_REDIRECT 5L

struct sw_http_req {
	struct sw_http *h;
	CURL *easy;
	struct sw_buf body;
	int too_big;
	sw_http_done cb;
	void *ctx;
	char errbuf[CURL_ERROR_SIZE];
	struct sw_http_req *prev, *next;
};

struct sw_http {
	struct sw_loop *loop;
	CURLM *multi;
	struct event *timer;
	struct sw_http_req *reqs;
	size_t pending;
};

/* Per-socket state curl attaches with curl_multi_assign(). */
struct sock {
	struct event *ev;
};

static void check_done(struct sw_http *h);

static void unlink_req(struct sw_http_req *r)
{
	struct sw_http *h = r->h;

	if (r->prev)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	h->pending--;
	curl_multi_remove_handle(h->multi, r->easy);
	curl_easy_cleanup(r->easy);
	sw_buf_deinit(&r->body);
	free(r);
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct sw_http *h = arg;
	int running, flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
			     (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(h->multi, fd, flags, &running);
	check_done(h);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sw_http *h = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct sw_http *h = userp;
	struct sock *sk = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL) {
			event_free(sk->ev);
			free(sk);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	kind = (short)(EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
		       (what & CURL_POLL_OUT ? EV_WRITE : 0));
	if (sk == NULL) {
		sk = calloc(1, sizeof(*sk));
		if (sk == NULL)
			return -1;
		curl_multi_assign(h->multi, s, sk);
	} else {
		event_free(sk->ev);
	}
	sk->ev = event_new(h->loop->base, s, kind, on_socket_event, h);
	if (sk->ev == NULL)
		return -1;
	event_add(sk->ev, NULL);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct sw_http *h = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *userp)
{
	struct sw_http_req *r = userp;
	size_t n = size * nmemb;

	if (sw_buf_append(&r->body, p, n) != SW_OK) {
		r->too_big = 1;
		return 0; /* curl aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static void finish(struct sw_http_req *r, CURLcode code)
{
	struct sw_http_result res;
	char msg[CURL_ERROR_SIZE + 64];

	memset(&res, 0, sizeof(res));
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
	res.body = r->body.data ? r->body.data : (const uint8_t *)"";
	res.len = r->body.len;
	res.error = "";
	if (r->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		res.rc = SW_E_TOO_BIG;
		snprintf(msg, sizeof(msg), "reply larger than %zu bytes", r->body.max);
		res.error = msg;
	} else if (code != CURLE_OK) {
		res.rc = SW_E_IO;
		snprintf(msg, sizeof(msg), "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
		res.error = msg;
	}
	r->cb(r->ctx, &res);
}

static void check_done(struct sw_http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct sw_http_req *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r == NULL)
			continue;
		finish(r, m->data.result);
		unlink_req(r);
	}
}

int sw_http_new(struct sw_loop *loop, struct sw_http **out, struct sw_errbuf *eb)
{
	static int curl_ready;
	struct sw_http *h;

	*out = NULL;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return sw_errbuf_set(eb, SW_E_NOMEM, "cannot initialise libcurl");
		curl_ready = 1;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return SW_E_NOMEM;
	h->loop = loop;
	h->multi = curl_multi_init();
	h->timer = evtimer_new(loop->base, on_timer, h);
	if (h->multi == NULL || h->timer == NULL) {
		sw_http_free(h);
		return sw_errbuf_set(eb, SW_E_NOMEM, "cannot create HTTP client");
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	*out = h;
	return SW_OK;
}

void sw_http_free(struct sw_http *h)
{
	if (h == NULL)
		return;
	while (h->reqs != NULL)
		unlink_req(h->reqs);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->timer != NULL)
		event_free(h->timer);
	free(h);
}

int sw_http_get(struct sw_http *h, const char *url, const struct sw_http_opts *opts,
		sw_http_done cb, void *ctx, struct sw_http_req **req_out)
{
	struct sw_http_req *r;
	long timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	size_t max = opts && opts->max_body > 0 ? opts->max_body : DEFAULT_MAX_BODY;
	long redirects = opts && opts->max_redirects >= 0 ? opts->max_redirects
							   : DEFAULT_MAX_REDIRECT;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return SW_E_NOMEM;
	r->easy = curl_easy_init();
	if (r->easy == NULL) {
		free(r);
		return SW_E_NOMEM;
	}
	r->h = h;
	r->cb = cb;
	r->ctx = ctx;
	sw_buf_init(&r->body, max);
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, ""); /* gzip, deflate, ... */
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, redirects > 0 ? 1L : 0L);
	curl_easy_setopt(r->easy, CURLOPT_MAXREDIRS, redirects);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	curl_easy_setopt(r->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "swarmwatch/" SW_VERSION);
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	h->pending++;
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
		unlink_req(r);
		return SW_E_NOMEM;
	}
	if (req_out)
		*req_out = r;
	return SW_OK;
}

void sw_http_cancel(struct sw_http *h, struct sw_http_req *req)
{
	(void)h;
	if (req != NULL)
		unlink_req(req);
}

size_t sw_http_pending(const struct sw_http *h)
{
	return h->pending;
}
