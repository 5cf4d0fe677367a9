/*
 * hash.h - the digests swarmwatch needs, through OpenSSL libcrypto.
 */
#ifndef SW_HASH_H
#define SW_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SW_SHA1_LEN   20
#define SW_SHA256_LEN 32

/* One-shot digests; return 0 or SW_E_NOMEM when libcrypto fails. */
int sw_sha1(const void *p, size_t n, uint8_t out[SW_SHA1_LEN]);
int sw_sha256(const void *p, size_t n, uint8_t out[SW_SHA256_LEN]);
int sw_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
		   uint8_t out[SW_SHA256_LEN]);

#endif /* SW_HASH_H */
