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
    char digest[DIGEST_STR_LEN + 1]; /* the image manifest */
    long long size;
    char *media_type;
    /*
     * When the name points at an image index (store/attest_index.h): the index,
     * whose image manifest of this platform is digest above; else "".
     */
    char index_digest[DIGEST_STR_LEN + 1];
    long long index_size;
};

struct index {
    struct index_entry *entries;
    size_t n;
};

/*
 * Loads index.json. Entries without a ref name are kept out of the list. A
 * name pointing at an image index is listed with the index's image manifest
 * (store/attest_index.h); an index that cannot be read leaves digest at the index.
 */
int index_load(const struct store *s, struct index *idx, struct error *err);
void index_release(struct index *idx);

/* Returns the entry named name, or NULL. */
const struct index_entry *index_find(const struct index *idx, const char *name);

/*
 * Image names are references (formats/reference.h). A name is stored as
 * written, with ":latest" added when it has neither tag nor digest and, for
 * a qualified name, docker's normalisation ("docker.io/busybox" is stored as
 * "docker.io/library/busybox:latest"). A short name ("app:1") means
 * localhost/app:1, as podman names local images; the two spellings are the
 * same image name.
 *
 * Lookups accept every spelling of a stored name: the exact string first
 * (names stored before names were checked), then the name read as a
 * reference; a short name is also looked for as localhost/NAME, as its
 * registries.conf alias and under each unqualified-search-registries entry
 * (docker.io when there is none), so "busybox" finds
 * "docker.io/library/busybox:latest".
 */

/* Checks name by the reference grammar; returns its stored form (malloc'ed) or NULL. */
char *index_normalize(const char *name, struct error *err);

/* The full name name stands for (a short name under localhost/), or NULL when invalid. */
char *index_identity(const char *name);

/*
 * Finds the entry name refers to, as described above. Returns 0 and sets
 * *out, 1 when there is none, -1 for a malformed name (input error) or an
 * unreadable registries.conf.
 */
int index_lookup(const struct index *idx, const char *name, const struct index_entry **out,
                 struct error *err);

/*
 * The image ID of the manifest (or index) blob digest, as docker and podman
 * show it: an image manifest's config digest; for an index of one image
 * (beside its attestations), that image's ID; for an index of several
 * platforms' images, the index's own digest (what docker's containerd store
 * shows).
 */
int index_image_id(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1],
                   struct error *err);

/*
 * Resolves name (index_lookup), a manifest digest / unique hex prefix, or
 * an image ID / unique hex prefix of one (index_image_id) to a manifest
 * digest; a manifest digest wins over an ID with the same prefix. Returns 0, 1 when there is no
 * such image (err untouched), -1 on error (a name that is neither valid nor a digest).
 */
int index_resolve(const struct store *s, const char *name, char out[DIGEST_STR_LEN + 1],
                  struct error *err);

/*
 * index_resolve, but to what the name itself points at: the image index
 * when it points at one (a multi-platform image, an image with
 * attestations), where index_resolve gives the index's image for this
 * machine. A digest or prefix of either resolves to itself, an image ID (or
 * a prefix of one) to what its name points at.
 */
int index_resolve_top(const struct store *s, const char *name, char out[DIGEST_STR_LEN + 1],
                      struct error *err);

/*
 * Points name (checked, stored in its index_normalize form) at the manifest,
 * replacing any entry that spells the same name differently. No write when
 * unchanged.
 */
int index_set(struct store *s, const char *name, const char *digest, long long size,
              struct error *err);

/* Removes the entry name refers to (index_lookup). Returns 1 when there is none. */
int index_remove(struct store *s, const char *name, struct error *err);

#endif
