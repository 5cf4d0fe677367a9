/*
 * hex.h - hex and base32 (RFC 4648) encodings of binary strings.
 */
#ifndef SW_HEX_H
#define SW_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Write 2*n lowercase hex digits and a NUL into out (2*n+1 bytes). */
void sw_hex_encode(const uint8_t *in, size_t n, char *out);

/*
 * Decode exactly 2*n hex digits (either case) from in into out[n].
 * Returns 0, or SW_E_INVALID if len != 2*n or a character is not hex.
 */
int sw_hex_decode(const char *in, size_t len, uint8_t *out, size_t n);

/*
 * Decode unpadded base32 (A-Z, 2-7, either case) of exactly n bytes:
 * len must be ceil(8*n/5) and the unused low bits must be zero.
 * Returns 0 or SW_E_INVALID.
 */
int sw_base32_decode(const char *in, size_t len, uint8_t *out, size_t n);

#endif /* SW_HEX_H */
