/* answer.h - what an Infisical answer says. Pure: no I/O, no logging. */
#ifndef INFX_ANSWER_H
#define INFX_ANSWER_H

#include <stddef.h>

#include "kvset.h"
#include "response.h"
#include "strlist.h"

struct cJSON;

/*
 * Make cJSON allocate through mem.h's wiping hooks, so parsed secrets and
 * the login body leave no copy in freed memory. Call once, before any
 * other cJSON call.
 */
void answer_init(void);

/*
 * Parse text (len bytes, with a NUL at text[len], as response bodies have)
 * as exactly one JSON document: nothing but white space may follow it and
 * a raw NUL byte inside is an error. Returns the tree (free with
 * cJSON_Delete) or NULL when the text is not that.
 */
struct cJSON *answer_json(const char *text, size_t len);

/*
 * A request body: a JSON object of string members, given as name, value,
 * name, value, ... and a NULL name, printed compact (the login's
 * credentials, infx-import's folders and secrets). Allocated through the
 * wiping hooks: free it with wipe_free. Never NULL: out of memory ends
 * the run (mem.h).
 */
char *answer_request(const char *name, ...);

/* More JSON values than this in one answer is an error: about 100 MB of
 * parsed tree at most, room for 10,000 secrets many times over. */
#define ANSWER_MAX_JSON_VALUES 1000000

/*
 * Merge one list answer of GET /v4/secrets or /v3/secrets/raw (resp->body,
 * resp->len bytes and a NUL after them, as http_request returns it) into
 * out, which must be empty, with the official
 * CLI's precedence (infisical-api.md 2.3): the folder's own secrets win
 * over every import; imports are walked from the last to the first and,
 * within one import, the first occurrence of a name wins. So the
 * bottom-most import wins over the ones above it.
 * Sources: an own secret's secretPath (path when absent); "import
 * ENV:PATH" for an imported one.
 * Returns 0, or -1 with a reason in err (size errlen): not JSON, more than
 * ANSWER_MAX_JSON_VALUES values, no "secrets" array, an item without
 * string "secretKey"/"secretValue", a NUL character in a name or value
 * (the name is given), values the server hid (secretValueHidden: the
 * identity may read the names but not the values; the names are given).
 * Values are never copied into err.
 * The answer is walked, not parsed whole: cJSON parses one secret (one
 * import, one other member) at a time and its tree is wiped once merged,
 * so the peak memory is the body, the result and one secret's tree, not a
 * tree of the whole answer (about seven times the body). Whatever cJSON
 * would refuse in the whole text is refused ("not JSON"), with nothing
 * kept. The body is consumed: wiped and freed; resp->body is NULL
 * afterwards.
 */
int answer_secrets(struct http_response *resp, const char *path,
		   struct kvset *out, char *err, size_t errlen);

/*
 * Merge the secrets of one path into everything fetched so far: a later
 * path wins over an earlier one for the same name (as `infisical run` with
 * several --path). Each entry keeps its source. one may be emptied (the
 * first path is moved, not copied); free it as usual.
 */
void answer_merge_path(struct kvset *all, struct kvset *one);

/*
 * Whether value (len bytes) still holds a secret reference: "${" then one
 * or more of [A-Za-z0-9_.-] then "}" (the reference syntax of Infisical's
 * secret-reference-fns.ts).
 */
int answer_has_reference(const char *value, size_t len);

/*
 * The "accessToken" of a login answer (infisical-api.md 1.1), as a copy
 * (wipe_free it), or NULL when there is none that could be sent in a
 * header (answer_token_is_valid). The tree's copy is wiped.
 */
char *answer_token(const struct http_response *resp);

/* Whether t can be an access token in an HTTP header: not empty, printable,
 * no blank. */
int answer_token_is_valid(const char *t);

/*
 * The "name" of each item of the "folders" array of GET /v1/folders
 * (infisical-api.md 2.6), appended to out in the answer's order.
 * Returns 0, or -1 with a reason in err (size errlen): not JSON, no
 * "folders" array, an item without a string "name".
 */
int answer_folder_names(const struct http_response *resp,
			struct strlist *out, char *err, size_t errlen);

/*
 * Describe a non-2xx answer in one line for an error message, from the
 * Infisical error body {"statusCode","message","error"}
 * (backend/src/server/plugins/error-handler.ts): e.g. "HTTP 401
 * UnauthorizedError: Invalid credentials". A 422 ValidationFailure carries
 * an array of zod issues; its paths are named. A body that is not such JSON
 * (a proxy's HTML page) is named as such. Server text is sanitized (no
 * control characters), without its final period (the line goes on after
 * it), and cut to fit buf (size len).
 */
void answer_describe_error(const struct http_response *resp, char *buf,
			   size_t len);

/* Whether resp is status with Infisical's error name error, e.g. 403
 * "TokenError" (an expired access token). */
int answer_error_is(const struct http_response *resp, long status,
		    const char *error);

/*
 * Whether resp is Fastify's answer for a route the server does not have
 * (404 "Not Found" "Route GET:/x not found"), not one of Infisical's own
 * 404s (NotFound, SecretPathNotFound...).
 */
int answer_route_not_found(const struct http_response *resp);

/*
 * Whether resp refuses to show secret values: 403 from a CASL check of the
 * readValue action (PermissionDenied "You are not allowed to readValue on
 * secrets") or the newer ForbiddenRequestError "You do not have permission
 * to read secret values" (permission-fns.ts): the identity may describe
 * the secrets, not read them.
 */
int answer_denies_values(const struct http_response *resp);

/*
 * Whether resp refuses to create a secret because it exists: 400
 * BadRequest "Secret already exist" (secret-v2-bridge-service.ts; sample
 * create-secret-duplicate). Any other 400 (a value too long, a bad name) is
 * a refusal, not this.
 */
int answer_secret_exists(const struct http_response *resp);

#endif
