#ifndef STRATA_BUILDER_OVERLAY_H
#define STRATA_BUILDER_OVERLAY_H

/*
 * overlayfs for build steps: the snapshots of earlier layers are the lower
 * dirs (top-most first), a fresh upper dir collects what the step changes.
 * Mounts are made only inside private mount namespaces, so they vanish with
 * the process that made them, even on kill -9.
 */

#include <stddef.h>

#include "formats/core/error.h"

struct overlay_spec {
    const char *const *lowers; /* snapshot dirs, top-most first; may be empty */
    size_t nlowers;
    const char *upper;   /* empty dir on the store's filesystem */
    const char *work;    /* empty dir on the same filesystem as upper */
    const char *merged;  /* mount point */
    const char *linkdir; /* scratch dir for short lower-dir names (the option string is
                            limited to one page); created if missing */
    int userxattr;       /* use user.overlay.* xattrs (unprivileged, in a user namespace) */
};

/*
 * Mounts the overlay at spec->merged with index, metacopy and redirect_dir
 * off (so the upper dir is a plain diff that layer capture can read). The
 * caller must already be in a private mount namespace.
 */
int overlay_mount(const struct overlay_spec *spec, struct error *err);

/*
 * Forks a child that enters a new private mount namespace, mounts the
 * overlay and calls fn(merged, arg, err) there; the child's error comes back
 * through a pipe. Returns fn's result. Used by COPY/ADD, which write into
 * the merged view so that overlay does the copy-up of parent directories.
 */
int overlay_run(const struct overlay_spec *spec,
                int (*fn)(const char *merged, void *arg, struct error *err), void *arg,
                struct error *err);

#endif
