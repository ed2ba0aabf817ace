#ifndef STRATA_BUILDER_ENGINE_PLATFORMS_H
#define STRATA_BUILDER_ENGINE_PLATFORMS_H

/*
 * The platform side of a build, decided after the plans are read and before
 * any step runs:
 * - each needed stage's platform: its FROM --platform (expanded with the
 *   global ARGs: $BUILDPLATFORM, $TARGETPLATFORM, ...), else the platform of
 *   the stage it is FROM, else the platform the build makes;
 * - with several platforms, which stages are the same in every platform's
 *   build and so are built once (by the first build that needs them) and
 *   shared: same platform, same base, same dependencies (themselves
 *   shared), and every ARG the stage declares without a default has the
 *   same global value (a stage that declares ARG TARGETARCH differs). This
 *   is how a `FROM --platform=$BUILDPLATFORM` cross-compile stage runs once,
 *   natively, for every target;
 * - the labels that tell the platforms apart in the progress output
 *   ("[linux/arm64 build 2/5]");
 * - that every platform whose RUN steps run here can: natively or through a
 *   binfmt_misc handler (builder/sandbox/binfmt.h).
 */

#include <stddef.h>

#include "builder/engine/engine.h"
#include "formats/core/error.h"

/*
 * Prepares builds[0..n) (plans read, needed stages marked) as said above. A FROM --platform that is
 * not a platform is an input error naming file:line:col; a platform that cannot run is a runtime
 * error saying what to install.
 */
int platforms_prepare(struct build *builds, size_t n, struct error *err);

/* Whether st (of b) runs any RUN step of its own recipe lines. */
int platforms_stage_runs(const struct build *b, const struct stage *st);

#endif
