/*
 * fuzz_magnet.c - libFuzzer target for the magnet URI parser: parse, free.
 * The input is not NUL-terminated, which is part of the contract.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "proto/magnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_magnet *m = NULL;
	struct sw_errbuf eb;
	int rc = sw_magnet_parse((const char *)data, size, &m, &eb);

	if ((rc == SW_OK) != (m != NULL))
		abort();
	if (m != NULL && !m->has_v1 && !m->has_v2)
		abort();
	sw_magnet_free(m);
	return 0;
}
