#include "formats/tar_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "formats/compress.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/hashmap.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/limits.h"
#include "formats/whiteout.h"

#include "formats/core/banned.h"

/*
 * One pass: in_fd -> sha256 (digest) -> decompress -> sha256 (diff_id) ->
 * libarchive's tar parser (format only: no filters, no archive_write_disk).
 * Every file system change is made by us with *at() calls relative to a
 * directory fd reached from dest_dirfd one component at a time with
 * O_NOFOLLOW|O_DIRECTORY, so no symlink is ever followed.
 */

#define TR_BUF (256 * 1024)

/* ---- state ---- */

/* A directory below the destination, already reached safely: path -> O_PATH fd. */
struct dircache {
    char *path;
    int fd;
};

struct dirfix {
    char *path;
    mode_t mode;
    struct timespec times[2];
};

struct tr {
    int in_fd, dest;
    enum tar_read_mode mode;
    int flags;
    const char *what;

    struct digest_ctx digest, diff_id;
    uint64_t size, entries;
    long long max_mtime; /* newest entry mtime seen */
    unsigned char head[COMPRESS_DETECT_LEN];
    size_t head_len, head_pos;
    struct compress_reader *cr;
    unsigned char *tarbuf;
    struct error cb_err;
    bool cb_failed;

    struct dircache cache[2]; /* [0] entry parents, [1] hard link target parents */
    struct hashmap created;   /* a set: the values are unused */
    struct dirfix *dirs;
    size_t ndirs, adirs;
    const char *name; /* current entry's name as in the archive */

    uint64_t unpack_max, unpacked;       /* formats/limits.h */
    const struct tar_read_opts *in_root; /* ADD into an image, or NULL */
};

static void
cache_release(struct tr *t)
{
    size_t i;

    for (i = 0; i < 2; i++) {
        if (t->cache[i].fd >= 0)
            close(t->cache[i].fd);
        t->cache[i].fd = -1;
        free(t->cache[i].path);
        t->cache[i].path = NULL;
    }
}

/* ---- input side ---- */

static ssize_t
read_fd(struct tr *t, void *buf, size_t cap, struct error *err)
{
    for (;;) {
        ssize_t n = read(t->in_fd, buf, cap);
        if (n >= 0) {
            digest_update(&t->digest, buf, (size_t)n);
            t->size += (uint64_t)n;
            return n;
        }
        if (errno != EINTR)
            return error_set(err, errno, "read");
    }
}

static ssize_t
tr_source(void *opaque, void *buf, size_t cap, struct error *err)
{
    struct tr *t = opaque;

    if (t->head_pos < t->head_len) {
        size_t n = t->head_len - t->head_pos < cap ? t->head_len - t->head_pos : cap;
        memcpy(buf, t->head + t->head_pos, n);
        t->head_pos += n;
        return (ssize_t)n;
    }
    return read_fd(t, buf, cap, err);
}

static la_ssize_t
tr_archive_read(struct archive *a, void *opaque, const void **out)
{
    struct tr *t = opaque;
    ssize_t n;

    (void)a;
    n = compress_read(t->cr, t->tarbuf, TR_BUF, &t->cb_err);
    if (n < 0) {
        t->cb_failed = true;
        return -1;
    }
    digest_update(&t->diff_id, t->tarbuf, (size_t)n);
    *out = t->tarbuf;
    return n;
}

/* Turns a libarchive failure into our error. */
static int
archive_fail(struct tr *t, struct archive *a, struct error *err)
{
    const char *msg = archive_error_string(a);

    if (t->cb_failed) {
        *err = t->cb_err;
        return error_wrap(err, "%s", t->what);
    }
    if (!msg)
        msg = "damaged archive";
    if (strstr(msg, "runcated"))
        return error_input(err, "%s: truncated", t->what);
    if (!t->entries && strstr(msg, "Unrecognized archive format"))
        return error_input(err, "%s: not a tar archive", t->what);
    if (t->name)
        return error_input(err, "%s: entry \"%s\": %s", t->what, t->name, msg);
    return error_input(err, "%s: %s", t->what, msg);
}

/* ---- errors about the current entry ---- */

__attribute__((format(printf, 3, 4))) static int
bad_entry(struct tr *t, struct error *err, const char *fmt, ...)
{
    char reason[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    return error_input(err, "%s: entry \"%s\": %s", t->what, t->name, reason);
}

static int
sys_entry(struct tr *t, struct error *err, const char *op)
{
    return error_set(err, errno, "%s: entry \"%s\": %s", t->what, t->name, op);
}

int
tar_read_clean_path(const char *raw, struct buf *out, const char **why)
{
    const char *p = raw;

    buf_reset(out);
    buf_adds(out, "");
    if (*raw == '/') {
        *why = "absolute path";
        return -1;
    }
    while (*p) {
        size_t n = strcspn(p, "/");

        if (n == 2 && p[0] == '.' && p[1] == '.') {
            *why = "path leaves the layer (\"..\")";
            return -1;
        }
        if (n && !(n == 1 && p[0] == '.')) {
            if (out->len)
                buf_addch(out, '/');
            buf_add(out, p, n);
        }
        p += n;
        while (*p == '/')
            p++;
    }
    return 0;
}

/* ---- reaching directories safely ---- */

/* ADD: implied parents get --chown's owner too */
static int
made_parent(int dirfd, const char *name, void *arg, struct error *err)
{
    struct tr *t = arg;

    if (t->in_root->set_owner &&
        fchownat(dirfd, name, t->in_root->uid, t->in_root->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_entry(t, err, "chown parent directory");
    return 0;
}

/*
 * ADD: parent directory sofar (below the destination) goes through a
 * symlink of the image; it is resolved inside the image root, as BuildKit's
 * Untar resolves it (an absolute link such as var/run -> /run names root/run),
 * and made when missing.
 */
static int
step_in_root(struct tr *t, const char *sofar, bool create, struct error *err)
{
    cleanup_free char *path = xasprintf("%s/%s", t->in_root->dest_in_root, sofar);
    int fd;

    if (create)
        fd = fs_mkdir_in_root(t->in_root->root_fd, path, 0755, O_PATH, made_parent, t, err);
    else
        fd = fs_open_in_root(t->in_root->root_fd, path, O_PATH | O_DIRECTORY, err);
    if (fd < 0)
        return bad_entry(t, err, "parent directory \"%s\" cannot be resolved in the image: %s",
                         sofar, strerror(err->sys_errno ? err->sys_errno : ENOENT));
    return fd;
}

/*
 * Opens component c below dirfd as an O_PATH directory, never following a
 * symlink. With create, a missing directory is made (0755, like tar's
 * implied parents). Returns the fd, or -1 with an error about the entry.
 */
static int
step(struct tr *t, int dirfd, const char *c, const char *sofar, bool create, struct error *err)
{
    for (;;) {
        int fd = openat(dirfd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd >= 0)
            return fd;
        if (errno == ENOENT && create) {
            if (mkdirat(dirfd, c, 0755) < 0 && errno != EEXIST)
                return sys_entry(t, err, "create parent directory");
            if (t->in_root && made_parent(dirfd, c, t, err) < 0)
                return -1;
            if (t->mode == TAR_READ_APPLY)
                hashmap_put(&t->created, sofar, strlen(sofar), NULL);
            continue;
        }
        if (errno == ENOENT) {
            bad_entry(t, err, "parent directory \"%s\" does not exist", sofar);
            return -2;
        }
        if (errno != ENOTDIR && errno != ELOOP)
            return sys_entry(t, err, "open parent directory");
        if (fstatat(dirfd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) && t->in_root)
            return step_in_root(t, sofar, create, err);
        if (fstatat(dirfd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            return bad_entry(t, err, "path goes through a symlink (\"%s\")", sofar);
        return bad_entry(t, err, "\"%s\" is not a directory", sofar);
    }
}

/*
 * Returns a borrowed fd for directory dir ("" is the destination), reached
 * without following symlinks; slot picks the cache entry to use and refill.
 * Returns -1 on errors, -2 (err also set) when a directory is missing and
 * create is false.
 */
static int
open_dir(struct tr *t, int slot, const char *dir, bool create, struct error *err)
{
    struct dircache *c = &t->cache[slot];
    cleanup_buf struct buf sofar = BUF_INIT;
    const char *p = dir;
    int fd = t->dest;

    if (!*dir)
        return t->dest;
    if (c->path) {
        size_t n = strlen(c->path);
        if (!strcmp(c->path, dir))
            return c->fd;
        if (!strncmp(c->path, dir, n) && dir[n] == '/') {
            /* below the cached directory: continue from there */
            fd = steal_fd(&c->fd);
            buf_adds(&sofar, c->path);
            p = dir + n + 1;
        }
    }
    while (*p) {
        size_t n = strcspn(p, "/");
        cleanup_free char *comp = xstrndup(p, n);
        int next;

        if (sofar.len)
            buf_addch(&sofar, '/');
        buf_add(&sofar, p, n);
        next = step(t, fd, comp, buf_cstr(&sofar), create, err);
        if (fd != t->dest)
            close(fd);
        if (next < 0) {
            free(c->path);
            c->path = NULL;
            c->fd = -1;
            return next;
        }
        fd = next;
        p += n;
        if (*p == '/')
            p++;
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c->path);
    c->path = xstrdup(dir);
    c->fd = fd;
    return fd;
}

/* Splits a cleaned non-empty path into its parent's fd and base name. */
static int
open_parent(struct tr *t, int slot, const char *path, bool create, const char **base,
            struct error *err)
{
    const char *slash = strrchr(path, '/');
    cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");

    *base = slash ? slash + 1 : path;
    return open_dir(t, slot, dir, create, err);
}

/* Forgets cached directories at or below path, which is being removed. */
static void
cache_forget_below(struct tr *t, const char *path)
{
    size_t i, n = strlen(path);

    for (i = 0; i < 2; i++) {
        struct dircache *c = &t->cache[i];
        if (c->path && !strncmp(c->path, path, n) && (!c->path[n] || c->path[n] == '/')) {
            close(c->fd);
            c->fd = -1;
            free(c->path);
            c->path = NULL;
        }
    }
}

/* Removes whatever is at dirfd/base, i.e. path (recursively for a directory). */
static int
remove_existing(struct tr *t, int dirfd, const char *base, const char *path, const struct stat *st,
                struct error *err)
{
    if (S_ISDIR(st->st_mode)) {
        cache_forget_below(t, path);
        if (fs_rm_rf(dirfd, base, err) < 0)
            return error_wrap(err, "%s: entry \"%s\"", t->what, t->name);
        return 0;
    }
    if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
        return sys_entry(t, err, "remove existing entry");
    return 0;
}

/* ---- metadata ---- */

static int
set_owner(struct tr *t, struct archive_entry *e, int fd, int dirfd, const char *base,
          struct error *err)
{
    uid_t uid = (uid_t)archive_entry_uid(e);
    gid_t gid = (gid_t)archive_entry_gid(e);
    int rc;

    if (t->flags & TAR_READ_NO_OWNER)
        return 0;
    if (t->in_root && t->in_root->set_owner) { /* ADD --chown */
        uid = (uid_t)t->in_root->uid;
        gid = (gid_t)t->in_root->gid;
    }
    rc = fd >= 0 ? fchown(fd, uid, gid) : fchownat(dirfd, base, uid, gid, AT_SYMLINK_NOFOLLOW);
    /* chown(2): EINVAL when an id has no mapping in our user namespace (rootless) */
    if (rc < 0 && errno == EINVAL)
        return error_set(err, EINVAL,
                         "%s: entry \"%s\": owner %u:%u is outside the ids this user namespace "
                         "maps (a rootless strata has root and the subordinate ids of "
                         "/etc/subuid and /etc/subgid)",
                         t->what, t->name, (unsigned)uid, (unsigned)gid);
    return rc < 0 ? sys_entry(t, err, "chown") : 0;
}

/* Sets the entry's xattrs, except overlayfs' own, which never travel in a layer. */
static int
set_xattrs(struct tr *t, struct archive_entry *e, int fd, int dirfd, const char *base,
           struct error *err)
{
    cleanup_free char *proc = NULL;
    const char *name;
    const void *value;
    size_t size;

    if (archive_entry_xattr_reset(e) == 0)
        return 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        int rc;

        if (!name || !*name || whiteout_is_overlay_xattr(name))
            continue;
        if (fd >= 0) {
            rc = fsetxattr(fd, name, value, size, 0);
        } else {
            if (!proc)
                proc = xasprintf("/proc/self/fd/%d/%s", dirfd, base);
            rc = lsetxattr(proc, name, value, size, 0);
        }
        if (rc == 0)
            continue;
        if (errno == ENOTSUP || (errno == EPERM && (t->flags & TAR_READ_NO_OWNER))) {
            log_debug("%s: entry \"%s\": xattr %s not set: %s", t->what, t->name, name,
                      strerror(errno));
            continue;
        }
        return error_set(err, errno, "%s: entry \"%s\": set xattr %s", t->what, t->name, name);
    }
    return 0;
}

static void
entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        ts[0] = ts[1];
    }
}

/* Owner, xattrs, mode and times of a non-directory node, in that order (chown clears setuid). */
static int
finish_node(struct tr *t, struct archive_entry *e, int fd, int dirfd, const char *base,
            bool symlink, struct error *err)
{
    struct timespec ts[2];
    mode_t mode = archive_entry_perm(e) & 07777;

    entry_times(e, ts);
    if (set_owner(t, e, fd, dirfd, base, err) < 0 || set_xattrs(t, e, fd, dirfd, base, err) < 0)
        return -1;
    if (!symlink && (fd >= 0 ? fchmod(fd, mode) : fchmodat(dirfd, base, mode, 0)) < 0)
        return sys_entry(t, err, "chmod");
    if ((fd >= 0 ? futimens(fd, ts) : utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW)) < 0)
        return sys_entry(t, err, "set times");
    return 0;
}

/* Counts n more bytes against the unpack limit (formats/limits.h). */
static int
charge(struct tr *t, uint64_t n, struct error *err)
{
    if (n > t->unpack_max - t->unpacked)
        return bad_entry(t, err,
                         "the archive unpacks to more than %llu bytes (the limit: --max-unpack or "
                         "$" LIMITS_UNPACK_ENV ")",
                         (unsigned long long)t->unpack_max);
    t->unpacked += n;
    return 0;
}

static bool
all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;

    return n == 0 || (c[0] == 0 && memcmp(c, c + 1, n - 1) == 0);
}

/* ---- entry kinds ---- */

/*
 * Writes the entry's data blocks at their offsets. Holes stay holes: those of
 * a sparse entry (libarchive gives only the data of its sparse map) and
 * blocks of zeros, which are not written at all (the file is new, so they
 * read as zeros), so a compressed run of zeros cannot fill the disk.
 */
static int
write_data(struct tr *t, struct archive *a, struct archive_entry *e, int fd, struct error *err)
{
    int64_t end = 0, written = 0;
    int64_t charged = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;

    for (;;) {
        const void *data;
        size_t n;
        la_int64_t off;
        int rc = archive_read_data_block(a, &data, &n, &off);

        if (rc == ARCHIVE_EOF)
            break;
        if (rc < ARCHIVE_WARN)
            return archive_fail(t, a, err);
        if (off < 0 || (uint64_t)off > INT64_MAX - n)
            return bad_entry(t, err, "data block at offset %lld", (long long)off);
        /* a sparse map may put data past the entry's size: that counts too */
        if (off + (int64_t)n > charged) {
            if (charge(t, (uint64_t)(off + (int64_t)n - charged), err) < 0)
                return -1;
            charged = off + (int64_t)n;
        }
        if (all_zero(data, n)) {
            if (off + (int64_t)n > end)
                end = off + (int64_t)n;
            continue;
        }
        while (n) {
            ssize_t w = pwrite(fd, data, n, off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return sys_entry(t, err, "write");
            }
            data = (const char *)data + w;
            n -= (size_t)w;
            off += w;
        }
        if (off > end)
            end = off;
        if (off > written)
            written = off;
    }
    /* a sparse file, or one ending in zeros, ends in a hole */
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > end)
        end = archive_entry_size(e);
    if (end > written && ftruncate(fd, end) < 0)
        return sys_entry(t, err, "truncate");
    return 0;
}

static int
make_regular(struct tr *t, struct archive *a, struct archive_entry *e, int dirfd, const char *base,
             struct error *err)
{
    cleanup_close int fd = -1;

    /* the declared size is counted before anything is written */
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
        charge(t, (uint64_t)archive_entry_size(e), err) < 0)
        return -1;
    fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sys_entry(t, err, "create");
    if (write_data(t, a, e, fd, err) < 0)
        return -1;
    return finish_node(t, e, fd, dirfd, base, false, err);
}

static int
make_hardlink(struct tr *t, const char *path, const char *raw_target, int dirfd, const char *base,
              struct error *err)
{
    cleanup_buf struct buf target = BUF_INIT;
    const char *why, *tbase;
    struct stat st;
    int tdir;

    if (tar_read_clean_path(raw_target, &target, &why) < 0)
        return bad_entry(t, err, "hard link target \"%s\": %s", raw_target, why);
    if (!target.len)
        return bad_entry(t, err, "hard link to the root directory");
    if (!strcmp(target.data, path))
        return bad_entry(t, err, "hard link to itself");
    tdir = open_parent(t, 1, target.data, false, &tbase, err);
    if (tdir < 0)
        return -1;
    if (fstatat(tdir, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return bad_entry(t, err, "hard link target \"%s\" does not exist", raw_target);
        return sys_entry(t, err, "stat hard link target");
    }
    if (!S_ISREG(st.st_mode))
        return bad_entry(t, err, "hard link target \"%s\" is not a regular file", raw_target);
    if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (remove_existing(t, dirfd, base, path, &st, err) < 0)
            return -1;
        /* the removal may have taken the target's directory with it */
        tdir = open_parent(t, 1, target.data, false, &tbase, err);
        if (tdir < 0)
            return -1;
    }
    if (linkat(tdir, tbase, dirfd, base, 0) < 0) {
        if (errno == ENOENT)
            return bad_entry(t, err, "hard link target \"%s\" does not exist", raw_target);
        return sys_entry(t, err, "link");
    }
    return 0;
}

static int
make_dir(struct tr *t, struct archive_entry *e, int dirfd, const char *base, const char *path,
         bool exists, struct error *err)
{
    cleanup_close int fd = -1;
    struct dirfix *fix;

    /* created private (0700) so we can fill it; its mode and times are set at the end */
    if (!exists && mkdirat(dirfd, base, 0700) < 0)
        return sys_entry(t, err, "mkdir");
    fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return sys_entry(t, err, "open directory");
    if (set_owner(t, e, fd, -1, NULL, err) < 0 || set_xattrs(t, e, fd, -1, NULL, err) < 0)
        return -1;
    t->dirs = xgrow(t->dirs, sizeof(*t->dirs), t->ndirs + 1, &t->adirs);
    fix = &t->dirs[t->ndirs++];
    fix->path = xstrdup(path);
    fix->mode = archive_entry_perm(e) & 07777;
    entry_times(e, fix->times);
    return 0;
}

/*
 * A device node without the privilege to make it: an empty file standing for
 * it (whiteout.h, WHITEOUT_XATTR_DEVNODE), with the entry's owner and mode.
 */
static int
devnode_placeholder(struct tr *t, struct archive_entry *e, int dirfd, const char *base,
                    struct error *err)
{
    char val[64];
    int fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), rc;

    if (fd < 0)
        return sys_entry(t, err, "create device node placeholder");
    snprintf(val, sizeof(val), "%c %u %u", archive_entry_filetype(e) == AE_IFBLK ? 'b' : 'c',
             (unsigned)archive_entry_rdevmajor(e), (unsigned)archive_entry_rdevminor(e));
    if (fsetxattr(fd, WHITEOUT_XATTR_DEVNODE, val, strlen(val), 0) < 0) {
        close(fd);
        return sys_entry(t, err, "mark device node placeholder");
    }
    rc = finish_node(t, e, fd, dirfd, base, false, err);
    close(fd);
    return rc;
}

static int
make_special(struct tr *t, struct archive_entry *e, int dirfd, const char *base, struct error *err)
{
    mode_t type = archive_entry_filetype(e);
    dev_t dev =
        type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));

    if (type == AE_IFLNK) {
        const char *target = archive_entry_symlink(e);

        if (!target)
            target = archive_entry_symlink_utf8(e);
        if (!target)
            return bad_entry(t, err, "symlink without a target");
        if (symlinkat(target, dirfd, base) < 0)
            return sys_entry(t, err, "symlink");
        return finish_node(t, e, -1, dirfd, base, true, err);
    }
    if (mknodat(dirfd, base, type | 0600, dev) < 0) {
        if (errno == EPERM && type != AE_IFIFO && t->mode == TAR_READ_SNAPSHOT &&
            (t->flags & TAR_READ_USERXATTR))
            return devnode_placeholder(t, e, dirfd, base, err);
        if (errno == EPERM && type != AE_IFIFO && (t->flags & TAR_READ_NO_OWNER)) {
            log_debug("%s: entry \"%s\": device node skipped (no privilege)", t->what, t->name);
            return 0;
        }
        return sys_entry(t, err, "mknod");
    }
    return finish_node(t, e, -1, dirfd, base, false, err);
}

/* ---- whiteouts (image-spec layer.md, Whiteouts) ---- */

/* APPLY: removes what dirfd (at path) holds that this layer did not create. */
static int
opaque_clear(struct tr *t, int dirfd, struct buf *path, struct error *err)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_closedir DIR *d = NULL;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, alloc = 0, i, len = path->len;
    int rc = 0;

    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return sys_entry(t, err, "open opaque directory");
    }
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            names = xgrow(names, sizeof(*names), n + 1, &alloc);
            names[n++] = xstrdup(de->d_name);
        }
    for (i = 0; i < n && rc == 0; i++) {
        struct stat st;

        if (path->len)
            buf_addch(path, '/');
        buf_adds(path, names[i]);
        if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = errno == ENOENT ? 0 : sys_entry(t, err, "stat");
        } else if (!hashmap_get(&t->created, path->data, strlen(path->data))) {
            rc = remove_existing(t, dirfd, names[i], path->data, &st, err);
        } else if (S_ISDIR(st.st_mode)) {
            /* a directory this layer also lists: clear what lower layers left in it */
            cleanup_close int sub =
                openat(dirfd, names[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = sub < 0 ? sys_entry(t, err, "open directory") : opaque_clear(t, sub, path, err);
        }
        path->len = len;
        path->data[len] = '\0';
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int
do_opaque(struct tr *t, const char *path, struct error *err)
{
    const char *base;
    int dirfd = open_parent(t, 0, path, true, &base, err);
    cleanup_close int fd = -1;
    const char *xname;

    if (dirfd < 0)
        return -1;
    if (t->mode == TAR_READ_APPLY) {
        cleanup_buf struct buf dir = BUF_INIT;

        buf_add(&dir, path, (size_t)(base - path) - (base > path));
        return opaque_clear(t, dirfd, &dir, err);
    }
    /* overlayfs: an opaque directory hides the lower layers' contents */
    xname = (t->flags & TAR_READ_USERXATTR) ? WHITEOUT_USERXATTR_OPAQUE : WHITEOUT_XATTR_OPAQUE;
    fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsetxattr(fd, xname, "y", 1, 0) < 0)
        return sys_entry(t, err, "mark directory opaque");
    return 0;
}

static int
do_whiteout(struct tr *t, struct archive_entry *e, const char *path, const char *victim,
            struct error *err)
{
    cleanup_free char *vpath = NULL;
    const char *base;
    struct stat st;
    bool apply = t->mode == TAR_READ_APPLY;
    int dirfd = open_parent(t, 0, path, !apply, &base, err);

    if (dirfd == -2 && apply)
        return 0; /* nothing there to delete */
    if (dirfd < 0)
        return -1;
    vpath = xasprintf("%.*s%s", (int)(base - path), path, victim);
    if (fstatat(dirfd, victim, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        remove_existing(t, dirfd, victim, vpath, &st, err) < 0)
        return -1;
    if (apply)
        return 0;
    /* overlayfs whiteout: a character device 0:0 with the deleted name */
    if (mknodat(dirfd, victim, S_IFCHR | 0600, makedev(0, 0)) < 0)
        return sys_entry(t, err, "create whiteout");
    return finish_node(t, e, -1, dirfd, victim, false, err);
}

/* ---- the loop ---- */

/* APPLY: remembers path and its parents as provided by this layer. */
static void
mark_created(struct tr *t, const char *path)
{
    cleanup_free char *p = xstrdup(path);
    char *slash;

    hashmap_put(&t->created, p, strlen(p), NULL);
    while ((slash = strrchr(p, '/'))) {
        *slash = '\0';
        if (hashmap_get(&t->created, p, strlen(p)))
            break;
        hashmap_put(&t->created, p, strlen(p), NULL);
    }
}

static int
tr_entry(struct tr *t, struct archive *a, struct archive_entry *e, struct error *err)
{
    cleanup_buf struct buf path = BUF_INIT;
    const char *why, *base, *victim = NULL;
    const char *link = archive_entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    struct stat st;
    bool exists;
    int dirfd;

    if (!link)
        link = archive_entry_hardlink_utf8(e);
    if (tar_read_clean_path(t->name, &path, &why) < 0)
        return bad_entry(t, err, "%s", why);
    if (!path.len) {
        if (type != AE_IFDIR || link)
            return bad_entry(t, err, "the root can only be a directory");
        return make_dir(t, e, t->dest, ".", "", true, err);
    }
    base = strrchr(path.data, '/');
    base = base ? base + 1 : path.data;
    switch (whiteout_classify(base, &victim)) {
    case WHITEOUT_BAD:
        return bad_entry(t, err, "invalid whiteout name");
    case WHITEOUT_META:
        return 0;
    case WHITEOUT_OPAQUE_DIR:
        return do_opaque(t, path.data, err);
    case WHITEOUT_FILE:
        return do_whiteout(t, e, path.data, victim, err);
    default:
        break;
    }
    dirfd = open_parent(t, 0, path.data, true, &base, err);
    if (dirfd < 0)
        return -1;
    if (t->mode == TAR_READ_APPLY)
        mark_created(t, path.data);
    if (link)
        return make_hardlink(t, path.data, link, dirfd, base, err);
    exists = fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT)
        return sys_entry(t, err, "stat");
    /* an existing directory stays (with this entry's metadata) when the entry is one too */
    if (exists && !(type == AE_IFDIR && S_ISDIR(st.st_mode))) {
        if (remove_existing(t, dirfd, base, path.data, &st, err) < 0)
            return -1;
        exists = false;
    }
    switch (type) {
    case AE_IFDIR:
        return make_dir(t, e, dirfd, base, path.data, exists, err);
    case AE_IFREG:
        return make_regular(t, a, e, dirfd, base, err);
    case AE_IFLNK:
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
        return make_special(t, e, dirfd, base, err);
    default:
        return bad_entry(t, err, "unsupported entry type 0%o", (unsigned)type);
    }
}

/* Directory modes and times, last: creating children changed the times. */
static void
fix_dirs(struct tr *t)
{
    size_t i;

    for (i = 0; i < t->ndirs; i++) {
        struct dirfix *f = &t->dirs[i];
        struct error scratch;
        const char *base = ".";
        int dirfd = t->dest;
        struct stat st;

        error_init(&scratch);
        t->name = f->path;
        if (*f->path)
            dirfd = open_parent(t, 0, f->path, false, &base, &scratch);
        /* gone or replaced by a later entry: nothing to fix */
        if (dirfd < 0 || fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        fchmodat(dirfd, base, f->mode, 0);
        utimensat(dirfd, base, f->times, AT_SYMLINK_NOFOLLOW);
    }
}

static int
tr_run(struct tr *t, struct error *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    ssize_t n;
    int rc;

    if (!a)
        BUG("archive_read_new failed");
    /* format only: decompression is ours, so that both digests see every byte */
    archive_read_support_format_tar(a);
    if (archive_read_open(a, t, NULL, tr_archive_read, NULL) != ARCHIVE_OK) {
        archive_fail(t, a, err);
        archive_read_free(a);
        return -1;
    }
    for (;;) {
        rc = archive_read_next_header(a, &e);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            t->name = NULL;
            archive_fail(t, a, err);
            archive_read_free(a);
            return -1;
        }
        t->entries++;
        if (archive_entry_mtime_is_set(e) && (long long)archive_entry_mtime(e) > t->max_mtime)
            t->max_mtime = (long long)archive_entry_mtime(e);
        t->name = archive_entry_pathname(e);
        if (!t->name)
            t->name = archive_entry_pathname_utf8(e);
        if (!t->name) {
            archive_read_free(a);
            return error_input(err, "%s: entry %llu: unreadable name", t->what,
                               (unsigned long long)t->entries);
        }
        if (charge(t, LIMITS_ENTRY_COST, err) < 0 || tr_entry(t, a, e, err) < 0) {
            archive_read_free(a);
            return -1;
        }
    }
    archive_read_free(a);
    t->name = NULL;
    /* the rest of the stream (end blocks, record padding) belongs to both digests */
    while ((n = compress_read(t->cr, t->tarbuf, TR_BUF, err)) > 0)
        digest_update(&t->diff_id, t->tarbuf, (size_t)n);
    if (n < 0)
        return error_wrap(err, "%s", t->what);
    fix_dirs(t);
    return 0;
}

static int
tar_read_run(int in_fd, int dest_dirfd, enum tar_read_mode mode, int flags,
             const struct tar_read_opts *in_root, const char *what, struct tar_read_result *res,
             struct error *err)
{
    struct tr t;
    size_t i;
    int rc = 0;

    memset(&t, 0, sizeof(t));
    t.in_fd = in_fd;
    t.dest = dest_dirfd;
    t.mode = mode;
    t.flags = flags;
    t.in_root = in_root;
    t.what = what;
    t.cache[0].fd = t.cache[1].fd = -1;
    if (limits_unpack_max(limits_input_size(in_fd), &t.unpack_max, err) < 0)
        return error_wrap(err, "%s", what);
    digest_init(&t.digest);
    digest_init(&t.diff_id);
    /* sniff the compression from the first bytes, which then go through as input */
    while (t.head_len < COMPRESS_DETECT_LEN && rc == 0) {
        ssize_t n = read_fd(&t, t.head + t.head_len, COMPRESS_DETECT_LEN - t.head_len, err);
        if (n < 0)
            rc = error_wrap(err, "%s", what);
        else if (n == 0)
            break;
        else
            t.head_len += (size_t)n;
    }
    if (rc == 0) {
        t.cr = compress_reader_new(compress_detect(t.head, t.head_len), tr_source, &t);
        t.tarbuf = xmalloc(TR_BUF);
        rc = tr_run(&t, err);
    }
    if (rc == 0) {
        digest_final(&t.digest, res->digest);
        digest_final(&t.diff_id, res->diff_id);
        res->size = t.size;
        res->entries = t.entries;
        res->max_mtime = t.max_mtime;
    }
    digest_release(&t.digest);
    digest_release(&t.diff_id);
    compress_reader_free(t.cr);
    free(t.tarbuf);
    cache_release(&t);
    hashmap_release(&t.created, NULL);
    for (i = 0; i < t.ndirs; i++)
        free(t.dirs[i].path);
    free(t.dirs);
    return rc;
}

int
tar_read_extract(int in_fd, int dest_dirfd, enum tar_read_mode mode, int flags, const char *what,
                 struct tar_read_result *res, struct error *err)
{
    return tar_read_run(in_fd, dest_dirfd, mode, flags, NULL, what, res, err);
}

int
tar_read_extract_in(int in_fd, int dest_dirfd, enum tar_read_mode mode,
                    const struct tar_read_opts *o, const char *what, struct tar_read_result *res,
                    struct error *err)
{
    return tar_read_run(in_fd, dest_dirfd, mode, o->flags, o, what, res, err);
}
