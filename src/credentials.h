/* credentials.h - the machine identity: its login method and credentials. */
#ifndef INFX_CREDENTIALS_H
#define INFX_CREDENTIALS_H

#include <stddef.h>

#include "strlist.h"

#define VAR_CLIENT_ID "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID"
#define VAR_CLIENT_SECRET "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET"
#define VAR_TOKEN "INFISICAL_TOKEN"
#define VAR_IDENTITY "INFISICAL_MACHINE_IDENTITY_ID"
#define VAR_JWT "INFISICAL_JWT"
#define VAR_SA_PATH "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH"
#define VAR_HEADERS "INFISICAL_CUSTOM_HEADERS"
/* Where Kubernetes mounts the pod's service account token. */
#define DEFAULT_SA_TOKEN_PATH \
	"/var/run/secrets/kubernetes.io/serviceaccount/token"

/* Machine identity login methods (infisical-api.md 1.2, 1.3). */
enum auth_method {
	AUTH_UNIVERSAL = 1,	/* client id + secret */
	AUTH_TOKEN,		/* INFISICAL_TOKEN used as it is, no login */
	AUTH_KUBERNETES,	/* identity id + service account JWT */
	AUTH_OIDC,		/* identity id + JWT from an OIDC provider */
	AUTH_JWT		/* identity id + JWT checked by JWKS/keys */
};

/* Everything that proves who infx-exec is. Wiped by credentials_free. */
struct credentials {
	enum auth_method method;
	char *client_id;	/* universal auth */
	char *client_secret;	/* universal auth */
	char *token;		/* AUTH_TOKEN */
	char *identity_id;	/* kubernetes, oidc, jwt */
	char *jwt;		/* kubernetes (service account token), oidc, jwt */
	struct strlist headers;	/* "Name: value" from INFISICAL_CUSTOM_HEADERS */
	const char *id_var;	/* where the identity came from: X or X_FILE */
	const char *secret_var;	/* where the client secret or JWT came from */
};

/*
 * Choose the method (method: "universal-auth", "token", "kubernetes",
 * "oidc", "jwt"; NULL: the one whose credentials are set in envp, exactly
 * one kind of them) and read that method's credentials, and only those:
 * each from its variable or from the file its _FILE variable names (a
 * regular file of at most 64 KiB), never both; the Kubernetes
 * service-account token from its path. Then INFISICAL_CUSTOM_HEADERS(_FILE)
 * as the official CLI reads it (packages/util/helper.go), minus what would
 * change the request.
 * Every credential is trimmed as Infisical trims client ids and secrets
 * (JavaScript's String.prototype.trim): a UTF-8 byte-order mark and white
 * space (CR and LF included) around it are removed, from files and
 * variables alike.
 * They have no flags on purpose: argv is readable by every user via /proc.
 * Returns 0, or -1 after one line: unknown or ambiguous method, a missing,
 * blank or unreadable credential, both X and X_FILE set, malformed headers.
 * Release c with credentials_free in every case.
 */
int credentials_load(struct credentials *c, char **envp, const char *method);

/* Wipe and free everything c holds. */
void credentials_free(struct credentials *c);

/*
 * Whether the environment entry name (len bytes, not terminated) is one of
 * the credential variables: the inputs of every login method and their
 * _FILE forms, INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH and
 * INFISICAL_CUSTOM_HEADERS(_FILE). They are removed from the command's
 * environment: the app never sees how the secrets were obtained.
 */
int credentials_is_variable(const char *name, size_t len);

#endif
