/* auth.c - universal auth login, or the given access token. */
#include "auth.h"

#include "api.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UA_LOGIN_ROUTE "/v1/auth/universal-auth/login"

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

	if (o && cJSON_AddStringToObject(o, "clientId", cfg->client_id) &&
	    cJSON_AddStringToObject(o, "clientSecret", cfg->client_secret))
		body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return body;
}

/* What the user should check, by the login's HTTP status. */
static const char *login_hint(long status)
{
	switch (status) {
	case 400: case 422:
		return "check INFISICAL_UNIVERSAL_AUTH_CLIENT_ID and "
		       "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET";
	case 401:
		return "check INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET; after 3 "
		       "failed logins Infisical locks the identity for 5 "
		       "minutes";
	case 403:
		return "the identity's trusted IPs do not include this host";
	case 404:
		return "no machine identity has this client id: check "
		       "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID and INFISICAL_API_URL";
	default:
		return "check that INFISICAL_API_URL is an Infisical server";
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

static char *universal_auth_login(struct http *h, const struct config *cfg)
{
	struct http_response resp;
	char err[512], *url, *body, *token = NULL;
	size_t n = strlen(cfg->api_url) + sizeof UA_LOGIN_ROUTE;

	url = malloc(n);
	body = login_body(cfg);
	if (!url || !body) {
		log_error("unable to log in: out of memory");
		goto out;
	}
	snprintf(url, n, "%s%s", cfg->api_url, UA_LOGIN_ROUTE);
	if (http_request(h, url, NULL, body, &resp, err, sizeof err) != 0) {
		log_error("unable to log in at %s: %s", url, err);
		goto out;
	}
	if (resp.status == 200) {
		token = token_from_response(&resp, url);
	} else {
		api_describe_error(&resp, err, sizeof err);
		log_error("universal auth login failed: %s; %s", err,
			  login_hint(resp.status));
	}
	http_response_free(&resp);
out:
	if (body) {
		explicit_bzero(body, strlen(body));
		cJSON_free(body);
	}
	free(url);
	return token;
}

char *auth_get_token(struct http *h, const struct config *cfg)
{
	char *token;

	if (cfg->auth == AUTH_UNIVERSAL)
		return universal_auth_login(h, cfg);
	if (!token_is_valid(cfg->token)) {
		log_error("INFISICAL_TOKEN holds spaces or control characters;"
			  " it must be the access token alone");
		return NULL;
	}
	token = strdup(cfg->token);
	if (!token)
		log_error("unable to read INFISICAL_TOKEN: out of memory");
	return token;
}
