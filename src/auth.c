/* auth.c - one login request (or the given access token). */
#include "auth.h"

#include "api.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Login routes, under {api} (identity-*-auth-router.ts). */
static const struct login {
	enum auth_method method;
	const char *route;
	const char *name;
	const char *credentials;	/* what to check on 401 */
} logins[] = {
	{ AUTH_UNIVERSAL, "/v1/auth/universal-auth/login", "universal auth",
	  "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET" },
	{ AUTH_KUBERNETES, "/v1/auth/kubernetes-auth/login", "kubernetes auth",
	  "the service account token and the identity's allowed namespaces, "
	  "names and audience" },
	{ AUTH_OIDC, "/v1/auth/oidc-auth/login", "oidc auth",
	  "INFISICAL_JWT and the identity's issuer, audience and claims" },
	{ AUTH_JWT, "/v1/auth/jwt-auth/login", "jwt auth",
	  "INFISICAL_JWT and the identity's keys, audience and claims" },
};

/* A token goes into an HTTP header: it must be printable, one line. */
static int token_is_valid(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t < 0x21 || (unsigned char)*t == 0x7f)
			return 0;
	return 1;
}

static char *login_body(const struct config *cfg)
{
	cJSON *o = cJSON_CreateObject();
	char *body = NULL;
	int ok;

	if (cfg->auth == AUTH_UNIVERSAL)
		ok = o && cJSON_AddStringToObject(o, "clientId",
						  cfg->client_id) &&
		     cJSON_AddStringToObject(o, "clientSecret",
					     cfg->client_secret);
	else
		ok = o && cJSON_AddStringToObject(o, "identityId",
						  cfg->identity_id) &&
		     cJSON_AddStringToObject(o, "jwt", cfg->jwt);
	if (ok)
		body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return body;
}

/* One line: what failed and what the user should check. */
static void report_refusal(const struct login *l,
			   const struct http_response *resp)
{
	const char *id = l->method == AUTH_UNIVERSAL ?
			 "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID" :
			 "INFISICAL_MACHINE_IDENTITY_ID";
	char err[512];

	api_describe_error(resp, err, sizeof err);
	switch (resp->status) {
	case 400: case 422:
		log_error("%s login failed: %s; check %s", l->name, err, id);
		break;
	case 401:
		log_error("%s login failed: %s; check %s; after 3 failed logins"
			  " Infisical locks the identity for 5 minutes",
			  l->name, err, l->credentials);
		break;
	case 403:
		log_error("%s login failed: %s; the identity's trusted IPs may "
			  "not include this host", l->name, err);
		break;
	case 404:
		log_error("%s login failed: %s; check %s, that the identity "
			  "has %s configured, and INFISICAL_API_URL", l->name,
			  err, id, l->name);
		break;
	default:
		log_error("%s login failed: %s; check that INFISICAL_API_URL is "
			  "an Infisical server", l->name, err);
	}
}

static char *token_from_response(const struct http_response *resp,
				 const char *url)
{
	cJSON *root = api_parse(resp->body, resp->len);
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(root,
							    "accessToken");
	char *token = NULL;

	if (cJSON_IsString(tok) && tok->valuestring &&
	    token_is_valid(tok->valuestring)) {
		token = strdup(tok->valuestring);
		if (!token)
			log_error("unable to log in: out of memory");
	} else {
		log_error("unable to log in at %s: the answer has no valid "
			  "accessToken; check that INFISICAL_API_URL is an "
			  "Infisical server", url);
	}
	if (cJSON_IsString(tok) && tok->valuestring)
		explicit_bzero(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(root);
	return token;
}

static enum api_status login(struct http *h, const struct config *cfg,
			     const struct login *l, char **token)
{
	struct http_response resp;
	char err[512], *url, *body;
	size_t n = strlen(cfg->api_url) + strlen(l->route) + 1;
	enum api_status st = API_FAILED;

	memset(&resp, 0, sizeof resp);
	url = malloc(n);
	body = login_body(cfg);
	if (!url || !body) {
		log_error("unable to log in: out of memory");
		goto out;
	}
	snprintf(url, n, "%s%s", cfg->api_url, l->route);
	st = api_request(h, NULL, url, NULL, body, &resp, err, sizeof err);
	if (st == API_OK && resp.status == 200) {
		*token = token_from_response(&resp, url);
		st = *token ? API_OK : API_FAILED;
	} else if (st == API_OK) {
		report_refusal(l, &resp);
		st = API_FAILED;
	} else if (st != API_INTERRUPTED) {
		log_error("unable to log in at %s: %s", url, err);
	}
out:
	http_response_free(&resp);
	if (body) {
		explicit_bzero(body, strlen(body));
		cJSON_free(body);
	}
	free(url);
	return st;
}

enum api_status auth_get_token(struct http *h, const struct config *cfg,
			       char **token)
{
	size_t i;

	*token = NULL;
	for (i = 0; i < sizeof logins / sizeof logins[0]; i++)
		if (logins[i].method == cfg->auth)
			return login(h, cfg, &logins[i], token);
	if (!token_is_valid(cfg->token)) {
		log_error("INFISICAL_TOKEN holds spaces or control characters;"
			  " it must be the access token alone");
		return API_FAILED;
	}
	*token = strdup(cfg->token);
	if (!*token) {
		log_error("unable to read INFISICAL_TOKEN: out of memory");
		return API_FAILED;
	}
	return API_OK;
}
