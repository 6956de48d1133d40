/* retry.c - backoff with full jitter, Retry-After, the start-up budget. */
#include "retry.h"

#include "answer.h"
#include "log.h"
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_BASE_MS 250L
#define BACKOFF_CAP_MS 5000L

/* Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * uniform in [0, min(cap, base * 2^attempt)], with a small floor. */
static long backoff_ms(int attempt)
{
	static int seeded;
	long ceiling = BACKOFF_BASE_MS << (attempt < 5 ? attempt : 5);

	if (!seeded) {
		srandom((unsigned)http_now_ms() ^ (unsigned)getpid());
		seeded = 1;
	}
	if (ceiling > BACKOFF_CAP_MS)
		ceiling = BACKOFF_CAP_MS;
	return 50 + random() % ceiling;
}

/* Up to 1 s on top of a Retry-After, so that the shims of one host, told
 * the same moment, do not all come back in the same millisecond. */
static long jitter_ms(void)
{
	return backoff_ms(2) % 1000;
}

static long last_wait = -1;	/* the last Retry-After, seconds */
static int quiet;

long retry_last_wait(void)
{
	return last_wait;
}

void retry_set_quiet(int q)
{
	quiet = q;
}

/* The first wait of a run gets one warning line (at the default level). */
static void announce_wait(const char *url, const char *err, long long left)
{
	static int announced;

	if (quiet || announced++)
		return;
	log_warn("no usable answer from %.*s yet (%s); trying again for up to "
		 "%lld s (INFX_TIMEOUT)", (int)strcspn(url, "?"), url, err,
		 (left + 999) / 1000);
}

static int retryable_status(long status, int *seen_500)
{
	if (status == 500)
		return (*seen_500)++ == 0;
	return status == 429 || status == 502 || status == 503 ||
	       status == 504;
}

enum api_status retry_request(struct http *h, const char *method,
			    const char *url, const char *bearer,
			    const char *body,
			    struct http_response *resp, char *err,
			    size_t errlen)
{
	int attempt, seen_500 = 0;

	for (attempt = 0;; attempt++) {
		long long start = http_now_ms(), left;
		enum http_result r = http_request(h, method, url, bearer, body,
						  resp, err, errlen);
		long wait;

		log_debug("%s %s: %s in %lld ms", method ? method :
			  body ? "POST" : "GET", url,
			  r == HTTP_DONE ? "answered" : "no answer",
			  http_now_ms() - start);
		if (r == HTTP_INTERRUPTED)
			return API_INTERRUPTED;
		if (r == HTTP_FATAL)
			return API_FAILED;
		if (r == HTTP_DONE) {
			if (!retryable_status(resp->status, &seen_500)) {
				if (resp->status < 500)
					return API_OK;
				answer_describe_error(resp, err, errlen);
				return API_UNAVAILABLE;
			}
			answer_describe_error(resp, err, errlen);
			last_wait = resp->retry_after;
			/* Seconds to ms without overflow: anything beyond a
			 * day is "longer than any budget". */
			wait = resp->retry_after < 0 ? backoff_ms(attempt) :
			       resp->retry_after > 86400 ? 86400000L :
			       resp->retry_after * 1000 + jitter_ms();
		} else {
			wait = backoff_ms(attempt);
		}
		left = http_time_left_ms(h);
		if (wait >= left) {
			size_t n = strlen(err);

			snprintf(err + n, errlen - n, " (%d attempt%s; %s)",
				 attempt + 1, attempt ? "s" : "",
				 resp->retry_after >= 0 && wait >= left ?
				 "the server asked to wait longer than what is "
				 "left of INFX_TIMEOUT" :
				 "INFX_TIMEOUT ran out");
			return API_UNAVAILABLE;
		}
		announce_wait(url, err, left);
		log_info("%s; trying again in %ld ms", err, wait);
		http_response_free(resp);
		if (signals_sleep_ms(wait) != 0)
			return API_INTERRUPTED;
	}
}
