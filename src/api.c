/* api.c - JSON parsing and error descriptions for Infisical responses. */
#include "api.h"

#include "log.h"

#include "signals.h"
#include "wipe.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_BASE_MS 250L
#define BACKOFF_CAP_MS 5000L

void api_init(void)
{
	cJSON_Hooks hooks = { wipe_malloc, wipe_free };

	cJSON_InitHooks(&hooks);
}

cJSON *api_parse(const char *text, size_t len)
{
	const char *end = NULL;

	if (!text || len == 0 || memchr(text, '\0', len))
		return NULL;
	/* cJSON's "null terminated" check reads the byte at text[len]: the
	 * length it is given must count the terminating NUL. */
	return cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
}

/* "clientSecret: Required; ..." from a zod issue array. */
static void describe_issues(const cJSON *issues, char *buf, size_t len)
{
	const cJSON *issue;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(issue, issues) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(issue,
								     "path");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(issue,
								    "message");
		const cJSON *first = cJSON_IsArray(path) ?
				     cJSON_GetArrayItem(path, 0) : NULL;
		char field[64] = "", text[96] = "";
		int n;

		if (cJSON_IsString(first))
			log_sanitize(field, sizeof field, first->valuestring,
				     strlen(first->valuestring));
		if (cJSON_IsString(msg))
			log_sanitize(text, sizeof text, msg->valuestring,
				     strlen(msg->valuestring));
		n = snprintf(buf + used, len - used, "%s%s: %s",
			     used ? "; " : "", field, text);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

int api_error_is(const struct http_response *resp, long status,
		 const char *error)
{
	cJSON *root;
	const cJSON *e;
	int yes;

	if (resp->status != status)
		return 0;
	root = api_parse(resp->body, resp->len);
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	yes = cJSON_IsString(e) && strcmp(e->valuestring, error) == 0;
	cJSON_Delete(root);
	return yes;
}

void api_describe_error(const struct http_response *resp, char *buf,
			size_t len)
{
	cJSON *root = api_parse(resp->body, resp->len);
	const cJSON *error, *message;
	char name[64] = "", text[256] = "";

	error = cJSON_GetObjectItemCaseSensitive(root, "error");
	message = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (cJSON_IsString(error))
		log_sanitize(name, sizeof name, error->valuestring,
			     strlen(error->valuestring));
	if (cJSON_IsString(message))
		log_sanitize(text, sizeof text, message->valuestring,
			     strlen(message->valuestring));
	else if (cJSON_IsArray(message))
		describe_issues(message, text, sizeof text);

	if (!cJSON_IsObject(root))
		snprintf(buf, len, "HTTP %ld with a body that is not JSON "
			 "(a proxy or another server answered?)", resp->status);
	else if (name[0] || text[0])
		snprintf(buf, len, "HTTP %ld %s%s%s", resp->status, name,
			 name[0] && text[0] ? ": " : "", text);
	else
		snprintf(buf, len, "HTTP %ld", resp->status);
	cJSON_Delete(root);
}

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

static int retryable_status(long status, int *seen_500)
{
	if (status == 500)
		return (*seen_500)++ == 0;
	return status == 429 || status == 502 || status == 503 ||
	       status == 504;
}

enum api_status api_request(struct http *h, const char *method,
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
				api_describe_error(resp, err, errlen);
				return API_UNAVAILABLE;
			}
			api_describe_error(resp, err, errlen);
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
		log_info("%s; trying again in %ld ms", err, wait);
		http_response_free(resp);
		if (signals_sleep_ms(wait) != 0)
			return API_INTERRUPTED;
	}
}
