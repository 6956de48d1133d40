/* run.c - fetch, build the environment, exec: the phases of one start. */
#include "run.h"

#include "check.h"
#include "environment.h"
#include "exec.h"
#include "exitcodes.h"
#include "log.h"
#include "signals.h"

#include <string.h>

extern char **environ;

int run_stopped(int sig)
{
	log_error("stopped by %s before starting the command",
		  signals_name(sig));
	return EXIT_SIGNAL_BASE + sig;
}

int run_fetch(struct run *r, struct fetch_memo *memo)
{
	enum api_status st = fetch_secrets(&r->cfg, &r->creds, environ, memo,
					   &r->secrets);

	credentials_free(&r->creds);
	if (st == API_INTERRUPTED)
		return run_stopped(signals_caught());
	return st == API_OK ? RUN_GO : EXIT_SHIM_FAILED;
}

int run_environment(struct run *r)
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

	/* What was applied matters to --check and to watch mode only. */
	r->envp = environment_build(environ, &r->secrets, &rules,
				    cfg->check || cfg->watch ? &r->applied :
				    NULL);
	if (!r->envp)
		return EXIT_SHIM_FAILED;
	if (cfg->check)
		return check_print(&r->applied) == 0 ? 0 : EXIT_SHIM_FAILED;
	return RUN_GO;
}

int run_exec(struct run *r)
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
	kvset_free(&r->applied);
	sig = signals_release();
	if (sig)
		return run_stopped(sig);
	return exec_command(cfg->command, r->envp);
}

void run_free(struct run *r)
{
	config_free(&r->cfg);
	credentials_free(&r->creds);
	user_free(&r->user);
	kvset_free(&r->secrets);
	kvset_free(&r->applied);
	environment_free(r->envp);
	r->envp = NULL;
}
