/*
 * pseudonym.c - keyed pseudonyms for addresses: see pseudonym.h.
 */
/* SHA256_Init & co. are deprecated in OpenSSL 3 in favour of EVP, whose
 * per-call dispatch costs more than the two compressions we need. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "store/pseudonym.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/hash.h"
#include "core/hex.h"

static int create_secret(const char *path, struct sw_pseudonym *out, struct sw_errbuf *eb)
{
	char hex[2 * SW_PSEUDONYM_SECRET_LEN + 2];
	int fd;
	ssize_t w;

	if (RAND_bytes(out->secret, SW_PSEUDONYM_SECRET_LEN) != 1)
		return sw_errbuf_set(eb, SW_E_NOMEM, "%s: no random bytes", path);
	sw_hex_encode(out->secret, SW_PSEUDONYM_SECRET_LEN, hex);
	hex[2 * SW_PSEUDONYM_SECRET_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return sw_errbuf_set(eb, SW_E_IO, "%s: cannot create: %s", path, strerror(errno));
	w = write(fd, hex, 2 * SW_PSEUDONYM_SECRET_LEN + 1);
	if (w != 2 * SW_PSEUDONYM_SECRET_LEN + 1 || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return sw_errbuf_set(eb, SW_E_IO, "%s: cannot write: %s", path, strerror(e));
	}
	close(fd);
	return SW_OK;
}

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct sw_pseudonym *)0)->inner),
               "SHA256_CTX does not fit");

void sw_pseudonym_prepare(struct sw_pseudonym *p)
{
	uint8_t pad[64];
	SHA256_CTX c;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, p->secret, SW_PSEUDONYM_SECRET_LEN); /* a 32-byte key is its own block */
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof(pad));
	memcpy(p->inner, &c, sizeof(c));
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof(pad));
	memcpy(p->outer, &c, sizeof(c));
	p->prepared = 1;
}

int sw_pseudonym_load(const char *path, struct sw_pseudonym *out, struct sw_errbuf *eb)
{
	char buf[2 * SW_PSEUDONYM_SECRET_LEN + 4];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return create_secret(path, out, eb);
	if (fd < 0)
		return sw_errbuf_set(eb, SW_E_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return sw_errbuf_set(eb, SW_E_INVALID, "%s: not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return sw_errbuf_set(eb, SW_E_INVALID, "%s: mode %04o lets others read it; chmod 600",
				     path, (unsigned)(st.st_mode & 07777));
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return sw_errbuf_set(eb, SW_E_IO, "%s: %s", path, strerror(errno));
	len = (size_t)n;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len != 2 * SW_PSEUDONYM_SECRET_LEN ||
	    sw_hex_decode(buf, len, out->secret, SW_PSEUDONYM_SECRET_LEN) != SW_OK)
		return sw_errbuf_set(eb, SW_E_INVALID, "%s: expected %d hex digits", path,
				     2 * SW_PSEUDONYM_SECRET_LEN);
	sw_pseudonym_prepare(out);
	return SW_OK;
}

int sw_pseudonym_transform(void *ctx, const uint8_t *in, size_t in_len,
			   uint8_t out[SW_SINK_ADDR_MAX], size_t *out_len)
{
	const struct sw_pseudonym *p = ctx;
	uint8_t ih[SHA256_DIGEST_LENGTH];
	SHA256_CTX c;

	if (!p->prepared) {
		int rc = sw_hmac_sha256(p->secret, SW_PSEUDONYM_SECRET_LEN, in, in_len, out);

		*out_len = rc == SW_OK ? 32 : 0;
		return rc;
	}
	memcpy(&c, p->inner, sizeof(c));
	SHA256_Update(&c, in, in_len);
	SHA256_Final(ih, &c);
	memcpy(&c, p->outer, sizeof(c));
	SHA256_Update(&c, ih, sizeof(ih));
	SHA256_Final(out, &c);
	*out_len = SHA256_DIGEST_LENGTH;
	return SW_OK;
}
