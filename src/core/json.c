/* json.c - streaming JSON writer with UTF-8 validation. */
#include "core/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

void sw_json_init(struct sw_json *j, struct sw_buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

static void put(struct sw_json *j, const char *s, size_t n)
{
	if (j->err == 0)
		j->err = sw_buf_append(j->out, s, n);
}

/* Separator before a value: a comma unless first in its container. */
static void before_value(struct sw_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		put(j, ",", 1);
	j->need_comma[j->depth] = true;
}

static void open(struct sw_json *j, char c)
{
	before_value(j);
	if (j->depth >= SW_JSON_MAX_DEPTH) {
		j->err = j->err ? j->err : SW_E_TOO_BIG;
		return;
	}
	put(j, &c, 1);
	j->need_comma[++j->depth] = false;
}

static void close_(struct sw_json *j, char c)
{
	if (j->depth == 0) {
		j->err = j->err ? j->err : SW_E_INVALID;
		return;
	}
	j->depth--;
	put(j, &c, 1);
}

void sw_json_obj_begin(struct sw_json *j) { open(j, '{'); }
void sw_json_obj_end(struct sw_json *j) { close_(j, '}'); }
void sw_json_arr_begin(struct sw_json *j) { open(j, '['); }
void sw_json_arr_end(struct sw_json *j) { close_(j, ']'); }

void sw_json_key(struct sw_json *j, const char *key)
{
	before_value(j);
	put(j, "\"", 1);
	if (j->err == 0)
		j->err = sw_json_escape(j->out, key, strlen(key));
	put(j, "\":", 2);
	j->after_key = true;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int sw_json_escape(struct sw_buf *out, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, run = 0;
	int rc = SW_OK;

	while (i < n && rc == 0) {
		uint8_t c = s[i];
		size_t len = c < 0x80 ? 1 : utf8_len(s + i, n - i);
		char esc[8];

		if (len >= 1 && c >= 0x20 && c != '"' && c != '\\') {
			i += len;
			run += len;
			continue;
		}
		rc = sw_buf_append(out, s + i - run, run);
		run = 0;
		if (rc)
			break;
		if (len == 0) {
			rc = sw_buf_puts(out, "\\ufffd");
			i++;
			continue;
		}
		switch (c) {
		case '"': rc = sw_buf_puts(out, "\\\""); break;
		case '\\': rc = sw_buf_puts(out, "\\\\"); break;
		case '\n': rc = sw_buf_puts(out, "\\n"); break;
		case '\r': rc = sw_buf_puts(out, "\\r"); break;
		case '\t': rc = sw_buf_puts(out, "\\t"); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			rc = sw_buf_puts(out, esc);
		}
		i++;
	}
	if (rc == 0)
		rc = sw_buf_append(out, s + i - run, run);
	return rc;
}

void sw_json_strn(struct sw_json *j, const char *s, size_t n)
{
	before_value(j);
	put(j, "\"", 1);
	if (j->err == 0)
		j->err = sw_json_escape(j->out, s, n);
	put(j, "\"", 1);
}

void sw_json_str(struct sw_json *j, const char *s)
{
	if (s == NULL)
		sw_json_null(j);
	else
		sw_json_strn(j, s, strlen(s));
}

void sw_json_int(struct sw_json *j, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	before_value(j);
	put(j, tmp, (size_t)n);
}

void sw_json_uint(struct sw_json *j, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	before_value(j);
	put(j, tmp, (size_t)n);
}

void sw_json_double(struct sw_json *j, double v)
{
	char tmp[32];
	int n;

	if (!isfinite(v)) {
		sw_json_null(j);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.6g", v);
	before_value(j);
	put(j, tmp, (size_t)n);
}

void sw_json_bool(struct sw_json *j, bool v)
{
	before_value(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void sw_json_null(struct sw_json *j)
{
	before_value(j);
	put(j, "null", 4);
}

int sw_json_error(const struct sw_json *j)
{
	return j->err;
}
