/*
 * bench_tracker_raw.c - the anchors of the tracker benchmark: the same
 * requests as swarmwatch's side, with no event loop and no swarmwatch code.
 *
 * UDP: one blocking socket and a straight line of sendto()/recvfrom():
 * fill the window, then for every datagram that comes back check its
 * action and transaction id, read the peers or counts out of it and send
 * the slot's next request.  A receive timeout of a few milliseconds lets
 * the same loop resend requests that were lost.  Packets are packed by
 * hand (BEP 15 is a fixed layout), so nothing here is shared with
 * src/proto/.  This is the ceiling for a client on this machine: the
 * least work a process can do per request.
 *
 * HTTP: a tiny HTTP/1.0 client over poll(2): `window` non-blocking
 * sockets, each connect, send one GET, read to EOF (opentracker closes
 * every connection after its reply), check the status line and read the
 * peers or counts, then the next connection.  No libcurl, no URL parser,
 * no bencode decoder: it finds "5:peers" or the 20-byte scrape keys by
 * scanning, which is enough for opentracker's replies and nothing else.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "bench_tracker.h"

#define UDP_PROTOCOL_ID 0x41727101980ULL
#define RECV_TIMEOUT_US 2000
#define HTTP_BUF        65536

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* --- UDP ------------------------------------------------------------------ */

struct raw_udp {
	const struct bt_opts *o;
	struct bt_count *c;
	int fd;
	uint64_t conn_id, n;
	uint32_t gen;
	struct {
		uint32_t txid;
		double sent;
		int busy;
	} slot[BT_MAX_WINDOW];
};

/* BEP 15 announce (98 bytes) or scrape (16 + 20k bytes) for slot i. */
static void raw_udp_send(struct raw_udp *u, unsigned i)
{
	const struct bt_opts *o = u->o;
	uint8_t pkt[16 + BT_MAX_SCRAPE * BT_IH_LEN];
	uint32_t txid = (++u->gen << BT_SLOT_BITS) | i;
	size_t len;

	put64(pkt, u->conn_id);
	put32(pkt + 12, txid);
	if (o->kind == BT_UDP_ANNOUNCE) {
		uint16_t port;

		put32(pkt + 8, 1);
		memcpy(pkt + 16, o->ih, BT_IH_LEN);
		bt_peer(o, u->n, pkt + 36, &port);
		put64(pkt + 56, 0);    /* downloaded */
		put64(pkt + 64, 1000); /* left */
		put64(pkt + 72, 0);    /* uploaded */
		put32(pkt + 80, 0);    /* event: none */
		put32(pkt + 84, 0);    /* ip: the source's */
		put32(pkt + 88, (uint32_t)u->n);
		put32(pkt + 92, (uint32_t)o->numwant);
		pkt[96] = (uint8_t)(port >> 8);
		pkt[97] = (uint8_t)port;
		len = 98;
	} else {
		put32(pkt + 8, 2);
		memcpy(pkt + 16, o->scrape_ih, (size_t)o->per_scrape * BT_IH_LEN);
		len = 16 + (size_t)o->per_scrape * BT_IH_LEN;
	}
	u->n++;
	u->slot[i].txid = txid;
	u->slot[i].sent = bt_now();
	u->slot[i].busy = 1;
	u->c->sent++;
	if (sendto(u->fd, pkt, len, 0, (const struct sockaddr *)&o->tracker, sizeof(o->tracker)) <
	    0)
		u->c->errors++;
}

static int raw_udp_connect(struct raw_udp *u)
{
	uint8_t pkt[16], in[2048];

	for (int attempt = 0; attempt < 2000; attempt++) {
		uint32_t txid = 0xc0000000u | (uint32_t)attempt;
		ssize_t n;

		put64(pkt, UDP_PROTOCOL_ID);
		put32(pkt + 8, 0);
		put32(pkt + 12, txid);
		sendto(u->fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)&u->o->tracker,
		       sizeof(u->o->tracker));
		n = recvfrom(u->fd, in, sizeof(in), 0, NULL, NULL);
		if (n >= 16 && get32(in) == 0 && get32(in + 4) == txid) {
			u->conn_id = (uint64_t)get32(in + 8) << 32 | get32(in + 12);
			return 0;
		}
	}
	fprintf(stderr, "bench_tracker: no connect reply from the tracker\n");
	return -1;
}

/* A datagram from the tracker: 1 if it answered a slot (which is now free). */
static int raw_udp_input(struct raw_udp *u, const uint8_t *p, size_t n, unsigned *slot)
{
	uint32_t want = u->o->kind == BT_UDP_ANNOUNCE ? 1 : 2, txid;
	unsigned i;

	if (n < 8)
		return 0;
	txid = get32(p + 4);
	i = txid & (BT_MAX_WINDOW - 1);
	if (get32(p) != want || i >= u->o->window || !u->slot[i].busy || u->slot[i].txid != txid)
		return 0;
	if (want == 1 && n >= 20) {
		size_t np = (n - 20) / 6;

		u->c->peers += np;
		for (size_t j = 0; j < np; j++)
			u->c->sink += (uint64_t)p[20 + 6 * j + 4] << 8 | p[20 + 6 * j + 5];
	} else if (want == 2) {
		size_t ne = (n - 8) / 12;

		u->c->items += ne;
		for (size_t j = 0; j < ne; j++)
			u->c->sink += get32(p + 8 + 12 * j) + get32(p + 8 + 12 * j + 8);
	} else {
		return 0;
	}
	u->slot[i].busy = 0;
	*slot = i;
	return 1;
}

int bt_raw_udp(const struct bt_opts *o, struct bt_count *c, struct bt_clock *k)
{
	struct raw_udp *u = calloc(1, sizeof(*u));
	struct timeval tv = {0, RECV_TIMEOUT_US};
	uint8_t in[65536];
	double last_check = 0;
	int rc = -1;

	if (u == NULL)
		return -1;
	u->o = o;
	u->c = c;
	u->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (u->fd < 0 || bind(u->fd, (const struct sockaddr *)&o->bind, sizeof(o->bind)) < 0 ||
	    setsockopt(u->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("bench_tracker: udp socket");
		goto out;
	}
	bt_clock_start(k);
	if (raw_udp_connect(u))
		goto out;
	for (unsigned i = 0; i < o->window; i++)
		raw_udp_send(u, i);
	for (;;) {
		ssize_t n = recvfrom(u->fd, in, sizeof(in), 0, NULL, NULL);
		unsigned i;
		double now;

		if (n >= 0 && raw_udp_input(u, in, (size_t)n, &i)) {
			c->ok++;
			raw_udp_send(u, i);
		} else if (n >= 0) {
			c->errors++;
		}
		/* Every few ms: resend what timed out, and see if the run is over. */
		now = bt_now();
		if (now - last_check < RECV_TIMEOUT_US / 1e6)
			continue;
		last_check = now;
		for (unsigned j = 0; j < o->window; j++)
			if (u->slot[j].busy && now - u->slot[j].sent > o->timeout) {
				c->timeouts++;
				raw_udp_send(u, j);
			}
		if (bt_clock_tick(k, o, c))
			break;
	}
	rc = 0;
out:
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	return rc;
}

/* --- HTTP ----------------------------------------------------------------- */

enum { H_IDLE, H_CONNECTING, H_READING };

struct hconn {
	int fd, state;
	double started;
	size_t len;
	char buf[HTTP_BUF];
};

/* Percent-encode 20 bytes ("%xx" each, as opentracker accepts). */
static char *pct20(char *out, const uint8_t *p)
{
	static const char hex[] = "0123456789ABCDEF";

	for (int i = 0; i < 20; i++) {
		*out++ = '%';
		*out++ = hex[p[i] >> 4];
		*out++ = hex[p[i] & 15];
	}
	return out;
}

static size_t build_get(const struct bt_opts *o, uint64_t n, char *req, size_t cap)
{
	char q[BT_MAX_SCRAPE * 75 + 256], *e = q;

	if (o->kind == BT_HTTP_ANNOUNCE) {
		uint8_t pid[BT_PEER_ID_LEN];
		uint16_t port;

		bt_peer(o, n, pid, &port);
		e += sprintf(e, "/announce?info_hash=");
		e = pct20(e, o->ih);
		e += sprintf(e, "&peer_id=");
		e = pct20(e, pid);
		e += sprintf(e,
		             "&port=%u&uploaded=0&downloaded=0&left=1000&compact=1&numwant=%d"
		             "&key=%08x&no_peer_id=1",
		             port, o->numwant, (unsigned)n);
	} else {
		e += sprintf(e, "/scrape?");
		for (unsigned i = 0; i < o->per_scrape; i++) {
			e += sprintf(e, "%sinfo_hash=", i ? "&" : "");
			e = pct20(e, o->scrape_ih + i * BT_IH_LEN);
		}
	}
	*e = 0;
	return (size_t)snprintf(req, cap, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", q,
	                        o->tracker_host);
}

static void hconn_start(const struct bt_opts *o, struct bt_count *c, struct hconn *h)
{
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	h->len = 0;
	h->started = bt_now();
	c->sent++;
	if (h->fd < 0) {
		h->state = H_IDLE;
		c->errors++;
		return;
	}
	if (connect(h->fd, (const struct sockaddr *)&o->tracker, sizeof(o->tracker)) < 0 &&
	    errno != EINPROGRESS) {
		close(h->fd);
		h->fd = -1;
		h->state = H_IDLE;
		c->errors++;
		return;
	}
	h->state = H_CONNECTING;
}

/* The whole reply is in h->buf: check it and read what it holds. */
static int hconn_reply(const struct bt_opts *o, struct bt_count *c, struct hconn *h)
{
	char *body;
	size_t blen;

	h->buf[h->len] = 0;
	if (h->len < 12 || memcmp(h->buf, "HTTP/1.", 7) != 0 || memcmp(h->buf + 9, "200", 3) != 0)
		return -1;
	body = strstr(h->buf, "\r\n\r\n");
	if (body == NULL)
		return -1;
	body += 4;
	blen = h->len - (size_t)(body - h->buf);
	if (o->kind == BT_HTTP_ANNOUNCE) {
		char *p = memmem(body, blen, "5:peers", 7), *colon;
		size_t plen, np;

		if (p == NULL)
			return -1;
		plen = strtoul(p + 7, &colon, 10);
		if (*colon != ':' || colon + 1 + plen > h->buf + h->len)
			return -1;
		np = plen / 6;
		c->peers += np;
		for (size_t j = 0; j < np; j++)
			c->sink += (uint64_t)(uint8_t)colon[1 + 6 * j + 4] << 8 |
			           (uint8_t)colon[1 + 6 * j + 5];
	} else {
		/* One "20:<infohash>d8:completei..." entry per infohash it
		 * answers for (opentracker answers at most 64 over HTTP). */
		uint64_t found = 0;

		for (unsigned i = 0; i < o->per_scrape; i++) {
			char *p = memmem(body, blen, o->scrape_ih + i * BT_IH_LEN, BT_IH_LEN);

			if (p == NULL)
				continue;
			found++;
			c->items++;
			c->sink +=
			    (uint64_t)strtoul(p + BT_IH_LEN + 12, NULL, 10); /* d8:completei */
		}
		if (found == 0)
			return -1;
	}
	return 0;
}

static void hconn_event(const struct bt_opts *o, struct bt_count *c, struct hconn *h, short rev)
{
	if (h->state == H_CONNECTING && (rev & (POLLOUT | POLLERR | POLLHUP))) {
		char req[BT_MAX_SCRAPE * 75 + 512];
		size_t n = build_get(o, c->sent, req, sizeof(req));

		if (write(h->fd, req, n) != (ssize_t)n)
			goto fail;
		h->state = H_READING;
		return;
	}
	if (h->state == H_READING && (rev & (POLLIN | POLLERR | POLLHUP))) {
		ssize_t n = read(h->fd, h->buf + h->len, sizeof(h->buf) - 1 - h->len);

		if (n > 0) {
			h->len += (size_t)n;
			if (h->len < sizeof(h->buf) - 1)
				return;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 || hconn_reply(o, c, h) != 0)
			goto fail;
		c->ok++;
		close(h->fd);
		hconn_start(o, c, h);
		return;
	}
	return;
fail:
	c->errors++;
	close(h->fd);
	hconn_start(o, c, h);
}

int bt_raw_http(const struct bt_opts *o, struct bt_count *c, struct bt_clock *k)
{
	struct hconn *h = calloc(o->window, sizeof(*h));
	struct pollfd *pf = calloc(o->window, sizeof(*pf));
	int rc = -1;

	if (h == NULL || pf == NULL)
		goto out;
	bt_clock_start(k);
	for (unsigned i = 0; i < o->window; i++)
		hconn_start(o, c, &h[i]);
	while (!bt_clock_tick(k, o, c)) {
		double now = bt_now();

		for (unsigned i = 0; i < o->window; i++) {
			if (h[i].state != H_IDLE && now - h[i].started > o->timeout) {
				c->timeouts++;
				close(h[i].fd);
				h[i].state = H_IDLE;
			}
			if (h[i].state == H_IDLE)
				hconn_start(o, c, &h[i]);
			pf[i].fd = h[i].fd;
			pf[i].events = h[i].state == H_CONNECTING ? POLLOUT : POLLIN;
			pf[i].revents = 0;
		}
		if (poll(pf, o->window, 5) < 0 && errno != EINTR)
			goto out;
		for (unsigned i = 0; i < o->window; i++)
			if (pf[i].revents)
				hconn_event(o, c, &h[i], pf[i].revents);
	}
	rc = 0;
out:
	for (unsigned i = 0; h != NULL && i < o->window; i++)
		if (h[i].state != H_IDLE)
			close(h[i].fd);
	free(h);
	free(pf);
	return rc;
}
