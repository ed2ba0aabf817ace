#ifndef STRATA_BUILDER_ENGINE_COPY_H
#define STRATA_BUILDER_ENGINE_COPY_H

/*
 * COPY/ADD file operations (Dockerfile reference, "COPY"): sources from a
 * root (the build context, or another stage's rootfs) into a destination
 * inside an image rootfs. Destination paths are resolved inside the rootfs
 * (its symlinks are followed as if it were "/"), so nothing outside it is
 * written.
 */

#include <sys/types.h>

#include "builder/engine/context.h"
#include "builder/recipe/dockerignore.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"

struct copy_job {
    int src_root;                       /* directory fd the sources are relative to */
    const struct context *ignore;       /* context whose ignore file filters the sources, or NULL */
    const struct strvec *sources;       /* cleaned relative paths (wildcards already expanded) */
    const char *dest;                   /* absolute path in the image */
    int dest_is_dir;                    /* dest ended with '/' or there are several sources */
    const char *chown;                  /* "user[:group]" or NULL for 0:0 */
    long chmod;                         /* permission bits, or -1 to keep the sources' */
    int extract;                        /* ADD: unpack local tar archives instead of copying */
    const struct dockerignore *exclude; /* --exclude patterns, or NULL */
    int parents;                        /* --parents: keep each source's parent directories */
    int keep_owner;                     /* sources keep their uid:gid (COPY --from) unless chown */
};

/*
 * Copies per the Dockerfile rules: a directory's contents (not the directory
 * itself) go into dest; a file goes to dest, or into it when dest is a
 * directory. Owners are 0:0 or --chown for everything created, including
 * missing parent directories; modes and mtimes come from the sources.
 */
int copy_run(int rootfd, const struct copy_job *job, struct error *err);

/*
 * Creates directory path (absolute, inside the rootfs at rootfd) and its
 * missing parents, mode 0755, owned by user (resolved in the rootfs; NULL or
 * "" is root). Existing directories are left as they are.
 */
int copy_mkdir_p(int rootfd, const char *path, const char *user, struct error *err);

#endif
