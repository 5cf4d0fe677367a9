/*
 * bench.h - the driver shared by the two sides of a decode benchmark.
 *
 * A benchmark binary describes one side (swarmwatch or its anchor) as a
 * struct bench_side and hands it to bench_main(), which does everything
 * else identically for both: load the corpus (one heap buffer per
 * message), check that every message decodes, warm up, then run whole
 * passes over the corpus until the time budget is spent, counting heap
 * allocations made during the timed passes, and print one result line per
 * message set.  Only the side's pass() -- a plain loop over the messages --
 * is timed, so the two sides differ in the decoder call and nothing else.
 *
 * Usage (both binaries):
 *
 *     bench_x [-t SECONDS] [-w WARMUP] [-n PASSES] NAME=PATH[,PATH...] ...
 *
 * A PATH is a file (one message) or a directory, whose *.torrent and
 * *.bin files are read in name order.  -n runs exactly PASSES timed
 * passes instead of a time budget (for valgrind).  Output, tab-separated:
 *
 *     side set msgs bytes passes seconds mb_per_s msgs_per_s allocs
 *     allocs_per_msg cpu_seconds
 *
 * (MB = 10^6 bytes.)  seconds is CLOCK_MONOTONIC time and gives the
 * rates; cpu_seconds is the thread's CPU time over the same loop, which
 * falls below seconds when the machine preempted the benchmark.  The exit status is non-zero when a
 * message fails to decode.  This file is C and is linked into the C++ harness as well.
 */
#ifndef SW_BENCH_H
#define SW_BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bench_msg {
	uint8_t *data; /* its own heap buffer, exactly len bytes */
	size_t len;
};

struct bench_set {
	const char *name;
	struct bench_msg *msg;
	size_t n;
	size_t bytes;   /* sum of the lengths */
	size_t max_len; /* the longest message */
};

struct bench_side {
	const char *name;
	/* Called once per set before anything is timed; may allocate. */
	int (*prepare)(const struct bench_set *s);
	/* Decode every message of s once; add something read from each result
	 * to *sink; return how many messages failed to decode. */
	size_t (*pass)(const struct bench_set *s, uint64_t *sink);
	/* Print why message i fails (called only after pass() reported one). */
	void (*explain)(const struct bench_set *s, size_t i);
};

int bench_main(int argc, char **argv, const struct bench_side *side);

/* Heap allocations (malloc, calloc, realloc, the aligned ones, and so
 * operator new) made by anyone in the process since the last reset. */
void bench_alloc_reset(void);
unsigned long long bench_alloc_count(void);

#ifdef __cplusplus
}
#endif

#endif /* SW_BENCH_H */
