/* retry.h - one Infisical API call, tried again while that can help. */
#ifndef INFX_RETRY_H
#define INFX_RETRY_H

#include <stddef.h>

#include "http.h"

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
 * see http_request) and retry what can succeed later, within the client's
 * deadline:
 *   - no answer: refused, reset, DNS failure, timeout, truncated body;
 *   - 429, 502, 503, 504, and 500 once (any other status is an answer:
 *     400/401/403/404/422 are never retried, so a login can never lock
 *     an identity out by repeating itself);
 * waiting with exponential backoff and full jitter (250 ms doubling, at
 * most 5 s), or as long as the server's Retry-After says (plus up to 1 s
 * of jitter, so that many shims do not return at once). When the wait
 * does not fit in what is left of the budget, it stops at once. The first
 * time a run waits, one warning line says what failed and for how long it
 * keeps trying (so that a container's log is not silent meanwhile); each
 * further try is logged at the info level.
 * Returns API_OK with resp holding the answer; API_UNAVAILABLE with the
 * reason in err (and resp the last 5xx/429 answer, if any); API_FAILED
 * with the reason in err (TLS verification, body too large...);
 * API_INTERRUPTED. Release resp with http_response_free in every case.
 */
enum api_status retry_request(struct http *h, const char *method,
			    const char *url, const char *bearer,
			    const char *body,
			    struct http_response *resp, char *err,
			    size_t errlen);

/* Seconds the last answer of a run's retries asked to wait (Retry-After),
 * or -1: for a watching run, which waits before its next poll. */
long retry_last_wait(void);

/* 1: no warning when retrying starts (a watching run's polls, which
 * say once that they failed). */
void retry_set_quiet(int quiet);

#endif
