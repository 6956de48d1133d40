/*
 * infx-exec - fetch a service's secrets from Infisical, then become the
 * service. The data flows one way, one phase per module:
 *
 *   config -> credentials -> fetch (auth, list) -> environment -> exec
 *
 * main() strings the phases together (run.h has those after the
 * configuration). Each phase returns RUN_GO or the exit status to end with
 * (exitcodes.h); one cleanup path wipes what the run held. src/README.md
 * has the module map and the error conventions.
 */
#include "answer.h"
#include "config.h"
#include "credentials.h"
#include "exitcodes.h"
#include "log.h"
#include "process.h"
#include "run.h"
#include "signals.h"
#include "user.h"
#include "watch.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef INFX_VERSION
#define INFX_VERSION "dev"
#endif

extern char **environ;

static void print_version(void)
{
	printf("infx-exec %s\n%s cJSON/%s\n", INFX_VERSION, curl_version(),
	       cJSON_Version());
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
	return RUN_GO;
}

int main(int argc, char **argv)
{
	struct run r;
	int rc = RUN_GO;

	memset(&r, 0, sizeof r);
	process_init();
	answer_init();
	if (signals_catch() != 0) {
		log_error("unable to install signal handlers");
		rc = EXIT_SHIM_FAILED;
	}
	/* 1. config: flags and variables, credentials, the target user. */
	if (rc == RUN_GO)
		rc = configure(&r, argc, argv);
	/* Watch mode: stay as the parent, each start of the command a child
	 * that goes through the phases below. */
	if (rc == RUN_GO && r.cfg.watch && !r.cfg.check)
		rc = watch_run(&r);
	/* 2, 3. auth and fetch: machine identity -> token -> secrets. */
	if (rc == RUN_GO)
		rc = run_fetch(&r, NULL);
	/* 4. environment: inherited, minus credentials, plus secrets. */
	if (rc == RUN_GO)
		rc = run_environment(&r);
	/* 5. exec: the command replaces this process. */
	if (rc == RUN_GO)
		rc = run_exec(&r);
	run_free(&r);
	return rc;
}
