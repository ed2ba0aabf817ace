#include "formats/core/hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

#include "formats/core/banned.h"

/* FNV-1a over the key, then a 64-bit finaliser so that nearby keys spread out. */
static uint64_t
hashmap_hash(const void *key, size_t klen)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < klen; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* The slot of key: where it is, or the empty slot where it would go (cap > 0). */
static struct hashmap_slot *
hashmap_find(const struct hashmap *m, uint64_t h, const void *key, size_t klen)
{
    size_t i = (size_t)h & (m->cap - 1);

    for (;; i = (i + 1) & (m->cap - 1)) {
        struct hashmap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && s->klen == klen && !memcmp(s->key, key, klen)))
            return s;
    }
}

static void
hashmap_grow(struct hashmap *m)
{
    struct hashmap bigger;
    size_t i;

    bigger.cap = m->cap ? m->cap * 2 : 64;
    bigger.n = m->n;
    bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
    for (i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *hashmap_find(&bigger, m->slots[i].hash, m->slots[i].key, m->slots[i].klen) =
                m->slots[i];
    free(m->slots);
    *m = bigger;
}

void **
hashmap_get(const struct hashmap *m, const void *key, size_t klen)
{
    struct hashmap_slot *s;

    if (!m->cap)
        return NULL;
    s = hashmap_find(m, hashmap_hash(key, klen), key, klen);
    return s->key ? &s->value : NULL;
}

void **
hashmap_put(struct hashmap *m, const void *key, size_t klen, int *added)
{
    uint64_t h = hashmap_hash(key, klen);
    struct hashmap_slot *s;

    if (2 * (m->n + 1) > m->cap)
        hashmap_grow(m);
    s = hashmap_find(m, h, key, klen);
    if (added)
        *added = !s->key;
    if (!s->key) {
        s->hash = h;
        s->key = xmalloc(klen + 1);
        memcpy(s->key, key, klen);
        s->key[klen] = '\0'; /* string keys stay usable as C strings */
        s->klen = klen;
        s->value = NULL;
        m->n++;
    }
    return &s->value;
}

int
hashmap_next(const struct hashmap *m, size_t *pos, const void **key, size_t *klen, void **value)
{
    for (; *pos < m->cap; (*pos)++) {
        const struct hashmap_slot *s = &m->slots[*pos];
        if (!s->key)
            continue;
        if (key)
            *key = s->key;
        if (klen)
            *klen = s->klen;
        if (value)
            *value = s->value;
        (*pos)++;
        return 1;
    }
    return 0;
}

void
hashmap_release(struct hashmap *m, void (*free_value)(void *))
{
    size_t i;

    for (i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        free(m->slots[i].key);
        if (free_value)
            free_value(m->slots[i].value);
    }
    free(m->slots);
    m->slots = NULL;
    m->n = m->cap = 0;
}
