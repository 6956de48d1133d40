/* secrets.c - GET the secret list, merge imports under the folder's own. */
#include "secrets.h"

#include "api.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_ROUTE "/v3/secrets/raw"

/*
 * Whether a JSON text holds the escape \u0000. cJSON cannot represent a NUL
 * inside a string (it would cut the value short), and an environment entry
 * cannot hold one either: such a response is rejected, not truncated.
 */
static int has_nul_escape(const char *json, size_t len)
{
	size_t i, backslashes = 0;

	for (i = 0; i < len; i++) {
		if (json[i] == '\\') {
			backslashes++;
			continue;
		}
		if (backslashes % 2 == 1 && json[i] == 'u' && i + 4 < len &&
		    memcmp(json + i + 1, "0000", 4) == 0)
			return 1;
		backslashes = 0;
	}
	return 0;
}

/* Add the items of one "secrets" array; the first of a name wins. */
static int add_items(const cJSON *items, const char *source,
		     struct kvset *out, char *err, size_t errlen)
{
	const cJSON *item;
	size_t i = 0;

	cJSON_ArrayForEach(item, items) {
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(item,
								   "secretKey");
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(item,
								 "secretValue");

		if (!cJSON_IsString(key) || !key->valuestring ||
		    !cJSON_IsString(val) || !val->valuestring) {
			snprintf(err, errlen, "%s secret #%zu has no string "
				 "secretKey and secretValue", source, i + 1);
			return -1;
		}
		if (kvset_put(out, key->valuestring, strlen(key->valuestring),
			      val->valuestring, strlen(val->valuestring),
			      source, KV_KEEP) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		i++;
	}
	return 0;
}

/* Wipe every string of a parsed tree before cJSON frees it. */
static void wipe_tree(cJSON *node)
{
	for (; node; node = node->next) {
		if (cJSON_IsString(node) && node->valuestring)
			explicit_bzero(node->valuestring,
				       strlen(node->valuestring));
		wipe_tree(node->child);
	}
}

int secrets_parse(const char *json, size_t len, struct kvset *out,
		  char *err, size_t errlen)
{
	cJSON *root;
	const cJSON *secrets, *imports;
	int i, rc = -1;

	if (has_nul_escape(json, len)) {
		snprintf(err, errlen, "a secret holds a NUL character, which "
			 "no environment variable can hold");
		return -1;
	}
	root = api_parse(json, len);
	if (!root) {
		snprintf(err, errlen, "the answer is not JSON");
		return -1;
	}
	secrets = cJSON_GetObjectItemCaseSensitive(root, "secrets");
	imports = cJSON_GetObjectItemCaseSensitive(root, "imports");
	if (!cJSON_IsArray(secrets)) {
		snprintf(err, errlen, "the answer has no \"secrets\" array");
		goto out;
	}
	if (imports && !cJSON_IsArray(imports)) {
		snprintf(err, errlen, "the answer's \"imports\" is not an "
			 "array");
		goto out;
	}
	/* The folder's own secrets first: they win over every import. */
	if (add_items(secrets, "path", out, err, errlen) != 0)
		goto out;
	/* Then the imports, bottom-most first: the last import wins. */
	for (i = cJSON_GetArraySize(imports) - 1; i >= 0; i--) {
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetArrayItem(imports, i), "secrets");

		if (!cJSON_IsArray(items)) {
			snprintf(err, errlen, "import #%d has no \"secrets\" "
				 "array", i + 1);
			goto out;
		}
		if (add_items(items, "import", out, err, errlen) != 0)
			goto out;
	}
	rc = 0;
out:
	wipe_tree(root);
	cJSON_Delete(root);
	return rc;
}

/* GET url: escaped query values, booleans exactly "true" (422 otherwise). */
static char *list_url(struct http *h, const struct config *cfg)
{
	char *project = http_escape(h, cfg->project_id);
	char *env = http_escape(h, cfg->environment);
	char *path = http_escape(h, cfg->secret_path);
	char *url = NULL;
	size_t n;

	if (project && env && path) {
		n = strlen(cfg->api_url) + strlen(project) + strlen(env) +
		    strlen(path) + 256;
		url = malloc(n);
		if (url)
			snprintf(url, n, "%s" LIST_ROUTE "?workspaceId=%s"
				 "&environment=%s&secretPath=%s"
				 "&include_imports=true"
				 "&expandSecretReferences=true",
				 cfg->api_url, project, env, path);
	}
	free(project);
	free(env);
	free(path);
	return url;
}

/* What the user should check, by the list call's HTTP status. */
static const char *list_hint(long status)
{
	switch (status) {
	case 401: case 403:
		return "the access token was refused or lacks read access to "
		       "this project, environment and path";
	case 404:
		return "check INFISICAL_PROJECT_ID (the project's id, not its "
		       "name)";
	case 400: case 422:
		return "check INFISICAL_PROJECT_ID, INFISICAL_ENVIRONMENT and "
		       "INFISICAL_SECRET_PATH";
	default:
		return "check that INFISICAL_API_URL is an Infisical server";
	}
}

int secrets_fetch(struct http *h, const struct config *cfg,
		  const char *token, struct kvset *out)
{
	struct http_response resp;
	char err[512], where[512];
	char *url = list_url(h, cfg);
	int rc = -1;

	snprintf(where, sizeof where, "project '%s', environment '%s', path "
		 "'%s'", cfg->project_id, cfg->environment, cfg->secret_path);
	log_sanitize(where, sizeof where, where, strlen(where));
	if (!url) {
		log_error("unable to list secrets: out of memory");
		return -1;
	}
	if (http_request(h, url, token, NULL, &resp, err, sizeof err) != 0) {
		log_error("unable to list secrets of %s: %s", where, err);
		free(url);
		return -1;
	}
	if (resp.status != 200) {
		api_describe_error(&resp, err, sizeof err);
		log_error("unable to list secrets of %s: %s; %s", where, err,
			  list_hint(resp.status));
	} else if (secrets_parse(resp.body, resp.len, out, err,
				 sizeof err) != 0) {
		log_error("unable to read the secrets of %s: %s", where, err);
	} else {
		rc = 0;
	}
	http_response_free(&resp);
	free(url);
	return rc;
}
