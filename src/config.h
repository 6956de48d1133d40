/* config.h - turn flags and environment variables into one struct config. */
#ifndef INFX_CONFIG_H
#define INFX_CONFIG_H

#include <stddef.h>

#include "strlist.h"

/* Machine identity login methods (infisical-api.md 1.2, 1.3). */
enum auth_method {
	AUTH_NONE = 0,
	AUTH_UNIVERSAL,		/* client id + secret */
	AUTH_TOKEN,		/* INFISICAL_TOKEN used as it is, no login */
	AUTH_KUBERNETES,	/* identity id + service account JWT */
	AUTH_OIDC,		/* identity id + JWT from an OIDC provider */
	AUTH_JWT		/* identity id + JWT checked by JWKS/keys */
};

struct config {
	char *api_url;		/* origin + "/api", no trailing slash */
	const char *project_id;	/* Infisical project id */
	const char *environment;	/* environment slug, e.g. "dev" */
	struct strlist paths;	/* secret paths, in order; at least "/" */
	int recursive;		/* also every sub-folder of each path */
	int imports;		/* include secret imports (default 1) */
	int expand;		/* server expands references (default 1) */
	const char *tags;	/* comma list of tag slugs, or NULL */

	enum auth_method auth;
	char *client_id;	/* universal auth */
	char *client_secret;	/* universal auth */
	char *token;		/* AUTH_TOKEN */
	char *identity_id;	/* kubernetes, oidc, jwt */
	char *jwt;		/* kubernetes (service account token), oidc, jwt */
	struct strlist headers;	/* "Name: value" from INFISICAL_CUSTOM_HEADERS */
	const char *ca_file;	/* INFISICAL_CA_CERT_FILE, or NULL */

	int preserve_all;	/* inherited variables win over secrets */
	struct strlist preserve;	/* ... for these names only */
	struct strlist require;	/* names that must be set and non-empty */
	struct strlist allow;	/* reserved names a secret may set anyway */
	int allow_empty;	/* zero secrets in a path is not an error */
	int strict;		/* unresolved ${...} references are errors */
	const char *user;	/* USER[:GROUP] to run the command as, or NULL */
	int check;		/* print names and sources, run nothing */

	long timeout;		/* start-up budget, seconds (default 60) */
	int on_unavailable_run;	/* unreachable/5xx: run without secrets */
	size_t max_secrets;	/* more is an error (default 10000) */

	char **command;		/* argv of the command (points into argv) */
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
 * Every credential (client id and secret, token, identity id, JWT, custom
 * headers) comes from its variable or from the file named by the same name
 * + "_FILE" (Docker and Kubernetes secrets; one trailing newline stripped).
 * They have no flags on purpose: argv is readable by every user via /proc.
 * Only the chosen method's credentials are read.
 *
 * On CONFIG_FAILED one "infx-exec: ..." line has been printed on stderr
 * (unknown option, bad boolean, missing project or environment, no or
 * ambiguous credentials, unreadable or empty credential file, both X and
 * X_FILE set, a URL that is not http(s), malformed custom headers, no
 * command). Release cfg with config_free in every case.
 */
enum config_status config_load(struct config *cfg, int argc, char **argv,
			       char **envp);

/* Wipe the credentials held by cfg and free what config_load allocated. */
void config_free(struct config *cfg);

/*
 * Whether the environment entry name (len bytes, not terminated) is one of
 * the shim's credential variables: the inputs of every login method and
 * their _FILE forms, INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH and
 * INFISICAL_CUSTOM_HEADERS(_FILE). They are removed from the command's
 * environment: the app never sees how the secrets were obtained.
 */
int config_is_credential_var(const char *name, size_t len);

/*
 * Whether name (len bytes) is one of the shim's own configuration
 * variables: INFISICAL_* and INFX_*. A secret may not set them.
 */
int config_is_own_var(const char *name, size_t len);

/* The --help text (stdout, exit 0). */
extern const char config_usage[];

#endif
