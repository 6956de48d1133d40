/* dotenv.h - read a .env file (for infx-import, the migration tool). */
#ifndef INFX_DOTENV_H
#define INFX_DOTENV_H

#include <stddef.h>

#include "kvset.h"

/*
 * Parse the text of a .env file (len bytes) into out, in file order; a
 * name given twice keeps its last value (as docker compose and
 * python-dotenv do). Accepted, one entry per line:
 *   - blank lines and lines starting with '#';
 *   - an optional "export " before the name; blanks around the name and
 *     before the value;
 *   - NAME=value: unquoted, ending at a " #" comment, trailing blanks cut;
 *   - NAME='value': verbatim, may span lines;
 *   - NAME="value": \n \r \t \\ \" \$ escapes, may span lines;
 *   - NAME= (an empty value).
 * Names are [A-Za-z_][A-Za-z0-9_.-]*. Returns 0, or -1 with the reason and
 * the line number in err (size errlen): no '=', a bad name, an
 * unterminated quote, text after a closing quote, a NUL byte, out of
 * memory. Values are never copied into err.
 */
int dotenv_parse(const char *text, size_t len, struct kvset *out, char *err,
		 size_t errlen);

#endif
