/*
 * inroot - run a command with another view of the TLS trust store, for the
 * trust rows of bench/measure.py.
 *
 *   inroot --root DIR COMMAND [ARG]...
 *       chroot(DIR), chdir("/"), then COMMAND (a path inside DIR): the
 *       command sees only what DIR holds, as in a FROM scratch image.
 *   inroot --etc-ssl DIR COMMAND [ARG]...
 *       a private mount namespace with DIR bind-mounted over /etc/ssl, then
 *       COMMAND: the rest of the file system stays (valgrind needs it).
 *
 * Built static with musl by bench/costs.py, so that it adds one small exec
 * to every row that goes through it, alike. Needs root (CAP_SYS_CHROOT,
 * CAP_SYS_ADMIN). The environment is passed on unchanged. Its own failures
 * exit 122 with one line on stderr: never a status the shim uses.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

extern char **environ;

#define FAILED 122

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "inroot: %s %s: ", what, arg);
	perror(NULL);
	return FAILED;
}

int main(int argc, char **argv)
{
	const char *dir;

	if (argc < 4 || (strcmp(argv[1], "--root") && strcmp(argv[1], "--etc-ssl"))) {
		fputs("usage: inroot --root|--etc-ssl DIR COMMAND [ARG]...\n", stderr);
		return FAILED;
	}
	dir = argv[2];
	if (strcmp(argv[1], "--root") == 0) {
		if (chroot(dir) != 0)
			return fail("chroot", dir);
		if (chdir("/") != 0)
			return fail("chdir", "/");
	} else {
		if (unshare(CLONE_NEWNS) != 0)
			return fail("unshare", "CLONE_NEWNS");
		if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			return fail("make private", "/");
		if (mount(dir, "/etc/ssl", NULL, MS_BIND | MS_REC, NULL) != 0)
			return fail("bind mount over /etc/ssl", dir);
	}
	execve(argv[3], argv + 3, environ);
	return fail("execve", argv[3]);
}
