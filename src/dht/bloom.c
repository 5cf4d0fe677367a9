/*
 * bloom.c - BEP 33 bloom filters.
 *
 * Inserting an address (4 or 16 bytes, network order, no port):
 *
 *   h  = SHA-1(ip)
 *   i1 = (h[0] | h[1] << 8) % 2048      i2 = (h[2] | h[3] << 8) % 2048
 *   bits[i / 8] |= 1 << (i % 8)         for i in i1, i2
 *
 * The filter travels as these 256 bytes in "BFsd" (seeds) and "BFpe"
 * (peers) of a get_peers reply.  ORing filters gives the filter of the
 * union, so the estimate of a swarm's size over many DHT nodes is the
 * estimate of the OR of their filters.
 */
#include "dht/bloom.h"

#include <math.h>
#include <string.h>

#include "core/error.h"
#include "core/hash.h"

#define BITS_PER_BYTE 8
#define V4_LEN        4
#define V6_LEN        16

void sw_bloom_init(struct sw_bloom *b)
{
	memset(b->bits, 0, sizeof(b->bits));
}

void sw_bloom_load(struct sw_bloom *b, const uint8_t bytes[SW_BLOOM_BYTES])
{
	memcpy(b->bits, bytes, SW_BLOOM_BYTES);
}

/* The two bit indices of ip. */
static int indices(const uint8_t *ip, size_t len, unsigned idx[SW_BLOOM_K])
{
	uint8_t h[SW_SHA1_LEN];
	int rc;

	if (len != V4_LEN && len != V6_LEN)
		return SW_E_INVALID;
	rc = sw_sha1(ip, len, h);
	if (rc != SW_OK)
		return rc;
	idx[0] = ((unsigned)h[0] | (unsigned)h[1] << 8) % SW_BLOOM_BITS;
	idx[1] = ((unsigned)h[2] | (unsigned)h[3] << 8) % SW_BLOOM_BITS;
	return SW_OK;
}

int sw_bloom_insert_ip(struct sw_bloom *b, const uint8_t *ip, size_t len)
{
	unsigned idx[SW_BLOOM_K];
	int rc = indices(ip, len, idx);

	if (rc != SW_OK)
		return rc;
	for (int i = 0; i < SW_BLOOM_K; i++)
		b->bits[idx[i] / BITS_PER_BYTE] |= (uint8_t)(1u << (idx[i] % BITS_PER_BYTE));
	return SW_OK;
}

static size_t ip_len(const struct sw_addr *a)
{
	if (a->family == AF_INET)
		return V4_LEN;
	return a->family == AF_INET6 ? V6_LEN : 0;
}

int sw_bloom_insert(struct sw_bloom *b, const struct sw_addr *a)
{
	return sw_bloom_insert_ip(b, a->ip, ip_len(a));
}

bool sw_bloom_contains(const struct sw_bloom *b, const struct sw_addr *a)
{
	unsigned idx[SW_BLOOM_K];

	if (indices(a->ip, ip_len(a), idx) != SW_OK)
		return false;
	for (int i = 0; i < SW_BLOOM_K; i++)
		if ((b->bits[idx[i] / BITS_PER_BYTE] & (1u << (idx[i] % BITS_PER_BYTE))) == 0)
			return false;
	return true;
}

void sw_bloom_merge(struct sw_bloom *dst, const struct sw_bloom *src)
{
	for (size_t i = 0; i < SW_BLOOM_BYTES; i++)
		dst->bits[i] |= src->bits[i];
}

unsigned sw_bloom_zero_bits(const struct sw_bloom *b)
{
	unsigned ones = 0;

	for (size_t i = 0; i < SW_BLOOM_BYTES; i++)
		ones += (unsigned)__builtin_popcount(b->bits[i]);
	return SW_BLOOM_BITS - ones;
}

double sw_bloom_estimate(const struct sw_bloom *b, bool *saturated)
{
	const double m = SW_BLOOM_BITS;
	unsigned c = sw_bloom_zero_bits(b);

	if (saturated != NULL)
		*saturated = c == 0;
	if (c == SW_BLOOM_BITS)
		return 0.0;
	if (c == 0)
		c = 1;
	return log((double)c / m) / (SW_BLOOM_K * log(1.0 - 1.0 / m));
}
