#ifndef STRATA_BUILDER_ENGINE_BLAME_H
#define STRATA_BUILDER_ENGINE_BLAME_H

/*
 * `strata blame`: which step of the recipe made a file of an image. Each
 * layer of the image is matched with the step record that made it (the
 * steps the image's provenance names, else the records whose layer is
 * that layer); each layer's snapshot is looked at inside its own root
 * (openat2 RESOLVE_IN_ROOT). A path is changed by a layer that has it and
 * deleted by one that has a whiteout for it or a parent, or an opaque
 * parent without it (image-spec layer.md, "Whiteouts").
 */

#include <cjson/cJSON.h>
#include <stdio.h>

#include "formats/core/error.h"
#include "store/image.h"
#include "store/store.h"

struct blame_layer {
    const char *digest;
    long long size;
    char *created_by; /* the history entry */
    cJSON *rec;       /* the step record that made it, or NULL (a base image's layer) */
    int root;         /* the snapshot, O_RDONLY|O_DIRECTORY */
};

struct blame {
    struct image img;
    struct blame_layer *layers;
    size_t n;
    char *recipe; /* the recipe path the provenance names, or NULL */
};

/* Opens the image ref of s for blame (its snapshots are unpacked when missing). */
int blame_open(struct store *s, const char *ref, struct blame *b, struct error *err);
void blame_release(struct blame *b);

/*
 * Writes the blame of path (absolute in the image) to out: the layer and
 * step that last changed it, the instruction and its recipe line, the input
 * it came from, and whether a later step deleted it; with all, every layer
 * that touched it. Returns 0, 1 when no layer has path (reported on out).
 */
int blame_path(const struct blame *b, const char *path, int all, FILE *out, struct error *err);

/* Writes the n largest files of the image with the step that made each. */
int blame_largest(const struct blame *b, size_t n, FILE *out, struct error *err);

#endif
