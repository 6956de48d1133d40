/* strings.h - argv/envp-like lists for the unit tests. */
#ifndef INFX_TEST_STRINGS_H
#define INFX_TEST_STRINGS_H

#include <stdlib.h>
#include <string.h>

/* A modifiable, NULL-terminated copy of list, as argv and environ are. */
static inline char **strings(const char *const *list)
{
	size_t n = 0, i;
	char **v;

	while (list[n])
		n++;
	v = calloc(n + 1, sizeof *v);
	for (i = 0; v && i < n; i++)
		v[i] = strdup(list[i]);
	return v;
}

static inline void strings_free(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

#endif
