/*
 * json.h - a small streaming JSON writer over a struct sw_buf.
 *
 * The writer inserts commas and colons itself: call sw_json_key() before
 * each member of an object, then one value call.  Strings are escaped and
 * bytes that are not valid UTF-8 are written as U+FFFD, so output is valid
 * JSON whatever a torrent's name holds.  Errors (buffer cap, nesting) are
 * sticky: check sw_json_error() once at the end.
 */
#ifndef SW_JSON_H
#define SW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#ifndef SW_JSON_MAX_DEPTH
#define SW_JSON_MAX_DEPTH 32
#endif

struct sw_json {
	struct sw_buf *out; /* borrowed */
	int depth;
	bool after_key;
	bool need_comma[SW_JSON_MAX_DEPTH + 1];
	int err;
};

void sw_json_init(struct sw_json *j, struct sw_buf *out);
void sw_json_obj_begin(struct sw_json *j);
void sw_json_obj_end(struct sw_json *j);
void sw_json_arr_begin(struct sw_json *j);
void sw_json_arr_end(struct sw_json *j);
void sw_json_key(struct sw_json *j, const char *key);
void sw_json_str(struct sw_json *j, const char *s);        /* NULL writes null */
void sw_json_strn(struct sw_json *j, const char *s, size_t n);
void sw_json_int(struct sw_json *j, int64_t v);
void sw_json_uint(struct sw_json *j, uint64_t v);
void sw_json_double(struct sw_json *j, double v);
void sw_json_bool(struct sw_json *j, bool v);
void sw_json_null(struct sw_json *j);
int sw_json_error(const struct sw_json *j);

/* Append s (n bytes) to out as the body of a JSON string, without quotes. */
int sw_json_escape(struct sw_buf *out, const char *s, size_t n);

#endif /* SW_JSON_H */
