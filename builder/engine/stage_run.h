#ifndef STRATA_BUILDER_ENGINE_STAGE_RUN_H
#define STRATA_BUILDER_ENGINE_STAGE_RUN_H

/*
 * Building one stage: its FROM (scratch, an earlier stage, or an image; the
 * default PATH when the base sets none; the base's ONBUILD triggers), then
 * each instruction through step_exec. The stages it reads must be done.
 */

#include "builder/engine/stage.h"
#include "formats/core/error.h"

/* Builds st; on success st->done is set and its state is final. */
int stage_run(struct build *b, struct stage *st, struct error *err);

#endif
