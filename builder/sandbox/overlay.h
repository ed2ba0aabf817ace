#ifndef STRATA_BUILDER_SANDBOX_OVERLAY_H
#define STRATA_BUILDER_SANDBOX_OVERLAY_H

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
    int volatile_upper;  /* the upper dir is thrown away unless captured, which syncs it:
                            mount with "volatile" (Linux 5.10), so that fsync and sync in
                            the container do not write it out */
};

/* The kernel's limit on lower layers (fs/overlayfs/params.h OVL_MAX_STACK). */
#define OVERLAY_MAX_LOWERS 500

/*
 * A mount worked out in advance: absolute paths, the short lower-dir links
 * and the option string are made (with allocation, in the parent) by
 * overlay_prepare(), so that overlay_mount_prepared() only makes system
 * calls and can run in a child created by a raw clone(). A zeroed struct is
 * empty and may be released.
 */
struct overlay_prep {
    char **lowers; /* absolute lower dirs, top-most first (never empty) */
    size_t nlowers;
    char *upper; /* absolute paths */
    char *work;
    char *merged;
    char *linkdir;
    char *legacy_data; /* mount(2) data naming lowers relative to linkdir, or NULL when
                          the new mount API (fsconfig "lowerdir+") is used */
    int userxattr;     /* spec->userxattr, forced on when not privileged */
    int nosync;        /* spec->volatile_upper; dropped where the kernel lacks it */
    int nodev;         /* 0 from overlay_prepare(); a caller may set it to mount nodev, so
                          device nodes in the rootfs cannot be opened (the sandbox keeps
                          CAP_MKNOD, as Docker does, but has no device cgroup) */
    /* fuse-overlayfs, for where the kernel's overlayfs cannot be mounted (a store on an
       overlayfs, e.g. inside a container): its path and argv, or NULL when it is not
       installed; fuse_only: use it without trying the kernel (STRATA_OVERLAY=fuse) */
    char *fuse_path;
    char **fuse_argv;
    int fuse_only;
};

/*
 * Prepares the mount described by spec: checks the dirs exist, creates
 * linkdir (and in it an empty lower when spec has none) and decides between
 * the new mount API (kernel 6.8+, one fsconfig call per lower, no length
 * limit) and mount(2) with short symlinks linkdir/0, linkdir/1, ... (older
 * kernels, or when STRATA_OVERLAY_LEGACY=1 is set, which the tests use).
 * userxattr is turned on when the caller is not root in the initial user
 * namespace, since trusted.* xattrs are refused there. Fails on more than
 * OVERLAY_MAX_LOWERS lowers (input error) or a missing dir. On failure
 * prep is left empty.
 */
int overlay_prepare(const struct overlay_spec *spec, struct overlay_prep *prep, struct error *err);

/*
 * Mounts a prepared overlay at prep->merged. Makes no heap allocation, so a
 * child of a raw clone() may call it. The caller must already be in a
 * private mount namespace (and a user namespace when not privileged).
 * Fails with the kernel's own message when the new mount API logged one.
 * When the kernel refuses (EINVAL, EPERM, ENODEV, EOPNOTSUPP: e.g. an upper
 * dir on an overlayfs) and fuse-overlayfs is installed, it mounts with
 * fuse-overlayfs instead (needs /dev/fuse); its daemon lives in the
 * caller's namespaces until the mount goes (overlay_unmount, or the end of
 * the namespace). fuse-overlayfs marks every directory it creates opaque,
 * (overlay_fuse_tidy() takes back those the kernel would not have made).
 * Returns 0 for the kernel's overlayfs, 1 for fuse-overlayfs.
 */
int overlay_mount_prepared(const struct overlay_prep *prep, struct error *err);

/*
 * After a fuse-overlayfs mount: removes its opaque marks (xattr and marker
 * files) from the upper dir's directories that no lower dir has, which it
 * marks opaque on creation where the kernel's overlayfs does not, so that
 * layers are the same either way. Works by file descriptor below the upper
 * dir, never following symlinks.
 */
int overlay_fuse_tidy(const struct overlay_prep *prep, struct error *err);

/* Detaches the overlay at prep->merged (ending a fuse-overlayfs daemon); no allocation. */
void overlay_unmount(const struct overlay_prep *prep);

/* Frees what overlay_prepare() allocated (not the links on disk). Accepts NULL. */
void overlay_prep_release(struct overlay_prep *prep);

/*
 * Mounts the overlay at spec->merged with index, metacopy and redirect_dir
 * off (so the upper dir is a plain diff that layer capture can read; with
 * userxattr the kernel wants redirect_dir=nofollow, which also creates no
 * redirects: renaming a lower dir fails with EXDEV and tools copy instead). The
 * caller must already be in a private mount namespace. Same as
 * overlay_prepare() + overlay_mount_prepared() + overlay_prep_release().
 */
int overlay_mount(const struct overlay_spec *spec, struct error *err);

/*
 * Forks a child that enters a new private mount namespace, mounts the
 * overlay and calls fn(merged, arg, err) there; the child's error comes back
 * through a pipe. Returns fn's result. Used by COPY/ADD, which write into
 * the merged view so that overlay does the copy-up of parent directories.
 * When not privileged the child first enters a new user namespace mapping
 * root to the caller. Fails with fn's error, or when the child could not
 * mount, or died without reporting (named with its wait status).
 */
int overlay_run(const struct overlay_spec *spec,
                int (*fn)(const char *merged, void *arg, struct error *err), void *arg,
                struct error *err);

/*
 * overlay_run in a thread of this process that enters a mount namespace of
 * its own (unshare(CLONE_FS | CLONE_NEWNS)), not in a forked child: a COPY
 * step's fork, exit and wait took about 1 ms. fn runs in this process, so it
 * must free what it allocates and may write to memory the caller reads. A
 * process that is not root of its user namespace forks as overlay_run does.
 */
int overlay_run_thread(const struct overlay_spec *spec,
                       int (*fn)(const char *merged, void *arg, struct error *err), void *arg,
                       struct error *err);

#endif
