/* signals.c - catch stop signals during the fetch, restore before exec. */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

static const struct {
	int sig;
	const char *name;
} handled[] = {
	{ SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" }, { SIGHUP, "SIGHUP" },
	{ SIGQUIT, "SIGQUIT" }, { SIGPIPE, "SIGPIPE" },
};
#define NHANDLED (sizeof handled / sizeof handled[0])
#define NSTOP (NHANDLED - 1)	/* all but SIGPIPE, which is ignored */

static struct sigaction saved[NHANDLED];
static sigset_t saved_mask, stop_set;
static volatile sig_atomic_t caught;
static size_t installed;

static void on_signal(int sig)
{
	if (!caught)
		caught = sig;
}

int signals_catch(void)
{
	struct sigaction sa;
	size_t i;

	if (sigprocmask(SIG_SETMASK, NULL, &saved_mask) != 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sigemptyset(&stop_set);
	/* No SA_RESTART: a blocking wait returns EINTR and looks at the flag. */
	for (i = 0; i < NHANDLED; i++) {
		sa.sa_handler = i < NSTOP ? on_signal : SIG_IGN;
		if (sigaction(handled[i].sig, &sa, &saved[i]) != 0)
			return -1;
		installed = i + 1;
		if (i < NSTOP)
			sigaddset(&stop_set, handled[i].sig);
	}
	/* An inherited mask must not keep these from reaching us. */
	sigprocmask(SIG_UNBLOCK, &stop_set, NULL);
	return 0;
}

int signals_caught(void)
{
	return caught;
}

const char *signals_name(int sig)
{
	size_t i;

	for (i = 0; i < NHANDLED; i++)
		if (handled[i].sig == sig)
			return handled[i].name;
	return "a signal";
}

int signals_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (ms <= 0)
		return caught ? -1 : 0;
	while (!caught && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return caught ? -1 : 0;
}

int signals_release(void)
{
	size_t i;

	if (!installed)
		return 0;
	sigprocmask(SIG_BLOCK, &stop_set, NULL);
	if (caught)
		return caught;
	for (i = 0; i < installed; i++)
		sigaction(handled[i].sig, &saved[i], NULL);
	installed = 0;
	sigprocmask(SIG_SETMASK, &saved_mask, NULL);
	return 0;
}
