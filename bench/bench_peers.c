/*
 * bench_peers.c - how fast swarmwatch's verifier verifies N peers that all
 * stay connected at once, and how much memory N open connections cost
 * (docs/benchmarks.md, "10,000 peer connections").
 *
 * It links build/rel/libswarmwatch.a and drives the verifier exactly as
 * `swarmwatch count` does: one libevent loop, sw_verifier_new() with
 * max_conns N and a linger far longer than the run (so no visit ends and
 * every connection stays open), one swarm with a known piece count, and N
 * candidates, the fake peers of bench/peerfarm.c at BASE.X.Y:PORT
 * (X = 1 + i / 250, Y = 1 + i % 250).  Time 0 is just before the
 * candidates are added; the verifier's 100 ms tick then starts the
 * connections.  A peer counts once the update callback reports it
 * `verified` with exactly the fraction the farm sends (K / P); any other
 * fraction is counted as a mismatch.
 *
 * When the last peer is verified it records the time, the process's CPU
 * time and the time it waited for a CPU while runnable (/proc/self/schedstat:
 * on a busy machine, wall time lost to others), the verifier's active
 * connections, and memory: VmRSS and VmHWM
 * from /proc/self/status and getrusage() ru_maxrss; it then holds every
 * connection for -H seconds more, samples VmRSS again, and stops.  The
 * baseline is VmRSS after the loop and verifier exist and before any
 * candidate; (VmRSS with all open - baseline) / N is the cost of a
 * connection (candidate, session, bufferevent, libevent timers; kernel
 * socket buffers are not in RSS).  A 10 ms timer samples the verifier's
 * counters (peak active connections) and the loop's lag (how late the
 * timer fires: how long something else held the loop), and with -T writes
 * a timeline every 100 ms (every -E samples of 10 ms).  The run ends at -t seconds if not every
 * peer was verified by then.
 *
 *   bench_peers -a 127.S -n N -p PORT -i HEX [-P 1400] [-K 700] [-c max_conns]
 *               [-l linger_s] [-t timeout_s] [-H hold_s] [-T timeline.tsv] [-E samples] [-h]
 *
 * Output: one TSV line (with -h, a header line first), fields in the
 * order of the header below.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/resource.h>

#include <event2/event.h>

#include "core/addr.h"
#include "core/error.h"
#include "core/hex.h"
#include "core/types.h"
#include "net/loop.h"
#include "peer/verifier.h"

#define PEERS_PER_OCTET 250
#define MAX_PEERS       (PEERS_PER_OCTET * 250)
#define SAMPLE_MS       10
#define PEER_ID         "-SW0100-benchpeers01"

struct bench {
	/* options */
	uint8_t base1; /* 127.S */
	unsigned n, port, pieces, have, max_conns;
	double linger_s, timeout_s, hold_s;
	uint8_t ih[SW_INFOHASH_LEN];
	FILE *timeline;
	/* run */
	struct sw_loop loop;
	struct sw_verifier *v;
	struct event *sample, *stop;
	uint8_t *tier; /* per peer: best tier reported */
	double t0, t_first_conn, t_first_ver, t10, t50, t90, t_all, t_end;
	unsigned connectable, verified, have_mismatch, unknown_addr;
	size_t peak_active;
	double last_sample, max_lag_ms;
	unsigned samples, timeline_every;
	/* at the moment the last peer was verified */
	double cpu_all, runq0, runq_all;
	size_t active_all;
	long rss_base, rss_all, hwm_all, maxrss_all, rss_hold;
	bool done, holding;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Seconds this process spent runnable but waiting for a CPU (schedstat). */
static double runq_wait_s(void)
{
	FILE *f = fopen("/proc/self/schedstat", "r");
	unsigned long long run = 0, wait = 0;

	if (f == NULL)
		return NAN;
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return (double)wait / 1e9;
}

static long maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A "Vm...:   123 kB" line of /proc/self/status, in kB (-1 if absent). */
static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void usage(void)
{
	fputs("usage: bench_peers -a 127.S -n N -p PORT -i HEX [-P pieces] [-K have]\n"
	      "                   [-c max_conns] [-l linger_s] [-t timeout_s] [-H hold_s]\n"
	      "                   [-T timeline.tsv] [-E every] [-h]\n",
	      stderr);
	exit(2);
}

static const char *HEADER =
    "n\tmax_conns\tverified\tconnectable\tseconds_all\tverified_per_s\tverified_per_s_10_90\t"
    "t_first_verified\tt10\tt50\tt90\tpeak_active\tactive_at_all\tconnects\t"
    "connect_failures\tprotocol_errors\thave_mismatch\trss_base_kb\trss_all_kb\t"
    "hwm_kb\tmaxrss_kb\trss_hold_kb\tkb_per_conn\tcpu_s\tcpu_us_per_peer\tmax_lag_ms\t"
    "runq_wait_s";

static void parse_args(struct bench *b, int argc, char **argv, bool *header)
{
	unsigned a, s;
	int c;
	bool have_ih = false;

	b->pieces = 1400;
	b->have = 700;
	b->linger_s = 600;
	b->timeout_s = 60;
	b->hold_s = 1;
	b->timeline_every = 10;
	while ((c = getopt(argc, argv, "a:n:p:i:P:K:c:l:t:H:T:E:h")) != -1) {
		switch (c) {
		case 'a':
			if (sscanf(optarg, "%u.%u", &a, &s) != 2 || a != 127 || s > 255)
				usage();
			b->base1 = (uint8_t)s;
			break;
		case 'n': b->n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': b->port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i':
			if (sw_hex_decode(optarg, strlen(optarg), b->ih, SW_INFOHASH_LEN) != SW_OK)
				usage();
			have_ih = true;
			break;
		case 'P': b->pieces = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'K': b->have = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': b->max_conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'l': b->linger_s = strtod(optarg, NULL); break;
		case 't': b->timeout_s = strtod(optarg, NULL); break;
		case 'H': b->hold_s = strtod(optarg, NULL); break;
		case 'T':
			b->timeline = fopen(optarg, "w");
			if (b->timeline == NULL) {
				fprintf(stderr, "bench_peers: %s: %s\n", optarg, strerror(errno));
				exit(1);
			}
			break;
		case 'E': b->timeline_every = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'h': *header = true; break;
		default: usage();
		}
	}
	if (b->max_conns == 0)
		b->max_conns = b->n;
	if (b->base1 == 0 || b->n == 0 || b->n > MAX_PEERS || b->port == 0 || b->port > 65535 ||
	    !have_ih || b->pieces == 0 || b->have == 0 || b->have > b->pieces ||
	    b->timeout_s <= 0 || b->linger_s <= 0 || b->timeline_every == 0)
		usage();
}

static int raise_nofile(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want; /* root may raise the hard limit */
	return setrlimit(RLIMIT_NOFILE, &rl);
}

static void peer_addr(const struct bench *b, unsigned i, struct sw_addr *a)
{
	uint8_t ip[SW_ADDR_V4_LEN] = {127, b->base1, (uint8_t)(1 + i / PEERS_PER_OCTET),
	                              (uint8_t)(1 + i % PEERS_PER_OCTET)};

	sw_addr_init_v4(a, ip, (uint16_t)b->port);
}

static long peer_index(const struct bench *b, const struct sw_addr *a)
{
	long i;

	if (a->family != AF_INET || a->ip[0] != 127 || a->ip[1] != b->base1 || a->ip[2] == 0 ||
	    a->ip[3] == 0 || a->port != b->port)
		return -1;
	i = (long)(a->ip[2] - 1) * PEERS_PER_OCTET + (a->ip[3] - 1);
	return i < (long)b->n ? i : -1;
}

static void on_update(void *ctx, const struct sw_verifier_update *u)
{
	struct bench *b = ctx;
	long i = peer_index(b, &u->addr);
	double t = now_s() - b->t0;
	double want = (double)b->have / (double)b->pieces;

	if (i < 0) {
		b->unknown_addr++;
		return;
	}
	if (u->tier >= SW_TIER_CONNECTABLE && b->tier[i] < SW_TIER_CONNECTABLE) {
		if (b->connectable++ == 0)
			b->t_first_conn = t;
		b->tier[i] = SW_TIER_CONNECTABLE;
	}
	if (u->tier < SW_TIER_VERIFIED || b->tier[i] >= SW_TIER_VERIFIED)
		return;
	b->tier[i] = (uint8_t)u->tier;
	if (fabs(u->have - want) > 1e-9)
		b->have_mismatch++;
	b->verified++;
	if (b->verified == 1)
		b->t_first_ver = t;
	if (b->verified == (b->n + 9) / 10)
		b->t10 = t;
	if (b->verified == (b->n + 1) / 2)
		b->t50 = t;
	if (b->verified == (b->n * 9 + 9) / 10)
		b->t90 = t;
	if (b->verified == b->n) {
		const struct sw_verifier_stats *st = sw_verifier_stats(b->v);
		struct timeval hold = {(time_t)b->hold_s,
		                       (suseconds_t)((b->hold_s - floor(b->hold_s)) * 1e6)};

		b->t_all = t;
		b->cpu_all = cpu_s();
		b->runq_all = runq_wait_s() - b->runq0;
		b->active_all = st->active;
		b->rss_all = status_kb("VmRSS");
		b->hwm_all = status_kb("VmHWM");
		b->maxrss_all = maxrss_kb();
		b->done = true;
		b->holding = true;
		evtimer_add(b->stop, &hold);
	}
}

static void write_timeline(struct bench *b, double t, double lag_ms)
{
	const struct sw_verifier_stats *st = sw_verifier_stats(b->v);

	fprintf(b->timeline, "%.3f\t%" PRIu64 "\t%zu\t%u\t%u\t%" PRIu64 "\t%.1f\t%.1f\t%.3f\n", t,
	        st->connects, st->active, b->connectable, b->verified, st->connect_failures, lag_ms,
	        b->max_lag_ms, cpu_s());
}

static void on_sample(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	const struct sw_verifier_stats *st = sw_verifier_stats(b->v);
	double now = now_s(), lag;

	(void)fd;
	(void)what;
	lag = (now - b->last_sample) * 1000.0 - SAMPLE_MS;
	if (b->samples > 0 && lag > b->max_lag_ms)
		b->max_lag_ms = lag;
	b->last_sample = now;
	if (st->active > b->peak_active)
		b->peak_active = st->active;
	if (b->timeline && b->samples % b->timeline_every == 0)
		write_timeline(b, now - b->t0, lag);
	b->samples++;
	if (!b->done && now - b->t0 >= b->timeout_s) {
		fprintf(stderr, "bench_peers: timeout after %.0f s: %u of %u verified\n",
		        b->timeout_s, b->verified, b->n);
		sw_loop_stop(&b->loop);
	}
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;

	(void)fd;
	(void)what;
	b->rss_hold = status_kb("VmRSS");
	sw_loop_stop(&b->loop);
}

static void print_row(struct bench *b)
{
	const struct sw_verifier_stats *st = sw_verifier_stats(b->v);
	double secs = b->done ? b->t_all : NAN;
	double r1090 = b->done && b->t90 > b->t10
	                   ? (double)((b->n * 9 + 9) / 10 - (b->n + 9) / 10) / (b->t90 - b->t10)
	                   : NAN;
	double cpu = b->done ? b->cpu_all : cpu_s();

	printf("%u\t%u\t%u\t%u\t%.3f\t%.0f\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%zu\t%zu\t%" PRIu64
	       "\t%" PRIu64 "\t%" PRIu64
	       "\t%u\t%ld\t%ld\t%ld\t%ld\t%ld\t%.2f\t%.3f\t%.1f\t%.1f\t%.3f\n",
	       b->n, b->max_conns, b->verified, b->connectable, secs, b->done ? b->n / secs : NAN,
	       r1090, b->t_first_ver, b->t10, b->t50, b->t90, b->peak_active, b->active_all,
	       st->connects, st->connect_failures, st->protocol_errors, b->have_mismatch,
	       b->rss_base, b->rss_all, b->hwm_all, b->maxrss_all, b->rss_hold,
	       b->done ? (double)(b->rss_all - b->rss_base) / b->n : NAN, cpu,
	       b->verified ? cpu * 1e6 / b->verified : NAN, b->max_lag_ms,
	       b->done ? b->runq_all : runq_wait_s() - b->runq0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bench b;
	struct sw_verifier_opts vo;
	struct sw_vswarm *sw;
	struct sw_errbuf eb = {{0}};
	struct timeval every = {0, SAMPLE_MS * 1000};
	bool header = false;
	int rc, status = 0;

	memset(&b, 0, sizeof(b));
	parse_args(&b, argc, argv, &header);
	if (raise_nofile((size_t)b.n + 1024) != 0) {
		perror("bench_peers: setrlimit(RLIMIT_NOFILE)");
		return 1;
	}
	b.tier = calloc(b.n, 1);
	if (b.tier == NULL || sw_loop_init(&b.loop, &eb) != SW_OK) {
		fprintf(stderr, "bench_peers: %s\n", eb.msg[0] ? eb.msg : "out of memory");
		return 1;
	}
	memset(&vo, 0, sizeof(vo));
	vo.loop = &b.loop;
	memcpy(vo.peer_id, PEER_ID, SW_PEER_ID_LEN);
	vo.listen_port = 6881;
	vo.max_conns = b.max_conns;
	vo.max_candidates = (size_t)b.n + 16;
	vo.linger_ms = (int64_t)(b.linger_s * 1000);
	vo.idle_timeout_ms = vo.linger_ms + 60000; /* the farm sends nothing after its bitfield */
	vo.ctx = &b;
	vo.update = on_update;
	rc = sw_verifier_new(&vo, &b.v);
	if (rc == SW_OK)
		rc = sw_verifier_add_swarm(b.v, b.ih, NULL, b.pieces, &b, &sw);
	b.sample = event_new(b.loop.base, -1, EV_PERSIST, on_sample, &b);
	b.stop = evtimer_new(b.loop.base, on_stop, &b);
	if (rc != SW_OK || b.sample == NULL || b.stop == NULL) {
		fprintf(stderr, "bench_peers: %s\n", sw_strerror(rc ? rc : SW_E_NOMEM));
		return 1;
	}
	if (b.timeline)
		fprintf(b.timeline, "t\tconnects\tactive\tconnectable\tverified\tconnect_failures\t"
		                    "lag_ms\tmax_lag_ms\tcpu_s\n");
	b.rss_base = status_kb("VmRSS");
	b.runq0 = runq_wait_s();
	b.t0 = now_s();
	b.last_sample = b.t0;
	for (unsigned i = 0; i < b.n; i++) {
		struct sw_addr a;

		peer_addr(&b, i, &a);
		sw_verifier_add_peer(b.v, sw, &a);
	}
	event_add(b.sample, &every);
	sw_loop_run(&b.loop);
	if (b.timeline) {
		write_timeline(&b, now_s() - b.t0, 0);
		fclose(b.timeline);
	}
	if (header)
		puts(HEADER);
	print_row(&b);
	if (!b.done || b.have_mismatch > 0 || b.unknown_addr > 0)
		status = 1;
	event_free(b.sample);
	event_free(b.stop);
	sw_verifier_free(b.v); /* closes every connection */
	sw_loop_deinit(&b.loop);
	free(b.tier);
	return status;
}
