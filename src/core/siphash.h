/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, 2012): a fast keyed
 * 64-bit hash for hash tables fed by the network and for short-lived
 * tokens, where an attacker must not be able to predict collisions.
 */
#ifndef SW_SIPHASH_H
#define SW_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SW_SIPHASH_KEY_LEN 16

uint64_t sw_siphash(const uint8_t key[SW_SIPHASH_KEY_LEN], const void *p, size_t n);

#endif /* SW_SIPHASH_H */
