/*
 * error.h - the one error convention of swarmwatch.
 *
 * Every function that can fail returns 0 (SW_OK) or one of the negative
 * SW_E_* codes below; sw_strerror() names the code.  Where a caller wants
 * detail ("invalid bencode at byte 1841: string length exceeds input") it
 * passes a struct sw_errbuf, which the failing function fills; a NULL
 * errbuf means "no detail wanted".  Nothing here allocates.
 */
#ifndef SW_ERROR_H
#define SW_ERROR_H

#include <stddef.h>

enum sw_err {
	SW_OK = 0,
	SW_E_NOMEM = -1,       /* allocation failed */
	SW_E_INVALID = -2,     /* malformed input */
	SW_E_NEED_MORE = -3,   /* input ends before the value does */
	SW_E_TOO_BIG = -4,     /* a length, count or depth cap was hit */
	SW_E_TRAILING = -5,    /* a complete value followed by extra bytes */
	SW_E_TYPE = -6,        /* a value of the wrong type */
	SW_E_NOT_FOUND = -7,   /* no such key, file or record */
	SW_E_RANGE = -8,       /* a number outside what fits or makes sense */
	SW_E_IO = -9,          /* a system call failed (see errno) */
	SW_E_DB = -10,         /* the store failed */
	SW_E_USAGE = -11,      /* bad command-line usage */
	SW_E_UNSUPPORTED = -12 /* valid, but not something we handle */
};

#ifndef SW_ERRBUF_LEN
#define SW_ERRBUF_LEN 256
#endif

struct sw_errbuf {
	char msg[SW_ERRBUF_LEN];
};

/* Static name of an SW_E_* code; never NULL. */
const char *sw_strerror(int err);

/*
 * Write a printf-style message into eb (if eb is not NULL) and return
 * code, so that a failing path reads `return sw_errbuf_set(eb, code, ...)`.
 */
int sw_errbuf_set(struct sw_errbuf *eb, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* SW_ERROR_H */
