/* environment.h - the command's environment: inherited + secrets. */
#ifndef INFX_ENVIRONMENT_H
#define INFX_ENVIRONMENT_H

#include "kvset.h"

/*
 * Build the envp for execve(2) from the shim's own environment (inherited,
 * "NAME=value" strings) and the fetched secrets:
 *   - the shim's credential variables (config_is_credential_var) are left
 *     out, so the command never sees how the secrets were obtained;
 *   - an inherited entry without '=' is left out; of inherited duplicates
 *     the first wins (what getenv(3) returns);
 *   - a secret replaces an inherited variable of the same name in place;
 *     new names follow, in the order of secrets;
 *   - values are copied byte for byte (newlines, quotes, '$', '=', UTF-8).
 * A secret name that cannot be an environment entry (empty, or holding
 * '=') is an error naming it: nothing is half-built.
 * Returns a NULL-terminated malloc'd array of malloc'd "NAME=value"
 * strings (free with environment_free), or NULL after printing why.
 */
char **environment_build(char **inherited, const struct kvset *secrets);

/* Wipe and free what environment_build returned. NULL is allowed. */
void environment_free(char **envp);

#endif
