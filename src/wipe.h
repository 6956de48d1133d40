/* wipe.h - allocation functions that wipe every block they free. */
#ifndef INFX_WIPE_H
#define INFX_WIPE_H

#include <stddef.h>

/*
 * malloc/free/realloc/calloc/strdup look-alikes that remember each block's
 * size in a header and explicit_bzero the block when it is freed or moved.
 * Handed to cJSON (cJSON_InitHooks) and libcurl (curl_global_init_mem), so
 * that the login body, the Authorization header and the parsed secrets
 * leave no copy in freed memory. Blocks from one family must be freed by
 * the same family. Out of memory: NULL, as the originals.
 */
void *wipe_malloc(size_t n);
void wipe_free(void *p);
void *wipe_realloc(void *p, size_t n);
void *wipe_calloc(size_t count, size_t n);
char *wipe_strdup(const char *s);

#endif
