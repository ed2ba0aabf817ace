#ifndef STRATA_BUILDER_ENGINE_SCHEDULER_H
#define STRATA_BUILDER_ENGINE_SCHEDULER_H

/*
 * Runs the stages a target needs: those that do not depend on each other in
 * parallel threads (at most one per CPU), each as soon as the stages it reads
 * are done. It knows stages only through the plan and stage_run.
 */

#include "builder/engine/stage.h"
#include "formats/core/error.h"

struct build;

/*
 * Builds every needed stage of b's plan up to target. After the first
 * failure no new stage starts; the running ones finish and that first error
 * is returned. A thread that cannot be created is an error, not an abort.
 */
int scheduler_run(struct build *b, struct stage *target, struct error *err);

#endif
