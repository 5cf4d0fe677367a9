/*
 * fuzz_when.c - libFuzzer target for the time parser of --as-of / --since
 * and ?as_of= (src/report/when.c).  The input is not NUL-terminated.
 * Invariants: success gives a time in 1970..9999; a parsed time written
 * back as UTC ISO 8601 parses to the same instant.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "report/when.h"

#define NOW      1417500000000LL
#define MAX_TIME 253402300800000LL /* 10000-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_errbuf eb;
	char iso[SW_WHEN_ISO_LEN];
	int64_t ms = -1, back = -1;
	int rc = sw_when_parse((const char *)data, size, NOW, &ms, &eb);

	if (rc != SW_OK)
		return 0;
	if (ms < 0 || ms >= MAX_TIME + 36500LL * 86400000LL) /* "+DURATION" may pass 9999 */
		abort();
	if (ms < MAX_TIME) {
		sw_when_format_utc(ms, iso);
		if (sw_when_parse(iso, strlen(iso), NOW, &back, &eb) != SW_OK || back != ms)
			abort();
	}
	return 0;
}
