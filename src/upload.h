/* upload.h - infx-import's writes: folders and secrets, through the API
 * (infisical-api.md 2.6). */
#ifndef INFX_UPLOAD_H
#define INFX_UPLOAD_H

#include "http.h"
#include "strlist.h"

/* Where the writes go, and with which access token. */
struct upload {
	struct http *h;
	const char *api_url;	/* origin + "/api" */
	const char *project_id;
	const char *environment;	/* slug */
	const char *token;
};

/*
 * GET {api}/v1/folders?workspaceId=&environment=&path=PATH: the names of
 * the folders directly in path, appended to names (none when path itself
 * does not exist, as the server answers). Returns 0, or -1: after one line
 * naming the folder and the server's answer (an unknown environment is a
 * 404), or silently when a stop signal arrived (signals_caught).
 */
int upload_list_folders(const struct upload *u, const char *path,
			struct strlist *names);

/*
 * POST {api}/v1/folders {workspaceId, environment, name, path: parent}.
 * The server answers an existing folder with that folder (idempotent) and
 * makes missing parents on the way. name must pass layout_folder_ok's
 * rule (a name with spaces or punctuation gets a 500 from some servers).
 * Returns 0, or -1 as upload_list_folders (a read-only identity: 403).
 */
int upload_create_folder(const struct upload *u, const char *parent,
			 const char *name);

enum upload_result {
	UPLOAD_CREATED,
	UPLOAD_UPDATED,
	UPLOAD_EXISTS,		/* it exists, and no overwrite: left alone */
	UPLOAD_FAILED		/* one line printed, or a stop signal */
};

/*
 * POST {api}/v3/secrets/raw/NAME {workspaceId, environment, secretPath:
 * path, secretValue: value, type: "shared"}; when the server answers that
 * it exists (400 BadRequest) and overwrite, PATCH the same URL. The value
 * is never printed; the body holding it is wiped.
 */
enum upload_result upload_secret(const struct upload *u, const char *path,
				 const char *name, const char *value,
				 int overwrite);

#endif
