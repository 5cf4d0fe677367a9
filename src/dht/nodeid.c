/*
 * nodeid.c - BEP 42 node ids.
 *
 *   IPv4: crc32c(be32((ip & 0x030f3fff) | (r << 29)))          4 bytes
 *   IPv6: crc32c(be64((ip[0..8) & 0x0103070f1f3f7fff) | (r << 61)))  8 bytes
 *
 *   id[0]  = crc >> 24
 *   id[1]  = crc >> 16
 *   id[2]  = (crc >> 8) & 0xf8 | random 3 bits
 *   id[3..19) random, id[19] = random byte whose low 3 bits are r
 *
 * CRC32-C is written here, table-driven (256 entries built on first use):
 * none of the Debian libraries in the dependency list (libcrypto, zlib via
 * curl) exports Castagnoli CRC, and it is twenty lines.
 */
#include "dht/nodeid.h"

#include <string.h>

#include "core/error.h"

#define CRC32C_POLY   0x82f63b78u /* 0x1edc6f41 reflected */
#define V4_MASK       0x030f3fffu
#define V6_MASK       0x0103070f1f3f7fffull
#define V4_R_SHIFT    29
#define V6_R_SHIFT    61
#define R_MASK        0x7u
#define PREFIX_MASK_2 0xf8u /* 21 bits = 2 bytes and the top 5 bits of the third */
#define V4_LEN        4
#define V6_HALF_LEN   8

static uint32_t crc_table[256];
static bool crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1u) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = true;
}

uint32_t sw_nodeid_crc32c(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;

	if (!crc_ready)
		crc_init();
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ b[i]) & 0xffu] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

int sw_nodeid_prefix(const struct sw_addr *a, uint8_t r, uint32_t *crc)
{
	uint8_t buf[V6_HALF_LEN];
	size_t n;

	if (a->family == AF_INET) {
		uint32_t v = ((uint32_t)a->ip[0] << 24) | ((uint32_t)a->ip[1] << 16) |
		             ((uint32_t)a->ip[2] << 8) | a->ip[3];

		v = (v & V4_MASK) | ((uint32_t)(r & R_MASK) << V4_R_SHIFT);
		for (n = 0; n < V4_LEN; n++)
			buf[n] = (uint8_t)(v >> (24 - 8 * n));
	} else if (a->family == AF_INET6) {
		uint64_t v = 0;

		for (n = 0; n < V6_HALF_LEN; n++)
			v = (v << 8) | a->ip[n];
		v = (v & V6_MASK) | ((uint64_t)(r & R_MASK) << V6_R_SHIFT);
		for (n = 0; n < V6_HALF_LEN; n++)
			buf[n] = (uint8_t)(v >> (56 - 8 * n));
	} else {
		return SW_E_INVALID;
	}
	*crc = sw_nodeid_crc32c(buf, n);
	return SW_OK;
}

int sw_nodeid_generate(const struct sw_addr *ext, const uint8_t rand[SW_NODEID_LEN],
                       uint8_t out[SW_NODEID_LEN])
{
	uint32_t crc;
	int rc = sw_nodeid_prefix(ext, rand[SW_NODEID_LEN - 1], &crc);

	if (rc != SW_OK)
		return rc;
	memcpy(out, rand, SW_NODEID_LEN);
	out[0] = (uint8_t)(crc >> 24);
	out[1] = (uint8_t)(crc >> 16);
	out[2] = (uint8_t)(((crc >> 8) & PREFIX_MASK_2) | (rand[2] & R_MASK));
	return SW_OK;
}

bool sw_nodeid_exempt(const struct sw_addr *ip)
{
	const uint8_t *b = ip->ip;

	if (ip->family == AF_INET)
		return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		       (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) || b[0] == 127;
	if (ip->family == AF_INET6) {
		enum sw_addr_class c = sw_addr_classify(ip);

		return c == SW_ADDR_LOOPBACK || c == SW_ADDR_LINK_LOCAL || c == SW_ADDR_PRIVATE;
	}
	return false;
}

bool sw_nodeid_valid(const struct sw_addr *ip, const uint8_t id[SW_NODEID_LEN])
{
	uint32_t crc;

	if (sw_nodeid_exempt(ip))
		return true;
	if (sw_nodeid_prefix(ip, id[SW_NODEID_LEN - 1], &crc) != SW_OK)
		return false;
	return id[0] == (uint8_t)(crc >> 24) && id[1] == (uint8_t)(crc >> 16) &&
	       (id[2] & PREFIX_MASK_2) == ((crc >> 8) & PREFIX_MASK_2);
}
