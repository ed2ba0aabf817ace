#ifndef STRATA_BUILDER_ENGINE_STEP_H
#define STRATA_BUILDER_ENGINE_STEP_H

/*
 * One recipe instruction of a stage: its cache key, a cache hit, or the work
 * (RUN in the sandbox, COPY/ADD through an overlay, WORKDIR's mkdir, or a
 * config change), then a cache record that makes the next build of the same
 * step a hit. Steps see the build only through struct build (engine.h), and
 * the code that runs their stage only through struct step_runner: they never
 * call back into the stage runner or the scheduler.
 */

#include "builder/engine/engine.h"
#include "builder/engine/stage.h"
#include "builder/recipe/parse.h"
#include "formats/core/error.h"

/*
 * What a step asks of the code that runs its stage (stage_run.c), which
 * passes it to step_exec: what a cache miss means for the stage, and the
 * building of a lazy stage that the step reads.
 */
struct step_runner {
    /*
     * Step in of st missed the cache with key. Returns 1 when the step is
     * skipped (st is built dry, and key becomes its key), 0 when it must run.
     */
    int (*on_miss)(struct build *b, struct stage *st, const struct parse_instr *in,
                   const char *key);
    /* Makes the layers of the lazy stage st real, before a step reads them. */
    int (*realize)(struct build *b, struct stage *st, struct error *err);
};

/* Runs instruction in of stage st, updating st's config, layers and key. */
int step_exec(struct build *b, struct stage *st, const struct parse_instr *in,
              const struct step_runner *run, struct error *err);

#endif
