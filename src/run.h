/* run.h - the phases after the configuration, shared by a plain run
 * (main.c: exec in place) and watch mode (watch.c: each start of the
 * command is a child that goes through them). */
#ifndef INFX_RUN_H
#define INFX_RUN_H

#include "config.h"
#include "credentials.h"
#include "fetch.h"
#include "kvset.h"
#include "user.h"

/* A phase's result when the run goes on to the next phase; any other
 * value is the exit status to end with (exitcodes.h). */
#define RUN_GO (-1)

/* Everything a run holds; run_free wipes and frees it all. */
struct run {
	struct config cfg;
	struct credentials creds;
	struct run_as user;
	struct kvset secrets;	/* fetched */
	struct kvset applied;	/* name -> source of what was applied */
	char **envp;		/* the command's environment */
};

/*
 * 2, 3. Machine identity -> access token -> secrets (fetch.h; memo: watch
 * mode's, or NULL). The credentials are wiped as soon as they have
 * served. Returns RUN_GO, 125, or 128+N after a stop signal (one line).
 */
int run_fetch(struct run *r, struct fetch_memo *memo);

/*
 * 4. Inherited variables, minus credentials, plus secrets, by the rules
 * of the configuration (environment.h); r->applied gets what was applied.
 * With --check, prints the listing (check.h) and returns 0 or 125.
 * Returns RUN_GO or 125.
 */
int run_environment(struct run *r);

/*
 * 5. Become the command: as the user asked (user.h), with the signal state
 * infx-exec inherited (signals.h), execve (exec.h). Returns only on
 * failure: 125, 126, 127, or 128+N after a stop signal.
 */
int run_exec(struct run *r);

/* One line, "stopped by SIGTERM before starting the command"; 128+sig. */
int run_stopped(int sig);

void run_free(struct run *r);

#endif
