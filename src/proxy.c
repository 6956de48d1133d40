/* proxy.c - the proxy for the API URL, as Go's ProxyFromEnvironment. */
#include "proxy.h"

#include "envp.h"
#include "log.h"
#include "mem.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An address as 16 bytes: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so
 * that both forms of one address compare equal, as Go's net.IP.Equal. */
static int parse_ip(const char *s, unsigned char ip[16])
{
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &v4, 4);
		return 4;
	}
	return inet_pton(AF_INET6, s, ip) == 1 ? 6 : 0;
}

static int is_loopback(const unsigned char ip[16], int family)
{
	static const unsigned char v6[16] = { [15] = 1 };

	return family == 4 ? ip[12] == 127 : memcmp(ip, v6, 16) == 0;
}

/* Whether ip lies in the CIDR range text ("10.0.0.0/8", "fd00::/8"). */
static int in_cidr(const char *text, const unsigned char ip[16])
{
	char addr[64], *end;
	const char *slash = strchr(text, '/');
	unsigned char net[16];
	long bits;
	int family, i;

	if (!slash || (size_t)(slash - text) >= sizeof addr)
		return 0;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	family = parse_ip(addr, net);
	bits = strtol(slash + 1, &end, 10);
	if (!family || *end || end == slash + 1 || bits < 0 ||
	    bits > (family == 4 ? 32 : 128))
		return 0;
	if (family == 4)
		bits += 96;
	for (i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff :
				     (unsigned char)(0xff << (8 - bits));

		if ((ip[i] & mask) != (net[i] & mask))
			return 0;
	}
	return 1;
}

/* Go's net.SplitHostPort as no_proxy uses it: "h:p", "[v6]:p"; anything
 * else is a host without port. host and port get NUL-terminated copies. */
static void split_host_port(const char *entry, char *host, size_t hlen,
			    char *port, size_t plen)
{
	const char *colon = strrchr(entry, ':');
	const char *close = strchr(entry, ']');

	port[0] = '\0';
	if (entry[0] == '[' && close && close[1] == ':' &&
	    (size_t)(close - entry - 1) < hlen) {
		snprintf(host, hlen, "%.*s", (int)(close - entry - 1),
			 entry + 1);
		snprintf(port, plen, "%s", close + 2);
	} else if (entry[0] != '[' && colon && colon == strchr(entry, ':')) {
		snprintf(host, hlen, "%.*s", (int)(colon - entry), entry);
		snprintf(port, plen, "%s", colon + 1);
	} else {
		snprintf(host, hlen, "%s", entry);
	}
}

/* Whether one no_proxy entry (lower case, trimmed) exempts host:port. */
static int entry_matches(const char *entry, const char *host,
			 const char *port, const unsigned char ip[16],
			 int family)
{
	char phost[256], pport[16], *dom = phost;
	unsigned char pip[16];
	size_t hl, dl;

	if (strchr(entry, '/'))
		return family && in_cidr(entry, ip);
	split_host_port(entry, phost, sizeof phost, pport, sizeof pport);
	if (pport[0] && strcmp(pport, port) != 0)
		return 0;
	if (parse_ip(phost, pip))
		return family && memcmp(pip, ip, 16) == 0;
	if (!phost[0])
		return 0;
	/* foo.com: foo.com and its subdomains; .foo.com, *.foo.com: only
	 * its subdomains (a suffix match, as Go's domainMatch). */
	if (strncmp(dom, "*.", 2) == 0)
		dom++;
	hl = strlen(host);
	dl = strlen(dom);
	if (dom[0] != '.' && hl == dl && strcmp(host, dom) == 0)
		return 1;
	if (dom[0] != '.')
		return hl > dl && host[hl - dl - 1] == '.' &&
		       strcmp(host + hl - dl, dom) == 0;
	return hl >= dl && strcmp(host + hl - dl, dom) == 0;
}

int proxy_bypassed(const char *no_proxy, const char *host, const char *port)
{
	unsigned char ip[16] = { 0 };
	int family = parse_ip(host, ip);
	const char *p = no_proxy;

	if (strcmp(host, "localhost") == 0 || (family && is_loopback(ip,
								     family)))
		return 1;
	while (p && *p) {
		size_t n = strcspn(p, ","), i, j = 0;
		char entry[256];

		for (i = 0; i < n && j + 1 < sizeof entry; i++)
			if (p[i] != ' ' && p[i] != '\t')
				entry[j++] = (char)(p[i] | (p[i] >= 'A' &&
						p[i] <= 'Z' ? 0x20 : 0));
		entry[j] = '\0';
		if (strcmp(entry, "*") == 0 ||
		    (j && entry_matches(entry, host, port, ip, family)))
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The first of two variables that is set, and its name. */
static const char *first_of(char **envp, const char *a, const char *b,
			    const char **var)
{
	const char *v = envp_get(envp, a);

	*var = a;
	if (!v) {
		v = envp_get(envp, b);
		*var = b;
	}
	return v;
}

/* host (lower case, no IPv6 brackets) and port (default by scheme). */
static int url_host_port(CURLU *u, const char *url, char *host, size_t hlen,
			 char *port, size_t plen)
{
	char *h = NULL, *p = NULL;
	size_t n;
	int ok;

	ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) ==
	     CURLUE_OK;
	if (ok) {
		n = strlen(h);
		if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
			snprintf(host, hlen, "%.*s", (int)n - 2, h + 1);
		else
			snprintf(host, hlen, "%s", h);
		for (n = 0; host[n]; n++)
			if (host[n] >= 'A' && host[n] <= 'Z')
				host[n] |= 0x20;
		snprintf(port, plen, "%s", p);
	}
	curl_free(h);
	curl_free(p);
	return ok ? 0 : -1;
}

/* Check the proxy URL with libcurl's parser; a copy, or NULL after one
 * line naming var (the password masked). */
static char *checked_proxy(const char *value, const char *var)
{
	static const char *const schemes[] = { "http", "https", "socks4",
					       "socks4a", "socks5", "socks5h" };
	char *url = NULL, *scheme = NULL, *host = NULL, shown[256];
	CURLU *u = curl_url();
	CURLUcode uc = CURLUE_OUT_OF_MEMORY;
	size_t i, n = strlen(value) + sizeof "http://";
	int known = 0;

	url = xmalloc(n);
	snprintf(url, n, "%s%s", strstr(value, "://") ? "" : "http://", value);
	if (u)
		uc = curl_url_set(u, CURLUPART_URL, url,
				  CURLU_NON_SUPPORT_SCHEME);
	if (uc == CURLUE_OK &&
	    (uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) ==
	    CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	for (i = 0; uc == CURLUE_OK && i < sizeof schemes / sizeof *schemes;
	     i++)
		known |= strcasecmp(scheme, schemes[i]) == 0;
	if (uc != CURLUE_OK) {
		log_error("%s='%s' is not a proxy URL infx-exec can use (%s); "
			  "use scheme://[user:password@]host:port, with '@', "
			  "':', '#' and '/' in the user or password "
			  "percent-encoded (%%40, %%3A, %%23, %%2F)", var,
			  log_url(shown, sizeof shown, value),
			  curl_url_strerror(uc));
	} else if (!known) {
		log_error("%s='%s' names a proxy scheme infx-exec cannot use; "
			  "use http, https, socks4, socks4a, socks5 or socks5h",
			  var, log_url(shown, sizeof shown, value));
	}
	if (uc != CURLUE_OK || !known) {
		wipe_free(url);
		url = NULL;
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return url;
}

int proxy_choose(char **envp, const char *url, char **proxy,
		 const char **var)
{
	char host[256], port[16];
	const char *value, *no_var;
	CURLU *u = curl_url();
	int https = strncasecmp(url, "https:", 6) == 0, rc;

	*proxy = NULL;
	*var = NULL;
	rc = u ? url_host_port(u, url, host, sizeof host, port, sizeof port)
	       : -1;
	curl_url_cleanup(u);
	if (rc != 0) {
		log_error("unable to read the host of INFISICAL_API_URL");
		return -1;
	}
	value = https ? first_of(envp, "https_proxy", "HTTPS_PROXY", var)
		      : first_of(envp, "http_proxy", "HTTP_PROXY", var);
	if (!value)
		value = first_of(envp, "all_proxy", "ALL_PROXY", var);
	if (!value || proxy_bypassed(first_of(envp, "no_proxy", "NO_PROXY",
					      &no_var), host, port)) {
		*var = NULL;
		return 0;
	}
	*proxy = checked_proxy(value, *var);
	return *proxy ? 0 : -1;
}
