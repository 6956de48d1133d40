/* ca_bundle.h - the CA certificates built into the binary. */
#ifndef INFX_CA_BUNDLE_H
#define INFX_CA_BUNDLE_H

#include <stddef.h>

/*
 * PEM text of the Mozilla root CAs trusted to issue server certificates, as
 * Debian's ca-certificates source package builds them (its certdata2pem.py,
 * concatenated in update-ca-certificates' order), at the version that
 * scripts/build-deps.sh pins and checks by hash: the same bytes whichever
 * machine builds the binary; that machine's own trust store is never read.
 * Turned into C at build time by scripts/embed-ca.sh (build/gen/ca_bundle.c).
 * Used only when the machine has no CA bundle and none is named (FROM
 * scratch, distroless).
 */
extern const char infx_ca_bundle[];
extern const size_t infx_ca_bundle_len;	/* bytes, without the final NUL */
extern const size_t infx_ca_bundle_count;	/* certificates in it */
/* The subject hash of each certificate, in the text's order (count of
 * them): X509_NAME_hash_ex, the SHA-1 of the canonical subject, as
 * `openssl x509 -subject_hash` prints it and hashed directories name
 * their links. Lets a lookup find a root without decoding the others. */
extern const unsigned long infx_ca_bundle_hash[];
/* Where they come from, e.g. "Debian ca-certificates 20230311+deb12u1". */
extern const char infx_ca_bundle_origin[];

#endif
