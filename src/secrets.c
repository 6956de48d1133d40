/* secrets.c - GET each path's secret list, merge imports and paths. */
#include "secrets.h"

#include "api.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V4_ROUTE "/v4/secrets"
#define V3_ROUTE "/v3/secrets/raw"

/*
 * One pass over a JSON text (NUL-terminated at json[len]) before cJSON
 * builds its tree:
 *   - the escape \u0000: cJSON cannot represent a NUL inside a string (it
 *     would cut the value short), and an environment entry cannot hold one
 *     either: such an answer is rejected, not truncated;
 *   - how many values it holds at most (commas and openings outside
 *     strings, plus one): a body of tiny values ("[0,0,0,...]") would make
 *     a tree of millions of nodes, hundreds of MB, before any check ran.
 * strcspn(3) jumps over ordinary bytes. Returns -1 for a NUL escape.
 */
static int prescan(const char *json, size_t len, size_t *values)
{
	const char *p = json, *end = json + len;
	size_t n = 1;

	while (p < end) {
		p += strcspn(p, "\",[{");
		if (p >= end)
			break;
		if (*p == '\0') {	/* a raw NUL: api_parse refuses it */
			p++;
			continue;
		}
		if (*p++ != '"') {
			n++;
			continue;
		}
		for (;;) {	/* inside a string */
			p += strcspn(p, "\"\\");
			if (p >= end)
				break;
			if (*p == '"') {
				p++;
				break;
			}
			if (*p == '\\') {
				if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
					return -1;
				p += end - p >= 2 ? 2 : 1;	/* not past end */
			} else {
				p++;	/* a raw NUL inside a string */
			}
		}
	}
	*values = n;
	return 0;
}

static const char *string_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * Add the items of one "secrets" array; the first of a name wins. Own
 * secrets (label NULL) are labelled with their secretPath, imported ones
 * with label.
 */
static int add_items(const cJSON *items, const char *path, const char *label,
		     struct kvset *out, char *err, size_t errlen)
{
	const cJSON *item;
	size_t i = 0;

	cJSON_ArrayForEach(item, items) {
		const char *key = string_field(item, "secretKey");
		const char *val = string_field(item, "secretValue");
		const char *src = label;

		if (!key || !val) {
			snprintf(err, errlen, "secret #%zu%s has no string "
				 "secretKey and secretValue", i + 1,
				 label ? " of an import" : "");
			return -1;
		}
		if (!src) {
			src = string_field(item, "secretPath");
			src = src ? src : path;
		}
		if (kvset_put(out, key, strlen(key), val, strlen(val), src,
			      KV_KEEP) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		i++;
	}
	return 0;
}

/* Merge the imports, bottom-most first: the last import wins. One pass
 * collects them (cJSON arrays are lists: indexing each is O(n^2)). */
static int add_imports(const cJSON *imports, struct kvset *out, char *err,
		       size_t errlen)
{
	const cJSON **all, *imp;
	size_t n = 0, i;
	int rc = 0;

	cJSON_ArrayForEach(imp, imports)
		n++;
	if (n == 0)
		return 0;
	all = malloc(n * sizeof *all);
	if (!all) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = 0;
	cJSON_ArrayForEach(imp, imports)
		all[n++] = imp;
	for (i = n; rc == 0 && i-- > 0;) {
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(all[i],
								     "secrets");
		const char *env = string_field(all[i], "environment");
		const char *path = string_field(all[i], "secretPath");
		char label[512];

		if (!cJSON_IsArray(items)) {
			snprintf(err, errlen, "import #%zu has no \"secrets\" "
				 "array", i + 1);
			rc = -1;
			break;
		}
		snprintf(label, sizeof label, "import %s:%s", env ? env : "?",
			 path ? path : "?");
		rc = add_items(items, NULL, label, out, err, errlen);
	}
	free(all);
	return rc;
}

/* prescan, then one JSON document: the tree, or NULL with the reason. */
static cJSON *parse_answer(const char *json, size_t len, char *err,
			   size_t errlen)
{
	size_t values;
	cJSON *root;

	if (prescan(json, len, &values) != 0) {
		snprintf(err, errlen, "a secret holds a NUL character, which "
			 "no environment variable can hold");
		return NULL;
	}
	if (values > SECRETS_MAX_JSON_VALUES) {
		snprintf(err, errlen, "the answer holds more than %d JSON "
			 "values", SECRETS_MAX_JSON_VALUES);
		return NULL;
	}
	root = api_parse(json, len);
	if (!root)
		snprintf(err, errlen, "the answer is not JSON");
	return root;
}

/*
 * Merge a parsed answer into out (see secrets_parse) and free the tree
 * (cJSON's hooks wipe every block: api_init).
 */
static int merge_answer(cJSON *root, const char *path, struct kvset *out,
			char *err, size_t errlen)
{
	const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(root,
								"secrets");
	const cJSON *imports = cJSON_GetObjectItemCaseSensitive(root,
								"imports");
	int rc = -1;

	if (!cJSON_IsArray(secrets))
		snprintf(err, errlen, "the answer has no \"secrets\" array");
	else if (imports && !cJSON_IsArray(imports))
		snprintf(err, errlen, "the answer's \"imports\" is not an "
			 "array");
	else if (add_items(secrets, path, NULL, out, err, errlen) == 0 &&
		 add_imports(imports, out, err, errlen) == 0)
		rc = 0;
	cJSON_Delete(root);
	return rc;
}

int secrets_parse(const char *json, size_t len, const char *path,
		  struct kvset *out, char *err, size_t errlen)
{
	cJSON *root = parse_answer(json, len, err, errlen);

	return root ? merge_answer(root, path, out, err, errlen) : -1;
}

/* The characters of a reference name: [A-Za-z0-9_.-]. */
static int is_reference_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int secrets_has_reference(const char *value, size_t len)
{
	const char *p = value, *end = value + len;

	while ((p = memchr(p, '$', (size_t)(end - p))) != NULL) {
		const char *q = p + 2;

		if (q < end && p[1] == '{') {
			while (q < end && is_reference_char(*q))
				q++;
			if (q < end && *q == '}' && q > p + 2)
				return 1;
		}
		p++;
	}
	return 0;
}

/* One GET: which route, and what to ask for. */
struct list_query {
	int v3;			/* the server has no v4 route */
	const char *path;
};

/* Append "&name=escaped(value)" to buf (size n, already holding text). */
static int add_param(struct http *h, char *buf, size_t n, const char *name,
		     const char *value)
{
	char *e = http_escape(h, value);
	size_t used = strlen(buf);
	int w;

	if (!e)
		return -1;
	w = snprintf(buf + used, n - used, "%s%s=%s",
		     strchr(buf, '?') ? "&" : "?", name, e);
	free(e);
	return (w < 0 || (size_t)w >= n - used) ? -1 : 0;
}

static char *list_url(struct http *h, const struct config *cfg,
		      const struct list_query *q)
{
	const char *yes_no[] = { "false", "true" };
	size_t n = strlen(cfg->api_url) + strlen(cfg->project_id) * 3 +
		   strlen(cfg->environment) * 3 + strlen(q->path) * 3 +
		   (cfg->tags ? strlen(cfg->tags) * 3 : 0) + 256;
	char *url = malloc(n);
	int bad;

	if (!url)
		return NULL;
	snprintf(url, n, "%s%s", cfg->api_url, q->v3 ? V3_ROUTE : V4_ROUTE);
	bad = add_param(h, url, n, q->v3 ? "workspaceId" : "projectId",
			cfg->project_id) ||
	      add_param(h, url, n, "environment", cfg->environment) ||
	      add_param(h, url, n, "secretPath", q->path) ||
	      /* v3 and older v4 read include_imports, newer v4 includeImports:
	       * unknown query keys are ignored, so send both. */
	      add_param(h, url, n, "include_imports", yes_no[cfg->imports]) ||
	      (!q->v3 && add_param(h, url, n, "includeImports",
				   yes_no[cfg->imports])) ||
	      add_param(h, url, n, "recursive", yes_no[cfg->recursive]) ||
	      add_param(h, url, n, "expandSecretReferences",
			yes_no[cfg->expand]) ||
	      (cfg->tags && add_param(h, url, n, "tagSlugs", cfg->tags));
	if (bad) {
		free(url);
		return NULL;
	}
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
		       "name) and INFISICAL_SECRET_PATH";
	case 400: case 422:
		return "check INFISICAL_PROJECT_ID, INFISICAL_ENVIRONMENT and "
		       "INFISICAL_SECRET_PATH";
	default:
		return "check that INFISICAL_API_URL is an Infisical server";
	}
}

/* Fastify's answer for a route the server does not have (not Infisical's
 * own 404s, which name NotFound or a custom error). */
static int route_not_found(const struct http_response *resp)
{
	cJSON *root;
	const char *error, *message;
	int yes;

	if (resp->status != 404)
		return 0;
	root = api_parse(resp->body, resp->len);
	error = string_field(root, "error");
	message = string_field(root, "message");
	yes = error && strcmp(error, "Not Found") == 0 && message &&
	      strncmp(message, "Route ", 6) == 0;
	cJSON_Delete(root);
	return yes;
}

/* "project 'P', environment 'E', path '/x'" for messages, sanitized. */
static void describe_where(const struct config *cfg, const char *path,
			   char *buf, size_t n)
{
	snprintf(buf, n, "project '%s', environment '%s', path '%s'",
		 cfg->project_id, cfg->environment, path);
	log_sanitize(buf, n, buf, strlen(buf));
}

/* GET one path's list (switching to v3 when v4 is missing) and merge it. */
static enum api_status fetch_path(struct http *h, const struct config *cfg,
				  const char *token, int may_relogin,
				  struct list_query *q, struct kvset *out)
{
	struct http_response resp;
	char err[512], where[512];
	char *url = NULL;
	enum api_status st;

	memset(&resp, 0, sizeof resp);
	describe_where(cfg, q->path, where, sizeof where);
	for (;;) {
		url = list_url(h, cfg, q);
		if (!url) {
			log_error("unable to list secrets: out of memory");
			return API_FAILED;
		}
		st = api_request(h, NULL, url, token, NULL, &resp, err,
				 sizeof err);
		if (st != API_OK || q->v3 || !route_not_found(&resp))
			break;
		q->v3 = 1;	/* an older server: v3 from now on */
		http_response_free(&resp);
		free(url);
	}
	if (st == API_OK && resp.status != 200) {
		if (may_relogin &&
		    (api_error_is(&resp, 403, "TokenError") ||
		     api_error_is(&resp, 401, "UnauthorizedError"))) {
			log_info("the access token was refused; logging in "
				 "again");
			st = API_TOKEN_REJECTED;
		} else {
			api_describe_error(&resp, err, sizeof err);
			log_error("unable to list secrets of %s: %s; %s", where,
				  err, list_hint(resp.status));
			st = API_FAILED;
		}
	} else if (st == API_OK) {
		/* The body is not needed once parsed: free it before the tree
		 * is copied into out, which lowers the peak memory. */
		cJSON *root = parse_answer(resp.body, resp.len, err,
					   sizeof err);

		http_response_free(&resp);
		st = API_FAILED;
		if (!root || merge_answer(root, q->path, out, err,
					  sizeof err) != 0)
			log_error("unable to read the secrets of %s: %s", where,
				  err);
		else if (out->count == 0 && !cfg->allow_empty)
			log_error("no secrets in %s: Infisical answers an "
				  "unknown environment or path with an empty "
				  "list; check INFISICAL_ENVIRONMENT and "
				  "INFISICAL_SECRET_PATH, or set "
				  "INFX_ALLOW_EMPTY=true", where);
		else
			st = API_OK;
	} else if (st != API_INTERRUPTED) {
		log_error("unable to list secrets of %s: %s", where, err);
	}
	http_response_free(&resp);
	free(url);
	return st;
}

/* Warn about (or, strict, refuse) values still holding ${...}. */
static int check_references(const struct config *cfg,
			    const struct kvset *secrets)
{
	size_t i;

	if (!cfg->expand)
		return 0;
	for (i = 0; i < secrets->count; i++) {
		const struct kv *e = &secrets->items[i];
		char name[128];

		if (!secrets_has_reference(e->value, e->value_len))
			continue;
		log_sanitize(name, sizeof name, e->name, e->name_len);
		if (cfg->strict) {
			log_error("secret '%s' still holds a ${...} reference "
				  "after expansion (a missing or empty secret, "
				  "or a cycle); fix it in Infisical or drop "
				  "--strict", name);
			return -1;
		}
		log_warn("secret '%s' still holds a ${...} reference after "
			 "expansion: a missing or empty secret, or a cycle",
			 name);
	}
	return 0;
}

enum api_status secrets_fetch(struct http *h, const struct config *cfg,
			      const char *token, int may_relogin,
			      struct kvset *out)
{
	struct list_query q = { 0 };
	size_t i, j;

	for (i = 0; i < cfg->paths.n; i++) {
		struct kvset one;
		enum api_status st;

		kvset_init(&one);
		q.path = cfg->paths.v[i];
		st = fetch_path(h, cfg, token, may_relogin, &q, &one);
		/* A later path wins over an earlier one. */
		for (j = 0; st == API_OK && j < one.count; j++) {
			const struct kv *e = &one.items[j];

			if (kvset_put(out, e->name, e->name_len, e->value,
				      e->value_len, e->source,
				      KV_REPLACE) < 0) {
				log_error("unable to merge secrets: out of "
					  "memory");
				st = API_FAILED;
			}
		}
		kvset_free(&one);
		if (st != API_OK) {
			kvset_free(out);	/* never a partial set */
			return st;
		}
		if (out->count > cfg->max_secrets) {
			log_error("more than %zu secrets (INFX_MAX_SECRETS); "
				  "raise it if this is expected",
				  cfg->max_secrets);
			kvset_free(out);
			return API_FAILED;
		}
	}
	if (check_references(cfg, out) != 0) {
		kvset_free(out);
		return API_FAILED;
	}
	return API_OK;
}
