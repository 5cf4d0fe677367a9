/*
 * bench_scale.c - Fury's scale through the whole ingest path (issue 7).
 *
 * A synthetic stream for one title: D distinct public IPv4 addresses and R
 * repeat observations of them, 14 days long.  Each address joins at a
 * random minute and is seen again every 30 minutes while it stays (as a
 * peer re-announcing to a tracker is); 30 % of them become connectable on
 * their second sighting and 20 % verified on their third.  The stream is
 * fed in time order through what `swarmwatch watch` does with each
 * sighting:
 *
 *   daemon mode (default): the swarm's peer set (count/peerset.h) keeps
 *     the peer; a sighting is written only when it is news (a new peer, a
 *     new source, a higher tier) or the peer was last written an hour of
 *     stream time ago (so last_seen stays right to the hour), exactly
 *     watch.c's rule; a written one gets its country and ASN (geo), its
 *     keyed pseudonym (HMAC-SHA256) and goes into the SQLite sink, which
 *     appends the evidence row and folds the unique-address tables;
 *   every mode (-e): every sighting is written, the worst case.
 *
 * Every sighting also goes into the live HyperLogLog counter.  Then the
 * store is closed and the exact counts are read back as `report` reads
 * them, and compared with the truth of the stream.
 *
 *     bench_scale -d DISTINCT -r REPEATS -o DB [-e] [-R] [-f FOLD]
 *                 [-c COUNTRY.mmdb] [-a ASN.mmdb]
 *
 * Output, tab-separated "key value" lines.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/error.h"
#include "count/hll.h"
#include "count/peerset.h"
#include "geo/geo.h"
#include "store/pseudonym.h"
#include "store/sink.h"
#include "store/sqlite.h"

#define SPAN_MIN   (14 * 24 * 60)
#define EVERY_MIN  30
#define RERECORD_MS (60 * 60 * 1000) /* watch.c's RERECORD_MS */

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Address i: a bijection of the counter, skipping non-public addresses. */
static uint32_t addr_of(uint32_t *k)
{
	struct sw_addr a;
	uint32_t ip;

	do {
		uint8_t b[4];

		ip = (++*k * 2654435761u) ^ 0x5bd1e995u;
		b[0] = (uint8_t)(ip >> 24);
		b[1] = (uint8_t)(ip >> 16);
		b[2] = (uint8_t)(ip >> 8);
		b[3] = (uint8_t)ip;
		sw_addr_init_v4(&a, b, 6881);
	} while (!sw_addr_is_public(&a));
	return ip;
}

struct ctx {
	struct sw_sink *sink;
	struct sw_geo *geo;
	uint8_t ih[SW_INFOHASH_LEN];
	uint64_t rows, geo_known;
};

/* p: the peer set's entry, which keeps its geo lookup (daemon mode); NULL: look up. */
static int write_obs(struct ctx *c, const struct sw_addr *a, struct sw_peer *p, enum sw_tier tier,
		     int64_t ts)
{
	struct sw_observation o;
	struct sw_errbuf eb = {{0}};

	memset(&o, 0, sizeof(o));
	o.addr = *a;
	o.ts_ms = ts;
	memcpy(o.infohash, c->ih, SW_INFOHASH_LEN);
	o.source = SW_SOURCE_TRACKER;
	o.tier = tier;
	if (c->geo != NULL && (p == NULL || !p->geo_done)) { /* as watch.c: once per peer */
		struct sw_geo_info gi;

		if (sw_geo_lookup(c->geo, a, &gi, NULL) == SW_OK && gi.country[0]) {
			memcpy(o.country, gi.country, sizeof(o.country));
			o.asn = gi.asn;
		}
		if (p != NULL) {
			memcpy(p->country, o.country, sizeof(p->country));
			p->asn = o.asn;
			p->geo_done = true;
		}
	} else if (p != NULL) {
		memcpy(o.country, p->country, sizeof(o.country));
		o.asn = p->asn;
	}
	if (o.country[0])
		c->geo_known++;
	if (sw_sink_put_observation(c->sink, &o, &eb) != SW_OK) {
		fprintf(stderr, "bench_scale: %s\n", eb.msg);
		return -1;
	}
	c->rows++;
	return 0;
}

int main(int argc, char **argv)
{
	size_t distinct = 1500000, repeats = 10000000, fold = 0, batch = 0, nev = 0;
	const char *db = NULL, *country = NULL, *asn = NULL;
	bool every = false, raw = false;
	uint32_t *ips, *start, *count, *bucket, k = 0;
	uint8_t *nobs, *kind;
	uint32_t *ev; /* sighting: address index * 8 + sighting number */
	struct sw_pseudonym pn;
	struct sw_store_options so;
	struct ctx cx;
	struct sw_hll *hll = NULL;
	struct sw_peerset *ps = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_title title = {"Fury", 2014, NULL, 0};
	int64_t title_id = 0, t0_ms = 1417392000000; /* 2014-12-01 */
	int64_t n[3], want[3] = {0, 0, 0};
	double t_start, t_ingest, t_close, t_report;
	int c;

	while ((c = getopt(argc, argv, "d:r:o:c:a:eRf:b:")) != -1) {
		switch (c) {
		case 'd': distinct = strtoull(optarg, NULL, 10); break;
		case 'r': repeats = strtoull(optarg, NULL, 10); break;
		case 'o': db = optarg; break;
		case 'c': country = optarg; break;
		case 'a': asn = optarg; break;
		case 'e': every = true; break;
		case 'R': raw = true; break; /* --evidence: raw addresses, no pseudonyms */
		case 'f': fold = strtoull(optarg, NULL, 10); break;
		case 'b': batch = strtoull(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (db == NULL || distinct == 0 || distinct >= (1u << 24) || repeats > 7 * distinct) {
		fprintf(stderr, "usage: bench_scale -d DISTINCT(<16M) -r REPEATS(<=7*DISTINCT) -o DB "
				"[-e] [-R] "
				"[-f FOLD] [-c mmdb] [-a mmdb]\n");
		return 2;
	}

	/* The stream: per address, a join minute and a number of sightings. */
	ips = malloc(distinct * sizeof(*ips));
	start = malloc(distinct * sizeof(*start));
	nobs = malloc(distinct);
	kind = malloc(distinct);
	count = calloc(SPAN_MIN + 1, sizeof(*count));
	bucket = calloc(SPAN_MIN + 1, sizeof(*bucket));
	if (!ips || !start || !nobs || !kind || !count || !bucket)
		return 1;
	for (size_t i = 0; i < distinct; i++) {
		size_t extra = repeats / distinct + (i < repeats % distinct ? 1 : 0);

		ips[i] = addr_of(&k);
		nobs[i] = (uint8_t)(1 + extra);
		start[i] = (uint32_t)(next() % SPAN_MIN);
		kind[i] = (uint8_t)(next() % 10); /* 0-1 verified, 2 connectable */
		want[0]++;
		if (nobs[i] >= 2 && kind[i] <= 2)
			want[1]++;
		if (nobs[i] >= 3 && kind[i] <= 1)
			want[2]++;
		for (unsigned j = 0; j < nobs[i]; j++) {
			uint32_t m = start[i] + EVERY_MIN * j;

			count[m < SPAN_MIN ? m : SPAN_MIN]++;
			nev++;
		}
	}
	/* Counting sort of the sightings by minute: index * 8 + sighting. */
	ev = malloc(nev * sizeof(*ev));
	if (ev == NULL)
		return 1;
	for (size_t m = 1; m <= SPAN_MIN; m++)
		bucket[m] = bucket[m - 1] + count[m - 1];
	for (size_t i = 0; i < distinct; i++)
		for (unsigned j = 0; j < nobs[i]; j++) {
			uint32_t m = start[i] + EVERY_MIN * j;

			ev[bucket[m < SPAN_MIN ? m : SPAN_MIN]++] = (uint32_t)(i * 8 + j);
		}

	memset(&pn, 0, sizeof(pn));
	memset(pn.secret, 0x42, sizeof(pn.secret));
	sw_pseudonym_prepare(&pn);
	memset(&so, 0, sizeof(so));
	so.fold_rows = fold;
	so.batch_rows = batch;
	if (!raw) {
		so.addr_transform = sw_pseudonym_transform;
		so.addr_transform_ctx = &pn;
	}
	memset(&cx, 0, sizeof(cx));
	memset(cx.ih, 0xf0, sizeof(cx.ih));
	unlink(db);
	if (sw_store_sqlite_open(db, &so, &cx.sink, &eb) != SW_OK ||
	    sw_sink_put_title(cx.sink, &title, &title_id, &eb) != SW_OK ||
	    sw_sink_link_torrent_title(cx.sink, cx.ih, title_id, &eb) != SW_OK ||
	    ((country || asn) && sw_geo_open(country, asn, &cx.geo, &eb) != SW_OK) ||
	    sw_hll_new(NULL, &hll) != SW_OK ||
	    (!every && sw_peerset_new(distinct + 16, 12345, &ps) != SW_OK)) {
		fprintf(stderr, "bench_scale: %s\n", eb.msg);
		return 1;
	}

	t_start = now_s();
	for (size_t e = 0; e < nev; e++) {
		size_t i = (size_t)(ev[e] / 8);
		unsigned j = (unsigned)(ev[e] % 8);
		int64_t ts = t0_ms + ((int64_t)start[i] + EVERY_MIN * (int64_t)j) * 60000;
		enum sw_tier tier = SW_TIER_SEEN;
		struct sw_addr a;
		uint8_t b[4] = {(uint8_t)(ips[i] >> 24), (uint8_t)(ips[i] >> 16),
				(uint8_t)(ips[i] >> 8), (uint8_t)ips[i]};

		if (j >= 2 && kind[i] <= 1)
			tier = SW_TIER_VERIFIED;
		else if (j >= 1 && kind[i] <= 2)
			tier = SW_TIER_CONNECTABLE;
		sw_addr_init_v4(&a, b, 6881);
		sw_hll_add_addr(hll, &a);
		if (every) {
			if (write_obs(&cx, &a, NULL, tier, ts) != 0)
				return 1;
			continue;
		}
		{
			bool fresh = false;
			struct sw_peer *p = sw_peerset_add(ps, &a, SW_SOURCE_TRACKER, ts, &fresh);
			bool news = fresh || tier > p->tier;

			if (p == NULL)
				return 1;
			if (tier > p->tier)
				sw_peerset_raise_tier(ps, p, tier);
			if (news || ts - p->recorded >= RERECORD_MS) {
				if (write_obs(&cx, &a, p, tier, ts) != 0)
					return 1;
				p->recorded = ts;
			}
		}
	}
	t_ingest = now_s();
	if (sw_sink_close(cx.sink, &eb) != SW_OK) {
		fprintf(stderr, "bench_scale: close: %s\n", eb.msg);
		return 1;
	}
	t_close = now_s();
	/* What report does: open the file, count the title per tier. */
	if (sw_store_sqlite_open(db, &so, &cx.sink, &eb) != SW_OK)
		return 1;
	for (int t = 0; t < 3; t++)
		if (sw_store_sqlite_unique_addrs_title(cx.sink, title_id, (enum sw_tier)t, INT64_MAX,
						       &n[t], &eb) != SW_OK) {
			fprintf(stderr, "bench_scale: %s\n", eb.msg);
			return 1;
		}
	t_report = now_s() - t_close;
	sw_sink_close(cx.sink, NULL);

	{
		double est = sw_hll_estimate(hll);
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("mode\t%s\n", every ? "every" : "daemon");
		printf("distinct\t%zu\nrepeats\t%zu\nobservations\t%zu\n", distinct, nev - distinct,
		       nev);
		printf("rows_written\t%" PRIu64 "\n", cx.rows);
		printf("ingest_s\t%.2f\nclose_s\t%.2f\n", t_ingest - t_start, t_close - t_ingest);
		printf("obs_per_s\t%.0f\n", (double)nev / (t_close - t_start));
		printf("rows_per_s\t%.0f\n", (double)cx.rows / (t_close - t_start));
		printf("count_s\t%.3f\n", t_report);
		printf("seen\t%" PRId64 "\nconnectable\t%" PRId64 "\nverified\t%" PRId64 "\n", n[0],
		       n[1], n[2]);
		printf("geo_known\t%" PRIu64 "\n", cx.geo_known);
		printf("hll_estimate\t%.0f\nhll_error_pct\t%+.3f\n", est,
		       100.0 * (est - (double)distinct) / (double)distinct);
		printf("peak_rss_mb\t%.1f\n", (double)ru.ru_maxrss / 1024.0);
		for (int t = 0; t < 3; t++)
			if (n[t] != want[t]) {
				fprintf(stderr, "bench_scale: tier %d: store says %" PRId64
						", the stream holds %" PRId64 "\n",
					t, n[t], want[t]);
				return 1;
			}
	}
	sw_peerset_free(ps);
	sw_hll_free(hll);
	sw_geo_close(cx.geo);
	free(ev);
	free(ips);
	free(start);
	free(nobs);
	free(kind);
	free(count);
	free(bucket);
	return 0;
}
