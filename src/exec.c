/* exec.c - PATH search and execve, with env(1)'s exit codes. */
#include "exec.h"

#include "exitcodes.h"

#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

static const char *path_of(char *const envp[])
{
	for (; *envp; envp++)
		if (strncmp(*envp, "PATH=", 5) == 0)
			return *envp + 5;
	return DEFAULT_PATH;
}

/* Try each PATH directory; returns the errno that best explains failure. */
static int search_path(const char *file, char *const argv[],
		       char *const envp[])
{
	const char *dir = path_of(envp);
	size_t flen = strlen(file);
	int saw_eacces = 0;

	for (;;) {
		const char *end = strchr(dir, ':');
		size_t dlen;
		char full[PATH_MAX];

		if (!end)
			end = dir + strlen(dir);
		dlen = (size_t)(end - dir);

		if (dlen + flen + 2 <= sizeof full) {
			if (dlen == 0)
				full[0] = '.', dlen = 1;
			else
				memcpy(full, dir, dlen);
			full[dlen] = '/';
			memcpy(full + dlen + 1, file, flen + 1);
			execve(full, argv, envp);
			switch (errno) {
			case EACCES:
				saw_eacces = 1;
				break;
			case ENOENT: case ENOTDIR: case ENAMETOOLONG:
			case ELOOP: case ENODEV: case ESTALE: case ETIMEDOUT:
				break;
			default:
				return errno;	/* found, but cannot run */
			}
		}
		if (!*end)
			break;
		dir = end + 1;
	}
	return saw_eacces ? EACCES : ENOENT;
}

int exec_command(char *const argv[], char *const envp[])
{
	const char *file = argv[0];
	char safe[256];
	int err;

	if (!*file) {
		err = ENOENT;
	} else if (strchr(file, '/')) {
		execve(file, argv, envp);
		err = errno;
	} else {
		err = search_path(file, argv, envp);
	}
	log_error("unable to run '%s': %s", log_sanitize(safe, sizeof safe,
		  file, strlen(file)), strerror(err));
	return (err == ENOENT || err == ENOTDIR) ? EXIT_NOT_FOUND
						 : EXIT_CANNOT_RUN;
}
