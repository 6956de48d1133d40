/*
 * Unit tests (cmocka): the trust looked up by subject verifies exactly as
 * a store that loads every certificate, for every root of the system
 * bundle and of the built-in set (each root verified against its store).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca_bundle.h"
#include "log.h"
#include "trust.h"

#define SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* X509_verify_cert of x against store: 1, or -(the error). */
static int verify(X509_STORE *store, X509 *x)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	assert_non_null(ctx);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	ok = X509_verify_cert(ctx);
	if (ok != 1)
		ok = -X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	return ok;
}

/* Every certificate of the PEM file path verifies against the trust as
 * against a store that loaded the file whole; returns how many. */
static int same_results(const char *path)
{
	char var[512];
	char *envp[] = { var, NULL };
	struct trust *t;
	SSL_CTX *ssl = SSL_CTX_new(TLS_client_method());
	X509_STORE *whole = X509_STORE_new();
	FILE *f = fopen(path, "r");
	X509 *x;
	int n = 0;

	snprintf(var, sizeof var, "SSL_CERT_FILE=%s", path);
	t = trust_choose(envp, NULL);
	assert_non_null(t);
	assert_non_null(ssl);
	assert_int_equal(trust_attach(t, ssl), 0);
	assert_int_equal(X509_STORE_load_file(whole, path), 1);
	assert_non_null(f);
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		int got = verify(SSL_CTX_get_cert_store(ssl), x);
		int want = verify(whole, x);

		if (got != want) {
			char name[256];

			X509_NAME_oneline(X509_get_subject_name(x), name,
					  sizeof name);
			fail_msg("%s: lookup %d, whole store %d", name, got,
				 want);
		}
		X509_free(x);
		n++;
	}
	fclose(f);
	X509_STORE_free(whole);
	SSL_CTX_free(ssl);
	trust_free(t);
	return n;
}

static void system_bundle_verifies_as_loaded_whole(void **state)
{
	(void)state;
	if (access(SYSTEM_BUNDLE, R_OK) != 0)
		skip();
	assert_true(same_results(SYSTEM_BUNDLE) >= 100);
}

static void built_in_roots_verify_as_loaded_whole(void **state)
{
	char path[] = "/tmp/infx-built-in-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, infx_ca_bundle, infx_ca_bundle_len),
			 (ssize_t)infx_ca_bundle_len);
	close(fd);
	assert_true(same_results(path) >= 100);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_bundle_verifies_as_loaded_whole),
		cmocka_unit_test(built_in_roots_verify_as_loaded_whole),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
