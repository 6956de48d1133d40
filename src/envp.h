/* envp.h - reading an environment array (not the process's own). */
#ifndef INFX_ENVP_H
#define INFX_ENVP_H

/*
 * The value of name in envp ("NAME=value" strings, NULL-terminated; the
 * first match, as getenv(3)), or NULL when unset or empty: an empty
 * variable counts as unset everywhere in infx-exec (compose writes
 * "NAME=" for a variable it could not fill).
 */
const char *envp_get(char **envp, const char *name);

#endif
