/* Unit tests (cmocka) for infx-import's layout: parsing, folder names,
 * and the plan for one .env. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dotenv.h"
#include "kvset.h"
#include "layout.h"

static void folder_paths(void **state)
{
	static const char *const good[] = { "/", "/a", "/a-b/c_d/E9" };
	static const char *const bad[] = { "", "a", "//", "/a/", "/a//b",
					   "/a b", "/a.b", "/é" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(layout_folder_ok(good[i]));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(layout_folder_ok(bad[i]));
}

/* A reference before its source in the file: the plan still resolves
 * the source first; skips travel along references. */
static void plan_values_and_skips(void **state)
{
	static const char layout_text[] =
		"[/app]\n"
		"URL=pg://u:${ENV.shared.PASS}@db:${PORT}/x\n"
		"OPTIONAL=${NOT_THERE}\n"
		"USES_OPTIONAL=${ENV.app.OPTIONAL}\n"
		"LITERAL=kept $HOME as is\n"
		"[/shared]\n"
		"PASS=${DB_PASS}\n"
		"[/]\n"
		"ROOT=${ENV.ROOT2}\n"
		"ROOT2=${EMPTY}\n";
	static const char env_text[] =
		"DB_PASS='s3 cret'\nPORT=5432\nEMPTY=\nUNUSED=1\n";
	struct layout l;
	struct kvset env;
	struct layout_plan p;
	char err[256] = "";

	(void)state;
	kvset_init(&env);
	assert_int_equal(dotenv_parse(env_text, sizeof env_text - 1, &env,
				      err, sizeof err), 0);
	assert_int_equal(layout_parse(layout_text, sizeof layout_text - 1,
				      &l, err, sizeof err), 0);
	assert_int_equal(l.n, 7);
	assert_int_equal(l.folders.n, 3);
	assert_string_equal(l.folders.v[1], "/shared");

	layout_plan(&l, &env, "prod", &p);
	assert_int_equal(p.items[0].state, PLAN_WRITE);
	assert_string_equal(p.items[0].value,
			    "pg://u:${prod.shared.PASS}@db:5432/x");
	assert_int_equal(p.items[1].state, PLAN_NO_KEY);
	assert_string_equal(p.items[1].why, "NOT_THERE is not in the .env file");
	assert_int_equal(p.items[2].state, PLAN_NO_SOURCE);
	assert_string_equal(p.items[2].why,
			    "it refers to OPTIONAL in /app, which is skipped");
	assert_null(p.items[2].value);
	assert_string_equal(p.items[3].value, "kept $HOME as is");
	assert_string_equal(p.items[4].value, "s3 cret");
	assert_int_equal(p.items[5].state, PLAN_NO_SOURCE);
	assert_int_equal(p.items[6].state, PLAN_EMPTY_KEY);
	assert_string_equal(p.items[6].why, "EMPTY is empty in the .env file");
	assert_int_equal(p.unused.n, 1);
	assert_string_equal(p.unused.v[0], "UNUSED");
	layout_plan_free(&p, l.n);

	/* A dry run without an environment keeps ENV. */
	layout_plan(&l, &env, NULL, &p);
	assert_string_equal(p.items[0].value,
			    "pg://u:${ENV.shared.PASS}@db:5432/x");
	layout_plan_free(&p, l.n);
	layout_free(&l);
	kvset_free(&env);
}

static void errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "[/a]\nA=1\n\n[/b c]\n", "line 4: [/b c] is not a folder "
		  "path: '/' and names of letters, digits, '-' and '_'" },
		{ "[/a]\nA=${ENV.a.A}\n", "line 2: A in /a refers back to "
		  "itself through its references" },
		{ "[/a]\nA=${ENV.b.A}\n[/b]\nB=1\n", "line 2: A: ${ENV.b.A} "
		  "refers to /b/A, which the layout does not create" },
		{ "[/a]\nHOME=x\n", "line 2: HOME is a reserved name: "
		  "infx-exec would not set it" },
		{ "[/a]\nA=${ }\n", "line 2: A: ${ } is neither ${KEY} (a key "
		  "of the .env) nor ${ENV.folder.KEY} (a reference)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct layout l;
		char err[256] = "";

		assert_int_equal(layout_parse(bad[i].text, strlen(bad[i].text),
					      &l, err, sizeof err), -1);
		assert_string_equal(err, bad[i].why);
		layout_free(&l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(folder_paths),
		cmocka_unit_test(plan_values_and_skips),
		cmocka_unit_test(errors_name_the_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
