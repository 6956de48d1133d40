/* wbuf.c - growing buffer with wipe-on-move. */
#include "wbuf.h"

#include <stdlib.h>
#include <string.h>

int wbuf_add(struct wbuf *b, const char *p, size_t n)
{
	if (n >= (size_t)-1 / 2 - b->len)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *q;

		while (cap < b->len + n + 1)
			cap *= 2;
		q = malloc(cap);
		if (!q)
			return -1;
		if (b->data) {
			memcpy(q, b->data, b->len);
			explicit_bzero(b->data, b->cap);
			free(b->data);
		}
		b->data = q;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void wbuf_free(struct wbuf *b)
{
	if (b->data) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof *b);
}
