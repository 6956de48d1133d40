/* log.h - the shim's one message shape and its exit codes. */
#ifndef INFX_LOG_H
#define INFX_LOG_H

#include <stddef.h>

/*
 * Exit codes, as env(1), nohup(1) and timeout(1) use them (POSIX "Utility
 * Syntax Guidelines" / coreutils env.c): 125 the shim itself failed, 126 the
 * command was found but could not run, 127 the command was not found.
 * Anything else is the command's own status.
 */
enum {
	EXIT_SHIM_FAILED = 125,
	EXIT_CANNOT_RUN = 126,
	EXIT_NOT_FOUND = 127
};

/*
 * Print one line "infx-exec: <message>\n" on stderr (printf format).
 * Callers pass names (variables, paths, HTTP statuses), never secret values.
 */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Same as log_error with "warning: " after the prefix. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy at most len bytes of src into dst (size dstlen, always terminated),
 * replacing control characters and bytes >= 0x7f by '?', so that text from
 * outside (a secret's name, a server message) cannot forge terminal escapes
 * or extra log lines. Returns dst.
 */
char *log_sanitize(char *dst, size_t dstlen, const char *src, size_t len);

#endif
