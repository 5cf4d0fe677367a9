/*
 * fuzz_hll.c - libFuzzer target for the HyperLogLog byte form: parse; a
 * sketch that parses must count, merge with itself and with a fresh
 * sketch, and serialize back to exactly the input bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "count/hll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_hll *h = NULL, *e = NULL;
	struct sw_errbuf eb;
	struct sw_buf out;
	int rc = sw_hll_deserialize(data, size, NULL, &h, &eb);

	if ((rc == SW_OK) != (h != NULL))
		abort();
	if (rc != SW_OK)
		return 0;
	sw_buf_init(&out, SW_HLL_SERIAL_MAX);
	if (sw_hll_serialize(h, &out) != SW_OK || out.len != size || memcmp(out.data, data, size))
		abort();
	(void)sw_hll_count(h);
	if (sw_hll_new(NULL, &e) != SW_OK || sw_hll_merge(e, h, &eb) != SW_OK ||
	    sw_hll_merge(h, h, &eb) != SW_OK || sw_hll_count(e) != sw_hll_count(h))
		abort();
	sw_buf_deinit(&out);
	sw_hll_free(h);
	sw_hll_free(e);
	return 0;
}
