#ifndef STRATA_BUILDER_ENGINE_IMAGEOPTS_H
#define STRATA_BUILDER_ENGINE_IMAGEOPTS_H

/*
 * What the image-shaping options of docker build and podman build do to a
 * build (strata-build(1)): --build-context (named contexts), --timestamp,
 * and for the final image --label, --annotation, --squash, --squash-all and
 * --format.
 */

#include "formats/core/error.h"
#include "formats/digest.h"

struct build;
struct stage;

/*
 * --build-context NAME=VALUE, before the first step: a directory is stored
 * as a one-layer image (its files owned by root, created at time 0 so that
 * the same files give the same image), docker-image://REF names that image.
 * Fills b->named.
 */
int imageopts_named_prepare(struct build *b, struct error *err);

/*
 * The image a FROM or --from name stands for when it is a named context:
 * a manifest digest ("sha256:...", in the store, never pulled) or an image
 * reference; NULL when name is not one.
 */
const char *imageopts_named_ref(const struct build *b, const char *name);

/*
 * --timestamp: mixes the time into a stage's starting cache key, so that
 * steps built with one time are never reused by a build with another (or
 * none).
 */
void imageopts_salt_key(const struct build *b, char key[DIGEST_STR_LEN + 1]);

/* --timestamp: sets the time of every entry below dir (a step's upper dir) and of dir. */
int imageopts_set_times(const struct build *b, const char *dir, struct error *err);

/*
 * The final image: --label into the config, --squash/--squash-all, then
 * --format (docker: Docker media types for the manifest, config and layers,
 * zstd layers stored again as gzip; oci: a warning for each instruction OCI
 * consumers ignore), then --annotation on the manifest.
 */
int imageopts_finish(struct build *b, struct stage *st, struct error *err);

#endif
