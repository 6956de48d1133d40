/* layout.h - infx-import's layout: which .env keys go to which Infisical
 * folder, under which name, and which secrets are references. Pure: no
 * I/O, no logging (errors are returned in a buffer). */
#ifndef INFX_LAYOUT_H
#define INFX_LAYOUT_H

#include <stddef.h>

#include "kvset.h"
#include "strlist.h"

/*
 * The layout file (docs/infx-import.1, compose-overrides/
 * infisical-layout.env) is in the .env syntax of dotenv.h with sections:
 *
 *   [/langfuse]
 *   SALT=${LANGFUSE_SALT}
 *   DATABASE_URL=postgresql://postgres:${ENV.shared.POSTGRES_PASSWORD}@postgres:5432/postgres
 *
 * A section line names a folder: "/" or "/" then names of letters, digits,
 * '-' and '_' joined by "/" (what the server accepts as folder names,
 * infisical-api.md 2.6). Each entry under it is a secret of that folder:
 * its name (one infx-exec would apply: environment_name_rule) and its
 * value, a text in which
 *   ${KEY}            is the value of KEY in the .env ([A-Za-z_][A-Za-z0-9_]*);
 *   ${ENV.a.b.KEY}    becomes the Infisical reference ${<env>.a.b.KEY} to
 *                     secret KEY of folder /a/b (${ENV.KEY}: of /), where
 *                     <env> is the environment imported into; the layout
 *                     must create that secret;
 * anything else is kept as it is. "${" always starts one of the two.
 */
struct layout_secret {
	size_t folder;		/* index in layout.folders */
	char *name;
	char *value;		/* the template, as in the file */
	size_t line;
	size_t *refs;		/* indexes of the secrets it refers to */
	size_t nrefs;
};

struct layout {
	struct strlist folders;	/* every section's folder, in file order,
				 * each once */
	struct layout_secret *secrets;	/* in file order */
	size_t n;
	size_t *order;		/* the n indexes, each after those it
				 * refers to */
};

/*
 * Parse the text of a layout file (len bytes) into out (all zero on entry).
 * Returns 0, or -1 with "line N: reason" in err (size errlen): the syntax
 * (dotenv_read), a bad folder path, a secret before the first section, a
 * name infx-exec would not apply, a name twice in one folder, an empty
 * value, a "${" that is neither placeholder, a reference to a secret the
 * layout does not create, references in a circle. Release out with
 * layout_free in every case.
 */
int layout_parse(const char *text, size_t len, struct layout *out,
		 char *err, size_t errlen);

void layout_free(struct layout *l);

/* Whether path is a folder path the layout accepts (see above); also for
 * infx-import's --path. */
int layout_folder_ok(const char *path);

/* Why a secret of the layout is not written. */
enum plan_state {
	PLAN_WRITE,		/* value holds what to write */
	PLAN_NO_KEY,		/* a ${KEY} of its value is not in the .env */
	PLAN_EMPTY_KEY,		/* ... is empty in the .env */
	PLAN_NO_SOURCE		/* it refers to a secret that is skipped */
};

struct plan_item {
	enum plan_state state;
	char *value;		/* PLAN_WRITE: malloc'd (wipe_free), else NULL */
	char *why;		/* else: the reason, for a message (names only,
				 * never a value), malloc'd */
};

struct layout_plan {
	struct plan_item *items;	/* one per secret of the layout, in
					 * the layout's order */
	struct strlist unused;	/* keys of the .env the layout never reads,
				 * in the .env's order */
};

/*
 * Apply layout l to the .env's keys and values: each secret's value with
 * ${KEY} replaced by the .env's value and ${ENV. by "${" env "." (env NULL:
 * "ENV" is kept, for a dry run), or why it is skipped; a secret that
 * refers to a skipped one is skipped too. Never fails.
 * Release out with layout_plan_free.
 */
void layout_plan(const struct layout *l, const struct kvset *dotenv,
		 const char *env, struct layout_plan *out);

void layout_plan_free(struct layout_plan *p, size_t n);

#endif
