/*
 * bench_dht.c - KRPC queries decoded and answered per second by one DHT
 * node on one core, next to the raw loopback UDP receive rate of the same
 * flood in the same run (the ceiling).
 *
 * A sender thread blasts real KRPC queries (a mix of get_peers, find_node
 * and ping, built with our codec, each with its own transaction id and a
 * random target) at 127.0.0.1:PORT from SOCKETS sockets, each bound to its
 * own address (127.0.1.1, 127.0.1.2, ...) and carrying its own node id, so
 * that the node sees SOCKETS distinct nodes: they fill its routing table,
 * and replies carry the closest of them.  It sends with sendmmsg() in
 * batches, round-robin over its sockets, as fast as the kernel takes them,
 * and drains the replies that come back (counted: they prove the answers
 * arrive).
 *
 * The receiver thread is one of two sides, in turn, against the same
 * sender:
 *
 *   raw   a plain non-blocking recvfrom() loop that only counts: what one
 *         core can pull off a loopback UDP socket;
 *   node  a swarmwatch DHT node (sw_dht on sw_udp on the libevent loop):
 *         every datagram parsed, rate-limited, answered from the routing
 *         table (tokens for get_peers, the 8 closest nodes), and sent.
 *
 * One sender core cannot keep one receiver core busy (on loopback the
 * sender's system call does the whole delivery), so the receiver would
 * mostly wait and the rates would be the sender's.  Hence each side
 * starts with a backlog: its socket gets a large receive buffer, the
 * sender fills it with PREFILL queries before the receiver starts, and
 * keeps blasting while the receiver drains it.  The receiver is measured
 * for SECONDS; raw stops earlier, at its socket's first empty read (it
 * drains faster than one sender fills), and the node's queue is read from
 * /proc/net/udp at the end: a queue left means it never waited for input
 * (`saturated`).  The two threads are
 * pinned to different CPUs when there are two.  Rates are per second of
 * wall time and per second of the receiver thread's CPU time (which falls
 * below wall time when the machine preempts it).
 *
 * The node's rate limits are set out of reach for the benchmark (one
 * sender address sends ~10^4-10^5 queries per second, where the default
 * per-address limit is 25 and the global one 5,000): the limit checks run
 * on every datagram as usual, they just never refuse.
 *
 * Output, tab-separated, one line per side per round:
 *
 *   round side seconds cpu_seconds received decoded answered per_s
 *   answered_per_s per_cpu_s saturated sender_sent replies_back
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/rand.h>

#include "core/addr.h"
#include "core/buf.h"
#include "dht/dht.h"
#include "net/loop.h"
#include "net/udp.h"
#include "proto/krpc.h"

#define MSGS_PER_SOCKET 256
#define BATCH           32
#define MAX_SOCKETS     1024
#define MSG_MAX         256
#define RCVBUF          (256 << 20)

struct cfg {
	double secs;
	int rounds, sockets;
	long prefill;
	uint16_t port;
	int cpu_recv, cpu_send;
};

struct sender {
	const struct cfg *c;
	int fd[MAX_SOCKETS];
	uint8_t (*msg)[MSGS_PER_SOCKET][MSG_MAX];
	size_t (*len)[MSGS_PER_SOCKET];
	atomic_bool stop, prefilled;
	uint64_t sent, back;
};

struct result {
	double secs, cpu;
	uint64_t received, decoded, answered;
	bool saturated;
};

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* --- the sender ------------------------------------------------------------- */

static int build_queries(struct sender *s)
{
	struct sw_buf b;
	uint8_t id[SW_NODEID_LEN], target[SW_NODEID_LEN], tid[2];

	sw_buf_init(&b, MSG_MAX);
	for (int k = 0; k < s->c->sockets; k++) {
		if (RAND_bytes(id, sizeof(id)) != 1)
			return -1;
		for (int i = 0; i < MSGS_PER_SOCKET; i++) {
			struct sw_krpc_hdr h = {tid, sizeof(tid), id,  (const uint8_t *)"BN\0\1",
			                        4,   false,       NULL};
			int kind = i % 20, rc;

			tid[0] = (uint8_t)k;
			tid[1] = (uint8_t)i;
			if (RAND_bytes(target, sizeof(target)) != 1)
				return -1;
			sw_buf_reset(&b);
			/* 45% get_peers, 45% find_node, 10% ping */
			if (kind < 9)
				rc = sw_krpc_build_get_peers(&b, &h, target, 0);
			else if (kind < 18)
				rc = sw_krpc_build_find_node(&b, &h, target, 0);
			else
				rc = sw_krpc_build_ping(&b, &h);
			if (rc != 0)
				return -1;
			memcpy(s->msg[k][i], b.data, b.len);
			s->len[k][i] = b.len;
		}
	}
	sw_buf_deinit(&b);
	return 0;
}

static int open_senders(struct sender *s)
{
	for (int k = 0; k < s->c->sockets; k++) {
		struct sockaddr_in a;
		int buf = 1 << 20;

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(0x7f000100u + 1u + (uint32_t)k); /* 127.0.1.k+1 */
		s->fd[k] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->fd[k] < 0 || bind(s->fd[k], (struct sockaddr *)&a, sizeof(a)) != 0) {
			perror("bench_dht: sender socket");
			return -1;
		}
		setsockopt(s->fd[k], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	}
	return 0;
}

static void drain_replies(struct sender *s, int fd)
{
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	int n;

	memset(mh, 0, sizeof(mh));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		mh[i].msg_hdr.msg_iov = &iov[i];
		mh[i].msg_hdr.msg_iovlen = 1;
	}
	while ((n = recvmmsg(fd, mh, BATCH, MSG_DONTWAIT, NULL)) > 0)
		s->back += (uint64_t)n;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct sockaddr_in to;
	struct mmsghdr mh[BATCH];
	struct iovec iov[BATCH];
	unsigned next[MAX_SOCKETS] = {0};
	uint64_t loops = 0;

	pin(s->c->cpu_send);
	pthread_setname_np(pthread_self(), "sender");
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(s->c->port);
	memset(mh, 0, sizeof(mh));
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		int k = (int)(loops++ % (uint64_t)s->c->sockets);
		int n;

		for (int i = 0; i < BATCH; i++) {
			unsigned m = next[k]++ % MSGS_PER_SOCKET;

			iov[i].iov_base = s->msg[k][m];
			iov[i].iov_len = s->len[k][m];
			mh[i].msg_hdr.msg_name = &to;
			mh[i].msg_hdr.msg_namelen = sizeof(to);
			mh[i].msg_hdr.msg_iov = &iov[i];
			mh[i].msg_hdr.msg_iovlen = 1;
		}
		n = sendmmsg(s->fd[k], mh, BATCH, 0);
		if (n > 0)
			s->sent += (uint64_t)n;
		if (s->sent >= (uint64_t)s->c->prefill)
			atomic_store_explicit(&s->prefilled, true, memory_order_relaxed);
		if (loops % 16 == 0) /* the replies only prove the answers arrive */
			drain_replies(s, s->fd[k]);
	}
	return NULL;
}

/* --- the raw receiver ----------------------------------------------------------- */

/* Datagrams waiting in the queue of the IPv4 socket bound to 127.0.0.1:port. */
static long rx_queue(uint16_t port)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/net/udp", "r");
	long q = -1;

	if (f == NULL)
		return -1;
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	while (fgets(line, sizeof(line), f) != NULL) {
		char local[64], rem[64];
		unsigned st;
		unsigned long txq, rxq;

		if (sscanf(line, "%*s %63s %63s %x %lx:%lx", local, rem, &st, &txq, &rxq) == 5 &&
		    strcmp(local, want) == 0)
			q = (long)rxq;
	}
	fclose(f);
	return q;
}

struct raw {
	const struct cfg *c;
	int fd;
	struct result r;
};

static void *raw_main(void *arg)
{
	struct raw *w = arg;
	uint8_t buf[SW_UDP_MAX_DATAGRAM];
	double t0, c0, end;
	uint64_t n = 0;
	bool empty = false;

	pin(w->c->cpu_recv);
	pthread_setname_np(pthread_self(), "raw");
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	end = t0 + w->c->secs;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t k =
		    recvfrom(w->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);

		if (k < 0) {
			empty = true; /* the backlog ran out: the end of the saturated window */
			break;
		}
		if ((++n & 1023) == 0 && now_s(CLOCK_MONOTONIC) >= end)
			break;
	}
	w->r.secs = now_s(CLOCK_MONOTONIC) - t0;
	w->r.cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	w->r.received = w->r.decoded = n;
	w->r.answered = 0;
	/* Ended at the first empty read, or with a queue left: never waited either way. */
	w->r.saturated = empty || rx_queue(w->c->port) > 0;
	return NULL;
}

/* --- the node ------------------------------------------------------------------- */

struct node {
	const struct cfg *c;
	struct sw_loop loop;
	struct sw_udp *udp;
	struct sw_dht *d;
	struct event *mark;
	double t0, c0;
	struct sw_dht_stats s0;
	uint64_t udp0;
	struct result r;
};

static uint64_t decoded(const struct sw_dht_stats *st)
{
	return st->rx - st->dropped_parse - st->dropped_ratelimit;
}

static void on_end(evutil_socket_t fd, short what, void *arg)
{
	struct node *w = arg;
	const struct sw_dht_stats *st = sw_dht_stats(w->d);

	(void)fd;
	(void)what;
	w->r.secs = now_s(CLOCK_MONOTONIC) - w->t0;
	w->r.cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - w->c0;
	w->r.received = sw_udp_stats(w->udp)->rx - w->udp0;
	w->r.decoded = decoded(st) - decoded(&w->s0);
	w->r.answered = (st->tx_replies + st->tx_errors) - (w->s0.tx_replies + w->s0.tx_errors);
	w->r.saturated = rx_queue(w->c->port) > 0;
	sw_loop_stop(&w->loop);
}

static void *node_main(void *arg)
{
	struct node *w = arg;
	struct timeval tv = {(time_t)w->c->secs,
	                     (suseconds_t)((w->c->secs - (double)(time_t)w->c->secs) * 1e6)};

	pin(w->c->cpu_recv);
	pthread_setname_np(pthread_self(), "node");
	w->mark = evtimer_new(w->loop.base, on_end, w);
	evtimer_add(w->mark, &tv);
	w->t0 = now_s(CLOCK_MONOTONIC);
	w->c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	w->s0 = *sw_dht_stats(w->d);
	w->udp0 = sw_udp_stats(w->udp)->rx;
	sw_loop_run(&w->loop);
	event_free(w->mark);
	return NULL;
}

static int node_open(struct node *w, const struct cfg *c)
{
	struct sw_addr a;
	struct sw_dht_opts o;
	struct sw_errbuf eb = {{0}};
	static const uint8_t lo[4] = {127, 0, 0, 1};

	memset(w, 0, sizeof(*w));
	w->c = c;
	sw_addr_init_v4(&a, lo, c->port);
	if (sw_loop_init(&w->loop, &eb) != 0 || sw_udp_open(&w->loop, &a, &w->udp, &eb) != 0)
		goto fail;
	memset(&o, 0, sizeof(o));
	o.loop = &w->loop;
	o.udp4 = w->udp;
	o.allow_private = true; /* the flood comes from 127.0.1.x */
	o.max_qps = 1000000000; /* out of reach: see the top of this file */
	o.per_addr_qps = 100000000;
	if (sw_dht_new(&o, &w->d, &eb) != 0)
		goto fail;
	sw_udp_set_rcvbuf(w->udp, RCVBUF);
	return 0;
fail:
	fprintf(stderr, "bench_dht: node: %s\n", eb.msg);
	return -1;
}

static void node_close(struct node *w)
{
	sw_dht_free(w->d);
	sw_udp_close(w->udp);
	sw_loop_deinit(&w->loop);
}

/* --- rounds ------------------------------------------------------------------------ */

static int run_side(const struct cfg *c, struct sender *s, bool node, struct result *r)
{
	pthread_t ts, tr;
	struct raw raw;
	struct node nd;
	void *(*fn)(void *) = node ? node_main : raw_main;
	void *arg;

	if (node) {
		if (node_open(&nd, c) != 0)
			return -1;
		arg = &nd;
	} else {
		struct sockaddr_in a;
		int rcvbuf = RCVBUF;

		memset(&raw, 0, sizeof(raw));
		raw.c = c;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons(c->port);
		raw.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (raw.fd < 0 || bind(raw.fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			perror("bench_dht: raw socket");
			return -1;
		}
		if (setsockopt(raw.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
			setsockopt(raw.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		arg = &raw;
	}
	s->sent = s->back = 0;
	atomic_store(&s->stop, false);
	atomic_store(&s->prefilled, false);
	pthread_create(&ts, NULL, sender_main, s);
	while (!atomic_load(&s->prefilled))
		usleep(1000);
	pthread_create(&tr, NULL, fn, arg);
	pthread_join(tr, NULL);
	atomic_store(&s->stop, true);
	pthread_join(ts, NULL);
	if (node) {
		*r = nd.r;
		node_close(&nd);
	} else {
		*r = raw.r;
		close(raw.fd);
	}
	return 0;
}

static uint16_t free_port(void)
{
	struct sockaddr_in a;
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &sl) != 0) {
		perror("bench_dht: port");
		exit(1);
	}
	close(fd);
	return ntohs(a.sin_port);
}

int main(int argc, char **argv)
{
	struct cfg c = {1.0, 3, 64, 200000, 0, -1, -1};
	struct sender *s;
	cpu_set_t set;
	int opt, ncpu = 0;

	while ((opt = getopt(argc, argv, "t:p:r:s:")) != -1) {
		switch (opt) {
		case 't': c.secs = atof(optarg); break;
		case 'p': c.prefill = atol(optarg); break;
		case 'r': c.rounds = atoi(optarg); break;
		case 's': c.sockets = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_dht [-t SECONDS] [-p PREFILL] [-r ROUNDS] "
			                "[-s SOCKETS]\n");
			return 2;
		}
	}
	if (c.secs <= 0 || c.secs > 30 || c.prefill < 0 || c.prefill > 10000000 || c.rounds < 1 ||
	    c.rounds > 20 || c.sockets < 1 || c.sockets > MAX_SOCKETS) {
		fprintf(stderr, "bench_dht: -t 0..30, -p 0..10000000, -r 1..20, -s 1..%d\n",
		        MAX_SOCKETS);
		return 2;
	}
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set)) {
				if (ncpu == 0)
					c.cpu_send = i;
				else
					c.cpu_recv = i;
				ncpu++;
			}
		if (ncpu < 2)
			c.cpu_send = c.cpu_recv = -1;
	}
	c.port = free_port();
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return 1;
	s->c = &c;
	s->msg = calloc((size_t)c.sockets, sizeof(*s->msg));
	s->len = calloc((size_t)c.sockets, sizeof(*s->len));
	if (s->msg == NULL || s->len == NULL || build_queries(s) != 0 || open_senders(s) != 0)
		return 1;
	printf("# cpus %d (receiver on %d, sender on %d), sockets %d, %.1fs per side, "
	       "backlog %ld queries\n",
	       ncpu, c.cpu_recv, c.cpu_send, c.sockets, c.secs, c.prefill);
	printf("round\tside\tseconds\tcpu_seconds\treceived\tdecoded\tanswered\tper_s\t"
	       "answered_per_s\tper_cpu_s\tsaturated\tsender_sent\treplies_back\n");
	for (int r = 1; r <= c.rounds; r++)
		for (int k = 0; k < 2; k++) {
			bool node = (k == 0) == (r % 2 == 0); /* alternate who goes first */
			struct result res;

			if (run_side(&c, s, node, &res) != 0)
				return 1;
			printf("%d\t%s\t%.3f\t%.3f\t%llu\t%llu\t%llu\t%.0f\t%.0f\t%.0f\t%s\t%llu\t"
			       "%llu\n",
			       r, node ? "node" : "raw", res.secs, res.cpu,
			       (unsigned long long)res.received, (unsigned long long)res.decoded,
			       (unsigned long long)res.answered, (double)res.decoded / res.secs,
			       (double)res.answered / res.secs, (double)res.decoded / res.cpu,
			       res.saturated ? "yes" : "no", (unsigned long long)s->sent,
			       (unsigned long long)s->back);
			fflush(stdout);
		}
	for (int k = 0; k < c.sockets; k++)
		close(s->fd[k]);
	free(s->msg);
	free(s->len);
	free(s);
	return 0;
}
