/* auth.c - one login request (or the given access token). */
#include "auth.h"

#include "answer.h"
#include "log.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Login routes, under {api} (identity-*-auth-router.ts). */
static const struct login {
	enum auth_method method;
	const char *route;
	const char *name;
	const char *also;	/* what else to check on 401, after the secret */
} logins[] = {
	{ AUTH_UNIVERSAL, "/v1/auth/universal-auth/login", "universal auth",
	  "" },
	{ AUTH_KUBERNETES, "/v1/auth/kubernetes-auth/login", "kubernetes auth",
	  "the service account token and the identity's allowed namespaces, "
	  "names and audience" },
	{ AUTH_OIDC, "/v1/auth/oidc-auth/login", "oidc auth",
	  " and the identity's issuer, audience and claims" },
	{ AUTH_JWT, "/v1/auth/jwt-auth/login", "jwt auth",
	  " and the identity's keys, audience and claims" },
};

static char *login_body(const struct credentials *c)
{
	if (c->method == AUTH_UNIVERSAL)
		return answer_request("clientId", c->client_id,
				      "clientSecret", c->client_secret,
				      (char *)NULL);
	return answer_request("identityId", c->identity_id, "jwt", c->jwt,
			      (char *)NULL);
}

/* One line: what failed and what the user should check, naming the
 * variables the credentials came from (X or X_FILE). */
static void report_refusal(const struct login *l, const struct credentials *c,
			   const struct http_response *resp)
{
	const char *secret = l->method == AUTH_KUBERNETES ? "" : c->secret_var;
	char err[512];

	answer_describe_error(resp, err, sizeof err);
	switch (resp->status) {
	case 400: case 422:
		log_error("%s login failed: %s; check %s", l->name, err,
			  c->id_var);
		break;
	case 401:
		log_error("%s login failed: %s; check %s%s; after 3 failed logins"
			  " Infisical locks the identity for 5 minutes",
			  l->name, err, secret, l->also);
		break;
	case 403:
		log_error("%s login failed: %s; the identity's trusted IPs may "
			  "not include this host", l->name, err);
		break;
	case 404:
		log_error("%s login failed: %s; check %s, that the identity "
			  "has %s configured, and INFISICAL_API_URL", l->name,
			  err, c->id_var, l->name);
		break;
	default:
		log_error("%s login failed: %s; check that INFISICAL_API_URL is "
			  "an Infisical server", l->name, err);
	}
}

static enum api_status login(struct http *h, const char *api_url,
			     const struct credentials *c,
			     const struct login *l, char **token)
{
	struct http_response resp;
	size_t n = strlen(api_url) + strlen(l->route) + 1;
	char err[512], *url = xmalloc(n), *body = login_body(c);
	enum api_status st;

	snprintf(url, n, "%s%s", api_url, l->route);
	st = retry_request(h, NULL, url, NULL, body, &resp, err, sizeof err);
	if (st == API_OK && resp.status == 200) {
		*token = answer_token(&resp);
		if (!*token) {
			log_error("unable to log in at %s: the answer has no "
				  "valid accessToken; check that "
				  "INFISICAL_API_URL is an Infisical server",
				  url);
			st = API_FAILED;
		}
	} else if (st == API_OK) {
		report_refusal(l, c, &resp);
		st = API_FAILED;
	} else if (st != API_INTERRUPTED) {
		log_error("unable to log in at %s: %s", url, err);
	}
	http_response_free(&resp);
	wipe_free(body);
	free(url);
	return st;
}

enum api_status auth_get_token(struct http *h, const char *api_url,
			       const struct credentials *c, char **token)
{
	size_t i;

	*token = NULL;
	for (i = 0; i < sizeof logins / sizeof logins[0]; i++)
		if (logins[i].method == c->method)
			return login(h, api_url, c, &logins[i], token);
	if (!answer_token_is_valid(c->token)) {
		log_error("INFISICAL_TOKEN holds blanks, control or non-ASCII "
			  "characters; it must be the access token alone");
		return API_FAILED;
	}
	*token = xstrdup(c->token);
	return API_OK;
}
