#ifndef STRATA_STORE_IMAGE_H
#define STRATA_STORE_IMAGE_H

/*
 * Images in the store: a manifest blob, its config blob and its layer blobs.
 * Loading checks the manifest and config against their digests and that the
 * config has one diff_id per layer.
 */

#include <cjson/cJSON.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/oci.h"
#include "store/store.h"

struct image {
    char digest[DIGEST_STR_LEN + 1]; /* manifest digest */
    long long manifest_size;
    struct oci_manifest manifest;
    cJSON *config;          /* the image config document */
    struct strvec diff_ids; /* rootfs.diff_ids, one per layer */
};

/*
 * Loads the image named ref (a name, a manifest digest or a unique prefix of
 * one). Returns 0, 1 when there is no such image (err untouched), -1 on error.
 */
int image_load(const struct store *s, const char *ref, struct image *img, struct error *err);

/* Loads the image whose manifest blob is digest. */
int image_load_digest(const struct store *s, const char *digest, struct image *img,
                      struct error *err);

void image_release(struct image *img);

/*
 * Stores config and a manifest listing layers (config descriptor filled in
 * here), writing only blobs that are missing. Writes the manifest digest and
 * size to out_digest/out_size.
 */
int image_commit(struct store *s, const cJSON *config, struct oci_manifest *m,
                 char out_digest[DIGEST_STR_LEN + 1], long long *out_size, struct error *err);

/* Makes sure every layer of img is unpacked in snapshots/. */
int image_ensure_snapshots(struct store *s, const struct image *img, struct error *err);

#endif
