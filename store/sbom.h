#ifndef STRATA_STORE_SBOM_H
#define STRATA_STORE_SBOM_H

/*
 * An SPDX 2.3 SBOM of an image of the store, made from the package
 * databases in its layers (formats/pkgdb.h: dpkg, apk; rpm's sqlite
 * database through formats/sqlite_ro.h), without running
 * anything from the image. Each layer's snapshot is read inside its own
 * root (openat2 RESOLVE_IN_ROOT), regular files only. A package is
 * attributed to the first layer whose copy of its database lists it with
 * its final version: the layer that installed (or last upgraded) it.
 * rpm's older Berkeley DB databases are named in a warning, not read.
 */

#include <cjson/cJSON.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "store/store.h"

struct sbom_opts {
    const char *name;           /* image name for the document (NULL: the digest) */
    long long created;          /* document time (SOURCE_DATE_EPOCH when set) */
    const struct strvec *steps; /* per layer: the step that made it, or NULL */
};

/*
 * Makes the SBOM of the image whose manifest is digest (its snapshots are
 * unpacked when missing). Returns the document, or NULL with err set (a
 * malformed database is an input error naming the layer and the line).
 */
cJSON *sbom_generate(struct store *s, const char *digest, const struct sbom_opts *o,
                     struct error *err);

#endif
