/*
 * parse_driver - the "response -> environment" step of infx-exec, alone,
 * for instruction counts under callgrind (bench/costs.py):
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_step \
 *       parse_driver BODY.json [step|arena]
 *   valgrind --tool=callgrind --toggle-collect=bench_nulscan \
 *       parse_driver BODY.json nulscan
 *
 * BODY.json is one list answer of the test server (GET /api/v4/secrets).
 * bench_step() is what src/fetch.c (fetch_path, fetch_paths) and
 * src/main.c do with the body of one path once it has arrived, through
 * the same functions: answer_secrets into a per-path set (the body is
 * consumed), answer_merge_path into the result (a later path wins), free
 * the per-path set, environment_build from a typical container
 * environment (which looks for unresolved ${...} references), free the
 * secrets (main.c).
 * Only the HTTP transfer is left out. The environment it builds is freed
 * outside bench_step (execve replaces it in the real program).
 * Links the project's own sources (src/, without main.c) unchanged.
 * Prints the number of variables built, so a broken step is visible.
 *
 * Two what-ifs, measured here without touching src/:
 *   arena    the same step with cJSON's allocations on a bump arena (one
 *            malloc, wiped and freed once at the end) instead of the
 *            per-block wiping hooks of answer.c; also prints the bytes
 *            the parsed tree took from the arena;
 *   nulscan  only a memchr-driven scan for the \u0000 escape (what
 *            answer.c's prescan does with strcspn, counting values as it
 *            goes); prints the number of bodies that hold one (0 or 1).
 */
#include "answer.h"
#include "ca_bundle.h"
#include "environment.h"
#include "kvset.h"
#include "mem.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* http.c refers to the built-in roots; this step never uses TLS. */
const char infx_ca_bundle[] = "";
const size_t infx_ca_bundle_len = 0;

/* What a container typically inherits (credentials are dropped). */
static char *inherited[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOSTNAME=3f2a9c1d7b42",
	"HOME=/root",
	"LANG=C.UTF-8",
	"NODE_VERSION=20.11.1",
	"INFISICAL_API_URL=http://infisical-backend:8080",
	"INFISICAL_PROJECT_ID=6b9840a0-8e69-42a9-879e-c8f739eadf8a",
	"INFISICAL_ENVIRONMENT=prod",
	"INFISICAL_UNIVERSAL_AUTH_CLIENT_ID=0b4f5e3c-member-client-id",
	"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET=member-client-secret",
	NULL
};

static char *command[] = { "/bin/true", NULL };

/* The arena what-if: cJSON's blocks carved from one region. */
static char *arena;
static size_t arena_used, arena_cap, arena_peak;

static void *arena_malloc(size_t n)
{
	size_t at = (arena_used + 15) & ~(size_t)15;

	if (!arena || n > arena_cap - at)
		return NULL;
	arena_used = at + n;
	return arena + at;
}

static void arena_free(void *p)
{
	(void)p;
}

__attribute__((noinline)) size_t bench_nulscan(const char *json, size_t len)
{
	const char *p = json, *end = json + len;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		const char *q = p;

		while (q < end && *q == '\\')
			q++;
		if (((size_t)(q - p)) % 2 == 1 && end - q >= 5 &&
		    memcmp(q, "u0000", 5) == 0)
			return 1;
		p = q;
	}
	return 0;
}

__attribute__((noinline)) char **bench_step(char *json, size_t len,
					    const struct env_rules *rules,
					    int use_arena)
{
	struct http_response resp = { .body = json, .len = len };
	struct kvset one, secrets;
	char err[512];
	char **envp = NULL;

	if (use_arena) {
		/* cJSON needs about 7 bytes per byte of such an answer. */
		cJSON_Hooks hooks = { arena_malloc, arena_free };

		arena_cap = len * 10 + 65536;
		arena_used = 0;
		arena = malloc(arena_cap);
		cJSON_InitHooks(&hooks);
	}
	kvset_init(&one);
	kvset_init(&secrets);
	if (answer_secrets(&resp, "/", &one, err, sizeof err) != 0) {
		fprintf(stderr, "parse_driver: %s\n", err);
		goto out;
	}
	answer_merge_path(&secrets, &one);
	kvset_free(&one);
	envp = environment_build(inherited, &secrets, rules, NULL);
out:
	kvset_free(&one);
	kvset_free(&secrets);
	if (use_arena) {
		arena_peak = arena_used;
		explicit_bzero(arena, arena_used);
		free(arena);
		arena = NULL;
	}
	return envp;
}

static char *read_file(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(name);
		exit(2);
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

int main(int argc, char **argv)
{
	struct strlist none = { 0 };
	struct env_rules rules = {
		.preserve = &none, .require = &none, .allow = &none,
		.references = REFS_WARN, .command = command,
	};
	size_t len, n = 0;
	char *json;
	char **envp;
	const char *mode = argc > 2 ? argv[2] : "step";

	if (argc < 2 || (strcmp(mode, "step") && strcmp(mode, "arena") &&
			 strcmp(mode, "nulscan"))) {
		fputs("usage: parse_driver BODY.json [step|arena|nulscan]\n", stderr);
		return 2;
	}
	json = read_file(argv[1], &len);
	if (strcmp(mode, "nulscan") == 0) {
		printf("%zu\n", bench_nulscan(json, len));
		free(json);
		return 0;
	}
	answer_init();
	/* The body is consumed by the step (answer_secrets frees it). */
	envp = bench_step(json, len, &rules, strcmp(mode, "arena") == 0);
	if (!envp)
		return 1;
	for (n = 0; envp[n]; n++)
		;
	environment_free(envp);
	if (strcmp(mode, "arena") == 0)
		printf("%zu %zu\n", n, arena_peak);	/* variables, bytes cJSON took */
	else
		printf("%zu\n", n);
	return 0;
}
