/* trust.c - CA certificates found by subject when a chain needs them. */
#include "trust.h"

#include "ca_bundle.h"
#include "envp.h"
#include "log.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest bundle file read, in bytes (Debian's is about 200 KiB). */
#define BUNDLE_MAX (16 * 1024 * 1024)

/* Where distributions keep their CA bundle. */
static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* RHEL, Fedora */
	"/etc/ssl/cert.pem",			/* Alpine, BSDs */
	"/etc/ssl/ca-bundle.pem",		/* SUSE */
};
/* The system's directory of hashed links (openssl rehash). */
#define SYSTEM_CA_DIR "/etc/ssl/certs"

/* One certificate of a PEM text: where its base64 is, and its subject
 * (DER), the one thing a lookup compares. */
struct root {
	size_t b64;			/* offset in the text (line breaks in) */
	size_t b64_len;
	unsigned char *subject;		/* malloc'd DER of the subject Name */
	long subject_len;
	int aux;			/* TRUSTED CERTIFICATE: DER + aux */
	int hashed;			/* hash known: 1, or -1 (none) */
	unsigned long hash;		/* X509_NAME_hash_ex of the subject */
};

struct trust {
	const char *path;	/* the bundle file, or NULL */
	char *text;		/* its content while it is being indexed */
	const char *builtin;	/* the built-in PEM text, or NULL */
	size_t len;
	int indexed;
	struct root *roots;
	size_t nroots;
	char *dirs;		/* hashed directories ("a:b"), or NULL */
	X509_LOOKUP_METHOD *method;
	char description[512];
};

/* -- reading the PEM text -------------------------------------------------- */

/* The whole file; NULL after one line naming var. */
static char *read_file(const char *var, const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	*len = 0;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > BUNDLE_MAX) {
		log_error("unable to read %s '%s': %s", var, path, fd < 0 ?
			  strerror(errno) : "not a regular file of at most "
			  "16 MiB");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (*len < (size_t)st.st_size &&
	       ((n = read(fd, buf + *len, (size_t)st.st_size - *len)) > 0 ||
		(n < 0 && errno == EINTR)))
		*len += n > 0 ? (size_t)n : 0;
	close(fd);
	if (n < 0) {
		log_error("unable to read %s '%s': %s", var, path,
			  strerror(errno));
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

static int holds_certificate(const char *text)
{
	return strstr(text, "-----BEGIN CERTIFICATE-----") ||
	       strstr(text, "-----BEGIN TRUSTED CERTIFICATE-----") ||
	       strstr(text, "-----BEGIN X509 CERTIFICATE-----");
}

/* EVP_DecodeBlock of the n characters of quad (a multiple of 4) into
 * out; the bytes decoded, the '=' padding taken off; -1 if not base64. */
static long decode_quads(const char *quad, size_t n, unsigned char *out)
{
	int pad = n ? (quad[n - 1] == '=') + (quad[n - 2] == '=') : 0;
	int got = EVP_DecodeBlock(out, (const unsigned char *)quad, (int)n);

	return got < 0 ? -1 : got - pad;
}

/*
 * Decode the base64 of b64 (b64_len bytes; line breaks and blanks are
 * skipped a run at a time) into out: at most max bytes, in whole 3-byte
 * groups unless the text ends first. Returns the bytes decoded, -1 when it
 * is not base64.
 */
static long decode(const char *b64, size_t b64_len, unsigned char *out,
		   size_t max)
{
	const char *p = b64, *end = b64 + b64_len;
	size_t want = (max / 3) * 4, n = 0, run;
	char quad[1024];
	long total = 0, got;

	while (want > 0) {
		p += strspn(p, " \t\r\n");
		if (p >= end)
			break;
		run = strcspn(p, " \t\r\n");
		run = run < (size_t)(end - p) ? run : (size_t)(end - p);
		run = run < want ? run : want;
		run = run < sizeof quad - n ? run : sizeof quad - n;
		memcpy(quad + n, p, run);
		n += run;
		p += run;
		want -= run;
		if (n == sizeof quad) {
			if ((got = decode_quads(quad, n, out + total)) < 0)
				return -1;
			total += got;
			n = 0;
		}
	}
	got = decode_quads(quad, n - n % 4, out + total);
	return got < 0 ? -1 : total + got;
}

/* The length of the DER element at p (header included), its content in
 * *content; -1 when it is not one (or does not end before end). */
static long element(const unsigned char *p, const unsigned char *end,
		    int *tag, int *cls, const unsigned char **content)
{
	const unsigned char *q = p;
	long len;
	int r = ASN1_get_object(&q, &len, tag, cls, end - p);

	if ((r & 0x80) || (r == 0x21) || len > end - q)
		return -1;
	*content = q;
	return (long)(q - p) + len;
}

/*
 * Where the subject Name of a certificate's first len bytes of DER is:
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
 * OPTIONAL, serial, signature, issuer, validity, subject, ... } ... }
 * (RFC 5280 4.1). The outer headers' lengths go past len: only their
 * headers are read. Returns the subject's offset, *n its length; -1 when
 * the subject does not end within len.
 */
static long find_subject(const unsigned char *der, long len, long *n)
{
	const unsigned char *end = der + len, *p = der, *c;
	long l;
	int tag, cls, i, r;

	for (i = 0; i < 2; i++) {	/* into Certificate, tbsCertificate */
		r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
		if ((r & 0x80 && !(r & 0x20)) || tag != V_ASN1_SEQUENCE)
			return -1;
	}
	for (i = 0; i < 5; i++) {
		l = element(p, end, &tag, &cls, &c);
		if (l < 0)
			return -1;
		if (i == 0 && !(cls == V_ASN1_CONTEXT_SPECIFIC && tag == 0))
			i++;	/* no version: this is the serial */
		p += l;
	}
	*n = element(p, end, &tag, &cls, &c);
	return *n < 0 || tag != V_ASN1_SEQUENCE ? -1 : (long)(p - der);
}

/* Note a certificate's base64 and its subject, decoding only as much of
 * it as the subject needs (a few hundred bytes, not the whole key). */
static void add_root(struct trust *t, const char *text, const char *b64,
		     size_t b64_len, int aux, size_t *cap)
{
	unsigned char der[2048];
	long len = 0, at = -1, n = 0;
	size_t max;

	for (max = 384; at < 0 && max <= sizeof der; max *= 2) {
		len = decode(b64, b64_len, der, max);
		if (len < 0)
			return;
		at = find_subject(der, len, &n);
		if ((size_t)len < max)
			break;	/* all of it: the subject is not there */
	}
	if (at < 0)
		return;
	if (t->nroots == *cap) {
		struct root *more;

		*cap = *cap ? *cap * 2 : 64;
		more = xcalloc(*cap, sizeof *more);
		if (t->nroots)
			memcpy(more, t->roots, t->nroots * sizeof *more);
		free(t->roots);
		t->roots = more;
	}
	t->roots[t->nroots++] = (struct root){ (size_t)(b64 - text), b64_len,
		(unsigned char *)xmemdup(der + at, (size_t)n), n, aux, 0, 0 };
}

/* The next "-----BEGIN label-----" ... "-----END label-----" block of a
 * certificate label at or after *at: its base64 body in *b64. */
static int next_block(const char **at, const char **b64, size_t *b64_len,
		      int *aux)
{
	static const char begin[] = "-----BEGIN ";
	const char *p = *at, *label, *end;

	while ((p = strstr(p, begin)) != NULL) {
		label = p + sizeof begin - 1;
		p = strchr(label, '\n');
		end = p ? strstr(p, "-----END ") : NULL;
		if (!end)
			return 0;
		*at = end + 9;
		*aux = strncmp(label, "TRUSTED CERTIFICATE-----", 24) == 0;
		if (*aux || strncmp(label, "CERTIFICATE-----", 16) == 0 ||
		    strncmp(label, "X509 CERTIFICATE-----", 21) == 0) {
			*b64 = p + 1;
			*b64_len = (size_t)(end - p - 1);
			return 1;
		}
		p = *at;
	}
	return 0;
}

/* Index each certificate of the bundle file by its subject, once. */
static void build_index(struct trust *t)
{
	const char *text, *at, *b64;
	size_t b64_len, cap = 0;
	int aux;

	t->indexed = 1;
	if (!t->text)	/* named_file read it to check it */
		t->text = read_file("the CA bundle", t->path, &t->len);
	text = t->text;
	for (at = text; text && next_block(&at, &b64, &b64_len, &aux);)
		add_root(t, text, b64, b64_len, aux, &cap);
}

/* -- the lookup method ------------------------------------------------------ */

/* The base64 of root r: in the text while it is there (built in, or a file
 * being indexed), else read again from the file (the text of a bundle is
 * not kept: a lookup needs a root or two of it). NULL if it cannot be. */
static const char *block_of(const struct trust *t, const struct root *r,
			    char **copy)
{
	ssize_t n = -1;
	int fd;

	*copy = NULL;
	if (t->builtin || t->text)
		return (t->builtin ? t->builtin : t->text) + r->b64;
	fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		*copy = xmalloc(r->b64_len + 1);
		n = pread(fd, *copy, r->b64_len, (off_t)r->b64);
		close(fd);
	}
	return n == (ssize_t)r->b64_len ? *copy : NULL;
}

/* Decode root r and add it to the store. Returns 1, or found when it
 * does not decode. */
static int give(const struct trust *t, X509_STORE *store,
		const struct root *r, int found)
{
	size_t max = r->b64_len / 4 * 3 + 3;
	unsigned char *der = xmalloc(max);
	const unsigned char *p = der;
	char *copy;
	const char *b64 = block_of(t, r, &copy);
	long len = b64 ? decode(b64, r->b64_len, der, max) : -1;
	X509 *x = NULL;

	if (len > 0)
		x = r->aux ? d2i_X509_AUX(NULL, &p, len) :
			     d2i_X509(NULL, &p, len);
	free(copy);
	free(der);
	if (!x)
		return found;
	X509_STORE_add_cert(store, x);
	X509_free(x);
	return 1;
}

/*
 * *ret from what the store now holds under name. The reference that
 * X509_OBJECT_set1_X509 takes is dropped: X509_STORE_CTX_get_by_subject
 * takes its own when the lookup returns (as OpenSSL's by_store.c does).
 */
static int found_in_store(X509_STORE *store, const X509_NAME *name,
			  X509_OBJECT *ret)
{
	X509_OBJECT *obj;
	X509 *x = NULL;

	if (!X509_STORE_lock(store))
		return 0;
	obj = X509_OBJECT_retrieve_by_subject(X509_STORE_get0_objects(store),
					      X509_LU_X509, name);
	if (obj)
		x = X509_OBJECT_get0_X509(obj);
	X509_STORE_unlock(store);
	if (!x || !X509_OBJECT_set1_X509(ret, x))
		return 0;
	X509_free(x);
	return 1;
}

/* Whether root r's subject is name, compared as OpenSSL does (canonical
 * encoding): for the rare chain whose issuer is encoded differently. The
 * subject's hash, kept, spares decoding it again when it is not. */
static int same_name(struct root *r, const X509_NAME *name,
		     unsigned long hash)
{
	const unsigned char *p = r->subject;
	X509_NAME *n;
	int same = 0, ok = 0;

	if (r->hashed && (r->hashed < 0 || r->hash != hash))
		return 0;
	n = d2i_X509_NAME(NULL, &p, r->subject_len);
	if (n && !r->hashed) {
		r->hash = X509_NAME_hash_ex(n, NULL, NULL, &ok);
		r->hashed = ok ? 1 : -1;
	}
	same = n && r->hashed > 0 && r->hash == hash &&
	       X509_NAME_cmp(n, name) == 0;
	X509_NAME_free(n);
	return same;
}

/*
 * The built-in roots with name's subject hash (ca_bundle.h holds each
 * root's, in the order of the text), added to store; the others are
 * neither decoded nor scanned. A hash shared by another subject adds a
 * root that found_in_store then does not return. Returns how many.
 */
static int from_builtin(const struct trust *t, X509_STORE *store,
			const X509_NAME *name)
{
	int ok = 0, found = 0, aux;
	unsigned long hash = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	const char *at, *b64 = NULL;
	size_t k, i, b64_len = 0;

	for (k = 0; ok && k < infx_ca_bundle_count; k++) {
		if (infx_ca_bundle_hash[k] != hash)
			continue;
		at = t->builtin;
		for (i = 0; i <= k && next_block(&at, &b64, &b64_len, &aux);)
			i++;
		if (i == k + 1) {
			struct root r = { (size_t)(b64 - t->builtin), b64_len,
					  NULL, 0, aux, 1, hash };

			found = give(t, store, &r, found);
		}
	}
	return found;
}

/* The roots of the bundle file whose subject is name, added to store:
 * the same DER, else (rarely) the same canonical name. */
static int from_file(struct trust *t, X509_STORE *store,
		     const X509_NAME *name)
{
	const unsigned char *want;
	size_t wlen, i;
	int found = 0, ok = 0;
	unsigned long hash;

	if (!X509_NAME_get0_der(name, &want, &wlen))
		return 0;
	if (!t->indexed)
		build_index(t);
	for (i = 0; i < t->nroots; i++) {
		const struct root *r = &t->roots[i];

		if ((size_t)r->subject_len == wlen &&
		    memcmp(r->subject, want, wlen) == 0)
			found = give(t, store, r, found);
	}
	hash = found ? 0 : X509_NAME_hash_ex(name, NULL, NULL, &ok);
	for (i = 0; !found && ok && i < t->nroots; i++)
		if (same_name(&t->roots[i], name, hash))
			found = give(t, store, &t->roots[i], found);
	free(t->text);		/* indexed: lookups read the file again */
	t->text = NULL;
	return found;
}

static int by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type,
		      const X509_NAME *name, X509_OBJECT *ret)
{
	struct trust *t = X509_LOOKUP_get_method_data(lu);
	X509_STORE *store = X509_LOOKUP_get_store(lu);
	int found;

	if (type != X509_LU_X509 || !t || !store)
		return 0;
	found = t->builtin ? from_builtin(t, store, name) :
			     from_file(t, store, name);
	ERR_clear_error();
	return found && found_in_store(store, name, ret);
}

int trust_attach(struct trust *t, void *ssl_ctx)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);
	X509_LOOKUP *lu;

	if (!store)
		return -1;
	if (t->builtin || t->path) {
		lu = X509_STORE_add_lookup(store, t->method);
		if (!lu || !X509_LOOKUP_set_method_data(lu, t))
			return -1;
	}
	if (t->dirs) {
		lu = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
		if (!lu || !X509_LOOKUP_add_dir(lu, t->dirs,
						X509_FILETYPE_PEM))
			return -1;
	}
	return 0;
}

/* -- choosing ---------------------------------------------------------------- */

/* A file named by var: read now, to refuse it before any request. */
static int named_file(struct trust *t, const char *var, const char *path)
{
	t->path = path;
	t->text = read_file(var, path, &t->len);
	if (!t->text)
		return -1;
	if (!holds_certificate(t->text)) {
		log_error("%s '%s' holds no certificate (a PEM \"-----BEGIN "
			  "CERTIFICATE-----\" block)", var, path);
		return -1;
	}
	return 0;
}

/* SSL_CERT_DIR: directories separated by ':', each must be one. */
static int named_dirs(struct trust *t, const char *dirs)
{
	char *copy = xstrdup(dirs), *d, *save = copy;
	struct stat st;
	int rc = 0;

	while (rc == 0 && (d = strsep(&save, ":")) != NULL) {
		if (*d && (stat(d, &st) != 0 || !S_ISDIR(st.st_mode))) {
			log_error("SSL_CERT_DIR '%s' is not a directory", d);
			rc = -1;
		}
	}
	free(copy);
	t->dirs = xstrdup(dirs);
	return rc;
}

/* The system store: a bundle file and the hashed directory, together. */
static void system_store(struct trust *t)
{
	struct stat st;
	size_t i;

	for (i = 0; !t->path && i < sizeof system_bundles /
	     sizeof system_bundles[0]; i++)
		if (access(system_bundles[i], R_OK) == 0)
			t->path = system_bundles[i];
	if (stat(SYSTEM_CA_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		t->dirs = xstrdup(SYSTEM_CA_DIR);
	if (t->path || t->dirs)
		snprintf(t->description, sizeof t->description, "the system "
			 "store (%s%s%s)", t->path ? t->path : "", t->path &&
			 t->dirs ? ", " : "", t->dirs ? t->dirs : "");
}

/* The roots built into the binary (ca_bundle.h). */
static void builtin(struct trust *t)
{
	t->builtin = infx_ca_bundle;
	t->len = infx_ca_bundle_len;
	snprintf(t->description, sizeof t->description,
		 "the roots built into infx-exec (%zu, %s)",
		 infx_ca_bundle_count, infx_ca_bundle_origin);
}

static int choose(struct trust *t, char **envp, const char *ca_file)
{
	const char *file = envp_get(envp, "SSL_CERT_FILE");
	const char *dir = envp_get(envp, "SSL_CERT_DIR");

	if (ca_file) {
		snprintf(t->description, sizeof t->description,
			 "INFISICAL_CA_CERT_FILE=%s", ca_file);
		return named_file(t, "INFISICAL_CA_CERT_FILE", ca_file);
	}
	if (file || dir) {
		snprintf(t->description, sizeof t->description, "%s%s%s%s%s",
			 file ? "SSL_CERT_FILE=" : "", file ? file : "",
			 file && dir ? ", " : "", dir ? "SSL_CERT_DIR=" : "",
			 dir ? dir : "");
		return (file && named_file(t, "SSL_CERT_FILE", file)) ||
		       (dir && named_dirs(t, dir)) ? -1 : 0;
	}
	system_store(t);
	if (!t->path && !t->dirs)
		builtin(t);
	return 0;
}

/* A trust with its lookup method, nothing chosen yet; NULL after a line. */
static struct trust *new_trust(void)
{
	struct trust *t = xcalloc(1, sizeof *t);

	t->method = X509_LOOKUP_meth_new("infx-exec by subject");
	if (!t->method ||
	    !X509_LOOKUP_meth_set_get_by_subject(t->method, by_subject)) {
		log_error("unable to set up the TLS trust: out of memory");
		trust_free(t);
		return NULL;
	}
	return t;
}

struct trust *trust_choose(char **envp, const char *ca_file)
{
	struct trust *t = new_trust();

	if (t && choose(t, envp, ca_file) != 0) {
		trust_free(t);
		return NULL;
	}
	return t;
}

struct trust *trust_builtin(void)
{
	struct trust *t = new_trust();

	if (t)
		builtin(t);
	return t;
}

void trust_explain(const struct trust *t, long verify_result,
		   const char *whose, char *buf, size_t n)
{
	size_t used = strlen(buf);

	switch (verify_result) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		snprintf(buf + used, n - used, "; the %s's certificate does not "
			 "chain to a CA of %s: put the CA that signed it (PEM) "
			 "in INFISICAL_CA_CERT_FILE", whose, t->description);
		break;
	default:
		break;
	}
}

const char *trust_describe(const struct trust *t)
{
	return t->description;
}

void trust_free(struct trust *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nroots; i++)
		free(t->roots[i].subject);
	free(t->roots);
	free(t->text);
	free(t->dirs);
	X509_LOOKUP_meth_free(t->method);
	free(t);
}
