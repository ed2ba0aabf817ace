#ifndef STRATA_STORE_ATTEST_INDEX_H
#define STRATA_STORE_ATTEST_INDEX_H

/*
 * Image indexes in the store that keep attestations with images, the way
 * BuildKit stores them (formats/intoto.h): a store name may point at an OCI image index whose
 * manifests are the image manifest (with its platform) and, beside it, an
 * attestation manifest (platform unknown/unknown, annotated
 * vnd.docker.reference.type=attestation-manifest and
 * vnd.docker.reference.digest=<image manifest>) whose layers are in-toto
 * Statements. index.c resolves such a name to the image manifest of this
 * machine's platform, so commands that read images see the image; push,
 * export, tag, fsck and gc walk the whole index (attest_index_load).
 *
 * This is the general shape of an index in the store: any descriptors with
 * any annotations; only manifests tagged as attestation manifests are
 * hidden from `images`.
 *
 * An index may carry the annotation ATTEST_INDEX_FORMAT_ANNOTATION=referrers:
 * then push sends the statements as OCI 1.1 referrers of the image
 * manifest instead of the index (store/remote.c).
 */

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/digest.h"
#include "store/store.h"

#define ATTEST_INDEX_FORMAT_ANNOTATION "io.strata.attest-format"

/* One manifest of an index as the store keeps it. */
struct attest_index_manifest {
    char digest[DIGEST_STR_LEN + 1];
    long long size;
    char *media_type;
    char ref[DIGEST_STR_LEN + 1];  /* attestation manifests: the image they are about; else "" */
    char *os, *arch, *variant;     /* platform, NULL when absent */
    struct strvec blobs;           /* layer digests, then the config (attestation manifests only) */
    long long *sizes;              /* the size of each of blobs */
    struct strvec predicate_types; /* of each layer (attestation manifests only) */
};

/* An image index of the store, with what each of its manifests is. */
struct attest_index {
    char digest[DIGEST_STR_LEN + 1]; /* the index */
    long long size;
    char image[DIGEST_STR_LEN + 1]; /* the image manifest of this machine's platform */
    long long image_size;
    int referrers; /* ATTEST_INDEX_FORMAT_ANNOTATION says "referrers" */
    struct attest_index_manifest *m;
    size_t n;
};

void attest_index_release(struct attest_index *ai);

/*
 * Loads the image index blob digest: every manifest descriptor, and for the
 * attestation manifests their config and layers. Fails when the index (or
 * an attestation manifest) is missing or malformed, or holds no image
 * manifest.
 */
int attest_index_load(const struct store *s, const char *digest, struct attest_index *ai,
                      struct error *err);

/*
 * The image manifest of this machine's platform in index blob digest (what
 * a name pointing at the index stands for), without reading the
 * attestation manifests.
 */
int attest_index_image(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1],
                       long long *out_size, struct error *err);

/*
 * Brings the attestations of an index read from elsewhere (an OCI layout, a
 * registry) into the store: fetch(arg, digest, size, manifest, err) must
 * store the blob digest (size -1 when unknown; checked against the digest;
 * manifest set for a manifest, which a registry serves apart). When the
 * index (index_json, len bytes) holds image manifest image and, beside
 * it, only attestation manifests about it, they and their blobs are
 * fetched and the index is stored: writes its digest and size and returns
 * 0. Returns 1 (nothing stored) for an index of several images, whose
 * other platforms the store does not get.
 */
typedef int (*attest_index_fetch_fn)(void *arg, const char *digest, long long size, int manifest,
                                     struct error *err);
int attest_index_adopt(struct store *s, const char *index_json, size_t len, const char *image,
                       attest_index_fetch_fn fetch, void *arg, char out_digest[DIGEST_STR_LEN + 1],
                       long long *out_size, struct error *err);

#endif
