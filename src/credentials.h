/* credentials.h - which machine identity, and its credentials. */
#ifndef INFX_CREDENTIALS_H
#define INFX_CREDENTIALS_H

#include "config.h"

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

/*
 * Set cfg->auth from method ("universal-auth", "token", "kubernetes",
 * "oidc", "jwt"; NULL: the one whose credentials are set in envp, exactly
 * one kind of them) and read that method's credentials, and only those:
 * each from its variable or from the file its _FILE variable names (a
 * regular file of at most 64 KiB; one trailing newline stripped), never
 * both; the Kubernetes service-account token from its path. Then
 * INFISICAL_CUSTOM_HEADERS(_FILE) into cfg->headers, as the official CLI
 * reads it (packages/util/helper.go), minus what would change the request.
 * Returns 0, or -1 after one message: unknown or ambiguous method, a
 * missing or unreadable credential, malformed headers, out of memory.
 */
int credentials_load(struct config *cfg, char **envp, const char *method);

#endif
