#ifndef STRATA_BUILDER_ENGINE_SQUASH_H
#define STRATA_BUILDER_ENGINE_SQUASH_H

/*
 * --squash and --squash-all: several layers of a finished stage made into
 * one. The layers are applied in order to an empty tree (a later file
 * replaces an earlier one, whiteouts delete); the tree becomes the new
 * layer. When layers stay below the squashed ones, the whiteouts and opaque
 * directories that hide their files are kept in the new layer.
 */

#include <stddef.h>

#include "formats/core/error.h"

struct build;
struct stage;

/*
 * Replaces layers [from, n) of st (its manifest layers, diff_ids and
 * config) with one layer, and marks the history entries of those layers
 * empty, adding one entry, created_by `by`, for the new layer. Nothing
 * changes when fewer than two layers are above from.
 */
int squash_stage(struct build *b, struct stage *st, size_t from, const char *by, struct error *err);

#endif
