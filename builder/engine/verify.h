#ifndef STRATA_BUILDER_ENGINE_VERIFY_H
#define STRATA_BUILDER_ENGINE_VERIFY_H

/*
 * `strata verify`: rebuilds an image from the inputs its provenance
 * records (target, build args, compression, SOURCE_DATE_EPOCH, and the base
 * and COPY --from images by manifest digest, copied from the store) with the
 * recipe and context the user gives, in a temporary store (under the
 * store's tmp/, removed at the end), and compares the result with the
 * image: the manifest digest, else the first differing layer (with its
 * step) or config field.
 */

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "store/store.h"

struct verify_opts {
    const char *image;   /* the image to check */
    const char *recipe;  /* --recipe */
    const char *context; /* --context */
};

/*
 * Rebuilds and compares. Writes the verdict ("reproducible: DIGEST" or
 * "not reproducible: WHY") to verdict and returns 0 when reproducible, 1
 * when not; -1 when the rebuild could not be made (no provenance, a
 * missing base image, a failing build).
 */
int verify_run(struct store *s, const struct verify_opts *o, struct buf *verdict,
               struct error *err);

#endif
