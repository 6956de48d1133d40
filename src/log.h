/* log.h - the shim's one message shape and its log levels. */
#ifndef INFX_LOG_H
#define INFX_LOG_H

#include <stddef.h>

/* INFX_LOG_LEVEL: error, warn (the default), info, debug. */
enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The name before ": " in every message (default "infx-exec"). */
void log_set_program(const char *name);

/* Show messages up to level (errors are always shown). */
void log_set_level(enum log_level level);

/* 1: errors are printed as warnings (a poll of watch mode, which fails
 * without ending the run). */
void log_set_demoted(int demoted);

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
 * Strings no line may show: a client secret, a JWT, an access token, a
 * value being uploaded, in case a server or proxy echoes what it was sent.
 * log_redact replaces each whole occurrence (also as log_sanitize shows
 * it; the longest one where several start at the same byte) by "***".
 * Every line is redacted before it is written, and a server's message
 * before it is cut to fit a line (answer_describe_error), so a cut never
 * leaves part of a secret. The pointer is kept, not a copy: log_allow(s)
 * before s is freed. Strings shorter than 4 bytes are not searched (they
 * would mask ordinary words); NULL is ignored; at most LOG_MAX_FORBIDDEN
 * at once (more are not searched).
 */
#define LOG_MAX_FORBIDDEN 8
void log_forbid(const char *s);
void log_allow(const char *s);

/* Redact text (n bytes, NUL-terminated, changed in place, never longer);
 * returns its new length. */
size_t log_redact(char *text, size_t n);

/*
 * Copy at most len bytes of src into dst (size dstlen, always terminated),
 * replacing control characters and bytes >= 0x7f by '?', so that text from
 * outside (a secret's name, a server message) cannot forge terminal escapes
 * or extra log lines. dst may be src. Returns dst.
 */
char *log_sanitize(char *dst, size_t dstlen, const char *src, size_t len);

/*
 * log_sanitize for a URL that may carry credentials: the password of
 * "scheme://user:password@host..." (everything after the first ':' of the
 * user part, up to the last '@' before the path) becomes "***", a user
 * part without ':' becomes "***" as a whole. Works on URLs that no parser
 * accepts (an unencoded '@' or '#' in the password). Returns dst.
 */
char *log_url(char *dst, size_t dstlen, const char *url);

/*
 * Flush standard output (--check, --help, --version). Returns 0, or -1
 * after one line naming the error (a full disk, a closed pipe: EPIPE, as
 * SIGPIPE is ignored, a descriptor closed at start: EBADF), so that the
 * exit status says the output is lost.
 * Set errno to 0 before writing: a failed write inside stdio leaves its
 * errno, which a later fflush(3) of a stream in error may not set again.
 */
int log_flush_stdout(void);

/* Standard output was closed at start (process_init put /dev/null there):
 * log_flush_stdout fails with EBADF, as a write to it would have. */
void log_stdout_was_closed(void);

#endif
