/* user.c - resolve USER[:GROUP] and drop privileges before exec. */
#include "user.h"

#include "log.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
static int user_groups(const struct passwd *pw, struct run_as *ra)
{
	int n = 32;

	for (;;) {
		gid_t *g = realloc(ra->groups, (size_t)n * sizeof *g);
		int want = n;

		if (!g)
			return -1;
		ra->groups = g;
		if (getgrouplist(pw->pw_name, pw->pw_gid, g, &want) >= 0) {
			ra->ngroups = want;
			return 0;
		}
		if (want <= n)
			want = n * 2;
		n = want;
	}
}

int user_resolve(const char *spec, struct run_as *ra)
{
	char *user = strdup(spec), *group, safe[64];
	struct passwd *pw = NULL;
	long id;
	int rc = -1;

	memset(ra, 0, sizeof *ra);
	if (!user)
		goto oom;
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
	ra->home = strdup(pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	if (!ra->home)
		goto oom;
	if (group && *group) {
		if (resolve_group(group, &ra->gid) != 0)
			goto out;
	} else if (pw) {
		if (user_groups(pw, ra) != 0)
			goto oom;
	}
	if (ra->ngroups == 0) {
		ra->groups = malloc(sizeof *ra->groups);
		if (!ra->groups)
			goto oom;
		ra->groups[0] = ra->gid;
		ra->ngroups = 1;
	}
	rc = 0;
	goto out;
oom:
	log_error("unable to resolve INFX_USER: out of memory");
out:
	free(user);
	if (rc != 0)
		user_free(ra);
	return rc;
}

int user_switch(const struct run_as *ra)
{
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
