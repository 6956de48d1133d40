/* signals.h - stop at once on SIGTERM/SIGINT while fetching; hand the
 * command the signal state infx-exec inherited. */
#ifndef INFX_SIGNALS_H
#define INFX_SIGNALS_H

/*
 * Catch SIGTERM, SIGINT, SIGHUP and SIGQUIT (a container being stopped
 * while infx-exec waits for Infisical) and ignore SIGPIPE (a peer closing
 * a TLS connection mid-write, a reader of --check going away: an EPIPE
 * error, never death by signal 13), remembering the dispositions and the
 * signal mask it inherited. The handler only records the signal.
 * Returns 0, or -1 when sigaction(2) fails.
 */
int signals_catch(void);

/* The number of the first caught signal, or 0. Async-signal-safe. */
int signals_caught(void);

/* "SIGTERM" and the like for a caught signal, for the one message. */
const char *signals_name(int sig);

/*
 * Sleep for ms milliseconds unless a caught signal arrives first.
 * Returns 0 after the full sleep, -1 when interrupted by one.
 */
int signals_sleep_ms(long ms);

/*
 * Just before exec: block the stop signals; if one was caught, return its
 * number (the caller exits 128+N, the command must not start). Otherwise
 * put back the inherited dispositions, then the inherited mask, and
 * return 0. A stop signal that arrives after the check stays pending while
 * blocked and is delivered, with the inherited disposition, when the mask
 * is restored: the run ends as the command would have, it is never lost.
 */
int signals_release(void);

#endif
