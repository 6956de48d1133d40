/* signals.c - catch stop signals during the fetch, restore before exec. */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
#define NSIG_STOP (sizeof stop_signals / sizeof stop_signals[0])

static struct sigaction saved[NSIG_STOP];
static sigset_t saved_mask;
static volatile sig_atomic_t caught;
static int installed;

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
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking wait returns EINTR and looks at the flag. */
	for (i = 0; i < NSIG_STOP; i++) {
		if (sigaction(stop_signals[i], &sa, &saved[i]) != 0)
			return -1;
		installed = (int)i + 1;
	}
	/* An inherited mask must not keep these from reaching us. */
	{
		sigset_t unblock;

		sigemptyset(&unblock);
		for (i = 0; i < NSIG_STOP; i++)
			sigaddset(&unblock, stop_signals[i]);
		sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	}
	return 0;
}

int signals_caught(void)
{
	return caught;
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

void signals_restore(void)
{
	int i;

	for (i = 0; i < installed; i++)
		sigaction(stop_signals[i], &saved[i], NULL);
	if (installed)
		sigprocmask(SIG_SETMASK, &saved_mask, NULL);
	installed = 0;
}
