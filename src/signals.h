/* signals.h - stop at once on SIGTERM/SIGINT while fetching; hand the
 * command the signal state infx-exec inherited. */
#ifndef INFX_SIGNALS_H
#define INFX_SIGNALS_H

/*
 * Catch SIGTERM, SIGINT, SIGHUP and SIGQUIT (a container being stopped
 * while infx-exec waits for Infisical), remembering the dispositions and
 * the signal mask it inherited. The handler only records the signal.
 * Returns 0, or -1 when sigaction(2) fails.
 */
int signals_catch(void);

/* The number of the first caught signal, or 0. Async-signal-safe. */
int signals_caught(void);

/*
 * Sleep for ms milliseconds unless a caught signal arrives first.
 * Returns 0 after the full sleep, -1 when interrupted by one.
 */
int signals_sleep_ms(long ms);

/*
 * Put back the dispositions and the mask saved by signals_catch (before
 * exec: an ignored or blocked signal would stay so in the command).
 */
void signals_restore(void);

#endif
