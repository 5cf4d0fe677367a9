/*
 * pseudonym.h - addresses at rest as keyed pseudonyms.
 *
 * By default swarmwatch stores no raw IP address: the sink's address
 * transform (sink.h) replaces each canonical address (4 or 16 bytes) with
 * HMAC-SHA256(secret, address), 32 bytes.  Equal addresses give equal
 * pseudonyms, so unique counts stay exact; without the secret a pseudonym
 * cannot be turned back into an address by trying all 2^32 IPv4 ones.
 * The secret is 32 random bytes in a file of mode 0600 that the set-up
 * (or the first run) creates; losing it only means new pseudonyms no
 * longer match old ones.
 */
#ifndef SW_STORE_PSEUDONYM_H
#define SW_STORE_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/sink.h"

#define SW_PSEUDONYM_SECRET_LEN 32

struct sw_pseudonym {
	uint8_t secret[SW_PSEUDONYM_SECRET_LEN];
	/* HMAC's inner and outer hash states after the padded key, computed
	 * once (sw_pseudonym_prepare): two SHA-256 blocks per address, not four. */
	uint8_t inner[128], outer[128];
	int prepared;
};

/* Precompute the HMAC states of a secret set by hand (load does it). */
void sw_pseudonym_prepare(struct sw_pseudonym *p);

/*
 * Read the secret from path (64 hex digits, optional trailing newline),
 * creating the file with mode 0600 and a fresh random secret when it does
 * not exist.  A file readable by group or others is refused (SW_E_INVALID:
 * "secret.key: mode 0644 lets others read it; chmod 600").
 */
int sw_pseudonym_load(const char *path, struct sw_pseudonym *out, struct sw_errbuf *eb);

/* The sink's address transform (sw_sink_addr_transform_fn); ctx: struct sw_pseudonym. */
int sw_pseudonym_transform(void *ctx, const uint8_t *in, size_t in_len,
                           uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len);

#endif /* SW_STORE_PSEUDONYM_H */
