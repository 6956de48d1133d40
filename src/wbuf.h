/* wbuf.h - a growing byte buffer that never leaves a copy behind. */
#ifndef INFX_WBUF_H
#define INFX_WBUF_H

#include <stddef.h>

/* All zero is an empty buffer. data is NUL-terminated once allocated. */
struct wbuf {
	char *data;
	size_t len, cap;
};

/*
 * Make room for n more bytes (and the NUL) in one block, e.g. for a body
 * whose Content-Length is known. Growing copies into a new block and wipes
 * the old one (wipe_free) instead of realloc(3), so no stale copy of a
 * secret stays in freed memory.
 */
void wbuf_reserve(struct wbuf *b, size_t n);

/* Append n bytes of p, doubling the room when needed (see wbuf_reserve). */
void wbuf_add(struct wbuf *b, const char *p, size_t n);

/* Wipe and free; b is empty afterwards. */
void wbuf_free(struct wbuf *b);

#endif
