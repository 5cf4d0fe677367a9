/*
 * fuzz_peerwire.c - libFuzzer target for the peer wire codec and client
 * names.  Each input is read as a peer's stream: the handshake (and the
 * client name of its peer id), then messages until the reader stops.  The
 * messages must stay inside the input and account for every byte they
 * take; the same stream fed in pieces (split where the input's own bytes
 * say) must give the same messages and the same final result.  Bitfields
 * and haves go through the have tracker, whose count must match a
 * recount, and the input, as a payload, through the extended builder and
 * back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "peer/clientid.h"
#include "proto/peerwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSGS   4096
#define MAX_PIECES 4096

struct seen {
	int id;
	size_t frame_len;
};

static void check_msg(const uint8_t *p, size_t n, const struct sw_pw_msg *m, size_t used)
{
	if (used != m->frame_len || used > n || used != SW_PW_LEN_PREFIX + (size_t)m->len)
		abort();
	if (m->id == SW_PW_KEEPALIVE) {
		if (m->len != 0)
			abort();
		return;
	}
	if (m->payload != p + SW_PW_LEN_PREFIX + 1 || m->payload_len + 1 != m->len)
		abort();
	if (m->data != NULL && (m->data < m->payload || m->data + m->data_len > p + used))
		abort();
	if (sw_pw_msg_known(m->id) != (sw_pw_msg_name(m->id) != NULL))
		abort();
}

/* Feed the pieces a have tracker sized by the first bitfield would see. */
static void track(const struct sw_pw_msg *m, struct sw_pw_have *h, uint8_t *bits, bool *init)
{
	uint32_t pieces;

	if (m->id == SW_PW_BITFIELD && !*init && m->data_len * 8 <= MAX_PIECES) {
		/* the torrent size this bitfield would fit, spare bits from byte 0 */
		pieces = (uint32_t)(m->data_len * 8) - (m->data_len > 0 ? m->data[0] % 8 : 0);
		sw_pw_have_init(h, bits, pieces);
		*init = true;
	}
	if (!*init)
		return;
	if (m->id == SW_PW_BITFIELD)
		(void)sw_pw_have_bitfield(h, m->data, m->data_len, NULL);
	else if (m->id == SW_PW_HAVE)
		(void)sw_pw_have_add(h, m->index, NULL);
	else if (m->id == SW_PW_HAVE_ALL)
		sw_pw_have_all(h);
	if (h->count > h->num_pieces ||
	    h->count !=
	        sw_pw_bitfield_count(h->bits, sw_pw_bitfield_len(h->num_pieces), h->num_pieces) ||
	    sw_pw_bitfield_check(h->bits, sw_pw_bitfield_len(h->num_pieces), h->num_pieces, NULL) !=
	        SW_OK)
		abort();
}

/* Read the stream whole; returns the final code and fills seen[]. */
static int read_whole(const uint8_t *p, size_t n, struct seen *seen, size_t *nseen)
{
	static uint8_t bits[MAX_PIECES / 8];
	struct sw_pw_have h;
	struct sw_pw_msg m;
	bool init = false;
	size_t off = 0, used;
	int rc;

	*nseen = 0;
	while ((rc = sw_pw_next_message(p + off, n - off, &m, &used, NULL)) == SW_OK) {
		check_msg(p + off, n - off, &m, used);
		track(&m, &h, bits, &init);
		if (*nseen < MAX_MSGS)
			seen[(*nseen)++] = (struct seen){m.id, m.frame_len};
		off += used;
	}
	if (used != 0 || (rc == SW_E_NEED_MORE && m.frame_len <= n - off))
		abort();
	if (rc != SW_E_NEED_MORE && rc != SW_E_TOO_BIG && rc != SW_E_INVALID)
		abort();
	return rc;
}

/* The same stream arriving in pieces whose sizes come from the input. */
static void read_chunked(const uint8_t *p, size_t n, const struct seen *seen, size_t nseen,
                         int whole_rc)
{
	struct sw_pw_msg m;
	size_t start = 0, avail = 0, used, k = 0, step = 0;
	int rc = SW_E_NEED_MORE;

	while (avail < n) {
		avail += 1 + p[step++ % n] % 61;
		if (avail > n)
			avail = n;
		while ((rc = sw_pw_next_message(p + start, avail - start, &m, &used, NULL)) ==
		       SW_OK) {
			if (k < nseen && (seen[k].id != m.id || seen[k].frame_len != m.frame_len))
				abort();
			k++;
			start += used;
		}
		if (rc != SW_E_NEED_MORE)
			break;
	}
	if (rc != whole_rc || (k < MAX_MSGS && k != nseen))
		abort();
}

static void fuzz_handshake(const uint8_t *data, size_t size)
{
	struct sw_pw_handshake h;
	char name[SW_CLIENTID_LEN];
	int rc = sw_pw_parse_handshake(data, size, &h, NULL);

	if (rc == SW_OK) {
		if (size < SW_PW_HANDSHAKE_LEN || data[0] != SW_PW_PSTR_LEN)
			abort();
		sw_clientid_from_peer_id(h.peer_id, name, sizeof(name));
		if (memchr(name, 0, sizeof(name)) == NULL)
			abort();
	} else if (rc == SW_E_NEED_MORE) {
		if (size >= SW_PW_HANDSHAKE_LEN)
			abort();
	} else if (rc != SW_E_INVALID) {
		abort();
	}
	if (size >= SW_PEER_ID_LEN) {
		sw_clientid_describe(data, data + SW_PEER_ID_LEN, size - SW_PEER_ID_LEN, name,
		                     sizeof(name));
		if (strlen(name) >= sizeof(name))
			abort();
	}
}

static void fuzz_build(const uint8_t *data, size_t size)
{
	static uint8_t out[SW_PW_MSG_EXT_HDR_LEN + (1 << 20)];
	struct sw_pw_msg m;
	size_t used;
	int n;

	n = sw_pw_build_extended(out, sizeof(out), size > 0 ? data[0] : 0, data, size);
	if (n < 0)
		return;
	if ((size_t)n != SW_PW_MSG_EXT_HDR_LEN + size ||
	    sw_pw_next_message(out, (size_t)n, &m, &used, NULL) != SW_OK ||
	    m.id != SW_PW_EXTENDED || m.data_len != size ||
	    (size > 0 && memcmp(m.data, data, size) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen seen[MAX_MSGS];
	size_t nseen, body = size >= SW_PW_HANDSHAKE_LEN ? SW_PW_HANDSHAKE_LEN : 0;
	int rc;

	fuzz_handshake(data, size);
	/* Messages after a handshake if there is one, else from byte 0. */
	if (body > 0 && data[0] != SW_PW_PSTR_LEN)
		body = 0;
	rc = read_whole(data + body, size - body, seen, &nseen);
	if (size > body)
		read_chunked(data + body, size - body, seen, nseen, rc);
	fuzz_build(data, size);
	return 0;
}
