/* http.h - the one libcurl handle of a run: JSON requests, capped bodies. */
#ifndef INFX_HTTP_H
#define INFX_HTTP_H

#include <stddef.h>

#include "strlist.h"

/* Largest response body accepted, in bytes; a larger one is an error. */
#define HTTP_MAX_BODY (16 * 1024 * 1024)

struct http;			/* one libcurl easy handle, reused (keep-alive) */

struct http_response {
	long status;		/* HTTP status code, e.g. 200 */
	char *body;		/* malloc'd, NUL-terminated, len bytes before */
	size_t len;
	long retry_after;	/* Retry-After in seconds, -1 when absent */
};

/* What became of one request. */
enum http_result {
	HTTP_DONE = 0,		/* an HTTP answer arrived (any status) */
	HTTP_RETRYABLE,		/* no answer, but a later try may get one:
				 * refused, reset, DNS, timeout, truncated */
	HTTP_FATAL,		/* no answer, and trying again will not help:
				 * TLS verification, bad URL, body too big */
	HTTP_INTERRUPTED	/* a stop signal arrived (signals_caught) */
};

/*
 * curl_global_init, with the wiping allocators of wipe.h: libcurl keeps the
 * request (login body, Authorization header) in buffers of its own, which
 * are then wiped when freed. Call once, first. Returns 0 or -1.
 */
int http_global_init(void);

/* Milliseconds on the monotonic clock. */
long long http_now_ms(void);

/*
 * Create the client. Call once, after curl_global_init. TLS always verifies
 * the peer and the host name, against the first of: ca_file
 * (INFISICAL_CA_CERT_FILE); SSL_CERT_FILE and/or SSL_CERT_DIR from envp;
 * /etc/ssl/certs when it holds OpenSSL's hashed links (read per need:
 * faster than a whole bundle); the system's CA bundle (Debian, Alpine,
 * RHEL, SUSE locations); the
 * Mozilla roots built into the binary (so FROM scratch images work).
 * Only http and https are allowed and redirects are never followed (a
 * redirect could carry the token elsewhere). libcurl's standard proxy
 * variables apply (https_proxy, no_proxy...). headers ("Name: value"
 * lines, may be NULL) are sent with every request; they must outlive the
 * client. Timeouts: 10 s to connect, 30 s per request, both cut to what
 * is left before deadline_ms (http_now_ms() clock; 0 for none).
 * Returns NULL on out of memory.
 */
struct http *http_new(char **envp, const char *ca_file,
		      const struct strlist *headers, long long deadline_ms);

/*
 * Send one request to url and collect the response: method ("PATCH"...)
 * when not NULL, else a POST of json_body (application/json) when that is
 * not NULL, else a GET. bearer: the access
 * token for "Authorization: Bearer", or NULL.
 * Returns HTTP_DONE when an HTTP response arrived (any status: the caller
 * maps it; resp holds it), else why not (see enum http_result), with
 * libcurl's reason in errbuf (size errlen). A caught stop signal aborts
 * the transfer at once. Headers holding the token are wiped after use.
 * Release resp with http_response_free in every case.
 */
enum http_result http_request(struct http *h, const char *method,
			      const char *url, const char *bearer,
		 const char *json_body,
		 struct http_response *resp, char *errbuf, size_t errlen);

/* Milliseconds left before the client's deadline (LLONG_MAX: none). */
long long http_time_left_ms(const struct http *h);

/* Wipe and free the body of resp. */
void http_response_free(struct http_response *resp);

/* Percent-encode s for a query string (malloc'd), NULL on out of memory. */
char *http_escape(struct http *h, const char *s);

/* Close the connection and free the client. NULL is allowed. */
void http_free(struct http *h);

#endif
