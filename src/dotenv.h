/* dotenv.h - read a .env file (infx-import: the .env and the layout). */
#ifndef INFX_DOTENV_H
#define INFX_DOTENV_H

#include <stddef.h>

#include "kvset.h"

/*
 * Parse the text of a .env file (len bytes) into out, in file order; a
 * name given twice keeps its last value (as docker compose and
 * python-dotenv do). A UTF-8 byte-order mark at the start is skipped.
 * Accepted, one entry per line:
 *   - blank lines and lines starting with '#';
 *   - an optional "export " before the name; blanks around the name and
 *     before the value;
 *   - NAME=value: unquoted, ending at a " #" comment, trailing blanks cut;
 *   - NAME='value': verbatim, may span lines;
 *   - NAME="value": \n \r \t \\ \" \$ escapes, may span lines;
 *   - NAME= (an empty value).
 * Names are [A-Za-z_][A-Za-z0-9_.-]*. Returns 0, or -1 with the reason and
 * the line number in err (size errlen): no '=', a bad name, an
 * unterminated quote, text after a closing quote, a NUL byte, a value
 * that is not UTF-8. Values are never copied into err.
 */
int dotenv_parse(const char *text, size_t len, struct kvset *out, char *err,
		 size_t errlen);

/* One line of a sectioned text, as dotenv_read hands it over. */
struct dotenv_entry {
	size_t line;		/* where the entry or section starts, from 1 */
	const char *section;	/* the current section's text (NUL-terminated,
				 * blanks around it cut), or NULL before the
				 * first section line */
	const char *name;	/* NULL: this is the section line itself */
	size_t name_len;
	const char *value;	/* NUL-terminated, value_len bytes */
	size_t value_len;
};

/*
 * Called by dotenv_read for each section line and each entry, in file
 * order. Returns 0, or -1 with a reason in err (size errlen), which
 * dotenv_read prefixes with "line N: ".
 */
typedef int (*dotenv_fn)(void *ctx, const struct dotenv_entry *e, char *err,
			 size_t errlen);

/*
 * The syntax of dotenv_parse plus section lines: "[TEXT]", blanks allowed
 * around TEXT and before and after the brackets, a "#" comment after them
 * (the layout of infx-import, compose-overrides/infisical-layout.env).
 * TEXT is any text without ']' or a line break, not empty. Hands every
 * section line and every entry to fn (a name given twice is handed over
 * twice: fn decides). Returns 0, or -1 with "line N: reason" in err: a
 * reason of dotenv_parse's, an empty or unterminated section line, or
 * fn's.
 */
int dotenv_read(const char *text, size_t len, dotenv_fn fn, void *ctx,
		char *err, size_t errlen);

#endif
