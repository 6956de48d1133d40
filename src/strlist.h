/* strlist.h - comma-separated lists of names or paths. */
#ifndef INFX_STRLIST_H
#define INFX_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;		/* malloc'd copies */
	size_t n;
};

/*
 * Append the items of a comma-separated list (e.g. "/n8n, /shared"):
 * blanks around items are dropped, empty items skipped.
 */
void strlist_add_csv(struct strlist *l, const char *csv);

/* Append a copy of s (len bytes). */
void strlist_add(struct strlist *l, const char *s, size_t len);

/* Whether name (len bytes) is an item of l. */
int strlist_has(const struct strlist *l, const char *name, size_t len);

/* Wipe and free the items (a list may hold custom headers); l is empty
 * afterwards. */
void strlist_free(struct strlist *l);

#endif
