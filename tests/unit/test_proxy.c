/*
 * Unit tests (cmocka): no_proxy as Go's net/http reads it, and URLs shown
 * with their password masked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "log.h"
#include "proxy.h"

static void no_proxy_forms(void **state)
{
	static const struct {
		const char *no_proxy, *host, *port;
		int bypassed;
	} cases[] = {
		/* Loopback and localhost: never through a proxy (as Go). */
		{ NULL, "localhost", "80", 1 },
		{ NULL, "127.0.0.5", "80", 1 },
		{ NULL, "::1", "443", 1 },
		{ NULL, "infisical", "8080", 0 },
		{ "*", "infisical", "8080", 1 },
		{ " * ", "example.org", "443", 1 },
		/* A name: itself and its subdomains. */
		{ "example.com", "example.com", "443", 1 },
		{ "example.com", "api.example.com", "443", 1 },
		{ "example.com", "badexample.com", "443", 0 },
		{ "EXAMPLE.com", "example.com", "443", 1 },
		/* .name and *.name: subdomains only. */
		{ ".example.com", "example.com", "443", 0 },
		{ ".example.com", "a.b.example.com", "443", 1 },
		{ "*.example.com", "example.com", "443", 0 },
		{ "*.example.com", "api.example.com", "443", 1 },
		/* host:port: that port only. */
		{ "example.com:8443", "example.com", "443", 0 },
		{ "example.com:8443", "example.com", "8443", 1 },
		/* Addresses, with and without port, and CIDR ranges. */
		{ "10.1.2.3", "10.1.2.3", "80", 1 },
		{ "10.1.2.3", "10.1.2.4", "80", 0 },
		{ "10.1.2.3:8080", "10.1.2.3", "80", 0 },
		{ "[fd00::1]:8080", "fd00::1", "8080", 1 },
		{ "fd00::1", "fd00::1", "8080", 1 },
		{ "10.0.0.0/8", "10.200.0.1", "80", 1 },
		{ "10.0.0.0/8", "11.0.0.1", "80", 0 },
		{ "172.16.0.0/12", "172.31.255.255", "80", 1 },
		{ "fd00::/8", "fd12::3", "80", 1 },
		{ "fd00::/8", "fe80::1", "80", 0 },
		/* A list, blanks and empty items ignored. */
		{ "a.org, ,b.org,,10.0.0.0/8", "x.b.org", "443", 1 },
		{ "a.org, ,b.org", "c.org", "443", 0 },
		/* An IP entry does not match a name. */
		{ "10.1.2.3", "host", "80", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = proxy_bypassed(cases[i].no_proxy, cases[i].host,
					 cases[i].port);

		if (got != cases[i].bypassed)
			fail_msg("no_proxy='%s' %s:%s: got %d",
				 cases[i].no_proxy ? cases[i].no_proxy : "",
				 cases[i].host, cases[i].port, got);
	}
}

static void urls_are_shown_without_password(void **state)
{
	static const char *const cases[][2] = {
		{ "http://user:pass@proxy:3128", "http://user:***@proxy:3128" },
		{ "http://user:p@ss@proxy:3128/x", "http://user:***@proxy:3128/x" },
		{ "http://user:pa#ss@proxy:3128", "http://user:***@proxy:3128" },
		{ "socks5://token@proxy:1080", "socks5://***@proxy:1080" },
		{ "http://proxy:3128", "http://proxy:3128" },
		{ "http://proxy/a@b", "http://proxy/a@b" },
		{ "proxy:3128", "proxy:3128" },
	};
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(log_url(buf, sizeof buf, cases[i][0]),
				    cases[i][1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_proxy_forms),
		cmocka_unit_test(urls_are_shown_without_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
