#ifndef STRATA_BUILDER_RECIPE_SUGGEST_H
#define STRATA_BUILDER_RECIPE_SUGGEST_H

/*
 * "Did you mean ...?" for a mistyped instruction, flag or --mount key:
 * the closest known name by edit distance (Levenshtein, ASCII case
 * ignored), as BuildKit's util/suggest offers one.
 */

#include <stddef.h>

/*
 * Returns the name of names (n of them) closest to word, when it is at
 * most limit edits away; NULL otherwise (ties go to the first). Names of
 * 32 bytes or more, and words over 64, are never close.
 */
const char *suggest_pick(const char *word, const char *const *names, size_t n, size_t limit);

#endif
