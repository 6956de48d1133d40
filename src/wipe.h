/* wipe.h - allocation functions that wipe every block they free. */
#ifndef INFX_WIPE_H
#define INFX_WIPE_H

#include <stddef.h>

/*
 * malloc/free/realloc/calloc/strdup look-alikes that explicit_bzero a block
 * (its whole usable size) when it is freed or moved.
 * Handed to cJSON (cJSON_InitHooks) and libcurl (curl_global_init_mem), so
 * that the login body, the Authorization header and the parsed secrets
 * leave no copy in freed memory. Out of memory: NULL, as the originals.
 */
void *wipe_malloc(size_t n);
void wipe_free(void *p);
void *wipe_realloc(void *p, size_t n);
void *wipe_calloc(size_t count, size_t n);
char *wipe_strdup(const char *s);

#endif
