/* Unit tests (cmocka) for the keyed set, the import merge and the
 * environment build: the pure steps between the response and execve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "environment.h"
#include "kvset.h"
#include "answer.h"
#include "mem.h"
#include "strings.h"

/* answer_secrets on a copy of json (the body is consumed). */
static int parse(const char *json, struct kvset *s, char *err, size_t n)
{
	struct http_response r = { .body = xmemdup(json, strlen(json)),
				   .len = strlen(json) };

	return answer_secrets(&r, "/", s, err, n);
}

static const char *value_of(const struct kvset *s, const char *name)
{
	const struct kv *e = kvset_get(s, name, strlen(name));

	return e ? e->value : NULL;
}

static void kvset_keeps_or_replaces_in_place(void **state)
{
	struct kvset s;

	(void)state;
	kvset_init(&s);
	assert_int_equal(kvset_put(&s, "A", 1, "1", 1, NULL, KV_KEEP), 1);
	assert_int_equal(kvset_put(&s, "B", 1, "2", 1, NULL, KV_KEEP), 1);
	assert_int_equal(kvset_put(&s, "A", 1, "3", 1, NULL, KV_KEEP), 0);
	assert_string_equal(value_of(&s, "A"), "1");
	assert_int_equal(kvset_put(&s, "A", 1, "4", 1, NULL, KV_REPLACE), 0);
	assert_string_equal(value_of(&s, "A"), "4");
	assert_int_equal(s.count, 2);
	assert_string_equal(s.items[0].name, "A");
	assert_null(kvset_get(&s, "C", 1));
	kvset_free(&s);
}

static void kvset_holds_many_names(void **state)
{
	struct kvset s;
	char name[32], value[32];
	int i;

	(void)state;
	kvset_init(&s);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof name, "K%d", i);
		snprintf(value, sizeof value, "v%d", i);
		assert_int_equal(kvset_put(&s, name, strlen(name), value,
					   strlen(value), NULL, KV_KEEP), 1);
	}
	assert_int_equal(s.count, 10000);
	assert_string_equal(value_of(&s, "K9999"), "v9999");
	assert_string_equal(s.items[5000].name, "K5000");
	kvset_free(&s);
}

static void kvset_names_are_bytes(void **state)
{
	struct kvset s;

	(void)state;
	kvset_init(&s);
	assert_int_equal(kvset_put(&s, "AB", 2, "x", 1, NULL, KV_KEEP), 1);
	assert_int_equal(kvset_put(&s, "A", 1, "y", 1, NULL, KV_KEEP), 1);
	assert_int_equal(kvset_put(&s, "", 0, "z", 1, NULL, KV_KEEP), 1);
	assert_string_equal(value_of(&s, ""), "z");
	assert_int_equal(s.count, 3);
	kvset_free(&s);
}

#define ITEM(k, v) "{\"secretKey\":\"" k "\",\"secretValue\":\"" v "\"}"

static void merge_own_over_imports_last_import_wins(void **state)
{
	const char *json = "{\"secrets\":[" ITEM("OWN", "own") ","
		ITEM("SHARED", "own") "],\"imports\":["
		"{\"secrets\":[" ITEM("SHARED", "first") ","
		ITEM("ONLY_FIRST", "1") "," ITEM("BOTH", "first") "]},"
		"{\"secrets\":[" ITEM("BOTH", "last") "," ITEM("BOTH", "dup")
		"," ITEM("ONLY_LAST", "2") "]}]}";
	struct kvset s;
	char err[256];

	(void)state;
	kvset_init(&s);
	assert_int_equal(parse(json, &s, err, sizeof err), 0);
	assert_string_equal(value_of(&s, "OWN"), "own");
	assert_string_equal(value_of(&s, "SHARED"), "own");
	assert_string_equal(value_of(&s, "BOTH"), "last");
	assert_string_equal(value_of(&s, "ONLY_FIRST"), "1");
	assert_string_equal(value_of(&s, "ONLY_LAST"), "2");
	assert_string_equal(kvset_get(&s, "OWN", 3)->source, "/");
	assert_string_equal(kvset_get(&s, "BOTH", 4)->source, "import ?:?");
	assert_int_equal(s.count, 5);
	kvset_free(&s);
}

/* Each of n answers is refused, with nothing kept and no value in the
 * reason; with the reason why when why is not NULL. */
static void refused_all(const char *const *bad, size_t n, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct kvset s;
		char err[256] = "";

		kvset_init(&s);
		assert_int_equal(parse(bad[i], &s, err, sizeof err), -1);
		assert_true(err[0] != '\0');
		assert_null(strstr(err, "x"));	/* no value in the reason */
		if (why)
			assert_string_equal(err, why);
		assert_int_equal(s.count, 0);
		kvset_free(&s);
	}
}

static void merge_rejects_bad_answers(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"secrets\":{}}",
		"{\"imports\":[]}",
		"{\"secrets\":[{\"secretKey\":\"A\"}]}",
		"{\"secrets\":[{\"secretKey\":1,\"secretValue\":\"x\"}]}",
		"{\"secrets\":[],\"imports\":{}}",
		"{\"secrets\":[],\"imports\":[{}]}",
		"{\"secrets\":[" ITEM("A", "x\\u0000y") "]}",
		"{\"secrets\":[]} trailing",
		"\"\\",	/* a backslash as the last byte (found by fuzzing) */
	};

	(void)state;
	refused_all(bad, sizeof bad / sizeof bad[0], NULL);
}

/* The answer is walked member by member: where "imports" stands, and a
 * second member of a name, change nothing. */
static void merge_walks_members_in_any_order(void **state)
{
	const char *json = "\xef\xbb\xbf { \"imports\" : [ {\"secrets\":["
		ITEM("SHARED", "import") "," ITEM("IMP", "i") "]} ] ,"
		"\"other\":{\"secrets\":[" ITEM("NO", "no") "]},"
		"\"secrets\":[" ITEM("SHARED", "own") "],"
		"\"secrets\":[" ITEM("SECOND", "no") "],"
		"\"imports\":[{\"secrets\":[" ITEM("LATE", "no") "]}] }\n";
	struct kvset s;
	char err[256];

	(void)state;
	kvset_init(&s);
	assert_int_equal(parse(json, &s, err, sizeof err), 0);
	assert_string_equal(value_of(&s, "SHARED"), "own");
	assert_string_equal(value_of(&s, "IMP"), "i");
	assert_int_equal(s.count, 2);
	kvset_free(&s);
}

/* A text that is not JSON further on is refused whole, after secrets were
 * merged, and before a secret's own error; nothing is kept. */
static void merge_refuses_what_cjson_refuses_whole(void **state)
{
	static const char *const bad[] = {
		"{\"secrets\":[" ITEM("A", "1") "]",
		"{\"secrets\":[" ITEM("A", "1") ",]}",
		"{\"secrets\":[" ITEM("A", "1") "]}}",
		"{\"secrets\":[" ITEM("A", "1") "],}",
		"{\"secrets\":[{}],\"x\":tru}",
		"{\"secrets\":[\xef\xbb\xbf" ITEM("A", "1") "]}",
		"{\"secrets\" [" ITEM("A", "1") "]}",
		"{1:2,\"secrets\":[]}",
	};

	(void)state;
	refused_all(bad, sizeof bad / sizeof bad[0], "the answer is not JSON");
}

/* JSON that is not an object has no "secrets"; nesting counts from the
 * whole text, as cJSON counts it (at most CJSON_NESTING_LIMIT levels),
 * though each secret is parsed on its own. */
static void merge_reads_other_json_and_depth_as_cjson_does(void **state)
{
	static const char *const not_objects[] = {
		" 2", "[]", "null", "\"x\"", "\xef\xbb\xbf[]",
	};
	char *json = xmalloc(2 * 1001 + 128), *p;
	struct kvset s;
	char err[256];
	int levels;

	(void)state;
	refused_all(not_objects, sizeof not_objects / sizeof not_objects[0],
		    "the answer has no \"secrets\" array");
	for (levels = 1000; levels <= 1001; levels++) {
		/* {"secrets":[{...,"k":[[...]]}]}: levels in all */
		p = json + snprintf(json, 64, "{\"secrets\":[{\"secretKey\":"
				    "\"A\",\"secretValue\":\"1\",\"k\":");
		memset(p, '[', (size_t)levels - 3);
		p += levels - 3;
		memset(p, ']', (size_t)levels - 3);
		p += levels - 3;
		memcpy(p, "}]}", 4);
		kvset_init(&s);
		err[0] = '\0';
		if (levels == 1000) {
			assert_int_equal(parse(json, &s, err, sizeof err), 0);
			assert_string_equal(value_of(&s, "A"), "1");
		} else {
			assert_int_equal(parse(json, &s, err, sizeof err), -1);
			assert_string_equal(err, "the answer is not JSON");
		}
		kvset_free(&s);
	}
	free(json);
}

/* A value larger than the arena's first chunk, with fields after it
 * (the tree's next block once overran such a chunk). */
static void merge_value_larger_than_an_arena_chunk(void **state)
{
	size_t big = 200000, i;
	char *json = xmalloc(big + 256), *p = json;
	struct kvset s;
	char err[256];

	(void)state;
	p += snprintf(p, 64, "{\"secrets\":[{\"secretKey\":\"BIG\","
		      "\"secretValue\":\"");
	memset(p, 'v', big);
	p += big;
	snprintf(p, 128, "\",\"secretComment\":\"after\",\"version\":1},"
		 ITEM("B", "2") "]}");
	kvset_init(&s);
	assert_int_equal(parse(json, &s, err, sizeof err), 0);
	assert_int_equal(kvset_get(&s, "BIG", 3)->value_len, big);
	assert_string_equal(value_of(&s, "B"), "2");
	for (i = 0; i < 8; i++)
		assert_int_equal(value_of(&s, "BIG")[i], 'v');
	kvset_free(&s);
	free(json);
}

static void merge_escaped_backslash_before_u0000_is_text(void **state)
{
	/* "\\u0000" is a backslash followed by "u0000": no NUL. */
	const char *json = "{\"secrets\":[" ITEM("A", "\\\\u0000") "]}";
	struct kvset s;
	char err[256];

	(void)state;
	kvset_init(&s);
	assert_int_equal(parse(json, &s, err, sizeof err), 0);
	assert_string_equal(value_of(&s, "A"), "\\u0000");
	kvset_free(&s);
}

static void environment_drops_credentials_and_secrets_win(void **state)
{
	static const char *const list[] = {
		"PATH=/bin", "API_KEY=old", "INFISICAL_TOKEN=t",
		"INFISICAL_TOKEN_FILE=/run/secrets/t",
		"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=s",
		"INFISICAL_TOKENX=kept", "NOEQUALS", "PATH=/second", NULL
	};
	char **inherited = strings(list);
	struct strlist none = { 0 };
	struct env_rules rules = { .preserve = &none, .require = &none,
				  .allow = &none };
	struct kvset secrets;
	char **envp;

	(void)state;
	kvset_init(&secrets);
	kvset_put(&secrets, "NEW", 3, "a\nb", 3, "path", KV_KEEP);
	kvset_put(&secrets, "API_KEY", 7, "new", 3, "path", KV_KEEP);
	envp = environment_build(inherited, &secrets, &rules, NULL);
	assert_non_null(envp);
	assert_string_equal(envp[0], "PATH=/bin");
	assert_string_equal(envp[1], "API_KEY=new");
	assert_string_equal(envp[2], "INFISICAL_TOKENX=kept");
	assert_string_equal(envp[3], "NEW=a\nb");
	assert_null(envp[4]);
	environment_free(envp);
	kvset_free(&secrets);
	strings_free(inherited);
}

static void environment_refuses_bad_names(void **state)
{
	static const char *const list[] = { "PATH=/bin", NULL };
	char **inherited = strings(list);
	struct strlist none = { 0 };
	struct env_rules rules = { .preserve = &none, .require = &none,
				  .allow = &none };
	struct kvset secrets;

	(void)state;
	kvset_init(&secrets);
	kvset_put(&secrets, "A=B", 3, "v", 1, "path", KV_KEEP);
	assert_null(environment_build(inherited, &secrets, &rules, NULL));
	kvset_free(&secrets);
	kvset_init(&secrets);
	kvset_put(&secrets, "", 0, "v", 1, "path", KV_KEEP);
	assert_null(environment_build(inherited, &secrets, &rules, NULL));
	kvset_free(&secrets);
	strings_free(inherited);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kvset_keeps_or_replaces_in_place),
		cmocka_unit_test(kvset_holds_many_names),
		cmocka_unit_test(kvset_names_are_bytes),
		cmocka_unit_test(merge_own_over_imports_last_import_wins),
		cmocka_unit_test(merge_rejects_bad_answers),
		cmocka_unit_test(merge_walks_members_in_any_order),
		cmocka_unit_test(merge_refuses_what_cjson_refuses_whole),
		cmocka_unit_test(merge_reads_other_json_and_depth_as_cjson_does),
		cmocka_unit_test(merge_value_larger_than_an_arena_chunk),
		cmocka_unit_test(merge_escaped_backslash_before_u0000_is_text),
		cmocka_unit_test(environment_drops_credentials_and_secrets_win),
		cmocka_unit_test(environment_refuses_bad_names),
	};

	answer_init();	/* cJSON's hooks, as the programs set them */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
