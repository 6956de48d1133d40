/* dotenv.c - the .env syntax of docker compose and python-dotenv. */
#include "dotenv.h"

#include "wbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
	const char *p, *end;
	size_t line;
};

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && blank(*c->p))
		c->p++;
}

static void skip_line(struct cursor *c)
{
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (c->p < c->end) {
		c->p++;
		c->line++;
	}
}

static int name_char(char ch, int first)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       ch == '_' || (!first && ((ch >= '0' && ch <= '9') ||
				       ch == '.' || ch == '-'));
}


/* A quoted value; c->p is just after the opening quote. */
static const char *quoted(struct cursor *c, char q, struct wbuf *v)
{
	static const char escapes[] = "n\nr\rt\t\\\\\"\"$$";

	for (; c->p < c->end; c->p++) {
		char ch = *c->p;
		const char *e;

		if (ch == q) {
			c->p++;
			return NULL;
		}
		if (ch == '\n')
			c->line++;
		if (q == '"' && ch == '\\' && c->p + 1 < c->end &&
		    (e = strchr(escapes, c->p[1])) != NULL &&
		    (e - escapes) % 2 == 0) {
			ch = e[1];
			c->p++;
		}
		wbuf_add(v, &ch, 1);
	}
	return "unterminated quote";
}

/* An unquoted value: to the end of the line or a " #" comment. */
static const char *unquoted(struct cursor *c, struct wbuf *v)
{
	const char *start = c->p, *stop;

	while (c->p < c->end && *c->p != '\n' &&
	       !(*c->p == '#' && c->p > start && blank(c->p[-1])))
		c->p++;
	stop = c->p;
	while (stop > start && (blank(stop[-1]) || stop[-1] == '\r'))
		stop--;
	wbuf_add(v, start, (size_t)(stop - start));
	return NULL;
}

/* One NAME=value entry; c->p is at the name. */
static const char *entry(struct cursor *c, struct kvset *out)
{
	const char *name = c->p, *why = NULL;
	size_t name_len;
	struct wbuf v = { 0 };

	if (c->end - c->p > 7 && memcmp(c->p, "export", 6) == 0 &&
	    blank(c->p[6])) {
		c->p += 7;
		skip_blanks(c);
		name = c->p;
	}
	while (c->p < c->end && name_char(*c->p, c->p == name))
		c->p++;
	name_len = (size_t)(c->p - name);
	skip_blanks(c);
	if (name_len == 0)
		return "a line that is not NAME=value (bad name)";
	if (c->p >= c->end || *c->p != '=')
		return "a line that is not NAME=value (no '=')";
	c->p++;
	skip_blanks(c);
	if (c->p < c->end && (*c->p == '"' || *c->p == '\'')) {
		char q = *c->p++;

		why = quoted(c, q, &v);
		skip_blanks(c);
		if (!why && c->p < c->end && *c->p != '\n' && *c->p != '\r' &&
		    *c->p != '#')
			why = "text after the closing quote";
	} else {
		why = unquoted(c, &v);
	}
	if (!why)
		kvset_put(out, name, name_len, v.data ? v.data : "", v.len,
			  NULL, KV_REPLACE);
	wbuf_free(&v);
	return why;
}

int dotenv_parse(const char *text, size_t len, struct kvset *out, char *err,
		 size_t errlen)
{
	struct cursor c = { text, text + len, 1 };

	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "the file holds a NUL byte");
		return -1;
	}
	while (c.p < c.end) {
		const char *why;
		size_t line;

		skip_blanks(&c);
		if (c.p >= c.end)
			break;
		if (*c.p == '\n' || *c.p == '\r' || *c.p == '#') {
			skip_line(&c);
			continue;
		}
		line = c.line;
		why = entry(&c, out);
		if (why) {
			snprintf(err, errlen, "line %zu: %s", line, why);
			return -1;
		}
		skip_line(&c);
	}
	return 0;
}
