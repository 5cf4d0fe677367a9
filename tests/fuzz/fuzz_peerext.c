/*
 * fuzz_peerext.c - libFuzzer target for the BEP 10 / 9 / 11 payload
 * parsers.  Every input goes through all three: the extension handshake
 * (whose client name must come out NUL-terminated, printable and
 * unchanged by a second sanitizing), ut_metadata (with no expected size
 * and with the size the message itself claims; a data message is stored
 * into a reassembly buffer and verified), and ut_pex as a first and as a
 * later message, with capacities small enough to be hit, where the counts
 * must add up and every kept peer be within the caps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "proto/peerext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEX_CAP 64

static void fuzz_handshake(const uint8_t *data, size_t size)
{
	struct sw_px_handshake h;
	char again[SW_PX_CLIENT_LEN];
	size_t len;
	int rc = sw_px_parse_handshake(data, size, &h, NULL);

	if (rc != SW_OK) {
		if (rc != SW_E_INVALID && rc != SW_E_TYPE && rc != SW_E_RANGE && rc != SW_E_TOO_BIG)
			abort();
		return;
	}
	len = strnlen(h.client, sizeof(h.client));
	if (len == sizeof(h.client) || (!h.has_client && len != 0))
		abort();
	if (sw_px_sanitize(again, sizeof(again), (const uint8_t *)h.client, len) != len ||
	    memcmp(again, h.client, len + 1) != 0)
		abort();
	if (h.metadata_size > (int64_t)SW_PX_MAX_METADATA || h.metadata_size < -1 || h.port == 0 ||
	    h.port > 65535 || h.reqq == 0 || h.upload_only > 1)
		abort();
	if ((!h.has_ut_metadata && h.ut_metadata != 0) || (!h.has_ut_pex && h.ut_pex != 0))
		abort();
}

static void fuzz_metadata(const uint8_t *data, size_t size, int64_t expect)
{
	static uint8_t buf[SW_PX_MAX_METADATA];
	struct sw_px_metadata_msg m;
	struct sw_px_metadata md;
	uint8_t ih[SW_INFOHASH_LEN] = {0};
	int rc = sw_px_parse_metadata(data, size, expect, &m, NULL);

	if (rc != SW_OK)
		return;
	if (m.msg_type < SW_PX_METADATA_REQUEST || m.msg_type > SW_PX_METADATA_REJECT)
		abort();
	if (m.msg_type != SW_PX_METADATA_DATA) {
		if (m.data != NULL || m.total_size != -1)
			abort();
		return;
	}
	if (m.data < data || m.data + m.data_len != data + size || m.total_size <= 0 ||
	    m.total_size > (int64_t)SW_PX_MAX_METADATA || (expect >= 0 && m.total_size != expect))
		abort();
	if (sw_px_metadata_init(&md, buf, (size_t)m.total_size) != SW_OK ||
	    sw_px_metadata_add(&md, m.piece, m.data, m.data_len, NULL) != SW_OK || md.received != 1)
		abort();
	rc = sw_px_metadata_verify(&md, ih, sizeof(ih), NULL);
	if (rc != (md.num_pieces == 1 ? SW_E_INVALID : SW_E_NEED_MORE) && rc != SW_OK)
		abort();
}

static void fuzz_pex(const uint8_t *data, size_t size, bool first, size_t cap)
{
	static struct sw_px_pex_peer added[PEX_CAP], dropped[PEX_CAP];
	struct sw_px_pex x;
	int rc = sw_px_parse_pex(data, size, first, added, cap, dropped, cap, &x, NULL);

	if (rc != SW_OK) {
		if ((rc != SW_E_INVALID && rc != SW_E_TYPE && rc != SW_E_TOO_BIG) ||
		    x.num_added != 0 || x.num_dropped != 0)
			abort();
		return;
	}
	if (x.num_added > cap || x.num_dropped > cap ||
	    x.num_added + x.num_dropped + x.excess + x.over_cap !=
	        x.added4 + x.added6 + x.dropped4 + x.dropped6)
		abort();
	if (first && x.excess != 0)
		abort();
	if (!first && (x.num_added > SW_PX_PEX_MAX_ADDED || x.num_dropped > SW_PX_PEX_MAX_DROPPED))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_px_metadata_msg m;

	fuzz_handshake(data, size);
	fuzz_metadata(data, size, -1);
	if (sw_px_parse_metadata(data, size, -1, &m, NULL) == SW_OK && m.total_size > 0)
		fuzz_metadata(data, size, m.total_size + (int64_t)(size & 1));
	fuzz_pex(data, size, true, PEX_CAP);
	fuzz_pex(data, size, false, size % (PEX_CAP + 1));
	return 0;
}
