/* Unit tests (cmocka) for the configuration parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "credentials.h"
#include "log.h"
#include "strings.h"

static int count(char **v)
{
	int n = 0;

	while (v[n])
		n++;
	return n;
}

/* Found by fuzz_config: a parse that stopped inside "-hV" left getopt
 * pointing into that argv; the next parse read the stale 'V' (or, when
 * the first argv was freed, memory after free). */
static void second_parse_forgets_the_first(void **state)
{
	static const char *const a1[] = { "infx-exec", "-hV", NULL };
	static const char *const a2[] = { "infx-exec", "-e", "dev", "--",
					  "true", NULL };
	static const char *const env[] = { "INFISICAL_PROJECT_ID=p",
					   "INFISICAL_TOKEN=t", NULL };
	char **first = strings(a1), **argv = strings(a2);
	char **envp = strings(env);
	struct config cfg;

	(void)state;
	assert_int_equal(config_load(&cfg, count(first), first, envp),
			 CONFIG_HELP);
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, count(argv), argv, envp),
			 CONFIG_OK);
	assert_string_equal(cfg.environment, "dev");
	assert_string_equal(cfg.command[0], "true");
	config_free(&cfg);
	strings_free(first);
	strings_free(argv);
	strings_free(envp);
}

static void flags_win_and_lists_split(void **state)
{
	static const char *const a[] = { "infx-exec", "--path", "/a, /b",
					 "--path", "/c", "--env", "prod",
					 "--timeout", "7", "cmd", "--path",
					 "x", NULL };
	static const char *const env[] = {
		"INFISICAL_PROJECT_ID=p", "INFISICAL_ENVIRONMENT=dev",
		"INFISICAL_SECRET_PATH=/ignored", "INFISICAL_TOKEN=t",
		"INFX_REQUIRE=A,,B ,", "INFX_PRESERVE_ENV=no", NULL };
	char **argv = strings(a), **envp = strings(env);
	struct config cfg;

	(void)state;
	assert_int_equal(config_load(&cfg, count(argv), argv, envp),
			 CONFIG_OK);
	assert_int_equal(cfg.paths.n, 3);
	assert_string_equal(cfg.paths.v[1], "/b");
	assert_string_equal(cfg.environment, "prod");
	assert_int_equal(cfg.timeout, 7);
	assert_int_equal(cfg.require.n, 2);
	assert_string_equal(cfg.require.v[1], "B");
	assert_int_equal(cfg.preserve_all, 0);
	assert_int_equal(cfg.preserve.n, 0);
	assert_string_equal(cfg.command[1], "--path");
	assert_string_equal(cfg.api_url, "https://app.infisical.com/api");
	config_free(&cfg);
	strings_free(argv);
	strings_free(envp);
}

static void custom_headers_as_the_cli_reads_them(void **state)
{
	static const char *const env[] = {
		"INFISICAL_PROJECT_ID=p", "INFISICAL_ENVIRONMENT=dev",
		"INFISICAL_TOKEN=t",
		"INFISICAL_CUSTOM_HEADERS=  A=1 B= \"two words\" C='x\\'y' "
		"user-agent=no Accept=no D=", NULL };
	char **envp = strings(env);
	struct credentials c;

	(void)state;
	assert_int_equal(credentials_load(&c, envp, NULL), 0);
	assert_int_equal(c.headers.n, 4);
	assert_string_equal(c.headers.v[0], "A: 1");
	assert_string_equal(c.headers.v[1], "B: two words");
	assert_string_equal(c.headers.v[2], "C: x\\'y");
	assert_string_equal(c.headers.v[3], "D: ");
	credentials_free(&c);
	strings_free(envp);
}

/* As Infisical's JavaScript trim(): a byte-order mark and white space
 * around a credential are not part of it. */
static void credentials_are_trimmed(void **state)
{
	static const char *const env[] = {
		"INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=\xef\xbb\xbf id \r\n",
		"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=\t\xef\xbb\xbfs e\xef\xbb\xbf",
		NULL };
	static const char *const blank[] = {
		"INFISICAL_TOKEN= \xef\xbb\xbf\n", NULL };
	char **envp = strings(env), **envb = strings(blank);
	struct credentials c;

	(void)state;
	assert_int_equal(credentials_load(&c, envp, NULL), 0);
	assert_int_equal(c.method, AUTH_UNIVERSAL);
	assert_string_equal(c.client_id, "id");
	assert_string_equal(c.client_secret, "s e");
	credentials_free(&c);
	assert_int_equal(credentials_load(&c, envb, NULL), -1);
	credentials_free(&c);
	strings_free(envp);
	strings_free(envb);
}

/* INFX_PRESERVE_ENV=names, then --preserve-env=A: the flag replaces the
 * variable's list; repeated, it adds. */
static void list_flags_replace_then_add(void **state)
{
	static const char *const a[] = { "infx-exec", "--preserve-env=A",
					 "--preserve-env=B", "--require", "R",
					 "x", NULL };
	static const char *const env[] = {
		"INFISICAL_PROJECT_ID=p", "INFISICAL_ENVIRONMENT=dev",
		"INFX_PRESERVE_ENV=X,Y", "INFX_REQUIRE=Q", NULL };
	char **argv = strings(a), **envp = strings(env);
	struct config cfg;

	(void)state;
	assert_int_equal(config_load(&cfg, count(argv), argv, envp),
			 CONFIG_OK);
	assert_int_equal(cfg.preserve.n, 2);
	assert_string_equal(cfg.preserve.v[0], "A");
	assert_string_equal(cfg.preserve.v[1], "B");
	assert_int_equal(cfg.require.n, 1);
	assert_string_equal(cfg.require.v[0], "R");
	config_free(&cfg);
	strings_free(argv);
	strings_free(envp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(second_parse_forgets_the_first),
		cmocka_unit_test(flags_win_and_lists_split),
		cmocka_unit_test(custom_headers_as_the_cli_reads_them),
		cmocka_unit_test(credentials_are_trimmed),
		cmocka_unit_test(list_flags_replace_then_add),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
