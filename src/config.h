/* config.h - turn flags and environment variables into one struct config. */
#ifndef INFX_CONFIG_H
#define INFX_CONFIG_H

#include <stddef.h>

enum auth_method {
	AUTH_NONE = 0,
	AUTH_UNIVERSAL,	/* POST /api/v1/auth/universal-auth/login */
	AUTH_TOKEN	/* INFISICAL_TOKEN used as the Bearer token, no login */
};

struct config {
	char *api_url;		/* origin + "/api", no trailing slash (malloc'd) */
	const char *project_id;	/* Infisical project id (workspaceId) */
	const char *environment;	/* environment slug, e.g. "dev" */
	const char *secret_path;	/* folder, starts with '/'; default "/" */
	enum auth_method auth;
	char *client_id;	/* universal auth; NULL for other methods */
	char *client_secret;	/* universal auth; wiped by config_free */
	char *token;		/* access token; wiped by config_free */
	char **command;		/* argv of the command, NULL-terminated */
};

enum config_status {
	CONFIG_OK = 0,		/* run the flow */
	CONFIG_DONE,		/* --help printed: exit 0 */
	CONFIG_VERSION,		/* --version asked: the caller prints, exit 0 */
	CONFIG_FAILED		/* a message was printed: exit 125 */
};

/*
 * Read the configuration from argv (flags win) and envp (environment
 * variables; the container interface). Option parsing stops at "--" or at
 * the first operand: what follows is the command's argv, unchanged.
 *
 * Credentials come from INFISICAL_UNIVERSAL_AUTH_CLIENT_ID / _CLIENT_SECRET
 * or INFISICAL_TOKEN, or from the file named by the same name + "_FILE"
 * (Docker and Kubernetes secrets: one trailing newline is stripped). They
 * have no flags on purpose: argv is readable by every user via /proc.
 *
 * On CONFIG_FAILED one "infx-exec: ..." line has been printed on stderr
 * (unknown option, missing project or environment, no or ambiguous
 * credentials, unreadable or empty credential file, both X and X_FILE set,
 * a URL that is not http(s), no command). *cfg must be released with
 * config_free in every case.
 */
enum config_status config_load(struct config *cfg, int argc, char **argv,
			       char **envp);

/* Wipe the credentials held by cfg and free what config_load allocated. */
void config_free(struct config *cfg);

/*
 * Whether the environment entry name (len bytes, not terminated) is one of
 * the shim's credential variables (client id, client secret, token and their
 * _FILE forms). These are removed from the command's environment: the app
 * never sees how the secrets were obtained.
 */
int config_is_credential_var(const char *name, size_t len);

/* The --help text (stdout, exit 0). */
extern const char config_usage[];

#endif
