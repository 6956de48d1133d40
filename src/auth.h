/* auth.h - machine identity -> access token. */
#ifndef INFX_AUTH_H
#define INFX_AUTH_H

#include "credentials.h"
#include "http.h"
#include "retry.h"

/*
 * Get the access token for this run, by c->method:
 *   AUTH_TOKEN: a copy of INFISICAL_TOKEN; no request.
 *   AUTH_UNIVERSAL: POST {api}/v1/auth/universal-auth/login
 *     {"clientId","clientSecret"};
 *   AUTH_KUBERNETES, AUTH_OIDC, AUTH_JWT: POST {api}/v1/auth/
 *     kubernetes-auth|oidc-auth|jwt-auth/login {"identityId","jwt"}
 *   -> "accessToken" (infisical-api.md 1.1-1.3), through retry_request:
 *   only what cannot lock the identity out is retried (no answer, 429,
 *   5xx); a refusal (400/401/403/404/422) never is, as Infisical locks an
 *   identity for 5 minutes after 3 failed logins within 30 s.
 * api_url: the API base ("https://host/api").
 * On API_OK *token is a malloc'd token (wipe_free it). Otherwise one line
 * has been printed naming the failure (unreachable server, TLS error, an
 * HTTP error with the server's message and what to check, a 200 without a
 * usable accessToken) and the status says which kind it was (API_FAILED,
 * API_UNAVAILABLE, API_INTERRUPTED: nothing printed then).
 */
enum api_status auth_get_token(struct http *h, const char *api_url,
			       const struct credentials *c, char **token);

#endif
