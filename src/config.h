/* config.h - flags and environment variables -> struct config (no secret). */
#ifndef INFX_CONFIG_H
#define INFX_CONFIG_H

#include <stddef.h>

#include "strlist.h"

struct config {
	/* What to fetch. */
	char *api_url;		/* origin + "/api", no trailing slash */
	const char *project_id;	/* Infisical project id */
	const char *environment;	/* environment slug, e.g. "dev" */
	struct strlist paths;	/* secret paths, in order; at least "/" */
	int recursive;		/* also every sub-folder of each path */
	int imports;		/* include secret imports (default 1) */
	int expand;		/* server expands references (default 1) */
	const char *tags;	/* comma list of tag slugs, or NULL */
	const char *auth_method;	/* INFISICAL_AUTH_METHOD, or NULL */
	const char *ca_file;	/* INFISICAL_CA_CERT_FILE, or NULL */

	/* How the command's environment is made. */
	int preserve_all;	/* inherited variables win over secrets */
	struct strlist preserve;	/* ... for these names only */
	struct strlist require;	/* names that must be set and non-empty */
	struct strlist allow;	/* reserved names a secret may set anyway */
	int allow_empty;	/* zero secrets in a path is not an error */
	int strict;		/* unresolved ${...} references are errors */
	const char *user;	/* USER[:GROUP] to run the command as, or NULL */
	int check;		/* print names and sources, run nothing */

	/* Reliability. */
	long timeout;		/* start-up budget, seconds (default 60) */
	int on_unavailable_run;	/* unreachable/5xx: run without secrets */
	long max_secrets;	/* more is an error (default 10000) */

	/* Watch mode (watch.h). */
	long watch;		/* poll every this many seconds; 0: exec */
	int on_change_exit;	/* a change stops the command and exits */
	long stop_timeout;	/* seconds from SIGTERM to SIGKILL (10) */

	char **command;		/* argv of the command (points into argv) */

	/* Parsing state: bit N set once a flag replaced the list of the
	 * variable table's entry N (config_set). */
	unsigned long long flag_lists;
};

enum config_status {
	CONFIG_OK = 0,		/* run the flow */
	CONFIG_HELP,		/* --help asked: the caller prints, exit 0 */
	CONFIG_VERSION,		/* --version asked: the caller prints, exit 0 */
	CONFIG_FAILED		/* a message was printed: exit 125 */
};

/*
 * Read the configuration from argv (flags win) and envp (environment
 * variables; the container interface). Option parsing stops at "--" or at
 * the first operand: what follows is the command's argv, unchanged. An
 * empty variable counts as unset (compose writes "NAME=" for a variable it
 * could not fill). Credentials are not read here (credentials.h).
 * A variable named INFX_* that infx-exec does not know (a typo such as
 * INFX_REQUIRES) gets one warning naming the closest known one; likewise an
 * INFISICAL_* variable one or two letters away from a known one.
 * On CONFIG_FAILED one "infx-exec: ..." line has been printed on stderr
 * (unknown option, bad value of a setting, missing project or environment,
 * a URL that is not http(s), no command). Release cfg with config_free in
 * every case.
 */
enum config_status config_load(struct config *cfg, int argc, char **argv,
			       char **envp);

/*
 * config_load in steps, for a tool with flags of its own (infx-import):
 *   config_init            every setting at its default;
 *   config_read_variables  the variables of envp, through the one table
 *                          (same values, ranges and messages as
 *                          infx-exec's), and the warnings for misspelt
 *                          INFX_* / INFISICAL_* names;
 *   config_set             one flag's value, applied through its
 *                          variable's entry: variable is the table's name
 *                          (e.g. "INFISICAL_API_URL"), flag what the user
 *                          wrote ("--api-url"), for messages; a list
 *                          variable's list is replaced by the first flag
 *                          and added to by the next ones; an empty URL
 *                          flag is an error;
 *   config_finish          the checks that need every setting: a project
 *                          and an environment when need_target (else they
 *                          may be unset), paths starting with '/' (none
 *                          given: "/"), the API URL's shape, then its
 *                          normalised form ("/api" added).
 * Each returns 0 (config_init: nothing), or -1 after one line naming the
 * variable or flag. variable must be a name of the table.
 */
void config_init(struct config *cfg);
int config_read_variables(struct config *cfg, char **envp);
int config_set(struct config *cfg, const char *variable, const char *value,
	       const char *flag);
int config_finish(struct config *cfg, int need_target);

/* Free what config_load (or the steps) allocated. */
void config_free(struct config *cfg);

/* The --help text (stdout, exit 0). */
extern const char config_usage[];

#endif
