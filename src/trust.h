/* trust.h - the CA certificates that verify Infisical (and a TLS proxy). */
#ifndef INFX_TRUST_H
#define INFX_TRUST_H

#include <stddef.h>

struct trust;

/*
 * Choose the store, the first of (each replaces the ones after it, as
 * curl's --cacert does):
 *   1. ca_file (INFISICAL_CA_CERT_FILE);
 *   2. SSL_CERT_FILE and/or SSL_CERT_DIR from envp;
 *   3. the system store: the first readable of the distributions' bundle
 *      files (Debian, Alpine, RHEL, SUSE locations) together with the
 *      hashed directory /etc/ssl/certs, as OpenSSL's defaults read them (a
 *      CA appended to the bundle without a rehash is trusted);
 *   4. the Mozilla roots built into the binary (ca_bundle.h), so that a
 *      FROM scratch image works.
 * A named file that is missing, unreadable or holds no PEM certificate,
 * and a named directory that is not one, are refused here, before any
 * request, naming the variable. Nothing is decoded yet.
 * Returns NULL after one line.
 */
struct trust *trust_choose(char **envp, const char *ca_file);

/* The built-in roots alone, as trust_choose falls back to them (for the
 * unit tests of their lookup). Returns NULL after one line. */
struct trust *trust_builtin(void);

/* What the store is, for messages: "INFISICAL_CA_CERT_FILE=/ca.pem",
 * "the system store (/etc/ssl/certs/ca-certificates.crt,
 * /etc/ssl/certs)", "the built-in roots (...)". */
const char *trust_describe(const struct trust *t);

/*
 * Give the X509_STORE of an OpenSSL SSL_CTX (ssl_ctx, the one libcurl
 * makes for the server or for a TLS proxy) the chosen certificates, looked up
 * rather than loaded: a chain being verified asks for its issuer by
 * subject, and only the certificates with that subject are decoded (for a
 * bundle file, a lookup method that indexes each certificate's subject
 * once; for the built-in roots, the same method with the subject hashes
 * computed at build time; for a directory, OpenSSL's hashed-directory
 * lookup). Verification results are those of loading everything.
 * Returns 0, or -1 when OpenSSL cannot add a lookup (out of memory).
 */
int trust_attach(struct trust *t, void *ssl_ctx);

/*
 * After a failed verification (verify_result: OpenSSL's X509_V_ERR_*, as
 * CURLINFO_SSL_VERIFYRESULT gives it): what to do, appended to buf (size
 * n, holding the error so far): for an unknown issuer or a self-signed
 * certificate, which store was used and INFISICAL_CA_CERT_FILE; nothing
 * for other errors. whose: "server" or "proxy".
 */
void trust_explain(const struct trust *t, long verify_result,
		   const char *whose, char *buf, size_t n);

void trust_free(struct trust *t);

#endif
