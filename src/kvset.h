/* kvset.h - an insertion-ordered set of name=value pairs, keyed by name. */
#ifndef INFX_KVSET_H
#define INFX_KVSET_H

#include <stddef.h>

/*
 * Both the secret merge (imports under the folder's own secrets) and the
 * environment (secrets over inherited variables) are "one entry per name,
 * with a rule for which source wins". This is that, with a hash index so
 * that n insertions cost O(n), not O(n^2).
 */
struct kv {
	char *name;		/* malloc'd copy, NUL-terminated */
	size_t name_len;
	char *value;		/* malloc'd copy, NUL-terminated; wiped on free */
	size_t value_len;
	char *source;		/* malloc'd copy of a label, or NULL */
};

struct kvset {
	struct kv *items;	/* in first-insertion order */
	size_t count, cap;
	size_t *slots;		/* open addressing: index + 1, 0 = empty */
	size_t nslots;		/* power of two, >= 2 * count */
};

enum kv_rule {
	KV_KEEP,		/* an existing entry wins */
	KV_REPLACE		/* the new value replaces it, in place */
};

/* An empty set (all zero is also valid). */
void kvset_init(struct kvset *s);

/*
 * Insert name (name_len bytes) = value (value_len bytes) and the label
 * source (may be NULL), all copied.
 * When the name exists, rule decides; a replaced value keeps its position.
 * Returns 1 if a new entry was added, 0 if the name existed (kept or
 * replaced).
 */
int kvset_put(struct kvset *s, const char *name, size_t name_len,
	      const char *value, size_t value_len, const char *source,
	      enum kv_rule rule);

/* The entry named name (name_len bytes), or NULL. */
const struct kv *kvset_get(const struct kvset *s, const char *name,
			   size_t name_len);

/* Wipe every value and free everything; the set is empty afterwards. */
void kvset_free(struct kvset *s);

#endif
