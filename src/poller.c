/* poller.c - one poll of watch mode, in a child process of its own. */
#include "poller.h"

#include "credentials.h"
#include "environment.h"
#include "exitcodes.h"
#include "log.h"
#include "mem.h"
#include "retry.h"
#include "signals.h"
#include "wbuf.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* -- the report: one line each, "END" last ------------------------------------ */

static void put_hex(struct wbuf *b, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *u = p;
	size_t i;

	for (i = 0; i < n; i++) {
		char two[2] = { digits[u[i] >> 4], digits[u[i] & 15] };

		wbuf_add(b, two, 2);
	}
}

static void put_line(struct wbuf *b, const char *tag, const char *text)
{
	wbuf_add(b, tag, strlen(tag));
	wbuf_add(b, text, strlen(text));
	wbuf_add(b, "\n", 1);
}

/* Write the whole report; the parent reads it as it comes. */
static void send_report(int fd, struct wbuf *b)
{
	size_t done = 0;

	put_line(b, "END", "");
	while (done < b->len) {
		ssize_t n = write(fd, b->data + done, b->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
}

/* The token and the ETags to keep, and when to come back. */
static void put_memo(struct wbuf *b, const struct fetch_memo *memo,
		     size_t npaths)
{
	char line[64];
	size_t i;

	for (i = 0; i < npaths; i++) {
		if (!memo->etags[i])
			continue;
		snprintf(line, sizeof line, "E%zu ", i);
		put_line(b, line, memo->etags[i]);
	}
	if (memo->token)
		put_line(b, "T ", memo->token);
	if (memo->retry_after >= 0) {
		snprintf(line, sizeof line, "%ld", memo->retry_after);
		put_line(b, "W ", line);
	}
}

/* -- digests -------------------------------------------------------------------- */

static void digest_of(const unsigned char salt[16], const struct kv *e,
		      unsigned char sum[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 32;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, salt, 16) ||
	    !EVP_DigestUpdate(md, e->name, e->name_len + 1) ||
	    !EVP_DigestUpdate(md, e->value, e->value_len) ||
	    !EVP_DigestFinal_ex(md, sum, &n))
		mem_exhausted();
	EVP_MD_CTX_free(md);
}

static int by_name(const void *a, const void *b)
{
	const struct digest *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* The digest of name in the sorted set, or NULL. */
static const struct digest *find(const struct poll_state *s, const char *name,
				 size_t len)
{
	struct digest key = { (char *)(uintptr_t)name, len, { 0 } };

	return s->nset ? bsearch(&key, s->set, s->nset, sizeof *s->set,
				 by_name) : NULL;
}

/* The new set (what the command would get) as sorted digests. */
static struct digest *new_set(const struct run *r, const unsigned char *salt)
{
	struct digest *set = xcalloc(r->applied.count + 1, sizeof *set);
	size_t i;

	for (i = 0; i < r->applied.count; i++) {
		const struct kv *a = &r->applied.items[i];
		const struct kv *e = kvset_get(&r->secrets, a->name,
					       a->name_len);

		set[i].name = a->name;	/* borrowed while reporting */
		set[i].name_len = a->name_len;
		if (e)
			digest_of(salt, e, set[i].sum);
	}
	qsort(set, r->applied.count, sizeof *set, by_name);
	return set;
}

/* "C changed|added|removed <hex name>" lines; how many. */
static size_t put_changes(struct wbuf *b, const struct poll_state *prev,
			  const struct digest *set, size_t n)
{
	struct poll_state now = { .set = (struct digest *)(uintptr_t)set,
				  .nset = n };
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		const struct digest *old = find(prev, set[i].name,
						set[i].name_len);

		if (old && memcmp(old->sum, set[i].sum, 32) == 0)
			continue;
		wbuf_add(b, old ? "C changed " : "C added ", old ? 10 : 8);
		put_hex(b, set[i].name, set[i].name_len);
		wbuf_add(b, "\n", 1);
		count++;
	}
	for (i = 0; i < prev->nset; i++) {
		if (find(&now, prev->set[i].name, prev->set[i].name_len))
			continue;
		wbuf_add(b, "C removed ", 10);
		put_hex(b, prev->set[i].name, prev->set[i].name_len);
		wbuf_add(b, "\n", 1);
		count++;
	}
	return count;
}

static void put_set(struct wbuf *b, const struct digest *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		wbuf_add(b, "S ", 2);
		put_hex(b, set[i].name, set[i].name_len);
		wbuf_add(b, " ", 1);
		put_hex(b, set[i].sum, 32);
		wbuf_add(b, "\n", 1);
	}
}

/* -- the poller ------------------------------------------------------------------- */

/* Fetch and build; POLL_FAIL, or what changed (b gets the lines). */
static enum poll_outcome poll_once(struct run *r, const struct poll_state *p,
				   int start, struct fetch_memo *memo,
				   struct wbuf *b, int *status)
{
	struct digest *set;
	size_t changes;

	*status = credentials_load(&r->creds, environ, r->cfg.auth_method) ?
		  EXIT_SHIM_FAILED : run_fetch(r, memo);
	if (*status != RUN_GO)
		return POLL_FAIL;
	if (memo->unchanged && !start)
		return POLL_SAME;
	*status = run_environment(r);
	if (*status != RUN_GO)
		return POLL_FAIL;
	set = new_set(r, p->salt);
	changes = put_changes(b, p, set, r->applied.count);
	if (changes || start)
		put_set(b, set, r->applied.count);
	free(set);
	return changes || start ? POLL_NEW : POLL_SAME;
}

/* Become the command once the parent says so (it stopped the old one).
 * The end of the pipe, or a stop signal, ends the poll instead. */
static int wait_for_go(struct run *r, int go_fd)
{
	ssize_t n;
	char go;

	while ((n = read(go_fd, &go, 1)) < 0 && errno == EINTR &&
	       !signals_caught())
		;
	if (n == 1)
		return run_exec(r);	/* returns only on failure */
	return signals_caught() ? run_stopped(signals_caught()) : 0;
}

_Noreturn void poll_child(struct run *r, const struct poll_state *prev,
			  int start, int report_fd, int go_fd)
{
	struct fetch_memo memo = { .retry_after = -1, .start = start };
	struct wbuf b = { 0 };
	enum poll_outcome out;
	size_t i;
	int status;

	log_set_demoted(!start);	/* a later poll only warns */
	retry_set_quiet(!start);
	memo.token = prev->token ? xstrdup(prev->token) : NULL;
	memo.etags = xcalloc(prev->npaths + 1, sizeof *memo.etags);
	for (i = 0; i < prev->npaths; i++)
		memo.etags[i] = prev->etags[i] ? xstrdup(prev->etags[i]) : NULL;
	out = poll_once(r, prev, start, &memo, &b, &status);
	put_memo(&b, &memo, prev->npaths);
	put_line(&b, "O ", out == POLL_NEW ? "NEW" : out == POLL_SAME ?
		 "SAME" : "FAIL");
	send_report(report_fd, &b);
	wbuf_free(&b);
	wipe_free(memo.token);
	for (i = 0; i < prev->npaths; i++)
		free(memo.etags[i]);
	free(memo.etags);
	if (out == POLL_NEW)
		status = wait_for_go(r, go_fd);
	else if (!start)
		status = 0;	/* a later poll's failure ends nothing */
	run_free(r);
	_exit(status);
}

/* -- the parent's side of the report ---------------------------------------------- */

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	       c - 'a' + 10 : -1;
}

/* Decode n hex digits of p into out (n / 2 bytes). */
static int from_hex(const char *p, size_t n, unsigned char *out)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		int hi = hex_value(p[i]), lo = hex_value(p[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return n % 2 ? -1 : 0;
}

/* "S <hex name> <hex digest>" -> one more entry of the set. */
static int read_digest(struct poll_state *s, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);
	struct digest *set, *d;
	size_t hlen = sp ? (size_t)(sp - p) : 0;

	if (!sp || n - hlen - 1 != 64)
		return -1;
	set = realloc(s->set, (s->nset + 1) * sizeof *set);
	if (!set)
		return -1;
	s->set = set;
	d = &set[s->nset];
	d->name_len = hlen / 2;
	d->name = malloc(d->name_len + 1);
	if (!d->name || from_hex(p, hlen, (unsigned char *)d->name) ||
	    from_hex(sp + 1, 64, d->sum)) {
		free(d->name);
		return -1;
	}
	d->name[d->name_len] = '\0';
	s->nset++;
	return 0;
}

/* "C kind <hex name>" -> ", NAME kind" in out->changes. */
static int read_change(struct poll_report *out, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);
	unsigned char name[128];
	char safe[128];
	size_t hlen = sp ? n - (size_t)(sp - p) - 1 : 0, used;

	if (!sp)
		return -1;
	if (hlen > 2 * sizeof name - 2)
		hlen = 2 * sizeof name - 2;
	if (from_hex(sp + 1, hlen, name))
		return -1;
	used = strlen(out->changes);
	snprintf(out->changes + used, sizeof out->changes - used, "%s%s %.*s",
		 used ? ", " : "", log_sanitize(safe, sizeof safe,
						(const char *)name, hlen / 2),
		 (int)(sp - p), p);
	return 0;
}

static char *copy_of(const char *p, size_t n)
{
	char *c = malloc(n + 1);

	if (c) {
		memcpy(c, p, n);
		c[n] = '\0';
	}
	return c;
}

/* One line of the report (without its newline). */
static int read_line(struct poll_report *out, const char *p, size_t n)
{
	char *end;
	unsigned long i;

	if (n == 3 && memcmp(p, "END", 3) == 0)
		return 0;
	if (n >= 2 && p[0] == 'S')
		return read_digest(&out->next, p + 2, n - 2);
	if (n >= 2 && p[0] == 'C')
		return read_change(out, p + 2, n - 2);
	if (n >= 2 && p[0] == 'T')
		return (out->next.token = copy_of(p + 2, n - 2)) ? 0 : -1;
	if (n >= 2 && p[0] == 'W') {
		out->wait = strtol(p + 2, NULL, 10);
		return 0;
	}
	if (n >= 2 && p[0] == 'E') {
		i = strtoul(p + 1, &end, 10);
		if (*end != ' ' || i >= out->next.npaths)
			return -1;
		free(out->next.etags[i]);
		out->next.etags[i] = copy_of(end + 1, n - (size_t)(end + 1 - p));
		return out->next.etags[i] ? 0 : -1;
	}
	if (n >= 2 && p[0] == 'O') {
		out->outcome = strncmp(p + 2, "NEW", 3) == 0 ? POLL_NEW :
			       strncmp(p + 2, "SAME", 4) == 0 ? POLL_SAME :
			       POLL_FAIL;
		return 0;
	}
	return -1;
}

int poll_read_report(const char *text, size_t len, size_t npaths,
		     struct poll_report *out)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof *out);
	out->outcome = POLL_FAIL;
	out->wait = -1;
	out->next.npaths = npaths;
	out->next.etags = calloc(npaths + 1, sizeof *out->next.etags);
	if (!out->next.etags)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || read_line(out, p, (size_t)(nl - p)) != 0) {
			poll_state_free(&out->next);
			return -1;
		}
		p = nl + 1;
	}
	return 0;
}

void poll_state_free(struct poll_state *s)
{
	size_t i;

	for (i = 0; i < s->nset; i++)
		free(s->set[i].name);
	free(s->set);
	for (i = 0; s->etags && i < s->npaths; i++)
		free(s->etags[i]);
	free(s->etags);
	wipe_free(s->token);
	s->set = NULL;
	s->nset = 0;
	s->etags = NULL;
	s->token = NULL;
}
