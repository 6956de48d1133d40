/* wbuf.c - growing buffer with wipe-on-move. */
#include "wbuf.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

void wbuf_reserve(struct wbuf *b, size_t n)
{
	char *q;

	if (b->len + n + 1 <= b->cap)
		return;
	q = xmalloc(b->len + n + 1);
	if (b->data)
		memcpy(q, b->data, b->len + 1);
	else
		q[0] = '\0';
	wipe_free(b->data);
	b->data = q;
	b->cap = b->len + n + 1;
}

void wbuf_add(struct wbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		wbuf_reserve(b, cap - b->len - 1);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void wbuf_free(struct wbuf *b)
{
	wipe_free(b->data);
	memset(b, 0, sizeof *b);
}
