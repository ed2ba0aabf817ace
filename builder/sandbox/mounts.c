/*
 * RUN --mount sources (sandbox.h, struct sandbox_mount). Each source is
 * resolved inside its own tree with openat2(RESOLVE_IN_ROOT), so a symlink a
 * stage or a context planted (hostroot -> /, up -> ../../..) resolves in
 * that tree and never on the host; the result is then mounted from its file
 * descriptor (open_tree(OPEN_TREE_CLONE) and move_mount), so no path is
 * looked up a second time.
 *
 * Who does what:
 * - BIND, privileged: the parent resolves the source and clones it into a
 *   detached mount before clone(); the child only attaches it.
 * - BIND, rootless: a tree can only be cloned from the caller's own mount
 *   namespace (open_tree gives EINVAL otherwise), and a rootless parent may
 *   not clone in its own. The child reopens the tree's root by the name the
 *   kernel gives the parent's fd (no symlinks allowed), refuses it unless it
 *   is the same inode, and resolves the source inside it.
 * - OVERLAY: the child mounts the overlay in its private namespace (never
 *   on the host), opens its root and resolves the source inside it.
 * - FILE: the child mounts a small tmpfs on a scratch dir of its private
 *   namespace, copies data_fd into a file there and binds that file, so a
 *   secret is never written to a disk.
 * - TMPFS: a fresh tmpfs.
 * The child part makes no allocation (it runs after a raw clone()).
 */
#include "builder/sandbox/sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

#define MOUNTS_RO_ATTRS                                                                            \
    (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

static int
mounts_openat2(int dirfd, const char *path, int flags, unsigned long long resolve)
{
    struct open_how how;
    int fd, tries = 0;

    memset(&how, 0, sizeof(how));
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.resolve = resolve;
    /* openat2(2): EAGAIN when a rename raced with a RESOLVE_IN_ROOT walk */
    do
        fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    while (fd < 0 && errno == EAGAIN && ++tries < 16);
    return fd;
}

static unsigned
mounts_attrs(const struct sandbox_mount *m)
{
    return MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m->readonly ? MOUNT_ATTR_RDONLY : 0);
}

static const char *
mounts_path(const char *path)
{
    return path && *path ? path : ".";
}

/*
 * Resolves path inside the tree of rootfd (as if rootfd were "/") and
 * returns a detached copy of the mount tree there, with attrs set on all of
 * it; *is_dir tells what it is. Only directories and regular files.
 */
static int
mounts_clone(int rootfd, const char *path, unsigned attrs, int *is_dir, const char *target,
             struct error *err)
{
    struct mount_attr ma;
    struct stat st;
    int fd = mounts_openat2(rootfd, mounts_path(path), O_PATH,
                            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS),
        mfd;

    if (fd < 0)
        return error_set(err, errno, "RUN --mount %s: source %s", target, mounts_path(path));
    if (fstat(fd, &st) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
        int e = errno;
        close(fd);
        return e ? error_set(err, e, "RUN --mount %s: source %s", target, mounts_path(path))
                 : error_input(err, "RUN --mount %s: source %s is not a file or directory", target,
                               mounts_path(path));
    }
    *is_dir = S_ISDIR(st.st_mode);
    mfd = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    close(fd);
    if (mfd < 0)
        return error_set(err, errno, "RUN --mount %s: clone source %s", target, mounts_path(path));
    memset(&ma, 0, sizeof(ma));
    ma.attr_set = attrs;
    if (mount_setattr(mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma)) < 0) {
        int e = errno;
        close(mfd);
        return error_set(err, e, "RUN --mount %s: set attributes", target);
    }
    return mfd;
}

/* ---- parent ----------------------------------------------------------- */

static int
mounts_prepare_bind(const struct sandbox_plan *plan, const struct sandbox_mount *m,
                    struct sandbox_src *s, struct error *err)
{
    char link[64];
    struct stat st;
    ssize_t n;
    int fd;

    if (plan->privileged) {
        s->mfd = mounts_clone(m->root_fd, m->path, mounts_attrs(m), &s->is_dir, m->target, err);
        return s->mfd < 0 ? -1 : 0;
    }
    /* rootless: the child clones (see the top of this file); learn the type now */
    fd = mounts_openat2(m->root_fd, mounts_path(m->path), O_PATH,
                        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return error_set(err, e, "RUN --mount %s: source %s", m->target, mounts_path(m->path));
    }
    close(fd);
    s->is_dir = S_ISDIR(st.st_mode);
    if (fstat(m->root_fd, &st) < 0)
        return error_set(err, errno, "RUN --mount %s: source tree", m->target);
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", m->root_fd);
    n = readlink(link, s->root, sizeof(s->root) - 1);
    if (n <= 0 || (size_t)n >= sizeof(s->root) - 1)
        return error_set(err, n < 0 ? errno : ENAMETOOLONG, "RUN --mount %s: source tree",
                         m->target);
    s->root[n] = '\0';
    if (s->root[0] != '/')
        return error_set(err, 0, "RUN --mount %s: its source tree has no path (%s)", m->target,
                         s->root);
    return 0;
}

/* The tmpfs of the FILE mounts: a mount point in the scratch dir, and a size that fits them. */
static int
mounts_prepare_files(struct sandbox_plan *plan, long long bytes, size_t nfiles, struct error *err)
{
    cleanup_free char *linkdir = realpath(plan->spec->overlay.linkdir, NULL);

    if (!linkdir)
        return error_set(err, errno, "sandbox scratch dir %s", plan->spec->overlay.linkdir);
    if ((size_t)snprintf(plan->files_dir, sizeof(plan->files_dir), "%s/files", linkdir) >=
        sizeof(plan->files_dir))
        return error_input(err, "sandbox scratch dir path too long");
    if (mkdir(plan->files_dir, 0700) < 0 && errno != EEXIST)
        return error_set(err, errno, "mkdir %s", plan->files_dir);
    /* a page per file at least, and room for the directory */
    snprintf(plan->files_size, sizeof(plan->files_size), "mode=0700,size=%lld",
             bytes + (long long)(nfiles + 1) * 4096);
    return 0;
}

int
sandbox_mounts_prepare(struct sandbox_plan *plan, struct error *err)
{
    const struct sandbox_spec *spec = plan->spec;
    long long bytes = 0;
    size_t i, nfiles = 0;

    plan->src = xcalloc(spec->nmounts ? spec->nmounts : 1, sizeof(*plan->src));
    for (i = 0; i < spec->nmounts; i++)
        plan->src[i].mfd = -1;
    for (i = 0; i < spec->nmounts; i++) {
        const struct sandbox_mount *m = &spec->mounts[i];
        struct sandbox_src *s = &plan->src[i];
        struct stat st;
        switch (m->kind) {
        case SANDBOX_MOUNT_BIND:
            if (mounts_prepare_bind(plan, m, s, err) < 0)
                return -1;
            break;
        case SANDBOX_MOUNT_TMPFS:
            s->is_dir = 1;
            break;
        case SANDBOX_MOUNT_OVERLAY:
            s->is_dir = !m->file;
            break;
        case SANDBOX_MOUNT_FILE:
            if (fstat(m->data_fd, &st) < 0)
                return error_set(err, errno, "RUN --mount %s", m->target);
            bytes += st.st_size;
            nfiles++;
            break;
        }
    }
    return nfiles ? mounts_prepare_files(plan, bytes, nfiles, err) : 0;
}

void
sandbox_mounts_release(struct sandbox_plan *plan)
{
    size_t i;

    for (i = 0; plan->src && i < plan->spec->nmounts; i++)
        if (plan->src[i].mfd >= 0)
            close(plan->src[i].mfd);
    free(plan->src);
    plan->src = NULL;
}

/* ---- child ------------------------------------------------------------ */

static int
mounts_check_type(int mfd, int is_dir, const struct sandbox_src *s, const char *target,
                  struct error *err)
{
    if (mfd < 0 || is_dir == s->is_dir)
        return mfd;
    close(mfd);
    return error_set(err, 0, "RUN --mount %s: the source changed from %s to %s during the build",
                     target, s->is_dir ? "a directory" : "a file",
                     is_dir ? "a directory" : "a file");
}

static int
mounts_child_bind(const struct sandbox_mount *m, const struct sandbox_src *s, struct error *err)
{
    struct stat st;
    int root, mfd, is_dir;

    if (s->mfd >= 0)
        return s->mfd;
    root = mounts_openat2(AT_FDCWD, s->root, O_PATH | O_DIRECTORY,
                          RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (root < 0)
        return error_set(err, errno, "RUN --mount %s: reopen %s", m->target, s->root);
    if (fstat(root, &st) < 0 || st.st_dev != s->dev || st.st_ino != s->ino) {
        close(root);
        return error_set(err, 0, "RUN --mount %s: %s was replaced during the build", m->target,
                         s->root);
    }
    mfd = mounts_clone(root, m->path, mounts_attrs(m), &is_dir, m->target, err);
    close(root);
    return mounts_check_type(mfd, is_dir, s, m->target, err);
}

static int
mounts_child_overlay(const struct sandbox_mount *m, const struct sandbox_src *s, struct error *err)
{
    int root, mfd, is_dir;

    if (overlay_mount_prepared(m->prep, err) < 0)
        return -1;
    root = mounts_openat2(AT_FDCWD, m->prep->merged, O_PATH | O_DIRECTORY,
                          RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (root < 0)
        return error_set(err, errno, "RUN --mount %s: open %s", m->target, m->prep->merged);
    mfd = mounts_clone(root, m->path, mounts_attrs(m), &is_dir, m->target, err);
    close(root);
    return mounts_check_type(mfd, is_dir, s, m->target, err);
}

/* The tmpfs for the FILE mounts, mounted on its scratch dir; returns a dir fd on it. */
static int
mounts_child_files_root(const struct sandbox_plan *plan, struct error *err)
{
    int dfd = mounts_openat2(AT_FDCWD, plan->files_dir, O_PATH | O_DIRECTORY,
                             RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS),
        rc;

    if (dfd < 0)
        return error_set(err, errno, "open %s", plan->files_dir);
    rc = sandbox_rootfs_mount_new("tmpfs", plan->files_size,
                                  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, dfd,
                                  "the tmpfs for RUN --mount files", err);
    close(dfd);
    if (rc < 0)
        return -1;
    /* the same name now leads to the root of the new tmpfs */
    dfd = mounts_openat2(AT_FDCWD, plan->files_dir, O_RDONLY | O_DIRECTORY,
                         RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    return dfd < 0 ? error_set(err, errno, "open %s", plan->files_dir) : dfd;
}

static int
mounts_copy(int in, int out, const char *target, struct error *err)
{
    char buf[4096];
    off_t off = 0;

    for (;;) {
        ssize_t n = pread(in, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return error_set(err, errno, "RUN --mount %s: read", target);
        if (n == 0)
            return 0;
        if (fs_write_all(out, buf, (size_t)n, err) < 0)
            return error_wrap(err, "RUN --mount %s", target);
        off += n;
    }
}

static int
mounts_child_file(const struct sandbox_plan *plan, size_t i, int *files_root, struct error *err)
{
    const struct sandbox_mount *m = &plan->spec->mounts[i];
    char name[32];
    int fd, rc, is_dir;

    if (*files_root < 0 && (*files_root = mounts_child_files_root(plan, err)) < 0)
        return -1;
    snprintf(name, sizeof(name), "%zu", i);
    fd = openat(*files_root, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return error_set(err, errno, "RUN --mount %s: create", m->target);
    rc = mounts_copy(m->data_fd, fd, m->target, err);
    if (rc == 0 && fchown(fd, (uid_t)m->uid, (gid_t)m->gid) < 0)
        rc = error_set(err, errno, "RUN --mount %s: owner %u:%u", m->target, m->uid, m->gid);
    if (rc == 0 && fchmod(fd, (mode_t)(m->mode & 07777)) < 0)
        rc = error_set(err, errno, "RUN --mount %s: mode %o", m->target, m->mode);
    close(fd);
    if (rc < 0)
        return -1;
    return mounts_clone(*files_root, name, MOUNTS_RO_ATTRS, &is_dir, m->target, err);
}

int
sandbox_mounts_attach(const struct sandbox_plan *plan, int rootfd, struct error *err)
{
    const struct sandbox_spec *spec = plan->spec;
    int files_root = -1, rc = 0;
    size_t i;

    for (i = 0; rc == 0 && i < spec->nmounts; i++) {
        const struct sandbox_mount *m = &spec->mounts[i];
        const char *rel = m->target;
        int tfd, mfd = -1;
        while (*rel == '/')
            rel++;
        tfd = sandbox_rootfs_ensure(plan, rootfd, *rel ? rel : ".", plan->src[i].is_dir, err);
        if (tfd == SANDBOX_DANGLING)
            return error_set(err, ENOENT, "RUN --mount target %s: a dangling symlink", m->target);
        if (tfd < 0)
            break;
        if (m->kind == SANDBOX_MOUNT_TMPFS) {
            rc = sandbox_rootfs_mount_new("tmpfs", m->options ? m->options : "", mounts_attrs(m),
                                          tfd, m->target, err);
            close(tfd);
            continue;
        }
        if (m->kind == SANDBOX_MOUNT_BIND)
            mfd = mounts_child_bind(m, &plan->src[i], err);
        else if (m->kind == SANDBOX_MOUNT_OVERLAY)
            mfd = mounts_child_overlay(m, &plan->src[i], err);
        else
            mfd = mounts_child_file(plan, i, &files_root, err);
        rc = mfd < 0 ? -1 : sandbox_rootfs_attach(mfd, tfd, m->target, err);
        close(tfd);
    }
    if (files_root >= 0)
        close(files_root);
    return rc < 0 || i < spec->nmounts ? -1 : 0;
}
