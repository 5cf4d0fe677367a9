/*
 * time.h - clocks and durations.
 *
 * Protocol code never reads a clock: it is handed `now` (milliseconds on
 * the monotonic clock) by the loop, which makes it deterministic under
 * test.  Wall-clock time is only for timestamps that leave the process
 * (observations, reports).
 */
#ifndef SW_TIME_H
#define SW_TIME_H

#include <stdint.h>

int64_t sw_time_mono_ms(void); /* CLOCK_MONOTONIC, milliseconds */
int64_t sw_time_wall_ms(void); /* CLOCK_REALTIME, milliseconds since the epoch */

/*
 * Parse a duration: a number with an optional unit, "ms", "s" (the
 * default), "m", "h" or "d"; several parts may follow each other
 * ("1m30s").  Returns 0 and *ms_out, or SW_E_INVALID / SW_E_RANGE.
 */
int sw_duration_parse(const char *s, int64_t *ms_out);

#endif /* SW_TIME_H */
