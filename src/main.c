/*
 * infx-exec - fetch a service's secrets from Infisical, then become the
 * service. The data flows one way:
 *
 *   config -> auth -> fetch -> environment -> exec
 *
 * Each phase is one module; main only strings them together and turns
 * their status into an exit code (125 for any failure before exec).
 */
#include "auth.h"
#include "config.h"
#include "environment.h"
#include "exec.h"
#include "http.h"
#include "kvset.h"
#include "log.h"
#include "secrets.h"
#include "user.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
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

/* auth -> fetch, on one connection. Returns 0 with the secrets in out. */
static int fetch_secrets(const struct config *cfg, struct kvset *out)
{
	struct http *h;
	char *token;
	int rc = -1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("unable to initialize libcurl");
		return -1;
	}
	h = http_new(environ, cfg->ca_file, &cfg->headers);
	if (!h) {
		log_error("unable to start libcurl: out of memory");
	} else if ((token = auth_get_token(h, cfg)) != NULL) {
		rc = secrets_fetch(h, cfg, token, out);
		explicit_bzero(token, strlen(token));
		free(token);
	}
	http_free(h);
	curl_global_cleanup();
	return rc;
}

/* --check: one line per variable from Infisical, "NAME<TAB>SOURCE". */
static void print_check(const struct kvset *applied)
{
	size_t i;

	for (i = 0; i < applied->count; i++) {
		const struct kv *e = &applied->items[i];

		fwrite(e->name, 1, e->name_len, stdout);
		printf("\t%s\n", e->source ? e->source : "");
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct run_as user = { 0 };
	struct kvset secrets, applied;
	char **envp = NULL, **command;
	enum config_status cs;
	int rc = EXIT_SHIM_FAILED;

	kvset_init(&secrets);
	kvset_init(&applied);

	/* 1. config: flags and environment variables, the target user. */
	cs = config_load(&cfg, argc, argv, environ);
	if (cs == CONFIG_OK && cfg.user && user_resolve(cfg.user, &user) != 0)
		cs = CONFIG_FAILED;
	if (cs != CONFIG_OK) {
		if (cs == CONFIG_VERSION)
			print_version();
		config_free(&cfg);
		return cs == CONFIG_FAILED ? EXIT_SHIM_FAILED : 0;
	}

	/* 2, 3. auth and fetch: machine identity -> token -> secrets. */
	if (fetch_secrets(&cfg, &secrets) == 0)
		/* 4. environment: inherited, minus credentials, plus secrets. */
		envp = environment_build(environ, &secrets, &cfg,
					 cfg.user ? user.home : NULL,
					 cfg.check ? &applied : NULL);
	kvset_free(&secrets);
	if (envp && cfg.check) {
		print_check(&applied);
		rc = 0;
		environment_free(envp);
		envp = NULL;
	}
	kvset_free(&applied);
	command = cfg.command;	/* points into argv: outlives cfg */
	if (envp && cfg.user && user_switch(&user) != 0) {
		environment_free(envp);
		envp = NULL;
	}
	config_free(&cfg);	/* wipes the credentials before exec */
	user_free(&user);

	/* 5. exec: the command replaces this process. */
	if (envp) {
		rc = exec_command(command, envp);
		environment_free(envp);
	}
	return rc;
}
