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
	struct http *h = http_new(environ);
	char *token = NULL;
	int rc = -1;

	if (!h) {
		log_error("unable to start libcurl: out of memory");
		return -1;
	}
	token = auth_get_token(h, cfg);
	if (token) {
		rc = secrets_fetch(h, cfg, token, out);
		explicit_bzero(token, strlen(token));
		free(token);
	}
	http_free(h);
	return rc;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct kvset secrets;
	char **envp = NULL, **command;
	enum config_status cs;
	int rc = EXIT_SHIM_FAILED;

	kvset_init(&secrets);

	/* 1. config: flags and environment variables. */
	cs = config_load(&cfg, argc, argv, environ);
	if (cs != CONFIG_OK) {
		if (cs == CONFIG_VERSION)
			print_version();
		config_free(&cfg);
		return cs == CONFIG_FAILED ? EXIT_SHIM_FAILED : 0;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("unable to initialize libcurl");
		config_free(&cfg);
		return EXIT_SHIM_FAILED;
	}

	/* 2, 3. auth and fetch: machine identity -> token -> secrets. */
	if (fetch_secrets(&cfg, &secrets) == 0)
		/* 4. environment: inherited, minus credentials, plus secrets. */
		envp = environment_build(environ, &secrets);
	kvset_free(&secrets);
	curl_global_cleanup();
	command = cfg.command;	/* points into argv: outlives cfg */
	config_free(&cfg);	/* wipes the credentials before exec */

	/* 5. exec: the command replaces this process. */
	if (envp) {
		rc = exec_command(command, envp);
		environment_free(envp);
	}
	return rc;
}
