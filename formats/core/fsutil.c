#include "formats/core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

int
fs_write_all(int fd, const void *data, size_t n, struct error *err)
{
    const char *p = data;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return error_set(err, errno, "write");
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int
fs_read_fd_max(int fd, const char *what, size_t max, struct buf *out, struct error *err)
{
    char tmp[65536];
    size_t total = 0;

    for (;;) {
        ssize_t r = read(fd, tmp, sizeof(tmp));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return error_set(err, errno, "read %s", what);
        }
        if (r == 0)
            break;
        total += (size_t)r;
        if (max && total > max)
            return error_input(err, "%s: larger than %zu bytes", what, max);
        buf_add(out, tmp, (size_t)r);
    }
    return 0;
}

int
fs_read_file_max(int dirfd, const char *path, size_t max, struct buf *out, struct error *err)
{
    cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return error_set(err, errno, "open %s", path);
    return fs_read_fd_max(fd, path, max, out, err);
}

int
fs_read_file(int dirfd, const char *path, struct buf *out, struct error *err)
{
    return fs_read_file_max(dirfd, path, 0, out, err);
}

int
fs_fsync_dir(int dirfd, const char *path, struct error *err)
{
    cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return error_set(err, errno, "open directory %s", path);
    if (fsync(fd) < 0)
        return error_set(err, errno, "fsync %s", path);
    return 0;
}

int
fs_mkdir_p(int dirfd, const char *path, mode_t mode, struct error *err)
{
    cleanup_free char *p = xstrdup(path);
    char *s = p;

    if (*s == '/')
        s++;
    for (;;) {
        char *slash = strchr(s, '/');
        if (slash)
            *slash = '\0';
        if (*p && mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
            return error_set(err, errno, "mkdir %s", p);
        if (!slash)
            break;
        *slash = '/';
        s = slash + 1;
    }
    return 0;
}

static int
fs_rm_tree_at(int parent, const char *name, dev_t dev, struct error *err)
{
    struct stat st;
    int fd;
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : error_set(err, errno, "stat %s", name);
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
            return error_set(err, errno, "unlink %s", name);
        return 0;
    }
    if (st.st_dev != dev)
        return error_set(err, EBUSY, "remove %s: mount point below", name);
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, errno, "open %s", name);
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return error_set(err, errno, "opendir %s", name);
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        rc = fs_rm_tree_at(fd, de->d_name, dev, err);
    }
    closedir(d);
    if (rc < 0)
        return rc;
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return error_set(err, errno, "rmdir %s", name);
    return 0;
}

int
fs_rm_rf(int dirfd, const char *path, struct error *err)
{
    struct stat st;

    if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : error_set(err, errno, "stat %s", path);
    if (fs_rm_tree_at(dirfd, path, st.st_dev, err) < 0)
        return error_wrap(err, "remove %s", path);
    return 0;
}

int
fs_exists(int dirfd, const char *path)
{
    struct stat st;
    return fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

char *
fs_join(const char *a, const char *b)
{
    size_t la = strlen(a);

    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    if (la == 1 && a[0] == '/')
        return xasprintf("/%s", b);
    return xasprintf("%.*s/%s", (int)la, a, b);
}

int
fs_write_atomic(int dirfd, const char *path, const void *data, size_t n, mode_t mode,
                struct error *err)
{
    cleanup_free char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    cleanup_free char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    int fd;

    /* never write through a symlink someone planted under the tmp name */
    unlinkat(dirfd, tmp, 0);
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return error_set(err, errno, "create %s", tmp);
    if (fs_write_all(fd, data, n, err) < 0 || fsync(fd) < 0) {
        if (!err->msg[0])
            error_set(err, errno, "fsync %s", tmp);
        close(fd);
        unlinkat(dirfd, tmp, 0);
        return error_wrap(err, "write %s", path);
    }
    close(fd);
    if (renameat(dirfd, tmp, dirfd, path) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return error_set(err, e, "rename %s", path);
    }
    if (slash)
        *slash = '\0';
    return fs_fsync_dir(dirfd, slash ? dir : ".", err);
}

/*
 * Why: without a journal, ext4 will not reuse an inode freed in the last
 * dirty_expire seconds while its inode table block is still dirty
 * (fs/ext4/ialloc.c, recently_deleted), so every new file in a group where
 * a big tree was just removed scans past all of its freed inodes: creating
 * a 20,000-file layer right after gc removed the previous one cost twice the
 * CPU. Spread trees do not share groups with the ones removed before them.
 */
void
fs_hint_topdir(int fd)
{
    int flags = 0;

    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
        return;
    flags |= FS_TOPDIR_FL;
    (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

static unsigned long long
fs_du_at(int parent, const char *name)
{
    struct stat st;
    unsigned long long total = 0;
    struct dirent *de;
    DIR *d;
    int fd;

    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0;
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            total += fs_du_at(fd, de->d_name);
    }
    closedir(d);
    return total;
}

unsigned long long
fs_du(int dirfd, const char *path)
{
    return fs_du_at(dirfd, path);
}

int
fs_open_in_root(int root, const char *rel, int flags, struct error *err)
{
    struct open_how how;
    long fd;

    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    fd = syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof(how));
    if (fd < 0)
        return error_set(err, errno, "open %s", rel);
    return (int)fd;
}

/*
 * fs_mkdir_in_root after links symlinks were followed: path is resolved one
 * component at a time; a component that does not resolve is either missing
 * (made) or a symlink to something missing, whose target then replaces it.
 */
static int
fs_mkdir_in_root_at(int root, const char *path, mode_t mode, int flags, fs_made_fn *made, void *arg,
                    int links, struct error *err)
{
    cleanup_buf struct buf sofar = BUF_INIT;
    const char *p = path;

    buf_adds(&sofar, "/");
    while (*p) {
        size_t n = strcspn(p, "/"), base = sofar.len;
        cleanup_free char *comp = xstrndup(p, n);
        cleanup_close int pfd = -1;
        struct error probe;
        int fd, made_it;
        struct stat st;

        p += n;
        p += strspn(p, "/");
        if (!n || !strcmp(comp, "."))
            continue;
        if (base > 1)
            buf_addch(&sofar, '/');
        buf_adds(&sofar, comp);
        error_init(&probe);
        fd = fs_open_in_root(root, buf_cstr(&sofar), O_PATH | O_DIRECTORY, &probe);
        if (fd >= 0) {
            close(fd);
            continue;
        }
        if (probe.sys_errno != ENOENT) {
            *err = probe;
            return -1;
        }
        /* the parent resolved a moment ago: is the component missing, or a link? */
        sofar.len = base;
        sofar.data[base] = '\0';
        pfd = fs_open_in_root(root, buf_cstr(&sofar), O_PATH | O_DIRECTORY, err);
        if (pfd < 0)
            return -1;
        if (fstatat(pfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            cleanup_buf struct buf next = BUF_INIT;
            char target[PATH_MAX];
            ssize_t tl = readlinkat(pfd, comp, target, sizeof(target) - 1);
            if (tl < 0 || links >= 40)
                return error_set(err, tl < 0 ? errno : ELOOP, "resolve %s/%s", buf_cstr(&sofar),
                                 comp);
            target[tl] = '\0';
            /* the link's target, relative to the link's own directory, then the rest */
            if (target[0] != '/')
                buf_adds(&next, buf_cstr(&sofar));
            buf_addch(&next, '/');
            buf_adds(&next, target);
            buf_addch(&next, '/');
            buf_adds(&next, p);
            return fs_mkdir_in_root_at(root, buf_cstr(&next), mode, flags, made, arg, links + 1,
                                       err);
        }
        made_it = mkdirat(pfd, comp, mode) == 0;
        if (!made_it && errno != EEXIST)
            return error_set(err, errno, "mkdir %s/%s", buf_cstr(&sofar), comp);
        if (made_it && made && made(pfd, comp, arg, err) < 0)
            return -1;
        if (base > 1)
            buf_addch(&sofar, '/');
        buf_adds(&sofar, comp);
    }
    return fs_open_in_root(root, buf_cstr(&sofar), flags | O_DIRECTORY, err);
}

int
fs_mkdir_in_root(int root, const char *path, mode_t mode, int flags, fs_made_fn *made, void *arg,
                 struct error *err)
{
    return fs_mkdir_in_root_at(root, path, mode, flags, made, arg, 0, err);
}

int
fs_copy_fd(int in, int out, const char *what, struct error *err)
{
    return fs_copy_fd_hint(in, out, NULL, what, err);
}

int
fs_copy_fd_hint(int in, int out, int *no_cfr, const char *what, struct error *err)
{
    static const size_t bufsz = 1 << 20;
    cleanup_free char *buf = NULL;

    while (!no_cfr || !*no_cfr) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                return error_set(err, errno, "copy %s", what);
            /* read/write goes on from the file positions, wherever this stopped */
            if (no_cfr)
                *no_cfr = 1;
            break;
        }
    }
    buf = xmalloc(bufsz);
    for (;;) {
        ssize_t r = read(in, buf, bufsz);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return error_set(err, errno, "read %s", what);
        }
        if (r == 0)
            return 0;
        if (fs_write_all(out, buf, (size_t)r, err) < 0)
            return error_wrap(err, "copy %s", what);
    }
}
