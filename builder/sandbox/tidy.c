/*
 * The step's upper dir after a run. The child reports every mount point it
 * had to create in the rootfs (where the image hid the stub of the extra
 * lower, see sandbox.c); they are removed here, newest first, while they are
 * still what the child made (an empty dir or an empty file). Then the
 * directories BuildKit leaves in a layer (/proc, /dev, /sys and the RUN
 * --mount targets, as runc creates them) are made where the image lacks
 * them.
 *
 * The step ran as root in that tree and may have put symlinks anywhere in
 * it, pointing at the host: a path string given to unlinkat() or mkdirat()
 * would follow them (a RUN once made strata remove the store's lock file
 * this way). Every path is walked from the tree's fd with openat2
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), and a link on the way ends the
 * work on that path: only what lies inside the tree is ever touched.
 */
#include "builder/sandbox/sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "formats/core/mem.h"
#include "formats/core/strvec.h"

#include "formats/core/banned.h"

/*
 * Opens the directory holding rel below dirfd (no symlink, no "..", no
 * other mount on the way) and points *base at rel's last name. -1 with
 * errno set (ELOOP for a link on the way) when it cannot.
 */
static int
tidy_parent(int dirfd, const char *rel, const char **base)
{
    const char *slash = strrchr(rel, '/');
    struct open_how how;
    char parent[PATH_MAX];

    *base = slash ? slash + 1 : rel;
    if ((size_t)snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - rel) : 1,
                         slash ? rel : ".") >= sizeof(parent)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&how, 0, sizeof(how));
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    return (int)syscall(SYS_openat2, dirfd, parent, &how, sizeof(how));
}

/* lstat of rel below dirfd, following no link on the way; -1 with errno when it cannot. */
static int
tidy_lstat(int dirfd, const char *rel, struct stat *st)
{
    const char *base;
    int pfd, rc, e;

    if (!strchr(rel, '/')) /* a name in dirfd itself: nothing on the way to follow */
        return fstatat(dirfd, rel, st, AT_SYMLINK_NOFOLLOW);
    pfd = tidy_parent(dirfd, rel, &base);
    if (pfd < 0)
        return -1;
    rc = fstatat(pfd, base, st, AT_SYMLINK_NOFOLLOW);
    e = errno;
    close(pfd);
    errno = e;
    return rc;
}

static void
tidy_created(int ufd, const struct strvec *created)
{
    for (size_t i = created->n; i-- > 0;) {
        const char *base;
        struct stat st;
        int pfd = tidy_parent(ufd, created->v[i], &base);
        if (pfd < 0)
            continue; /* gone, or a link on the way: not ours to touch */
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (S_ISDIR(st.st_mode))
                unlinkat(pfd, base, AT_REMOVEDIR); /* fails, as it should, once not empty */
            else if (S_ISREG(st.st_mode) && st.st_size == 0)
                unlinkat(pfd, base, 0);
        }
        close(pfd);
    }
}

/*
 * The image's layers, top-most first, each opened once for the whole tidy:
 * every mount point is looked for in each of them, and opening them for each
 * lookup made a RUN of a 200-layer stage spend milliseconds here.
 */
struct tidy_lowers {
    int *fd; /* -1 for a layer that cannot be opened (skipped) */
    size_t n;
};

/*
 * Is rel in one of the image's layers (top-most first, the mount-point
 * stub lower not counted)? 1 with *st, 0 when not (or deleted by a
 * whiteout), -1 when a link or a file stands on its path in a layer.
 */
static int
tidy_in_lowers(const struct tidy_lowers *l, const char *rel, struct stat *st)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->fd[i] < 0)
            continue;
        if (tidy_lstat(l->fd[i], rel, st) == 0) /* a 0/0 character device is a whiteout */
            return !(S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0));
        if (errno == ELOOP || errno == ENOTDIR)
            return -1;
    }
    return 0;
}

/* Makes directory rel in the upper dir, with the image's metadata when the image has it. */
static int
tidy_mkdir_like(const struct tidy_lowers *l, int ufd, const char *rel)
{
    struct stat st, lst;
    const char *base;
    int pfd = tidy_parent(ufd, rel, &base), fd, in_image, rc = 0;

    if (pfd < 0)
        return -1;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        close(pfd);
        return S_ISDIR(st.st_mode) ? 0 : -1;
    }
    in_image = tidy_in_lowers(l, rel, &lst);
    if (in_image < 0 || (in_image && !S_ISDIR(lst.st_mode)) || mkdirat(pfd, base, 0755) < 0) {
        close(pfd);
        return -1; /* something else is in the way: leave it */
    }
    fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(pfd);
    if (fd < 0)
        return -1;
    if (in_image) {
        struct timespec ts[2] = {lst.st_atim, lst.st_mtim};
        if (fchown(fd, lst.st_uid, lst.st_gid) < 0 || fchmod(fd, lst.st_mode & 07777) < 0 ||
            futimens(fd, ts) < 0)
            rc = -1;
    }
    close(fd);
    return rc;
}

/*
 * BuildKit (runc) leaves the directories it mounts on (/proc, /dev, /sys and
 * RUN --mount targets) in the image when the image lacked them, and the
 * parent directories of a file it mounts on (a secret's /run/secrets), not
 * the file; so does strata, for the same file tree.
 */
static void
tidy_keep_mountpoints(const struct sandbox_plan *plan, const struct tidy_lowers *l, int ufd)
{
    static const char *const fixed[] = {"proc", "dev", "sys"};
    const struct sandbox_spec *spec = plan->spec;
    size_t i, nfixed = sizeof(fixed) / sizeof(fixed[0]);
    struct stat st;

    for (i = 0; i < nfixed + spec->nmounts; i++) {
        const char *t = i < nfixed ? fixed[i] : spec->mounts[i - nfixed].target;
        cleanup_free char *path = NULL;
        char *c;
        while (*t == '/')
            t++;
        path = xstrdup(t);
        if (i >= nfixed && !plan->src[i - nfixed].is_dir) { /* a file: its directory */
            c = strrchr(path, '/');
            if (!c)
                continue;
            *c = '\0';
        }
        if (!*path || tidy_lstat(ufd, path, &st) == 0 || errno == ELOOP ||
            tidy_in_lowers(l, path, &st) != 0)
            continue; /* the command made it, the image has it, or a link is in the way */
        for (c = strchr(path, '/'); c; c = strchr(c + 1, '/')) { /* parents first */
            *c = '\0';
            if (tidy_mkdir_like(l, ufd, path) < 0)
                break;
            *c = '/';
        }
        if (!c)
            tidy_mkdir_like(l, ufd, path);
    }
}

void
sandbox_tidy_upper(const struct sandbox_plan *plan, const struct strvec *created)
{
    cleanup_close int ufd = open(plan->ov.upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
    const struct overlay_spec *ov = &plan->spec->overlay;
    struct tidy_lowers l = {NULL, ov->nlowers};
    size_t i;

    if (ufd < 0)
        return;
    tidy_created(ufd, created);
    l.fd = xcalloc(l.n ? l.n : 1, sizeof(*l.fd));
    for (i = 0; i < l.n; i++)
        l.fd[i] = open(ov->lowers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
    tidy_keep_mountpoints(plan, &l, ufd);
    for (i = 0; i < l.n; i++)
        if (l.fd[i] >= 0)
            close(l.fd[i]);
    free(l.fd);
}
