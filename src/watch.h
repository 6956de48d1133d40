/* watch.h - --watch: stay as the command's parent, restart it when its
 * secrets change. */
#ifndef INFX_WATCH_H
#define INFX_WATCH_H

#include "run.h"

/*
 * Watch mode, for r configured with cfg.watch (seconds). infx-exec does not
 * exec: it stays as the parent of the command, as `infisical run --watch`
 * and tini do.
 *
 * Each start of the command, and each poll, is a child process of its own
 * (a "poller"): it logs in or reuses the access token the parent keeps,
 * lists every path with If-None-Match (the last ETags), builds the
 * command's environment by the same rules as a plain run and compares
 * what would be applied with what the command got, by salted SHA-256 per
 * name. Unchanged, it exits; changed, it tells the parent which names
 * changed, were added or removed, waits until the parent has stopped the
 * old command, and execs the new one itself. So the parent never holds a
 * secret value: only the token, the ETags and the digests; and a failed
 * or crashed poll (out of memory...) never takes the command down.
 *
 * The parent forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
 * SIGWINCH to the command; reaps every child (as PID 1, orphans too; else
 * it is a child subreaper); polls every cfg.watch seconds plus up to 10%
 * of jitter, backing off after failures and honouring Retry-After; on a
 * change, one line names the keys, then SIGTERM, cfg.stop_timeout seconds,
 * SIGKILL, and a new start (cfg.on_change_exit: exit instead, with the
 * stopped command's status). A failed poll is one warning, never the end
 * of the command; an unusable new set (INFX_REQUIRE...) keeps the old one.
 *
 * Returns the exit status: the command's own when it exits by itself
 * (128+N when signal N ended it); the first start's failure (125, 126,
 * 127, 128+N) when the command never ran.
 */
int watch_run(struct run *r);

#endif
