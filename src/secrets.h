/* secrets.h - list a folder's secrets and merge its imports. */
#ifndef INFX_SECRETS_H
#define INFX_SECRETS_H

#include <stddef.h>

#include "config.h"
#include "http.h"
#include "kvset.h"

/*
 * Fetch the secrets of cfg's project, environment and secret path with
 * GET {api}/v3/secrets/raw?workspaceId=&environment=&secretPath=
 *     &include_imports=true&expandSecretReferences=true
 * (Infisical deprecated-secret-router.ts; references are expanded by the
 * server, never here) and merge them into out (see secrets_parse).
 * Returns 0, or -1 after printing one line: unreachable server, an HTTP
 * error with the server's message and a hint (401/403: the token; 404:
 * the project id), or a malformed answer.
 */
int secrets_fetch(struct http *h, const struct config *cfg,
		  const char *token, struct kvset *out);

/*
 * Merge a list response body (json, len bytes and a NUL at json[len], as
 * http_request returns it) into out, which must be
 * empty, with the official CLI's precedence (infisical-api.md 2.3): the
 * folder's own secrets win over every import; imports are walked from the
 * last to the first and, within one import, the first occurrence of a name
 * wins. So the bottom-most import wins over the ones above it.
 * Each entry's source is "path" for the folder's own secrets or "import"
 * for imported ones.
 * Returns 0, or -1 with a reason in err (size errlen): not JSON, no
 * "secrets" array, an item without string "secretKey"/"secretValue", a
 * value holding a NUL character, out of memory. Values are never copied
 * into err.
 */
int secrets_parse(const char *json, size_t len, struct kvset *out,
		  char *err, size_t errlen);

#endif
