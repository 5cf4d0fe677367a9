/* error.c - names of error codes and the detail buffer. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *sw_strerror(int err)
{
	switch (err) {
	case SW_OK: return "success";
	case SW_E_NOMEM: return "out of memory";
	case SW_E_INVALID: return "invalid input";
	case SW_E_NEED_MORE: return "input is truncated";
	case SW_E_TOO_BIG: return "input exceeds a limit";
	case SW_E_TRAILING: return "trailing bytes after value";
	case SW_E_TYPE: return "value has the wrong type";
	case SW_E_NOT_FOUND: return "not found";
	case SW_E_RANGE: return "value out of range";
	case SW_E_IO: return "input/output error";
	case SW_E_DB: return "database error";
	case SW_E_USAGE: return "bad usage";
	case SW_E_UNSUPPORTED: return "unsupported";
	}
	return "unknown error";
}

int sw_errbuf_set(struct sw_errbuf *eb, int code, const char *fmt, ...)
{
	va_list ap;

	if (eb == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
	return code;
}
