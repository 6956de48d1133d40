/* answer.c - Infisical answers -> secrets, tokens, error descriptions. */
#include "answer.h"

#include "log.h"
#include "mem.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What replaces a \u0000 escape before cJSON reads the text: a byte that
 * valid UTF-8 never holds, so that the secret holding it can be named. */
#define NUL_MARK '\xff'

/*
 * The tree of a list answer is the biggest thing infx-exec builds (about
 * seven times the body, 45 blocks a secret). Its blocks are carved from an
 * arena of a few large chunks instead: no malloc, free nor wipe per block,
 * and the whole tree is wiped and freed at once when the answer has been
 * merged. The arena is the wipe-and-free of parse memory; everything else
 * cJSON allocates goes through mem.h's hooks.
 */
struct chunk {
	struct chunk *next;
	size_t used, size;
	unsigned char data[];
};

static struct chunk *arena;	/* the chunks of the tree being built */
static size_t arena_hint;	/* the size of the first chunk */

static void *tree_malloc(size_t n)
{
	struct chunk *c = arena;
	size_t at;

	if (!arena_hint)
		return wipe_malloc(n);
	at = c ? (c->used + 15) & ~(size_t)15 : 0;
	if (!c || n > c->size - at) {
		size_t size = c ? c->size * 2 : arena_hint;

		if (size < n)
			size = n;
		c = malloc(sizeof *c + size);
		if (!c)
			return NULL;
		c->next = arena;
		c->used = 0;
		c->size = size;
		arena = c;
		at = 0;
	}
	c->used = at + n;
	return c->data + at;
}

/* Blocks of the arena are freed with it; any other goes as mem.h says. */
static void tree_free(void *p)
{
	struct chunk *c;

	for (c = arena; c; c = c->next)
		if ((unsigned char *)p >= c->data &&
		    (unsigned char *)p < c->data + c->size)
			return;
	wipe_free(p);
}

/* Carve the tree of a body of len bytes from the arena from now on. */
static void arena_open(size_t len)
{
	arena_hint = len * 2 > 65536 ? len * 2 : 65536;
}

/* Wipe what the tree used and free the chunks. */
static void arena_close(void)
{
	while (arena) {
		struct chunk *c = arena;

		arena = c->next;
		explicit_bzero(c->data, c->used);
		free(c);
	}
	arena_hint = 0;
}

void answer_init(void)
{
	cJSON_Hooks hooks = { tree_malloc, tree_free };

	cJSON_InitHooks(&hooks);
}

char *answer_request(const char *name, ...)
{
	cJSON *o = cJSON_CreateObject();
	char *body = NULL;
	const char *n;
	va_list ap;
	int ok = o != NULL;

	va_start(ap, name);
	for (n = name; ok && n; n = va_arg(ap, const char *))
		ok = cJSON_AddStringToObject(o, n, va_arg(ap, const char *))
		     != NULL;
	va_end(ap);
	if (ok)
		body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!body)
		mem_exhausted();
	return body;
}

cJSON *answer_json(const char *text, size_t len)
{
	const char *end = NULL;

	if (!text || len == 0 || memchr(text, '\0', len))
		return NULL;
	/* cJSON's "null terminated" check reads the byte at text[len]: the
	 * length it is given must count the terminating NUL. */
	return cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
}

/* The bytes each scan below stops at (NUL included: the text ends with
 * one). A table, not strcspn(3): musl's builds its own set at every call,
 * which costs more than the short strings of an answer it then skips. */
static const unsigned char string_stops[256] = {
	[0] = 1, ['"'] = 1, ['\\'] = 1,
};
static const unsigned char value_stops[256] = {
	[0] = 1, ['"'] = 1, [','] = 1, ['['] = 1, ['{'] = 1,
};

/* How many bytes from p up to the first one of stops. */
static size_t span(const char *p, const unsigned char stops[256])
{
	const unsigned char *q = (const unsigned char *)p;

	while (!stops[*q])
		q++;
	return (size_t)(q - (const unsigned char *)p);
}

/* Past the string whose opening quote p follows; notes \u0000 escapes. */
static const char *skip_string(const char *p, const char *end, int *nul)
{
	for (;;) {
		p += span(p, string_stops);
		if (p >= end)
			return end;
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
				*nul = 1;
			p += end - p >= 2 ? 2 : 1;	/* never past end */
		} else {
			p++;	/* a raw NUL inside a string: api_json refuses */
		}
	}
}

/*
 * One pass over a JSON text (NUL-terminated at json[len]) before cJSON
 * builds its tree: how many values it holds at most (commas and openings
 * outside strings, plus one: a body of tiny values, "[0,0,0,...]", would
 * make a tree of millions of nodes before any check ran), and whether a
 * string holds the escape \u0000, which no environment entry can hold.
 * A table of stop bytes jumps over ordinary ones.
 */
static size_t prescan(const char *json, size_t len, int *nul)
{
	const char *p = json, *end = json + len;
	size_t n = 1;

	*nul = 0;
	while (p < end) {
		p += span(p, value_stops);
		if (p >= end)
			break;
		if (*p == '\0')		/* a raw NUL: api_json refuses it */
			p++;
		else if (*p++ == '"')
			p = skip_string(p, end, nul);
		else
			n++;
	}
	return n;
}

/*
 * Turn every \u0000 escape into NUL_MARK, shortening the text: cJSON would
 * cut the string there, and the secret could not be named. Only when the
 * text holds no NUL_MARK of its own (it is not UTF-8 then); returns 0, or
 * -1 when it does.
 */
static int mark_nuls(char *json, size_t *len)
{
	char *p = json, *end = json + *len;

	if (memchr(json, NUL_MARK, *len))
		return -1;
	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0) {
			*p = NUL_MARK;
			memmove(p + 1, p + 6, (size_t)(end - p - 6) + 1);
			end -= 5;
			p++;
		} else {
			p += end - p >= 2 ? 2 : 1;
		}
	}
	*len = (size_t)(end - json);
	return 0;
}

static const char *string_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* What one answer is checked for while its items are merged. */
struct merge {
	struct kvset *out;
	const char *path;	/* the requested path: an own secret's source */
	int nuls;		/* NUL_MARK stands for a NUL character */
	char hidden[256];	/* names of values the server hid, "A, B" */
	size_t nhidden;
	char *err;
	size_t errlen;
};

/* Note a secret whose value the server hid; the first names are kept. */
static void note_hidden(struct merge *m, const char *key)
{
	size_t used = strlen(m->hidden);
	char name[64];

	m->nhidden++;
	log_sanitize(name, sizeof name, key, strlen(key));
	if (used + strlen(name) + 8 < sizeof m->hidden)
		snprintf(m->hidden + used, sizeof m->hidden - used, "%s%s",
			 used ? ", " : "", name);
	else if (!strstr(m->hidden, ", ..."))
		snprintf(m->hidden + used, sizeof m->hidden - used, ", ...");
}

/* A NUL character in a name or value: -1 with the reason in m->err. */
static int check_nul(struct merge *m, const char *key, const char *val)
{
	char name[128];

	if (!m->nuls || (!strchr(key, NUL_MARK) && !strchr(val, NUL_MARK)))
		return 0;
	snprintf(m->err, m->errlen, "secret '%s' holds a NUL character in its "
		 "%s, which no environment variable can hold",
		 log_sanitize(name, sizeof name, key, strlen(key)),
		 strchr(key, NUL_MARK) ? "name" : "value");
	return -1;
}

/*
 * Add the items of one "secrets" array; the first of a name wins. Own
 * secrets (label NULL) are labelled with their secretPath, imported ones
 * with label.
 */
static int add_items(struct merge *m, const cJSON *items, const char *label)
{
	const cJSON *item;
	size_t i = 0;

	cJSON_ArrayForEach(item, items) {
		const char *key = string_field(item, "secretKey");
		const char *val = string_field(item, "secretValue");
		const char *src = label;

		if (!key || !val) {
			snprintf(m->err, m->errlen, "secret #%zu%s has no "
				 "string secretKey and secretValue", i + 1,
				 label ? " of an import" : "");
			return -1;
		}
		if (check_nul(m, key, val) != 0)
			return -1;
		if (!src) {
			src = string_field(item, "secretPath");
			src = src ? src : m->path;
		}
		/* A hidden value matters only where it would be used. */
		if (kvset_put(m->out, key, strlen(key), val, strlen(val), src,
			      KV_KEEP) &&
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				 item, "secretValueHidden")))
			note_hidden(m, key);
		i++;
	}
	return 0;
}

/* Merge the imports, bottom-most first: the last import wins. One pass
 * collects them (cJSON arrays are lists: indexing each is O(n^2)). */
static int add_imports(struct merge *m, const cJSON *imports)
{
	const cJSON **all, *imp;
	size_t n = 0, i;
	int rc = 0;

	cJSON_ArrayForEach(imp, imports)
		n++;
	if (n == 0)
		return 0;
	all = xcalloc(n, sizeof *all);
	n = 0;
	cJSON_ArrayForEach(imp, imports)
		all[n++] = imp;
	for (i = n; rc == 0 && i-- > 0;) {
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(all[i],
								     "secrets");
		const char *env = string_field(all[i], "environment");
		const char *path = string_field(all[i], "secretPath");
		char label[512];

		if (!cJSON_IsArray(items)) {
			snprintf(m->err, m->errlen, "import #%zu has no "
				 "\"secrets\" array", i + 1);
			rc = -1;
			break;
		}
		snprintf(label, sizeof label, "import %s:%s", env ? env : "?",
			 path ? path : "?");
		rc = add_items(m, items, label);
	}
	free(all);
	return rc;
}

/* prescan, then one JSON document: the tree, or NULL with the reason. */
static cJSON *parse_list(char *json, size_t len, int *nuls, char *err,
			 size_t errlen)
{
	cJSON *root;

	if (prescan(json, len, nuls) > ANSWER_MAX_JSON_VALUES) {
		snprintf(err, errlen, "the answer holds more than %d JSON "
			 "values", ANSWER_MAX_JSON_VALUES);
		return NULL;
	}
	if (*nuls && mark_nuls(json, &len) != 0) {
		snprintf(err, errlen, "a secret holds a NUL character, which "
			 "no environment variable can hold");
		return NULL;
	}
	root = answer_json(json, len);
	if (!root)
		snprintf(err, errlen, "the answer is not JSON");
	return root;
}

/* The answer's secrets and imports into m->out; -1 with m->err. */
static int merge_tree(struct merge *m, const cJSON *root)
{
	const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(root,
								"secrets");
	const cJSON *imports = cJSON_GetObjectItemCaseSensitive(root,
								"imports");

	if (!cJSON_IsArray(secrets)) {
		snprintf(m->err, m->errlen, "the answer has no \"secrets\" "
			 "array");
		return -1;
	}
	if (imports && !cJSON_IsArray(imports)) {
		snprintf(m->err, m->errlen, "the answer's \"imports\" is not "
			 "an array");
		return -1;
	}
	if (add_items(m, secrets, NULL) != 0 || add_imports(m, imports) != 0)
		return -1;
	if (m->nhidden) {
		snprintf(m->err, m->errlen, "Infisical hid the value of %zu "
			 "secret%s (%s): the identity may read their names but "
			 "not their values; give its role the Read Value "
			 "permission on secrets", m->nhidden,
			 m->nhidden == 1 ? "" : "s", m->hidden);
		return -1;
	}
	return 0;
}

int answer_secrets(struct http_response *resp, const char *path,
		   struct kvset *out, char *err, size_t errlen)
{
	struct merge m = { .out = out, .path = path, .err = err,
			   .errlen = errlen };
	cJSON *root;
	int rc = -1;

	arena_open(resp->len);
	root = parse_list(resp->body, resp->len, &m.nuls, err, errlen);
	wipe_free(resp->body);
	resp->body = NULL;
	resp->len = 0;
	if (root)
		rc = merge_tree(&m, root);
	arena_close();	/* the tree, wiped and freed at once */
	if (rc != 0)
		kvset_free(out);
	return rc;
}

void answer_merge_path(struct kvset *all, struct kvset *one)
{
	size_t i;

	if (all->count == 0) {		/* the first path: take it whole */
		kvset_free(all);
		*all = *one;
		kvset_init(one);
		return;
	}
	for (i = 0; i < one->count; i++) {
		const struct kv *e = &one->items[i];

		kvset_put(all, e->name, e->name_len, e->value, e->value_len,
			  e->source, KV_REPLACE);
	}
}

/* The characters of a reference name: [A-Za-z0-9_.-]. */
static int is_reference_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int answer_has_reference(const char *value, size_t len)
{
	const char *p = value, *end = value + len;

	while ((p = memchr(p, '$', (size_t)(end - p))) != NULL) {
		const char *q = p + 2;

		if (q < end && p[1] == '{') {
			while (q < end && is_reference_char(*q))
				q++;
			if (q < end && *q == '}' && q > p + 2)
				return 1;
		}
		p++;
	}
	return 0;
}

int answer_token_is_valid(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t < 0x21 || (unsigned char)*t >= 0x7f)
			return 0;
	return 1;
}

char *answer_token(const struct http_response *resp)
{
	cJSON *root = answer_json(resp->body, resp->len);
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(root,
							    "accessToken");
	char *token = NULL;

	if (cJSON_IsString(tok) && answer_token_is_valid(tok->valuestring))
		token = xstrdup(tok->valuestring);
	if (cJSON_IsString(tok))
		explicit_bzero(tok->valuestring, strlen(tok->valuestring));
	cJSON_Delete(root);
	return token;
}

int answer_folder_names(const struct http_response *resp,
			struct strlist *out, char *err, size_t errlen)
{
	cJSON *root = answer_json(resp->body, resp->len);
	const cJSON *folders = cJSON_GetObjectItemCaseSensitive(root,
								"folders");
	const cJSON *f;
	int rc = 0;

	if (!cJSON_IsArray(folders)) {
		snprintf(err, errlen, "the answer has no \"folders\" array");
		cJSON_Delete(root);
		return -1;
	}
	cJSON_ArrayForEach(f, folders) {
		const char *name = string_field(f, "name");

		if (!name) {
			snprintf(err, errlen, "a folder without a \"name\"");
			rc = -1;
			break;
		}
		strlist_add(out, name, strlen(name));
	}
	cJSON_Delete(root);
	return rc;
}

/* "clientSecret: Required; ..." from a zod issue array. */
static void describe_issues(const cJSON *issues, char *buf, size_t len)
{
	const cJSON *issue;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(issue, issues) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(issue,
								     "path");
		const char *msg = string_field(issue, "message");
		const cJSON *first = cJSON_IsArray(path) ?
				     cJSON_GetArrayItem(path, 0) : NULL;
		char field[64] = "", text[96] = "";
		int n;

		if (cJSON_IsString(first))
			log_sanitize(field, sizeof field, first->valuestring,
				     strlen(first->valuestring));
		if (msg)
			log_sanitize(text, sizeof text, msg, strlen(msg));
		n = snprintf(buf + used, len - used, "%s%s: %s",
			     used ? "; " : "", field, text);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

void answer_describe_error(const struct http_response *resp, char *buf,
			   size_t len)
{
	cJSON *root = answer_json(resp->body, resp->len);
	const char *error = string_field(root, "error");
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(root,
								"message");
	char name[64] = "", text[256] = "";

	if (error)
		log_sanitize(name, sizeof name, error, strlen(error));
	if (cJSON_IsString(message))
		log_sanitize(text, sizeof text, message->valuestring,
			     strlen(message->valuestring));
	else if (cJSON_IsArray(message))
		describe_issues(message, text, sizeof text);

	if (!cJSON_IsObject(root))
		snprintf(buf, len, "HTTP %ld with a body that is not JSON "
			 "(a proxy or another server answered?)", resp->status);
	else if (name[0] || text[0])
		snprintf(buf, len, "HTTP %ld %s%s%s", resp->status, name,
			 name[0] && text[0] ? ": " : "", text);
	else
		snprintf(buf, len, "HTTP %ld", resp->status);
	cJSON_Delete(root);
}

/* Whether resp is status with the error name error and, when text is not
 * NULL, a message holding text. */
static int error_matches(const struct http_response *resp, long status,
			 const char *error, const char *text)
{
	cJSON *root;
	const char *e, *msg;
	int yes;

	if (resp->status != status)
		return 0;
	root = answer_json(resp->body, resp->len);
	e = string_field(root, "error");
	msg = string_field(root, "message");
	yes = (!error || (e && strcmp(e, error) == 0)) &&
	      (!text || (msg && strstr(msg, text)));
	cJSON_Delete(root);
	return yes;
}

int answer_error_is(const struct http_response *resp, long status,
		    const char *error)
{
	return error_matches(resp, status, error, NULL);
}

int answer_route_not_found(const struct http_response *resp)
{
	return error_matches(resp, 404, "Not Found", "Route ");
}

int answer_denies_values(const struct http_response *resp)
{
	return error_matches(resp, 403, "PermissionDenied", " readValue ") ||
	       error_matches(resp, 403, NULL, "permission to read secret "
			     "values");
}
