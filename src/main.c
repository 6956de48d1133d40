/*
 * infx-exec - fetch a service's secrets from Infisical, then become the
 * service. The data flows one way:
 *
 *   config -> auth -> fetch -> environment -> exec
 *
 * Each phase is one module; main only strings them together and turns
 * their status into an exit code (125 for any failure before exec).
 */
#include "api.h"
#include "auth.h"
#include "config.h"
#include "environment.h"
#include "exec.h"
#include "http.h"
#include "kvset.h"
#include "log.h"
#include "process.h"
#include "secrets.h"
#include "signals.h"
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

static void drop_token(char **token)
{
	if (*token) {
		explicit_bzero(*token, strlen(*token));
		free(*token);
		*token = NULL;
	}
}

/*
 * auth -> fetch, on one connection and within the start-up budget. A
 * token refused by the list call (expired, revoked) gets one fresh login,
 * never more.
 */
static enum api_status fetch_secrets(const struct config *cfg,
				     struct kvset *out)
{
	long long deadline = http_now_ms() + cfg->timeout * 1000;
	struct http *h;
	char *token = NULL;
	enum api_status st;

	if (http_global_init() != 0) {
		log_error("unable to initialize libcurl");
		return API_FAILED;
	}
	h = http_new(environ, cfg->ca_file, &cfg->headers, deadline);
	if (!h) {
		log_error("unable to start libcurl: out of memory");
		st = API_FAILED;
	} else if ((st = auth_get_token(h, cfg, &token)) == API_OK) {
		st = secrets_fetch(h, cfg, token, cfg->auth != AUTH_TOKEN, out);
		if (st == API_TOKEN_REJECTED) {
			kvset_free(out);
			drop_token(&token);
			st = auth_get_token(h, cfg, &token);
			if (st == API_OK)
				st = secrets_fetch(h, cfg, token, 0, out);
		}
	}
	drop_token(&token);
	http_free(h);
	curl_global_cleanup();
	return st;
}

/*
 * --check: one line per variable from Infisical, "NAME<TAB>SOURCE", sorted
 * by name (bytewise). Both
 * come from the server: control characters become '?', so that a name
 * cannot add lines or send terminal escapes.
 */
static int by_name(const void *a, const void *b)
{
	const struct kv *x = *(const struct kv *const *)a;
	const struct kv *y = *(const struct kv *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static void print_check(const struct kvset *applied)
{
	const struct kv **sorted = malloc(applied->count * sizeof *sorted + 1);
	char name[512], source[512];
	size_t i;

	if (!sorted) {
		log_error("unable to sort the --check output: out of memory");
		return;
	}
	for (i = 0; i < applied->count; i++)
		sorted[i] = &applied->items[i];
	qsort(sorted, applied->count, sizeof *sorted, by_name);
	for (i = 0; i < applied->count; i++) {
		const struct kv *e = sorted[i];
		const char *src = e->source ? e->source : "";

		printf("%s\t%s\n", log_sanitize(name, sizeof name, e->name,
						e->name_len),
		       log_sanitize(source, sizeof source, src, strlen(src)));
	}
	free(sorted);
	fflush(stdout);
}

/* The opt-in fallback: Infisical unreachable, run without its secrets. */
static enum api_status fall_back(const struct config *cfg, enum api_status st)
{
	if (st != API_UNAVAILABLE || !cfg->on_unavailable_run || cfg->check)
		return st;
	/* At error level: --quiet must not hide this. */
	log_error("warning: INFISICAL IS UNAVAILABLE: running the command "
		  "WITHOUT ITS SECRETS, with the inherited environment only "
		  "(INFX_ON_UNAVAILABLE=run)");
	return API_OK;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct run_as user = { 0 };
	struct kvset secrets, applied;
	char **envp = NULL, **command;
	enum config_status cs;
	enum api_status st;
	int rc = EXIT_SHIM_FAILED;

	process_init();
	api_init();
	kvset_init(&secrets);
	kvset_init(&applied);

	/* 1. config: flags and environment variables, the target user. */
	cs = config_load(&cfg, argc, argv, environ);
	if (cs == CONFIG_OK && cfg.user && user_resolve(cfg.user, &user) != 0)
		cs = CONFIG_FAILED;
	if (cs == CONFIG_OK && signals_catch() != 0) {
		log_error("unable to install signal handlers");
		cs = CONFIG_FAILED;
	}
	if (cs != CONFIG_OK) {
		if (cs == CONFIG_VERSION)
			print_version();
		config_free(&cfg);
		return cs == CONFIG_FAILED ? EXIT_SHIM_FAILED : 0;
	}

	/* 2, 3. auth and fetch: machine identity -> token -> secrets. */
	st = fall_back(&cfg, fetch_secrets(&cfg, &secrets));
	/* 4. environment: inherited, minus credentials, plus secrets. */
	if (st == API_OK)
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
	if (envp && cfg.user && user_switch(&user) != 0) {
		environment_free(envp);
		envp = NULL;
	}
	command = cfg.command;	/* points into argv: outlives cfg */
	config_free(&cfg);	/* wipes the credentials before exec */
	user_free(&user);

	/* Stopped while fetching: exit as a killed shell job would, never
	 * exec afterwards. */
	if (signals_caught()) {
		environment_free(envp);
		return 128 + signals_caught();
	}
	signals_restore();

	/* 5. exec: the command replaces this process. */
	if (envp) {
		rc = exec_command(command, envp);
		environment_free(envp);
	}
	return rc;
}
