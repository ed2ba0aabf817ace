#ifndef STRATA_BUILDER_ENGINE_BUILD_H
#define STRATA_BUILDER_ENGINE_BUILD_H

/*
 * `strata build`: recipe -> stages -> steps (cache hit, RUN in the sandbox,
 * COPY/ADD through an overlay, metadata) -> image in the store, tagged.
 */

#include "builder/engine/build_opts.h"
#include "formats/core/error.h"
#include "formats/digest.h"
#include "store/store.h"

/*
 * Runs the build into store s; writes the manifest digest of the result to
 * out (its image ID is index_image_id's), and to *ran_steps whether any step ran (was not a cache
 * hit). A bad recipe fails with an input error before any step runs, and so does a platform whose
 * RUN steps cannot run here (builder/sandbox/binfmt.h).
 *
 * With several platforms, the recipe is built once per platform (the
 * platform ARGs set for each) and the result is an OCI image index of the
 * platforms' images in the order given; out is the index digest, which is
 * also the image's id. A stage that is the same for every platform (FROM
 * --platform=$BUILDPLATFORM, reading no TARGET* ARG) is built once and
 * shared.
 */
int build_run(struct store *s, const struct build_opts *o, char out[DIGEST_STR_LEN + 1],
              int *ran_steps, struct error *err);

#endif
