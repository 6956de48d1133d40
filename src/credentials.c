/* credentials.c - the machine identity: method, credentials, headers. */
#include "credentials.h"

#include "envp.h"
#include "log.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A credential file holds one id, secret, JWT or header list. */
#define CREDENTIAL_FILE_MAX (64 * 1024)

static int has_prefix(const char *name, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && memcmp(name, prefix, plen) == 0;
}

int credentials_is_variable(const char *name, size_t len)
{
	static const char *const vars[] = {
		VAR_CLIENT_ID, VAR_CLIENT_SECRET, VAR_TOKEN, VAR_IDENTITY,
		VAR_JWT, VAR_HEADERS,
	};
	size_t i;

	if (len == strlen(VAR_SA_PATH) && has_prefix(name, len, VAR_SA_PATH))
		return 1;
	for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		size_t vlen = strlen(vars[i]);

		if (!has_prefix(name, len, vars[i]))
			continue;
		if (len == vlen || (len == vlen + 5 &&
				    memcmp(name + vlen, "_FILE", 5) == 0))
			return 1;
	}
	return 0;
}

/*
 * Trim s in place as JavaScript's trim() does for what can be in a
 * credential: UTF-8 byte-order marks (U+FEFF) and ASCII white space,
 * CR and LF included, at both ends. Returns the new length.
 */
static size_t trim(char *s, size_t len)
{
	static const char bom[] = "\xef\xbb\xbf";
	size_t start = 0;

	for (;;) {
		if (len - start >= 3 && memcmp(s + start, bom, 3) == 0)
			start += 3;
		else if (start < len && strchr(" \t\r\n\v\f", s[start]) &&
			 s[start])
			start++;
		else
			break;
	}
	for (;;) {
		if (len - start >= 3 && memcmp(s + len - 3, bom, 3) == 0)
			len -= 3;
		else if (len > start && strchr(" \t\r\n\v\f", s[len - 1]) &&
			 s[len - 1])
			len--;
		else
			break;
	}
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
	return len - start;
}

/* Whether NAME or NAME_FILE is set (non-empty). */
static int credential_set(char **envp, const char *name)
{
	char file_var[128];

	snprintf(file_var, sizeof file_var, "%s_FILE", name);
	return envp_get(envp, name) != NULL || envp_get(envp, file_var) != NULL;
}

/*
 * Read a credential file: a regular file of at most CREDENTIAL_FILE_MAX
 * bytes, trimmed. Returns a malloc'd string or NULL after printing why.
 */
static char *read_credential_file(const char *var, const char *path)
{
	char *buf = xmalloc(CREDENTIAL_FILE_MAX + 1);
	const char *why = NULL;
	struct stat st;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang the start; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		log_error("unable to open %s '%s': %s", var, path,
			  strerror(errno));
		free(buf);
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		why = "not a regular file";
	while (!why) {
		ssize_t n = read(fd, buf + len, CREDENTIAL_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				why = strerror(errno);
			break;
		}
		len += (size_t)n;
		if (len > CREDENTIAL_FILE_MAX)
			why = "larger than 64 KiB; it should hold only the "
			      "credential";
	}
	close(fd);
	if (!why && memchr(buf, '\0', len))
		why = "not text (it holds a NUL byte)";
	if (!why && trim(buf, len) == 0)
		why = "empty";
	if (why) {
		log_error("unable to read %s '%s': %s", var, path, why);
		wipe_free(buf);
		return NULL;
	}
	return buf;
}

/*
 * A credential from NAME or from the file named by NAME_FILE (one of the two,
 * never both). Stores a malloc'd copy in *out. Returns 0, or -1 after
 * printing why (neither set and required, both set, unreadable file).
 */
static int load_credential(char **envp, const char *name, int required,
			   char **out)
{
	char file_var[128];
	const char *value, *path;

	snprintf(file_var, sizeof file_var, "%s_FILE", name);
	value = envp_get(envp, name);
	path = envp_get(envp, file_var);
	if (value && path) {
		log_error("both %s and %s are set; set only one of them",
			  name, file_var);
		return -1;
	}
	if (path) {
		*out = read_credential_file(file_var, path);
		return *out ? 0 : -1;
	}
	if (!value) {
		if (!required)
			return 0;
		log_error("%s is not set (nor %s)", name, file_var);
		return -1;
	}
	*out = xstrdup(value);
	if (trim(*out, strlen(*out)) == 0) {
		log_error("%s holds only blanks", name);
		wipe_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	enum auth_method method;
} auth_names[] = {
	{ "universal-auth", AUTH_UNIVERSAL },
	{ "token", AUTH_TOKEN },
	{ "kubernetes", AUTH_KUBERNETES },
	{ "oidc", AUTH_OIDC },
	{ "jwt", AUTH_JWT },
};

static int parse_auth_method(const char *method, enum auth_method *out)
{
	size_t i;
	char safe[64];

	for (i = 0; i < sizeof auth_names / sizeof auth_names[0]; i++) {
		if (strcmp(method, auth_names[i].name) == 0) {
			*out = auth_names[i].method;
			return 0;
		}
	}
	log_error("unknown auth method '%s' (INFISICAL_AUTH_METHOD / "
		  "--auth-method): use universal-auth, token, kubernetes, "
		  "oidc or jwt", log_sanitize(safe, sizeof safe, method,
					      strlen(method)));
	return -1;
}

/* The method whose credentials are set; exactly one kind may be. */
static int infer_auth(char **envp, enum auth_method *out)
{
	int ua = credential_set(envp, VAR_CLIENT_ID) ||
		 credential_set(envp, VAR_CLIENT_SECRET);
	int token = credential_set(envp, VAR_TOKEN);
	int identity = credential_set(envp, VAR_IDENTITY) ||
		       credential_set(envp, VAR_JWT);

	if (ua + token + identity > 1) {
		char kinds[96];

		snprintf(kinds, sizeof kinds, "%s%s%s%s%s",
			 ua ? "universal-auth" : "", ua && token ? ", " : "",
			 token ? "token" : "", identity ? ", " : "",
			 identity ? "machine identity id" : "");
		log_error("credentials of several auth methods are set (%s); "
			  "unset the others or choose one with "
			  "INFISICAL_AUTH_METHOD", kinds);
		return -1;
	}
	if (ua) {
		*out = AUTH_UNIVERSAL;
	} else if (token) {
		*out = AUTH_TOKEN;
	} else if (credential_set(envp, VAR_JWT)) {
		log_error(VAR_JWT " is set: choose oidc or jwt with "
			  "INFISICAL_AUTH_METHOD (both log in with a JWT)");
		return -1;
	} else if (identity) {
		*out = AUTH_KUBERNETES;
	} else {
		log_error("no machine identity credentials: set " VAR_CLIENT_ID
			  " and " VAR_CLIENT_SECRET " (or their _FILE forms),"
			  " " VAR_TOKEN ", or " VAR_IDENTITY " with "
			  "INFISICAL_AUTH_METHOD");
		return -1;
	}
	return 0;
}

/* name_file when it is set, else name: which one gave a credential, for
 * the messages that tell what to check (both are never set). */
static const char *source(char **envp, const char *name,
			  const char *name_file)
{
	return envp_get(envp, name_file) ? name_file : name;
}

/* Read the credentials of the chosen method, and only those. */
static int load_auth(struct credentials *c, char **envp)
{
	const char *sa_path;

	c->id_var = source(envp, VAR_IDENTITY, VAR_IDENTITY "_FILE");
	c->secret_var = source(envp, VAR_JWT, VAR_JWT "_FILE");
	switch (c->method) {
	case AUTH_TOKEN:
		return load_credential(envp, VAR_TOKEN, 1, &c->token);
	case AUTH_UNIVERSAL:
		c->id_var = source(envp, VAR_CLIENT_ID, VAR_CLIENT_ID "_FILE");
		c->secret_var = source(envp, VAR_CLIENT_SECRET,
				       VAR_CLIENT_SECRET "_FILE");
		if (load_credential(envp, VAR_CLIENT_ID, 1, &c->client_id))
			return -1;
		return load_credential(envp, VAR_CLIENT_SECRET, 1,
				       &c->client_secret);
	case AUTH_KUBERNETES:
		if (load_credential(envp, VAR_IDENTITY, 1, &c->identity_id))
			return -1;
		sa_path = envp_get(envp, VAR_SA_PATH);
		c->jwt = read_credential_file(VAR_SA_PATH, sa_path ?
						sa_path : DEFAULT_SA_TOKEN_PATH);
		return c->jwt ? 0 : -1;
	case AUTH_OIDC:
	case AUTH_JWT:
		if (load_credential(envp, VAR_IDENTITY, 1, &c->identity_id))
			return -1;
		return load_credential(envp, VAR_JWT, 1, &c->jwt);
	default:
		return -1;
	}
}

/* RFC 9110 token characters (a header name). */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A header a proxy may want, and none that would change the request. */
static int header_is_safe(const char *name, size_t nlen, const char *value,
			  size_t vlen)
{
	static const char *const own[] = {
		"Authorization", "Host", "Content-Type", "Content-Length",
		"Transfer-Encoding",
	};
	size_t i;

	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)name[i]))
			return 0;
	for (i = 0; i < vlen; i++)
		if ((unsigned char)value[i] < 0x20 &&
		    value[i] != '\t')
			return 0;
	for (i = 0; i < sizeof own / sizeof own[0]; i++)
		if (strlen(own[i]) == nlen &&
		    strncasecmp(name, own[i], nlen) == 0)
			return 0;
	return 1;
}

/*
 * INFISICAL_CUSTOM_HEADERS as the official CLI reads it
 * (packages/util/helper.go GetInfisicalCustomHeadersMap): blank-separated
 * Name=value pairs; a value may be in single or double quotes (kept
 * verbatim, a quote after a backslash does not end it); User-Agent and
 * Accept are ignored. Unlike the CLI, a header that is not a token name
 * with a plain value, or one the shim sets itself, is an error. Stored as
 * "Name: value" lines.
 */
static int parse_headers(struct credentials *c, const char *s)
{
	static const char *const blanks = " \t\r\n\v\f";

	while (*s) {
		const char *name, *value;
		size_t nlen, vlen;
		char *line;

		s += strspn(s, blanks);
		if (!*s)
			break;
		name = s;
		while (*s && *s != '=' && !strchr(blanks, *s))
			s++;
		if (*s != '=' || s == name) {
			log_error(VAR_HEADERS " is malformed: expected "
				  "\"Name1=value1 Name2=value2\"");
			return -1;
		}
		nlen = (size_t)(s - name);
		s++;
		s += strspn(s, blanks);
		if (*s == '"' || *s == '\'') {
			char q = *s++;

			value = s;
			while (*s && (*s != q || s[-1] == '\\'))
				s++;
			vlen = (size_t)(s - value);
			if (*s)
				s++;
		} else {
			value = s;
			while (*s && !strchr(blanks, *s))
				s++;
			vlen = (size_t)(s - value);
		}
		if ((nlen == 10 && strncasecmp(name, "User-Agent", 10) == 0) ||
		    (nlen == 6 && strncasecmp(name, "Accept", 6) == 0))
			continue;
		if (!header_is_safe(name, nlen, value, vlen)) {
			log_error(VAR_HEADERS " holds a header infx-exec does "
				  "not send: names are tokens (RFC 9110), values "
				  "have no control characters, and Authorization"
				  ", Host, Content-Type, Content-Length and "
				  "Transfer-Encoding are its own");
			return -1;
		}
		line = xmalloc(nlen + vlen + 3);
		snprintf(line, nlen + vlen + 3, "%.*s: %.*s", (int)nlen, name,
			 (int)vlen, value);
		strlist_add(&c->headers, line, nlen + vlen + 2);
		wipe_free(line);
	}
	return 0;
}


int credentials_load(struct credentials *c, char **envp, const char *method)
{
	char *headers = NULL;
	int rc;

	memset(c, 0, sizeof *c);
	if (method ? parse_auth_method(method, &c->method)
		   : infer_auth(envp, &c->method))
		return -1;
	if (load_auth(c, envp) ||
	    load_credential(envp, VAR_HEADERS, 0, &headers))
		return -1;
	rc = headers ? parse_headers(c, headers) : 0;
	wipe_free(headers);
	log_forbid(c->client_secret);
	log_forbid(c->token);
	log_forbid(c->jwt);
	return rc;
}

void credentials_free(struct credentials *c)
{
	log_allow(c->client_secret);
	log_allow(c->token);
	log_allow(c->jwt);
	wipe_free(c->client_id);
	wipe_free(c->client_secret);
	wipe_free(c->token);
	wipe_free(c->identity_id);
	wipe_free(c->jwt);
	strlist_free(&c->headers);
	memset(c, 0, sizeof *c);
}
