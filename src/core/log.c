/* log.c - leveled messages on stderr. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum sw_log_level current_level = SW_LOG_WARN;

void sw_log_set_level(enum sw_log_level level)
{
	current_level = level;
}

enum sw_log_level sw_log_get_level(void)
{
	return current_level;
}

void sw_log(enum sw_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > current_level)
		return;
	fputs("swarmwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
