/*
 * infx-import - the migration path off .env: upload the secrets of a .env
 * file to Infisical, either into the folders and under the names a layout
 * file gives (references to other secrets included), or the chosen keys
 * into one folder. It shares infx-exec's settings (config), machine
 * identity (credentials, auth) and HTTP code (http, retry):
 *
 *   options -> read .env (and layout) -> plan -> auth -> folders -> secrets
 *
 * Values are never printed. Exit status: 0 when every secret was created,
 * updated or skipped, 1 when something failed (the first failure ends the
 * run), 2 for a usage error (docs/infx-import.1).
 */
#include "answer.h"
#include "auth.h"
#include "config.h"
#include "credentials.h"
#include "dotenv.h"
#include "environment.h"
#include "http.h"
#include "kvset.h"
#include "layout.h"
#include "log.h"
#include "mem.h"
#include "signals.h"
#include "strlist.h"
#include "upload.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef INFX_VERSION
#define INFX_VERSION "dev"
#endif

#define FILE_MAX (1024 * 1024)
#define DEFAULT_TIMEOUT 300
#define EXIT_DONE 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define GO (-1)		/* parse_args: carry on */

extern char **environ;

static const char usage[] =
"Usage: infx-import [OPTION]... --layout LAYOUT FILE\n"
"  or:  infx-import [OPTION]... [--keys NAMES] FILE\n"
"Upload the secrets of the .env FILE ('-': standard input) to Infisical.\n"
"With --layout, create the folders and the secrets LAYOUT describes: each\n"
"takes its value from keys of FILE (${KEY}) and may refer to other secrets\n"
"(${ENV.folder.KEY} becomes ${SLUG.folder.KEY}, SLUG the environment\n"
"imported into); keys of FILE the layout does not read are listed, not\n"
"uploaded. Without it, upload the keys of FILE (all, or NAMES) to one\n"
"folder that exists. A secret that exists is left as it is, unless\n"
"--overwrite. Values are never printed.\n"
"\n"
"      --layout LAYOUT    the folders and secrets to create, e.g.\n"
"                         compose-overrides/infisical-layout.env\n"
"      --keys NAMES       without --layout: only these keys of FILE (a\n"
"                         comma list)\n"
"      --overwrite        update secrets that exist\n"
"      --dry-run          print what would be created and make no request:\n"
"                         needs no project, environment or identity\n"
"      --api-url URL      INFISICAL_API_URL: the server; /api is added when\n"
"                         missing (default https://app.infisical.com)\n"
"      --project-id ID    INFISICAL_PROJECT_ID: the project id\n"
"  -e, --env SLUG         INFISICAL_ENVIRONMENT: environment slug\n"
"      --path PATH        INFISICAL_SECRET_PATH: without --layout, the\n"
"                         folder (default /)\n"
"      --auth-method M    INFISICAL_AUTH_METHOD: as for infx-exec\n"
"      --timeout SECONDS  INFX_TIMEOUT: for the whole import, retries\n"
"                         included (default 300)\n"
"  -v, --verbose          INFX_LOG_LEVEL=debug (default warn)\n"
"  -q, --quiet            INFX_LOG_LEVEL=error\n"
"  -h, --help             print this help and exit\n"
"  -V, --version          print the versions of infx-import, libcurl, TLS,\n"
"                         cJSON and exit\n"
"\n"
"The machine identity, TLS and proxy settings are those of infx-exec (see\n"
"infx-exec --help): INFISICAL_UNIVERSAL_AUTH_CLIENT_ID and\n"
"INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET (or their _FILE forms),\n"
"INFISICAL_TOKEN, ... The identity must be allowed to create folders and\n"
"secrets in the environment (and to edit secrets, for --overwrite).\n"
"\n"
"Exit status: 0 done, 1 a failure (the first one ends the run; run it\n"
"again once fixed: what exists is skipped), 2 a usage error.\n";

/* What the command line asked for. */
struct opts {
	const char *layout;	/* --layout, or NULL */
	const char *file;	/* the .env FILE */
	struct strlist keys;	/* --keys */
	int keys_given, overwrite, dry_run, path_given;
};

/* One secret to write, or why not: its strings live in the layout, the
 * plan or the .env set. */
struct action {
	const char *folder, *name, *value, *why;
};

/* Everything one run does. */
struct job {
	struct config cfg;
	struct opts o;
	struct kvset file;
	struct layout layout;
	struct layout_plan plan;
	struct action *actions;
	size_t n, cap;
	struct strlist folders;	/* to make sure of, parents first */
	char dest[512];		/* scratch: "ENV:/folder" */
};

/* -- the command line ------------------------------------------------------ */

enum { OPT_LAYOUT = 256, OPT_KEYS, OPT_OVERWRITE, OPT_DRY_RUN, OPT_API_URL,
       OPT_PROJECT, OPT_PATH, OPT_AUTH, OPT_TIMEOUT };

/* infx-exec's settings infx-import takes, by option: the value goes to
 * the variable's entry of config.c's table (config_set). */
static const struct shared {
	int code;
	const char *name, *variable, *fixed;
} shared[] = {
	{ OPT_API_URL, "--api-url", "INFISICAL_API_URL", NULL },
	{ OPT_PROJECT, "--project-id", "INFISICAL_PROJECT_ID", NULL },
	{ 'e', "--env", "INFISICAL_ENVIRONMENT", NULL },
	{ OPT_PATH, "--path", "INFISICAL_SECRET_PATH", NULL },
	{ OPT_AUTH, "--auth-method", "INFISICAL_AUTH_METHOD", NULL },
	{ OPT_TIMEOUT, "--timeout", "INFX_TIMEOUT", NULL },
	{ 'v', "--verbose", "INFX_LOG_LEVEL", "debug" },
	{ 'q', "--quiet", "INFX_LOG_LEVEL", "error" },
};

static const struct option options[] = {
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "api-url", required_argument, NULL, OPT_API_URL },
	{ "project-id", required_argument, NULL, OPT_PROJECT },
	{ "env", required_argument, NULL, 'e' },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "auth-method", required_argument, NULL, OPT_AUTH },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* After the one line of a usage error: the hint, status 2. */
static int usage_hint(void)
{
	fputs("Try 'infx-import --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

/* One usage error: the line, the hint, status 2. */
static int usage_error(const char *what, const char *arg)
{
	char safe[128];

	log_error("%s%s%s%s", what, arg ? " '" : "", arg ?
		  log_sanitize(safe, sizeof safe, arg, strlen(arg)) : "",
		  arg ? "'" : "");
	return usage_hint();
}

static int print_and_exit(int version)
{
	errno = 0;
	if (version)
		printf("infx-import %s\n%s cJSON/%s\n", INFX_VERSION,
		       curl_version(), cJSON_Version());
	else
		fputs(usage, stdout);
	return log_flush_stdout() == 0 ? EXIT_DONE : EXIT_FAILED;
}

/* Apply one option. Returns GO, or an exit status. */
static int apply(struct job *j, int c)
{
	size_t i;

	switch (c) {
	case OPT_LAYOUT: j->o.layout = optarg; return GO;
	case OPT_KEYS:
		j->o.keys_given = 1;
		strlist_add_csv(&j->o.keys, optarg);
		return GO;
	case OPT_OVERWRITE: j->o.overwrite = 1; return GO;
	case OPT_DRY_RUN: j->o.dry_run = 1; return GO;
	case 'h': case 'V': return print_and_exit(c == 'V');
	}
	for (i = 0; i < sizeof shared / sizeof shared[0]; i++)
		if (shared[i].code == c) {
			j->o.path_given |= c == OPT_PATH;
			return config_set(&j->cfg, shared[i].variable,
					  optarg ? optarg : shared[i].fixed,
					  shared[i].name) == 0 ? GO :
			       usage_hint();
		}
	return usage_error("unknown option", NULL);
}

/* What getopt_long refused: one line and the hint. */
static int option_error(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	char opt[3] = { '-', (char)optopt, '\0' }, safe[64];

	if (c != ':')
		return usage_error("unknown option", arg);
	/* A long option is still in argv; a short one at its end may not be
	 * (musl moves optind past it). */
	arg = arg && strncmp(arg, "--", 2) == 0 ? arg : opt;
	log_error("option '%s' needs a value", log_sanitize(safe, sizeof safe,
		  arg, strlen(arg)));
	return usage_hint();
}

/* The one operand, and what goes with what. */
static int check_operands(struct job *j, int argc, char **argv)
{
	if (optind >= argc)
		return usage_error("no FILE given: infx-import [OPTION]... "
				   "[--layout LAYOUT] FILE", NULL);
	if (optind + 1 < argc)
		return usage_error(argv[optind + 1][0] == '-' ? "options go "
				   "before FILE:" : "one FILE only; this is "
				   "another:", argv[optind + 1]);
	j->o.file = argv[optind];
	if (j->o.layout && j->o.keys_given)
		return usage_error("--keys is for an import without --layout "
				   "(the layout chooses the keys)", NULL);
	if (j->o.layout && j->o.path_given)
		return usage_error("--path is for an import without --layout "
				   "(the layout names the folders)", NULL);
	if (j->o.layout && strcmp(j->o.layout, "-") == 0 &&
	    strcmp(j->o.file, "-") == 0)
		return usage_error("LAYOUT and FILE cannot both be standard "
				   "input", NULL);
	if (!j->o.layout && j->cfg.paths.n > 1)
		return usage_error("one folder only: INFISICAL_SECRET_PATH / "
				   "--path holds several", NULL);
	return GO;
}

/* Options, variables (infx-exec's table), the one operand. */
static int parse_args(struct job *j, int argc, char **argv)
{
	int c, rc;

	config_init(&j->cfg);
	j->cfg.timeout = DEFAULT_TIMEOUT;
	if (config_read_variables(&j->cfg, environ) != 0)
		return usage_hint();
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:e:hVvq", options, NULL)) !=
	       -1) {
		rc = c == ':' || c == '?' ? option_error(c, argv) :
		     apply(j, c);
		if (rc != GO)
			return rc;
	}
	rc = check_operands(j, argc, argv);
	if (rc != GO)
		return rc;
	if (j->o.layout)
		strlist_free(&j->cfg.paths);	/* the layout's, not these */
	return config_finish(&j->cfg, !j->o.dry_run) == 0 ? GO : usage_hint();
}

/* -- reading --------------------------------------------------------------- */

/* path for a message: 'path' (sanitized), or standard input for "-". */
static const char *shown(const char *path, char *buf, size_t len)
{
	char safe[256];

	if (strcmp(path, "-") == 0)
		snprintf(buf, len, "standard input");
	else
		snprintf(buf, len, "'%s'", log_sanitize(safe, sizeof safe,
							path, strlen(path)));
	return buf;
}

/* The whole of path ('-': standard input), NUL-terminated, at most
 * FILE_MAX bytes; NULL after one line. */
static char *read_all(const char *path, size_t *len)
{
	int in = strcmp(path, "-") == 0;
	int fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	char *buf, safe[256];
	ssize_t n = 0;

	*len = 0;
	shown(path, safe, sizeof safe);
	if (fd < 0) {
		log_error("unable to open %s: %s", safe, strerror(errno));
		return NULL;
	}
	buf = xmalloc(FILE_MAX + 1);
	while (*len <= FILE_MAX &&
	       (n = read(fd, buf + *len, FILE_MAX + 1 - *len)) > 0)
		*len += (size_t)n;
	if (!in)
		close(fd);
	if (n < 0 || *len > FILE_MAX) {
		log_error("unable to read %s: %s", safe, n < 0 ?
			  strerror(errno) : "larger than 1 MiB");
		wipe_free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* Parse the .env FILE into j->file. Returns 0, or -1 after one line. */
static int read_dotenv(struct job *j)
{
	size_t len;
	char *text = read_all(j->o.file, &len), err[256], safe[256];
	int rc = -1;

	if (text && dotenv_parse(text, len, &j->file, err, sizeof err) == 0)
		rc = 0;
	else if (text)
		log_error("unable to read %s: %s", shown(j->o.file, safe,
			  sizeof safe), err);
	wipe_free(text);
	return rc;
}

static int read_layout(struct job *j)
{
	size_t len;
	char *text = read_all(j->o.layout, &len), err[256], safe[256];
	int rc = -1;

	if (text && layout_parse(text, len, &j->layout, err,
				 sizeof err) == 0)
		rc = 0;
	else if (text)
		log_error("unable to read the layout %s: %s",
			  shown(j->o.layout, safe, sizeof safe), err);
	free(text);
	return rc;
}

/* -- what to do ------------------------------------------------------------ */

/* A new, empty action at the end of j->actions. */
static struct action *add_action(struct job *j)
{
	if (j->n == j->cap) {
		struct action *a;

		j->cap = j->cap ? j->cap * 2 : 64;
		a = xcalloc(j->cap, sizeof *a);
		if (j->n)
			memcpy(a, j->actions, j->n * sizeof *a);
		free(j->actions);
		j->actions = a;
	}
	return &j->actions[j->n++];
}

/* Folder f and its parents, parents first, each once; "/" exists. */
static void add_folder(struct strlist *folders, const char *f)
{
	const char *p;

	for (p = f + 1; *p; p++)
		if (*p == '/' && !strlist_has(folders, f, (size_t)(p - f)))
			strlist_add(folders, f, (size_t)(p - f));
	if (strcmp(f, "/") != 0 && !strlist_has(folders, f, strlen(f)))
		strlist_add(folders, f, strlen(f));
}

static void plan_layout(struct job *j)
{
	const struct layout *l = &j->layout;
	size_t i;

	layout_plan(l, &j->file, j->cfg.environment, &j->plan);
	for (i = 0; i < l->folders.n; i++)
		add_folder(&j->folders, l->folders.v[i]);
	for (i = 0; i < l->n; i++) {
		struct action *a = add_action(j);

		a->folder = l->folders.v[l->secrets[i].folder];
		a->name = l->secrets[i].name;
		a->value = j->plan.items[i].value;
		a->why = j->plan.items[i].why;
	}
}

/* Without a layout: every key of the file, or --keys (each must be in
 * it), to the one folder. Returns 0, or -1 after one line. */
static int plan_keys(struct job *j)
{
	const struct kvset *f = &j->file;
	size_t i, n = j->o.keys_given ? j->o.keys.n : f->count;
	char safe[128];

	if (!j->o.keys_given)
		log_warn("no --keys: taking every key of the file; hosts, ports "
			 "and other configuration belong in .env, not Infisical "
			 "(--layout chooses per folder)");
	for (i = 0; i < n; i++) {
		const char *k = j->o.keys_given ? j->o.keys.v[i] : NULL;
		const struct kv *e = k ? kvset_get(f, k, strlen(k)) :
				     &f->items[i];
		struct action *a;

		if (!e) {
			log_error("key '%s' (--keys) is not in the file",
				  log_sanitize(safe, sizeof safe, k,
					       strlen(k)));
			return -1;
		}
		a = add_action(j);
		a->folder = j->cfg.paths.v[0];
		a->name = e->name;
		a->value = e->value;
		if (environment_name_rule(e->name, e->name_len) != NAME_OK)
			a->why = "a reserved name: infx-exec would not set it";
	}
	return 0;
}

/* "prod:/n8n", or "/n8n" without an environment (a dry run). */
static const char *dest(struct job *j, const char *folder)
{
	snprintf(j->dest, sizeof j->dest, "%s%s%s",
		 j->cfg.environment ? j->cfg.environment : "",
		 j->cfg.environment ? ":" : "", folder);
	return j->dest;
}

/* The keys of the .env the layout does not read (none without one). */
static void print_left_out(struct job *j)
{
	size_t i;

	for (i = 0; i < j->plan.unused.n; i++)
		printf("not in the layout: %s\n", j->plan.unused.v[i]);
}

static void print_dry_run(struct job *j)
{
	size_t i;

	for (i = 0; i < j->folders.n; i++)
		printf("would create folder %s\n", dest(j, j->folders.v[i]));
	for (i = 0; i < j->n; i++) {
		const struct action *a = &j->actions[i];

		if (a->why)
			printf("skipped %s in %s (%s)\n", a->name,
			       dest(j, a->folder), a->why);
		else
			printf("would create %s in %s\n", a->name,
			       dest(j, a->folder));
	}
}

/* -- writing --------------------------------------------------------------- */

/* The folders directly in each parent, as far as this run knows. */
struct known {
	struct strlist parents;
	struct strlist *children;	/* one list per parent */
};

/* The list of parent's children (empty when new to k). */
static struct strlist *known_list(struct known *k, const char *parent,
				  int *is_new)
{
	struct strlist *c;
	size_t i;

	*is_new = 0;
	for (i = 0; i < k->parents.n; i++)
		if (strcmp(k->parents.v[i], parent) == 0)
			return &k->children[i];
	c = xcalloc(k->parents.n + 1, sizeof *c);
	if (k->parents.n)
		memcpy(c, k->children, k->parents.n * sizeof *c);
	free(k->children);
	k->children = c;
	strlist_add(&k->parents, parent, strlen(parent));
	*is_new = 1;
	return &k->children[k->parents.n - 1];
}

/* The folders in parent: asked once, then known. NULL after one line. */
static struct strlist *children_of(struct known *k, const struct upload *u,
				   const char *parent)
{
	int is_new;
	struct strlist *c = known_list(k, parent, &is_new);

	if (is_new && upload_list_folders(u, parent, c) != 0)
		return NULL;
	return c;
}

/* Each folder of j->folders, made when missing (parents first: a folder
 * made here has no children yet). Returns 0, or -1 after one line. */
static int make_folders(struct job *j, const struct upload *u)
{
	struct known k = { { 0 }, NULL };
	size_t i;
	int failed = 0, is_new;

	for (i = 0; i < j->folders.n && !failed; i++) {
		const char *f = j->folders.v[i], *slash = strrchr(f, '/');
		char *parent = slash == f ? xstrdup("/") :
			       xmemdup(f, (size_t)(slash - f));
		struct strlist *c = children_of(&k, u, parent);

		failed = !c;
		if (c && strlist_has(c, slash + 1, strlen(slash + 1))) {
			printf("folder %s exists\n", dest(j, f));
		} else if (c) {
			failed = upload_create_folder(u, parent, slash + 1);
			if (!failed) {
				printf("created folder %s\n", dest(j, f));
				strlist_add(c, slash + 1, strlen(slash + 1));
				known_list(&k, f, &is_new);	/* empty */
			}
		}
		free(parent);
	}
	for (i = 0; i < k.parents.n; i++)
		strlist_free(&k.children[i]);
	free(k.children);
	strlist_free(&k.parents);
	return failed ? -1 : 0;
}

/* Each action, in order: written, left alone, or skipped with its reason.
 * Returns 0, or -1 after one line (the first failure ends it). */
static int write_secrets(struct job *j, const struct upload *u)
{
	static const char *const done[] = { "created", "updated", "skipped" };
	size_t i;

	for (i = 0; i < j->n; i++) {
		const struct action *a = &j->actions[i];
		enum upload_result r;

		if (a->why) {
			printf("skipped %s in %s (%s)\n", a->name,
			       dest(j, a->folder), a->why);
			continue;
		}
		r = upload_secret(u, a->folder, a->name, a->value,
				  j->o.overwrite);
		if (r == UPLOAD_FAILED)
			return -1;
		printf("%s %s in %s%s\n", done[r], a->name,
		       dest(j, a->folder), r == UPLOAD_EXISTS ? " (it exists; "
		       "--overwrite replaces it)" : "");
	}
	return 0;
}

/* Log in, then the folders, then the secrets. Returns 0 or -1 (one line
 * printed, or a stop signal caught). */
static int upload_all(struct job *j)
{
	struct credentials c;
	struct http_setup setup = {
		.envp = environ, .api_url = j->cfg.api_url,
		.ca_file = j->cfg.ca_file, .headers = &c.headers,
		.deadline_ms = http_now_ms() + j->cfg.timeout * 1000,
	};
	struct upload u = { NULL, j->cfg.api_url, j->cfg.project_id,
			    j->cfg.environment, NULL };
	char *token = NULL;
	int rc = -1;

	if (credentials_load(&c, environ, j->cfg.auth_method) == 0 &&
	    http_global_init() == 0) {
		u.h = http_new(&setup);
		if (u.h && auth_get_token(u.h, j->cfg.api_url, &c, &token) ==
		    API_OK) {
			u.token = token;
			log_forbid(token);
			rc = make_folders(j, &u) == 0 &&
			     write_secrets(j, &u) == 0 ? 0 : -1;
		}
		http_free(u.h);
		http_global_cleanup();
	}
	log_allow(token);
	wipe_free(token);
	credentials_free(&c);
	return rc;
}

/* -- the run --------------------------------------------------------------- */

static int run(struct job *j)
{
	int rc;

	if (read_dotenv(j) != 0 || (j->o.layout && read_layout(j) != 0))
		return EXIT_FAILED;
	if (j->o.layout)
		plan_layout(j);
	else if (plan_keys(j) != 0)
		return EXIT_FAILED;
	errno = 0;
	print_left_out(j);
	if (j->o.dry_run) {
		print_dry_run(j);
		rc = 0;
	} else {
		rc = upload_all(j);
	}
	if (rc != 0 && signals_caught())
		log_error("stopped by %s; run infx-import again to finish (what "
			  "exists is skipped)", signals_name(signals_caught()));
	if (log_flush_stdout() != 0)
		rc = -1;
	return rc == 0 ? EXIT_DONE : EXIT_FAILED;
}

static void job_free(struct job *j)
{
	layout_plan_free(&j->plan, j->layout.n);
	layout_free(&j->layout);
	kvset_free(&j->file);
	strlist_free(&j->o.keys);
	strlist_free(&j->folders);
	free(j->actions);
	config_free(&j->cfg);
}

int main(int argc, char **argv)
{
	static struct job j;
	int rc;

	log_set_program("infx-import");
	mem_set_exit_status(EXIT_FAILED);
	/* A line as soon as each folder or secret is done, also in a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	answer_init();
	kvset_init(&j.file);
	if (signals_catch() != 0) {
		log_error("unable to install signal handlers");
		return EXIT_FAILED;
	}
	rc = parse_args(&j, argc, argv);
	if (rc == GO)
		rc = run(&j);
	job_free(&j);
	return rc;
}
