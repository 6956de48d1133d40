/* config.c - flags and environment variables -> struct config. */
#include "config.h"

#include "credentials.h"
#include "envp.h"
#include "log.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_API_URL "https://app.infisical.com"
#define DEFAULT_TIMEOUT 60
#define DEFAULT_MAX_SECRETS 10000
#define DEFAULT_STOP_TIMEOUT 10

const char config_usage[] =
"Usage: infx-exec [OPTION]... [--] COMMAND [ARG]...\n"
"Log in to Infisical with a machine identity, fetch the secrets of one\n"
"project and environment, add them to the environment and execute COMMAND\n"
"in place of infx-exec. Nothing is written to disk.\n"
"\n"
"Each option overrides its environment variable (shown after it).\n"
"Secrets:\n"
"      --api-url URL      INFISICAL_API_URL: the server; /api is added when\n"
"                         missing (default https://app.infisical.com)\n"
"      --project-id ID    INFISICAL_PROJECT_ID: the project id (required)\n"
"  -e, --env SLUG         INFISICAL_ENVIRONMENT: environment slug (required)\n"
"      --path PATH        INFISICAL_SECRET_PATH: secret path (default /);\n"
"                         repeat it or give a comma list: a later path wins\n"
"      --recursive        INFISICAL_RECURSIVE=true: sub-folders too\n"
"      --tags SLUGS       INFISICAL_TAGS: only secrets with these tags\n"
"      --no-imports       INFISICAL_INCLUDE_IMPORTS=false: skip imports\n"
"      --no-expand        INFISICAL_EXPAND_SECRET_REFERENCES=false: keep\n"
"                         ${...} references as they are\n"
"      --auth-method M    INFISICAL_AUTH_METHOD: universal-auth, token,\n"
"                         kubernetes, oidc or jwt (default: the one whose\n"
"                         credentials are set)\n"
"Environment:\n"
"      --preserve-env[=NAMES]  INFX_PRESERVE_ENV=true|NAMES: inherited\n"
"                         variables win over secrets (all, or these)\n"
"      --require NAMES    INFX_REQUIRE: fail unless these are set, non-empty\n"
"      --allow-empty      INFX_ALLOW_EMPTY=true: a path may hold no secret\n"
"      --strict           INFX_STRICT=true: unresolved ${...} is an error\n"
"      --allow-reserved NAMES  INFX_ALLOW_RESERVED: reserved names that\n"
"                         secrets may set anyway\n"
"  -u, --user USER[:GROUP]  INFX_USER: run COMMAND as this user\n"
"Reliability and logs:\n"
"      --timeout SECONDS  INFX_TIMEOUT: start-up budget for logging in and\n"
"                         fetching, retries included (default 60)\n"
"      --on-unavailable=fail|run  INFX_ON_UNAVAILABLE: when Infisical\n"
"                         cannot be reached or answers 5xx, after the\n"
"                         retries: fail (default), or run COMMAND without\n"
"                         secrets, with a warning\n"
"      --max-secrets N    INFX_MAX_SECRETS: more is an error (default 10000)\n"
"Watching (instead of exec, infx-exec stays as the command's parent):\n"
"      --watch[=SECONDS]  INFX_WATCH: poll Infisical every SECONDS (60), and\n"
"                         restart COMMAND when its secrets change\n"
"      --on-change=restart|exit  INFX_ON_CHANGE: on a change, restart\n"
"                         COMMAND (default), or stop it and exit\n"
"      --stop-timeout SECONDS  INFX_STOP_TIMEOUT: from SIGTERM to SIGKILL\n"
"                         when stopping COMMAND (default 10)\n"
"  -v, --verbose          INFX_LOG_LEVEL=debug (error, warn, info, debug;\n"
"  -q, --quiet            INFX_LOG_LEVEL=error  default warn)\n"
"      --check            INFX_CHECK=true: print the name and source of each\n"
"                         secret (never its value) and run nothing\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the versions of infx-exec and its libraries,\n"
"                         the platform and the built-in CA roots\n"
"A list option (--path, --require, --allow-reserved, --preserve-env=NAMES)\n"
"replaces its variable's list; repeated, it adds to itself.\n"
"\n"
"Credentials (environment only; NAME_FILE reads NAME from a file):\n"
"  INFISICAL_UNIVERSAL_AUTH_CLIENT_ID, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET\n"
"                         universal auth\n"
"  INFISICAL_TOKEN        an access token, used as it is (no login)\n"
"  INFISICAL_MACHINE_IDENTITY_ID  kubernetes, oidc and jwt auth, with\n"
"  INFISICAL_JWT          the JWT for oidc and jwt auth, or\n"
"  INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH  the service account\n"
"                         token (default " DEFAULT_SA_TOKEN_PATH ")\n"
"  INFISICAL_CUSTOM_HEADERS  \"Name=value Name2='v 2'\" sent with requests\n"
"COMMAND does not get these variables nor their _FILE forms.\n"
"\n"
"TLS: INFISICAL_CA_CERT_FILE, SSL_CERT_FILE or SSL_CERT_DIR name the CAs\n"
"to trust; else the system's bundle, else the one built in. Proxies:\n"
"https_proxy, http_proxy, all_proxy, no_proxy (or in upper case).\n"
"\n"
"Exit status: 125 if infx-exec failed, 126 if COMMAND could not run,\n"
"127 if COMMAND was not found, 128+N if signal N stopped infx-exec\n"
"before COMMAND ran, otherwise the status of COMMAND.\n";

/* -- values ------------------------------------------------------------ */

/* true/false (also 1/0, yes/no, on/off, any case) -> 1/0, else -1. */
static int bool_value(const char *value)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return 1;
		if (strcasecmp(value, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* A whole number in [min, max], digits only (strtol(3) alone would take
 * " 5" and "+5"), or -1 after an error naming var. */
static long number_value(const char *var, const char *value, long min,
			 long max)
{
	char *end, safe[32];
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max ||
	    !(isdigit((unsigned char)value[0]) ||
	      (value[0] == '-' && isdigit((unsigned char)value[1])))) {
		log_error("%s='%s' is not a whole number from %ld to %ld", var,
			  log_sanitize(safe, sizeof safe, value, strlen(value)),
			  min, max);
		return -1;
	}
	return v;
}

/* -- settings: one table of every variable ------------------------------ */

struct variable;
/* Apply value to cfg; name is what the user wrote (variable or flag), for
 * the message. Returns 0, or -1 after one line. */
typedef int (*setter)(struct config *cfg, const struct variable *v,
		      const char *value, const char *name);

/*
 * A setting: its variable, how a value is applied, and the field it sets
 * (offset in struct config). The flags apply values through the same
 * entries, so a flag and its variable cannot disagree.
 */
struct variable {
	const char *name;
	setter set;
	size_t field;
	long min, max;		/* set_number's range */
};

#define FIELD(f) offsetof(struct config, f)
#define AT(cfg, v, type) ((type *)(void *)((char *)(cfg) + (v)->field))

static int set_string(struct config *cfg, const struct variable *v,
		 const char *value, const char *name)
{
	(void)name;
	*AT(cfg, v, const char *) = value;
	return 0;
}

static int set_url(struct config *cfg, const struct variable *v,
		 const char *value, const char *name)
{
	(void)name;
	free(*AT(cfg, v, char *));
	*AT(cfg, v, char *) = xstrdup(value);
	return 0;
}

static int set_bool(struct config *cfg, const struct variable *v,
		 const char *value, const char *name)
{
	int b = bool_value(value);
	char safe[32];

	if (b < 0) {
		log_error("%s='%s' is not a boolean: use true or false",
			  name, log_sanitize(safe, sizeof safe, value,
						strlen(value)));
		return -1;
	}
	*AT(cfg, v, int) = b;
	return 0;
}

static int set_list(struct config *cfg, const struct variable *v,
		 const char *value, const char *name)
{
	(void)name;
	strlist_add_csv(AT(cfg, v, struct strlist), value);
	return 0;
}

/* A whole number in the variable's range [min, max]. */
static int set_number(struct config *cfg, const struct variable *v,
		      const char *value, const char *name)
{
	long n = number_value(name, value, v->min, v->max);

	if (n < 0)
		return -1;
	*AT(cfg, v, long) = n;
	return 0;
}

/* A setting of two words, any case: 0 for first, 1 for second, or -1
 * after one line naming the setting. */
static int one_of(const char *value, const char *name, const char *first,
		  const char *second)
{
	char safe[32];

	if (strcasecmp(value, first) == 0)
		return 0;
	if (strcasecmp(value, second) == 0)
		return 1;
	log_error("%s='%s' must be %s or %s", name,
		  log_sanitize(safe, sizeof safe, value, strlen(value)), first,
		  second);
	return -1;
}

static int set_on_unavailable(struct config *cfg, const struct variable *v,
		 const char *value, const char *name)
{
	int run = one_of(value, name, "fail", "run");

	if (run < 0)
		return -1;
	*AT(cfg, v, int) = run;
	return 0;
}

static int set_on_change(struct config *cfg, const struct variable *v,
			 const char *value, const char *name)
{
	int stop = one_of(value, name, "restart", "exit");

	(void)v;
	if (stop < 0)
		return -1;
	cfg->on_change_exit = stop;
	return 0;
}

static int set_log_level(struct config *cfg, const struct variable *v,
		 const char *value, const char *name)
{
	char lower[16], safe[32];
	size_t i;
	int level;

	(void)cfg, (void)v;
	for (i = 0; value[i] && i + 1 < sizeof lower; i++)
		lower[i] = (char)(value[i] | 0x20);
	lower[i] = '\0';
	level = value[i] ? -1 : log_parse_level(lower);
	if (level < 0) {
		log_error("%s='%s' must be error, warn, info or debug", name,
			  log_sanitize(safe, sizeof safe, value,
				       strlen(value)));
		return -1;
	}
	log_set_level((enum log_level)level);
	return 0;
}

/* true (all), false (none), or names whose inherited value wins. */
static int set_preserve(struct config *cfg, const struct variable *v,
		 const char *value, const char *name)
{
	int b = bool_value(value);

	(void)v, (void)name;
	if (b >= 0)
		strlist_free(&cfg->preserve);
	cfg->preserve_all = b == 1;
	if (b < 0)
		strlist_add_csv(&cfg->preserve, value);
	return 0;
}

/* Read by another module (credentials.h), named here so that it is known. */
#define ELSEWHERE(name) { name, NULL, 0, 0, 0 }
#define SETTING(name, set, field) { name, set, FIELD(field), 0, 0 }
#define NUMBER(name, field, min, max) \
	{ name, set_number, FIELD(field), min, max }

static const struct variable variables[] = {
	SETTING("INFISICAL_API_URL", set_url, api_url),
	SETTING("INFISICAL_PROJECT_ID", set_string, project_id),
	SETTING("INFISICAL_ENVIRONMENT", set_string, environment),
	SETTING("INFISICAL_SECRET_PATH", set_list, paths),
	SETTING("INFISICAL_RECURSIVE", set_bool, recursive),
	SETTING("INFISICAL_TAGS", set_string, tags),
	SETTING("INFISICAL_INCLUDE_IMPORTS", set_bool, imports),
	SETTING("INFISICAL_EXPAND_SECRET_REFERENCES", set_bool, expand),
	SETTING("INFISICAL_AUTH_METHOD", set_string, auth_method),
	SETTING("INFISICAL_CA_CERT_FILE", set_string, ca_file),
	SETTING("INFX_PRESERVE_ENV", set_preserve, preserve),
	SETTING("INFX_REQUIRE", set_list, require),
	SETTING("INFX_ALLOW_EMPTY", set_bool, allow_empty),
	SETTING("INFX_STRICT", set_bool, strict),
	SETTING("INFX_ALLOW_RESERVED", set_list, allow),
	SETTING("INFX_USER", set_string, user),
	SETTING("INFX_CHECK", set_bool, check),
	NUMBER("INFX_TIMEOUT", timeout, 1, 86400),
	SETTING("INFX_ON_UNAVAILABLE", set_on_unavailable, on_unavailable_run),
	NUMBER("INFX_MAX_SECRETS", max_secrets, 1, 10000000),
	NUMBER("INFX_WATCH", watch, 1, 86400),
	SETTING("INFX_ON_CHANGE", set_on_change, on_change_exit),
	NUMBER("INFX_STOP_TIMEOUT", stop_timeout, 0, 3600),
	{ "INFX_LOG_LEVEL", set_log_level, 0, 0, 0 },
	ELSEWHERE(VAR_CLIENT_ID), ELSEWHERE(VAR_CLIENT_SECRET),
	ELSEWHERE(VAR_TOKEN), ELSEWHERE(VAR_IDENTITY), ELSEWHERE(VAR_JWT),
	ELSEWHERE(VAR_SA_PATH), ELSEWHERE(VAR_HEADERS),
};
#define NVARIABLES (sizeof variables / sizeof variables[0])

static const struct variable *variable_named(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NVARIABLES; i++)
		if (strlen(variables[i].name) == len &&
		    memcmp(variables[i].name, name, len) == 0)
			return &variables[i];
	return NULL;
}

/* -- unknown variables --------------------------------------------------- */

/* Levenshtein distance of a (alen bytes) and b, at most 255 bytes each. */
static size_t distance(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), row[256], i, j;

	if (alen > 255 || blen > 255)
		return (size_t)-1;
	for (j = 0; j <= blen; j++)
		row[j] = j;
	for (i = 1; i <= alen; i++) {
		size_t diag = row[0], up;

		row[0] = i;
		for (j = 1; j <= blen; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[blen];
}

/* The known name closest to name (len bytes) and its distance. */
static const char *closest(const char *name, size_t len, size_t *best)
{
	const char *found = variables[0].name;
	size_t i;

	*best = (size_t)-1;
	for (i = 0; i < NVARIABLES; i++) {
		size_t d = distance(name, len, variables[i].name);

		if (d < *best) {
			*best = d;
			found = variables[i].name;
		}
	}
	return found;
}

/*
 * Warn about INFX_* variables nobody reads, and INFISICAL_* ones a typo
 * away from a known one: a misspelt INFX_REQUIRE must not silently switch
 * the check off. Other INFISICAL_* variables may be another tool's.
 */
static void warn_unknown(char **envp)
{
	for (; envp && *envp; envp++) {
		const char *eq = strchr(*envp, '='), *guess;
		size_t len = eq ? (size_t)(eq - *envp) : 0, d;
		char name[64];
		int infx = strncmp(*envp, "INFX_", 5) == 0;

		if (!eq || (!infx && strncmp(*envp, "INFISICAL_", 10) != 0) ||
		    variable_named(*envp, len) ||
		    credentials_is_variable(*envp, len))
			continue;
		guess = closest(*envp, len, &d);
		log_sanitize(name, sizeof name, *envp, len);
		if (d <= 2 || (infx && d <= len / 3))
			log_warn("%s is not a variable infx-exec reads; did you "
				 "mean %s?", name, guess);
		else if (infx)
			log_warn("%s is not a variable infx-exec reads; it is "
				 "ignored", name);
	}
}

/* -- flags ---------------------------------------------------------------- */

static void usage_error(void)
{
	fputs("Try 'infx-exec --help' for more information.\n", stderr);
}

/*
 * Each option applies a value to a variable's setting: its argument, or
 * the fixed value of a switch. -h and -V end the parsing.
 */
struct flag {
	const char *name;
	int has_arg, code;
	const char *variable, *fixed;
};

static const struct flag flags[] = {
	{ "api-url", required_argument, 256, "INFISICAL_API_URL", NULL },
	{ "project-id", required_argument, 257, "INFISICAL_PROJECT_ID", NULL },
	{ "env", required_argument, 'e', "INFISICAL_ENVIRONMENT", NULL },
	{ "path", required_argument, 258, "INFISICAL_SECRET_PATH", NULL },
	{ "recursive", no_argument, 259, "INFISICAL_RECURSIVE", "true" },
	{ "tags", required_argument, 260, "INFISICAL_TAGS", NULL },
	{ "no-imports", no_argument, 261, "INFISICAL_INCLUDE_IMPORTS", "false" },
	{ "no-expand", no_argument, 262, "INFISICAL_EXPAND_SECRET_REFERENCES",
	  "false" },
	{ "auth-method", required_argument, 263, "INFISICAL_AUTH_METHOD",
	  NULL },
	{ "preserve-env", optional_argument, 264, "INFX_PRESERVE_ENV",
	  "true" },
	{ "require", required_argument, 265, "INFX_REQUIRE", NULL },
	{ "allow-empty", no_argument, 266, "INFX_ALLOW_EMPTY", "true" },
	{ "strict", no_argument, 267, "INFX_STRICT", "true" },
	{ "allow-reserved", required_argument, 268, "INFX_ALLOW_RESERVED",
	  NULL },
	{ "user", required_argument, 'u', "INFX_USER", NULL },
	{ "check", no_argument, 269, "INFX_CHECK", "true" },
	{ "timeout", required_argument, 270, "INFX_TIMEOUT", NULL },
	{ "on-unavailable", required_argument, 271, "INFX_ON_UNAVAILABLE",
	  NULL },
	{ "max-secrets", required_argument, 272, "INFX_MAX_SECRETS", NULL },
	{ "watch", optional_argument, 273, "INFX_WATCH", "60" },
	{ "on-change", required_argument, 274, "INFX_ON_CHANGE", NULL },
	{ "stop-timeout", required_argument, 275, "INFX_STOP_TIMEOUT", NULL },
	{ "verbose", no_argument, 'v', "INFX_LOG_LEVEL", "debug" },
	{ "quiet", no_argument, 'q', "INFX_LOG_LEVEL", "error" },
	{ "help", no_argument, 'h', NULL, NULL },
	{ "version", no_argument, 'V', NULL, NULL },
};
#define NFLAGS (sizeof flags / sizeof flags[0])

/* getopt_long's view of flags[]. */
static const struct option *long_options(void)
{
	static struct option opts[NFLAGS + 1];
	size_t i;

	for (i = 0; i < NFLAGS; i++) {
		opts[i].name = flags[i].name;
		opts[i].has_arg = flags[i].has_arg;
		opts[i].val = flags[i].code;
	}
	return opts;
}

static const struct flag *flag_coded(int code)
{
	size_t i;

	for (i = 0; i < NFLAGS; i++)
		if (flags[i].code == code)
			return &flags[i];
	return NULL;
}

/* A list option replaces its variable's list the first time it is given;
 * repeated, it adds to itself. */
static void forget_variable_list(struct config *cfg, const struct variable *v)
{
	size_t bit = (size_t)(v - variables);

	if ((v->set != set_list && v->set != set_preserve) ||
	    (cfg->flag_lists >> bit & 1))
		return;
	cfg->flag_lists |= 1ULL << bit;
	strlist_free(AT(cfg, v, struct strlist));
	cfg->preserve_all = v->set == set_preserve ? 0 : cfg->preserve_all;
}

int config_set(struct config *cfg, const char *variable, const char *value,
	       const char *flag)
{
	const struct variable *v = variable_named(variable, strlen(variable));

	if (v->set == set_url && !*value) {
		/* Unlike an empty variable, an empty flag is a mistake: it
		 * would mean Infisical Cloud. */
		log_error("%s is empty", flag);
		return -1;
	}
	forget_variable_list(cfg, v);
	return v->set(cfg, v, value, flag);
}

/* Apply one option. Returns 0, or -1 after a message. */
static int apply_option(struct config *cfg, int c)
{
	const struct flag *f = flag_coded(c);
	char name[32];

	snprintf(name, sizeof name, "--%s", f->name);
	return config_set(cfg, f->variable, optarg ? optarg : f->fixed, name);
}

/* An option getopt_long did not accept: one line, and the usage hint. */
static void option_error(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	char safe[64];

	if (c == ':') {
		/* A long option is still in argv; a short one at the end of
		 * argv may not be (musl moves optind past it). */
		char opt[3] = { '-', (char)optopt, '\0' };

		log_error("option '%s' needs a value",
			  arg && strncmp(arg, "--", 2) == 0 ? arg : opt);
	} else {
		log_error("unknown option '%s'", log_sanitize(safe, sizeof safe,
			  arg, strlen(arg)));
	}
	usage_error();
}

/* -- the whole configuration ---------------------------------------------- */

/*
 * The API base: the origin as given, trailing slashes removed, "/api"
 * appended unless already there (as the official CLI does). Only
 * scheme://host[:port][/path]: a password would be logged and sent as
 * Basic auth, a query or fragment would move the login.
 */
static int normalize_api_url(struct config *cfg)
{
	const char *url = cfg->api_url ? cfg->api_url : DEFAULT_API_URL;
	const char *host = strstr(url, "://");
	size_t len = strlen(url), i;
	char safe[256], *norm;

	if (strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0) {
		log_error("INFISICAL_API_URL '%s' is not an http:// or https:// "
			  "URL", log_url(safe, sizeof safe, url));
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c == 0x7f || c == '?' || c == '#' ||
		    (c == '@' && !memchr(host + 3, '/', (size_t)(url + i -
							     host - 3)))) {
			log_error("INFISICAL_API_URL '%s' may hold only "
				  "scheme://host[:port][/path] (no user or "
				  "password, query, fragment, blank or "
				  "control character)",
				  log_url(safe, sizeof safe, url));
			return -1;
		}
	}
	while (len > 0 && url[len - 1] == '/')
		len--;
	norm = xmalloc(len + sizeof "/api");
	snprintf(norm, len + sizeof "/api", "%.*s%s", (int)len, url,
		 len >= 4 && strncmp(url + len - 4, "/api", 4) == 0 ? "" :
		 "/api");
	free(cfg->api_url);
	cfg->api_url = norm;
	return 0;
}

int config_finish(struct config *cfg, int need_target)
{
	size_t i;
	char safe[128];

	if (need_target && (!cfg->project_id || !*cfg->project_id)) {
		log_error("no project: set INFISICAL_PROJECT_ID or --project-id");
		return -1;
	}
	if (need_target && (!cfg->environment || !*cfg->environment)) {
		log_error("no environment: set INFISICAL_ENVIRONMENT or --env "
			  "to an environment slug (e.g. dev, prod)");
		return -1;
	}
	if (cfg->paths.n == 0)
		strlist_add(&cfg->paths, "/", 1);
	for (i = 0; i < cfg->paths.n; i++) {
		const char *p = cfg->paths.v[i];

		if (p[0] != '/') {
			log_error("secret path '%s' must start with '/' "
				  "(INFISICAL_SECRET_PATH / --path)",
				  log_sanitize(safe, sizeof safe, p,
					       strlen(p)));
			return -1;
		}
	}
	return normalize_api_url(cfg);
}

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->imports = cfg->expand = 1;
	cfg->timeout = DEFAULT_TIMEOUT;
	cfg->max_secrets = DEFAULT_MAX_SECRETS;
	cfg->stop_timeout = DEFAULT_STOP_TIMEOUT;
}

int config_read_variables(struct config *cfg, char **envp)
{
	size_t i;

	for (i = 0; i < NVARIABLES; i++) {
		const struct variable *v = &variables[i];
		const char *value = v->set ? envp_get(envp, v->name) : NULL;

		if (value && v->set(cfg, v, value, v->name) != 0)
			return -1;
	}
	warn_unknown(envp);
	return 0;
}

/*
 * "--watch 30 -- app", "--preserve-env API_KEY -- app": the value of an
 * optional argument goes after '=', so the word after the option is the
 * command. A word shaped like the value it was meant to be (a number; names
 * in capitals, which no command has) is refused with how to write it.
 * 1 after one line, else 0.
 */
static int value_as_command(char **argv, int first)
{
	static const struct {
		const char *option, *chars, *what;
	} shapes[] = {
		{ "--watch", "0123456789", "interval" },
		{ "--preserve-env", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_,",
		  "names" },
	};
	const char *w = argv[first], *opt = argv[first - 1];
	size_t i, n = strlen(opt);

	for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		/* getopt_long(3) took opt: the option or an abbreviation of it */
		if (n < 3 || strncmp(opt, shapes[i].option, n) != 0 || !*w ||
		    strspn(w, shapes[i].chars) != strlen(w))
			continue;
		log_error("%s takes its %s after '=': write %s=%.40s (as "
			  "written, '%.40s' is the command)", shapes[i].option,
			  shapes[i].what, shapes[i].option, w, w);
		return 1;
	}
	return 0;
}

enum config_status config_load(struct config *cfg, int argc, char **argv,
			       char **envp)
{
	int c;

	config_init(cfg);
	if (config_read_variables(cfg, envp) != 0)
		return CONFIG_FAILED;

	/* '+': stop at the first operand, so the command's flags stay its. */
	opterr = 0;
	optind = 0;	/* 0, not 1: glibc and musl then also forget where
			 * they were inside a previous argv's "-abc" cluster */
	while ((c = getopt_long(argc, argv, "+:e:u:hVvq", long_options(),
				NULL)) != -1) {
		if (c == 'h' || c == 'V')
			return c == 'h' ? CONFIG_HELP : CONFIG_VERSION;
		if (c == ':' || c == '?') {
			option_error(c, argv);
			return CONFIG_FAILED;
		}
		if (apply_option(cfg, c) != 0)
			return CONFIG_FAILED;
	}
	if (optind >= argc && !cfg->check) {
		log_error("no command given: infx-exec [OPTION]... -- COMMAND");
		usage_error();
		return CONFIG_FAILED;
	}
	if (optind < argc && value_as_command(argv, optind)) {
		usage_error();
		return CONFIG_FAILED;
	}
	cfg->command = argv + optind;	/* empty with --check alone */
	return config_finish(cfg, 1) == 0 ? CONFIG_OK : CONFIG_FAILED;
}

void config_free(struct config *cfg)
{
	free(cfg->api_url);
	strlist_free(&cfg->paths);
	strlist_free(&cfg->preserve);
	strlist_free(&cfg->require);
	strlist_free(&cfg->allow);
	memset(cfg, 0, sizeof *cfg);
}
