/* dotenv.c - the .env syntax of docker compose and python-dotenv. */
#include "dotenv.h"

#include "mem.h"
#include "wbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
	const char *p, *end;
	size_t line;
};

/* What one parse hands its entries to. */
struct reader {
	int sections;		/* section lines allowed */
	char *section;		/* the current one, malloc'd, or NULL */
	dotenv_fn fn;
	void *ctx;
	char *err;		/* fn's reason, errlen bytes */
	size_t errlen;
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

/* Whether only blanks, a comment or the line's end follow. */
static int at_line_end(const struct cursor *c)
{
	return c->p >= c->end || *c->p == '\n' || *c->p == '\r' ||
	       *c->p == '#';
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

/*
 * Whether s (n bytes) is UTF-8 text (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF): Infisical stores values as JSON
 * strings, which a request cannot carry otherwise.
 */
static int is_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char b = s[i];
		size_t k = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 :
			   b >= 0xe0 && b <= 0xef ? 2 :
			   b >= 0xf0 && b <= 0xf4 ? 3 : 4;
		unsigned char lo = 0x80, hi = 0xbf;
		size_t j;

		if (k == 4 || n - i < k + 1)
			return 0;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
		else if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
		for (j = 1; j <= k; j++, lo = 0x80, hi = 0xbf)
			if (s[i + j] < lo || s[i + j] > hi)
				return 0;
		i += k + 1;
	}
	return 1;
}

/* One NAME=value entry; c->p is at the name. */
static const char *entry(struct cursor *c, struct reader *r, size_t line)
{
	struct dotenv_entry e = { line, r->section, c->p, 0, "", 0 };
	const char *why = NULL;
	struct wbuf v = { 0 };

	if (c->end - c->p > 7 && memcmp(c->p, "export", 6) == 0 &&
	    blank(c->p[6])) {
		c->p += 7;
		skip_blanks(c);
		e.name = c->p;
	}
	while (c->p < c->end && name_char(*c->p, c->p == e.name))
		c->p++;
	e.name_len = (size_t)(c->p - e.name);
	skip_blanks(c);
	if (e.name_len == 0)
		return "a line that is not NAME=value (bad name)";
	if (c->p >= c->end || *c->p != '=')
		return "a line that is not NAME=value (no '=')";
	c->p++;
	skip_blanks(c);
	if (c->p < c->end && (*c->p == '"' || *c->p == '\'')) {
		char q = *c->p++;

		why = quoted(c, q, &v);
		skip_blanks(c);
		if (!why && !at_line_end(c))
			why = "text after the closing quote";
	} else {
		why = unquoted(c, &v);
	}
	if (!why && !is_utf8((const unsigned char *)v.data, v.len))
		why = "a value that is not UTF-8 text, which Infisical cannot "
		      "store (convert the file, e.g. with iconv)";
	if (!why) {
		e.value = v.data ? v.data : "";
		e.value_len = v.len;
		if (r->fn(r->ctx, &e, r->err, r->errlen) != 0)
			why = r->err;
	}
	wbuf_free(&v);
	return why;
}

/* A "[TEXT]" line; c->p is at the '['. */
static const char *section(struct cursor *c, struct reader *r, size_t line)
{
	struct dotenv_entry e = { line, NULL, NULL, 0, NULL, 0 };
	const char *start, *stop;

	c->p++;
	skip_blanks(c);
	start = c->p;
	while (c->p < c->end && *c->p != ']' && *c->p != '\n')
		c->p++;
	if (c->p >= c->end || *c->p != ']')
		return "a section line without its ']'";
	for (stop = c->p; stop > start && blank(stop[-1]); stop--)
		;
	if (stop == start)
		return "an empty section name";
	c->p++;
	skip_blanks(c);
	if (!at_line_end(c))
		return "text after the section's ']'";
	free(r->section);
	r->section = xmemdup(start, (size_t)(stop - start));
	e.section = r->section;
	return r->fn(r->ctx, &e, r->err, r->errlen) != 0 ? r->err : NULL;
}

static int read_all(const char *text, size_t len, struct reader *r,
		    char *err, size_t errlen)
{
	struct cursor c = { text, text + len, 1 };
	char why_copy[256];

	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "the file holds a NUL byte");
		return -1;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;	/* a byte-order mark, as editors on Windows write */
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
		why = r->sections && *c.p == '[' ? section(&c, r, line) :
		      entry(&c, r, line);
		if (why) {
			/* why may be err itself (fn's reason). */
			snprintf(why_copy, sizeof why_copy, "%s", why);
			snprintf(err, errlen, "line %zu: %s", line, why_copy);
			return -1;
		}
		skip_line(&c);
	}
	return 0;
}

static int put_entry(void *ctx, const struct dotenv_entry *e, char *err,
		     size_t errlen)
{
	(void)err, (void)errlen;
	kvset_put(ctx, e->name, e->name_len, e->value, e->value_len, NULL,
		  KV_REPLACE);
	return 0;
}

int dotenv_parse(const char *text, size_t len, struct kvset *out, char *err,
		 size_t errlen)
{
	struct reader r = { 0, NULL, put_entry, out, err, errlen };

	return read_all(text, len, &r, err, errlen);
}

int dotenv_read(const char *text, size_t len, dotenv_fn fn, void *ctx,
		char *err, size_t errlen)
{
	struct reader r = { 1, NULL, fn, ctx, err, errlen };
	int rc = read_all(text, len, &r, err, errlen);

	free(r.section);
	return rc;
}
