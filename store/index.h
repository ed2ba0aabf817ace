#ifndef STRATA_STORE_INDEX_H
#define STRATA_STORE_INDEX_H

/*
 * Image names: entries of the store's index.json (image-spec
 * image-layout.md), each a manifest descriptor annotated with
 * org.opencontainers.image.ref.name = "name:tag". The file is rewritten
 * atomically under the index lock.
 */

#include "formats/core/error.h"
#include "formats/digest.h"
#include "store/store.h"

#define INDEX_REF_ANNOTATION "org.opencontainers.image.ref.name"

struct index_entry {
    char *name;
    char digest[DIGEST_STR_LEN + 1];
    long long size;
    char *media_type;
};

struct index {
    struct index_entry *entries;
    size_t n;
};

/* Loads index.json. Entries without a ref name are kept out of the list. */
int index_load(const struct store *s, struct index *idx, struct error *err);
void index_release(struct index *idx);

/* Returns the entry named name, or NULL. */
const struct index_entry *index_find(const struct index *idx, const char *name);

/*
 * Normalises a user's image name: adds ":latest" when there is no tag or
 * digest. Returns a new string; rejects empty or malformed names.
 */
char *index_normalize(const char *name, struct error *err);

/*
 * Resolves name (normalised; also tried with "localhost/" in front) or a
 * manifest digest / unique hex prefix to a manifest digest. Returns 0, 1 when
 * there is no such image (err untouched), -1 on error.
 */
int index_resolve(const struct store *s, const char *name, char out[DIGEST_STR_LEN + 1],
                  struct error *err);

/* Points name at the manifest (adds or moves the tag). No write when unchanged. */
int index_set(struct store *s, const char *name, const char *digest, long long size,
              struct error *err);

/* Removes name. Returns 1 when there was no such name. */
int index_remove(struct store *s, const char *name, struct error *err);

#endif
