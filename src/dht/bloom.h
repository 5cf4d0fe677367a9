/*
 * bloom.h - the BEP 33 scrape bloom filters (BFsd, BFpe): 256 bytes,
 * 2048 bits, two bits per IP address, and the estimate of how many
 * distinct addresses a filter (or the OR of several) holds.
 */
#ifndef SW_BLOOM_H
#define SW_BLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

#define SW_BLOOM_BYTES 256
#define SW_BLOOM_BITS  (SW_BLOOM_BYTES * 8) /* m */
#define SW_BLOOM_K     2                    /* bits per inserted address */

struct sw_bloom {
	uint8_t bits[SW_BLOOM_BYTES]; /* the wire form, as in BFsd / BFpe */
};

void sw_bloom_init(struct sw_bloom *b);
/* Copy a filter from the wire (SW_BLOOM_BYTES bytes). */
void sw_bloom_load(struct sw_bloom *b, const uint8_t bytes[SW_BLOOM_BYTES]);

/* Insert raw IP bytes (4 or 16, network order): 0, SW_E_INVALID or SW_E_NOMEM (SHA-1). */
int sw_bloom_insert_ip(struct sw_bloom *b, const uint8_t *ip, size_t len);
/* Insert an address (the port is not part of it). */
int sw_bloom_insert(struct sw_bloom *b, const struct sw_addr *a);
/* Might a hold been inserted?  (No false negatives.) */
bool sw_bloom_contains(const struct sw_bloom *b, const struct sw_addr *a);

/* dst |= src: the filter of the union of both sets. */
void sw_bloom_merge(struct sw_bloom *dst, const struct sw_bloom *src);

/* Bits still zero (c in the BEP's estimate). */
unsigned sw_bloom_zero_bits(const struct sw_bloom *b);

/*
 * BEP 33's estimate of the distinct addresses inserted:
 *   n = log(c / m) / (k * log(1 - 1/m)),  c = zero bits, m = 2048, k = 2.
 * An empty filter is exactly 0 (the BEP's min(m-1, c) would say 0.5).  A
 * saturated filter (c == 0, log(0)) returns the largest estimate the
 * formula can give, for c = 1 (about 7805.6), with *saturated set: the true
 * count is that or more.  saturated may be NULL.
 */
double sw_bloom_estimate(const struct sw_bloom *b, bool *saturated);

#endif /* SW_BLOOM_H */
