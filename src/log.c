/* log.c - one message shape: "infx-exec: ..." on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static void vlog(const char *kind, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof line, fmt, ap);
	/* One write so that lines of many shims starting at once do not mix. */
	fprintf(stderr, "infx-exec: %s%s\n", kind, line);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

char *log_sanitize(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t i;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < len && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}
