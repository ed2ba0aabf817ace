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

/*
 * --chmod (Dockerfile reference, "COPY --chmod"): an octal mode, or since
 * Dockerfile 1.14 a symbolic one as chmod(1) takes it ("u=rw,g=r,o=r",
 * "go-w", "a+X"), applied to each file's own mode.
 */
struct copy_chmod {
    int kind; /* 0: none (keep the sources' modes), 1: octal, 2: symbolic */
    mode_t octal;
    char sym[128];
};

/*
 * Parses --chmod's value into out. Fails (input error, BuildKit's message)
 * on anything that is neither octal up to 07777 nor a symbolic mode.
 */
int copy_chmod_parse(const char *s, struct copy_chmod *out, struct error *err);

/* The mode a file of mode src (type bits included) gets under c. */
mode_t copy_chmod_apply(const struct copy_chmod *c, mode_t src);

struct copy_job {
    int src_root;                       /* directory fd the sources are relative to */
    const struct context *ignore;       /* context whose ignore file filters the sources, or NULL */
    const struct strvec *sources;       /* cleaned relative paths (wildcards already expanded) */
    const char *dest;                   /* absolute path in the image */
    int dest_is_dir;                    /* dest ended with '/' or there are several sources */
    const char *chown;                  /* "user[:group]" or NULL for 0:0 */
    struct copy_chmod chmod;            /* --chmod; also the mode of directories made */
    int extract;                        /* ADD: unpack local tar archives instead of copying */
    const struct dockerignore *exclude; /* --exclude patterns, or NULL */
    int parents;                        /* --parents: keep each source's parent directories */
    const size_t *pivots;               /* --parents: leading path components of each source
                                           that the destination leaves out (its "/./"), or NULL */
    int keep_owner;                     /* sources keep their uid:gid (COPY --from) unless chown */
    int glob;                           /* sources may hold wildcards, expanded here (--from) */
    int upper;                          /* the overlay's upper dir, or -1 (see copy_run) */
    const char *merged;                 /* the overlay's mount point (rootfd), with upper */
};

/*
 * Copies per the Dockerfile rules: a directory's contents (not the directory
 * itself) go into dest; a file goes to dest, or into it when dest is a
 * directory (or several sources were given or matched). With job->glob,
 * wildcards in the sources are expanded against src_root first; one that
 * matches nothing is skipped, as BuildKit allows empty wildcards. Owners are
 * 0:0 or --chown for everything created, including missing parent
 * directories, which also get --chmod; modes and mtimes come from the
 * sources. A destination through a symlink is made where the link points,
 * inside the rootfs. Sockets become empty regular files, as BuildKit's
 * context transfer makes them.
 *
 * rootfd is the merged dir of an overlay whose upper dir is job->upper (or
 * -1 when there is none): a destination directory that is empty both there
 * and in the merged view is filled directly in the upper dir, where nothing
 * can be in the way, without a trip through overlayfs for each file.
 */
int copy_run(int rootfd, const struct copy_job *job, struct error *err);

/*
 * Adds to out the paths below root (relative, sorted, each once) that
 * pattern names, a relative path whose components may hold the wildcards
 * *, ? and [...], or be "**" (any number of directories, none included),
 * as COPY --parents patterns are written. A pattern without wildcards
 * names itself when it exists.
 */
void copy_glob_paths(int root, const char *pattern, struct strvec *out);

/*
 * COPY --parents SRC (Dockerfile 1.20): SRC up to a "/./" is where the copy
 * starts, the rest is kept below the destination. Returns SRC cleaned (the
 * pivot dropped; a new string, NULL with an input error when it leaves
 * the root) and the number of its leading components not kept in *pivot.
 */
char *copy_parents_source(const char *src, size_t *pivot, struct error *err);

/*
 * Creates directory path (absolute, inside the rootfs at rootfd) and its
 * missing parents, mode 0755, owned by user (resolved in the rootfs; NULL or
 * "" is root). Existing directories are left as they are.
 */
int copy_mkdir_p(int rootfd, const char *path, const char *user, struct error *err);

#endif
