/* wbuf.h - a growing byte buffer that never leaves a copy behind. */
#ifndef INFX_WBUF_H
#define INFX_WBUF_H

#include <stddef.h>

/* All zero is an empty buffer. data is NUL-terminated once non-empty. */
struct wbuf {
	char *data;
	size_t len, cap;
};

/*
 * Append n bytes of p. Growing copies into a new block and wipes the old
 * one (explicit_bzero) instead of realloc(3), so no stale copy of a secret
 * stays in freed memory. Returns 0, or -1 on out of memory (b unchanged).
 */
int wbuf_add(struct wbuf *b, const char *p, size_t n);

/* Wipe and free; b is empty afterwards. */
void wbuf_free(struct wbuf *b);

#endif
