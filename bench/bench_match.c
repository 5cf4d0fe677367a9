/*
 * bench_match.c - release names parsed and matched per second against a
 * 1,000-title watchlist, on one core, side by side with two anchors
 * measured in the same run over the same names:
 *
 *   tokenize  the floor: strlen + a scan that splits the name into words
 *             at the separators release names use (what any matcher must
 *             at least do to read the name);
 *   regex     a POSIX regex matcher (regcomp, REG_EXTENDED | REG_ICASE):
 *             one anchored alternation of the 1,000 titles, each followed
 *             by a separator and a year, which is how a quick matcher is
 *             often written.
 *
 * The watchlist and the names are generated deterministically (a fixed
 * xorshift seed): 1,000 titles of one to four words with years; per title
 * true releases in scene spellings (dots, spaces, brackets, groups, site
 * tags) and confusers (a sequel word, another year); plus unrelated names.
 * Every side runs whole passes over the names until its time budget is
 * spent; CPU time of the thread is reported beside wall time.
 *
 * Usage: bench_match [-t SECONDS] [-n NAMES_PER_TITLE] [-s SIDE]
 * Output (tab-separated, one line per side):
 *   side titles names passes seconds cpu_seconds names_per_s matched
 */
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "watch/match.h"
#include "watch/release.h"

#define N_TITLES    1000
#define NAME_LEN    160
#define DEF_SECS    2.0
#define DEF_VARS    12
#define N_UNRELATED 2000

static const char *const adj[] = {
    "Silent",   "Crimson", "Broken",  "Hidden",  "Golden",    "Last",     "Dark",     "Frozen",
    "Wild",     "Lost",    "Burning", "Secret",  "Iron",      "Distant",  "Hollow",   "Bitter",
    "Electric", "Savage",  "Quiet",   "Endless", "Fallen",    "Scarlet",  "Northern", "Restless",
    "Pale",     "Twisted", "Sacred",  "Velvet",  "Shattered", "Midnight", "Lonely",   "Blind"};
static const char *const noun[] = {
    "River",  "Harbor",  "Kingdom",   "Garden", "Empire",   "Shadow",  "Winter",  "Signal",
    "Mirror", "Highway", "Orchard",   "Island", "Frontier", "Witness", "Horizon", "Machine",
    "Tide",   "Crown",   "Storm",     "Valley", "Letter",   "Circus",  "Dynasty", "Passage",
    "Echo",   "Lantern", "Cathedral", "Summer", "Harvest",  "Canyon",  "Prophet", "Anthem"};
static const char *const extra[] = {"of", "the", "in", "and", "from"};
static const char *const tags[] = {"DVDScr XviD-CM8",
                                   "720p BluRay x264-SPARKS",
                                   "1080p WEB-DL DD5.1 H264-FGT",
                                   "DVDRip XviD-EVO",
                                   "HDRip AC3-EVO",
                                   "CAM x264-NoGRP",
                                   "BDRip x264-DiAMOND",
                                   "2160p UHD BluRay x265-TERMiNAL",
                                   "WEBRip 720p x264-STUTTERSHIT",
                                   "DVDSCR X264 AAC-P2P"};

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

#define PICK(a) ((a)[next() % (sizeof(a) / sizeof((a)[0]))])

struct title {
	char name[96];
	unsigned year;
};

static struct title titles[N_TITLES];
static struct sw_title_spec specs[N_TITLES];
static char (*names)[NAME_LEN];
static int *truth; /* the title each name is, or -1 */
static size_t n_names;

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_titles(void)
{
	for (size_t i = 0; i < N_TITLES; i++) {
		struct title *t = &titles[i];
		size_t j;

		do {
			switch (next() % 4) {
			case 0: snprintf(t->name, sizeof t->name, "%s", PICK(noun)); break;
			case 1:
				snprintf(t->name, sizeof t->name, "%s %s", PICK(adj), PICK(noun));
				break;
			case 2:
				snprintf(t->name, sizeof t->name, "The %s %s", PICK(adj),
				         PICK(noun));
				break;
			default:
				snprintf(t->name, sizeof t->name, "%s %s %s", PICK(noun),
				         PICK(extra), PICK(noun));
			}
			t->year = 1960 + next() % 65;
			for (j = 0; j < i; j++) {
				if (strcmp(titles[j].name, t->name) == 0 &&
				    titles[j].year == t->year)
					break;
			}
		} while (j < i);
		specs[i].name = t->name;
		specs[i].year = t->year;
	}
}

/* name with its spaces replaced by sep */
static void spelled(const char *name, char sep, char *out, size_t n)
{
	snprintf(out, n, "%s", name);
	for (char *p = out; *p; p++) {
		if (*p == ' ')
			*p = sep;
	}
}

static void make_names(size_t per_title)
{
	size_t cap = N_TITLES * per_title + N_UNRELATED;
	char sp[100];

	names = calloc(cap, NAME_LEN);
	truth = calloc(cap, sizeof *truth);
	if (names == NULL || truth == NULL)
		exit(1);
	for (size_t i = 0; i < N_TITLES; i++) {
		const struct title *t = &titles[i];

		for (size_t v = 0; v < per_title; v++) {
			char *o = names[n_names];

			truth[n_names++] = v % 6 == 3 || v % 6 == 4 ? -1 : (int)i;
			switch (v % 6) {
			case 0:
				spelled(t->name, '.', sp, sizeof sp);
				snprintf(o, NAME_LEN, "%s.%u.%s", sp, t->year, PICK(tags));
				break;
			case 1:
				snprintf(o, NAME_LEN, "%s (%u) %s", t->name, t->year, PICK(tags));
				break;
			case 2:
				spelled(t->name, '_', sp, sizeof sp);
				snprintf(o, NAME_LEN, "[ www.Torrenting.com ] - %s_%u_%s", sp,
				         t->year + 1, PICK(tags));
				break;
			case 3: /* confuser: a sequel */
				snprintf(o, NAME_LEN, "%s 2 %u %s", t->name, t->year + 2,
				         PICK(tags));
				break;
			case 4: /* confuser: another film of the same name */
				snprintf(o, NAME_LEN, "%s (%u) %s", t->name, t->year - 30,
				         PICK(tags));
				break;
			default:
				spelled(t->name, '.', sp, sizeof sp);
				snprintf(o, NAME_LEN, "%s.%u.%s/%s.mkv", sp, t->year, PICK(tags),
				         sp);
			}
		}
	}
	for (size_t i = 0; i < N_UNRELATED; i++)
		truth[n_names] = -1,
		snprintf(names[n_names++], NAME_LEN, "%s.%s.%s.%u.%s", PICK(adj), PICK(adj),
		         PICK(adj), 1950 + next() % 70, PICK(tags));
}

/* ---- the sides ---------------------------------------------------------- */

static struct sw_matcher *matcher;
static regex_t re;

static size_t side_swarmwatch(void)
{
	struct sw_release r;
	struct sw_match_result res;
	size_t matched = 0;

	for (size_t i = 0; i < n_names; i++) {
		sw_release_parse(names[i], strlen(names[i]), &r);
		sw_match_title(matcher, &r, &res);
		matched += res.matched;
	}
	return matched;
}

static uint8_t is_sep[256];

static size_t side_tokenize(void)
{
	size_t words = 0;

	for (size_t i = 0; i < n_names; i++) {
		const uint8_t *s = (const uint8_t *)names[i];
		size_t n = strlen(names[i]), k = 0;

		while (k < n) {
			while (k < n && is_sep[s[k]])
				k++;
			if (k < n)
				words++;
			while (k < n && !is_sep[s[k]])
				k++;
		}
	}
	return words;
}

static size_t side_regex(void)
{
	size_t matched = 0;

	for (size_t i = 0; i < n_names; i++)
		matched += regexec(&re, names[i], 0, NULL, 0) == 0;
	return matched;
}

static int build_regex(void)
{
	size_t cap = N_TITLES * 128 + 128, len = 0;
	char *pat = malloc(cap);
	int rc;

	if (pat == NULL)
		return -1;
	len += (size_t)snprintf(pat + len, cap - len, "^(");
	for (size_t i = 0; i < N_TITLES; i++) {
		len += (size_t)snprintf(pat + len, cap - len, "%s", i ? "|" : "");
		for (const char *p = titles[i].name; *p; p++)
			len += (size_t)snprintf(pat + len, cap - len, "%s",
			                        *p == ' ' ? "[ ._]" : (char[]){*p, 0});
	}
	snprintf(pat + len, cap - len, ")[ ._(]+(19|20)[0-9][0-9]([^0-9]|$)");
	rc = regcomp(&re, pat, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	free(pat);
	return rc;
}

/*
 * The matcher's answers against the generator's labels.  A confuser "X
 * (year - 30)" is right to match another title X of that year, so a
 * match counts as correct when the title's name is the truth's, or the
 * name is a confuser and the matched title's name and year fit it.
 */
static void check(void)
{
	size_t tp = 0, fp = 0, fn = 0;

	for (size_t i = 0; i < n_names; i++) {
		struct sw_release r;
		struct sw_match_result res;
		bool ok;

		sw_release_parse(names[i], strlen(names[i]), &r);
		sw_match_title(matcher, &r, &res);
		if (!res.matched) {
			fn += truth[i] >= 0;
			continue;
		}
		ok = truth[i] >= 0
		         ? strcmp(titles[res.title].name, titles[truth[i]].name) == 0
		         : r.year != 0 && ((unsigned)r.year + 1 == titles[res.title].year ||
		                           r.year == titles[res.title].year ||
		                           r.year == titles[res.title].year + 1u);
		tp += ok;
		fp += !ok;
	}
	fprintf(stderr,
	        "# %zu generated names, %zu true: swarmwatch matched %zu correctly, %zu "
	        "wrongly, missed %zu\n",
	        n_names, tp + fn, tp, fp, fn);
	tp = fp = fn = 0;
	for (size_t i = 0; i < n_names; i++) {
		bool hit = regexec(&re, names[i], 0, NULL, 0) == 0;

		tp += hit && truth[i] >= 0;
		fp += hit && truth[i] < 0;
		fn += !hit && truth[i] >= 0;
	}
	fprintf(stderr,
	        "# regex anchor (says match or not, not which title): %zu true names "
	        "matched, %zu other names matched, %zu true names missed\n",
	        tp, fp, fn);
}

static void run(const char *side, size_t (*pass)(void), double secs)
{
	double t0, c0, t, c;
	size_t passes = 0, matched = 0;

	pass(); /* warm-up */
	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	do {
		matched = pass();
		passes++;
		t = now(CLOCK_MONOTONIC) - t0;
	} while (t < secs);
	c = now(CLOCK_THREAD_CPUTIME_ID) - c0;
	printf("%s\t%d\t%zu\t%zu\t%.3f\t%.3f\t%.0f\t%zu\n", side, N_TITLES, n_names, passes, t, c,
	       (double)(passes * n_names) / t, matched);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sw_errbuf eb = {{0}};
	double secs = DEF_SECS;
	size_t per_title = DEF_VARS;
	const char *only = NULL;
	int c;

	for (const char *p = " ._-[]()/"; *p; p++)
		is_sep[(uint8_t)*p] = 1;
	while ((c = getopt(argc, argv, "t:n:s:")) != -1) {
		if (c == 's')
			only = optarg;
		else if (c == 't')
			secs = atof(optarg);
		else if (c == 'n')
			per_title = (size_t)atoi(optarg);
		else
			return 2;
	}
	make_titles();
	make_names(per_title);
	if (sw_matcher_new(specs, N_TITLES, &matcher, &eb) != SW_OK) {
		fprintf(stderr, "bench_match: %s\n", eb.msg);
		return 1;
	}
	if (build_regex() != 0) {
		fprintf(stderr, "bench_match: regcomp failed\n");
		return 1;
	}
	check();
	if (only == NULL || strcmp(only, "swarmwatch") == 0)
		run("swarmwatch", side_swarmwatch, secs);
	if (only == NULL || strcmp(only, "tokenize") == 0)
		run("tokenize", side_tokenize, secs);
	if (only == NULL || strcmp(only, "regex") == 0)
		run("regex", side_regex, secs);
	sw_matcher_free(matcher);
	regfree(&re);
	free(names);
	free(truth);
	return 0;
}
