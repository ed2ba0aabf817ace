#ifndef STRATA_BUILDER_ENGINE_STEP_H
#define STRATA_BUILDER_ENGINE_STEP_H

/*
 * One recipe instruction of a stage: its cache key, a cache hit, or the work
 * (RUN in the sandbox, COPY/ADD through an overlay, WORKDIR's mkdir, or a
 * config change), then a cache record that makes the next build of the same
 * step a hit. Steps see the build only through struct build (engine.h) and
 * never call back into the scheduler.
 */

#include "builder/engine/engine.h"
#include "builder/engine/stage.h"
#include "builder/recipe/parse.h"
#include "formats/core/error.h"

/* Runs instruction in of stage st, updating st's config, layers and key. */
int step_exec(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err);

#endif
