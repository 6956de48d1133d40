/* exitcodes.h - the exit statuses of infx-exec (and the one of infx-import). */
#ifndef INFX_EXITCODES_H
#define INFX_EXITCODES_H

/*
 * As env(1), nohup(1) and timeout(1) use them (coreutils env.c; POSIX
 * "Exit Status for Commands"): 125 infx-exec itself failed, 126 the command
 * was found but could not run, 127 the command was not found. A stop signal
 * N before the command ran gives 128+N, as a shell reports a job killed by
 * N. Anything else is the command's own status. docs/configuration.md
 * ("Exit status") is the one place the docs state them.
 */
enum {
	EXIT_SHIM_FAILED = 125,
	EXIT_CANNOT_RUN = 126,
	EXIT_NOT_FOUND = 127,
	EXIT_SIGNAL_BASE = 128
};

#endif
