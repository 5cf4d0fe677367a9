/*
 * test_when.c - times as --as-of / --since take them (src/report/when.c).
 *
 * Expected instants are worked out by hand from the zones' published
 * rules (tzdata), not by calling the C library: e.g. Los Angeles is UTC-8
 * (PST) until 2014-03-09 02:00 local, then UTC-7 (PDT) until 2014-11-02
 * 02:00 local.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "report/when.h"

#define NOW 1417500000000LL /* 2014-12-02T06:00:00Z */

/* A UTC instant in ms, from its fields. */
static int64_t utc(int y, unsigned mo, unsigned d, int h, int mi, int s)
{
	return (sw_when_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000;
}

static int parse(const char *s, int64_t *out, struct sw_errbuf *eb)
{
	return sw_when_parse(s, strlen(s), NOW, out, eb);
}

static void expect(const char *s, int64_t want)
{
	struct sw_errbuf eb = {{0}};
	int64_t got = -1;
	int rc = parse(s, &got, &eb);

	if (rc != SW_OK || got != want) {
		char a[SW_WHEN_ISO_LEN], b[SW_WHEN_ISO_LEN];

		fprintf(stderr, "'%s': rc %d (%s), got %s, want %s\n", s, rc, eb.msg,
		        sw_when_format_utc(got, a), sw_when_format_utc(want, b));
		fail();
	}
}

static void expect_err(const char *s, int code, const char *needle)
{
	struct sw_errbuf eb = {{0}};
	int64_t got = -1;

	assert_int_equal(parse(s, &got, &eb), code);
	assert_int_equal(got, -1);
	if (needle != NULL && strstr(eb.msg, needle) == NULL) {
		fprintf(stderr, "'%s': message '%s' lacks '%s'\n", s, eb.msg, needle);
		fail();
	}
}

static void test_iso_forms(void **state)
{
	int64_t fury = utc(2014, 12, 1, 19, 0, 0);

	(void)state;
	expect("2014-12-01T19:00:00Z", fury);
	expect("2014-12-01t19:00:00z", fury);
	expect("2014-12-01 19:00Z", fury);
	expect("2014-12-01T20:00+01:00", fury);
	expect("2014-12-01T20:00:00+0100", fury);
	expect("2014-12-01T14:00-05", fury);
	expect("2014-12-01T19:00:00.250Z", fury + 250);
	expect("2014-12-01T19:00:00,5Z", fury + 500);
	expect("2014-12-01T19:00:00.123456789Z", fury + 123);
	expect("  2014-12-01T19:00:00Z \n", fury);
	expect("2014-12-01 19:00 UTC", fury);
	expect("2014-12-01 UTC", utc(2014, 12, 1, 0, 0, 0));
	expect("1970-01-01T00:00:00Z", 0);
	expect("9999-12-31T23:59:59Z", utc(9999, 12, 31, 23, 59, 59));
	expect("2016-02-29T00:00Z", utc(2016, 2, 29, 0, 0, 0));
	expect("2000-02-29T00:00Z", utc(2000, 2, 29, 0, 0, 0));
}

static void test_now_and_relative(void **state)
{
	(void)state;
	expect("now", NOW);
	expect("NOW", NOW);
	expect("-24h", NOW - 24 * 3600000LL);
	expect("-1d12h", NOW - 36 * 3600000LL);
	expect("-90m", NOW - 90 * 60000LL);
	expect("+1h", NOW + 3600000LL);
	expect_err("-24x", SW_E_INVALID, "duration");
	expect_err("-100000d", SW_E_RANGE, NULL);
}

static void test_zones(void **state)
{
	(void)state;
	/* The article's moment: 11 a.m. Pacific on 2014-12-01 (PST, UTC-8). */
	expect("2014-12-01 11:00 America/Los_Angeles", utc(2014, 12, 1, 19, 0, 0));
	expect("2014-12-01T11:00 America/Los_Angeles", utc(2014, 12, 1, 19, 0, 0));
	/* Summer: PDT, UTC-7. */
	expect("2014-07-04 12:00 America/Los_Angeles", utc(2014, 7, 4, 19, 0, 0));
	expect("2014-12-01 20:00 Europe/Paris", utc(2014, 12, 1, 19, 0, 0));
	expect("2014-12-02 04:00 Asia/Tokyo", utc(2014, 12, 1, 19, 0, 0));
	expect("2014-12-01 19:00 Etc/UTC", utc(2014, 12, 1, 19, 0, 0));
	/* A half-hour zone. */
	expect("2014-12-02 00:30 Asia/Kolkata", utc(2014, 12, 1, 19, 0, 0));
	/* Beyond the table's transitions: the footer rule (PDT in 2100). */
	expect("2100-07-01 12:00 America/Los_Angeles", utc(2100, 7, 1, 19, 0, 0));
}

static void test_dst_edges(void **state)
{
	(void)state;
	/* Spring forward in Los Angeles: 02:00 PST became 03:00 PDT. */
	expect("2014-03-09 01:59:59 America/Los_Angeles", utc(2014, 3, 9, 9, 59, 59));
	expect("2014-03-09 03:00 America/Los_Angeles", utc(2014, 3, 9, 10, 0, 0));
	expect_err("2014-03-09 02:00 America/Los_Angeles", SW_E_INVALID, "does not exist");
	expect_err("2014-03-09 02:30 America/Los_Angeles", SW_E_INVALID, "America/Los_Angeles");
	expect_err("2014-03-09 02:59:59 America/Los_Angeles", SW_E_INVALID, NULL);
	/* Fall back: 01:00-01:59 happened twice; the earlier (PDT) wins. */
	expect("2014-11-02 00:59 America/Los_Angeles", utc(2014, 11, 2, 7, 59, 0));
	expect("2014-11-02 01:00 America/Los_Angeles", utc(2014, 11, 2, 8, 0, 0));
	expect("2014-11-02 01:30 America/Los_Angeles", utc(2014, 11, 2, 8, 30, 0));
	expect("2014-11-02 02:00 America/Los_Angeles", utc(2014, 11, 2, 10, 0, 0));
	/* London: gap 01:00-02:00 on 2014-03-30, overlap on 2014-10-26. */
	expect_err("2014-03-30 01:30 Europe/London", SW_E_INVALID, NULL);
	expect("2014-03-30 02:00 Europe/London", utc(2014, 3, 30, 1, 0, 0));
	expect("2014-10-26 01:30 Europe/London", utc(2014, 10, 26, 0, 30, 0));
	/* Lord Howe Island moves its clocks by half an hour. */
	expect_err("2014-10-05 02:15 Australia/Lord_Howe", SW_E_INVALID, NULL);
	expect("2014-10-05 02:30 Australia/Lord_Howe", utc(2014, 10, 4, 15, 30, 0));
	/* Moscow 2014-10-26: standard time changed +4 -> +3, no DST flag flips. */
	expect("2014-10-26 01:30 Europe/Moscow", utc(2014, 10, 25, 21, 30, 0));
	expect("2014-10-26 02:30 Europe/Moscow", utc(2014, 10, 25, 23, 30, 0));
	/* Southern hemisphere: Sydney's DST in December. */
	expect("2014-12-02 06:00 Australia/Sydney", utc(2014, 12, 1, 19, 0, 0));
}

static void test_local_default_and_tz_restored(void **state)
{
	const char *before;

	(void)state;
	setenv("TZ", "America/Los_Angeles", 1);
	expect("2014-12-01 11:00", utc(2014, 12, 1, 19, 0, 0));
	expect("2014-12-01T12:00 Europe/Paris", utc(2014, 12, 1, 11, 0, 0));
	before = getenv("TZ");
	assert_non_null(before);
	assert_string_equal(before, "America/Los_Angeles");
	expect("2014-12-01 11:00", utc(2014, 12, 1, 19, 0, 0));
	expect_err("2014-03-09 02:30", SW_E_INVALID, "does not exist here");
	unsetenv("TZ");
	expect("2014-12-01 20:00 Europe/Paris", utc(2014, 12, 1, 19, 0, 0));
	assert_null(getenv("TZ"));
}

static void test_bad_input(void **state)
{
	char big[SW_WHEN_MAX_LEN + 2];
	int64_t out = -1;

	(void)state;
	expect_err("", SW_E_INVALID, NULL);
	expect_err("yesterday", SW_E_INVALID, "at byte 0");
	expect_err("2014-13-01", SW_E_INVALID, "month");
	expect_err("2014-02-29", SW_E_INVALID, "day");
	expect_err("2100-02-29", SW_E_INVALID, "day");
	expect_err("2014-04-31", SW_E_INVALID, "day");
	expect_err("2014-12-01T24:00", SW_E_INVALID, "out of range");
	expect_err("2014-12-01T19:60", SW_E_INVALID, NULL);
	expect_err("2014-12-01T19", SW_E_INVALID, "hh:mm");
	expect_err("2014-12-01T19:00:00.Z", SW_E_INVALID, "fraction");
	expect_err("2014-12-01T19:00:00.1234567891Z", SW_E_INVALID, "fraction");
	expect_err("2014-12-01T19:00+25:00", SW_E_INVALID, "offset");
	expect_err("2014-12-01T19:00Zjunk", SW_E_INVALID, "unexpected");
	expect_err("1969-12-31T23:59:59Z", SW_E_RANGE, "1970");
	expect_err("1970-01-01T00:30+01:00", SW_E_RANGE, "before 1970");
	expect_err("2014-12-01 11:00 Mars/Olympus_Mons", SW_E_NOT_FOUND, "Mars/Olympus_Mons");
	expect_err("2014-12-01 11:00 ../../etc/passwd", SW_E_INVALID, "zone");
	expect_err("2014-12-01 11:00 /etc/localtime", SW_E_INVALID, "zone");
	expect_err("2014-12-01 11:00 America//Los_Angeles", SW_E_INVALID, "zone");
	expect_err("2014-12-01 11:00 America", SW_E_NOT_FOUND, NULL); /* a directory */
	expect_err("2014-12-01 11:00 zone.tab", SW_E_INVALID, NULL);
	expect_err("2014-12-01T19:00Z Europe/Paris", SW_E_INVALID, "both");
	expect_err("2014-12-01 11:00 America/Los Angeles", SW_E_INVALID, NULL);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(parse(big, &out, NULL), SW_E_TOO_BIG);
	/* An embedded NUL is not the end of the input. */
	assert_int_equal(sw_when_parse("now\0x", 5, NOW, &out, NULL), SW_E_INVALID);
	/* Not NUL-terminated: only n bytes are read. */
	assert_int_equal(sw_when_parse("nowhere", 3, NOW, &out, NULL), SW_OK);
	assert_int_equal(out, NOW);
}

static void test_format_round_trip(void **state)
{
	static const int64_t samples[] = {0,
	                                  999,
	                                  1000,
	                                  1417460400000LL,
	                                  1417460400250LL,
	                                  951782400000LL /* 2000-02-29 */,
	                                  4102444799999LL,
	                                  253402300799000LL};
	char iso[SW_WHEN_ISO_LEN];

	(void)state;
	assert_string_equal(sw_when_format_utc(1417460400000LL, iso), "2014-12-01T19:00:00Z");
	assert_string_equal(sw_when_format_utc(1417460400250LL, iso), "2014-12-01T19:00:00.250Z");
	assert_string_equal(sw_when_format_utc(0, iso), "1970-01-01T00:00:00Z");
	assert_string_equal(sw_when_format_utc(951782400000LL, iso), "2000-02-29T00:00:00Z");
	assert_string_equal(sw_when_format_utc(253402300799000LL, iso), "9999-12-31T23:59:59Z");
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		expect(sw_when_format_utc(samples[i], iso), samples[i]);
	/* Every day boundary of a leap-year span, both directions. */
	for (int64_t d = sw_when_days_from_civil(2015, 12, 25);
	     d < sw_when_days_from_civil(2017, 1, 5); d++)
		expect(sw_when_format_utc(d * 86400000LL + 43200000, iso),
		       d * 86400000LL + 43200000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iso_forms),
	    cmocka_unit_test(test_now_and_relative),
	    cmocka_unit_test(test_zones),
	    cmocka_unit_test(test_dst_edges),
	    cmocka_unit_test(test_local_default_and_tz_restored),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_format_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
