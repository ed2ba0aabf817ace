#ifndef STRATA_STORE_CACHE_H
#define STRATA_STORE_CACHE_H

/*
 * The step cache index (DESIGN.md "Step cache key"): STORE/cache/<key hex>
 * holds one small JSON record per cache key, written atomically. The record's
 * content belongs to the builder; the store only keeps it and lets fsck/gc
 * read the blobs it references ("layer".digest).
 */

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "store/store.h"

/* Reads the record of key into out. Returns 0 on a hit, 1 on a miss. */
int cache_get(const struct store *s, const char *key, struct buf *out, struct error *err);

/* Stores the record of key (replacing any older one). */
int cache_put(struct store *s, const char *key, const char *json, struct error *err);

/*
 * cache_put in two halves around a layer_publish, whose syncfs makes the
 * record's content durable: cache_stage returns the staged file (NULL with
 * err set), cache_publish names it (and frees tmp, on failure too).
 */
char *cache_stage(struct store *s, const char *json, struct error *err);
int cache_publish(struct store *s, const char *key, char *tmp, struct error *err);

/*
 * Marks the record of key as just used (its access time; prune drops the
 * least recently used first). Changes no content.
 */
void cache_touch(struct store *s, const char *key);

/* Removes the record of key; a missing record is fine. */
int cache_remove(struct store *s, const char *key, struct error *err);

#endif
