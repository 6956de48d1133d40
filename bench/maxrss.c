/*
 * maxrss - run a command and print its peak resident set size.
 *
 *   maxrss COMMAND [ARG]...   ->  stdout: "<ru_maxrss KiB> <exit status>"
 *
 * Built static with musl by bench/costs.py. Why not Python's os.wait4 or
 * /usr/bin/time: Linux folds the pre-exec address space of the child into
 * its ru_maxrss (exec_mmap -> setmax_mm_hiwater_rss), so a child forked
 * (or vforked) from a 20 MB Python reports at least 20 MB. Forked from
 * this ~100 KB program, what is measured is the command's own peak.
 * The environment is passed on unchanged; the command's stdout and stderr
 * go to /dev/null.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2) {
		fputs("usage: maxrss COMMAND [ARG]...\n", stderr);
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("maxrss: fork");
		return 2;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execve(argv[1], argv + 1, environ);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("maxrss: wait4");
		return 2;
	}
	printf("%ld %d\n", ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
