/* log.c - one message shape: "infx-exec: ..." on stderr. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level current = LOG_WARN;
static int demoted;
static const char *program = "infx-exec";

void log_set_program(const char *name)
{
	program = name;
}

void log_set_demoted(int d)
{
	demoted = d;
}

void log_set_level(enum log_level level)
{
	current = level;
}

int log_parse_level(const char *name)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static const char *forbidden[LOG_MAX_FORBIDDEN];

void log_forbid(const char *s)
{
	size_t i;

	for (i = 0; s && i < LOG_MAX_FORBIDDEN; i++)
		if (!forbidden[i]) {
			forbidden[i] = s;
			return;
		}
}

void log_allow(const char *s)
{
	size_t i;

	for (i = 0; s && i < LOG_MAX_FORBIDDEN; i++)
		if (forbidden[i] == s)
			forbidden[i] = NULL;
}

/* Whether byte c of a text shows byte s: as it is, or as log_sanitize's
 * '?' for a control character or a byte >= 0x7f. */
static int shows(char c, char s)
{
	unsigned char u = (unsigned char)s;

	return c == s || (c == '?' && (u < 0x20 || u >= 0x7f));
}

/* The length of the longest forbidden string (lengths in lens) that
 * text (n bytes) shows from its start, or 0. */
static size_t forbidden_at(const char *text, size_t n, const size_t *lens)
{
	size_t i, best = 0;

	for (i = 0; i < LOG_MAX_FORBIDDEN; i++) {
		const char *f = forbidden[i];
		size_t len = lens[i], k = 0;

		if (len < 4 || len > n || len <= best)
			continue;
		while (k < len && shows(text[k], f[k]))
			k++;
		if (k == len)
			best = len;
	}
	return best;
}

size_t log_redact(char *text, size_t n)
{
	size_t lens[LOG_MAX_FORBIDDEN], i;

	for (i = 0; i < LOG_MAX_FORBIDDEN; i++)
		lens[i] = forbidden[i] ? strlen(forbidden[i]) : 0;
	for (i = 0; i < n;) {
		size_t k = forbidden_at(text + i, n - i, lens);

		if (k == 0) {
			i++;
			continue;
		}
		memcpy(text + i, "***", 3);
		memmove(text + i + 3, text + i + k, n - i - k);
		n -= k - 3;
		text[n] = '\0';
		i += 3;
	}
	return n;
}

__attribute__((format(printf, 3, 0)))
static void vlog(enum log_level level, const char *kind, const char *fmt,
		 va_list ap)
{
	char line[1024];
	int n, m;

	if (demoted && level == LOG_ERROR) {
		level = LOG_WARN;
		kind = "warning: ";
	}
	if (level > current)
		return;
	n = snprintf(line, sizeof line, "%s: %s", program, kind);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) > sizeof line - 2)
		m = (int)sizeof line - 2 - n;	/* cut, still one line */
	m = (int)log_redact(line + n, (size_t)m);
	line[n + m] = '\n';
	/* One write(2), so that lines of many shims starting at once (and
	 * the command's own output) never mix mid-line. */
	(void)!write(STDERR_FILENO, line, (size_t)(n + m + 1));
}

#define DEFINE_LOG(fn, level, kind)				\
	void fn(const char *fmt, ...)				\
	{							\
		va_list ap;					\
								\
		va_start(ap, fmt);				\
		vlog(level, kind, fmt, ap);			\
		va_end(ap);					\
	}

DEFINE_LOG(log_error, LOG_ERROR, "")
DEFINE_LOG(log_warn, LOG_WARN, "warning: ")
DEFINE_LOG(log_info, LOG_INFO, "")
DEFINE_LOG(log_debug, LOG_DEBUG, "debug: ")

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

char *log_url(char *dst, size_t dstlen, const char *url)
{
	const char *auth = strstr(url, "://");
	const char *end, *at = NULL, *colon, *p;
	char masked[1024];

	if (!auth)
		return log_sanitize(dst, dstlen, url, strlen(url));
	auth += 3;
	/* The authority ends at the path or query; a '#' may be in the
	 * password, so it does not end it. */
	end = auth + strcspn(auth, "/?");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return log_sanitize(dst, dstlen, url, strlen(url));
	colon = memchr(auth, ':', (size_t)(at - auth));
	snprintf(masked, sizeof masked, "%.*s%s@%s",
		 (int)((colon ? colon + 1 : auth) - url), url,
		 "***", at + 1);
	return log_sanitize(dst, dstlen, masked, strlen(masked));
}

static int stdout_closed;

void log_stdout_was_closed(void)
{
	stdout_closed = 1;
}

int log_flush_stdout(void)
{
	if (stdout_closed)
		errno = EBADF;
	else if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	log_error("unable to write to standard output: %s",
		  errno ? strerror(errno) : "write error");
	return -1;
}
