#ifndef STRATA_FORMATS_CORE_HASHMAP_H
#define STRATA_FORMATS_CORE_HASHMAP_H

/*
 * One hash map for the whole program: keys are byte strings (a path, or a
 * (device, inode) pair as raw bytes), copied into the map; values are
 * pointers the caller owns (or small integers cast to pointers). Open
 * addressing with linear probing, kept at most half full.
 *
 *   struct hashmap m = HASHMAP_INIT;
 *   *hashmap_put(&m, path, strlen(path), NULL) = node;
 *   void **v = hashmap_get(&m, path, strlen(path));   // NULL when absent
 *   hashmap_release(&m, free);
 *
 * Not thread-safe: callers that share a map lock around it.
 */

#include <stddef.h>
#include <stdint.h>

struct hashmap_slot {
    uint64_t hash;
    char *key; /* NULL: empty */
    size_t klen;
    void *value;
};

struct hashmap {
    struct hashmap_slot *slots;
    size_t n, cap; /* cap is 0 or a power of two */
};

#define HASHMAP_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Where the value of key is stored, or NULL when key is absent. */
void **hashmap_get(const struct hashmap *m, const void *key, size_t klen);

/*
 * Where the value of key is stored, adding key (with a NULL value) when it is
 * absent; *added (may be NULL) tells which. The pointer is valid until the
 * next put.
 */
void **hashmap_put(struct hashmap *m, const void *key, size_t klen, int *added);

/*
 * Iterates: start with *pos = 0; returns 1 with the next entry's key and
 * value, or 0 at the end. The order is the map's, not the insertion order.
 */
int hashmap_next(const struct hashmap *m, size_t *pos, const void **key, size_t *klen,
                 void **value);

/* Frees the map's memory, calling free_value (may be NULL) on each value. */
void hashmap_release(struct hashmap *m, void (*free_value)(void *));

#endif
