/* user.h - run the command as another user (su-exec's job). */
#ifndef INFX_USER_H
#define INFX_USER_H

#include <sys/types.h>

struct run_as {
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups, malloc'd */
	int ngroups;
	char *home;		/* the user's home, or "/" */
	int already;		/* the process runs as ra already: no switch */
};

/*
 * Resolve spec "USER[:GROUP]" (names, or numeric ids that need no
 * /etc/passwd or /etc/group) as su-exec does: a known user gives its uid,
 * primary group, supplementary groups (getgrouplist) and home; GROUP, when
 * given, replaces the primary group and the supplementary ones. A numeric
 * uid that /etc/passwd does not know gets gid = uid (never root's group)
 * and HOME "/". Call before any request, so a typo fails fast.
 * Returns 0, or -1 after printing why (unknown user or group, bad id,
 * out of memory). Free with user_free.
 */
int user_resolve(const char *spec, struct run_as *out);

/*
 * Decide, before any request, whether the switch to ra can be made: when
 * the process already has ra's uid (real and effective), gid and group set
 * (a container started with "user: 1001:1001"), nothing is to be done
 * (ra->already is set); otherwise it needs CAP_SETUID and CAP_SETGID in
 * its effective set (capget(2)). Returns 0, or -1 after one line naming
 * the capabilities it lacks (e.g. "cap_drop: ALL" as root) and how to fix
 * it. spec is USER[:GROUP] as given, for the message.
 */
int user_can_switch(struct run_as *ra, const char *spec);

/*
 * Become ra (nothing when ra->already): setgroups(2), setgid(2),
 * setuid(2), in that order, then check
 * that root cannot be regained. Any failure is fatal: returns -1 after
 * printing why (e.g. EPERM when infx-exec is not root), never a silent
 * run as the wrong user. Returns 0 on success.
 */
int user_switch(const struct run_as *ra);

void user_free(struct run_as *ra);

#endif
