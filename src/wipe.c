/* wipe.c - wiping allocators with a size header. */
#include "wipe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* As wide as the strictest alignment, so the block after it stays aligned. */
#define HEADER sizeof(max_align_t)

static size_t size_of(void *p)
{
	size_t n;

	memcpy(&n, (char *)p - HEADER, sizeof n);
	return n;
}

void *wipe_malloc(size_t n)
{
	char *p = n <= SIZE_MAX - HEADER ? malloc(n + HEADER) : NULL;

	if (!p)
		return NULL;
	memcpy(p, &n, sizeof n);
	return p + HEADER;
}

void wipe_free(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, size_of(p));
	free((char *)p - HEADER);
}

void *wipe_realloc(void *p, size_t n)
{
	void *q;
	size_t old;

	if (!p)
		return wipe_malloc(n);
	q = wipe_malloc(n);
	if (!q)
		return NULL;
	old = size_of(p);
	memcpy(q, p, old < n ? old : n);
	wipe_free(p);
	return q;
}

void *wipe_calloc(size_t count, size_t n)
{
	void *p;

	if (n && count > SIZE_MAX / n)
		return NULL;
	p = wipe_malloc(count * n);
	if (p)
		memset(p, 0, count * n);
	return p;
}

char *wipe_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = wipe_malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}
