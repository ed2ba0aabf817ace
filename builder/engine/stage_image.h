#ifndef STRATA_BUILDER_ENGINE_STAGE_IMAGE_H
#define STRATA_BUILDER_ENGINE_STAGE_IMAGE_H

/*
 * A stage that starts from an image (FROM IMAGE), and the images that COPY
 * --from=IMAGE and RUN --mount from=IMAGE read, which are loaded as stages
 * of their own. The pulls of a build are shared by all its platforms' builds
 * (engine.h, struct build_pull).
 */

#include "builder/engine/stage.h"
#include "formats/core/error.h"

struct build;

/*
 * Loads image ref as the starting state of st (its layers, config and key;
 * the manifest digest becomes st->base): the image for st->platform (the
 * build's platform when st has none), picked from an index, pulled first
 * when the store lacks it and its name is a registry's, once per build and
 * platform even when stages ask at the same time. Fails when the image is
 * missing or cannot be read, or (for a stage's FROM, not COPY --from) is a
 * single image of a platform that st->platform does not run.
 */
int stage_image_load(struct build *b, struct stage *st, const char *ref, struct error *err);

#endif
