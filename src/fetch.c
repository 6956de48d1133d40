/* fetch.c - login, then GET each path's secret list (v4, or v3 once). */
#include "fetch.h"

#include "answer.h"
#include "auth.h"
#include "http.h"
#include "log.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V4_ROUTE "/v4/secrets"
#define V3_ROUTE "/v3/secrets/raw"

/* What every list request of the run shares. */
struct lister {
	struct http *h;
	const struct config *cfg;
	const char *token;
	int may_relogin;	/* a refused token is worth one new login */
	int v3;			/* the server has no v4 route */
	struct fetch_memo *memo;	/* watch mode, or NULL */
	size_t unchanged;	/* paths that answered 304 */
};

static char *list_url(const struct lister *l, const char *path)
{
	static const char *const yes_no[] = { "false", "true" };
	const struct config *cfg = l->cfg;
	size_t n = strlen(cfg->api_url) + strlen(cfg->project_id) * 3 +
		   strlen(cfg->environment) * 3 + strlen(path) * 3 +
		   (cfg->tags ? strlen(cfg->tags) * 3 : 0) + 320;
	char *url = xmalloc(n);

	snprintf(url, n, "%s%s", cfg->api_url, l->v3 ? V3_ROUTE : V4_ROUTE);
	http_add_param(l->h, url, n, l->v3 ? "workspaceId" : "projectId",
		       cfg->project_id);
	http_add_param(l->h, url, n, "environment", cfg->environment);
	http_add_param(l->h, url, n, "secretPath", path);
	/* v3 and older v4 read include_imports, newer v4 includeImports:
	 * unknown query keys are ignored, so send both. */
	http_add_param(l->h, url, n, "include_imports",
		       yes_no[cfg->imports]);
	if (!l->v3)
		http_add_param(l->h, url, n, "includeImports",
			       yes_no[cfg->imports]);
	http_add_param(l->h, url, n, "recursive", yes_no[cfg->recursive]);
	http_add_param(l->h, url, n, "expandSecretReferences",
		       yes_no[cfg->expand]);
	/* The default, sent so that a server that would hide values answers
	 * 403 instead (fetch.h). */
	http_add_param(l->h, url, n, "viewSecretValue", "true");
	if (cfg->tags)
		http_add_param(l->h, url, n, "tagSlugs", cfg->tags);
	return url;
}

/* What the user should check, by the list call's HTTP status. */
static const char *list_hint(const struct http_response *resp)
{
	if (answer_denies_values(resp))
		return "the identity may see these secrets but not read their "
		       "values: give its role the Read Value permission on "
		       "secrets for this environment and path";
	switch (resp->status) {
	case 401: case 403:
		return "the access token was refused or lacks read access to "
		       "this project, environment and path";
	case 404:
		return "check INFISICAL_PROJECT_ID (the project's id, not its "
		       "name) and INFISICAL_SECRET_PATH";
	case 400: case 422:
		return "check INFISICAL_PROJECT_ID, INFISICAL_ENVIRONMENT and "
		       "INFISICAL_SECRET_PATH";
	default:
		return "check that INFISICAL_API_URL is an Infisical server";
	}
}

/* "project 'P', environment 'E', path '/x'" for messages, sanitized. */
static void describe_where(const struct config *cfg, const char *path,
			   char *buf, size_t n)
{
	snprintf(buf, n, "project '%s', environment '%s', path '%s'",
		 cfg->project_id, cfg->environment, path);
	log_sanitize(buf, n, buf, strlen(buf));
}

/* GET one path's list, switching to v3 for good when v4 is missing. */
static enum api_status get_list(struct lister *l, const char *path,
				struct http_response *resp, char *err,
				size_t errlen)
{
	for (;;) {
		char *url = list_url(l, path);
		enum api_status st = retry_request(l->h, NULL, url, l->token,
						   NULL, resp, err, errlen);

		free(url);
		if (st != API_OK || l->v3 || !answer_route_not_found(resp))
			return st;
		l->v3 = 1;	/* an older server: v3 from now on */
		http_response_free(resp);
	}
}

/* A non-200 answer: a token worth one new login, or one error line. */
static enum api_status refused(const struct lister *l,
			       const struct http_response *resp,
			       const char *where)
{
	char err[512];

	if (l->may_relogin && (answer_error_is(resp, 403, "TokenError") ||
			       answer_error_is(resp, 401,
					       "UnauthorizedError"))) {
		log_info("the access token was refused; logging in again");
		return API_TOKEN_REJECTED;
	}
	answer_describe_error(resp, err, sizeof err);
	log_error("unable to list secrets of %s: %s; %s", where, err,
		  list_hint(resp));
	return API_FAILED;
}

/* Watch mode: ask for path i with its last ETag; keep the new one. */
static void remember_etag(struct lister *l, size_t i,
			  struct http_response *resp)
{
	if (!l->memo || !resp)
		return;
	if (resp->status == 304)
		return;		/* the same ETag stays */
	wipe_free(l->memo->etags[i]);
	l->memo->etags[i] = resp->etag;
	resp->etag = NULL;
}

/* GET path i's list and read it into one (empty on entry). */
static enum api_status fetch_path(struct lister *l, size_t i,
				  struct kvset *one)
{
	const char *path = l->cfg->paths.v[i];
	int asked = l->memo && l->memo->etags[i];	/* If-None-Match */
	struct http_response resp;
	char err[512], where[512];
	enum api_status st;

	describe_where(l->cfg, path, where, sizeof where);
	if (asked)
		http_if_none_match(l->h, l->memo->etags[i]);
	st = get_list(l, path, &resp, err, sizeof err);
	if (st == API_OK)
		remember_etag(l, i, &resp);
	if (st == API_OK && resp.status == 304 && asked) {
		l->unchanged++;	/* watch mode: nothing new there */
	} else if (st == API_OK && resp.status == 304) {
		/* Not Modified, though nothing was asked: no secrets at all. */
		log_error("unable to list secrets of %s: HTTP 304 to a request "
			  "without If-None-Match; check that INFISICAL_API_URL "
			  "is an Infisical server, not a cache", where);
		st = API_FAILED;
	} else if (st == API_OK && resp.status != 200) {
		st = refused(l, &resp, where);
	} else if (st == API_OK) {
		if (answer_secrets(&resp, path, one, err, sizeof err) != 0) {
			log_error("unable to read the secrets of %s: %s", where,
				  err);
			st = API_FAILED;
		} else if (one->count == 0 && !l->cfg->allow_empty) {
			log_error("no secrets in %s: Infisical answers an "
				  "unknown environment or path with an empty "
				  "list; check INFISICAL_ENVIRONMENT and "
				  "INFISICAL_SECRET_PATH, or set "
				  "INFX_ALLOW_EMPTY=true", where);
			st = API_FAILED;
		}
	} else if (st != API_INTERRUPTED) {
		log_error("unable to list secrets of %s: %s", where, err);
	}
	http_response_free(&resp);
	return st;
}

/* Every path in order into out; never a partial set. */
static enum api_status fetch_paths(struct lister *l, struct kvset *out)
{
	const struct config *cfg = l->cfg;
	enum api_status st = API_OK;
	size_t i;

	l->unchanged = 0;	/* counted afresh each pass (a re-login's too) */
	for (i = 0; st == API_OK && i < cfg->paths.n; i++) {
		struct kvset one;

		kvset_init(&one);
		if (i + 1 == cfg->paths.n && !l->memo)
			http_last_request(l->h);
		st = fetch_path(l, i, &one);
		if (st == API_OK)
			answer_merge_path(out, &one);
		kvset_free(&one);
		if (st == API_OK && out->count > (size_t)cfg->max_secrets) {
			log_error("more than %ld secrets (INFX_MAX_SECRETS); "
				  "raise it if this is expected",
				  cfg->max_secrets);
			st = API_FAILED;
		}
	}
	if (st != API_OK)
		kvset_free(out);
	return st;
}

/* Watch mode: 304 from every path is "unchanged"; from only some, every
 * path again, unconditionally (their data is not kept between polls). */
static enum api_status fetch_all(struct lister *l, struct kvset *out)
{
	enum api_status st = fetch_paths(l, out);
	size_t i, n = l->cfg->paths.n;

	if (st != API_OK || !l->memo || l->unchanged == 0)
		return st;
	if (l->unchanged == n) {
		l->memo->unchanged = 1;
		return API_OK;
	}
	for (i = 0; i < n; i++) {
		wipe_free(l->memo->etags[i]);
		l->memo->etags[i] = NULL;
	}
	kvset_free(out);
	return fetch_paths(l, out);
}

/* auth -> list; a refused token gets one fresh login. */
static enum api_status login_and_list(struct lister *l,
				      const struct credentials *c,
				      struct kvset *out)
{
	char *token = l->memo ? l->memo->token : NULL;
	enum api_status st = API_OK;

	if (l->memo)
		l->memo->token = NULL;
	if (!token)
		st = auth_get_token(l->h, l->cfg->api_url, c, &token);
	log_forbid(token);
	l->token = token;
	l->may_relogin = c->method != AUTH_TOKEN;
	if (st == API_OK)
		st = fetch_all(l, out);
	if (st == API_TOKEN_REJECTED) {
		log_allow(token);
		wipe_free(token);
		st = auth_get_token(l->h, l->cfg->api_url, c, &token);
		log_forbid(token);
		l->token = token;
		l->may_relogin = 0;
		if (st == API_OK)
			st = fetch_all(l, out);
	}
	log_allow(token);
	if (l->memo && st == API_OK) {
		l->memo->token = token;	/* for the next poll */
		token = NULL;
	}
	wipe_free(token);
	return st;
}

/* The opt-in fallback: Infisical unreachable, run without its secrets. */
static enum api_status fall_back(const struct config *cfg,
				 enum api_status st)
{
	if (st != API_UNAVAILABLE || !cfg->on_unavailable_run || cfg->check)
		return st;
	/* At error level: --quiet must not hide this. */
	log_error("warning: INFISICAL IS UNAVAILABLE: running the command "
		  "WITHOUT ITS SECRETS, with the inherited environment only "
		  "(INFX_ON_UNAVAILABLE=run)");
	return API_OK;
}

enum api_status fetch_secrets(const struct config *cfg,
			      const struct credentials *c, char **envp,
			      struct fetch_memo *memo, struct kvset *out)
{
	struct http_setup setup = {
		.envp = envp, .api_url = cfg->api_url,
		.ca_file = cfg->ca_file, .headers = &c->headers,
		.deadline_ms = http_now_ms() + cfg->timeout * 1000,
	};
	struct lister l = { .cfg = cfg, .memo = memo };
	enum api_status st = API_FAILED;

	if (http_global_init() != 0)
		return API_FAILED;
	l.h = http_new(&setup);
	if (l.h)
		st = login_and_list(&l, c, out);
	http_free(l.h);
	http_global_cleanup();
	if (memo)
		memo->retry_after = retry_last_wait();
	return memo && !memo->start ? st : fall_back(cfg, st);
}
