/* environment.h - the command's environment: inherited + secrets. */
#ifndef INFX_ENVIRONMENT_H
#define INFX_ENVIRONMENT_H

#include "kvset.h"
#include "strlist.h"

/* The rules environment_build applies (docs/configuration.md). */
struct env_rules {
	int preserve_all;		/* inherited variables win */
	const struct strlist *preserve;	/* ... for these names only */
	const struct strlist *require;	/* must end up set and non-empty */
	const struct strlist *allow;	/* reserved names allowed anyway */
	enum { REFS_IGNORE, REFS_WARN, REFS_REFUSE } references;
	const char *home;		/* HOME for the command, or NULL */
	char **command;			/* its argv, for the ARG_MAX check */
};

/*
 * Build the envp for execve(2) from the shim's own environment (inherited,
 * "NAME=value" strings), the fetched secrets and the rules:
 *   - the shim's credential variables (credentials_is_variable) are left
 *     out, so the command never sees how the secrets were obtained; an
 *     inherited entry without '=' is left out; of inherited duplicates the
 *     first wins (what getenv(3) returns);
 *   - reserved names (docs/configuration.md): a secret may not set a
 *     dynamic-loader variable (LD_*, GCONV_PATH, GLIBC_TUNABLES...), a
 *     start-up hook of a shell or runtime (BASH_ENV, NODE_OPTIONS,
 *     PYTHONPATH, JAVA_TOOL_OPTIONS...), the TLS trust (SSL_CERT_FILE,
 *     SSL_CERT_DIR) nor the shim's own INFISICAL_* and INFX_* variables
 *     (an error), and a secret
 *     named like a variable of the container's shell (the official CLI's
 *     list: HOME, PATH, USER, SHELL, TERM, PWD, LC_*, XDG_*...) is not
 *     applied, with a warning; names listed in rules->allow pass;
 *   - a secret replaces an inherited variable of the same name in place,
 *     unless rules->preserve_all or the name is in rules->preserve; new
 *     names follow in the order of secrets; values are byte for byte;
 *   - a value that still holds a ${...} reference (answer_has_reference)
 *     gets a warning naming it, or is an error (REFS_REFUSE);
 *   - rules->home, when not NULL, sets HOME (the privilege drop, su-exec);
 *   - every name in rules->require must end up set and non-empty;
 *   - each "NAME=value" must fit the kernel's limit for one string
 *     (MAX_ARG_STRLEN, 128 KiB) and all of them with rules->command within
 *     ARG_MAX, else execve would fail with E2BIG.
 * A secret name that cannot be an environment entry (empty, or holding
 * '=') is an error naming it. Nothing is half-built: on any error, NULL.
 * applied, when not NULL, receives name -> source of each secret that made
 * it into the environment (for --check; values are left empty).
 * Returns a NULL-terminated malloc'd array of malloc'd "NAME=value"
 * strings (free with environment_free), or NULL after printing why.
 */
char **environment_build(char **inherited, const struct kvset *secrets,
			 const struct env_rules *rules, struct kvset *applied);

/* The reserved-name policy of environment_build for one name (len bytes),
 * before INFX_ALLOW_RESERVED: NAME_OK, NAME_DROP (not applied, with a
 * warning) or NAME_REFUSE (an error). infx-import skips what infx-exec
 * would not apply. */
enum name_rule { NAME_OK, NAME_DROP, NAME_REFUSE };
enum name_rule environment_name_rule(const char *name, size_t len);

/* Wipe and free what environment_build returned. NULL is allowed. */
void environment_free(char **envp);

#endif
