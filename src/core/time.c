/* time.c - clocks and duration parsing. */
#include "core/time.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sw_time_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t sw_time_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

#define MAX_DURATION_MS ((int64_t)100 * 365 * 86400 * 1000) /* a century */

int sw_duration_parse(const char *s, int64_t *ms_out)
{
	static const struct {
		const char *suffix;
		int64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	int64_t total = 0;

	if (s == NULL || *s == 0)
		return SW_E_INVALID;
	while (*s) {
		char *end;
		double v;
		int64_t mult = 1000;
		size_t ulen = 0;

		if (*s < '0' || *s > '9')
			return SW_E_INVALID;
		v = strtod(s, &end);
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].suffix);

			if (strncmp(end, units[i].suffix, n) == 0 &&
			    (end[n] == 0 || (end[n] >= '0' && end[n] <= '9'))) {
				mult = units[i].ms;
				ulen = n;
				break;
			}
		}
		if (ulen == 0 && *end != 0)
			return SW_E_INVALID;
		if (v * (double)mult > (double)MAX_DURATION_MS)
			return SW_E_RANGE;
		total += (int64_t)(v * (double)mult);
		if (total > MAX_DURATION_MS)
			return SW_E_RANGE;
		s = end + ulen;
	}
	*ms_out = total;
	return SW_OK;
}
