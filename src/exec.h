/* exec.h - become the command. */
#ifndef INFX_EXEC_H
#define INFX_EXEC_H

/*
 * execve(2) argv[0] with argv and envp, searching the PATH of envp (the
 * environment the command gets, as env(1) does) when argv[0] has no '/';
 * an empty PATH entry means the current directory, an unset PATH
 * "/usr/local/bin:/usr/bin:/bin". Like execvp(3), a candidate that exists
 * but cannot be run (EACCES) does not stop the search.
 * Returns only on failure, after printing one line: 127 when the command
 * was not found (ENOENT, ENOTDIR), 126 for any other reason (EACCES, a
 * directory, ENOEXEC, E2BIG...), as env(1) does (POSIX, "Exit Status for
 * Commands").
 */
int exec_command(char *const argv[], char *const envp[]);

#endif
