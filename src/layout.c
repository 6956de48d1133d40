/* layout.c - the layout file of infx-import, and its plan for one .env. */
#include "layout.h"

#include "dotenv.h"
#include "environment.h"
#include "log.h"
#include "mem.h"
#include "wbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static int is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [A-Za-z_][A-Za-z0-9_]*: a .env key, or a secret's name. */
static int is_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !is_alpha(s[0]))
		return 0;
	for (i = 1; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]))
			return 0;
	return 1;
}

/* [A-Za-z0-9_-]+: a folder's name. */
static int is_folder_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '-')
			return 0;
	return len > 0;
}

int layout_folder_ok(const char *path)
{
	const char *p = path;

	if (strcmp(path, "/") == 0)
		return 1;
	while (*p == '/') {
		const char *end = strchr(p + 1, '/');
		size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);

		if (!is_folder_name(p + 1, len))
			return 0;
		p += 1 + len;
	}
	return *p == '\0' && p != path;
}

/* -- placeholders --------------------------------------------------------- */

enum ph_kind { PH_KEY, PH_REF, PH_BAD };

struct placeholder {
	const char *start, *end;	/* "${" and just after "}" */
	const char *inner;		/* between the braces */
	size_t len;
	enum ph_kind kind;
};

/* Folder names and a secret's name, joined by dots: "a.b.KEY". */
static int is_reference_body(const char *s, size_t len)
{
	const char *end = s + len, *last = end;

	while (last > s && last[-1] != '.')
		last--;
	if (!is_name(last, (size_t)(end - last)))
		return 0;
	while (s < last) {
		const char *dot = memchr(s, '.', (size_t)(last - s));

		if (!is_folder_name(s, (size_t)(dot - s)))
			return 0;
		s = dot + 1;
	}
	return 1;
}

/* ENV.a.b.KEY */
static int is_reference(const char *s, size_t len)
{
	return len > 4 && memcmp(s, "ENV.", 4) == 0 &&
	       is_reference_body(s + 4, len - 4);
}

/* The first placeholder at or after p: 1, 0 when there is none, -1 for a
 * "${" without its "}". */
static int next_placeholder(const char *p, struct placeholder *ph)
{
	const char *close;

	ph->start = strstr(p, "${");
	if (!ph->start)
		return 0;
	close = strchr(ph->start + 2, '}');
	if (!close)
		return -1;
	ph->inner = ph->start + 2;
	ph->len = (size_t)(close - ph->inner);
	ph->end = close + 1;
	ph->kind = is_name(ph->inner, ph->len) ? PH_KEY :
		   is_reference(ph->inner, ph->len) ? PH_REF : PH_BAD;
	return 1;
}

/* "/a/b/KEY" for the reference ENV.a.b.KEY (malloc'd). */
static char *reference_key(const struct placeholder *ph)
{
	char *key = xmemdup(ph->inner + 3, ph->len - 3), *c;

	for (c = key; *c; c++)
		if (*c == '.')
			*c = '/';
	return key;
}

/* "/folder/NAME" ("/NAME" in /): one secret of the layout. */
static char *secret_key(const char *folder, const char *name)
{
	size_t n = strlen(folder) + strlen(name) + 2;
	char *key = xmalloc(n);

	snprintf(key, n, "%s/%s", strcmp(folder, "/") ? folder : "", name);
	return key;
}

/* -- parsing -------------------------------------------------------------- */

struct parsing {
	struct layout *l;
	size_t folder;		/* the current section's, or NONE */
	struct kvset index;	/* secret_key -> index (size_t bytes) */
};

static size_t folder_index(struct layout *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->folders.n; i++)
		if (strcmp(l->folders.v[i], path) == 0)
			return i;
	strlist_add(&l->folders, path, strlen(path));
	return l->folders.n - 1;
}

/* Each "${" of value is a placeholder of a known kind. */
static int check_placeholders(const char *name, const char *value,
			      char *err, size_t errlen)
{
	struct placeholder ph;
	const char *p = value;
	char safe[64];
	int r;

	while ((r = next_placeholder(p, &ph)) > 0) {
		const char *dot = memchr(ph.inner, '.', ph.len);

		log_sanitize(safe, sizeof safe, ph.inner, ph.len);
		if (ph.kind == PH_BAD && dot && is_reference_body(dot + 1,
				(size_t)(ph.inner + ph.len - dot - 1))) {
			snprintf(err, errlen, "%s: ${%s} names an environment; "
				 "write ${ENV%.*s} (ENV: the one imported into)",
				 name, safe, (int)(ph.inner + ph.len - dot), dot);
			return -1;
		}
		if (ph.kind == PH_BAD) {
			snprintf(err, errlen, "%s: ${%s} is neither ${KEY} (a "
				 "key of the .env) nor ${ENV.folder.KEY} (a "
				 "reference)", name, safe);
			return -1;
		}
		p = ph.end;
	}
	if (r < 0)
		snprintf(err, errlen, "%s: a \"${\" without its \"}\"", name);
	return r;
}

static int check_name(const struct dotenv_entry *e, char *err,
		      size_t errlen)
{
	char safe[64];

	log_sanitize(safe, sizeof safe, e->name, e->name_len);
	if (!is_name(e->name, e->name_len)) {
		snprintf(err, errlen, "%s is not a variable name ([A-Za-z_]"
			 "[A-Za-z0-9_]*)", safe);
		return -1;
	}
	if (environment_name_rule(e->name, e->name_len) != NAME_OK) {
		snprintf(err, errlen, "%s is a reserved name: infx-exec would "
			 "not set it", safe);
		return -1;
	}
	if (e->value_len == 0) {
		snprintf(err, errlen, "%s has an empty value", safe);
		return -1;
	}
	return 0;
}

static int add_secret(struct parsing *ps, const struct dotenv_entry *e,
		      char *err, size_t errlen)
{
	struct layout *l = ps->l;
	struct layout_secret *s;
	char *name, *key;
	int added;

	if (check_name(e, err, errlen) != 0)
		return -1;
	name = xmemdup(e->name, e->name_len);
	if (check_placeholders(name, e->value, err, errlen) != 0) {
		free(name);
		return -1;
	}
	key = secret_key(l->folders.v[ps->folder], name);
	added = kvset_put(&ps->index, key, strlen(key), (const char *)&l->n,
			  sizeof l->n, NULL, KV_KEEP);
	free(key);
	if (!added) {
		snprintf(err, errlen, "%s is given twice in %s", name,
			 l->folders.v[ps->folder]);
		free(name);
		return -1;
	}
	s = xcalloc(l->n + 1, sizeof *s);
	if (l->n)
		memcpy(s, l->secrets, l->n * sizeof *s);
	free(l->secrets);
	l->secrets = s;
	s = &l->secrets[l->n++];
	s->folder = ps->folder;
	s->name = name;
	s->value = xmemdup(e->value, e->value_len);
	s->line = e->line;
	return 0;
}

static int on_entry(void *ctx, const struct dotenv_entry *e, char *err,
		    size_t errlen)
{
	struct parsing *ps = ctx;
	char safe[128];

	if (!e->name) {
		if (!layout_folder_ok(e->section)) {
			snprintf(err, errlen, "[%s] is not a folder path: '/' "
				 "and names of letters, digits, '-' and '_'",
				 log_sanitize(safe, sizeof safe, e->section,
					      strlen(e->section)));
			return -1;
		}
		ps->folder = folder_index(ps->l, e->section);
		return 0;
	}
	if (ps->folder == NONE) {
		snprintf(err, errlen, "a secret before the first [/folder] "
			 "line");
		return -1;
	}
	return add_secret(ps, e, err, errlen);
}

/* -- references ----------------------------------------------------------- */

/* Append the index that target (of the index) holds to s->refs. */
static void add_ref(struct layout_secret *s, const struct kv *target)
{
	size_t *r = xcalloc(s->nrefs + 1, sizeof *r);

	if (s->nrefs)
		memcpy(r, s->refs, s->nrefs * sizeof *r);
	memcpy(&r[s->nrefs++], target->value, sizeof *r);
	free(s->refs);
	s->refs = r;
}

/* Fill s->refs from the ${ENV....} placeholders of its value. */
static int link_secret(struct parsing *ps, struct layout_secret *s,
		       char *err, size_t errlen)
{
	struct placeholder ph;
	const char *p = s->value;

	while (next_placeholder(p, &ph) > 0) {
		char *key = ph.kind == PH_REF ? reference_key(&ph) : NULL;
		const struct kv *target = key ?
			kvset_get(&ps->index, key, strlen(key)) : NULL;

		p = ph.end;
		if (key && !target) {
			snprintf(err, errlen, "line %zu: %s: ${%.*s} refers to "
				 "%s, which the layout does not create",
				 s->line, s->name, (int)ph.len, ph.inner, key);
			free(key);
			return -1;
		}
		free(key);
		if (target)
			add_ref(s, target);
	}
	return 0;
}

/* Depth first: i after what it refers to. state: 0 new, 1 on the way,
 * 2 placed. Returns 0, or -1 for a circle (err says where). */
static int place(struct layout *l, size_t i, unsigned char *state,
		 size_t *placed, char *err, size_t errlen)
{
	struct layout_secret *s = &l->secrets[i];
	size_t k;

	if (state[i] == 2)
		return 0;
	if (state[i] == 1) {
		snprintf(err, errlen, "line %zu: %s in %s refers back to itself "
			 "through its references", s->line, s->name,
			 l->folders.v[s->folder]);
		return -1;
	}
	state[i] = 1;
	for (k = 0; k < s->nrefs; k++)
		if (place(l, s->refs[k], state, placed, err, errlen) != 0)
			return -1;
	state[i] = 2;
	l->order[(*placed)++] = i;
	return 0;
}

static int link_all(struct parsing *ps, char *err, size_t errlen)
{
	struct layout *l = ps->l;
	unsigned char *state = xcalloc(l->n + 1, 1);
	size_t i, placed = 0;
	int rc = 0;

	l->order = xcalloc(l->n + 1, sizeof *l->order);
	for (i = 0; i < l->n && rc == 0; i++)
		rc = link_secret(ps, &l->secrets[i], err, errlen);
	for (i = 0; i < l->n && rc == 0; i++)
		rc = place(l, i, state, &placed, err, errlen);
	free(state);
	return rc;
}

int layout_parse(const char *text, size_t len, struct layout *out,
		 char *err, size_t errlen)
{
	struct parsing ps = { out, NONE, { 0 } };
	int rc;

	memset(out, 0, sizeof *out);
	kvset_init(&ps.index);
	rc = dotenv_read(text, len, on_entry, &ps, err, errlen);
	if (rc == 0)
		rc = link_all(&ps, err, errlen);
	kvset_free(&ps.index);
	return rc;
}

/* What one secret of a layout holds. */
static void secret_free(struct layout_secret *s)
{
	free(s->name);
	free(s->value);
	free(s->refs);
}

void layout_free(struct layout *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		secret_free(&l->secrets[i]);
	free(l->secrets);
	free(l->order);
	strlist_free(&l->folders);
	memset(l, 0, sizeof *l);
}

/* -- the plan for one .env ------------------------------------------------ */

/* The strings up to NULL, end to end (malloc'd). */
static char *concat(const char *first, ...)
{
	struct wbuf b = { 0 };
	const char *s;
	va_list ap;

	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *))
		wbuf_add(&b, s, strlen(s));
	va_end(ap);
	return b.data ? b.data : xstrdup("");
}

/* The value of secret s, or why not (item). */
static void expand(const struct layout_secret *s, const struct kvset *dotenv,
		   const char *env, struct plan_item *item)
{
	struct placeholder ph;
	struct wbuf v = { 0 };
	const char *p = s->value;
	char key[256];

	while (next_placeholder(p, &ph) > 0) {
		wbuf_add(&v, p, (size_t)(ph.start - p));
		p = ph.end;
		if (ph.kind == PH_REF) {
			wbuf_add(&v, "${", 2);
			wbuf_add(&v, env ? env : "ENV", strlen(env ? env : "ENV"));
			wbuf_add(&v, ph.inner + 3, ph.len - 3 + 1);
			continue;
		}
		{
			const struct kv *e = kvset_get(dotenv, ph.inner, ph.len);

			snprintf(key, sizeof key, "%.*s", (int)ph.len, ph.inner);
			if (!e || e->value_len == 0) {
				item->state = e ? PLAN_EMPTY_KEY : PLAN_NO_KEY;
				item->why = concat(key, e ? " is empty" :
						   " is not", " in the .env file",
						   (char *)NULL);
				wbuf_free(&v);
				return;
			}
			wbuf_add(&v, e->value, e->value_len);
		}
	}
	wbuf_add(&v, p, strlen(p));
	item->state = PLAN_WRITE;
	item->value = v.data ? v.data : xstrdup("");
}

static void plan_one(const struct layout *l, size_t i,
		     const struct kvset *dotenv, const char *env,
		     struct plan_item *items)
{
	const struct layout_secret *s = &l->secrets[i];
	size_t k;

	expand(s, dotenv, env, &items[i]);
	for (k = 0; k < s->nrefs && items[i].state == PLAN_WRITE; k++) {
		const struct layout_secret *t = &l->secrets[s->refs[k]];

		if (items[s->refs[k]].state == PLAN_WRITE)
			continue;
		wipe_free(items[i].value);
		items[i].value = NULL;
		items[i].state = PLAN_NO_SOURCE;
		items[i].why = concat("it refers to ", t->name, " in ",
				      l->folders.v[t->folder],
				      ", which is skipped", (char *)NULL);
	}
}

/* Whether some secret's value reads the .env key name (len bytes). */
static int reads_key(const struct layout *l, const char *name, size_t len)
{
	struct placeholder ph;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *p = l->secrets[i].value;

		while (next_placeholder(p, &ph) > 0) {
			if (ph.kind == PH_KEY && ph.len == len &&
			    memcmp(ph.inner, name, len) == 0)
				return 1;
			p = ph.end;
		}
	}
	return 0;
}

void layout_plan(const struct layout *l, const struct kvset *dotenv,
		 const char *env, struct layout_plan *out)
{
	size_t i;

	memset(out, 0, sizeof *out);
	out->items = xcalloc(l->n + 1, sizeof *out->items);
	for (i = 0; i < l->n; i++)
		plan_one(l, l->order[i], dotenv, env, out->items);
	for (i = 0; i < dotenv->count; i++) {
		const struct kv *e = &dotenv->items[i];

		if (!reads_key(l, e->name, e->name_len))
			strlist_add(&out->unused, e->name, e->name_len);
	}
}

void layout_plan_free(struct layout_plan *p, size_t n)
{
	size_t i;

	for (i = 0; p->items && i < n; i++) {
		wipe_free(p->items[i].value);
		free(p->items[i].why);
	}
	free(p->items);
	strlist_free(&p->unused);
	memset(p, 0, sizeof *p);
}
