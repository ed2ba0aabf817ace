#ifndef STRATA_BUILDER_ENGINE_BUILD_CHECK_H
#define STRATA_BUILDER_ENGINE_BUILD_CHECK_H

/*
 * Build checks in a build (BuildKit's lint rules, builder/recipe/checks.h):
 * every build runs them on the stages it builds and warns about what they
 * find, with file:line; `# check=error=true` (or the build arg
 * BUILDKIT_DOCKERFILE_CHECK) makes a violation fail the build before any
 * step runs. `strata build --check` runs them on every stage and builds
 * nothing.
 */

#include "builder/engine/build_opts.h"
#include "formats/core/error.h"
#include "store/store.h"

struct build;

/*
 * The checks of build b (plan read, context open, needed stages marked):
 * prints each warning. Fails with an input error on a bad check option, and
 * with "FILE:LINE: lint violation found for rules: ..." when violations are
 * to fail the build.
 */
int build_check_plan(struct build *b, struct error *err);

/*
 * strata build --check: reads the recipe and context of o and runs the
 * checks on every stage (or what --target needs), printing each warning
 * with the rule's description and URL. Returns 0 when nothing was found,
 * -1 with an error saying how many warnings there were (exit 1), or an
 * input error for a recipe that does not parse.
 */
int build_check(struct store *s, const struct build_opts *o, struct error *err);

#endif
