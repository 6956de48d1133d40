/*
 * infx-import - the migration path off .env: upload chosen keys of an
 * existing .env file to one Infisical folder, with the same machine
 * identity settings as infx-exec (and its HTTP, retry and auth code).
 *
 *   config -> read .env -> choose keys -> auth -> create (or update) each
 *
 * Values are never printed. Exit status: 0 when every chosen key was
 * created, updated or (existing, without --overwrite) skipped; 1 when
 * anything failed; 2 for a usage error.
 */
#include "answer.h"
#include "auth.h"
#include "config.h"
#include "credentials.h"
#include "dotenv.h"
#include "environment.h"
#include "http.h"
#include "kvset.h"
#include "log.h"
#include "mem.h"
#include "retry.h"
#include "strlist.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOTENV_MAX (1024 * 1024)

extern char **environ;

static const char usage[] =
"Usage: infx-import [--dry-run] [--keys NAMES] [--overwrite] [OPTION]... FILE\n"
"(infx-import's own flags first, then infx-exec's OPTIONs)\n"
"Upload the keys of the .env FILE (all, or NAMES: a comma list) to one\n"
"Infisical folder: INFISICAL_PROJECT_ID, INFISICAL_ENVIRONMENT and\n"
"INFISICAL_SECRET_PATH (or --project-id, --env, --path), with a machine\n"
"identity that may write there, set as for infx-exec (see infx-exec --help\n"
"for every OPTION and variable). Values are never printed.\n"
"\n"
"      --dry-run          list the keys that would be uploaded; no request\n"
"      --keys NAMES       only these keys (each must be in FILE)\n"
"      --overwrite        update secrets that exist (default: skip them)\n"
"\n"
"Exit status: 0 done, 1 something failed, 2 usage error.\n";

struct import_opts {
	int dry_run, overwrite;
	struct strlist keys;
};

/*
 * infx-import's own flags come first; the first argument that is not one
 * of them starts what config_load reads (infx-exec's options, then FILE).
 * Returns the index of that argument, 0 after --help, -1 on out of memory.
 */
static int take_own_flags(int argc, char **argv, struct import_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--dry-run") == 0) {
			o->dry_run = 1;
		} else if (strcmp(a, "--overwrite") == 0) {
			o->overwrite = 1;
		} else if (strncmp(a, "--keys=", 7) == 0 ||
			   (strcmp(a, "--keys") == 0 && i + 1 < argc)) {
			const char *v = a[6] == '=' ? a + 7 : argv[++i];

			strlist_add_csv(&o->keys, v);
		} else {
			break;
		}
	}
	return i;
}

/* The whole file, NUL-terminated, at most DOTENV_MAX bytes. */
static char *read_file(const char *path, size_t *len)
{
	char *buf = xmalloc(DOTENV_MAX + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*len = 0;
	if (fd < 0) {
		log_error("unable to open '%s': %s", path, strerror(errno));
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + *len, DOTENV_MAX + 1 - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	if (n < 0 || *len > DOTENV_MAX) {
		log_error("unable to read '%s': %s", path, n < 0 ?
			  strerror(errno) : "larger than 1 MiB");
		wipe_free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* Take e unless infx-exec would not apply it (reserved names). */
static int take(const struct kv *e, struct kvset *out)
{
	if (environment_name_rule(e->name, e->name_len) != NAME_OK) {
		printf("skipped %s (a reserved name: infx-exec would not set "
		       "it)\n", e->name);
		return 0;
	}
	kvset_put(out, e->name, e->name_len, e->value, e->value_len, NULL,
		  KV_REPLACE);
	return 0;
}

/* The keys to upload: all of the file, or --keys (each must be there). */
static int choose(const struct kvset *file, const struct strlist *keys,
		  struct kvset *out)
{
	size_t i;

	if (keys->n == 0) {
		log_warn("no --keys: taking every key of the file; hosts, ports "
			 "and other configuration belong in .env, not Infisical");
		for (i = 0; i < file->count; i++)
			if (take(&file->items[i], out) != 0)
				return -1;
		return 0;
	}
	for (i = 0; i < keys->n; i++) {
		const struct kv *e = kvset_get(file, keys->v[i],
					       strlen(keys->v[i]));
		char safe[128];

		if (!e) {
			log_error("key '%s' (--keys) is not in the file",
				  log_sanitize(safe, sizeof safe, keys->v[i],
					       strlen(keys->v[i])));
			return -1;
		}
		if (take(e, out) != 0)
			return -1;
	}
	return 0;
}

static char *write_body(const struct config *cfg, const struct kv *e)
{
	cJSON *o = cJSON_CreateObject();
	char *body = NULL;

	if (o && cJSON_AddStringToObject(o, "workspaceId", cfg->project_id) &&
	    cJSON_AddStringToObject(o, "environment", cfg->environment) &&
	    cJSON_AddStringToObject(o, "secretPath", cfg->paths.v[0]) &&
	    cJSON_AddStringToObject(o, "secretValue", e->value) &&
	    cJSON_AddStringToObject(o, "type", "shared"))
		body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!body)
		mem_exhausted();
	return body;
}

/*
 * POST {api}/v3/secrets/raw/NAME (create); when it exists (400 "Secret
 * already exist") and --overwrite, PATCH the same URL (update). Prints
 * one line per key on stdout. Returns 0 or -1 (message printed).
 */
static int upload(struct http *h, const struct config *cfg,
		  const char *token, const struct kv *e, int overwrite)
{
	struct http_response resp = { 0 };
	char *name = http_escape(h, e->name), *body = write_body(cfg, e);
	size_t n = strlen(cfg->api_url) + strlen(name) + 32;
	char *url = xmalloc(n), err[512], safe[128];
	const char *method = NULL, *done = "created";
	enum api_status st;

	log_sanitize(safe, sizeof safe, e->name, e->name_len);
	snprintf(url, n, "%s/v3/secrets/raw/%s", cfg->api_url, name);
	for (;;) {
		st = retry_request(h, method, url, token, body, &resp, err,
				   sizeof err);
		if (st != API_OK || resp.status != 400 || method ||
		    !overwrite || !answer_error_is(&resp, 400, "BadRequest"))
			break;
		http_response_free(&resp);
		method = "PATCH";
		done = "updated";
	}
	if (st == API_OK && resp.status == 200) {
		printf("%s %s\n", done, safe);
	} else if (st == API_OK && resp.status == 400 && !overwrite) {
		printf("skipped %s (it exists; --overwrite replaces it)\n",
		       safe);
	} else {
		if (st == API_OK)
			answer_describe_error(&resp, err, sizeof err);
		log_error("unable to upload '%s': %s", safe, err);
		st = API_FAILED;
	}
	http_response_free(&resp);
	wipe_free(body);
	free(name);
	free(url);
	return st == API_OK ? 0 : -1;
}

static int upload_all(const struct config *cfg, const struct kvset *keys,
		      int overwrite)
{
	struct credentials c;
	struct http_setup setup = {
		.envp = environ, .api_url = cfg->api_url,
		.ca_file = cfg->ca_file, .headers = &c.headers,
		.deadline_ms = http_now_ms() + cfg->timeout * 1000,
	};
	struct http *h = NULL;
	char *token = NULL;
	size_t i;
	int failed = 1;

	if (credentials_load(&c, environ, cfg->auth_method) == 0 &&
	    http_global_init() == 0) {
		h = http_new(&setup);
		if (h && auth_get_token(h, cfg->api_url, &c, &token) ==
		    API_OK) {
			failed = 0;
			for (i = 0; i < keys->count; i++)
				failed |= upload(h, cfg, token, &keys->items[i],
						 overwrite) != 0;
		}
		http_free(h);
		http_global_cleanup();
	}
	wipe_free(token);
	credentials_free(&c);
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct import_opts o = { 0 };
	struct config cfg;
	struct kvset file, keys;
	char *text = NULL, err[256];
	size_t len, i;
	int first, rc = 1;

	answer_init();
	kvset_init(&file);
	kvset_init(&keys);
	memset(&cfg, 0, sizeof cfg);
	log_set_program("infx-import");
	first = take_own_flags(argc, argv, &o);
	if (first <= 0) {
		strlist_free(&o.keys);
		return 0;
	}
	/* config_load sees argv[first - 1] as the program name. */
	if (config_load(&cfg, argc - first + 1, argv + first - 1,
			environ) != CONFIG_OK ||
	    cfg.command[1] || cfg.paths.n != 1) {
		if (cfg.command && (cfg.command[1] || cfg.paths.n != 1))
			log_error("give one FILE and one secret path");
		rc = 2;
		goto out;
	}
	text = read_file(cfg.command[0], &len);
	if (!text)
		goto out;
	if (dotenv_parse(text, len, &file, err, sizeof err) != 0) {
		log_error("unable to read '%s': %s", cfg.command[0], err);
		goto out;
	}
	if (choose(&file, &o.keys, &keys) != 0)
		goto out;
	if (o.dry_run) {
		for (i = 0; i < keys.count; i++)
			printf("%s\n", keys.items[i].name);
		log_info("dry run: %zu keys would go to project '%s', "
			 "environment '%s', path '%s'", keys.count,
			 cfg.project_id, cfg.environment, cfg.paths.v[0]);
		rc = 0;
	} else {
		rc = upload_all(&cfg, &keys, o.overwrite) == 0 ? 0 : 1;
	}
out:
	wipe_free(text);
	kvset_free(&file);
	kvset_free(&keys);
	strlist_free(&o.keys);
	config_free(&cfg);
	return rc;
}
