/*
 * infx-exec - fetch a service's secrets from Infisical, then become the
 * service. The data flows one way, one phase per module:
 *
 *   config -> credentials -> fetch (auth, list) -> environment -> exec
 *
 * main() strings the phases together. Each phase returns GO or the exit
 * status to end with (exitcodes.h); one cleanup path wipes what the run
 * held. src/README.md has the module map and the error conventions.
 */
#include "answer.h"
#include "check.h"
#include "config.h"
#include "credentials.h"
#include "environment.h"
#include "exec.h"
#include "exitcodes.h"
#include "fetch.h"
#include "kvset.h"
#include "log.h"
#include "process.h"
#include "signals.h"
#include "user.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef INFX_VERSION
#define INFX_VERSION "dev"
#endif

/* A phase's result when the run goes on to the next phase. */
#define GO (-1)

extern char **environ;

/* Everything a run holds; run_free wipes and frees it all. */
struct run {
	struct config cfg;
	struct credentials creds;
	struct run_as user;
	struct kvset secrets;	/* fetched */
	struct kvset applied;	/* name -> source, for --check */
	char **envp;		/* the command's environment */
};

static void print_version(void)
{
	printf("infx-exec %s\n%s cJSON/%s\n", INFX_VERSION, curl_version(),
	       cJSON_Version());
}

/* A stop signal before the command ran: one line, and 128+N. */
static int stopped(int sig)
{
	log_error("stopped by %s before starting the command",
		  signals_name(sig));
	return EXIT_SIGNAL_BASE + sig;
}

/* 1. Flags and variables, the machine identity, the target user. */
static int configure(struct run *r, int argc, char **argv)
{
	switch (config_load(&r->cfg, argc, argv, environ)) {
	case CONFIG_HELP:
		errno = 0;
		fputs(config_usage, stdout);
		return log_flush_stdout() == 0 ? 0 : EXIT_SHIM_FAILED;
	case CONFIG_VERSION:
		errno = 0;
		print_version();
		return log_flush_stdout() == 0 ? 0 : EXIT_SHIM_FAILED;
	case CONFIG_FAILED:
		return EXIT_SHIM_FAILED;
	case CONFIG_OK:
		break;
	}
	if (credentials_load(&r->creds, environ, r->cfg.auth_method) != 0)
		return EXIT_SHIM_FAILED;
	if (r->cfg.user && (user_resolve(r->cfg.user, &r->user) != 0 ||
			    user_can_switch(&r->user, r->cfg.user) != 0))
		return EXIT_SHIM_FAILED;
	return GO;
}

/* 2, 3. Machine identity -> access token -> secrets. The credentials are
 * wiped as soon as they have served. */
static int fetch(struct run *r)
{
	enum api_status st = fetch_secrets(&r->cfg, &r->creds, environ,
					   &r->secrets);

	credentials_free(&r->creds);
	if (st == API_INTERRUPTED)
		return stopped(signals_caught());
	return st == API_OK ? GO : EXIT_SHIM_FAILED;
}

/* 4. Inherited variables, minus credentials, plus secrets, by the rules. */
static int build_environment(struct run *r)
{
	const struct config *cfg = &r->cfg;
	struct env_rules rules = {
		.preserve_all = cfg->preserve_all, .preserve = &cfg->preserve,
		.require = &cfg->require, .allow = &cfg->allow,
		.references = !cfg->expand ? REFS_IGNORE :
			      cfg->strict ? REFS_REFUSE : REFS_WARN,
		.home = cfg->user ? r->user.home : NULL,
		.command = cfg->command,
	};

	r->envp = environment_build(environ, &r->secrets, &rules,
				    cfg->check ? &r->applied : NULL);
	if (!r->envp)
		return EXIT_SHIM_FAILED;
	if (cfg->check)
		return check_print(&r->applied) == 0 ? 0 : EXIT_SHIM_FAILED;
	return GO;
}

/* 5. Become the command: as the user asked, with the signal state that
 * infx-exec inherited. Returns only on failure. */
static int become_command(struct run *r)
{
	const struct config *cfg = &r->cfg;
	char name[128];
	int sig;

	if (cfg->user && user_switch(&r->user) != 0)
		return EXIT_SHIM_FAILED;
	log_info("%zu secrets from project '%s', environment '%s', %zu "
		 "path%s; running %s", r->secrets.count, cfg->project_id,
		 cfg->environment, cfg->paths.n, cfg->paths.n == 1 ? "" : "s",
		 log_sanitize(name, sizeof name, cfg->command[0],
			      strlen(cfg->command[0])));
	kvset_free(&r->secrets);
	sig = signals_release();
	if (sig)
		return stopped(sig);
	return exec_command(cfg->command, r->envp);
}

static void run_free(struct run *r)
{
	config_free(&r->cfg);
	credentials_free(&r->creds);
	user_free(&r->user);
	kvset_free(&r->secrets);
	kvset_free(&r->applied);
	environment_free(r->envp);
}

int main(int argc, char **argv)
{
	struct run r;
	int rc = GO;

	memset(&r, 0, sizeof r);
	process_init();
	answer_init();
	if (signals_catch() != 0) {
		log_error("unable to install signal handlers");
		rc = EXIT_SHIM_FAILED;
	}
	if (rc == GO)
		rc = configure(&r, argc, argv);
	if (rc == GO)
		rc = fetch(&r);
	if (rc == GO)
		rc = build_environment(&r);
	if (rc == GO)
		rc = become_command(&r);
	run_free(&r);
	return rc;
}
