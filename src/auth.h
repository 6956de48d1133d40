/* auth.h - machine identity -> access token. */
#ifndef INFX_AUTH_H
#define INFX_AUTH_H

#include "config.h"
#include "http.h"

/*
 * Get the access token for this run.
 *   AUTH_TOKEN: a copy of INFISICAL_TOKEN; no request.
 *   AUTH_UNIVERSAL: one POST {api}/v1/auth/universal-auth/login with
 *     {"clientId","clientSecret"} -> "accessToken" (Infisical
 *     identity-universal-auth-router.ts). Never retried: Infisical locks an
 *     identity for 5 minutes after 3 failed logins within 30 s.
 * Returns a malloc'd token (wipe it with explicit_bzero before free), or
 * NULL after printing one line naming the failure: unreachable server or
 * TLS error, an HTTP error with the server's message (404: unknown client
 * id, 401: wrong secret or locked), a 200 without a usable accessToken.
 */
char *auth_get_token(struct http *h, const struct config *cfg);

#endif
