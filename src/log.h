/* log.h - the shim's one message shape, its log levels and exit codes. */
#ifndef INFX_LOG_H
#define INFX_LOG_H

#include <stddef.h>

/*
 * Exit codes, as env(1), nohup(1) and timeout(1) use them (POSIX "Utility
 * Syntax Guidelines" / coreutils env.c): 125 the shim itself failed, 126 the
 * command was found but could not run, 127 the command was not found.
 * A stop signal N while fetching gives 128+N, as a shell reports a job
 * killed by N. Anything else is the command's own status.
 */
enum {
	EXIT_SHIM_FAILED = 125,
	EXIT_CANNOT_RUN = 126,
	EXIT_NOT_FOUND = 127
};

/* INFX_LOG_LEVEL: error, warn (the default), info, debug. */
enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The name before ": " in every message (default "infx-exec"). */
void log_set_program(const char *name);

/* Show messages up to level (errors are always shown). */
void log_set_level(enum log_level level);

/* "error", "warn", "info" or "debug" -> level; -1 for anything else. */
int log_parse_level(const char *name);

/*
 * Print one line "infx-exec: <message>\n" on stderr (printf format), with
 * "warning: " after the prefix for log_warn; log_info and log_debug print
 * only at those levels. Callers pass names (variables, paths, HTTP
 * statuses), never secret values, tokens or client secrets.
 */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy at most len bytes of src into dst (size dstlen, always terminated),
 * replacing control characters and bytes >= 0x7f by '?', so that text from
 * outside (a secret's name, a server message) cannot forge terminal escapes
 * or extra log lines. dst may be src. Returns dst.
 */
char *log_sanitize(char *dst, size_t dstlen, const char *src, size_t len);

#endif
