/*
 * when.c - parse the times of --as-of, --since and ?as_of= (see when.h).
 *
 * Zones are resolved by the C library on the system's tz database rather
 * than by a TZif reader of our own: glibc's localtime_r() already handles
 * every version of the file format, the POSIX TZ rule in its footer for
 * times past the last listed transition, and leap-second variants, and it
 * is what every other program on the machine agrees with.  Its one
 * interface is the process-wide TZ variable, so a conversion sets TZ,
 * calls tzset(), converts and puts TZ back; swarmwatch is single-threaded.
 *
 * Local time to UTC without mktime(): mktime()'s handling of tm_isdst in
 * gaps and overlaps is loosely specified and transitions that change the
 * standard offset do not flip tm_isdst at all.  Instead, take the local
 * fields as if they were UTC (L), ask for the zone's UTC offsets a day
 * before, at and a day after L, and keep every candidate L - offset whose
 * own offset maps it back to L.  No candidate: the time was skipped (a
 * gap).  Two: the time happened twice (an overlap); the earlier wins.
 * Transitions are never less than two days apart in the tz database, so
 * the three probes see every offset that can apply.
 */
#include "report/when.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/time.h"

#define SECS_PER_DAY   86400
#define MIN_YEAR       1970
#define MAX_YEAR       9999
#define ZONE_NAME_MAX  64
#define ZONEINFO_DIR   "/usr/share/zoneinfo"
#define TZIF_MAGIC     "TZif"
#define TZIF_MAGIC_LEN 4

struct fields {
	int year, month, day, hour, min, sec;
	int64_t frac_ms;
	bool has_offset;
	int offset_s;                 /* east of UTC */
	char zone[ZONE_NAME_MAX + 1]; /* "" if none */
};

struct cursor {
	const char *text; /* NUL-terminated copy of the input */
	size_t pos;
	struct sw_errbuf *eb;
};

static int fail(struct cursor *c, int code, const char *what)
{
	return sw_errbuf_set(c->eb, code, "time '%s': %s at byte %zu", c->text, what, c->pos);
}

static char peek(const struct cursor *c)
{
	return c->text[c->pos];
}

/* Exactly n digits into *out. */
static bool take_digits(struct cursor *c, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char ch = c->text[c->pos + (size_t)i];

		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	c->pos += (size_t)n;
	*out = v;
	return true;
}

static bool take_char(struct cursor *c, char want)
{
	if (peek(c) != want)
		return false;
	c->pos++;
	return true;
}

int64_t sw_when_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Count from 0000-03-01 so that the leap day ends each 4-year cycle. */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

char *sw_when_format_utc(int64_t ms, char out[SW_WHEN_ISO_LEN])
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t days = secs >= 0 ? secs / SECS_PER_DAY : (secs - SECS_PER_DAY + 1) / SECS_PER_DAY;
	int64_t rem = secs - days * SECS_PER_DAY, y;
	int frac = (int)(ms - secs * 1000);
	unsigned m, d;
	int n;

	civil_from_days(days, &y, &m, &d);
	n = snprintf(out, SW_WHEN_ISO_LEN, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d,
	             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	if (n > 0 && (size_t)n < SW_WHEN_ISO_LEN)
		snprintf(out + n, SW_WHEN_ISO_LEN - (size_t)n, frac ? ".%03dZ" : "Z", frac);
	return out;
}

static int parse_date(struct cursor *c, struct fields *f)
{
	if (!take_digits(c, 4, &f->year))
		return fail(c, SW_E_INVALID, "expected 'now', '-DURATION' or a YYYY-MM-DD date");
	if (!take_char(c, '-') || !take_digits(c, 2, &f->month))
		return fail(c, SW_E_INVALID, "expected -MM");
	if (f->month < 1 || f->month > 12)
		return fail(c, SW_E_INVALID, "month out of range");
	if (!take_char(c, '-') || !take_digits(c, 2, &f->day))
		return fail(c, SW_E_INVALID, "expected -DD");
	if (f->year < MIN_YEAR || f->year > MAX_YEAR)
		return fail(c, SW_E_RANGE, "year before 1970 or after 9999");
	if (f->day < 1 || f->day > days_in_month(f->year, f->month))
		return fail(c, SW_E_INVALID, "day out of range for the month");
	return SW_OK;
}

static int parse_clock(struct cursor *c, struct fields *f)
{
	if (!take_digits(c, 2, &f->hour) || !take_char(c, ':') || !take_digits(c, 2, &f->min))
		return fail(c, SW_E_INVALID, "expected hh:mm");
	if (take_char(c, ':') && !take_digits(c, 2, &f->sec))
		return fail(c, SW_E_INVALID, "expected seconds");
	if (f->hour > 23 || f->min > 59 || f->sec > 59)
		return fail(c, SW_E_INVALID, "hour, minute or second out of range");
	if (take_char(c, '.') || take_char(c, ',')) {
		int digits = 0;

		for (; peek(c) >= '0' && peek(c) <= '9'; c->pos++, digits++) {
			if (digits >= 9)
				return fail(c, SW_E_INVALID, "more than 9 fraction digits");
			if (digits < 3)
				f->frac_ms = f->frac_ms * 10 + (peek(c) - '0');
		}
		if (digits == 0)
			return fail(c, SW_E_INVALID, "expected fraction digits");
		for (; digits < 3; digits++)
			f->frac_ms *= 10;
	}
	return SW_OK;
}

/* "Z", "+hh", "+hhmm" or "+hh:mm" right after the clock. */
static int parse_offset(struct cursor *c, struct fields *f)
{
	char sign = peek(c);
	int hh = 0, mm = 0;

	if (sign == 'Z' || sign == 'z') {
		c->pos++;
		f->has_offset = true;
		return SW_OK;
	}
	if (sign != '+' && sign != '-')
		return SW_OK;
	c->pos++;
	if (!take_digits(c, 2, &hh))
		return fail(c, SW_E_INVALID, "expected offset hours");
	if (take_char(c, ':')) {
		if (!take_digits(c, 2, &mm))
			return fail(c, SW_E_INVALID, "expected offset minutes");
	} else if (peek(c) >= '0' && peek(c) <= '9' && !take_digits(c, 2, &mm)) {
		return fail(c, SW_E_INVALID, "expected offset minutes");
	}
	if (hh > 23 || mm > 59)
		return fail(c, SW_E_INVALID, "offset out of range");
	f->has_offset = true;
	f->offset_s = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return SW_OK;
}

/* The rest of the input: a zone name. */
static int parse_zone(struct cursor *c, struct fields *f)
{
	size_t start = c->pos, n;

	for (; peek(c) != 0; c->pos++) {
		unsigned char ch = (unsigned char)peek(c);

		if (!isalnum(ch) && ch != '/' && ch != '_' && ch != '-' && ch != '+')
			return fail(c, SW_E_INVALID, "unexpected character in zone name");
		if (ch == '/' && (c->pos == start || c->text[c->pos - 1] == '/'))
			return fail(c, SW_E_INVALID, "bad zone name");
	}
	n = c->pos - start;
	if (n > ZONE_NAME_MAX)
		return fail(c, SW_E_INVALID, "zone name too long");
	if (c->text[c->pos - 1] == '/')
		return fail(c, SW_E_INVALID, "bad zone name");
	memcpy(f->zone, c->text + start, n);
	f->zone[n] = 0;
	return SW_OK;
}

/* Is name a TZif file of the tz database? */
static bool zone_exists(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[512], magic[TZIF_MAGIC_LEN];
	int fd, n;

	if (dir == NULL || *dir == 0)
		dir = ZONEINFO_DIR;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = (int)read(fd, magic, sizeof(magic));
	close(fd);
	return n == TZIF_MAGIC_LEN && memcmp(magic, TZIF_MAGIC, TZIF_MAGIC_LEN) == 0;
}

static bool utc_offset(time_t t, long *off)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return false;
	*off = tm.tm_gmtoff;
	return true;
}

/*
 * Local seconds (fields read as UTC) to UTC seconds in the current TZ;
 * false if the local time does not exist there.
 */
static bool local_to_utc(int64_t local, int64_t *utc)
{
	static const int64_t probes[] = {-SECS_PER_DAY, 0, SECS_PER_DAY};
	bool found = false;

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		long off, back;
		int64_t cand;

		if (!utc_offset((time_t)(local + probes[i]), &off))
			continue;
		cand = local - off;
		if (!utc_offset((time_t)cand, &back) || cand + back != local)
			continue;
		if (!found || cand < *utc)
			*utc = cand;
		found = true;
	}
	return found;
}

/* Convert in zone (NULL: the process's own TZ), restoring TZ after. */
static bool zone_to_utc(const char *zone, int64_t local, int64_t *utc)
{
	char *saved = NULL;
	const char *old;
	bool ok;

	if (zone == NULL) {
		tzset();
		return local_to_utc(local, utc);
	}
	old = getenv("TZ");
	if (old != NULL && (saved = strdup(old)) == NULL)
		return false;
	setenv("TZ", zone, 1);
	tzset();
	ok = local_to_utc(local, utc);
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	return ok;
}

static int resolve(struct cursor *c, const struct fields *f, int64_t *ms_out)
{
	int64_t local =
	    sw_when_days_from_civil(f->year, (unsigned)f->month, (unsigned)f->day) * SECS_PER_DAY +
	    f->hour * 3600 + f->min * 60 + f->sec;
	int64_t utc = local;
	bool is_utc =
	    f->zone[0] && (strcasecmp(f->zone, "UTC") == 0 || strcasecmp(f->zone, "Z") == 0);

	if (f->has_offset && f->zone[0])
		return fail(c, SW_E_INVALID, "both an offset and a zone name");
	if (f->has_offset) {
		utc = local - f->offset_s;
	} else if (f->zone[0] && !is_utc) {
		if (!zone_exists(f->zone))
			return sw_errbuf_set(c->eb, SW_E_NOT_FOUND,
			                     "time '%s': unknown time zone '%s' (not in the tz "
			                     "database)",
			                     c->text, f->zone);
		if (!zone_to_utc(f->zone, local, &utc))
			return sw_errbuf_set(c->eb, SW_E_INVALID,
			                     "time '%s': that local time does not exist in %s "
			                     "(skipped when the clocks went forward)",
			                     c->text, f->zone);
	} else if (!f->zone[0]) {
		if (!zone_to_utc(NULL, local, &utc))
			return sw_errbuf_set(c->eb, SW_E_INVALID,
			                     "time '%s': that local time does not exist here "
			                     "(skipped when the clocks went forward)",
			                     c->text);
	}
	if (utc < 0)
		return sw_errbuf_set(c->eb, SW_E_RANGE, "time '%s': before 1970", c->text);
	*ms_out = utc * 1000 + f->frac_ms;
	return SW_OK;
}

static int parse_relative(struct cursor *c, int64_t now_ms, int64_t *ms_out)
{
	char sign = peek(c);
	int64_t d = 0;
	int rc;

	c->pos++;
	rc = sw_duration_parse(c->text + c->pos, &d);
	if (rc != SW_OK)
		return fail(c, rc, "expected a duration such as 24h, 90m or 7d");
	d = sign == '-' ? now_ms - d : now_ms + d;
	if (d < 0)
		return fail(c, SW_E_RANGE, "before 1970");
	*ms_out = d;
	return SW_OK;
}

int sw_when_parse(const char *s, size_t n, int64_t now_ms, int64_t *ms_out, struct sw_errbuf *eb)
{
	char text[SW_WHEN_MAX_LEN + 1];
	struct cursor c = {text, 0, eb};
	struct fields f;
	int rc;

	if (n > SW_WHEN_MAX_LEN)
		return sw_errbuf_set(eb, SW_E_TOO_BIG, "time: longer than %d bytes",
		                     SW_WHEN_MAX_LEN);
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	memcpy(text, s, n);
	text[n] = 0;
	if (n == 0 || memchr(s, 0, n) != NULL) {
		c.pos = strlen(text);
		return fail(&c, SW_E_INVALID, "empty or NUL in the time");
	}
	if (strcasecmp(text, "now") == 0) {
		*ms_out = now_ms;
		return SW_OK;
	}
	if ((text[0] == '-' || text[0] == '+') && text[1] >= '0' && text[1] <= '9')
		return parse_relative(&c, now_ms, ms_out);
	memset(&f, 0, sizeof(f));
	rc = parse_date(&c, &f);
	if (rc == SW_OK && (peek(&c) == 'T' || peek(&c) == 't' ||
	                    (peek(&c) == ' ' && isdigit((unsigned char)text[c.pos + 1])))) {
		c.pos++;
		rc = parse_clock(&c, &f);
		if (rc == SW_OK)
			rc = parse_offset(&c, &f);
	}
	if (rc != SW_OK)
		return rc;
	if (peek(&c) != 0) {
		if (!isspace((unsigned char)peek(&c)))
			return fail(&c, SW_E_INVALID, "unexpected character");
		while (isspace((unsigned char)peek(&c)))
			c.pos++;
		rc = parse_zone(&c, &f);
		if (rc != SW_OK)
			return rc;
	}
	return resolve(&c, &f, ms_out);
}
