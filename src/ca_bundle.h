/* ca_bundle.h - the CA certificates built into the binary. */
#ifndef INFX_CA_BUNDLE_H
#define INFX_CA_BUNDLE_H

#include <stddef.h>

/*
 * PEM text of the Mozilla root CAs as Debian's ca-certificates package
 * ships them (/etc/ssl/certs/ca-certificates.crt), turned into C at build
 * time by scripts/embed-ca.sh (build/gen/ca_bundle.c). Used only when the
 * machine has no CA bundle and none is named (FROM scratch, distroless).
 */
extern const char infx_ca_bundle[];
extern const size_t infx_ca_bundle_len;	/* bytes, without the final NUL */

#endif
