#ifndef STRATA_STORE_IMAGEDIFF_H
#define STRATA_STORE_IMAGEDIFF_H

/*
 * What differs between two images of a store: files (added, deleted,
 * modified and how: content, mode, owner, mtime, link target, type), config
 * fields, and layers (with the step that made each). Layers shared by both
 * images are read once.
 */

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "store/image.h"
#include "store/store.h"

/*
 * Appends one line per difference between a and b to out (files first,
 * sorted by path: "A /path", "D /path", "M /path (...)"; then "config: ...",
 * then "layer N: ..."); nothing when they are the same image. Fails when a
 * layer blob cannot be read.
 */
int imagediff_images(const struct store *s, const struct image *a, const struct image *b,
                     struct strvec *out, struct error *err);

#endif
