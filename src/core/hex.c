/* hex.c - hex and base32 codecs. */
#include "core/hex.h"

#include "core/error.h"

static const char hexdigits[] = "0123456789abcdef";

void sw_hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 0xf];
	}
	out[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sw_hex_decode(const char *in, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return SW_E_INVALID;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return SW_E_INVALID;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return SW_OK;
}

static int b32val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int sw_base32_decode(const char *in, size_t len, uint8_t *out, size_t n)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (len != (8 * n + 4) / 5)
		return SW_E_INVALID;
	for (size_t i = 0; i < len; i++) {
		int v = b32val(in[i]);

		if (v < 0)
			return SW_E_INVALID;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0 || o != n)
		return SW_E_INVALID;
	return SW_OK;
}
