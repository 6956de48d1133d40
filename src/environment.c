/* environment.c - keyed merge of inherited variables and secrets. */
#include "environment.h"

#include "config.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* Check every secret name before building anything (fail closed). */
static int names_are_valid(const struct kvset *secrets)
{
	size_t i;

	for (i = 0; i < secrets->count; i++) {
		const struct kv *e = &secrets->items[i];
		char safe[128];

		if (e->name_len == 0) {
			log_error("a secret has an empty name, which cannot be "
				  "an environment variable; rename it in "
				  "Infisical");
			return 0;
		}
		if (memchr(e->name, '=', e->name_len)) {
			log_error("secret '%s' has '=' in its name, which cannot "
				  "be an environment variable; rename it in "
				  "Infisical", log_sanitize(safe, sizeof safe,
				  e->name, e->name_len));
			return 0;
		}
	}
	return 1;
}

static int add_inherited(struct kvset *env, char **inherited)
{
	for (; inherited && *inherited; inherited++) {
		const char *entry = *inherited;
		const char *eq = strchr(entry, '=');
		size_t name_len;

		if (!eq)
			continue;
		name_len = (size_t)(eq - entry);
		if (config_is_credential_var(entry, name_len))
			continue;
		if (kvset_put(env, entry, name_len, eq + 1, strlen(eq + 1),
			      NULL, KV_KEEP) < 0)
			return -1;
	}
	return 0;
}

static int add_secrets(struct kvset *env, const struct kvset *secrets)
{
	size_t i;

	for (i = 0; i < secrets->count; i++) {
		const struct kv *e = &secrets->items[i];

		if (kvset_put(env, e->name, e->name_len, e->value,
			      e->value_len, e->source, KV_REPLACE) < 0)
			return -1;
	}
	return 0;
}

/* "NAME=value" strings in the set's order. */
static char **flatten(const struct kvset *env)
{
	char **envp = calloc(env->count + 1, sizeof *envp);
	size_t i;

	if (!envp)
		return NULL;
	for (i = 0; i < env->count; i++) {
		const struct kv *e = &env->items[i];
		char *s = malloc(e->name_len + e->value_len + 2);

		if (!s) {
			environment_free(envp);
			return NULL;
		}
		memcpy(s, e->name, e->name_len);
		s[e->name_len] = '=';
		memcpy(s + e->name_len + 1, e->value, e->value_len + 1);
		envp[i] = s;
	}
	return envp;
}

char **environment_build(char **inherited, const struct kvset *secrets)
{
	struct kvset env;
	char **envp = NULL;

	if (!names_are_valid(secrets))
		return NULL;
	kvset_init(&env);
	if (add_inherited(&env, inherited) == 0 &&
	    add_secrets(&env, secrets) == 0)
		envp = flatten(&env);
	if (!envp)
		log_error("unable to build the environment: out of memory");
	kvset_free(&env);
	return envp;
}

void environment_free(char **envp)
{
	char **p;

	if (!envp)
		return;
	for (p = envp; *p; p++) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
	}
	free(envp);
}
