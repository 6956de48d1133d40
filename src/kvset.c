/* kvset.c - insertion-ordered name=value set with an open-addressing index. */
#include "kvset.h"

#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void kvset_init(struct kvset *s)
{
	memset(s, 0, sizeof *s);
}

/* FNV-1a, 64 bit: simple, and good enough for names an admin chose. */
static uint64_t hash_name(const char *name, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t find_slot(const struct kvset *s, const char *name, size_t len)
{
	size_t mask = s->nslots - 1;
	size_t i = (size_t)hash_name(name, len) & mask;

	while (s->slots[i]) {
		const struct kv *e = &s->items[s->slots[i] - 1];

		if (e->name_len == len && memcmp(e->name, name, len) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static void grow_index(struct kvset *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 64;
	size_t *old = s->slots, old_n = s->nslots, i;

	s->slots = xcalloc(n, sizeof *s->slots);
	s->nslots = n;
	for (i = 0; i < old_n; i++) {
		if (old[i]) {
			const struct kv *e = &s->items[old[i] - 1];

			s->slots[find_slot(s, e->name, e->name_len)] = old[i];
		}
	}
	free(old);
}

int kvset_put(struct kvset *s, const char *name, size_t name_len,
	      const char *value, size_t value_len, const char *source,
	      enum kv_rule rule)
{
	struct kv *e;
	size_t slot;
	int added = 0;

	if ((s->count + 1) * 2 > s->nslots)
		grow_index(s);
	slot = find_slot(s, name, name_len);
	if (s->slots[slot]) {
		if (rule == KV_KEEP)
			return 0;
		e = &s->items[s->slots[slot] - 1];
		wipe_free(e->value);
		free(e->source);
	} else {
		if (s->count == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 32;
			struct kv *items = xcalloc(cap, sizeof *items);

			if (s->count)
				memcpy(items, s->items,
				       s->count * sizeof *items);
			free(s->items);
			s->items = items;
			s->cap = cap;
		}
		e = &s->items[s->count];
		e->name = xmemdup(name, name_len);
		e->name_len = name_len;
		s->slots[slot] = ++s->count;
		added = 1;
	}
	e->value = xmemdup(value, value_len);
	e->value_len = value_len;
	e->source = source ? xstrdup(source) : NULL;
	return added;
}

const struct kv *kvset_get(const struct kvset *s, const char *name,
			   size_t name_len)
{
	size_t slot;

	if (!s->nslots)
		return NULL;
	slot = find_slot(s, name, name_len);
	return s->slots[slot] ? &s->items[s->slots[slot] - 1] : NULL;
}

void kvset_free(struct kvset *s)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		free(s->items[i].name);
		free(s->items[i].source);
		wipe_free(s->items[i].value);
	}
	free(s->items);
	free(s->slots);
	kvset_init(s);
}
