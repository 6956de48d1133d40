/* api.h - conventions shared by every Infisical API call: JSON, errors. */
#ifndef INFX_API_H
#define INFX_API_H

#include <stddef.h>

#include "http.h"

struct cJSON;

/* How a call to the Infisical API ended, from the caller's point of view. */
enum api_status {
	API_OK = 0,		/* an answer to act on (any non-retried status) */
	API_FAILED,		/* no use trying again: TLS, config, a refusal */
	API_UNAVAILABLE,	/* unreachable, or 5xx/429 until the budget ran out */
	API_INTERRUPTED,	/* a stop signal arrived */
	API_TOKEN_REJECTED	/* the access token expired or was revoked */
};

/*
 * Send one request (method, or a POST of body when not NULL, else a GET;
 * see http_request) and retry
 * what can succeed later, within the client's deadline:
 *   - no answer: refused, reset, DNS failure, timeout, truncated body;
 *   - 429, 502, 503, 504, and 500 once (any other status is an answer:
 *     400/401/403/404/422 are never retried, so a login can never lock
 *     an identity out by repeating itself);
 * waiting with exponential backoff and full jitter (250 ms doubling, at
 * most 5 s), or as long as the server's Retry-After says (plus up to 1 s
 * of jitter, so that many shims do not return at once). When the wait
 * does not fit in what is left of the budget, it stops at once.
 * Returns API_OK with resp holding the answer; API_UNAVAILABLE with the
 * reason in err (and resp the last 5xx/429 answer, if any); API_FAILED
 * with the reason in err (TLS verification, body too large...);
 * API_INTERRUPTED. Release resp with http_response_free in every case.
 */
enum api_status api_request(struct http *h, const char *method,
			    const char *url, const char *bearer,
			    const char *body,
			    struct http_response *resp, char *err,
			    size_t errlen);

/*
 * Make cJSON wipe every block it frees (cJSON_InitHooks with a size
 * header), so parsed secrets and the login body leave no copy in freed
 * memory. Call once, before any other cJSON call.
 */
void api_init(void);

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

/* Whether resp is status with Infisical's error name error, e.g. 403
 * "TokenError" (an expired access token). */
int api_error_is(const struct http_response *resp, long status,
		 const char *error);

#endif
