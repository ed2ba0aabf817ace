#ifndef STRATA_BUILDER_ENGINE_STAGE_RUN_H
#define STRATA_BUILDER_ENGINE_STAGE_RUN_H

/*
 * Building one stage: its FROM (scratch, an earlier stage, or an image; the
 * default PATH when the base sets none; the base's ONBUILD triggers), then
 * each instruction through step_exec. The stages it reads must be done.
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

/*
 * Makes a pending stage's layers real by building it again, this time
 * running the steps the dry build skipped (its state is swapped in whole
 * at the end, under one lock for the whole build, so readers of its key
 * never see a half-built stage). Nothing to do when st is not pending.
 */
int stage_realize(struct build *b, struct stage *st, struct error *err);

/*
 * Called when step in of st missed the cache. In a dry stage the step is
 * skipped, with key as the stage's new key: returns 1. Otherwise returns 0
 * (the step must run), after starting to realize, in parallel, the lazy
 * stages that this and the later steps of st copy from.
 */
int stage_on_miss(struct build *b, struct stage *st, const struct parse_instr *in, const char *key);

#endif
