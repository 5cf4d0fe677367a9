/*
 * peerfarm.c - N fake BitTorrent peers on loopback, a load generator for
 * bench/bench_peers.c (docs/benchmarks.md, "10,000 peer connections").
 *
 * A named fake, for load only: it is not a client and is never used as
 * evidence that swarmwatch talks to real ones (tests/testbed does that).
 * Peer i listens on its own address BASE.X.Y:PORT (X = 1 + i / 250,
 * Y = 1 + i % 250, the testbed's peer addresses), so N peers are N
 * distinct IPs, which the verifier needs: it keeps at most one connection
 * per IP and swarm.  Every peer does the same thing:
 *
 *   accept; read the 68-byte handshake (BEP 3)
 *     1 byte 19 | "BitTorrent protocol" | 8 reserved | 20 infohash | 20 peer id
 *   answer with one write: a handshake for the same infohash, reserved
 *   bytes all zero by default (a plain BEP 3 peer: no BEP 10, no fast
 *   extension; -f sets the fast bit, -x the extension bit), peer id
 *   "-PF0001-" + 12 digits of i, then a bitfield message
 *     4-byte length 1 + ceil(P / 8) | id 5 | bits
 *   with the first K of P pieces set (spare bits zero);
 *   then read and discard whatever comes, sending nothing more, until the
 *   other side closes or the farm ends.
 *
 * A handshake for another infohash than -i is refused (closed), like a
 * real peer that does not have the torrent.  One thread, level-triggered
 * epoll, every socket non-blocking; the file limit is raised to fit N
 * listeners and N connections.  The farm ends by itself at the deadline
 * (-t seconds), at SIGTERM / SIGINT, or with -e once N handshakes were
 * answered and every connection closed again.  A farm process needs 2N
 * file descriptors; where the hard limit is lower (no CAP_SYS_RESOURCE in
 * a container), run several, each with its own range of peers: -o FIRST
 * makes it peers FIRST .. FIRST + N - 1.  It prints "ready" on
 * stdout when all listeners are bound and one line of counters at the end:
 *
 *   peerfarm accepted A answered H refused R open_peak O closed_by_peer C
 *            short_writes W open_at_end E seconds S cpu_s U
 *
 *   peerfarm -a 127.S -n N [-o FIRST] -p PORT -i HEX [-P 1400] [-K 700]
 *            [-t 60] [-e] [-f] [-x]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define HANDSHAKE_LEN   68
#define PSTR            "BitTorrent protocol"
#define PSTR_LEN        19
#define IH_OFF          28 /* 1 + 19 + 8 */
#define IH_LEN          20
#define PEERS_PER_OCTET 250
#define MAX_PEERS       (PEERS_PER_OCTET * 250)
#define MAX_PIECES      (1u << 20)
#define BACKLOG         16
#define EVENTS          512

enum cstate { C_FREE, C_LISTEN, C_HANDSHAKE, C_HOLD };

struct conn {
	uint8_t state;
	uint8_t got;
	uint8_t hs[HANDSHAKE_LEN];
	uint32_t peer; /* which fake peer (listener index) */
};

struct farm {
	uint8_t base[2];
	unsigned n, first, port, pieces, have;
	uint8_t ih[IH_LEN];
	double for_s;
	bool exit_when_done, fast, ext;
	int ep;
	struct conn *conns; /* indexed by fd */
	size_t nconns;
	uint8_t *reply; /* handshake + bitfield, the peer id patched per peer */
	size_t reply_len;
	unsigned long accepted, answered, refused, closed_by_peer, short_writes;
	long open, open_peak;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void usage(void)
{
	fputs("usage: peerfarm -a 127.S -n N [-o first] -p PORT -i HEX [-P pieces] [-K have]\n"
	      "                [-t seconds] [-e] [-f] [-x]\n",
	      stderr);
	exit(2);
}

static void parse_args(struct farm *f, int argc, char **argv)
{
	unsigned a, b;
	int c;
	bool have_ih = false;

	f->n = 0;
	f->port = 0;
	f->pieces = 1400;
	f->have = 700;
	f->for_s = 60;
	while ((c = getopt(argc, argv, "a:n:o:p:i:P:K:t:efx")) != -1) {
		switch (c) {
		case 'a':
			if (sscanf(optarg, "%u.%u", &a, &b) != 2 || a != 127 || b > 255)
				usage();
			f->base[0] = (uint8_t)a;
			f->base[1] = (uint8_t)b;
			break;
		case 'n': f->n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'o': f->first = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': f->port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i':
			if (parse_hex(optarg, f->ih, IH_LEN) != 0)
				usage();
			have_ih = true;
			break;
		case 'P': f->pieces = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'K': f->have = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': f->for_s = strtod(optarg, NULL); break;
		case 'e': f->exit_when_done = true; break;
		case 'f': f->fast = true; break;
		case 'x': f->ext = true; break;
		default: usage();
		}
	}
	if (f->base[0] != 127 || f->n == 0 || f->first >= MAX_PEERS ||
	    f->n > MAX_PEERS - f->first || f->port == 0 || f->port > 65535 || !have_ih ||
	    f->pieces == 0 || f->pieces > MAX_PIECES || f->have > f->pieces || f->for_s <= 0)
		usage();
}

/* Room for N listeners, N connections and a few more. */
static int raise_nofile(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want; /* with CAP_SYS_RESOURCE */
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return 0;
	getrlimit(RLIMIT_NOFILE, &rl);
	fprintf(stderr,
	        "peerfarm: %zu peers need %zu file descriptors, the hard limit is %llu: "
	        "run several farms (-o)\n",
	        (want - 64) / 2, want, (unsigned long long)rl.rlim_max);
	return -1;
}

static void build_reply(struct farm *f)
{
	size_t bf_len = (f->pieces + 7) / 8;
	uint32_t msg_len = (uint32_t)(1 + bf_len);
	uint8_t *p;

	f->reply_len = HANDSHAKE_LEN + 4 + msg_len;
	f->reply = calloc(1, f->reply_len);
	if (f->reply == NULL) {
		perror("peerfarm: reply");
		exit(1);
	}
	p = f->reply;
	p[0] = PSTR_LEN;
	memcpy(p + 1, PSTR, PSTR_LEN);
	if (f->ext)
		p[1 + PSTR_LEN + 5] |= 0x10; /* BEP 10 */
	if (f->fast)
		p[1 + PSTR_LEN + 7] |= 0x04; /* BEP 6 */
	memcpy(p + IH_OFF, f->ih, IH_LEN);
	memcpy(p + IH_OFF + IH_LEN, "-PF0001-", 8);
	p += HANDSHAKE_LEN;
	p[0] = (uint8_t)(msg_len >> 24);
	p[1] = (uint8_t)(msg_len >> 16);
	p[2] = (uint8_t)(msg_len >> 8);
	p[3] = (uint8_t)msg_len;
	p[4] = 5; /* bitfield */
	for (unsigned i = 0; i < f->have; i++)
		p[5 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

static struct conn *conn_at(struct farm *f, int fd)
{
	if (fd < 0 || (size_t)fd >= f->nconns)
		return NULL;
	return &f->conns[fd];
}

static void close_conn(struct farm *f, int fd)
{
	struct conn *c = conn_at(f, fd);

	if (c != NULL && c->state != C_FREE && c->state != C_LISTEN) {
		c->state = C_FREE;
		f->open--;
	}
	close(fd); /* also leaves the epoll set */
}

static int listen_all(struct farm *f)
{
	struct epoll_event ev;

	for (unsigned i = f->first; i < f->first + f->n; i++) {
		struct sockaddr_in sin;
		int one = 1, fd;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)f->port);
		sin.sin_addr.s_addr =
		    htonl(127u << 24 | (uint32_t)f->base[1] << 16 |
		          (1u + i / PEERS_PER_OCTET) << 8 | (1u + i % PEERS_PER_OCTET));
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || (size_t)fd >= f->nconns) {
			perror("peerfarm: socket");
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    listen(fd, BACKLOG) != 0) {
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
			fprintf(stderr, "peerfarm: listen on %s:%u: %s\n", ip, f->port,
			        strerror(errno));
			return -1;
		}
		f->conns[fd].state = C_LISTEN;
		f->conns[fd].peer = i;
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			perror("peerfarm: epoll_ctl");
			return -1;
		}
	}
	return 0;
}

static void on_accept(struct farm *f, int lfd)
{
	uint32_t peer = f->conns[lfd].peer;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev;
		struct conn *c;

		if (fd < 0)
			return; /* EAGAIN, or EMFILE: the next wakeup tries again */
		c = conn_at(f, fd);
		if (c == NULL) {
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->state = C_HANDSHAKE;
		c->peer = peer;
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.fd = fd;
		if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			c->state = C_FREE;
			continue;
		}
		f->accepted++;
		if (++f->open > f->open_peak)
			f->open_peak = f->open;
	}
}

/* The whole handshake is in: check it and answer in one write. */
static void answer(struct farm *f, int fd, struct conn *c)
{
	char digits[16];
	ssize_t w;

	if (c->hs[0] != PSTR_LEN || memcmp(c->hs + 1, PSTR, PSTR_LEN) != 0 ||
	    memcmp(c->hs + IH_OFF, f->ih, IH_LEN) != 0) {
		f->refused++;
		close_conn(f, fd);
		return;
	}
	snprintf(digits, sizeof(digits), "%012u", c->peer);
	memcpy(f->reply + IH_OFF + IH_LEN + 8, digits, 12);
	w = send(fd, f->reply, f->reply_len, MSG_NOSIGNAL);
	if (w != (ssize_t)f->reply_len) {
		/* A fresh loopback socket takes a few hundred bytes at once. */
		f->short_writes++;
		close_conn(f, fd);
		return;
	}
	f->answered++;
	c->state = C_HOLD;
}

static void on_data(struct farm *f, int fd, uint32_t events)
{
	struct conn *c = conn_at(f, fd);
	uint8_t buf[4096];
	ssize_t r;

	if (c == NULL)
		return;
	if (c->state == C_HANDSHAKE) {
		r = recv(fd, c->hs + c->got, HANDSHAKE_LEN - c->got, 0);
		if (r > 0) {
			c->got = (uint8_t)(c->got + r);
			if (c->got == HANDSHAKE_LEN)
				answer(f, fd, c);
			return;
		}
	} else {
		/* C_HOLD: discard what it sends (swarmwatch: have none, keep-alives) */
		r = recv(fd, buf, sizeof(buf), 0);
		if (r > 0)
			return;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR) && !(events & (EPOLLHUP | EPOLLERR)))
		return;
	f->closed_by_peer++;
	close_conn(f, fd);
}

static void run(struct farm *f, double t0)
{
	struct epoll_event evs[EVENTS];
	double deadline = t0 + f->for_s;

	while (!stop_flag) {
		double left = deadline - now_s();
		int n;

		if (left <= 0)
			break;
		if (f->exit_when_done && f->answered >= f->n && f->open == 0)
			break;
		n = epoll_wait(f->ep, evs, EVENTS, left > 0.2 ? 200 : (int)(left * 1000) + 1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			struct conn *c = conn_at(f, fd);

			if (c != NULL && c->state == C_LISTEN)
				on_accept(f, fd);
			else
				on_data(f, fd, evs[i].events);
		}
	}
}

int main(int argc, char **argv)
{
	struct farm f;
	struct rlimit rl;
	struct rusage ru;
	struct sigaction sa;
	double t0;

	memset(&f, 0, sizeof(f));
	parse_args(&f, argc, argv);
	if (raise_nofile(2 * (size_t)f.n + 64) != 0)
		return 1;
	getrlimit(RLIMIT_NOFILE, &rl);
	f.nconns = (size_t)rl.rlim_cur;
	f.conns = calloc(f.nconns, sizeof(*f.conns));
	f.ep = epoll_create1(EPOLL_CLOEXEC);
	if (f.conns == NULL || f.ep < 0) {
		perror("peerfarm");
		return 1;
	}
	build_reply(&f);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	t0 = now_s();
	if (listen_all(&f) != 0)
		return 1;
	printf("ready %u peers on %u.%u.%u.%u-%u.%u.%u.%u port %u, %u of %u pieces\n", f.n,
	       f.base[0], f.base[1], 1 + f.first / PEERS_PER_OCTET, 1 + f.first % PEERS_PER_OCTET,
	       f.base[0], f.base[1], 1 + (f.first + f.n - 1) / PEERS_PER_OCTET,
	       1 + (f.first + f.n - 1) % PEERS_PER_OCTET, f.port, f.have, f.pieces);
	fflush(stdout);
	run(&f, t0);
	getrusage(RUSAGE_SELF, &ru);
	printf("peerfarm accepted %lu answered %lu refused %lu open_peak %ld closed_by_peer %lu "
	       "short_writes %lu open_at_end %ld seconds %.3f cpu_s %.3f\n",
	       f.accepted, f.answered, f.refused, f.open_peak, f.closed_by_peer, f.short_writes,
	       f.open, now_s() - t0,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	fflush(stdout);
	/* Exiting closes every socket. */
	free(f.reply);
	free(f.conns);
	return 0;
}
