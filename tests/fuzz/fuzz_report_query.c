/*
 * fuzz_report_query.c - libFuzzer target for what `swarmwatch serve` does
 * with a query string: split it with libevent's evhttp_parse_query_str(),
 * as serve.c does, and set each parameter on report options
 * (sw_report_opts_set(), which parses times, tiers, breakdowns, titles).
 * Invariant: options that were accepted are in range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/error.h"
#include "report/report.h"

#define NOW       1417500000000LL
#define QUERY_MAX 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char query[QUERY_MAX + 1];
	struct evkeyvalq params;
	struct evkeyval *kv;
	struct sw_report_opts o;
	struct sw_errbuf eb;

	if (size > QUERY_MAX)
		return 0;
	memcpy(query, data, size);
	query[size] = 0;
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(query, &params) == 0) {
		sw_report_opts_init(&o, NOW);
		TAILQ_FOREACH(kv, &params, next)
		{
			if (sw_report_opts_set(&o, kv->key, kv->value, NOW, &eb) != SW_OK)
				break;
		}
		if ((unsigned)o.tier > SW_TIER_VERIFIED || (unsigned)o.by > SW_QUERY_BY_TORRENT ||
		    (unsigned)o.format > SW_REPORT_HTML || o.as_of_ms < 0 ||
		    strlen(o.title) >= sizeof(o.title))
			abort();
		sw_report_opts_check(&o, &eb);
	}
	evhttp_clear_headers(&params);
	return 0;
}
