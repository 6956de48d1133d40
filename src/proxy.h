/* proxy.h - which proxy carries the requests to Infisical, if any. */
#ifndef INFX_PROXY_H
#define INFX_PROXY_H

/*
 * The proxy for requests to url (the API URL: scheme://host[:port][/path])
 * from envp, decided here rather than by libcurl so that it is decided the
 * way the official CLI (Go's net/http, golang.org/x/net/http/httpproxy)
 * decides it, once, before any request:
 *   - https URLs use https_proxy or HTTPS_PROXY, http URLs http_proxy or
 *     HTTP_PROXY (the lower-case one first); all_proxy / ALL_PROXY when
 *     those are unset, as libcurl;
 *   - no proxy for localhost and loopback addresses (as Go);
 *   - no_proxy / NO_PROXY: a comma list of "*" (no proxy at all), host
 *     names (example.com: that name and its subdomains; .example.com and
 *     *.example.com: subdomains only), IP addresses, CIDR ranges
 *     (10.0.0.0/8, fd00::/8), each optionally with :port (then only that
 *     port is exempt; [v6]:port for IPv6).
 * A proxy without a scheme is http://. The proxy URL is checked with
 * libcurl's own URL parser: a user name or password with an unencoded
 * '@', ':', '#' or '/' is refused here, with the URL's password masked,
 * instead of failing at every request.
 * Returns 0 with *proxy a malloc'd proxy URL (NULL: connect directly) and
 * *var the variable it came from (NULL when direct); -1 after one line
 * naming the variable (a proxy URL that cannot be used, an unsupported
 * scheme). Free *proxy with wipe_free (it may hold a password).
 */
int proxy_choose(char **envp, const char *url, char **proxy,
		 const char **var);

/*
 * Whether a request to host (lower case, IPv6 without brackets) on port
 * would bypass the proxy by the rules of no_proxy (NULL: none) above.
 */
int proxy_bypassed(const char *no_proxy, const char *host,
		   const char *port);

#endif
