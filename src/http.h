/* http.h - the one libcurl handle of a run: JSON requests, capped answers. */
#ifndef INFX_HTTP_H
#define INFX_HTTP_H

#include <stddef.h>

#include "response.h"
#include "strlist.h"

/* Largest response body accepted, in bytes after decoding; a larger one is
 * an error. */
#define HTTP_MAX_BODY (16 * 1024 * 1024)
/* Largest header section of one response, in bytes. */
#define HTTP_MAX_HEADERS (64 * 1024)

struct http;			/* one libcurl easy handle, reused (keep-alive) */

/* What became of one request. */
enum http_result {
	HTTP_DONE = 0,		/* an HTTP answer arrived (any status) */
	HTTP_RETRYABLE,		/* no answer, but a later try may get one:
				 * refused, reset, DNS, timeout, truncated */
	HTTP_FATAL,		/* no answer, and trying again will not help:
				 * TLS verification, a proxy refusing the
				 * tunnel, an answer too large or in an
				 * encoding infx-exec cannot read */
	HTTP_INTERRUPTED	/* a stop signal arrived (signals_caught) */
};

/*
 * curl_global_init_mem with the wiping allocators of mem.h: libcurl keeps
 * the request (login body, Authorization header) in buffers of its own,
 * which are then wiped when freed. Call once, first; pair with
 * http_global_cleanup. Returns 0, or -1 after one line.
 */
int http_global_init(void);
void http_global_cleanup(void);

/* Milliseconds on the monotonic clock. */
long long http_now_ms(void);

/* What http_new needs to know about the run. */
struct http_setup {
	char **envp;		/* for the proxy and TLS variables */
	const char *api_url;	/* the proxy is chosen for this URL */
	const char *ca_file;	/* INFISICAL_CA_CERT_FILE, or NULL */
	const struct strlist *headers;	/* "Name: value", sent with every
					 * request; outlives the client */
	long long deadline_ms;	/* http_now_ms() clock; 0 for none */
};

/*
 * Create the client. TLS always verifies the peer and the host name,
 * against the first of: ca_file; SSL_CERT_FILE and/or SSL_CERT_DIR from
 * envp; /etc/ssl/certs when it holds OpenSSL's hashed links (read per
 * need: faster than a whole bundle); the system's CA bundle (Debian,
 * Alpine, RHEL, SUSE locations); the Mozilla roots built into the binary
 * (so FROM scratch images work). Only http and https are allowed and
 * redirects are never followed (a redirect could carry the token
 * elsewhere). The proxy is the one proxy_choose picks for api_url (proxy.h)
 * and libcurl reads no proxy variable itself. Answers in gzip are asked
 * for when the libcurl build can decode them. Timeouts: 10 s to connect,
 * 30 s per request, both cut to what is left before the deadline.
 * Returns NULL after one line: a proxy setting that cannot be used, or
 * libcurl unable to start.
 */
struct http *http_new(const struct http_setup *setup);

/*
 * Send one request to url and collect the response: method ("PATCH"...)
 * when not NULL, else a POST of json_body (application/json) when that is
 * not NULL, else a GET. bearer: the access token for "Authorization:
 * Bearer", or NULL.
 * Returns HTTP_DONE when an HTTP response arrived (any status: the caller
 * maps it; resp holds it), else why not (see enum http_result), with the
 * reason in errbuf (size errlen): libcurl's words, or ours for a proxy
 * refusing the tunnel (naming the proxy, its password masked), an answer
 * larger than HTTP_MAX_BODY or HTTP_MAX_HEADERS, or a Content-Encoding
 * other than gzip (and identity). A caught stop signal aborts the transfer
 * at once. Headers holding the token are wiped after use.
 * Release resp with http_response_free in every case.
 */
enum http_result http_request(struct http *h, const char *method,
			      const char *url, const char *bearer,
			      const char *json_body,
			      struct http_response *resp, char *errbuf,
			      size_t errlen);

/*
 * Send "If-None-Match: etag" with the next request only (etag: a copy is
 * not made; it must live until then). A 304 answer then comes back as
 * HTTP_DONE with status 304 and an empty body.
 */
void http_if_none_match(struct http *h, const char *etag);

/*
 * The next requests are the run's last: their connection is closed as
 * soon as they are done (CURLOPT_FORBID_REUSE), so that the TLS state is
 * freed before their answer is parsed (a lower peak of memory). A request
 * after them still works, on a new connection.
 */
void http_last_request(struct http *h);

/* Milliseconds left before the client's deadline (LLONG_MAX: none). */
long long http_time_left_ms(const struct http *h);

/* Wipe and free the body of resp. */
void http_response_free(struct http_response *resp);

/* Percent-encode s for a query string (malloc'd). */
char *http_escape(struct http *h, const char *s);

/* Append "?name=value" (the first) or "&name=value" to the URL in buf
 * (size n), value percent-encoded; cut to fit n. */
void http_add_param(struct http *h, char *buf, size_t n, const char *name,
		    const char *value);

/* Close the connection and free the client. NULL is allowed. */
void http_free(struct http *h);

#endif
