/* secrets.h - list the secrets of each secret path and merge them. */
#ifndef INFX_SECRETS_H
#define INFX_SECRETS_H

#include <stddef.h>

#include "api.h"
#include "config.h"
#include "http.h"
#include "kvset.h"

/*
 * Fetch the secrets of cfg's project and environment, for each of
 * cfg->paths in order, and merge them into out (empty on entry): a later
 * path wins over an earlier one for the same name (as `infisical run`
 * with several --path). Each entry's source names where it came from.
 *
 * Route: GET {api}/v4/secrets?projectId=... (Infisical v4 secret-router),
 * or GET {api}/v3/secrets/raw?workspaceId=... on servers without it: the
 * first answer "route not found" (Fastify's 404) switches the rest of the
 * run to v3, so current servers cost no extra request. Query booleans are
 * sent as exactly "true"/"false" (anything else gets 422); references are
 * expanded by the server (expandSecretReferences), never here.
 *
 * Rules applied here, each an error (return -1) after one message:
 *   - an HTTP or transport failure, a malformed answer (secrets_parse);
 *   - a path that yields no secret at all, unless cfg->allow_empty: a real
 *     Infisical answers an unknown environment or path with 200 and empty
 *     lists, which must not start a service with no configuration;
 *   - with cfg->strict, a value still holding a ${...} reference after
 *     expansion (a reference to a missing secret stays literal); without
 *     it, a warning naming the secret, never its value.
 * When the list answers that the token expired or was revoked (403
 * TokenError, 401 UnauthorizedError) and may_relogin is set, it returns
 * API_TOKEN_REJECTED without a message: the caller may log in once more.
 * Returns API_OK, or the api_status of the failure (one line printed,
 * except for API_INTERRUPTED and API_TOKEN_REJECTED), with out empty: never
 * a partial set. At most cfg->max_secrets secrets are accepted.
 */
enum api_status secrets_fetch(struct http *h, const struct config *cfg,
			      const char *token, int may_relogin,
			      struct kvset *out);

/* More JSON values than this in one answer is an error: about 100 MB of
 * parsed tree at most, room for 10,000 secrets many times over. */
#define SECRETS_MAX_JSON_VALUES 1000000

/*
 * Merge one list answer (json, len bytes and a NUL at json[len], as
 * http_request returns it) into out, which must be empty, with the
 * official CLI's precedence (infisical-api.md 2.3): the folder's own
 * secrets win over every import; imports are walked from the last to the
 * first and, within one import, the first occurrence of a name wins. So
 * the bottom-most import wins over the ones above it.
 * Sources: an own secret's secretPath (path when absent); "import
 * ENV:PATH" for an imported one.
 * Returns 0, or -1 with a reason in err (size errlen): not JSON, more
 * than SECRETS_MAX_JSON_VALUES values, no "secrets" array, an item without string "secretKey"/"secretValue", a
 * NUL character in a name or value, out of memory. Values are never
 * copied into err.
 */
int secrets_parse(const char *json, size_t len, const char *path,
		  struct kvset *out, char *err, size_t errlen);

/*
 * Whether value (len bytes) still holds a secret reference: "${" then one
 * or more of [A-Za-z0-9_.-] then "}" (the reference syntax of Infisical's
 * secret-reference-fns.ts).
 */
int secrets_has_reference(const char *value, size_t len);

#endif
