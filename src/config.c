/* config.c - flags and environment variables -> struct config. */
#include "config.h"

#include "credentials.h"
#include "envp.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_API_URL "https://app.infisical.com"
#define DEFAULT_TIMEOUT 60
#define DEFAULT_MAX_SECRETS 10000


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
"  -v, --verbose          INFX_LOG_LEVEL=debug (error, warn, info, debug;\n"
"  -q, --quiet            INFX_LOG_LEVEL=error  default warn)\n"
"      --check            INFX_CHECK=true: print the name and source of each\n"
"                         secret (never its value) and run nothing\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the versions of infx-exec, libcurl, TLS, cJSON\n"
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
"https_proxy, http_proxy, no_proxy.\n"
"\n"
"Exit status: 125 if infx-exec failed, 126 if COMMAND could not run,\n"
"127 if COMMAND was not found, 128+N if signal N stopped infx-exec\n"
"before COMMAND ran, otherwise the status of COMMAND.\n";

static int has_prefix(const char *name, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && memcmp(name, prefix, plen) == 0;
}

int config_is_credential_var(const char *name, size_t len)
{
	static const char *const vars[] = {
		VAR_CLIENT_ID, VAR_CLIENT_SECRET, VAR_TOKEN, VAR_IDENTITY,
		VAR_JWT, VAR_HEADERS,
	};
	size_t i;

	if (len == strlen(VAR_SA_PATH) && has_prefix(name, len, VAR_SA_PATH))
		return 1;
	for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		size_t vlen = strlen(vars[i]);

		if (!has_prefix(name, len, vars[i]))
			continue;
		if (len == vlen || (len == vlen + 5 &&
				    memcmp(name + vlen, "_FILE", 5) == 0))
			return 1;
	}
	return 0;
}

int config_is_own_var(const char *name, size_t len)
{
	return has_prefix(name, len, "INFISICAL_") ||
	       has_prefix(name, len, "INFX_");
}

/*
 * The API base: the origin as given, trailing slashes removed, "/api"
 * appended unless already there (as the official CLI does).
 */
static int set_api_url(struct config *cfg, const char *url)
{
	size_t len = strlen(url);
	char safe[256];

	const char *host = strstr(url, "://");
	size_t i;

	if (strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0) {
		log_error("INFISICAL_API_URL '%s' is not an http:// or https:// "
			  "URL", log_sanitize(safe, sizeof safe, url, len));
		return -1;
	}
	/* Only scheme://host[:port][/path]: a password would be logged and
	 * sent as Basic auth, a query or fragment would move the login. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c == 0x7f || c == '?' || c == '#' ||
		    (c == '@' && !memchr(host + 3, '/', (size_t)(url + i -
							     host - 3)))) {
			/* Not echoed: it may hold a password. */
			log_error("INFISICAL_API_URL may hold only "
				  "scheme://host[:port][/path] (no user or "
				  "password, query, fragment, blank or "
				  "control character)");
			return -1;
		}
	}
	while (len > 0 && url[len - 1] == '/')
		len--;
	cfg->api_url = malloc(len + sizeof "/api");
	if (!cfg->api_url) {
		log_error("out of memory");
		return -1;
	}
	memcpy(cfg->api_url, url, len);
	cfg->api_url[len] = '\0';
	if (len < 4 || strcmp(cfg->api_url + len - 4, "/api") != 0)
		strcpy(cfg->api_url + len, "/api");
	return 0;
}

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

/* bool_value, or -1 after an error naming var. */
static int parse_bool(const char *var, const char *value)
{
	int b = bool_value(value);
	char safe[32];

	if (b < 0)
		log_error("%s='%s' is not a boolean: use true or false", var,
			  log_sanitize(safe, sizeof safe, value,
				       strlen(value)));
	return b;
}

/* A whole number in [min, max]; -1 after an error naming var. */
static long parse_number(const char *var, const char *value, long min,
			 long max)
{
	char *end, safe[32];
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max) {
		log_error("%s='%s' is not a whole number from %ld to %ld", var,
			  log_sanitize(safe, sizeof safe, value, strlen(value)),
			  min, max);
		return -1;
	}
	return v;
}

static int parse_on_unavailable(const char *var, const char *value,
				int *run)
{
	char safe[32];

	if (strcasecmp(value, "fail") == 0 || strcasecmp(value, "run") == 0) {
		*run = value[0] == 'r' || value[0] == 'R';
		return 0;
	}
	log_error("%s='%s' must be fail or run", var,
		  log_sanitize(safe, sizeof safe, value, strlen(value)));
	return -1;
}

static int set_log_level(const char *var, const char *value)
{
	char lower[16], safe[32];
	size_t i;
	int level;

	for (i = 0; value[i] && i + 1 < sizeof lower; i++)
		lower[i] = (char)(value[i] | 0x20);
	lower[i] = '\0';
	level = value[i] ? -1 : log_parse_level(lower);

	if (level < 0) {
		log_error("%s='%s' must be error, warn, info or debug", var,
			  log_sanitize(safe, sizeof safe, value,
				       strlen(value)));
		return -1;
	}
	log_set_level((enum log_level)level);
	return 0;
}

/* Set *out from variable var when it is set; flags are applied later. */
static int bool_from_env(char **envp, const char *var, int *out)
{
	const char *v = envp_get(envp, var);
	int b;

	if (!v)
		return 0;
	b = parse_bool(var, v);
	if (b < 0)
		return -1;
	*out = b;
	return 0;
}

static int list_from_env(char **envp, const char *var, struct strlist *l)
{
	const char *v = envp_get(envp, var);

	if (v && strlist_add_csv(l, v) != 0) {
		log_error("out of memory");
		return -1;
	}
	return 0;
}

/* Settings read from variables, before flags override them. */
static int load_env(struct config *cfg, char **envp)
{
	const char *preserve = envp_get(envp, "INFX_PRESERVE_ENV");

	const char *timeout = envp_get(envp, "INFX_TIMEOUT");
	const char *max = envp_get(envp, "INFX_MAX_SECRETS");
	const char *unavailable = envp_get(envp, "INFX_ON_UNAVAILABLE");
	const char *level = envp_get(envp, "INFX_LOG_LEVEL");

	cfg->project_id = envp_get(envp, "INFISICAL_PROJECT_ID");
	cfg->environment = envp_get(envp, "INFISICAL_ENVIRONMENT");
	cfg->tags = envp_get(envp, "INFISICAL_TAGS");
	cfg->user = envp_get(envp, "INFX_USER");
	cfg->imports = cfg->expand = 1;
	cfg->timeout = DEFAULT_TIMEOUT;
	cfg->max_secrets = DEFAULT_MAX_SECRETS;
	if (level && set_log_level("INFX_LOG_LEVEL", level))
		return -1;
	if (timeout && (cfg->timeout = parse_number("INFX_TIMEOUT", timeout,
						    1, 86400)) < 0)
		return -1;
	if (max) {
		long n = parse_number("INFX_MAX_SECRETS", max, 1, 10000000);

		if (n < 0)
			return -1;
		cfg->max_secrets = (size_t)n;
	}
	if (unavailable && parse_on_unavailable("INFX_ON_UNAVAILABLE",
						unavailable,
						&cfg->on_unavailable_run))
		return -1;
	if (preserve) {
		int b = bool_value(preserve);

		if (b >= 0)
			cfg->preserve_all = b;
		else if (list_from_env(envp, "INFX_PRESERVE_ENV",
				       &cfg->preserve))
			return -1;
	}
	if (bool_from_env(envp, "INFISICAL_RECURSIVE", &cfg->recursive) ||
	    bool_from_env(envp, "INFISICAL_INCLUDE_IMPORTS", &cfg->imports) ||
	    bool_from_env(envp, "INFISICAL_EXPAND_SECRET_REFERENCES",
			  &cfg->expand) ||
	    bool_from_env(envp, "INFX_ALLOW_EMPTY", &cfg->allow_empty) ||
	    bool_from_env(envp, "INFX_STRICT", &cfg->strict) ||
	    bool_from_env(envp, "INFX_CHECK", &cfg->check) ||
	    list_from_env(envp, "INFX_REQUIRE", &cfg->require) ||
	    list_from_env(envp, "INFX_ALLOW_RESERVED", &cfg->allow))
		return -1;
	return 0;
}

static void usage_error(void)
{
	fputs("Try 'infx-exec --help' for more information.\n", stderr);
}

enum {
	OPT_API_URL = 256, OPT_PROJECT, OPT_PATH, OPT_RECURSIVE, OPT_TAGS,
	OPT_NO_IMPORTS, OPT_NO_EXPAND, OPT_AUTH, OPT_PRESERVE, OPT_REQUIRE,
	OPT_ALLOW_EMPTY, OPT_STRICT, OPT_ALLOW_RESERVED, OPT_CHECK,
	OPT_TIMEOUT, OPT_ON_UNAVAILABLE, OPT_MAX_SECRETS
};

static const struct option longopts[] = {
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "project-id", required_argument, NULL, OPT_PROJECT },
	{ "env", required_argument, NULL, 'e' },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "recursive", no_argument, NULL, OPT_RECURSIVE },
	{ "tags", required_argument, NULL, OPT_TAGS },
	{ "no-imports", no_argument, NULL, OPT_NO_IMPORTS },
	{ "no-expand", no_argument, NULL, OPT_NO_EXPAND },
	{ "auth-method", required_argument, NULL, OPT_AUTH },
	{ "preserve-env", optional_argument, NULL, OPT_PRESERVE },
	{ "require", required_argument, NULL, OPT_REQUIRE },
	{ "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "allow-reserved", required_argument, NULL, OPT_ALLOW_RESERVED },
	{ "user", required_argument, NULL, 'u' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "on-unavailable", required_argument, NULL, OPT_ON_UNAVAILABLE },
	{ "max-secrets", required_argument, NULL, OPT_MAX_SECRETS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Values of flags that replace, not add to, what variables said. */
struct flag_values {
	const char *api_url, *method;
	struct strlist paths;
	int have_paths;
	int require_seen, allow_seen;	/* the variable's list is dropped */
};

/* A list flag replaces its variable's list; repeated, it adds to itself. */
static int replace_list(int *seen, struct strlist *l, const char *csv)
{
	if (!*seen) {
		strlist_free(l);
		*seen = 1;
	}
	return strlist_add_csv(l, csv);
}

/* Apply one flag. Returns 0, 1 to stop with CONFIG_DONE/VERSION, -1. */
static int apply_flag(struct config *cfg, struct flag_values *f, int c,
		      char **argv)
{
	int rc = 0;

	switch (c) {
	case OPT_API_URL:
		if (!*optarg) {
			/* Unlike an empty variable, an empty flag is a
			 * mistake: it would mean Infisical Cloud. */
			log_error("--api-url is empty");
			return -1;
		}
		f->api_url = optarg;
		break;
	case OPT_PROJECT: cfg->project_id = optarg; break;
	case 'e': cfg->environment = optarg; break;
	case OPT_PATH:
		f->have_paths = 1;
		rc = strlist_add_csv(&f->paths, optarg);
		break;
	case OPT_RECURSIVE: cfg->recursive = 1; break;
	case OPT_TAGS: cfg->tags = optarg; break;
	case OPT_NO_IMPORTS: cfg->imports = 0; break;
	case OPT_NO_EXPAND: cfg->expand = 0; break;
	case OPT_AUTH: f->method = optarg; break;
	case OPT_PRESERVE:
		if (optarg) {
			strlist_free(&cfg->preserve);
			cfg->preserve_all = 0;
			rc = strlist_add_csv(&cfg->preserve, optarg);
		} else {
			cfg->preserve_all = 1;
		}
		break;
	case OPT_REQUIRE:
		rc = replace_list(&f->require_seen, &cfg->require, optarg);
		break;
	case OPT_ALLOW_EMPTY: cfg->allow_empty = 1; break;
	case OPT_STRICT: cfg->strict = 1; break;
	case OPT_ALLOW_RESERVED:
		rc = replace_list(&f->allow_seen, &cfg->allow, optarg);
		break;
	case 'u': cfg->user = optarg; break;
	case OPT_CHECK: cfg->check = 1; break;
	case OPT_TIMEOUT:
		cfg->timeout = parse_number("--timeout", optarg, 1, 86400);
		return cfg->timeout < 0 ? -1 : 0;
	case OPT_ON_UNAVAILABLE:
		return parse_on_unavailable("--on-unavailable", optarg,
					    &cfg->on_unavailable_run);
	case OPT_MAX_SECRETS: {
		long n = parse_number("--max-secrets", optarg, 1, 10000000);

		if (n < 0)
			return -1;
		cfg->max_secrets = (size_t)n;
		break;
	}
	case 'v': log_set_level(LOG_DEBUG); break;
	case 'q': log_set_level(LOG_ERROR); break;
	case 'h':
		fputs(config_usage, stdout);
		return 1;
	case 'V':
		return 1;
	case ':': {
		/* A long option is still in argv; a short one at the end of
		 * argv may not be (musl moves optind past it). */
		const char *arg = argv[optind - 1];
		char opt[3] = { '-', (char)optopt, '\0' };

		log_error("option '%s' needs a value",
			  arg && strncmp(arg, "--", 2) == 0 ? arg : opt);
		usage_error();
		return -1;
	}
	default: {
		char safe[64];
		const char *arg = argv[optind - 1];

		log_error("unknown option '%s'", log_sanitize(safe, sizeof safe,
			  arg, strlen(arg)));
		usage_error();
		return -1;
	}
	}
	if (rc != 0)
		log_error("out of memory");
	return rc;
}

/* Checks that need every setting: required values, path shapes. */
static int validate(struct config *cfg)
{
	size_t i;
	char safe[128];

	if (!cfg->project_id || !*cfg->project_id) {
		log_error("no project: set INFISICAL_PROJECT_ID or --project-id");
		return -1;
	}
	if (!cfg->environment || !*cfg->environment) {
		log_error("no environment: set INFISICAL_ENVIRONMENT or --env "
			  "to an environment slug (e.g. dev, prod)");
		return -1;
	}
	if (cfg->paths.n == 0 && strlist_add_csv(&cfg->paths, "/") != 0) {
		log_error("out of memory");
		return -1;
	}
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
	return 0;
}

enum config_status config_load(struct config *cfg, int argc, char **argv,
			       char **envp)
{
	struct flag_values f = { 0 };
	enum config_status st = CONFIG_FAILED;
	const char *api_url;
	int c, rc = 0;

	memset(cfg, 0, sizeof *cfg);
	if (load_env(cfg, envp) != 0)
		return CONFIG_FAILED;
	f.api_url = envp_get(envp, "INFISICAL_API_URL");
	f.method = envp_get(envp, "INFISICAL_AUTH_METHOD");

	/* '+': stop at the first operand, so the command's flags stay its. */
	opterr = 0;
	optind = 0;	/* 0, not 1: glibc and musl then also forget where
			 * they were inside a previous argv's "-abc" cluster */
	while (rc == 0 && (c = getopt_long(argc, argv, "+:e:u:hVvq", longopts,
					   NULL)) != -1) {
		rc = apply_flag(cfg, &f, c, argv);
		if (rc == 1)
			st = c == 'V' ? CONFIG_VERSION : CONFIG_DONE;
	}
	if (rc != 0)
		goto out;
	if (optind >= argc && !cfg->check) {
		log_error("no command given: infx-exec [OPTION]... -- COMMAND");
		usage_error();
		goto out;
	}
	cfg->command = argv + optind;	/* empty with --check alone */
	if (f.have_paths) {
		cfg->paths = f.paths;
		memset(&f.paths, 0, sizeof f.paths);
	} else if (list_from_env(envp, "INFISICAL_SECRET_PATH", &cfg->paths)) {
		goto out;
	}
	api_url = f.api_url && *f.api_url ? f.api_url : DEFAULT_API_URL;
	if (validate(cfg) || set_api_url(cfg, api_url))
		goto out;
	if (credentials_load(cfg, envp, f.method && *f.method ? f.method
							      : NULL))
		goto out;
	cfg->ca_file = envp_get(envp, "INFISICAL_CA_CERT_FILE");
	st = CONFIG_OK;
out:
	strlist_free(&f.paths);
	return st;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void config_free(struct config *cfg)
{
	size_t i;

	free(cfg->api_url);
	wipe_free(cfg->client_id);
	wipe_free(cfg->client_secret);
	wipe_free(cfg->token);
	wipe_free(cfg->identity_id);
	wipe_free(cfg->jwt);
	for (i = 0; i < cfg->headers.n; i++)
		explicit_bzero(cfg->headers.v[i], strlen(cfg->headers.v[i]));
	strlist_free(&cfg->headers);
	strlist_free(&cfg->paths);
	strlist_free(&cfg->preserve);
	strlist_free(&cfg->require);
	strlist_free(&cfg->allow);
	memset(cfg, 0, sizeof *cfg);
}
