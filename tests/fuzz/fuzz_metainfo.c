/*
 * fuzz_metainfo.c - libFuzzer target for the .torrent parser: parse, free.
 * ASan/UBSan/LSan do the checking (bounds, overflow, leaks on every error
 * path); the parser must never succeed without a name or with an output
 * left set on failure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "proto/metainfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb;
	int rc = sw_metainfo_parse(data, size, &m, &eb);

	if ((rc == SW_OK) != (m != NULL))
		abort();
	if (m != NULL && (m->name == NULL || (!m->has_v1 && !m->has_v2)))
		abort();
	sw_metainfo_free(m);
	return 0;
}
