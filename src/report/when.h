/*
 * when.h - points in time as people write them on the command line and
 * in query strings: "now", "-24h", "2014-12-01T19:00:00Z",
 * "2014-12-01 11:00 America/Los_Angeles", "2014-12-01T20:00+01:00".
 *
 * Grammar (surrounding blanks ignored, case-insensitive letters):
 *
 *   when     = "now" | sign duration | date [sep clock [offset]] [blanks zone]
 *   sign     = "-" | "+"                   relative to now (core/time.h)
 *   date     = YYYY "-" MM "-" DD          year 1970..9999
 *   sep      = "T" | " "
 *   clock    = hh ":" mm [":" ss ["." fraction]]   fraction: up to 9 digits
 *   offset   = "Z" | ("+" | "-") hh [[":"] mm]
 *   zone     = "UTC" | "Z" | an IANA name of the system's tz database
 *
 * A time with neither offset nor zone is the process's local time (TZ).
 * A zone is looked up in $TZDIR or /usr/share/zoneinfo (Debian's tzdata)
 * and converted with the C library's localtime_r(), which reads the same
 * file; the conversion sets TZ for its duration and restores it (the
 * program is single-threaded).  A local time that falls in a DST gap
 * ("2014-03-09 02:30 America/Los_Angeles") does not exist and is refused;
 * one that happens twice (the hour after DST ends) is the earlier of the
 * two, like Python's fold=0.
 *
 * The parser is bounded: at most SW_WHEN_MAX_LEN bytes, no allocation.
 */
#ifndef SW_REPORT_WHEN_H
#define SW_REPORT_WHEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#ifndef SW_WHEN_MAX_LEN
#define SW_WHEN_MAX_LEN 128
#endif

/* Longest sw_when_format_utc() text, NUL included: "9999-12-31T23:59:59.999Z". */
#define SW_WHEN_ISO_LEN 32

/*
 * Parse s (n bytes, need not be NUL-terminated) into milliseconds since
 * the epoch, UTC; now_ms is what "now" and relative times count from.
 * Returns 0 and *ms_out, or SW_E_INVALID (syntax, impossible date, a
 * local time skipped by DST), SW_E_NOT_FOUND (unknown zone), SW_E_RANGE
 * (before 1970 or after 9999) or SW_E_TOO_BIG (over SW_WHEN_MAX_LEN), with
 * a message naming the input and what is wrong at which byte in eb.
 */
int sw_when_parse(const char *s, size_t n, int64_t now_ms, int64_t *ms_out, struct sw_errbuf *eb);

/*
 * ms as UTC ISO 8601: "2014-12-01T19:00:00Z", with ".mmm" only when ms is
 * not a whole second.  out holds SW_WHEN_ISO_LEN bytes.  Returns out.
 */
char *sw_when_format_utc(int64_t ms, char out[SW_WHEN_ISO_LEN]);

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
int64_t sw_when_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif /* SW_REPORT_WHEN_H */
