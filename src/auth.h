/* auth.h - machine identity -> access token. */
#ifndef INFX_AUTH_H
#define INFX_AUTH_H

#include "config.h"
#include "http.h"

/*
 * Get the access token for this run, with cfg->auth:
 *   AUTH_TOKEN: a copy of INFISICAL_TOKEN; no request.
 *   AUTH_UNIVERSAL: POST {api}/v1/auth/universal-auth/login
 *     {"clientId","clientSecret"};
 *   AUTH_KUBERNETES, AUTH_OIDC, AUTH_JWT: POST {api}/v1/auth/
 *     kubernetes-auth|oidc-auth|jwt-auth/login {"identityId","jwt"}
 *   -> "accessToken" (infisical-api.md 1.1-1.3). One request, never
 *   retried: Infisical locks an identity for 5 minutes after 3 failed
 *   logins within 30 s.
 * Returns a malloc'd token (wipe it before free), or NULL after printing
 * one line naming the failure: unreachable server or TLS error, an HTTP
 * error with the server's message and what to check, a 200 without a
 * usable accessToken (missing, empty, or not fit for an HTTP header).
 */
char *auth_get_token(struct http *h, const struct config *cfg);

#endif
