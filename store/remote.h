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
 * Pull: the manifest is fetched with content negotiation (an index or a
 * manifest list resolves to linux/<this machine's arch>); the config and
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

/*
 * Pulls ref ("host[:port]/repo[:tag][@digest]") into the store and names it
 * name (NULL: ref in full form, "host/repo:tag"). Writes the manifest digest
 * to out_digest. For the build: call it when a FROM image is missing and
 * registry_ref_is_remote(name) holds.
 */
int remote_pull(struct store *s, const char *ref, const char *name, const struct registry_opts *o,
                char out_digest[DIGEST_STR_LEN + 1], struct error *err);

#endif
