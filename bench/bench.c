/*
 * bench.c - corpus loading, timing and reporting for the decode
 * benchmarks (see bench.h).  Shared verbatim by both sides.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SETS 8

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static int add_file(struct bench_set *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	struct bench_msg *grown;
	uint8_t *data;

	if (f == NULL || fstat(fileno(f), &st) != 0 || st.st_size <= 0) {
		fprintf(stderr, "bench: cannot read %s: %s\n", path,
		        f == NULL ? strerror(errno) : "empty");
		if (f != NULL)
			fclose(f);
		return -1;
	}
	data = malloc((size_t)st.st_size);
	grown = realloc(s->msg, (s->n + 1) * sizeof(*s->msg));
	if (data == NULL || grown == NULL ||
	    fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "bench: cannot load %s\n", path);
		free(data);
		if (grown != NULL)
			s->msg = grown;
		fclose(f);
		return -1;
	}
	fclose(f);
	s->msg = grown;
	s->msg[s->n].data = data;
	s->msg[s->n].len = (size_t)st.st_size;
	s->n++;
	s->bytes += (size_t)st.st_size;
	if ((size_t)st.st_size > s->max_len)
		s->max_len = (size_t)st.st_size;
	return 0;
}

static int is_message_file(const struct dirent *d)
{
	const char *dot = strrchr(d->d_name, '.');

	return d->d_name[0] != '.' && dot != NULL &&
	       (strcmp(dot, ".torrent") == 0 || strcmp(dot, ".bin") == 0);
}

static int add_path(struct bench_set *s, const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(s, path);
	n = scandir(path, &names, is_message_file, alphasort);
	if (n < 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char full[4096];

		snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
		if (rc == 0)
			rc = add_file(s, full);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* spec is NAME=PATH[,PATH...]; spec is modified. */
static int load_set(struct bench_set *s, char *spec)
{
	char *eq = strchr(spec, '='), *path, *save = NULL;

	memset(s, 0, sizeof(*s));
	if (eq == NULL || eq == spec) {
		fprintf(stderr, "bench: expected NAME=PATH[,PATH...], got %s\n", spec);
		return -1;
	}
	*eq = '\0';
	s->name = spec;
	for (path = strtok_r(eq + 1, ",", &save); path != NULL; path = strtok_r(NULL, ",", &save))
		if (add_path(s, path) != 0)
			return -1;
	if (s->n == 0) {
		fprintf(stderr, "bench: set %s has no messages\n", s->name);
		return -1;
	}
	return 0;
}

static int check_set(const struct bench_side *side, const struct bench_set *s)
{
	uint64_t sink = 0;

	if (side->pass(s, &sink) == 0)
		return 0;
	/* Find the culprits one message at a time. */
	for (size_t i = 0; i < s->n; i++) {
		struct bench_set one = *s;

		one.msg = &s->msg[i];
		one.n = 1;
		if (side->pass(&one, &sink) != 0)
			side->explain(s, i);
	}
	return -1;
}

static int run_set(const struct bench_side *side, const struct bench_set *s, double seconds,
                   double warmup, long fixed_passes)
{
	uint64_t sink = 0;
	size_t bad = 0;
	long passes = 0;
	double t0, t1, cpu;
	unsigned long long allocs;

	if (side->prepare != NULL && side->prepare(s) != 0)
		return -1;
	if (check_set(side, s) != 0)
		return -1;
	t0 = now();
	do
		bad += side->pass(s, &sink);
	while (now() - t0 < warmup);

	bench_alloc_reset();
	cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);
	t0 = now();
	do {
		bad += side->pass(s, &sink);
		passes++;
		t1 = now();
	} while (fixed_passes > 0 ? passes < fixed_passes : t1 - t0 < seconds);
	allocs = bench_alloc_count();
	cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu;

	if (bad != 0) {
		fprintf(stderr, "bench: %zu decode failures while timing\n", bad);
		return -1;
	}
	printf("%s\t%s\t%zu\t%zu\t%ld\t%.4f\t%.1f\t%.0f\t%llu\t%.3f\t%.4f\n", side->name, s->name,
	       s->n, s->bytes, passes, t1 - t0, (double)s->bytes * (double)passes / (t1 - t0) / 1e6,
	       (double)s->n * (double)passes / (t1 - t0), allocs,
	       (double)allocs / ((double)s->n * (double)passes), cpu);
	/* The sink keeps the results alive; print it where nobody looks. */
	fprintf(stderr, "# %s %s sink %llu\n", side->name, s->name, (unsigned long long)sink);
	fflush(stdout);
	return 0;
}

int bench_main(int argc, char **argv, const struct bench_side *side)
{
	struct bench_set sets[MAX_SETS];
	double seconds = 2.5, warmup = 0.3;
	long fixed_passes = 0;
	int nsets = 0, opt, rc = 0;

	while ((opt = getopt(argc, argv, "t:w:n:")) != -1) {
		switch (opt) {
		case 't': seconds = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'n': fixed_passes = atol(optarg); break;
		default:
			fprintf(stderr,
			        "usage: %s [-t SECONDS] [-w WARMUP] [-n PASSES] "
			        "NAME=PATH[,PATH...] ...\n",
			        argv[0]);
			return 2;
		}
	}
	if (optind >= argc || argc - optind > MAX_SETS) {
		fprintf(stderr, "%s: give 1 to %d NAME=PATH[,PATH...] sets\n", argv[0], MAX_SETS);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		if (load_set(&sets[nsets], argv[i]) != 0)
			return 1;
		nsets++;
	}
	for (int i = 0; i < nsets && rc == 0; i++)
		rc = run_set(side, &sets[i], seconds, warmup, fixed_passes);
	for (int i = 0; i < nsets; i++) {
		for (size_t j = 0; j < sets[i].n; j++)
			free(sets[i].msg[j].data);
		free(sets[i].msg);
	}
	return rc == 0 ? 0 : 1;
}
