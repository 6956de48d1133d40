/* upload.c - folders and secrets written through the Infisical API. */
#include "upload.h"

#include "answer.h"
#include "log.h"
#include "mem.h"
#include "retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOLDERS_ROUTE "/v1/folders"
#define SECRET_ROUTE "/v3/secrets/raw/"



/* What to check after a refusal, by its status. */
static const char *hint(long status)
{
	switch (status) {
	case 401: case 403:
		return "; check the identity's role in the project (it must "
		       "be allowed to create folders and secrets there)";
	case 404:
		return "; check INFISICAL_PROJECT_ID, INFISICAL_ENVIRONMENT and "
		       "the folder";
	default:
		return "";
	}
}

/* The one line of a failed write: what, why, what to check. */
static void report(const char *doing, enum api_status st,
		   const struct http_response *resp, char *err, size_t errlen)
{
	if (st == API_INTERRUPTED)
		return;
	if (st == API_OK)
		answer_describe_error(resp, err, errlen);
	log_error("unable to %s: %s%s", doing, err,
		  st == API_OK ? hint(resp->status) : "");
}

/*
 * One request; 0 with resp holding a 200 answer, else -1: the line says
 * what (doing names the action, e.g. "create folder 'n8n' in prod:/"),
 * except after a stop signal.
 */
static int call(const struct upload *u, const char *method, const char *url,
		const char *body, struct http_response *resp,
		const char *doing)
{
	char err[512];
	enum api_status st = retry_request(u->h, method, url, u->token, body,
					   resp, err, sizeof err);

	if (st == API_OK && resp->status == 200)
		return 0;
	report(doing, st, resp, err, sizeof err);
	return -1;
}

int upload_list_folders(const struct upload *u, const char *path,
			struct strlist *names)
{
	size_t n = strlen(u->api_url) + 3 * (strlen(u->project_id) +
		   strlen(u->environment) + strlen(path)) + 64;
	char *url = xmalloc(n), doing[512], err[128];
	struct http_response resp = { 0 };
	int rc;

	snprintf(url, n, "%s%s", u->api_url, FOLDERS_ROUTE);
	http_add_param(u->h, url, n, "workspaceId", u->project_id);
	http_add_param(u->h, url, n, "environment", u->environment);
	http_add_param(u->h, url, n, "path", path);
	snprintf(doing, sizeof doing, "list the folders of %s:%s",
		 u->environment, path);
	rc = call(u, NULL, url, NULL, &resp, doing);
	if (rc == 0 && answer_folder_names(&resp, names, err,
					   sizeof err) != 0) {
		log_error("unable to %s: %s", doing, err);
		rc = -1;
	}
	http_response_free(&resp);
	free(url);
	return rc;
}

int upload_create_folder(const struct upload *u, const char *parent,
			 const char *name)
{
	size_t n = strlen(u->api_url) + sizeof FOLDERS_ROUTE;
	char *url = xmalloc(n), doing[512];
	char *body = answer_request("workspaceId", u->project_id,
				    "environment", u->environment, "name", name,
				    "path", parent, (char *)NULL);
	struct http_response resp = { 0 };
	int rc;

	snprintf(url, n, "%s%s", u->api_url, FOLDERS_ROUTE);
	snprintf(doing, sizeof doing, "create folder '%s' in %s:%s", name,
		 u->environment, parent);
	rc = call(u, NULL, url, body, &resp, doing);
	http_response_free(&resp);
	wipe_free(body);
	free(url);
	return rc;
}

enum upload_result upload_secret(const struct upload *u, const char *path,
				 const char *name, const char *value,
				 int overwrite)
{
	char *escaped = http_escape(u->h, name);
	size_t n = strlen(u->api_url) + sizeof SECRET_ROUTE + strlen(escaped);
	char *url = xmalloc(n), doing[512], err[512];
	char *body = answer_request("workspaceId", u->project_id,
				    "environment", u->environment, "secretPath",
				    path, "secretValue", value, "type", "shared",
				    (char *)NULL);
	struct http_response resp = { 0 };
	enum upload_result res = UPLOAD_CREATED;
	enum api_status st;

	log_forbid(value);	/* a refusal may echo it */
	snprintf(url, n, "%s%s%s", u->api_url, SECRET_ROUTE, escaped);
	snprintf(doing, sizeof doing, "create %s in %s:%s", name,
		 u->environment, path);
	st = retry_request(u->h, NULL, url, u->token, body, &resp, err,
			   sizeof err);
	if (st == API_OK && answer_secret_exists(&resp)) {
		res = UPLOAD_EXISTS;
		if (overwrite) {
			http_response_free(&resp);
			snprintf(doing, sizeof doing, "update %s in %s:%s",
				 name, u->environment, path);
			res = call(u, "PATCH", url, body, &resp, doing) == 0 ?
			      UPLOAD_UPDATED : UPLOAD_FAILED;
		}
	} else if (st != API_OK || resp.status != 200) {
		report(doing, st, &resp, err, sizeof err);
		res = UPLOAD_FAILED;
	}
	log_allow(value);
	http_response_free(&resp);
	wipe_free(body);
	free(escaped);
	free(url);
	return res;
}
