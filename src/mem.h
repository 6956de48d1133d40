/* mem.h - the one memory discipline: allocate or die, wipe what is freed. */
#ifndef INFX_MEM_H
#define INFX_MEM_H

#include <stddef.h>

/*
 * Allocation that cannot fail. infx-exec is a one-shot program: before the
 * command runs, an allocation failure ends the run (one line "infx-exec:
 * out of memory", exit 125, the command never starts), in this one place
 * instead of in every caller. Never returns NULL. Sizes in bytes; xcalloc
 * and xmemdup check their multiplication and addition.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
char *xstrdup(const char *s);
/* A copy of len bytes of p plus a terminating NUL (len + 1 bytes). */
char *xmemdup(const void *p, size_t len);

/* The end of the run when a library reports out of memory: the same one
 * line and exit status as the x-allocators. */
_Noreturn void mem_exhausted(void);

/* The exit status of that end: 125 (infx-exec's) unless set (infx-import:
 * 1, its "failed"). */
void mem_set_exit_status(int status);

/*
 * The one wipe-and-free: explicit_bzero the whole block (its usable size,
 * malloc_usable_size(3), glibc and musl) then free(3). NULL is allowed.
 * Every block that held a secret, a credential or a token goes through it.
 */
void wipe_free(void *p);

/*
 * malloc/free/realloc/calloc/strdup look-alikes for libraries
 * (cJSON_InitHooks, curl_global_init_mem): free and realloc wipe the block
 * they give back, so the login body, the Authorization header and parsed
 * secrets leave no copy in freed memory. They return NULL on out of memory,
 * as the originals (the libraries handle it).
 */
void *wipe_malloc(size_t n);
void *wipe_realloc(void *p, size_t n);
void *wipe_calloc(size_t count, size_t n);
char *wipe_strdup(const char *s);

#endif
