/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer that grows from network or file input has a maximum size
 * (curl's dynbuf): appending past it fails with SW_E_TOO_BIG and leaves the
 * buffer as it was.  The buffer owns data; sw_buf_deinit() frees it.  The
 * contents are kept NUL-terminated (the NUL is not counted in len) so text
 * can be used as a C string.
 */
#ifndef SW_BUF_H
#define SW_BUF_H

#include <stddef.h>
#include <stdint.h>

struct sw_buf {
	uint8_t *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len */
};

void sw_buf_init(struct sw_buf *b, size_t max);
void sw_buf_deinit(struct sw_buf *b);
void sw_buf_reset(struct sw_buf *b); /* len = 0, memory kept */

int sw_buf_append(struct sw_buf *b, const void *p, size_t n);
int sw_buf_putc(struct sw_buf *b, uint8_t c);
int sw_buf_puts(struct sw_buf *b, const char *s);
int sw_buf_printf(struct sw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hand the data to the caller (who frees it) and reset the buffer. */
uint8_t *sw_buf_steal(struct sw_buf *b, size_t *len_out);

/*
 * Append a whole file to b (subject to b->max).  SW_E_NOT_FOUND when it does
 * not exist, SW_E_IO (errno set) when it cannot be read, e.g. a directory.
 */
int sw_buf_read_file(struct sw_buf *b, const char *path);

#endif /* SW_BUF_H */
