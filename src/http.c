/* http.c - libcurl in its documented shape (docs/examples/getinmemory.c). */
#include "http.h"

#include "log.h"
#include "mem.h"
#include "proxy.h"
#include "signals.h"
#include "trust.h"
#include "wbuf.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef INFX_VERSION
#define INFX_VERSION "dev"
#endif

/* Per-request limits, in milliseconds, before the deadline cuts them. */
#define CONNECT_TIMEOUT_MS 10000L
#define REQUEST_TIMEOUT_MS 30000L

struct http {
	CURL *curl;
	const struct strlist *headers;
	long long deadline_ms;	/* monotonic; 0 = none */
	char *proxy;		/* the proxy URL, or NULL (direct) */
	const char *proxy_var;	/* the variable it came from */
	struct trust *trust;	/* the CAs that verify the server and proxy */
	const char *if_none_match;	/* for the next request, or NULL */
	int gzip;		/* libcurl decodes gzip */
	int probed;		/* the scheme was checked once (see failure) */
};

int http_global_init(void)
{
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, wipe_malloc, wipe_free,
				 wipe_realloc, wipe_strdup, wipe_calloc) ==
	    CURLE_OK)
		return 0;
	log_error("unable to initialize libcurl");
	return -1;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

long long http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libcurl calls this during every transfer: abort on a stop signal. */
static int on_progress(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	(void)p, (void)dt, (void)dn, (void)ut, (void)un;
	return signals_caught() != 0;
}

/* Whether this process cannot open one more socket (EMFILE, ENFILE). */
static int out_of_descriptors(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EMFILE || errno == ENFILE;
}

/* Whether a transfer that got no answer may get one when tried again. */
static enum http_result classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:	/* not in DNS yet (compose) */
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:		/* refused: still starting */
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:			/* reset */
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:			/* closed without answer */
	case CURLE_PARTIAL_FILE:		/* truncated body */
		return HTTP_RETRYABLE;
	case CURLE_ABORTED_BY_CALLBACK:
		return HTTP_INTERRUPTED;
	default:
		return HTTP_FATAL;
	}
}

/* libcurl made the SSL_CTX of a connection (to Infisical or to a TLS
 * proxy): give it the chosen trust. */
static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *trust)
{
	(void)curl;
	return trust_attach(trust, ssl_ctx) == 0 ? CURLE_OK :
	       CURLE_OUT_OF_MEMORY;
}

/* The trust (trust.h), for the server and a TLS proxy alike; libcurl
 * loads nothing itself, so both builds behave the same. */
static int set_trust(struct http *h, const struct http_setup *s)
{
	h->trust = trust_choose(s->envp, s->ca_file);
	if (!h->trust)
		return -1;
	curl_easy_setopt(h->curl, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(h->curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(h->curl, CURLOPT_PROXY_CAINFO, NULL);
	curl_easy_setopt(h->curl, CURLOPT_PROXY_CAPATH, NULL);
	curl_easy_setopt(h->curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	curl_easy_setopt(h->curl, CURLOPT_SSL_CTX_DATA, h->trust);
	return 0;
}

/* The proxy (proxy.h), set explicitly: libcurl reads no variable. */
static int set_proxy(struct http *h, const struct http_setup *s)
{
	if (proxy_choose(s->envp, s->api_url, &h->proxy, &h->proxy_var) != 0)
		return -1;
	curl_easy_setopt(h->curl, CURLOPT_PROXY, h->proxy ? h->proxy : "");
	curl_easy_setopt(h->curl, CURLOPT_NOPROXY, "");
	return 0;
}

struct http *http_new(const struct http_setup *s)
{
	struct http *h = xcalloc(1, sizeof *h);
	curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	h->curl = curl_easy_init();
	if (!h->curl) {
		log_error("unable to start libcurl");
		free(h);
		return NULL;
	}
	h->headers = s->headers;
	h->deadline_ms = s->deadline_ms;
	if (set_proxy(h, s) != 0 || set_trust(h, s) != 0) {
		http_free(h);
		return NULL;
	}
	/* Options that hold for every request of the run. */
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	/* No signals: SIGALRM-based DNS timeouts would touch our handlers.
	 * libcurl then no longer ignores SIGPIPE: signals.c does. */
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	/* A threaded resolver (a libcurl built without c-ares, as Debian's)
	 * still asking a silent nameserver when the deadline passes: leave the
	 * thread behind instead of waiting for it (libcurl >= 7.87), so the
	 * deadline holds. The process ends or execs right after. */
	curl_easy_setopt(h->curl, CURLOPT_QUICK_EXIT, 1L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "infx-exec/" INFX_VERSION);
	h->gzip = (v->features & CURL_VERSION_LIBZ) != 0;
	if (h->gzip)
		curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "gzip");
	return h;
}

/* -- one transfer ----------------------------------------------------------- */

/* Why a transfer stopped on our side. */
enum refusal { NONE, BODY_TOO_BIG, HEADERS_TOO_BIG, ENCODING };

struct transfer {
	struct http *h;
	struct wbuf body;
	size_t header_bytes;	/* of the current response */
	int in_headers;		/* a status line came, no body yet */
	enum refusal refused;
	char encoding[32];	/* a Content-Encoding we cannot decode */
	char *etag;
};

/* Append to the body; returning less than asked makes libcurl stop. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;

	t->in_headers = 0;
	if (n > HTTP_MAX_BODY - t->body.len) {
		t->refused = BODY_TOO_BIG;
		return 0;
	}
	wbuf_add(&t->body, ptr, n);
	return n;
}

/* The value of header line "Name: value\r\n" when it is name, trimmed. */
static int header_value(const char *line, size_t n, const char *name,
			char *out, size_t outlen)
{
	size_t len = strlen(name), end;

	if (n <= len || line[len] != ':' || strncasecmp(line, name, len) != 0)
		return 0;
	line += len + 1;
	n -= len + 1;
	while (n && (*line == ' ' || *line == '\t'))
		line++, n--;
	for (end = n; end && strchr(" \t\r\n", line[end - 1]); end--)
		;
	snprintf(out, outlen, "%.*s", (int)end, line);
	return 1;
}

/*
 * Each header line of each response (a proxy's answer to CONNECT and 1xx
 * answers included: a status line starts a new one). Refuses a header
 * section over HTTP_MAX_HEADERS, a Content-Length over HTTP_MAX_BODY and a
 * Content-Encoding that this build does not decode, and sizes the body
 * buffer from Content-Length.
 */
static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;
	char value[256];

	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		t->header_bytes = 0;
		t->in_headers = 1;
		wipe_free(t->etag);
		t->etag = NULL;
	}
	t->header_bytes += n;
	if (t->header_bytes > HTTP_MAX_HEADERS) {
		t->refused = HEADERS_TOO_BIG;
		return 0;
	}
	if (header_value(line, n, "Content-Length", value, sizeof value)) {
		unsigned long long len = strtoull(value, NULL, 10);

		if (len > HTTP_MAX_BODY) {
			t->refused = BODY_TOO_BIG;
			return 0;
		}
		wbuf_reserve(&t->body, (size_t)len);
	} else if (header_value(line, n, "Content-Encoding", value,
				sizeof value) &&
		   strcasecmp(value, "identity") != 0 &&
		   !(t->h->gzip && (strcasecmp(value, "gzip") == 0 ||
				    strcasecmp(value, "x-gzip") == 0))) {
		log_sanitize(t->encoding, sizeof t->encoding, value,
			     strlen(value));
		t->refused = ENCODING;
		return 0;
	} else if (header_value(line, n, "ETag", value, sizeof value)) {
		wipe_free(t->etag);
		t->etag = xstrdup(value);
	}
	return n;
}

static struct curl_slist *append(struct curl_slist *list, const char *line)
{
	struct curl_slist *l = curl_slist_append(list, line);

	if (!l)
		mem_exhausted();
	return l;
}

/* The request's headers; free_headers wipes them (one holds the token). */
static struct curl_slist *request_headers(const struct http *h,
					  const char *bearer, int json)
{
	struct curl_slist *list = append(NULL, "Accept: application/json");
	size_t i;

	if (json)
		list = append(list, "Content-Type: application/json");
	if (bearer) {
		size_t n = strlen(bearer) + sizeof "Authorization: Bearer ";
		char *auth = xmalloc(n);

		snprintf(auth, n, "Authorization: Bearer %s", bearer);
		list = append(list, auth);
		wipe_free(auth);
	}
	for (i = 0; h->headers && i < h->headers->n; i++)
		list = append(list, h->headers->v[i]);
	if (h->if_none_match) {
		size_t n = strlen(h->if_none_match) + sizeof "If-None-Match: ";
		char *line = xmalloc(n);

		snprintf(line, n, "If-None-Match: %s", h->if_none_match);
		list = append(list, line);
		free(line);
	}
	return list;
}

static void free_headers(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

/* Timeouts for the next request: the defaults, cut to the deadline. */
static void set_timeouts(struct http *h)
{
	long connect = CONNECT_TIMEOUT_MS, total = REQUEST_TIMEOUT_MS;

	if (h->deadline_ms) {
		long long left = h->deadline_ms - http_now_ms();

		if (left < 1)
			left = 1;
		if (left < connect)
			connect = (long)left;
		if (left < total)
			total = (long)left;
	}
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, connect);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, total);
}

/* A proxy that answered 4xx (to CONNECT, or to a plain http:// request
 * with 407): a setting to fix, not a server that is still starting. */
static int proxy_refused(struct http *h, long code, char *errbuf,
			 size_t errlen)
{
	char shown[256];

	if (!h->proxy || code < 400 || code > 499)
		return 0;
	snprintf(errbuf, errlen, "the proxy %s (%s) refused the request: "
		 "HTTP %ld%s", log_url(shown, sizeof shown, h->proxy),
		 h->proxy_var, code, code == 407 ? " Proxy Authentication "
		 "Required; check the user name and password in the proxy URL "
		 "(percent-encoded)" : code == 403 ? "; the proxy does not "
		 "allow connections to this host and port" : "");
	return 1;
}

/* The proxy's answer to CONNECT, 0 when there was none. */
static long connect_code(struct http *h)
{
	long code = 0;

	curl_easy_getinfo(h->curl, CURLINFO_HTTP_CONNECTCODE, &code);
	return code;
}

/* Whether the last transfer reached a server (a TCP connection was made):
 * not after a failed name resolution or a refused connection. */
static int connected(struct http *h)
{
	curl_off_t us = 0;

	curl_easy_getinfo(h->curl, CURLINFO_CONNECT_TIME_T, &us);
	return us > 0;
}

/*
 * Whether the server of an http:// url speaks TLS: a TLS handshake alone
 * (CURLOPT_CONNECT_ONLY), nothing sent, verification off as nothing is
 * trusted to it. Once per run, when the plain request reached a server but
 * got no answer: a TLS server closes on it, which would otherwise be
 * retried for the whole budget.
 */
static int speaks_tls(struct http *h, const char *url)
{
	size_t n = strlen(url) + 2;
	char *https = xmalloc(n);
	long long left = http_time_left_ms(h);
	CURL *c = curl_easy_init();
	CURLcode rc = CURLE_FAILED_INIT;

	h->probed = 1;
	snprintf(https, n, "https%s", url + 4);
	if (c) {
		curl_easy_setopt(c, CURLOPT_URL, https);
		curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
		curl_easy_setopt(c, CURLOPT_PROXY, "");
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_QUICK_EXIT, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left < 2000 ? (long)
				 (left > 1 ? left : 1) : 2000L);
		rc = curl_easy_perform(c);
		curl_easy_cleanup(c);
	}
	free(https);
	return rc == CURLE_OK;
}

/* libcurl's words for a TLS failure, and what the user should do. */
static void tls_failure(struct http *h, CURLcode rc, const char *curl_err,
			char *errbuf, size_t errlen)
{
	long server = 0, proxy = 0;

	snprintf(errbuf, errlen, "%s", curl_err[0] ? curl_err :
		 curl_easy_strerror(rc));
	if (rc == CURLE_SSL_CONNECT_ERROR &&
	    strstr(curl_err, "wrong version number")) {
		snprintf(errbuf, errlen, "the server answered the TLS handshake "
			 "in plain HTTP: make INFISICAL_API_URL start with "
			 "http://, or name the port where Infisical serves "
			 "https");
		return;
	}
	curl_easy_getinfo(h->curl, CURLINFO_SSL_VERIFYRESULT, &server);
	curl_easy_getinfo(h->curl, CURLINFO_PROXY_SSL_VERIFYRESULT, &proxy);
	if (proxy)
		trust_explain(h->trust, proxy, "proxy", errbuf, errlen);
	else if (server)
		trust_explain(h->trust, server, "server", errbuf, errlen);
	if (strstr(curl_err, "subject name"))
		snprintf(errbuf + strlen(errbuf), errlen - strlen(errbuf),
			 "; the certificate is not for this host name: check "
			 "INFISICAL_API_URL");
}

static int is_tls_error(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION ||
	       rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CERTPROBLEM ||
	       rc == CURLE_SSL_CACERT_BADFILE;
}

/* Why a transfer got no answer, in errbuf; and whether to try again. */
static enum http_result failure(struct http *h, const struct transfer *t,
				const char *url, CURLcode rc,
				const char *curl_err, char *errbuf,
				size_t errlen)
{
	enum http_result r = classify(rc);

	if (t->refused == BODY_TOO_BIG) {
		snprintf(errbuf, errlen, "the answer is larger than %d MiB "
			 "(after decoding), the most infx-exec accepts",
			 HTTP_MAX_BODY / (1024 * 1024));
	} else if (t->refused == HEADERS_TOO_BIG ||
		   (rc == CURLE_OUT_OF_MEMORY && t->in_headers)) {
		/* libcurl's own limit on one header (100 KiB) ends with "out of
		 * memory" while the headers are being read. */
		snprintf(errbuf, errlen, "the answer's headers are larger than "
			 "%d KiB, the most infx-exec accepts",
			 HTTP_MAX_HEADERS / 1024);
	} else if (t->refused == ENCODING) {
		snprintf(errbuf, errlen, "the answer came with Content-Encoding"
			 " '%s', which infx-exec cannot decode (it accepts %s): "
			 "a proxy between infx-exec and Infisical may have "
			 "changed it", t->encoding, h->gzip ? "gzip and identity"
			 : "identity only: this libcurl has no zlib");
	} else if (proxy_refused(h, connect_code(h), errbuf, errlen)) {
		;
	} else if (is_tls_error(rc)) {
		tls_failure(h, rc, curl_err, errbuf, errlen);
	} else if ((r == HTTP_RETRYABLE || rc == CURLE_UNSUPPORTED_PROTOCOL) &&
		   !h->probed && !h->proxy && strncmp(url, "http:", 5) == 0 &&
		   connected(h) && speaks_tls(h, url)) {
		snprintf(errbuf, errlen, "the server speaks TLS, not plain HTTP: "
			 "make INFISICAL_API_URL start with https://");
	} else if (r == HTTP_RETRYABLE && out_of_descriptors()) {
		/* Not the server's fault: retrying, or running without
		 * secrets, would not help. */
		snprintf(errbuf, errlen, "no file descriptor left "
			 "(RLIMIT_NOFILE)");
	} else {
		if (r == HTTP_INTERRUPTED)
			snprintf(errbuf, errlen, "interrupted by signal %d",
				 signals_caught());
		else
			snprintf(errbuf, errlen, "%s", curl_err[0] ? curl_err :
				 curl_easy_strerror(rc));
		return r;
	}
	return HTTP_FATAL;
}

/* The answer that arrived, moved into resp. */
static void take_answer(struct http *h, struct transfer *t,
			struct http_response *resp)
{
	curl_off_t retry_after = -1;

	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &retry_after) ==
	    CURLE_OK && retry_after > 0)
		resp->retry_after = (long)retry_after;
	if (!t->body.data)
		wbuf_reserve(&t->body, 0);
	resp->body = t->body.data;	/* the response owns it now */
	resp->len = t->body.len;
	resp->etag = t->etag;
	memset(&t->body, 0, sizeof t->body);
	t->etag = NULL;
}

enum http_result http_request(struct http *h, const char *method,
			      const char *url, const char *bearer,
			      const char *json_body,
			      struct http_response *resp, char *errbuf,
			      size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = request_headers(h, bearer, !!json_body);
	struct transfer t = { .h = h };

	h->if_none_match = NULL;	/* one request only */
	enum http_result ret = HTTP_DONE;
	CURLcode rc;

	memset(resp, 0, sizeof *resp);
	resp->retry_after = -1;
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &t);
	if (json_body)
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, json_body);
	else
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	set_timeouts(h);
	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK)
		ret = failure(h, &t, url, rc, curl_err, errbuf, errlen);
	else
		take_answer(h, &t, resp);
	if (ret == HTTP_DONE && resp->status == 407 && h->proxy) {
		/* The proxy of a plain http:// request wants credentials. */
		proxy_refused(h, 407, errbuf, errlen);
		http_response_free(resp);
		ret = HTTP_FATAL;
	}
	/* Do not leave pointers to our stack or the token in the handle. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
	free_headers(headers);
	wbuf_free(&t.body);
	wipe_free(t.etag);
	return ret;
}

long long http_time_left_ms(const struct http *h)
{
	return h->deadline_ms ? h->deadline_ms - http_now_ms() : LLONG_MAX;
}

void http_if_none_match(struct http *h, const char *etag)
{
	h->if_none_match = etag;
}

void http_last_request(struct http *h)
{
	curl_easy_setopt(h->curl, CURLOPT_FORBID_REUSE, 1L);
}

void http_response_free(struct http_response *resp)
{
	wipe_free(resp->body);
	wipe_free(resp->etag);
	memset(resp, 0, sizeof *resp);
}

void http_add_param(struct http *h, char *buf, size_t n, const char *name,
		    const char *value)
{
	char *e = http_escape(h, value);
	size_t used = strlen(buf);

	snprintf(buf + used, n - used, "%s%s=%s",
		 strchr(buf, '?') ? "&" : "?", name, e);
	free(e);
}

char *http_escape(struct http *h, const char *s)
{
	char *e = curl_easy_escape(h->curl, s, 0);
	char *copy;

	if (!e)
		mem_exhausted();
	copy = xstrdup(e);
	curl_free(e);
	return copy;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	trust_free(h->trust);
	wipe_free(h->proxy);
	free(h);
}
