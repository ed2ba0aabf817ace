#ifndef STRATA_STORE_IMAGE_H
#define STRATA_STORE_IMAGE_H

/*
 * Images in the store: a manifest blob, its config blob and its layer blobs.
 * Loading checks the manifest and config against their digests and that the
 * config has one diff_id per layer.
 *
 * A name may also point at an image index (a multi-platform image, the
 * formats/oci_archive.h model): its images are manifests of the store, each
 * with its platform, besides any other descriptors (attestation manifests).
 * An index may be partial: a pull keeps the registry's index byte for byte
 * (so its digest is kept) but fetches only the platforms asked for, as
 * containerd does; an entry whose manifest is not in the store is absent,
 * not damage. The id of an index is its own digest (podman's manifest lists
 * are named the same way).
 *
 * Where one image is needed, a name or digest that is an index stands for
 * its image for the platform asked for (platform_match order), this
 * machine's when none is given.
 */

#include <cjson/cJSON.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/oci.h"
#include "formats/oci_archive.h"
#include "formats/platform.h"
#include "store/store.h"

struct image {
    char digest[DIGEST_STR_LEN + 1]; /* manifest digest */
    long long manifest_size;
    struct oci_manifest manifest;
    cJSON *config;          /* the image config document */
    struct strvec diff_ids; /* rootfs.diff_ids, one per layer */
};

/*
 * Loads the image named ref (a name, a manifest or index digest or a unique
 * prefix of one); an index stands for its image for this machine's platform.
 * Returns 0, 1 when there is no such image (err untouched), -1 on error.
 */
int image_load(const struct store *s, const char *ref, struct image *img, struct error *err);

/*
 * Whether img, a single image, serves platform want: 1 when its config names
 * no platform or one want matches (formats/platform.h), else 0, with the
 * platform it names in have.
 */
int image_serves_platform(const struct image *img, const struct platform *want,
                          struct platform *have);

/*
 * image_load for platform want (NULL: this machine's, as image_load). An
 * index without an image for want, or (want given) a single image whose
 * config names a platform that does not serve want, is an input error that
 * names the platforms there are.
 */
int image_load_platform(const struct store *s, const char *ref, const struct platform *want,
                        struct image *img, struct error *err);

/* Loads the image whose manifest blob is digest (an image manifest, not an index). */
int image_load_digest(const struct store *s, const char *digest, struct image *img,
                      struct error *err);

/* Returns 1 when blob digest is an image index or manifest list, 0 when not, -1 on error. */
int image_is_index(const struct store *s, const char *digest, struct error *err);

/* Loads and parses the index blob digest. */
int image_index_load(const struct store *s, const char *digest, struct oci_archive_index *idx,
                     struct error *err);

/*
 * Resolves digest (a manifest or an index) to the manifest digest for want
 * (NULL: this machine's). A manifest is returned as it is. what names the
 * image in errors. The manifest picked may be absent from a partial index:
 * check with blob_exists.
 */
int image_pick(const struct store *s, const char *digest, const struct platform *want,
               const char *what, char out[DIGEST_STR_LEN + 1], struct error *err);

/*
 * Stores idx (oci_archive_index_write) as a blob. Every descriptor it lists
 * that is an image manifest must be in the store. Writes its digest and size.
 */
int image_commit_index(struct store *s, const struct oci_archive_index *idx,
                       char out_digest[DIGEST_STR_LEN + 1], long long *out_size, struct error *err);

void image_release(struct image *img);

/*
 * Stores config and a manifest listing layers (config descriptor filled in
 * here), writing only blobs that are missing. The manifest is an OCI one,
 * or a Docker schema 2 one when m->media_type says so (oci_manifest_write). Writes the manifest
 * digest and size to out_digest/out_size.
 */
int image_commit(struct store *s, const cJSON *config, struct oci_manifest *m,
                 char out_digest[DIGEST_STR_LEN + 1], long long *out_size, struct error *err);

/* Makes sure every layer of img is unpacked in snapshots/. */
int image_ensure_snapshots(struct store *s, const struct image *img, struct error *err);

#endif
