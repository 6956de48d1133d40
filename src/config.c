/* config.c - flags and environment variables -> struct config. */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_API_URL "https://app.infisical.com"
/* A credential file holds one id, secret or JWT: a few KiB at most. */
#define CREDENTIAL_FILE_MAX (64 * 1024)

#define VAR_CLIENT_ID "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID"
#define VAR_CLIENT_SECRET "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET"
#define VAR_TOKEN "INFISICAL_TOKEN"

const char config_usage[] =
"Usage: infx-exec [OPTION]... [--] COMMAND [ARG]...\n"
"Log in to Infisical with a machine identity, fetch the secrets of one\n"
"project, environment and secret path, add them to the environment and\n"
"execute COMMAND in place of infx-exec. Nothing is written to disk.\n"
"\n"
"Options (each one overrides its environment variable):\n"
"      --api-url URL      INFISICAL_API_URL: the server; /api is added when\n"
"                         missing (default https://app.infisical.com)\n"
"      --project-id ID    INFISICAL_PROJECT_ID: the project id (required)\n"
"  -e, --env SLUG         INFISICAL_ENVIRONMENT: environment slug (required)\n"
"      --path PATH        INFISICAL_SECRET_PATH: secret path (default /)\n"
"      --auth-method M    INFISICAL_AUTH_METHOD: universal-auth or token\n"
"                         (default: the one whose credentials are set)\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the versions of infx-exec, libcurl and TLS\n"
"\n"
"Credentials (environment only; NAME_FILE reads NAME from a file):\n"
"  INFISICAL_UNIVERSAL_AUTH_CLIENT_ID, INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET\n"
"                         a machine identity with universal auth\n"
"  INFISICAL_TOKEN        an access token, used as it is (no login)\n"
"COMMAND does not get these variables nor their _FILE forms.\n"
"\n"
"Secrets override variables of the same name. SSL_CERT_FILE and\n"
"SSL_CERT_DIR name the CA certificates that verify the server.\n"
"\n"
"Exit status: 125 if infx-exec failed, 126 if COMMAND could not run,\n"
"127 if COMMAND was not found, otherwise the status of COMMAND.\n";

/* The value of name in envp, or NULL when unset or empty. */
static const char *env_get(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (; envp && *envp; envp++) {
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return (*envp)[len + 1] ? *envp + len + 1 : NULL;
	}
	return NULL;
}

int config_is_credential_var(const char *name, size_t len)
{
	static const char *const vars[] = {
		VAR_CLIENT_ID, VAR_CLIENT_SECRET, VAR_TOKEN,
	};
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		size_t vlen = strlen(vars[i]);

		if (len < vlen || memcmp(name, vars[i], vlen) != 0)
			continue;
		if (len == vlen || (len == vlen + 5 &&
				    memcmp(name + vlen, "_FILE", 5) == 0))
			return 1;
	}
	return 0;
}

/* Whether NAME or NAME_FILE is set (non-empty). */
static int credential_set(char **envp, const char *name)
{
	char file_var[128];

	snprintf(file_var, sizeof file_var, "%s_FILE", name);
	return env_get(envp, name) != NULL || env_get(envp, file_var) != NULL;
}

/*
 * Read a credential file: at most CREDENTIAL_FILE_MAX bytes, one trailing
 * newline ("\n" or "\r\n") stripped, as Docker secrets are usually written
 * with one. Returns a malloc'd string or NULL after printing why.
 */
static char *read_credential_file(const char *var, const char *path)
{
	char *buf;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_error("unable to open %s '%s': %s", var, path,
			  strerror(errno));
		return NULL;
	}
	buf = malloc(CREDENTIAL_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		log_error("unable to read %s: out of memory", var);
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CREDENTIAL_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("unable to read %s '%s': %s", var, path,
				  strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CREDENTIAL_FILE_MAX) {
			log_error("%s '%s' is larger than %d bytes; it should "
				  "hold only the credential", var, path,
				  CREDENTIAL_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len)) {
		log_error("%s '%s' is %s", var, path,
			  len ? "not text (it holds a NUL byte)" : "empty");
		explicit_bzero(buf, CREDENTIAL_FILE_MAX + 1);
		free(buf);
		return NULL;
	}
	return buf;
fail:
	close(fd);
	explicit_bzero(buf, CREDENTIAL_FILE_MAX + 1);
	free(buf);
	return NULL;
}

/*
 * A credential from NAME or from the file named by NAME_FILE (one of the two,
 * never both). Stores a malloc'd copy in *out. Returns 0, or -1 after
 * printing why (neither set, both set, unreadable file).
 */
static int load_credential(char **envp, const char *name, char **out)
{
	char file_var[128];
	const char *value, *path;

	snprintf(file_var, sizeof file_var, "%s_FILE", name);
	value = env_get(envp, name);
	path = env_get(envp, file_var);
	if (value && path) {
		log_error("both %s and %s are set; set only one of them",
			  name, file_var);
		return -1;
	}
	if (path) {
		*out = read_credential_file(file_var, path);
		return *out ? 0 : -1;
	}
	if (!value) {
		log_error("%s is not set (nor %s)", name, file_var);
		return -1;
	}
	*out = strdup(value);
	if (!*out) {
		log_error("unable to read %s: out of memory", name);
		return -1;
	}
	return 0;
}

/* Choose the authentication method: the one asked for, else the one set. */
static int choose_auth(struct config *cfg, char **envp, const char *method)
{
	int have_ua = credential_set(envp, VAR_CLIENT_ID) ||
		      credential_set(envp, VAR_CLIENT_SECRET);
	int have_token = credential_set(envp, VAR_TOKEN);

	if (method) {
		if (strcmp(method, "universal-auth") == 0)
			cfg->auth = AUTH_UNIVERSAL;
		else if (strcmp(method, "token") == 0)
			cfg->auth = AUTH_TOKEN;
		else {
			char safe[64];

			log_error("unknown auth method '%s' (INFISICAL_AUTH_"
				  "METHOD / --auth-method): use universal-auth"
				  " or token", log_sanitize(safe, sizeof safe,
				  method, strlen(method)));
			return -1;
		}
	} else if (have_ua && have_token) {
		log_error("both universal auth credentials and "
			  VAR_TOKEN " are set; unset one or choose with "
			  "INFISICAL_AUTH_METHOD");
		return -1;
	} else if (have_ua) {
		cfg->auth = AUTH_UNIVERSAL;
	} else if (have_token) {
		cfg->auth = AUTH_TOKEN;
	} else {
		log_error("no machine identity credentials: set " VAR_CLIENT_ID
			  " and " VAR_CLIENT_SECRET " (or their _FILE forms),"
			  " or " VAR_TOKEN);
		return -1;
	}
	if (cfg->auth == AUTH_TOKEN)
		return load_credential(envp, VAR_TOKEN, &cfg->token);
	if (load_credential(envp, VAR_CLIENT_ID, &cfg->client_id) != 0)
		return -1;
	return load_credential(envp, VAR_CLIENT_SECRET, &cfg->client_secret);
}

/*
 * The API base: the origin as given, trailing slashes removed, "/api"
 * appended unless already there (as the official CLI does).
 */
static int set_api_url(struct config *cfg, const char *url)
{
	size_t len = strlen(url);
	char safe[256];

	if (strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0) {
		log_error("INFISICAL_API_URL '%s' is not an http:// or https:// "
			  "URL", log_sanitize(safe, sizeof safe, url, len));
		return -1;
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

static void usage_error(void)
{
	fputs("Try 'infx-exec --help' for more information.\n", stderr);
}

enum config_status config_load(struct config *cfg, int argc, char **argv,
			       char **envp)
{
	enum { OPT_API_URL = 256, OPT_PROJECT, OPT_PATH, OPT_AUTH };
	static const struct option longopts[] = {
		{ "api-url", required_argument, NULL, OPT_API_URL },
		{ "project-id", required_argument, NULL, OPT_PROJECT },
		{ "env", required_argument, NULL, 'e' },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "auth-method", required_argument, NULL, OPT_AUTH },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *api_url = env_get(envp, "INFISICAL_API_URL");
	const char *method = env_get(envp, "INFISICAL_AUTH_METHOD");
	int c;

	memset(cfg, 0, sizeof *cfg);
	cfg->project_id = env_get(envp, "INFISICAL_PROJECT_ID");
	cfg->environment = env_get(envp, "INFISICAL_ENVIRONMENT");
	cfg->secret_path = env_get(envp, "INFISICAL_SECRET_PATH");

	/* '+': stop at the first operand, so the command's flags stay its. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:e:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_API_URL: api_url = optarg; break;
		case OPT_PROJECT: cfg->project_id = optarg; break;
		case 'e': cfg->environment = optarg; break;
		case OPT_PATH: cfg->secret_path = optarg; break;
		case OPT_AUTH: method = optarg; break;
		case 'h':
			fputs(config_usage, stdout);
			return CONFIG_DONE;
		case 'V':
			return CONFIG_VERSION;
		case ':':
			log_error("option '%s' needs a value", argv[optind - 1]);
			usage_error();
			return CONFIG_FAILED;
		default: {
			char safe[64];
			const char *arg = argv[optind - 1];

			log_error("unknown option '%s'",
				  log_sanitize(safe, sizeof safe, arg,
					       strlen(arg)));
			usage_error();
			return CONFIG_FAILED;
		}
		}
	}
	if (optind >= argc) {
		log_error("no command given: infx-exec [OPTION]... -- COMMAND");
		usage_error();
		return CONFIG_FAILED;
	}
	cfg->command = argv + optind;

	if (!cfg->project_id || !*cfg->project_id) {
		log_error("no project: set INFISICAL_PROJECT_ID or --project-id");
		return CONFIG_FAILED;
	}
	if (!cfg->environment || !*cfg->environment) {
		log_error("no environment: set INFISICAL_ENVIRONMENT or --env "
			  "to an environment slug (e.g. dev, prod)");
		return CONFIG_FAILED;
	}
	if (!cfg->secret_path || !*cfg->secret_path)
		cfg->secret_path = "/";
	if (cfg->secret_path[0] != '/') {
		char safe[128];

		log_error("secret path '%s' must start with '/' "
			  "(INFISICAL_SECRET_PATH / --path)",
			  log_sanitize(safe, sizeof safe, cfg->secret_path,
				       strlen(cfg->secret_path)));
		return CONFIG_FAILED;
	}
	if (set_api_url(cfg, api_url && *api_url ? api_url : DEFAULT_API_URL))
		return CONFIG_FAILED;
	if (choose_auth(cfg, envp, method && *method ? method : NULL))
		return CONFIG_FAILED;
	return CONFIG_OK;
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
	free(cfg->api_url);
	wipe_free(cfg->client_id);
	wipe_free(cfg->client_secret);
	wipe_free(cfg->token);
	memset(cfg, 0, sizeof *cfg);
}
