/* environment.c - keyed merge of inherited variables and secrets. */
#include "environment.h"

#include "answer.h"
#include "credentials.h"
#include "log.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/resource.h>

/* The kernel's limit on one argv or envp string, NUL included
 * (MAX_ARG_STRLEN = 32 pages in linux/binfmts.h). */
#define MAX_ARG_STRLEN (32 * 4096)

static int has_prefix(const char *name, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && memcmp(name, prefix, plen) == 0;
}

/* A word and its length, so a name is compared only to words as long. */
struct word {
	const char *s;
	size_t len;
};
#define W(s) { s, sizeof s - 1 }

static int in(const char *name, size_t len, const struct word *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i].len == len && memcmp(name, w[i].s, len) == 0)
			return 1;
	return 0;
}

/*
 * The reserved-name policy. Refused: what could make the command run code
 * it did not ship or trust servers it should not (the dynamic loader's and
 * glibc's variables, the start-up hooks of shells and language runtimes,
 * bash's exported functions and its options, whose xtrace would print
 * every expanded command line, secrets included, the TLS trust of
 * OpenSSL-based apps) and the shim's own configuration.
 * Dropped: the names `infisical run` drops (packages/util/secrets.go),
 * which describe the container, not the app.
 */
enum name_rule environment_name_rule(const char *name, size_t len)
{
	static const struct word refused[] = {
		W("GCONV_PATH"), W("GLIBC_TUNABLES"), W("LOCPATH"),
		W("NLSPATH"), W("MALLOC_TRACE"), W("BASH_ENV"), W("ENV"),
		W("SHELLOPTS"), W("BASHOPTS"), W("PS4"),
		W("NODE_OPTIONS"), W("NODE_PATH"), W("PERL5OPT"),
		W("PERL5LIB"), W("PERLLIB"), W("RUBYOPT"), W("RUBYLIB"),
		W("PYTHONSTARTUP"), W("PYTHONPATH"), W("JAVA_TOOL_OPTIONS"),
		W("_JAVA_OPTIONS"), W("JDK_JAVA_OPTIONS"), W("SSL_CERT_FILE"),
		W("SSL_CERT_DIR"),
	};
	static const struct word dropped[] = {
		W("HOME"), W("PATH"), W("PS1"), W("PS2"), W("PWD"),
		W("EDITOR"), W("XAUTHORITY"), W("USER"), W("TERM"),
		W("TERMINFO"), W("SHELL"), W("MAIL"),
	};

	if (has_prefix(name, len, "LD_") || has_prefix(name, len, "INFX_") ||
	    has_prefix(name, len, "INFISICAL_") ||
	    has_prefix(name, len, "BASH_FUNC_") ||
	    in(name, len, refused, sizeof refused / sizeof refused[0]))
		return NAME_REFUSE;
	if (has_prefix(name, len, "XDG_") || has_prefix(name, len, "LC_") ||
	    in(name, len, dropped, sizeof dropped / sizeof dropped[0]))
		return NAME_DROP;
	return NAME_OK;
}

/* A name made printable for a message. */
static const char *shown(const struct kv *e, char *buf, size_t n)
{
	return log_sanitize(buf, n, e->name, e->name_len);
}

/* Whether each secret may be applied: 1 yes, 0 dropped, -1 refused. */
static int check_name(const struct kv *e, const struct env_rules *rules)
{
	char a[128], b[128];

	if (e->name_len == 0) {
		log_error("a secret has an empty name, which cannot be an "
			  "environment variable; rename it in Infisical");
		return -1;
	}
	if (memchr(e->name, '=', e->name_len)) {
		log_error("secret '%s' has '=' in its name, which cannot be an "
			  "environment variable; rename it in Infisical",
			  shown(e, a, sizeof a));
		return -1;
	}
	switch (environment_name_rule(e->name, e->name_len)) {
	case NAME_OK:
		return 1;
	case NAME_REFUSE:
		if (strlist_has(rules->allow, e->name, e->name_len))
			return 1;
		log_error("secret '%s' may not set a reserved variable (one "
			  "that loads code, changes trust or configures "
			  "infx-exec); remove it from Infisical "
			  "or allow it with INFX_ALLOW_RESERVED=%s",
			  shown(e, a, sizeof a), shown(e, b, sizeof b));
		return -1;
	default:
		if (strlist_has(rules->allow, e->name, e->name_len))
			return 1;
		log_warn("secret '%s' is not applied: it names a variable of "
			 "the container itself (allow it with "
			 "INFX_ALLOW_RESERVED=%s)", shown(e, a, sizeof a),
			 shown(e, b, sizeof b));
		return 0;
	}
}

static void add_inherited(struct kvset *env, char **inherited)
{
	for (; inherited && *inherited; inherited++) {
		const char *entry = *inherited;
		const char *eq = strchr(entry, '=');
		size_t name_len;

		if (!eq)
			continue;
		name_len = (size_t)(eq - entry);
		if (credentials_is_variable(entry, name_len))
			continue;
		kvset_put(env, entry, name_len, eq + 1, strlen(eq + 1), NULL,
			  KV_KEEP);
	}
}

/* Warn about (or, REFS_REFUSE, refuse) a value still holding ${...}. */
static int check_reference(const struct kv *e, const struct env_rules *rules)
{
	char name[128];

	if (rules->references == REFS_IGNORE ||
	    !answer_has_reference(e->value, e->value_len))
		return 0;
	log_sanitize(name, sizeof name, e->name, e->name_len);
	if (rules->references == REFS_REFUSE) {
		log_error("secret '%s' still holds a ${...} reference after "
			  "expansion (a missing or empty secret, or a cycle); "
			  "fix it in Infisical or drop --strict", name);
		return -1;
	}
	log_warn("secret '%s' still holds a ${...} reference after expansion: "
		 "a missing or empty secret, or a cycle", name);
	return 0;
}

/* Returns 0, or -1 after a message. */
static int add_secrets(struct kvset *env, const struct kvset *secrets,
		       const struct env_rules *rules, struct kvset *applied)
{
	size_t i;

	for (i = 0; i < secrets->count; i++) {
		const struct kv *e = &secrets->items[i];
		int ok = check_name(e, rules);

		if (ok < 0)
			return -1;
		if (ok == 0)
			continue;
		/* Preserved: an inherited variable of that name wins. */
		if ((rules->preserve_all ||
		     strlist_has(rules->preserve, e->name, e->name_len)) &&
		    kvset_get(env, e->name, e->name_len))
			continue;
		if (check_reference(e, rules) != 0)
			return -1;
		kvset_put(env, e->name, e->name_len, e->value, e->value_len,
			  e->source, KV_REPLACE);
		if (applied)
			kvset_put(applied, e->name, e->name_len, "", 0,
				  e->source, KV_REPLACE);
	}
	return 0;
}

static int check_required(const struct kvset *env,
			  const struct env_rules *rules)
{
	size_t i;
	char safe[128];

	for (i = 0; i < rules->require->n; i++) {
		const char *name = rules->require->v[i];
		const struct kv *e = kvset_get(env, name, strlen(name));

		if (!e || e->value_len == 0) {
			log_error("required variable '%s' is %s (INFX_REQUIRE /"
				  " --require); add it in Infisical",
				  log_sanitize(safe, sizeof safe, name,
					       strlen(name)),
				  e ? "empty" : "not set");
			return -1;
		}
	}
	return 0;
}

/*
 * What execve(2) accepts for argv and envp together, as Linux computes it
 * (fs/exec.c): a quarter of the stack limit, at most 6 MiB (3/4 of
 * _STK_LIM), at least 128 KiB. musl's sysconf(_SC_ARG_MAX) answers a
 * constant, so the rule is applied here.
 */
static size_t arg_limit(void)
{
	const size_t floor = 32 * 4096, ceiling = 6 * 1024 * 1024;
	struct rlimit rl;
	size_t limit = ceiling;

	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < ceiling)
		limit = (size_t)(rl.rlim_cur / 4);
	return limit < floor ? floor : limit;
}

/* execve(2) limits: one string, and everything together (E2BIG). */
static int check_sizes(const struct kvset *env, char **argv)
{
	size_t arg_max = arg_limit();
	size_t total = 0, i;
	char safe[128];

	for (i = 0; i < env->count; i++) {
		const struct kv *e = &env->items[i];
		size_t n = e->name_len + e->value_len + 2;

		if (n > MAX_ARG_STRLEN) {
			log_error("variable '%s' is %zu bytes; the kernel takes "
				  "at most %d bytes per variable",
				  log_sanitize(safe, sizeof safe, e->name,
					       e->name_len), n - 1,
				  MAX_ARG_STRLEN - 1);
			return -1;
		}
		total += n + sizeof(char *);
	}
	for (; argv && *argv; argv++)
		total += strlen(*argv) + 1 + sizeof(char *);
	/* The kernel also copies the file name found in PATH, and the
	 * terminating NULL pointers. */
	total += PATH_MAX + 2 * sizeof(char *);
	if (total > arg_max) {
		log_error("the environment and arguments take %zu bytes, more "
			  "than the %zu the kernel allows (ARG_MAX)", total,
			  arg_max);
		return -1;
	}
	return 0;
}

/* "NAME=value" strings in the set's order. */
static char **flatten(const struct kvset *env)
{
	char **envp = xcalloc(env->count + 1, sizeof *envp);
	size_t i;

	for (i = 0; i < env->count; i++) {
		const struct kv *e = &env->items[i];
		char *s = xmalloc(e->name_len + e->value_len + 2);

		memcpy(s, e->name, e->name_len);
		s[e->name_len] = '=';
		memcpy(s + e->name_len + 1, e->value, e->value_len + 1);
		envp[i] = s;
	}
	return envp;
}

char **environment_build(char **inherited, const struct kvset *secrets,
			 const struct env_rules *rules, struct kvset *applied)
{
	struct kvset env;
	char **envp = NULL;

	kvset_init(&env);
	add_inherited(&env, inherited);
	if (add_secrets(&env, secrets, rules, applied) == 0) {
		if (rules->home)
			kvset_put(&env, "HOME", 4, rules->home,
				  strlen(rules->home), NULL, KV_REPLACE);
		if (check_required(&env, rules) == 0 &&
		    check_sizes(&env, rules->command) == 0)
			envp = flatten(&env);
	}
	kvset_free(&env);
	return envp;
}

void environment_free(char **envp)
{
	char **p;

	if (!envp)
		return;
	for (p = envp; *p; p++)
		wipe_free(*p);
	free(envp);
}
