/* http.c - libcurl in its documented shape (docs/examples/getinmemory.c). */
#include "http.h"

#include "ca_bundle.h"
#include "envp.h"
#include "signals.h"
#include "wbuf.h"
#include "wipe.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
};

int http_global_init(void)
{
	return curl_global_init_mem(CURL_GLOBAL_DEFAULT, wipe_malloc,
				    wipe_free, wipe_realloc, wipe_strdup,
				    wipe_calloc) == CURLE_OK ? 0 : -1;
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

/* Where distributions keep their CA bundle. */
static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* RHEL, Fedora */
	"/etc/ssl/cert.pem",			/* Alpine, BSDs */
	"/etc/ssl/ca-bundle.pem",		/* SUSE */
};

struct body {
	struct wbuf buf;
	int too_big;
};

/* Append to the body; returning less than asked makes libcurl stop. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;

	if (n > HTTP_MAX_BODY - b->buf.len) {
		b->too_big = 1;
		return 0;
	}
	return wbuf_add(&b->buf, ptr, n) == 0 ? n : 0;
}

/* The system's directory of hashed CA links (openssl rehash: "<8 hex>.0"). */
#define SYSTEM_CA_DIR "/etc/ssl/certs"

/*
 * Whether dir holds OpenSSL's hashed links. Such a directory is read one
 * certificate at a time, when a chain needs it: about 12 ms against a
 * whole bundle's 50 ms (OpenSSL 3 decodes every root of a bundle file;
 * docs/benchmarks.md).
 */
static int is_hashed_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int yes = 0;

	if (!d)
		return 0;
	while (!yes && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		yes = n == 10 && e->d_name[8] == '.' &&
		      strspn(e->d_name, "0123456789abcdef") == 8 &&
		      e->d_name[9] >= '0' && e->d_name[9] <= '9';
	}
	closedir(d);
	return yes;
}

/* Choose the CA certificates (see http_new); all set explicitly, so the
 * static and the dev build behave the same whatever libcurl defaults to. */
static void set_trust(CURL *curl, char **envp, const char *ca_file)
{
	const char *file = ca_file ? ca_file : envp_get(envp, "SSL_CERT_FILE");
	const char *dir = ca_file ? NULL : envp_get(envp, "SSL_CERT_DIR");
	size_t i;

	if (!file && !dir && is_hashed_dir(SYSTEM_CA_DIR))
		dir = SYSTEM_CA_DIR;
	for (i = 0; !file && !dir && i < sizeof system_bundles /
	     sizeof system_bundles[0]; i++)
		if (access(system_bundles[i], R_OK) == 0)
			file = system_bundles[i];
	curl_easy_setopt(curl, CURLOPT_CAINFO, file);
	curl_easy_setopt(curl, CURLOPT_CAPATH, dir);
	if (!file && !dir) {
		struct curl_blob blob = {
			.data = (void *)(uintptr_t)infx_ca_bundle,
			.len = infx_ca_bundle_len,
			.flags = CURL_BLOB_NOCOPY,
		};

		curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
	}
}

struct http *http_new(char **envp, const char *ca_file,
		      const struct strlist *headers, long long deadline_ms)
{
	struct http *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return NULL;
	}
	h->headers = headers;
	h->deadline_ms = deadline_ms;
	/* Options that hold for every request of the run. */
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	/* No signals: SIGALRM-based DNS timeouts would touch our handlers. */
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "infx-exec/" INFX_VERSION);
	set_trust(h->curl, envp, ca_file);
	return h;
}

/* Append a copy of line to *list; on failure *list is kept as it was. */
static int add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *l = curl_slist_append(*list, line);

	if (!l)
		return -1;
	*list = l;
	return 0;
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

enum http_result http_request(struct http *h, const char *method,
			      const char *url, const char *bearer,
		 const char *json_body,
		 struct http_response *resp, char *errbuf, size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL, *tmp;
	struct body b = { 0 };
	char *auth = NULL;
	CURLcode rc;
	curl_off_t retry_after = -1;
	size_t i;
	enum http_result ret = HTTP_FATAL;

	memset(resp, 0, sizeof *resp);
	resp->retry_after = -1;
	if (bearer) {
		size_t n = strlen(bearer) + sizeof "Authorization: Bearer ";

		auth = malloc(n);
		if (auth)
			snprintf(auth, n, "Authorization: Bearer %s", bearer);
	}
	if ((bearer && !auth) ||
	    add_header(&headers, "Accept: application/json") ||
	    (json_body && add_header(&headers,
				     "Content-Type: application/json")) ||
	    (auth && add_header(&headers, auth))) {
		snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	for (i = 0; h->headers && i < h->headers->n; i++) {
		if (add_header(&headers, h->headers->v[i])) {
			snprintf(errbuf, errlen, "out of memory");
			goto out;
		}
	}

	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b);
	if (json_body) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, json_body);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);

	set_timeouts(h);
	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		ret = b.too_big ? HTTP_FATAL : classify(rc);
		/* Out of descriptors here is no server's fault: retrying, or
		 * running without secrets, would not help. */
		if (ret == HTTP_RETRYABLE && out_of_descriptors()) {
			snprintf(errbuf, errlen, "no file descriptor left "
				 "(RLIMIT_NOFILE)");
			ret = HTTP_FATAL;
			goto out;
		}
		if (b.too_big)
			snprintf(errbuf, errlen, "response larger than %d "
				 "bytes", HTTP_MAX_BODY);
		else if (ret == HTTP_INTERRUPTED)
			snprintf(errbuf, errlen, "interrupted by signal %d",
				 signals_caught());
		else
			snprintf(errbuf, errlen, "%s", curl_err[0] ?
				 curl_err : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &retry_after) ==
	    CURLE_OK && retry_after > 0)
		resp->retry_after = (long)retry_after;
	if (!b.buf.data && wbuf_add(&b.buf, "", 0) != 0) {
		snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	resp->body = b.buf.data;	/* the response owns it now */
	resp->len = b.buf.len;
	memset(&b.buf, 0, sizeof b.buf);
	ret = HTTP_DONE;
out:
	/* Do not leave pointers to our stack or the token in the handle. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
	for (tmp = headers; tmp; tmp = tmp->next)
		explicit_bzero(tmp->data, strlen(tmp->data));
	curl_slist_free_all(headers);
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	wbuf_free(&b.buf);
	return ret;
}

long long http_time_left_ms(const struct http *h)
{
	return h->deadline_ms ? h->deadline_ms - http_now_ms() : LLONG_MAX;
}

void http_response_free(struct http_response *resp)
{
	if (resp->body) {
		explicit_bzero(resp->body, resp->len);
		free(resp->body);
	}
	memset(resp, 0, sizeof *resp);
}

char *http_escape(struct http *h, const char *s)
{
	char *e = curl_easy_escape(h->curl, s, 0);
	char *copy;

	if (!e)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}
