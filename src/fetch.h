/* fetch.h - log in and list the secrets of every path: the HTTP half. */
#ifndef INFX_FETCH_H
#define INFX_FETCH_H

#include "config.h"
#include "credentials.h"
#include "kvset.h"
#include "retry.h"

/* What a watching run keeps from one fetch to the next (watch.h). */
struct fetch_memo {
	char *token;	/* in: the access token to use (NULL: log in); out:
			 * the one that worked (malloc'd: wipe_free it) */
	char **etags;	/* cfg->paths.n entries, in: If-None-Match of each
			 * path (an entry may be NULL); out: the answers'
			 * ETags (malloc'd) */
	int unchanged;	/* out: every path answered 304 Not Modified, and
			 * out is empty */
	long retry_after;	/* out: seconds the server asked to wait, -1 */
	int start;	/* the first fetch: the opt-in fallback applies */
};

/*
 * Log in with c (auth.h) and fetch the secrets of cfg's project and
 * environment, for each of cfg->paths in order, on one connection and
 * within cfg->timeout seconds, merging them into out (empty on entry): a
 * later path wins (answer_merge_path).
 *
 * Route: GET {api}/v4/secrets?projectId=... (Infisical v4 secret-router),
 * or GET {api}/v3/secrets/raw?workspaceId=... on servers without it: the
 * first answer "route not found" (Fastify's 404) switches the rest of the
 * run to v3, so current servers cost no extra request. Query booleans are
 * sent as exactly "true"/"false" (anything else gets 422);
 * viewSecretValue=true is always sent; references are expanded by the
 * server (expandSecretReferences), never here.
 *
 * A token the list call refuses (403 TokenError, 401: expired, revoked)
 * gets one fresh login, never more (not with a plain INFISICAL_TOKEN).
 *
 * Errors, each after one line: an HTTP or transport failure; a malformed
 * answer or values the server hid (answer_secrets); a 403 that refuses to
 * show values (the identity lacks Read Value); a path that yields no
 * secret at all, unless cfg->allow_empty (a real Infisical answers an
 * unknown environment or path with 200 and empty lists, which must not
 * start a service with no configuration); more than cfg->max_secrets.
 * Never a partial set: out is empty unless API_OK.
 *
 * memo, when not NULL (watch mode), brings a token to reuse and the ETags
 * of the last answers: paths are asked for with If-None-Match, and when
 * all of them answer 304 nothing is read (memo->unchanged); when only
 * some do, every path is fetched again whole. It takes back the token and
 * the new ETags. The opt-in fallback does not apply then.
 *
 * Returns API_OK; API_UNAVAILABLE (no usable answer within the budget);
 * API_FAILED; API_INTERRUPTED (a stop signal; nothing printed). With
 * cfg->on_unavailable_run (and not --check), API_UNAVAILABLE becomes
 * API_OK with out empty, after a warning printed at the error level.
 */
enum api_status fetch_secrets(const struct config *cfg,
			      const struct credentials *c, char **envp,
			      struct fetch_memo *memo, struct kvset *out);

#endif
