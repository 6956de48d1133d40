/*
 * Unit tests (cmocka): the trust looked up by subject verifies exactly as
 * a store that loads every certificate, for every root of the system
 * bundle and of the built-in set (each root verified against its store),
 * and for an issuer whose name is encoded otherwise than its CA's subject;
 * the built-in roots' subject hashes are theirs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
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

/* The trust of SSL_CERT_FILE=path (or the built-in roots, which path
 * then holds) and a store that loaded path whole. */
struct both {
	char var[512];		/* the trust keeps pointing into it */
	struct trust *t;
	SSL_CTX *ssl;
	X509_STORE *whole;
};

static void both_open(struct both *b, const char *path, int builtin)
{
	char *envp[] = { b->var, NULL };

	snprintf(b->var, sizeof b->var, "SSL_CERT_FILE=%s", path);
	b->t = builtin ? trust_builtin() : trust_choose(envp, NULL);
	b->ssl = SSL_CTX_new(TLS_client_method());
	b->whole = X509_STORE_new();
	assert_non_null(b->t);
	assert_non_null(b->ssl);
	assert_int_equal(trust_attach(b->t, b->ssl), 0);
	assert_int_equal(X509_STORE_load_file(b->whole, path), 1);
}

/* x verified by both, which must agree; the result. */
static int both_verify(struct both *b, X509 *x)
{
	int got = verify(SSL_CTX_get_cert_store(b->ssl), x);
	int want = verify(b->whole, x);

	if (got != want) {
		char name[256];

		X509_NAME_oneline(X509_get_subject_name(x), name, sizeof name);
		fail_msg("%s: lookup %d, whole store %d", name, got, want);
	}
	return got;
}

static void both_close(struct both *b)
{
	X509_STORE_free(b->whole);
	SSL_CTX_free(b->ssl);
	trust_free(b->t);
}

/* x verified against the trust of path as against path loaded whole. */
static int verify_in(const char *path, X509 *x)
{
	struct both b;
	int got;

	both_open(&b, path, 0);
	got = both_verify(&b, x);
	both_close(&b);
	return got;
}

/* Every certificate of the PEM file path verifies against the trust as
 * against a store that loaded the file whole; returns how many. */
static int same_results(const char *path, int builtin)
{
	struct both b;
	FILE *f = fopen(path, "r");
	X509 *x;
	int n = 0;

	assert_non_null(f);
	both_open(&b, path, builtin);
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		both_verify(&b, x);
		X509_free(x);
		n++;
	}
	fclose(f);
	both_close(&b);
	return n;
}

static void system_bundle_verifies_as_loaded_whole(void **state)
{
	(void)state;
	if (access(SYSTEM_BUNDLE, R_OK) != 0)
		skip();
	assert_true(same_results(SYSTEM_BUNDLE, 0) >= 100);
}

/* The built-in roots, looked up by their build-time hashes, and the
 * same text as a bundle file (SSL_CERT_FILE). */
static void built_in_roots_verify_as_loaded_whole(void **state)
{
	char path[] = "/tmp/infx-built-in-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, infx_ca_bundle, infx_ca_bundle_len),
			 (ssize_t)infx_ca_bundle_len);
	close(fd);
	assert_int_equal(same_results(path, 1), (int)infx_ca_bundle_count);
	assert_int_equal(same_results(path, 0), (int)infx_ca_bundle_count);
	unlink(path);
}

/* The built-in roots' subject hashes (ca_bundle.h) are those of the
 * certificates of the text, in its order: a lookup trusts them. */
static void built_in_hashes_match_the_roots(void **state)
{
	BIO *bio = BIO_new_mem_buf(infx_ca_bundle, (int)infx_ca_bundle_len);
	X509 *x;
	size_t n = 0;

	(void)state;
	assert_non_null(bio);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		int ok = 0;
		unsigned long h = X509_NAME_hash_ex(X509_get_subject_name(x),
						    NULL, NULL, &ok);

		assert_true(ok);
		assert_true(n < infx_ca_bundle_count);
		assert_int_equal(h, infx_ca_bundle_hash[n]);
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	assert_int_equal(n, infx_ca_bundle_count);
}

/* A CN as a name entry of the given string type. */
static X509_NAME *name_of(int type, const char *cn)
{
	X509_NAME *name = X509_NAME_new();

	assert_non_null(name);
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName,
		type, (const unsigned char *)cn, -1, -1, 0), 1);
	return name;
}

/* A certificate of subject and issuer, signed with key (CA: basic
 * constraints and key usage of a CA). */
static X509 *certificate(X509_NAME *subject, X509_NAME *issuer,
			 EVP_PKEY *pub, EVP_PKEY *key, int ca, long serial)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_subject_name(x, subject);
	X509_set_issuer_name(x, issuer);
	X509_set_pubkey(x, pub);
	if (ca) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
					  "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
					  "critical,keyCertSign,cRLSign");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/*
 * A certificate whose issuer is its CA's subject encoded otherwise
 * (PrintableString, other case and spaces, against UTF8String): the
 * bytes differ, the canonical names are equal, and the lookup finds the
 * CA as a store that loads every certificate does (RFC 5280 7.1).
 */
static void issuer_encoded_otherwise_is_found(void **state)
{
	char path[] = "/tmp/infx-canon-XXXXXX";
	int fd = mkstemp(path);
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *leaf_key = EVP_EC_gen("P-256");
	X509_NAME *subject = name_of(MBSTRING_UTF8, "Infx Test  Root");
	X509_NAME *as_issuer = name_of(V_ASN1_PRINTABLESTRING, "INFX test root");
	X509_NAME *leaf_name = name_of(MBSTRING_UTF8, "leaf.example");
	X509 *ca, *leaf;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(ca_key);
	assert_non_null(leaf_key);
	ca = certificate(subject, subject, ca_key, ca_key, 1, 1);
	leaf = certificate(leaf_name, as_issuer, leaf_key, ca_key, 0, 2);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(leaf),
				       X509_get_subject_name(ca)), 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, leaf), 1);	/* not a root: */
	assert_int_equal(PEM_write_X509(f, ca), 1);	/* one before it */
	fclose(f);
	assert_int_equal(verify_in(path, leaf), 1);
	unlink(path);
	X509_free(leaf);
	X509_free(ca);
	X509_NAME_free(leaf_name);
	X509_NAME_free(as_issuer);
	X509_NAME_free(subject);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(ca_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_bundle_verifies_as_loaded_whole),
		cmocka_unit_test(built_in_roots_verify_as_loaded_whole),
		cmocka_unit_test(built_in_hashes_match_the_roots),
		cmocka_unit_test(issuer_encoded_otherwise_is_found),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
