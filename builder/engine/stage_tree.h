#ifndef STRATA_BUILDER_ENGINE_STAGE_TREE_H
#define STRATA_BUILDER_ENGINE_STAGE_TREE_H

/*
 * The content of a path in a built stage's file tree, for cache keys that
 * depend on what a step reads of a stage rather than on how the stage was
 * made (RUN --mount=from=STAGE,source=DIR, as BuildKit keys it).
 */

#include "builder/engine/cachekey.h"
#include "builder/engine/stage.h"
#include "formats/core/error.h"

struct build;

/*
 * Hashes path src (stage-root relative, cleaned: "out", "usr/lib" or ".") of
 * the tree of st (built, its layers final) the way context_hash hashes a
 * context path: names, types, permission bits, sizes, contents, link
 * targets. The result goes into k as one "stage-tree" entry. The tree is
 * read through an overlay of st's layers in a child process. Fails when src
 * is missing in st or the overlay cannot be made.
 */
int stage_tree_hash(struct build *b, const struct stage *st, const char *src, struct cachekey *k,
                    struct error *err);

#endif
