#ifndef STRATA_BUILDER_ENGINE_SCRATCH_H
#define STRATA_BUILDER_ENGINE_SCRATCH_H

/*
 * A step's scratch directory (under the store's tmp/, so its upper dir can
 * become a snapshot by rename): root/{upper,work,merged,links} for an overlay
 * whose lower dirs are layer snapshots, top-most first.
 */

#include "builder/sandbox/overlay.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"

struct build;
struct stage;

struct scratch {
    char *root;
    char *upper, *work, *merged, *links;
    struct strvec lowers; /* snapshot paths, top-most first */
};

/* Makes root (taken over, malloc'ed) and its four subdirectories; lowers start empty. */
int scratch_init(struct scratch *d, char *root, struct error *err);

/* A new scratch dir in the store's tmp/ whose lowers are stage st's layers. */
int scratch_make(struct build *b, const struct stage *st, struct scratch *d, struct error *err);

/*
 * Makes sure every layer of st is unpacked (fetching blobs from --cache-from
 * sources when needed) and appends their snapshot paths to out, top-most
 * first: the lower dirs of an overlay of st.
 */
int scratch_lowers(struct build *b, const struct stage *st, struct strvec *out, struct error *err);

/* The overlay of d: its lowers under its upper, mounted on its merged dir. */
void scratch_overlay(const struct scratch *d, struct overlay_spec *o);

/* Frees d's strings and lowers; the directories stay (the caller removes root). */
void scratch_forget(struct scratch *d);

/* Removes d's directory tree (registered tmp path) and frees d. Accepts a zeroed d. */
void scratch_release(struct scratch *d);

#endif
