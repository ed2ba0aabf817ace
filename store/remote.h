#ifndef STRATA_STORE_REMOTE_H
#define STRATA_STORE_REMOTE_H

/*
 * Moving images between the store and an OCI registry (distribution-spec).
 *
 * Push: each blob (layers, then the config) is skipped when the registry has
 * it (HEAD), mounted from another repository of the same registry when the
 * store knows it was pushed to or pulled from there (cross-repository
 * mount), else uploaded (monolithic, or PATCH chunks above the chunk size);
 * then the manifest is PUT byte for byte, so the registry's digest is the
 * store's.
 *
 * Pull: the manifest is fetched with content negotiation; an index (or a
 * manifest list) is kept byte for byte, so the name keeps the registry's
 * digest, and the images of the platforms asked for (this machine's by
 * default, matched as formats/platform.h says) are fetched, each checked
 * against its descriptor; the others stay absent (store/image.h). For each
 * image, the config and
 * every missing layer are staged with blob_writer, checked against their
 * digest, size and (layers) the config's diff_id, and only then committed;
 * a layer blob the store already has is checked against the diff_id too
 * (store/diffid.h), so a manifest cannot borrow another image's layer;
 * the manifest is stored byte for byte and the name is set last. Layers are
 * unpacked lazily, when a build needs them (snapshot_ensure).
 *
 * Where blobs went is remembered in STORE/registry.json
 * ({"sha256:...": ["host/repo", ...]}), rewritten atomically.
 */

#include "formats/core/error.h"
#include "formats/digest.h"
#include "formats/platform.h"
#include "formats/registry.h"
#include "store/store.h"

/*
 * Pushes the image named image (a name or manifest digest) to dest
 * ("host[:port]/repo[:tag]"; without a tag, "latest"). Progress lines go to
 * o->progress. Writes the manifest digest to out_digest. A malformed dest or
 * an unknown image is an input error (exit 2); registry failures exit 1.
 */
int remote_push(struct store *s, const char *image, const char *dest, const struct registry_opts *o,
                char out_digest[DIGEST_STR_LEN + 1], struct error *err);

/* Which images of an index a pull fetches. */
struct remote_platforms {
    const struct platform *v; /* the platforms; n == 0 and !all: this machine's */
    size_t n;
    int all; /* every image of the index */
};

/*
 * Pulls ref, an image reference (formats/reference.h), into the store and
 * names it name (NULL: the full name pulled, "docker.io/library/debian:12").
 * When ref is an index, want (NULL: this machine's platform) says which of
 * its images to fetch; a platform it has no image for is an error listing
 * the platforms it has.
 * A short name is tried as its registries.conf alias, else under each
 * unqualified-search-registries entry (docker.io when there is none); each
 * full name is tried at the mirrors of its [[registry]] in order, then at
 * the registry itself (formats/registries_conf.h). The first that works
 * wins; when all fail the error lists each source and why. Writes the
 * manifest digest to out_digest.
 */
int remote_pull(struct store *s, const char *ref, const char *name,
                const struct remote_platforms *want, const struct registry_opts *o,
                char out_digest[DIGEST_STR_LEN + 1], struct error *err);

/* When a build (or strata pull) fetches an image (buildah's and docker's --pull). */
enum remote_pull_policy {
    REMOTE_PULL_MISSING = 0, /* only when not in the store (the default) */
    REMOTE_PULL_ALWAYS,      /* every time (the registry's image replaces the stored one) */
    REMOTE_PULL_NEVER,       /* never: a missing image is an error */
};

/* Parses missing, always (or true), never (or false for missing). Input error otherwise. */
int remote_pull_policy_parse(const char *v, enum remote_pull_policy *out, struct error *err);

/*
 * The image name refers to for platform (NULL: this machine's), per policy:
 * looked up in the store (index_lookup: every spelling of a stored name),
 * pulled with remote_pull when missing (or always), and also when the
 * stored index lacks that platform's image. A localhost/ name, a digest and
 * an image id are never pulled. Writes the manifest digest (of the
 * platform's image when name is an index) to out_digest. A missing image
 * is a runtime error (exit 1) naming the store; a malformed name an input
 * error.
 */
int remote_get_image(struct store *s, const char *name, enum remote_pull_policy policy,
                     const struct platform *platform, const struct registry_opts *o,
                     char out_digest[DIGEST_STR_LEN + 1], struct error *err);

#endif
