/* strlist.c - comma-separated lists. */
#include "strlist.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void strlist_add(struct strlist *l, const char *s, size_t len)
{
	char **v = xcalloc(l->n + 1, sizeof *v);

	if (l->n)
		memcpy(v, l->v, l->n * sizeof *v);
	free(l->v);
	l->v = v;
	l->v[l->n++] = xmemdup(s, len);
}

void strlist_add_csv(struct strlist *l, const char *csv)
{
	while (*csv) {
		const char *end = strchr(csv, ',');
		const char *next;

		if (!end)
			end = csv + strlen(csv);
		next = *end ? end + 1 : end;
		while (csv < end && is_blank(*csv))
			csv++;
		while (end > csv && is_blank(end[-1]))
			end--;
		if (end > csv)
			strlist_add(l, csv, (size_t)(end - csv));
		csv = next;
	}
}

int strlist_has(const struct strlist *l, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == len && memcmp(l->v[i], name, len) == 0)
			return 1;
	return 0;
}

void strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		wipe_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
