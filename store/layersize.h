#ifndef STRATA_STORE_LAYERSIZE_H
#define STRATA_STORE_LAYERSIZE_H

/*
 * The unpacked size of layer blobs: the bytes of the uncompressed tar, what
 * podman counts as a layer's size (and what `images`, `history` and
 * `inspect` show). Measuring means decompressing the blob, so each result is
 * remembered in STORE/cache/layer-sizes, one "<blob hex> <bytes>" line per
 * blob, appended under O_APPEND; a blob's digest fixes its bytes, so a line
 * is true forever. Lines that do not parse are ignored (a torn append after
 * a crash costs one more measurement).
 */

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "store/store.h"

struct layersize {
    struct buf text; /* the file as read */
    int loaded;
};

#define LAYERSIZE_INIT                                                                             \
    {                                                                                              \
        BUF_INIT, 0                                                                                \
    }

/*
 * Writes the uncompressed size of layer blob digest to *out: from the file
 * (read once into m), else by decompressing the blob, then remembered.
 * Fails when the blob is missing or its data is corrupt.
 */
int layersize_get(struct layersize *m, const struct store *s, const char *digest, long long *out,
                  struct error *err);

void layersize_release(struct layersize *m);

#endif
