#ifndef STRATA_BUILDER_ENGINE_STAGE_RUN_H
#define STRATA_BUILDER_ENGINE_STAGE_RUN_H

/*
 * Building one stage: its FROM (scratch, an earlier stage, or an image; the
 * default PATH when the base sets none; the base's ONBUILD triggers), then
 * each instruction through step_exec. The stages it reads must be done.
 *
 * The steps reach back only through the struct step_runner (step.h) passed
 * to step_exec: on a cache miss (a dry stage skips the step; otherwise the
 * lazy stages this and the later steps copy from start building in
 * parallel), and to realize a lazy stage a step reads (build it again,
 * running the steps its dry build skipped).
 */

#include "builder/engine/stage.h"
#include "formats/core/error.h"

struct build;

/*
 * Builds st; on success st->done is set and its state is final. A lazy
 * stage (st->lazy) is built dry: steps found in the cache apply, the others
 * are skipped with their keys computed, so st->key is the key the stage
 * will have; st->pending then says its layers are incomplete.
 */
int stage_run(struct build *b, struct stage *st, struct error *err);

#endif
