#ifndef STRATA_BUILDER_RECIPE_PARSE_FLAGS_H
#define STRATA_BUILDER_RECIPE_PARSE_FLAGS_H

/*
 * Typed instruction flags (struct parse_flags in instr.h): the one place
 * where flag strings, and RUN --mount values in particular, are taken apart.
 */

#include <stddef.h>

#include "builder/recipe/instr.h"
#include "formats/core/error.h"

/*
 * Fills in->f from in->flags (in->kind must be set). file names the recipe
 * and text (len bytes) is its source, for error messages quoting the line.
 * On failure in->f may be partly filled; it is released with the
 * instruction.
 */
int parse_flags_type(const char *file, const char *text, size_t len, struct parse_instr *in,
                     struct error *err);

/* Frees what f owns. Accepts a zeroed f. */
void parse_flags_release(struct parse_flags *f);

#endif
