/*
 * bench_tracker_swarm.c - the 5,000-peer swarm for the `count` benchmark.
 *
 * register: announce N peers to the tracker, each from its own loopback
 * address BASE.X.Y (X = 1 + i / 250, Y = 1 + i % 250), one after the
 * other: bind a UDP socket to the address, connect (BEP 15), announce
 * event=started with left = 0 for every SEEDS-th peer (a seed) and
 * left > 0 for the rest, close.  opentracker records the source address
 * and derives connection ids from it, so each peer needs its own connect.
 * Then it scrapes and checks that the tracker holds exactly N peers.
 * With -I FILE it does that for each of the first K infohashes of FILE
 * (the scrape benchmark's torrents, so that scraping them finds real
 * swarms).
 *
 *   bench_tracker register -T IP:PORT -a BASE -i HEX | -I FILE [-k K]
 *                          [-N 5000] [-s 5] [-p 6881]
 *
 * timeline: watch the loopback interface (an AF_PACKET socket with a
 * kernel filter on the tracker's address, so it needs CAP_NET_RAW) and
 * read every announce reply the tracker sends, UDP and HTTP: the union of
 * the peers in them is exactly what a client that asks (count) has been
 * told, so its growth over time says how fast the client found the swarm
 * without touching the client.  Time 0 is the first packet to the tracker.
 * It prints a progress line every E seconds and a summary, and ends at
 * SIGTERM or SIGINT, or by itself at the deadline (-t) or, with -q, Q
 * seconds after the tracker's last packet.
 *
 *   bench_tracker timeline -T IP:PORT -a BASE [-N 5000] [-t 150] [-q 0] [-e 5]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include "bench_tracker.h"
#include "core/addr.h"
#include "proto/udp_tracker.h"

#define PEERS_PER_OCTET 250
#define MAX_PEERS       (PEERS_PER_OCTET * 250)
#define REG_TIMEOUT_US  200000
#define REG_ATTEMPTS    5

struct swarm_opts {
	struct sockaddr_in tracker;
	uint8_t base[2]; /* 127.S */
	uint8_t ih[BT_IH_LEN];
	unsigned n, seeds_every, port, k, have_ih;
	const char *ihfile; /* register: the first k infohashes of this file */
	double max_s, quiet_s, every_s;
};

static int parse_common(struct swarm_opts *o, int argc, char **argv)
{
	char ip[64], *colon;
	unsigned a, b;
	int ch;

	memset(o, 0, sizeof(*o));
	o->n = 5000;
	o->seeds_every = 5;
	o->port = 6881;
	o->max_s = 150;
	o->quiet_s = 0; /* off */
	o->every_s = 5;
	o->k = 1;
	optind = 1;
	while ((ch = getopt(argc, argv, "T:a:i:I:k:N:s:p:t:q:e:")) != -1) {
		switch (ch) {
		case 'T':
			snprintf(ip, sizeof(ip), "%s", optarg);
			colon = strrchr(ip, ':');
			if (colon == NULL)
				return -1;
			*colon = 0;
			o->tracker.sin_family = AF_INET;
			o->tracker.sin_port = htons((uint16_t)atoi(colon + 1));
			if (inet_pton(AF_INET, ip, &o->tracker.sin_addr) != 1)
				return -1;
			break;
		case 'a':
			if (sscanf(optarg, "%u.%u", &a, &b) != 2 || a > 255 || b > 255)
				return -1;
			o->base[0] = (uint8_t)a;
			o->base[1] = (uint8_t)b;
			break;
		case 'i':
			for (int i = 0; i < BT_IH_LEN; i++)
				if (strlen(optarg) != 2 * BT_IH_LEN ||
				    sscanf(optarg + 2 * i, "%2hhx", &o->ih[i]) != 1)
					return -1;
			o->have_ih = 1;
			break;
		case 'I': o->ihfile = optarg; break;
		case 'k': o->k = (unsigned)atoi(optarg); break;
		case 'N': o->n = (unsigned)atoi(optarg); break;
		case 's': o->seeds_every = (unsigned)atoi(optarg); break;
		case 'p': o->port = (unsigned)atoi(optarg); break;
		case 't': o->max_s = atof(optarg); break;
		case 'q': o->quiet_s = atof(optarg); break;
		case 'e': o->every_s = atof(optarg); break;
		default: return -1;
		}
	}
	if (o->tracker.sin_port == 0 || o->base[0] != 127 || o->n < 1 || o->n > MAX_PEERS)
		return -1;
	return 0;
}

static void peer_addr(const struct swarm_opts *o, unsigned i, struct sockaddr_in *sa)
{
	uint8_t *ip = (uint8_t *)&sa->sin_addr.s_addr;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	ip[0] = o->base[0];
	ip[1] = o->base[1];
	ip[2] = (uint8_t)(1 + i / PEERS_PER_OCTET);
	ip[3] = (uint8_t)(1 + i % PEERS_PER_OCTET);
}

/* --- register ------------------------------------------------------------- */

/* Send req[0..len), wait for the answer to txid/action: 0 and *res, or -1. */
static int transact(int fd, const struct swarm_opts *o, const uint8_t *req, size_t len,
                    uint32_t txid, int action, uint8_t *in, size_t cap,
                    struct sw_udpt_response *res)
{
	for (int a = 0; a < REG_ATTEMPTS; a++) {
		ssize_t n;

		sendto(fd, req, len, 0, (const struct sockaddr *)&o->tracker, sizeof(o->tracker));
		while ((n = recvfrom(fd, in, cap, 0, NULL, NULL)) >= 0)
			if (sw_udpt_parse_response(in, (size_t)n, txid, action, AF_INET, res) ==
			    SW_OK)
				return 0;
	}
	return -1;
}

static int udp_session(const struct sockaddr_in *from, int *fd_out)
{
	struct timeval tv = {0, REG_TIMEOUT_US};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (const struct sockaddr *)from, sizeof(*from)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*fd_out = fd;
	return 0;
}

/* Connect, then one announce (or scrape when scrape != NULL) from `from`. */
static int one_peer(const struct swarm_opts *o, const struct sockaddr_in *from, unsigned i,
                    struct sw_udpt_scrape_entry *scrape)
{
	uint8_t req[SW_UDPT_ANNOUNCE_REQ_MAX], in[2048];
	struct sw_udpt_response res;
	struct sw_udpt_announce_req a;
	uint32_t txid = 0x5e000000u | i;
	char pid[BT_PEER_ID_LEN + 1];
	int fd, n, rc = -1;

	if (udp_session(from, &fd))
		return -1;
	n = sw_udpt_build_connect(req, sizeof(req), txid);
	if (transact(fd, o, req, (size_t)n, txid, SW_UDPT_ACTION_CONNECT, in, sizeof(in), &res))
		goto out;
	memset(&a, 0, sizeof(a));
	a.connection_id = res.connection_id;
	a.txid = ++txid;
	if (scrape != NULL) {
		n = sw_udpt_build_scrape(req, sizeof(req), a.connection_id, txid, o->ih, 1);
		if (transact(fd, o, req, (size_t)n, txid, SW_UDPT_ACTION_SCRAPE, in, sizeof(in),
		             &res) == 0)
			rc = sw_udpt_scrape_entry(&res, 0, scrape);
		goto out;
	}
	memcpy(a.infohash, o->ih, BT_IH_LEN);
	snprintf(pid, sizeof(pid), "-SBREG0-%012u", i);
	memcpy(a.peer_id, pid, BT_PEER_ID_LEN);
	a.left = o->seeds_every && i % o->seeds_every == 0 ? 0 : 1000;
	a.event = SW_UDPT_EVENT_STARTED;
	a.key = i;
	a.num_want = 0;
	a.port = (uint16_t)o->port;
	n = sw_udpt_build_announce(req, sizeof(req), &a);
	rc = transact(fd, o, req, (size_t)n, txid, SW_UDPT_ACTION_ANNOUNCE, in, sizeof(in), &res);
out:
	close(fd);
	return rc;
}

/* Register o->n peers in o->ih; then 0 if the tracker counts exactly them. */
static int register_swarm(const struct swarm_opts *o, unsigned *failed,
                          struct sw_udpt_scrape_entry *e)
{
	struct sockaddr_in from;

	for (unsigned i = 0; i < o->n; i++) {
		peer_addr(o, i, &from);
		if (one_peer(o, &from, i, NULL) == 0)
			continue;
		(*failed)++;
		if (i == 0) {
			fprintf(stderr, "bench_tracker: register: the tracker does not answer\n");
			return -1;
		}
	}
	/* Check from an address that is not a peer: BASE.0.3. */
	peer_addr(o, 0, &from);
	((uint8_t *)&from.sin_addr.s_addr)[2] = 0;
	((uint8_t *)&from.sin_addr.s_addr)[3] = 3;
	if (one_peer(o, &from, o->n + 1, e) != 0) {
		fprintf(stderr, "bench_tracker: register: no scrape reply\n");
		return -1;
	}
	return e->seeders + e->leechers == o->n ? 0 : -1;
}

int bt_register_main(int argc, char **argv)
{
	struct swarm_opts o;
	struct sw_udpt_scrape_entry e = {0, 0, 0};
	unsigned failed = 0, swarms = 0, bad = 0;
	double t0 = bt_now();

	if (parse_common(&o, argc, argv) || (o.ihfile == NULL) == (o.have_ih == 0)) {
		fprintf(stderr, "usage: bench_tracker register -T IP:PORT -a 127.S "
		                "-i HEX | -I FILE [-k K] [-N 5000] [-s SEEDS_EVERY] [-p PORT]\n");
		return 2;
	}
	if (o.ihfile == NULL) {
		swarms = 1;
		bad = register_swarm(&o, &failed, &e) != 0;
	} else {
		FILE *f = fopen(o.ihfile, "r");
		char line[128];

		while (f != NULL && swarms < o.k && fgets(line, sizeof(line), f) != NULL) {
			for (int i = 0; i < BT_IH_LEN; i++)
				sscanf(line + 2 * i, "%2hhx", &o.ih[i]);
			swarms++;
			if (register_swarm(&o, &failed, &e) != 0) {
				bad++;
				break; /* not there (yet), or it lost peers: no use going on */
			}
		}
		if (f != NULL)
			fclose(f);
	}
	printf("register\tswarms %u\tpeers %u each\tfailed %u\tswarms short %u\t"
	       "last: seeders %u leechers %u\tseconds %.2f\n",
	       swarms, o.n, failed, bad, e.seeders, e.leechers, bt_now() - t0);
	return swarms > 0 && bad == 0 ? 0 : 1;
}

/* --- timeline ------------------------------------------------------------- */

struct timeline {
	const struct swarm_opts *o;
	uint8_t *seen; /* one byte per BASE.X.Y address, index X << 8 | Y */
	unsigned found, others, udp_replies, http_replies;
	double t0, last, at[4]; /* time 50%, 90%, 99%, 100% were reached */
};

static const double milestone[4] = {0.5, 0.9, 0.99, 1.0};
static volatile sig_atomic_t tl_stop;

static void on_stop(int sig)
{
	(void)sig;
	tl_stop = 1;
}

static void tl_peer(struct timeline *tl, const uint8_t *p, double now)
{
	unsigned idx;

	if (p[0] != tl->o->base[0] || p[1] != tl->o->base[1]) {
		tl->others++;
		return;
	}
	idx = (unsigned)p[2] << 8 | p[3];
	if (tl->seen[idx])
		return;
	tl->seen[idx] = 1;
	tl->found++;
	for (int m = 0; m < 4; m++)
		if (tl->at[m] < 0 && tl->found >= (unsigned)(milestone[m] * tl->o->n + 0.5))
			tl->at[m] = now - tl->t0;
}

/* One IPv4 packet from or to the tracker (the kernel filter chose it). */
static void tl_packet(struct timeline *tl, const uint8_t *p, size_t n, double now)
{
	const struct swarm_opts *o = tl->o;
	size_t ihl, off;
	int from_tracker;

	if (n < 20 || p[0] >> 4 != 4)
		return;
	ihl = (size_t)(p[0] & 15) * 4;
	if (n < ihl + 20)
		return;
	from_tracker = memcmp(p + 12, &o->tracker.sin_addr, 4) == 0 &&
	               memcmp(p + ihl, &o->tracker.sin_port, 2) == 0;
	if (tl->t0 < 0) {
		if (from_tracker)
			return; /* a leftover reply: wait for the client's first request */
		tl->t0 = now;
	}
	tl->last = now;
	if (!from_tracker)
		return;
	if (p[9] == IPPROTO_UDP) {
		off = ihl + 8;
		if (n < off + 20 || p[off + 3] != SW_UDPT_ACTION_ANNOUNCE ||
		    p[off] | p[off + 1] | p[off + 2])
			return;
		tl->udp_replies++;
		for (size_t j = off + 20; j + 6 <= n; j += 6)
			tl_peer(tl, p + j, now);
	} else if (p[9] == IPPROTO_TCP) {
		const uint8_t *k, *end = p + n;
		char *colon;
		unsigned long len;

		off = ihl + (size_t)(p[ihl + 12] >> 4) * 4;
		k = off < n ? memmem(p + off, n - off, "5:peers", 7) : NULL;
		if (k == NULL)
			return;
		len = strtoul((const char *)k + 7, &colon, 10);
		if (*colon != ':')
			return;
		tl->http_replies++;
		for (const uint8_t *e = (uint8_t *)colon + 1;
		     e + 6 <= end && e + 6 <= (uint8_t *)colon + 1 + len; e += 6)
			tl_peer(tl, e, now);
	}
}

static int tl_socket(const struct swarm_opts *o)
{
	uint32_t ip = ntohl(o->tracker.sin_addr.s_addr);
	/* clang-format off */
	struct sock_filter code[] = {
		/* Network header first (SOCK_DGRAM): source, then destination. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ip, 2, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ip, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	/* clang-format on */
	struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};
	struct sockaddr_ll ll;
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP)), sz = 8 << 20;

	if (fd < 0) {
		perror("bench_tracker: timeline: AF_PACKET socket (needs CAP_NET_RAW)");
		return -1;
	}
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_ifindex = (int)if_nametoindex("lo");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		perror("bench_tracker: timeline: lo");
		close(fd);
		return -1;
	}
	return fd;
}

static void tl_summary(const struct timeline *tl)
{
	printf("timeline\tfound %u/%u", tl->found, tl->o->n);
	for (int m = 0; m < 4; m++) {
		if (tl->at[m] >= 0)
			printf("\t%g%% at %.1f s", milestone[m] * 100, tl->at[m]);
		else
			printf("\t%g%% at -", milestone[m] * 100);
	}
	printf("\tudp announce replies %u\thttp announce replies %u\tother peers %u\n",
	       tl->udp_replies, tl->http_replies, tl->others);
}

int bt_timeline_main(int argc, char **argv)
{
	static uint8_t buf[0x40000];
	struct swarm_opts o;
	struct timeline tl;
	double start = bt_now(), next_print;
	struct sigaction sa;
	int fd;

	if (parse_common(&o, argc, argv)) {
		fprintf(stderr, "usage: bench_tracker timeline -T IP:PORT -a 127.S [-N 5000] "
		                "[-t MAX_S] [-q QUIET_S] [-e EVERY_S]\n");
		return 2;
	}
	memset(&tl, 0, sizeof(tl));
	tl.o = &o;
	tl.t0 = -1;
	for (int m = 0; m < 4; m++)
		tl.at[m] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: poll() returns at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	tl.seen = calloc(1, 65536);
	fd = tl_socket(&o);
	if (fd < 0 || tl.seen == NULL)
		return 1;
	printf("ready\n");
	fflush(stdout);
	next_print = o.every_s;
	for (;;) {
		struct pollfd pf = {fd, POLLIN, 0};
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		double now = bt_now();
		ssize_t n;

		if (tl_stop || now - start > o.max_s ||
		    (o.quiet_s > 0 && tl.t0 >= 0 && now - tl.last > o.quiet_s))
			break;
		if (tl.t0 >= 0 && now - tl.t0 >= next_print) {
			printf("t %.0f s\tfound %u\n", next_print, tl.found);
			fflush(stdout);
			next_print += o.every_s;
		}
		if (poll(&pf, 1, 100) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n > 0 && from.sll_pkttype != PACKET_OUTGOING) /* lo shows each twice */
			tl_packet(&tl, buf, (size_t)n, bt_now());
	}
	close(fd);
	tl_summary(&tl);
	free(tl.seen);
	return 0;
}
