/*
 * hll.c - HyperLogLog with a sparse form and Ertl's improved estimator.
 *
 * HyperLogLog (Flajolet, Fusy, Gandouet, Meunier 2007) hashes each item to
 * 64 bits, uses the top p = 14 bits to pick one of m = 16,384 registers and
 * keeps in that register the largest "rank" seen: the position of the first
 * 1 bit in the remaining q = 50 bits (1 to 51; 51 when they are all zero).
 * n distinct items leave about n/m items per register and a maximum rank
 * near log2(n/m), from which n is estimated with a relative standard error
 * of 1.04/sqrt(m) = 0.81%.  Repeats change nothing, and the register-wise
 * maximum of two sketches is the sketch of the union.
 *
 * Estimator.  The raw estimate of the 2007 paper is biased for small and
 * very large n, which HLL++ (Heule, Nunkesser, Hall 2013) patches with
 * empirical bias tables and a switch to linear counting.  We use Otmar
 * Ertl's "improved raw estimator" instead (New cardinality estimation
 * algorithms for HyperLogLog sketches, 2017, arXiv:1702.01284, section
 * 4.1): it folds the registers' histogram through two series, sigma() for
 * the empty registers and tau() for the saturated ones, and is unbiased
 * over the whole range with no tables and no switch-over points.
 *
 * Sparse form (the HLL++ idea).  A sketch of a few hundred items wastes
 * 12 KiB and, through its 16,384 registers, its accuracy.  A new sketch
 * instead keeps a sorted list of (index', rank') pairs at p' = 25: the top
 * 25 hash bits pick one of 2^25 virtual registers and rank' is taken over
 * the remaining 39 bits.  With 33 million virtual registers, a few thousand
 * items almost never collide, so the same estimator, run on the sparse
 * histogram with m' = 2^25, is nearly exact.  A pair converts losslessly
 * to the dense register it would have updated: index = index' >> 11, and
 * the rank over 50 bits is read from the 11 low index' bits, or is 11 +
 * rank' when they are all zero.  Insertions go to a small unsorted buffer
 * that is sorted and merged into the list when it fills (or before a
 * count, merge or serialize).  Past SW_HLL_SPARSE_MAX pairs (as much
 * memory as the dense registers) the sketch becomes dense; the estimate
 * moves then only by the dense sketch's own error.
 *
 * Hash.  SipHash-2-4 under a 16-byte key (core/siphash.h): it is keyed
 * (so a deployment can keep its registers unpredictable to peers who
 * choose the addresses they claim), well distributed, and fast enough:
 * bench/bench_hll.c measures it against OpenSSL's EVP_MAC SipHash, which
 * gives the same values but pays a per-call set-up, and
 * tests/unit/test_hll.c checks the two agree.
 *
 * Byte format, version 1 (all integers little-endian):
 *
 *    0      4     5     6     7     8                        16
 *   +------+-----+-----+-----+-----+------------------------+
 *   |"SWHL"| ver | enc |  p  | p'  | key fingerprint (u64)  | body...
 *   +------+-----+-----+-----+-----+------------------------+
 *
 *   ver 1; p 14; p' 25; fingerprint: the first 8 bytes of SipHash-2-4 of
 *   "swarmwatch-hll-key" under the sketch's key (it identifies the key
 *   without revealing it).
 *   enc 1, dense: 12,288 bytes, register i in bits 6i..6i+5 of the body
 *     read as one little-endian bit string; every register <= 51.
 *   enc 2, sparse: u32 count (<= SW_HLL_SPARSE_MAX), then count LEB128
 *     varints (at most 5 bytes each): the first pair, then the differences
 *     between successive pairs, a pair being (index' << 6) | rank' with
 *     rank' in 1..40 and index' strictly increasing.
 *
 * Nothing may follow the body.
 */
#include "count/hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/siphash.h"

#define Q                (64 - SW_HLL_P)        /* 50 rank bits, dense */
#define SPARSE_Q         (64 - SW_HLL_SPARSE_P) /* 39 rank bits, sparse */
#define SPARSE_REGISTERS (1u << SW_HLL_SPARSE_P)
#define IDX_SHIFT        (SW_HLL_SPARSE_P - SW_HLL_P) /* 11 */
#define RANK_BITS        6
#define RANK_MASK        ((1u << RANK_BITS) - 1)
#define PENDING_MAX      256
#define ENC_DENSE        1
#define ENC_SPARSE       2
#define VARINT_MAX       5

static const uint8_t magic[4] = {'S', 'W', 'H', 'L'};
static const char fingerprint_msg[] = "swarmwatch-hll-key";

struct sw_hll {
	uint8_t key[SW_HLL_KEY_LEN];
	uint64_t fingerprint;
	uint8_t *regs;    /* dense: SW_HLL_DENSE_BYTES + 1 pad byte, or NULL */
	uint32_t *sparse; /* sorted pairs, unique index' */
	size_t nsparse, sparse_cap;
	uint32_t pending[PENDING_MAX]; /* unsorted pairs not yet in sparse */
	size_t npending;
};

/* --- dense registers ------------------------------------------------------ */

static inline unsigned reg_get(const uint8_t *r, uint32_t i)
{
	size_t bit = (size_t)i * SW_HLL_REG_BITS;
	unsigned s = (unsigned)(bit & 7);
	unsigned v = r[bit >> 3] | (unsigned)r[(bit >> 3) + 1] << 8;

	return (v >> s) & RANK_MASK;
}

static inline void reg_set(uint8_t *r, uint32_t i, unsigned val)
{
	size_t bit = (size_t)i * SW_HLL_REG_BITS, b = bit >> 3;
	unsigned s = (unsigned)(bit & 7);
	unsigned v = r[b] | (unsigned)r[b + 1] << 8;

	v = (v & ~(RANK_MASK << s)) | (val << s);
	r[b] = (uint8_t)v;
	r[b + 1] = (uint8_t)(v >> 8);
}

static inline void reg_max(uint8_t *r, uint32_t i, unsigned val)
{
	if (reg_get(r, i) < val)
		reg_set(r, i, val);
}

/* Leading zeros of the low `bits` bits of w, plus one (bits + 1 if w is 0). */
static inline unsigned rank_of(uint64_t w, unsigned bits)
{
	if (w == 0)
		return bits + 1;
	return (unsigned)__builtin_clzll(w) - (64 - bits) + 1;
}

static inline uint32_t sparse_pair(uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> SPARSE_Q);
	unsigned rank = rank_of(hash & ((1ull << SPARSE_Q) - 1), SPARSE_Q);

	return idx << RANK_BITS | rank;
}

static inline uint32_t pair_index(uint32_t pair)
{
	return pair >> RANK_BITS;
}

/* The dense register and rank that a sparse pair stands for. */
static inline void pair_to_dense(uint32_t pair, uint32_t *idx, unsigned *rank)
{
	uint32_t sidx = pair_index(pair), low = sidx & ((1u << IDX_SHIFT) - 1);

	*idx = sidx >> IDX_SHIFT;
	if (low != 0)
		*rank = rank_of(low, IDX_SHIFT);
	else
		*rank = IDX_SHIFT + (pair & RANK_MASK);
}

/* --- sparse list ------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Append pair to out[0..*n), keeping one pair per index' (the larger). */
static inline void push_pair(uint32_t *out, size_t *n, uint32_t pair)
{
	if (*n > 0 && pair_index(out[*n - 1]) == pair_index(pair)) {
		if (pair > out[*n - 1])
			out[*n - 1] = pair;
		return;
	}
	out[(*n)++] = pair;
}

/* Merge the sorted pairs b[0..nb) into h's list (no promotion). */
static int sparse_merge_sorted(struct sw_hll *h, const uint32_t *b, size_t nb)
{
	size_t na = h->nsparse, i = 0, j = 0, n = 0;
	uint32_t *out;

	if (nb == 0)
		return SW_OK;
	out = malloc((na + nb) * sizeof(*out));
	if (out == NULL)
		return SW_E_NOMEM;
	while (i < na || j < nb) {
		if (j == nb || (i < na && h->sparse[i] <= b[j]))
			push_pair(out, &n, h->sparse[i++]);
		else
			push_pair(out, &n, b[j++]);
	}
	free(h->sparse);
	h->sparse = out;
	h->nsparse = n;
	h->sparse_cap = na + nb;
	return SW_OK;
}

static int to_dense(struct sw_hll *h)
{
	uint8_t *regs = calloc(1, SW_HLL_DENSE_BYTES + 1);

	if (regs == NULL)
		return SW_E_NOMEM;
	for (size_t i = 0; i < h->nsparse + h->npending; i++) {
		uint32_t pair = i < h->nsparse ? h->sparse[i] : h->pending[i - h->nsparse];
		uint32_t idx;
		unsigned rank;

		pair_to_dense(pair, &idx, &rank);
		reg_max(regs, idx, rank);
	}
	free(h->sparse);
	h->sparse = NULL;
	h->nsparse = h->sparse_cap = 0;
	h->npending = 0;
	h->regs = regs;
	return SW_OK;
}

/* Move the pending pairs into the sorted list; go dense when it is long. */
static int flush(struct sw_hll *h)
{
	int rc;

	if (h->regs != NULL)
		return SW_OK;
	if (h->npending > 0) {
		qsort(h->pending, h->npending, sizeof(h->pending[0]), cmp_u32);
		rc = sparse_merge_sorted(h, h->pending, h->npending);
		if (rc != SW_OK)
			return rc;
		h->npending = 0;
	}
	if (h->nsparse > SW_HLL_SPARSE_MAX)
		return to_dense(h);
	return SW_OK;
}

/* --- public ----------------------------------------------------------------- */

int sw_hll_new(const uint8_t *key, struct sw_hll **out)
{
	struct sw_hll *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL)
		return SW_E_NOMEM;
	if (key != NULL)
		memcpy(h->key, key, SW_HLL_KEY_LEN);
	h->fingerprint = sw_siphash(h->key, fingerprint_msg, sizeof(fingerprint_msg) - 1);
	*out = h;
	return SW_OK;
}

void sw_hll_free(struct sw_hll *h)
{
	if (h == NULL)
		return;
	free(h->regs);
	free(h->sparse);
	free(h);
}

uint64_t sw_hll_hash(const struct sw_hll *h, const void *p, size_t n)
{
	return sw_siphash(h->key, p, n);
}

int sw_hll_add_hash(struct sw_hll *h, uint64_t hash)
{
	if (h->regs != NULL) {
		reg_max(h->regs, (uint32_t)(hash >> Q), rank_of(hash & ((1ull << Q) - 1), Q));
		return SW_OK;
	}
	if (h->npending == PENDING_MAX) {
		int rc = flush(h);

		if (rc != SW_OK)
			return rc;
		if (h->regs != NULL)
			return sw_hll_add_hash(h, hash);
	}
	h->pending[h->npending++] = sparse_pair(hash);
	return SW_OK;
}

int sw_hll_add(struct sw_hll *h, const void *p, size_t n)
{
	return sw_hll_add_hash(h, sw_siphash(h->key, p, n));
}

size_t sw_hll_addr_item(const struct sw_addr *a, bool net, uint8_t out[SW_HLL_ITEM_MAX])
{
	if (a->family == AF_INET) {
		out[0] = SW_HLL_TAG_V4;
		memcpy(out + 1, a->ip, SW_ADDR_V4_LEN);
		return 1 + SW_ADDR_V4_LEN;
	}
	if (net) {
		out[0] = SW_HLL_TAG_V6NET;
		memcpy(out + 1, a->ip, SW_ADDR_V6_LEN / 2);
		return 1 + SW_ADDR_V6_LEN / 2;
	}
	out[0] = SW_HLL_TAG_V6;
	memcpy(out + 1, a->ip, SW_ADDR_V6_LEN);
	return 1 + SW_ADDR_V6_LEN;
}

int sw_hll_add_addr(struct sw_hll *h, const struct sw_addr *a)
{
	uint8_t item[SW_HLL_ITEM_MAX];

	return sw_hll_add(h, item, sw_hll_addr_item(a, false, item));
}

int sw_hll_add_addr_net(struct sw_hll *h, const struct sw_addr *a)
{
	uint8_t item[SW_HLL_ITEM_MAX];

	return sw_hll_add(h, item, sw_hll_addr_item(a, true, item));
}

/* --- estimate (Ertl 2017, algorithm 6) ---------------------------------------- */

static double sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double tau(double x)
{
	double y = 1, z = 1 - x, zp;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

/* hist[0..q+1]: registers holding each rank; m registers in all. */
static double ertl_estimate(const uint32_t *hist, unsigned q, double m)
{
	double z = m * tau(1 - hist[q + 1] / m);

	for (unsigned k = q; k >= 1; k--)
		z = 0.5 * (z + hist[k]);
	z += m * sigma(hist[0] / m);
	return 0.5 / log(2) * m * m / z;
}

double sw_hll_estimate(struct sw_hll *h)
{
	uint32_t hist[Q + 2] = {0};

	if (flush(h) != SW_OK) {
		/* Out of memory while sorting pending pairs in: estimate from
		 * the dense registers they would have reached. */
		if (to_dense(h) != SW_OK)
			return NAN;
	}
	if (h->regs != NULL) {
		for (uint32_t i = 0; i < SW_HLL_REGISTERS; i++)
			hist[reg_get(h->regs, i)]++;
		return ertl_estimate(hist, Q, SW_HLL_REGISTERS);
	}
	hist[0] = SPARSE_REGISTERS - (uint32_t)h->nsparse;
	for (size_t i = 0; i < h->nsparse; i++)
		hist[h->sparse[i] & RANK_MASK]++;
	return ertl_estimate(hist, SPARSE_Q, SPARSE_REGISTERS);
}

uint64_t sw_hll_count(struct sw_hll *h)
{
	double e = sw_hll_estimate(h);

	if (!(e >= 0))
		return 0;
	if (e >= 18446744073709549568.0)
		return UINT64_MAX;
	return (uint64_t)llround(e);
}

bool sw_hll_is_sparse(const struct sw_hll *h)
{
	return h->regs == NULL;
}

size_t sw_hll_memory(const struct sw_hll *h)
{
	return sizeof(*h) + (h->regs != NULL ? SW_HLL_DENSE_BYTES + 1 : 0) +
	       h->sparse_cap * sizeof(*h->sparse);
}

/* --- merge ---------------------------------------------------------------------- */

int sw_hll_merge(struct sw_hll *dst, struct sw_hll *src, struct sw_errbuf *eb)
{
	int rc;

	if (dst->fingerprint != src->fingerprint)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "hll merge: the sketches were made under different keys "
		                     "(fingerprints %016llx and %016llx)",
		                     (unsigned long long)dst->fingerprint,
		                     (unsigned long long)src->fingerprint);
	if (dst == src)
		return SW_OK;
	if ((rc = flush(src)) != SW_OK || (rc = flush(dst)) != SW_OK)
		return sw_errbuf_set(eb, rc, "hll merge: out of memory");
	if (dst->regs == NULL && src->regs == NULL) {
		rc = sparse_merge_sorted(dst, src->sparse, src->nsparse);
		if (rc == SW_OK && dst->nsparse > SW_HLL_SPARSE_MAX)
			rc = to_dense(dst);
		if (rc != SW_OK)
			return sw_errbuf_set(eb, rc, "hll merge: out of memory");
		return SW_OK;
	}
	if (dst->regs == NULL && (rc = to_dense(dst)) != SW_OK)
		return sw_errbuf_set(eb, rc, "hll merge: out of memory");
	if (src->regs != NULL) {
		for (uint32_t i = 0; i < SW_HLL_REGISTERS; i++)
			reg_max(dst->regs, i, reg_get(src->regs, i));
		return SW_OK;
	}
	for (size_t i = 0; i < src->nsparse; i++) {
		uint32_t idx;
		unsigned rank;

		pair_to_dense(src->sparse[i], &idx, &rank);
		reg_max(dst->regs, idx, rank);
	}
	return SW_OK;
}

/* --- byte form -------------------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int sw_hll_serialize(struct sw_hll *h, struct sw_buf *out)
{
	uint8_t hdr[SW_HLL_HEADER_LEN + 4], v[VARINT_MAX];
	size_t old = out->len, hlen = SW_HLL_HEADER_LEN;
	uint32_t prev = 0;
	int rc;

	if ((rc = flush(h)) != SW_OK)
		return rc;
	memcpy(hdr, magic, sizeof(magic));
	hdr[4] = SW_HLL_VERSION;
	hdr[5] = h->regs != NULL ? ENC_DENSE : ENC_SPARSE;
	hdr[6] = SW_HLL_P;
	hdr[7] = SW_HLL_SPARSE_P;
	put_le(hdr + 8, h->fingerprint, 8);
	if (h->regs != NULL) {
		if ((rc = sw_buf_append(out, hdr, hlen)) != SW_OK ||
		    (rc = sw_buf_append(out, h->regs, SW_HLL_DENSE_BYTES)) != SW_OK)
			goto fail;
		return SW_OK;
	}
	put_le(hdr + hlen, h->nsparse, 4);
	if ((rc = sw_buf_append(out, hdr, hlen + 4)) != SW_OK)
		goto fail;
	for (size_t i = 0; i < h->nsparse; i++) {
		uint32_t d = h->sparse[i] - prev;
		size_t k = 0;

		prev = h->sparse[i];
		do {
			v[k++] = (uint8_t)((d & 0x7f) | (d > 0x7f ? 0x80 : 0));
			d >>= 7;
		} while (d != 0);
		if ((rc = sw_buf_append(out, v, k)) != SW_OK)
			goto fail;
	}
	return SW_OK;
fail:
	out->len = old;
	if (out->data != NULL)
		out->data[old] = 0;
	return rc;
}

static int read_varint(const uint8_t *p, size_t n, size_t *pos, uint32_t *out, struct sw_errbuf *eb)
{
	uint64_t v = 0;
	size_t start = *pos;

	for (unsigned k = 0; k < VARINT_MAX; k++) {
		if (*pos >= n)
			return sw_errbuf_set(
			    eb, SW_E_NEED_MORE,
			    "hll: sparse entry at byte %zu runs past the end (%zu bytes)", start,
			    n);
		v |= (uint64_t)(p[*pos] & 0x7f) << (7 * k);
		if ((p[(*pos)++] & 0x80) == 0) {
			/* one encoding per value: no high zero groups */
			if (v > UINT32_MAX || (k > 0 && p[*pos - 1] == 0))
				break;
			*out = (uint32_t)v;
			return SW_OK;
		}
	}
	return sw_errbuf_set(eb, SW_E_INVALID,
	                     "hll: sparse entry at byte %zu is not a minimal 32-bit varint", start);
}

static int parse_sparse(struct sw_hll *h, const uint8_t *p, size_t n, struct sw_errbuf *eb)
{
	size_t pos = SW_HLL_HEADER_LEN + 4, count;
	uint64_t pair = 0;

	if (n < pos)
		return sw_errbuf_set(eb, SW_E_NEED_MORE,
		                     "hll: sparse sketch of %zu bytes ends inside its entry count",
		                     n);
	count = (size_t)get_le(p + SW_HLL_HEADER_LEN, 4);
	if (count > SW_HLL_SPARSE_MAX)
		return sw_errbuf_set(eb, SW_E_TOO_BIG,
		                     "hll: sparse entry count %zu at byte %d exceeds %d", count,
		                     SW_HLL_HEADER_LEN, SW_HLL_SPARSE_MAX);
	if (count > 0 && (h->sparse = malloc(count * sizeof(*h->sparse))) == NULL)
		return SW_E_NOMEM;
	h->sparse_cap = count;
	for (size_t i = 0; i < count; i++) {
		size_t at = pos;
		uint32_t d = 0;
		int rc = read_varint(p, n, &pos, &d, eb);

		if (rc != SW_OK)
			return rc;
		pair += d;
		if (pair > UINT32_MAX >> 1 || (pair & RANK_MASK) == 0 ||
		    (pair & RANK_MASK) > SPARSE_Q + 1)
			return sw_errbuf_set(eb, SW_E_INVALID,
			                     "hll: sparse entry %zu at byte %zu is out of range", i,
			                     at);
		if (i > 0 && pair_index((uint32_t)pair) <= pair_index(h->sparse[i - 1]))
			return sw_errbuf_set(eb, SW_E_INVALID,
			                     "hll: sparse entry %zu at byte %zu is out of order", i,
			                     at);
		h->sparse[h->nsparse++] = (uint32_t)pair;
	}
	if (pos != n)
		return sw_errbuf_set(
		    eb, SW_E_TRAILING,
		    "hll: %zu bytes follow the sparse sketch's last entry at byte %zu", n - pos,
		    pos);
	return SW_OK;
}

static int parse_dense(struct sw_hll *h, const uint8_t *p, size_t n, struct sw_errbuf *eb)
{
	size_t want = SW_HLL_HEADER_LEN + SW_HLL_DENSE_BYTES;

	if (n < want)
		return sw_errbuf_set(eb, SW_E_NEED_MORE,
		                     "hll: dense sketch of %zu bytes is shorter than %zu", n, want);
	if (n > want)
		return sw_errbuf_set(eb, SW_E_TRAILING,
		                     "hll: %zu bytes follow the dense registers at byte %zu",
		                     n - want, want);
	if ((h->regs = calloc(1, SW_HLL_DENSE_BYTES + 1)) == NULL)
		return SW_E_NOMEM;
	memcpy(h->regs, p + SW_HLL_HEADER_LEN, SW_HLL_DENSE_BYTES);
	for (uint32_t i = 0; i < SW_HLL_REGISTERS; i++)
		if (reg_get(h->regs, i) > Q + 1)
			return sw_errbuf_set(eb, SW_E_INVALID,
			                     "hll: register %u (byte %u) holds %u, above %d", i,
			                     SW_HLL_HEADER_LEN + i * SW_HLL_REG_BITS / 8,
			                     reg_get(h->regs, i), Q + 1);
	return SW_OK;
}

static int parse_header(const struct sw_hll *h, const uint8_t *p, size_t n, struct sw_errbuf *eb)
{
	uint64_t fp;

	if (n < SW_HLL_HEADER_LEN)
		return sw_errbuf_set(eb, SW_E_NEED_MORE,
		                     "hll: %zu bytes, shorter than the %d-byte header", n,
		                     SW_HLL_HEADER_LEN);
	if (memcmp(p, magic, sizeof(magic)) != 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "hll: bad magic at byte 0 (not a sketch)");
	if (p[4] != SW_HLL_VERSION)
		return sw_errbuf_set(eb, SW_E_UNSUPPORTED, "hll: version %u at byte 4 (we read %d)",
		                     p[4], SW_HLL_VERSION);
	if (p[5] != ENC_DENSE && p[5] != ENC_SPARSE)
		return sw_errbuf_set(eb, SW_E_INVALID, "hll: unknown encoding %u at byte 5", p[5]);
	if (p[6] != SW_HLL_P || p[7] != SW_HLL_SPARSE_P)
		return sw_errbuf_set(eb, SW_E_UNSUPPORTED,
		                     "hll: precision %u/%u at bytes 6-7 (we use %d/%d)", p[6], p[7],
		                     SW_HLL_P, SW_HLL_SPARSE_P);
	fp = get_le(p + 8, 8);
	if (fp != h->fingerprint)
		return sw_errbuf_set(
		    eb, SW_E_INVALID,
		    "hll: key fingerprint %016llx at byte 8 is not this key's (%016llx)",
		    (unsigned long long)fp, (unsigned long long)h->fingerprint);
	return SW_OK;
}

int sw_hll_deserialize(const uint8_t *p, size_t n, const uint8_t *key, struct sw_hll **out,
                       struct sw_errbuf *eb)
{
	struct sw_hll *h;
	int rc;

	*out = NULL;
	if ((rc = sw_hll_new(key, &h)) != SW_OK)
		return sw_errbuf_set(eb, rc, "hll: out of memory");
	rc = parse_header(h, p, n, eb);
	if (rc == SW_OK)
		rc = p[5] == ENC_DENSE ? parse_dense(h, p, n, eb) : parse_sparse(h, p, n, eb);
	if (rc == SW_E_NOMEM)
		sw_errbuf_set(eb, rc, "hll: out of memory");
	if (rc != SW_OK) {
		sw_hll_free(h);
		return rc;
	}
	*out = h;
	return SW_OK;
}
