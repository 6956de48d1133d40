/* poller.h - one poll of watch mode: a child process that fetches, compares
 * and, on a change, becomes the new command; and what it tells its parent. */
#ifndef INFX_POLLER_H
#define INFX_POLLER_H

#include <stddef.h>

#include "run.h"

/* SHA-256 of salt, a name, a NUL and its value: what the parent keeps of a
 * secret instead of its value. */
struct digest {
	char *name;		/* malloc'd, NUL-terminated */
	size_t name_len;
	unsigned char sum[32];
};

/* What the parent keeps from one poll to the next: no secret value. */
struct poll_state {
	unsigned char salt[16];	/* random, per run */
	struct digest *set;	/* what the command got, sorted by name */
	size_t nset;
	char **etags;		/* one per secret path, or NULL entries */
	size_t npaths;
	char *token;		/* the access token polls reuse, or NULL */
};

enum poll_outcome {
	POLL_SAME,		/* nothing the command gets changed */
	POLL_NEW,		/* a new set: the poller waits for "go" */
	POLL_FAIL		/* no usable set this time (one line said why) */
};

/* What a poller reported. */
struct poll_report {
	enum poll_outcome outcome;
	struct poll_state next;	/* the ETags and token to keep; the set,
				 * on POLL_NEW (salt not set) */
	char changes[1024];	/* "API_KEY changed, DB_URL added", sanitized */
	long wait;		/* seconds the server asked to wait, or -1 */
};

/*
 * The poller, in a child forked by the parent (watch.c): credentials read
 * anew (files may have rotated), fetch with prev's token and ETags (fetch.h,
 * struct fetch_memo), the environment by the configuration's rules, digests
 * compared with prev's set; the report written to report_fd. On POLL_NEW
 * (always at the start), it waits for one byte on go_fd, then becomes the
 * command (run_exec); end of file there ends it quietly. Failures of later
 * polls are printed as warnings; the start's are errors, and its exit
 * status (125, 126, 127, 128+N) is the one the run ends with.
 */
_Noreturn void poll_child(struct run *r, const struct poll_state *prev,
			  int start, int report_fd, int go_fd);

/*
 * Read a poller's report (text, len bytes, ending with "END\n") into out,
 * for npaths secret paths. Plain malloc: the parent must not die of an
 * allocation failure. Returns 0, or -1 (malformed, out of memory; out is
 * freed).
 */
int poll_read_report(const char *text, size_t len, size_t npaths,
		     struct poll_report *out);

/* Wipe and free what s holds (not s itself); s is empty afterwards. */
void poll_state_free(struct poll_state *s);

#endif
