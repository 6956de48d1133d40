/* watch.c - the parent of watch mode: starts, polls, forwards, reaps. */
#include "watch.h"

#include "exitcodes.h"
#include "http.h"
#include "log.h"
#include "mem.h"
#include "poller.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the parent passes on to the command. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
				 SIGUSR2, SIGWINCH };
#define NFORWARDED (sizeof forwarded / sizeof forwarded[0])

/* The poll under way: a child, its report, the pipe that says "go". */
struct poller {
	pid_t pid;
	int report_fd, go_fd;
	char *report;
	size_t len, cap;
	int reported;
	struct poll_report r;
};

struct watch {
	struct run *run;
	struct poll_state state;	/* no secret value (poller.h) */
	pid_t child;			/* the command, 0 before it runs */
	struct poller poll;		/* pid 0: none */
	int sfd;			/* signalfd of the signals below */
	sigset_t mask, before;		/* blocked here; as it was */
	long long next_poll;		/* monotonic ms */
	long long kill_at;		/* a stop under way: SIGKILL then */
	int stopping;			/* we sent the command SIGTERM */
	int failures;			/* polls in a row that failed */
	int done, status;		/* the run is over, with status */
};

static int status_of(int wstatus)
{
	return WIFSIGNALED(wstatus) ? EXIT_SIGNAL_BASE + WTERMSIG(wstatus) :
	       WEXITSTATUS(wstatus);
}

/* -- polls ------------------------------------------------------------------------ */

/* A pipe whose ends close at exec (the command must not inherit them). */
static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static void start_poll(struct watch *w, int start)
{
	int report[2], go[2];
	pid_t pid;

	if (cloexec_pipe(report) != 0) {
		log_warn("unable to poll Infisical: %s", strerror(errno));
		return;
	}
	if (cloexec_pipe(go) != 0) {
		log_warn("unable to poll Infisical: %s", strerror(errno));
		close(report[0]);
		close(report[1]);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(report[0]);
		close(go[1]);
		close(w->sfd);
		sigprocmask(SIG_SETMASK, &w->before, NULL);
		poll_child(w->run, &w->state, start, report[1], go[0]);
	}
	close(report[1]);
	close(go[0]);
	if (pid < 0) {
		log_warn("unable to poll Infisical: %s", strerror(errno));
		close(report[0]);
		close(go[1]);
		return;
	}
	memset(&w->poll, 0, sizeof w->poll);
	w->poll.pid = pid;
	w->poll.report_fd = report[0];
	w->poll.go_fd = go[1];
}

static void end_poll(struct watch *w)
{
	if (w->poll.report_fd >= 0)
		close(w->poll.report_fd);
	if (w->poll.go_fd >= 0)
		close(w->poll.go_fd);
	free(w->poll.report);
	poll_state_free(&w->poll.r.next);
	memset(&w->poll, 0, sizeof w->poll);
	w->poll.report_fd = w->poll.go_fd = -1;
}

/* When to poll next: the interval and up to 10% more, longer after
 * failures (up to 8 times), never before the server's Retry-After. */
static void schedule(struct watch *w, long wait)
{
	long long ms = w->run->cfg.watch * 1000LL;
	int shift = w->failures < 3 ? w->failures : 3;

	ms = (ms << shift) + random() % (ms / 10 + 1);
	if (wait > 0 && wait * 1000LL > ms)
		ms = wait * 1000LL;
	w->next_poll = http_now_ms() + ms;
}

/* Stop the command: SIGTERM now, SIGKILL after the stop timeout. */
static void stop_command(struct watch *w)
{
	if (!w->child || w->stopping)
		return;
	w->stopping = 1;
	w->kill_at = http_now_ms() + w->run->cfg.stop_timeout * 1000LL;
	kill(w->child, SIGTERM);
}

/* Let the poller become the command. */
static void go(struct watch *w)
{
	char byte = 'g';

	if (write(w->poll.go_fd, &byte, 1) != 1) {
		log_warn("unable to start the command again: %s",
			 strerror(errno));
		return;
	}
	w->child = w->poll.pid;
	w->poll.pid = 0;	/* it is the command now */
	end_poll(w);
	schedule(w, -1);
}

/* A complete report: keep what it brings, act on a change. */
static void take_report(struct watch *w)
{
	struct poll_report *r = &w->poll.r;

	w->poll.reported = 1;
	if (poll_read_report(w->poll.report, w->poll.len,
			     w->run->cfg.paths.n, r) != 0) {
		log_warn("unable to read the poll's report (out of memory?); "
			 "trying again later");
		return;
	}
	if (r->next.token) {
		wipe_free(w->state.token);
		w->state.token = r->next.token;
		r->next.token = NULL;
	}
	for (size_t i = 0; i < w->state.npaths; i++) {
		if (!r->next.etags[i])
			continue;
		free(w->state.etags[i]);
		w->state.etags[i] = r->next.etags[i];
		r->next.etags[i] = NULL;
	}
	w->failures = r->outcome == POLL_FAIL ? w->failures + 1 : 0;
	if (r->outcome != POLL_NEW)
		return;
	poll_state_free(&(struct poll_state){ .set = w->state.set,
					      .nset = w->state.nset });
	w->state.set = r->next.set;
	w->state.nset = r->next.nset;
	r->next.set = NULL;
	r->next.nset = 0;
	if (!w->child) {
		go(w);		/* the first start */
		return;
	}
	log_warn("secrets changed in Infisical (%s); %s the command",
		 r->changes, w->run->cfg.on_change_exit ? "stopping" :
		 "restarting");
	stop_command(w);
}

static void read_report(struct watch *w)
{
	struct poller *p = &w->poll;
	ssize_t n;

	if (p->len + 4096 > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 65536;
		char *more = realloc(p->report, cap);

		if (!more)
			return;		/* read again later */
		p->report = more;
		p->cap = cap;
	}
	n = read(p->report_fd, p->report + p->len, p->cap - p->len);
	if (n > 0) {
		p->len += (size_t)n;
		if (p->len >= 4 && memcmp(p->report + p->len - 4, "END\n", 4)
		    == 0)
			take_report(w);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(p->report_fd);
		p->report_fd = -1;
	}
}

/* -- children ------------------------------------------------------------------------ */

/* The command ended: by itself (the run is over), or as we asked for a
 * restart (the poller that reported the change becomes the new one). */
static void command_ended(struct watch *w, int wstatus)
{
	int restart = w->stopping && !w->run->cfg.on_change_exit &&
		      w->poll.pid && w->poll.r.outcome == POLL_NEW;

	w->child = 0;
	w->stopping = 0;
	if (restart) {
		go(w);
		return;
	}
	w->done = 1;
	w->status = status_of(wstatus);
}

/* The poller ended without becoming the command. */
static void poller_ended(struct watch *w, int wstatus)
{
	while (w->poll.report_fd >= 0)	/* what it wrote before it ended */
		read_report(w);
	if (!w->child) {
		/* The start failed (its one line is said), or was stopped. */
		w->done = 1;
		w->status = status_of(wstatus) ? status_of(wstatus) :
			    EXIT_SHIM_FAILED;
	} else if (!w->poll.reported) {
		log_warn("a poll of Infisical ended without a report (status "
			 "%d); trying again later", status_of(wstatus));
		w->failures++;
	}
	schedule(w, w->poll.r.wait);
	end_poll(w);
}

static void reap(struct watch *w)
{
	int wstatus;
	pid_t pid;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		if (pid == w->child)
			command_ended(w, wstatus);
		else if (pid == w->poll.pid && w->poll.pid)
			poller_ended(w, wstatus);
		/* else: an orphan, reaped as PID 1 or a subreaper must */
	}
}

static void on_signals(struct watch *w)
{
	struct signalfd_siginfo si;

	while (read(w->sfd, &si, sizeof si) == sizeof si) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGCHLD)
			continue;	/* reaped below, all of them */
		if (w->child)
			kill(w->child, sig);
		else if (w->poll.pid && sig != SIGUSR1 && sig != SIGUSR2 &&
			 sig != SIGWINCH)
			kill(w->poll.pid, sig);	/* stopped before it ran */
	}
	reap(w);
}

/* -- the loop ---------------------------------------------------------------------- */

static int setup(struct watch *w)
{
	size_t i;

	sigemptyset(&w->mask);
	sigaddset(&w->mask, SIGCHLD);
	for (i = 0; i < NFORWARDED; i++)
		sigaddset(&w->mask, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &w->mask, &w->before) != 0 ||
	    (w->sfd = signalfd(-1, &w->mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		log_error("unable to watch signals: %s", strerror(errno));
		return -1;
	}
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (getrandom(w->state.salt, sizeof w->state.salt, 0) !=
	    (ssize_t)sizeof w->state.salt) {
		log_error("unable to get random bytes: %s", strerror(errno));
		return -1;
	}
	srandom((unsigned)w->state.salt[0] << 8 | w->state.salt[1]);
	w->state.npaths = w->run->cfg.paths.n;
	w->state.etags = calloc(w->state.npaths + 1, sizeof *w->state.etags);
	w->poll.report_fd = w->poll.go_fd = -1;
	if (!w->state.etags) {
		log_error("out of memory");
		return -1;
	}
	return 0;
}

/* Milliseconds until the next thing to do (-1: wait for an event). */
static int timeout_ms(const struct watch *w)
{
	long long now = http_now_ms(), at = -1;

	if (!w->poll.pid && w->child && !w->stopping)
		at = w->next_poll;
	if (w->stopping && (at < 0 || w->kill_at < at))
		at = w->kill_at;
	if (at < 0)
		return -1;
	return at <= now ? 0 : at - now > 60000 ? 60000 : (int)(at - now);
}

static void tick(struct watch *w)
{
	long long now = http_now_ms();

	if (w->stopping && w->child && now >= w->kill_at) {
		kill(w->child, SIGKILL);
		w->kill_at = now + 60000;
	}
	if (!w->poll.pid && w->child && !w->stopping && now >= w->next_poll)
		start_poll(w, 0);
}

int watch_run(struct run *r)
{
	struct watch w;

	memset(&w, 0, sizeof w);
	w.run = r;
	credentials_free(&r->creds);	/* each poll reads them anew */
	if (setup(&w) != 0)
		return EXIT_SHIM_FAILED;
	start_poll(&w, 1);
	if (!w.poll.pid)
		return EXIT_SHIM_FAILED;
	while (!w.done) {
		struct pollfd fds[2] = { { w.sfd, POLLIN, 0 },
					 { w.poll.report_fd, POLLIN, 0 } };
		int n = poll(fds, w.poll.report_fd >= 0 ? 2 : 1,
			     timeout_ms(&w));

		if (n > 0 && fds[1].revents && w.poll.report_fd >= 0)
			read_report(&w);
		if (n > 0 && fds[0].revents)
			on_signals(&w);
		tick(&w);
	}
	if (w.poll.pid)
		kill(w.poll.pid, SIGKILL);
	end_poll(&w);
	poll_state_free(&w.state);
	close(w.sfd);
	return w.status;
}
