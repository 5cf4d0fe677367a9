/* buf.c - growable, capped byte buffer. */
#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

void sw_buf_init(struct sw_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void sw_buf_deinit(struct sw_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void sw_buf_reset(struct sw_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = 0;
}

/* Make room for n more bytes plus the terminating NUL. */
static int reserve(struct sw_buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (n > b->max || b->len > b->max - n)
		return SW_E_TOO_BIG;
	need = b->len + n + 1;
	if (need <= b->cap)
		return SW_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return SW_E_NOMEM;
	b->data = p;
	b->cap = cap;
	return SW_OK;
}

int sw_buf_append(struct sw_buf *b, const void *p, size_t n)
{
	int rc = reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return SW_OK;
}

int sw_buf_putc(struct sw_buf *b, uint8_t c)
{
	return sw_buf_append(b, &c, 1);
}

int sw_buf_puts(struct sw_buf *b, const char *s)
{
	return sw_buf_append(b, s, strlen(s));
}

int sw_buf_printf(struct sw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SW_E_INVALID;
	rc = reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return SW_OK;
}

uint8_t *sw_buf_steal(struct sw_buf *b, size_t *len_out)
{
	uint8_t *p = b->data;

	if (len_out)
		*len_out = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int sw_buf_read_file(struct sw_buf *b, const char *path)
{
	uint8_t chunk[65536];
	FILE *f;
	size_t n;
	int rc = SW_OK, saved;

	f = fopen(path, "rb");
	if (f == NULL)
		return errno == ENOENT ? SW_E_NOT_FOUND : SW_E_IO;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = sw_buf_append(b, chunk, n);
		if (rc)
			goto out;
	}
	if (ferror(f))
		rc = SW_E_IO;
out:
	saved = errno;
	fclose(f);
	errno = saved; /* callers report the read's errno, not fclose's */
	return rc;
}
