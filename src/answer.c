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
 * A list answer is walked one value at a time (see walk_answer below), and
 * each value's tree is carved from an arena of a few large chunks: no
 * malloc, free nor wipe per block; the tree is wiped at once when it has
 * been merged, and the arena's newest chunk serves the next one. The arena
 * is the wipe-and-free of parse memory; everything else cJSON allocates
 * goes through mem.h's hooks.
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
	if (!c || at > c->size || n > c->size - at) {
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

/* The first chunk: enough for the tree of a few dozen secrets. */
#define ARENA_FIRST_CHUNK 65536

/* Carve cJSON's trees from the arena from now on. */
static void arena_open(void)
{
	arena_hint = ARENA_FIRST_CHUNK;
}

/* Wipe what the trees used in chunk c and the ones after it; free them. */
static void arena_drop(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;

		explicit_bzero(c->data, c->used);
		free(c);
		c = next;
	}
}

/* Drop the trees built so far, wiped; keep the newest chunk for the next. */
static void arena_reset(void)
{
	if (!arena)
		return;
	arena_drop(arena->next);
	arena->next = NULL;
	explicit_bzero(arena->data, arena->used);
	arena->used = 0;
}

/* Wipe and free every chunk; cJSON allocates through mem.h again. */
static void arena_close(void)
{
	arena_drop(arena);
	arena = NULL;
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
	[0] = 1, ['"'] = 1, [','] = 1, ['['] = 1, ['{'] = 1, [']'] = 1,
	['}'] = 1,
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
 * builds its trees: how many values it holds at most (commas and openings
 * outside strings, plus one: a body of tiny values, "[0,0,0,...]", would
 * make trees of millions of nodes before any check ran), how deep its
 * arrays and objects nest (*depth: cJSON refuses more than
 * CJSON_NESTING_LIMIT levels counted from the whole text, which the walk
 * does not parse whole), and whether a string holds the escape \u0000,
 * which no environment entry can hold. A table of stop bytes jumps over
 * ordinary ones.
 */
static size_t prescan(const char *json, size_t len, size_t *depth, int *nul)
{
	const char *p = json, *end = json + len;
	size_t n = 1, level = 0;

	*nul = 0;
	*depth = 0;
	while (p < end) {
		p += span(p, value_stops);
		if (p >= end)
			break;
		switch (*p++) {
		case '\0':	/* a raw NUL: the walk refuses it */
			break;
		case '"':
			p = skip_string(p, end, nul);
			break;
		case ']': case '}':
			level -= level > 0;
			break;
		case '[': case '{':
			if (++level > *depth)
				*depth = level;
			/* fall through */
		default:	/* ',' */
			n++;
		}
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
	size_t nown;		/* own secrets met so far */
	int failed;		/* err says why a secret cannot be used */
	const char **imports;	/* where each import starts in the text */
	size_t nimports, imports_cap;
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
 * Merge one secret; the first of a name wins. n is its place (from 1),
 * for messages. Own secrets (label NULL) are labelled with their
 * secretPath, imported ones with label. 0, or -1 with m->err.
 */
static int add_item(struct merge *m, const cJSON *item, const char *label,
		    size_t n)
{
	const char *key = string_field(item, "secretKey");
	const char *val = string_field(item, "secretValue");
	const char *src = label;

	if (!key || !val) {
		snprintf(m->err, m->errlen, "secret #%zu%s has no string "
			 "secretKey and secretValue", n,
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
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item,
							  "secretValueHidden")))
		note_hidden(m, key);
	return 0;
}

/* Merge import #n (from 1), whose tree is imp. 0, or -1 with m->err. */
static int add_import(struct merge *m, const cJSON *imp, size_t n)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(imp, "secrets");
	const char *env = string_field(imp, "environment");
	const char *path = string_field(imp, "secretPath");
	const cJSON *item;
	char label[512];
	size_t i = 0;

	if (!cJSON_IsArray(items)) {
		snprintf(m->err, m->errlen, "import #%zu has no \"secrets\" "
			 "array", n);
		return -1;
	}
	snprintf(label, sizeof label, "import %s:%s", env ? env : "?",
		 path ? path : "?");
	cJSON_ArrayForEach(item, items)
		if (add_item(m, item, label, ++i) != 0)
			return -1;
	return 0;
}

/*
 * Merge the imports the walk noted, bottom-most first: the last import
 * wins. Each is parsed again from where it starts (the text ends at end).
 */
static int add_imports(struct merge *m, const char *end)
{
	size_t i;
	int rc = 0;

	for (i = m->nimports; rc == 0 && i-- > 0;) {
		const char *at = m->imports[i];
		cJSON *imp = cJSON_ParseWithLengthOpts(
			at, (size_t)(end - at) + 1, NULL, 0);

		rc = imp ? add_import(m, imp, i + 1) : -1;
		if (!imp)
			snprintf(m->err, m->errlen, "the answer is not JSON");
		arena_reset();
	}
	return rc;
}

/* An own secret, as the walk meets it: merged at once. */
static void on_secret(struct merge *m, const char *at, const cJSON *item)
{
	(void)at;
	if (!m->failed && add_item(m, item, NULL, ++m->nown) != 0)
		m->failed = 1;
}

/* An import, as the walk meets it: where it starts, to merge it last. */
static void on_import(struct merge *m, const char *at, const cJSON *imp)
{
	(void)imp;
	if (m->nimports == m->imports_cap) {
		size_t cap = m->imports_cap ? m->imports_cap * 2 : 16;
		const char **more = xcalloc(cap, sizeof *more);

		if (m->nimports)
			memcpy(more, m->imports, m->nimports * sizeof *more);
		free(m->imports);
		m->imports = more;
		m->imports_cap = cap;
	}
	m->imports[m->nimports++] = at;
}

/*
 * A list answer is not parsed whole: its tree would be about seven times
 * the body. It is walked, and cJSON parses one value at a time (a member
 * name, an element of "secrets" or "imports", any other member), each
 * tree dropped once used. The walk reads only what lies between those
 * values: { } [ ] , : and white space (bytes 1 to 32, as cJSON skips
 * them), so a text cJSON would refuse whole is refused here too.
 */
struct walk {
	const char *p, *end;	/* the text left; *end is a NUL */
	int bad;		/* the text is not JSON */
	int secrets, imports;	/* 0 not met, 1 an array, -1 another value */
};

/* The next byte that is not white space, or NUL at the end. */
static char walk_peek(struct walk *w)
{
	while (w->p < w->end && (unsigned char)*w->p <= 32)
		w->p++;
	return w->p < w->end ? *w->p : '\0';
}

/* Step over c if it comes next: 1, else 0. */
static int walk_take(struct walk *w, char c)
{
	if (walk_peek(w) != c)
		return 0;
	w->p++;
	return 1;
}

/* The next value's tree (in the arena), or NULL with w->bad set. A
 * byte-order mark, which cJSON skips at the start of what it is given, is
 * JSON only at the start of the whole text. */
static cJSON *walk_value(struct walk *w)
{
	const char *after = NULL;
	cJSON *v = NULL;

	if (!w->bad && (unsigned char)walk_peek(w) != 0xEF)
		v = cJSON_ParseWithLengthOpts(w->p, (size_t)(w->end - w->p) + 1,
					      &after, 0);
	if (!v) {
		w->bad = 1;
		return NULL;
	}
	w->p = after;
	return v;
}

typedef void element_fn(struct merge *m, const char *at, const cJSON *v);

/*
 * The value that comes next: an array's elements each go to fn (with
 * where the element starts) and are dropped; another value is read and
 * dropped. Returns 1 for an array, -1 for another value.
 */
static int walk_array(struct walk *w, struct merge *m, element_fn *fn)
{
	if (walk_peek(w) != '[') {
		walk_value(w);
		return -1;
	}
	w->p++;
	if (walk_take(w, ']'))
		return 1;
	do {
		const char *at;
		const cJSON *v;

		walk_peek(w);
		at = w->p;
		v = walk_value(w);

		if (!v)
			return 1;
		fn(m, at, v);
		arena_reset();
	} while (walk_take(w, ','));
	if (!walk_take(w, ']'))
		w->bad = 1;
	return 1;
}

/* One member of the answer's object; the first of a name counts, as
 * cJSON's lookup finds it. */
static void walk_member(struct walk *w, struct merge *m)
{
	const cJSON *name = walk_value(w);
	const char *s = cJSON_IsString(name) ? name->valuestring : "";
	int secrets = !w->secrets && strcmp(s, "secrets") == 0;
	int imports = !w->imports && strcmp(s, "imports") == 0;

	if (!cJSON_IsString(name) || !walk_take(w, ':'))
		w->bad = 1;
	else if (secrets)
		w->secrets = walk_array(w, m, on_secret);
	else if (imports)
		w->imports = walk_array(w, m, on_import);
	else
		walk_value(w);
	arena_reset();
}

/* The whole text: one object, then only white space. Other JSON is read
 * whole: it has no "secrets" member. */
static void walk_answer(struct walk *w, struct merge *m)
{
	if (w->end - w->p >= 3 && memcmp(w->p, "\xEF\xBB\xBF", 3) == 0)
		w->p += 3;
	if (!walk_take(w, '{')) {
		walk_value(w);
		if (walk_peek(w) != '\0')
			w->bad = 1;
		return;
	}
	if (!walk_take(w, '}')) {
		do
			walk_member(w, m);
		while (!w->bad && walk_take(w, ','));
		if (!walk_take(w, '}'))
			w->bad = 1;
	}
	if (walk_peek(w) != '\0')
		w->bad = 1;
}

/* Before the walk: not too many values, no raw NUL, \u0000 escapes
 * marked. 0, or -1 with m->err. */
static int prepare_text(char *json, size_t *len, struct merge *m)
{
	size_t depth;

	if (prescan(json, *len, &depth, &m->nuls) > ANSWER_MAX_JSON_VALUES) {
		snprintf(m->err, m->errlen, "the answer holds more than %d "
			 "JSON values", ANSWER_MAX_JSON_VALUES);
		return -1;
	}
	if (m->nuls && mark_nuls(json, len) != 0) {
		snprintf(m->err, m->errlen, "a secret holds a NUL character, "
			 "which no environment variable can hold");
		return -1;
	}
	if (!json || *len == 0 || memchr(json, '\0', *len) ||
	    depth > CJSON_NESTING_LIMIT) {
		snprintf(m->err, m->errlen, "the answer is not JSON");
		return -1;
	}
	return 0;
}

/* What the walk found, checked in this order; then the imports. */
static int merge_verdict(struct merge *m, const struct walk *w)
{
	const char *why = NULL;

	if (w->bad)
		why = "the answer is not JSON";
	else if (w->secrets != 1)
		why = "the answer has no \"secrets\" array";
	else if (w->imports == -1)
		why = "the answer's \"imports\" is not an array";
	if (why) {
		snprintf(m->err, m->errlen, "%s", why);
		return -1;
	}
	if (m->failed || add_imports(m, w->end) != 0)
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
	int rc = prepare_text(resp->body, &resp->len, &m);

	if (rc == 0) {
		struct walk w = { .p = resp->body,
				  .end = resp->body + resp->len };

		arena_open();
		walk_answer(&w, &m);
		rc = merge_verdict(&m, &w);
		arena_close();	/* the last trees, wiped and freed */
	}
	free(m.imports);
	wipe_free(resp->body);
	resp->body = NULL;
	resp->len = 0;
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
/* A server's text for a message: what it echoes of a secret redacted
 * (log_forbid) while whole, then sanitized and cut to dst (size n). */
static void server_text(char *dst, size_t n, const char *src)
{
	char *copy = xstrdup(src);
	size_t len = log_redact(copy, strlen(copy));

	log_sanitize(dst, n, copy, len);
	wipe_free(copy);
}

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
			server_text(text, sizeof text, msg);
		n = snprintf(buf + used, len - used, "%s%s: %s",
			     used ? "; " : "", field, text);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

/* The server's sentence loses its final period: our line goes on after
 * it ("...re-authenticate; the access token was refused"). */
static void trim_period(char *text)
{
	size_t n = strlen(text);

	while (n > 0 && text[n - 1] == '.')
		text[--n] = '\0';
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
		server_text(name, sizeof name, error);
	if (cJSON_IsString(message))
		server_text(text, sizeof text, message->valuestring);
	else if (cJSON_IsArray(message))
		describe_issues(message, text, sizeof text);
	trim_period(text);

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

int answer_secret_exists(const struct http_response *resp)
{
	return error_matches(resp, 400, "BadRequest", "already exist");
}
