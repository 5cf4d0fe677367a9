/* hash.c - SHA-1, SHA-256 and HMAC-SHA256 via libcrypto's EVP interface. */
#include "core/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/error.h"

static int digest(const EVP_MD *md, const void *p, size_t n, uint8_t *out)
{
	return EVP_Digest(p, n, out, NULL, md, NULL) == 1 ? SW_OK : SW_E_NOMEM;
}

int sw_sha1(const void *p, size_t n, uint8_t out[SW_SHA1_LEN])
{
	return digest(EVP_sha1(), p, n, out);
}

int sw_sha256(const void *p, size_t n, uint8_t out[SW_SHA256_LEN])
{
	return digest(EVP_sha256(), p, n, out);
}

int sw_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
		   uint8_t out[SW_SHA256_LEN])
{
	unsigned int len = SW_SHA256_LEN;

	if (keylen > INT32_MAX)
		return SW_E_RANGE;
	if (HMAC(EVP_sha256(), key, (int)keylen, p, n, out, &len) == NULL)
		return SW_E_NOMEM;
	return SW_OK;
}
