/* check.c - the --check listing. */
#include "check.h"

#include "log.h"
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b)
{
	const struct kv *x = *(const struct kv *const *)a;
	const struct kv *y = *(const struct kv *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

int check_print(const struct kvset *applied)
{
	const struct kv **sorted = xcalloc(applied->count + 1, sizeof *sorted);
	char name[512], source[512];
	size_t i;

	for (i = 0; i < applied->count; i++)
		sorted[i] = &applied->items[i];
	qsort(sorted, applied->count, sizeof *sorted, by_name);
	errno = 0;
	for (i = 0; i < applied->count; i++) {
		const struct kv *e = sorted[i];
		const char *src = e->source ? e->source : "";

		printf("%s\t%s\n", log_sanitize(name, sizeof name, e->name,
						e->name_len),
		       log_sanitize(source, sizeof source, src, strlen(src)));
	}
	free(sorted);
	return log_flush_stdout();
}
