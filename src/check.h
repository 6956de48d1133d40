/* check.h - what --check prints instead of running the command. */
#ifndef INFX_CHECK_H
#define INFX_CHECK_H

#include "kvset.h"

/*
 * Print one line per secret that made it into the environment (applied,
 * from environment_build), "NAME<TAB>SOURCE" (SOURCE: the secret path,
 * or "import ENV:PATH"), sorted by name bytewise; never a value. Both
 * come from the server: control characters become '?', so that a name
 * cannot add lines or send terminal escapes.
 * Returns 0, or -1 after one line when standard output cannot be written
 * (log_flush_stdout).
 */
int check_print(const struct kvset *applied);

#endif
