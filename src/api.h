/* api.h - conventions shared by every Infisical API call: JSON, errors. */
#ifndef INFX_API_H
#define INFX_API_H

#include <stddef.h>

#include "http.h"

struct cJSON;

/*
 * Parse text (len bytes, with a NUL at text[len], as response bodies have)
 * as exactly one JSON document: nothing but white space may follow it and
 * a raw NUL byte inside is an error. Returns the tree (free with
 * cJSON_Delete) or NULL when the text is not that.
 */
struct cJSON *api_parse(const char *text, size_t len);

/*
 * Describe a non-2xx answer in one line for an error message, from the
 * Infisical error body {"statusCode","message","error"}
 * (backend/src/server/plugins/error-handler.ts): e.g. "HTTP 401
 * UnauthorizedError: Invalid credentials". A 422 ValidationFailure carries
 * an array of zod issues; its paths are named. A body that is not such JSON
 * (a proxy's HTML page) is named as such. Server text is sanitized (no
 * control characters) and cut to fit buf (size len).
 */
void api_describe_error(const struct http_response *resp, char *buf,
			size_t len);

#endif
