#ifndef STRATA_STORE_REACH_H
#define STRATA_STORE_REACH_H

/*
 * What the store's names and cache records reach: manifests, configs, layer
 * blobs and the snapshots of those layers. fsck checks these references, gc
 * deletes what they do not reach.
 */

#include "formats/core/strvec.h"
#include "store/store.h"

struct reach {
    struct strvec blobs;     /* "sha256:<hex>", sorted, unique after reach_collect */
    struct strvec snapshots; /* diff_id hex, sorted, unique */
    struct strvec problems;  /* one line each: what is broken */
    struct strvec pairs;     /* "<layer digest> <diff_id> <who pairs them>", sorted */
    size_t images;
    size_t records;
    long long logical; /* bytes of all images' blobs, shared ones counted per image */
};

struct index;

/*
 * Adds what the names of idx reach to r: each image's manifest, config,
 * layers and snapshots; of an image index, the index and every manifest it
 * lists that is in the store (an attestation manifest's blobs too).
 */
void reach_names(const struct store *s, const struct index *idx, struct reach *r);

/*
 * Walks index.json and cache/ and fills r. Broken references go to
 * r->problems rather than failing; only an unreadable index fails.
 */
int reach_collect(const struct store *s, struct reach *r, struct error *err);
void reach_release(struct reach *r);

/* Binary search in a sorted strvec. */
int reach_has(const struct strvec *sorted, const char *s);

/*
 * Removes tmp/ entries left by processes that are gone (all of them when
 * all is set, i.e. under the exclusive lock). Returns how many.
 */
size_t reach_sweep_tmp(const struct store *s, int all);

#endif
