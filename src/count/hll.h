/*
 * hll.h - HyperLogLog sketches of distinct addresses.
 *
 * A sketch estimates how many distinct items it was given, in 12 KiB
 * whatever the count, with a standard error of 1.04 / sqrt(16384) = 0.81%.
 * Sketches of disjoint or overlapping streams merge into the sketch of the
 * union, which is how counts from several monitoring hosts, or from many
 * windows, combine.  Small sketches are kept sparse (a few bytes per item
 * and near-exact counts) and become dense past SW_HLL_SPARSE_MAX entries.
 * The algorithm, the estimator and the byte format are described at the top
 * of hll.c.
 *
 * Items are hashed with SipHash-2-4 under a 16-byte key.  Sketches merge
 * only when built under the same key; the serialized form carries a
 * fingerprint of the key (not the key) so that a mismatch is an error,
 * never a silently wrong count.  A NULL key means the all-zero key: the
 * hash is then public, and a peer able to choose the addresses it claims
 * could aim them at chosen registers.  Give every host of one deployment
 * the same secret key to avoid that.
 *
 * A sketch is not thread-safe.  Counting and serializing flush a sparse
 * sketch's pending insertions, so they take a non-const pointer.
 */
#ifndef SW_HLL_H
#define SW_HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"

#define SW_HLL_P           14               /* index bits, dense */
#define SW_HLL_REGISTERS   (1u << SW_HLL_P) /* 16,384 */
#define SW_HLL_REG_BITS    6
#define SW_HLL_DENSE_BYTES (SW_HLL_REGISTERS * SW_HLL_REG_BITS / 8) /* 12,288 */
#define SW_HLL_SPARSE_P    25                                       /* index bits, sparse */
#define SW_HLL_KEY_LEN     16                                       /* SW_SIPHASH_KEY_LEN */
#define SW_HLL_STD_ERROR   0.008125                                 /* 1.04 / sqrt(16384) */
#define SW_HLL_HEADER_LEN  16
#define SW_HLL_VERSION     1

/* Sparse entries (4 bytes each in memory) before a sketch becomes dense:
 * 3,072 entries take as much memory as the dense registers. */
#ifndef SW_HLL_SPARSE_MAX
#define SW_HLL_SPARSE_MAX 3072
#endif

/* The largest serialized sketch (dense). */
#define SW_HLL_SERIAL_MAX (SW_HLL_HEADER_LEN + SW_HLL_DENSE_BYTES)

struct sw_hll;

/* New empty (sparse) sketch; key is SW_HLL_KEY_LEN bytes or NULL (zero key).
 * SW_E_NOMEM.  The caller frees it with sw_hll_free(). */
int sw_hll_new(const uint8_t *key, struct sw_hll **out);
void sw_hll_free(struct sw_hll *h); /* NULL-safe */

/* Add an item: any bytes, or a 64-bit hash made by sw_hll_hash() under the
 * same key.  Return 0 or SW_E_NOMEM (growing the sparse list or becoming
 * dense); a failed add leaves the sketch as it was. */
int sw_hll_add(struct sw_hll *h, const void *p, size_t n);
int sw_hll_add_hash(struct sw_hll *h, uint64_t hash);
uint64_t sw_hll_hash(const struct sw_hll *h, const void *p, size_t n);

/*
 * Addresses (the port is ignored).  sw_hll_add_addr() counts hosts: one
 * item per IPv4 or IPv6 address.  sw_hll_add_addr_net() counts networks
 * as IPv6 allocates them: an IPv6 address counts as its /64, an IPv4
 * address as itself.  The items are tagged by kind (see
 * sw_hll_addr_item()), so an IPv4 address never collides with an IPv6
 * one or with a /64.
 */
int sw_hll_add_addr(struct sw_hll *h, const struct sw_addr *a);
int sw_hll_add_addr_net(struct sw_hll *h, const struct sw_addr *a);

#define SW_HLL_ITEM_MAX  17
#define SW_HLL_TAG_V4    0x04 /* + 4 address bytes */
#define SW_HLL_TAG_V6    0x06 /* + 16 address bytes */
#define SW_HLL_TAG_V6NET 0x40 /* + the 8 bytes of the /64 prefix */
/* The bytes hashed for an address (net: by /64), into out
 * (SW_HLL_ITEM_MAX bytes); returns their length.  Exposed so another
 * implementation can be fed the same items (bench/bench_hll.c). */
size_t sw_hll_addr_item(const struct sw_addr *a, bool net, uint8_t out[SW_HLL_ITEM_MAX]);

/* The estimate of distinct items added (rounded). */
uint64_t sw_hll_count(struct sw_hll *h);
double sw_hll_estimate(struct sw_hll *h);

/*
 * dst becomes the sketch of the union of dst's and src's items.  Both
 * must use the same key: otherwise SW_E_INVALID and dst is unchanged.
 * SW_E_NOMEM leaves dst unchanged too.  src is only flushed.
 */
int sw_hll_merge(struct sw_hll *dst, struct sw_hll *src, struct sw_errbuf *eb);

/* Append the versioned byte form (hll.c) to out; SW_E_TOO_BIG past its cap. */
int sw_hll_serialize(struct sw_hll *h, struct sw_buf *out);
/*
 * Parse a serialized sketch made under key (NULL: the zero key) into a new
 * sketch.  Every byte is checked: SW_E_NEED_MORE (truncated),
 * SW_E_TRAILING, SW_E_UNSUPPORTED (version, precision), SW_E_INVALID
 * (magic, encoding, register or entry values, order, key fingerprint),
 * SW_E_TOO_BIG (entry count), SW_E_NOMEM; eb names the byte offset.
 */
int sw_hll_deserialize(const uint8_t *p, size_t n, const uint8_t *key, struct sw_hll **out,
                       struct sw_errbuf *eb);

bool sw_hll_is_sparse(const struct sw_hll *h);
/* Memory held by the sketch (its struct and arrays), for benchmarks. */
size_t sw_hll_memory(const struct sw_hll *h);

#endif /* SW_HLL_H */
