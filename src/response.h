/* response.h - one HTTP answer, as the http module hands it over. */
#ifndef INFX_RESPONSE_H
#define INFX_RESPONSE_H

#include <stddef.h>

struct http_response {
	long status;		/* HTTP status code, e.g. 200 */
	char *body;		/* malloc'd, NUL-terminated, len bytes before */
	size_t len;
	long retry_after;	/* Retry-After in seconds, -1 when absent */
	char *etag;		/* the ETag header's value, malloc'd, or NULL */
};

#endif
