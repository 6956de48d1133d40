/* user.c - resolve USER[:GROUP] and drop privileges before exec. */
#include "user.h"

#include "log.h"
#include "mem.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* capget(2)'s structures (linux/capability.h, version 3), spelled out:
 * musl's headers do not include the kernel's. */
#define CAP_VERSION_3 0x20080522
#define CAP_SETGID 6
#define CAP_SETUID 7
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

/* A decimal id, or -1 when s is not one. */
static long parse_id(const char *s)
{
	char *end;
	long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > (long)INT_MAX)
		return -1;
	return v;
}

static int resolve_group(const char *group, gid_t *gid)
{
	long id = parse_id(group);
	struct group *gr;
	char safe[64];

	if (id >= 0) {
		*gid = (gid_t)id;
		return 0;
	}
	gr = getgrnam(group);
	if (!gr) {
		log_error("unknown group '%s' (INFX_USER / --user): use a name "
			  "from /etc/group or a numeric gid",
			  log_sanitize(safe, sizeof safe, group, strlen(group)));
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* The supplementary groups of a known user, primary group included. */
static void user_groups(const struct passwd *pw, struct run_as *ra)
{
	int n = 32;

	for (;;) {
		gid_t *g = xcalloc((size_t)n, sizeof *g);
		int want = n;

		free(ra->groups);
		ra->groups = g;
		if (getgrouplist(pw->pw_name, pw->pw_gid, g, &want) >= 0) {
			ra->ngroups = want;
			return;
		}
		if (want <= n)
			want = n * 2;
		n = want;
	}
}

int user_resolve(const char *spec, struct run_as *ra)
{
	char *user = xstrdup(spec), *group, safe[64];
	struct passwd *pw = NULL;
	long id;
	int rc = -1;

	memset(ra, 0, sizeof *ra);
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	id = parse_id(user);
	if (id >= 0) {
		ra->uid = (uid_t)id;
		ra->gid = (gid_t)id;
		pw = getpwuid(ra->uid);
	} else if (*user) {
		pw = getpwnam(user);
		if (!pw) {
			log_error("unknown user '%s' (INFX_USER / --user): use "
				  "a name from /etc/passwd or a numeric uid",
				  log_sanitize(safe, sizeof safe, user,
					       strlen(user)));
			goto out;
		}
	} else {
		log_error("INFX_USER / --user needs a user: USER[:GROUP]");
		goto out;
	}
	if (pw) {
		ra->uid = pw->pw_uid;
		ra->gid = pw->pw_gid;
	}
	ra->home = xstrdup(pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	if (group && *group) {
		if (resolve_group(group, &ra->gid) != 0)
			goto out;
	} else if (pw) {
		user_groups(pw, ra);
	}
	if (ra->ngroups == 0) {
		ra->groups = xcalloc(1, sizeof *ra->groups);
		ra->groups[0] = ra->gid;
		ra->ngroups = 1;
	}
	rc = 0;
out:
	free(user);
	if (rc != 0)
		user_free(ra);
	return rc;
}

/* Whether gid is in {primary} and the n groups of list. */
static int in_set(gid_t gid, gid_t primary, const gid_t *list, int n)
{
	int i;

	if (gid == primary)
		return 1;
	for (i = 0; i < n; i++)
		if (list[i] == gid)
			return 1;
	return 0;
}

/* Whether the process's groups, its gid included, are ra's. */
static int same_groups(const struct run_as *ra)
{
	gid_t now[256];
	int n = getgroups(256, now), i;

	if (n < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!in_set(now[i], ra->gid, ra->groups, ra->ngroups))
			return 0;
	for (i = 0; i < ra->ngroups; i++)
		if (!in_set(ra->groups[i], getgid(), now, n))
			return 0;
	return 1;
}

/* Whether the effective capability set holds cap. */
static int has_capability(int cap)
{
	struct cap_header hdr = { CAP_VERSION_3, 0 };
	struct cap_data data[2];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return 0;
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

int user_can_switch(struct run_as *ra, const char *spec)
{
	int setuid_ok, setgid_ok;
	char safe[64];

	ra->already = getuid() == ra->uid && geteuid() == ra->uid &&
		      getgid() == ra->gid && getegid() == ra->gid &&
		      same_groups(ra);
	if (ra->already)
		return 0;
	setuid_ok = has_capability(CAP_SETUID);
	setgid_ok = has_capability(CAP_SETGID);
	if (setuid_ok && setgid_ok)
		return 0;
	log_error("INFX_USER / --user '%s': infx-exec (uid %u) lacks %s%s%s "
		  "to switch to uid %u gid %u; start the container as that "
		  "user instead (user: %u:%u), or give it back the "
		  "capabilities (cap_add: SETUID, SETGID) and start as root",
		  log_sanitize(safe, sizeof safe, spec, strlen(spec)),
		  (unsigned)geteuid(), setuid_ok ? "" : "CAP_SETUID",
		  !setuid_ok && !setgid_ok ? " and " : "",
		  setgid_ok ? "" : "CAP_SETGID", (unsigned)ra->uid,
		  (unsigned)ra->gid, (unsigned)ra->uid, (unsigned)ra->gid);
	return -1;
}

int user_switch(const struct run_as *ra)
{
	if (ra->already)
		return 0;
	if (setgroups((size_t)ra->ngroups, ra->groups) != 0) {
		log_error("unable to set the groups of uid %u: %s (INFX_USER "
			  "needs infx-exec to start as root)",
			  (unsigned)ra->uid, strerror(errno));
		return -1;
	}
	if (setgid(ra->gid) != 0) {
		log_error("unable to set gid %u: %s", (unsigned)ra->gid,
			  strerror(errno));
		return -1;
	}
	if (setuid(ra->uid) != 0) {
		log_error("unable to set uid %u: %s", (unsigned)ra->uid,
			  strerror(errno));
		return -1;
	}
	if (ra->uid != 0 && setuid(0) == 0) {
		log_error("dropped to uid %u but root could be regained; "
			  "refusing to run", (unsigned)ra->uid);
		return -1;
	}
	return 0;
}

void user_free(struct run_as *ra)
{
	free(ra->groups);
	free(ra->home);
	memset(ra, 0, sizeof *ra);
}
