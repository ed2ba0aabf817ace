#include "builder/engine/copy.h"

#include <dirent.h>
#include <fnmatch.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "builder/sandbox/passwd.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/tar_read.h"

#include "formats/core/banned.h"

struct copy_link {
    dev_t dev;
    ino_t ino;
    char *dest; /* host path of the first copy (in the merged rootfs) */
};

struct copy_state {
    const struct copy_job *job;
    uid_t uid;
    gid_t gid;
    int dest_is_dir;         /* job->dest_is_dir, or several sources matched */
    size_t pivot;            /* --parents: leading components of the source not kept */
    struct buf rel;          /* source path relative to the context (ignore rules) */
    size_t src_len;          /* bytes of rel naming the source itself ("dir/"), for --exclude */
    struct copy_link *links; /* source files with several names, and where the first went */
    size_t nlinks, alloc_links;
    int fresh;     /* the destination directory is a new one in the upper dir: nothing to clear */
    int no_cfr[2]; /* copy_file_range was refused, into the overlay [0] or the upper dir [1] */
    char *upper_path; /* job->upper's path, when there is one */
};

static int
copy_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The class bits of who ('u', 'g', 'o'; anything else is all three), special bits included. */
static mode_t
copy_chmod_who(char c)
{
    return c == 'u' ? 04700 : c == 'g' ? 02070 : c == 'o' ? 01007 : 07777;
}

/* The permission letters of one symbolic operation, as bits for every class. */
static mode_t
copy_chmod_perms(const char **pp, mode_t cur, mode_t src)
{
    const char *p = *pp;
    mode_t bits = 0;

    if (*p && strchr("ugo", *p)) { /* "g=u": copy another class's bits */
        unsigned shift = *p == 'u' ? 6 : *p == 'g' ? 3 : 0;
        mode_t three = (cur >> shift) & 7;
        *pp = p + 1;
        return (three << 6) | (three << 3) | three;
    }
    for (; *p && strchr("rwxXst", *p); p++) {
        if (*p == 'r')
            bits |= 0444;
        else if (*p == 'w')
            bits |= 0222;
        else if (*p == 'x' || (*p == 'X' && (S_ISDIR(src) || (src & 0111))))
            bits |= 0111; /* X: only for directories and already executable files */
        else if (*p == 's')
            bits |= 06000;
        else if (*p == 't')
            bits |= 01000;
    }
    *pp = p;
    return bits;
}

/*
 * chmod(1)'s symbolic modes: clauses [ugoa]*([-+=]([rwxXst]*|[ugo]))+ joined
 * by commas, applied in order to src. Returns -1 on a syntax error.
 */
static int
copy_chmod_symbolic(const char *s, mode_t src, mode_t *out)
{
    mode_t cur = src & 07777;
    const char *p = s;

    for (;;) {
        mode_t who = 0;
        for (; *p && strchr("ugoa", *p); p++)
            who |= copy_chmod_who(*p);
        if (!who)
            who = 07777;
        if (!*p || !strchr("+-=", *p))
            return -1;
        while (*p && strchr("+-=", *p)) {
            char op = *p++;
            mode_t bits = copy_chmod_perms(&p, cur, src) & who;
            if (op == '+')
                cur |= bits;
            else if (op == '-')
                cur &= ~bits;
            else
                cur = (cur & ~who) | bits;
        }
        if (!*p)
            break;
        if (*p++ != ',')
            return -1;
    }
    *out = cur;
    return 0;
}

int
copy_chmod_parse(const char *s, struct copy_chmod *out, struct error *err)
{
    mode_t probe;
    char *end;
    unsigned long v;

    memset(out, 0, sizeof(*out));
    if (!s)
        return 0;
    v = strtoul(s, &end, 8);
    if (*s >= '0' && *s <= '7' && !*end) {
        if (v > 07777)
            goto bad;
        out->kind = 1;
        out->octal = (mode_t)v;
        return 0;
    }
    if (strlen(s) >= sizeof(out->sym) || copy_chmod_symbolic(s, S_IFREG | 0644, &probe) < 0)
        goto bad;
    out->kind = 2;
    memcpy(out->sym, s, strlen(s) + 1);
    return 0;
bad:
    /* BuildKit's own message (dockerfile2llb dispatchCopy) */
    return error_input(err,
                       "invalid chmod parameter: '%s'. it should be octal string and between 0 "
                       "and 07777",
                       s);
}

mode_t
copy_chmod_apply(const struct copy_chmod *c, mode_t src)
{
    mode_t m;

    if (c->kind == 1)
        return c->octal;
    if (c->kind == 2 && copy_chmod_symbolic(c->sym, src, &m) == 0)
        return m;
    return src & 07777;
}

/* A directory copy_mkdirs made: --chown's owner (or 0:0), and --chmod applied to 0755. */
static int
copy_made_dir(int dirfd, const char *name, void *arg, struct error *err)
{
    const struct copy_state *cs = arg;
    mode_t mode = cs->job->chmod.kind ? copy_chmod_apply(&cs->job->chmod, S_IFDIR | 0755) : 0755;

    if (fchownat(dirfd, name, cs->uid, cs->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return error_set(err, errno, "chown %s", name);
    if (fchmodat(dirfd, name, mode, 0) < 0)
        return error_set(err, errno, "chmod %s", name);
    return 0;
}

/*
 * Opens (creating as needed) directory path inside the rootfs. Directories
 * created here get the job's owner and mode 0755 (or --chmod's, which
 * BuildKit also gives the parents it makes); a symlink on the way to a
 * directory that does not exist yet is followed by making its target, in
 * the rootfs.
 */
static int
copy_mkdirs(int rootfd, const char *path, struct copy_state *cs, struct error *err)
{
    int fd = fs_mkdir_in_root(rootfd, path, 0700, O_RDONLY, copy_made_dir, cs, err);

    return fd < 0 ? error_wrap(err, "destination %s", path) : fd;
}

/*
 * Owners of copied entries: --chown, else the source's own when copying from
 * a stage or an image (as BuildKit does), else 0:0 for the build context.
 */
static uid_t
copy_uid(const struct copy_state *cs, const struct stat *st)
{
    return cs->job->keep_owner && !cs->job->chown ? st->st_uid : cs->uid;
}

static gid_t
copy_gid(const struct copy_state *cs, const struct stat *st)
{
    return cs->job->keep_owner && !cs->job->chown ? st->st_gid : cs->gid;
}

static mode_t
copy_mode(const struct copy_state *cs, mode_t src)
{
    return copy_chmod_apply(&cs->job->chmod, src);
}

/* Removes whatever is at name in dirfd unless it is a directory and keep_dir. */
static int
copy_clear(int dirfd, const char *name, int keep_dir, struct error *err)
{
    struct stat st;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : error_set(err, errno, "stat %s", name);
    if (S_ISDIR(st.st_mode)) {
        if (keep_dir)
            return 0;
        return fs_rm_rf(dirfd, name, err);
    }
    if (unlinkat(dirfd, name, 0) < 0)
        return error_set(err, errno, "replace %s", name);
    return 0;
}

/* COPY --exclude: patterns match the path in the context or below the source. */
static int
copy_excluded(const struct copy_state *cs)
{
    const char *rel = buf_cstr(&cs->rel);

    if (!cs->job->exclude)
        return 0;
    return dockerignore_match(cs->job->exclude, rel) == 1 ||
           (cs->src_len && cs->src_len < cs->rel.len &&
            dockerignore_match(cs->job->exclude, rel + cs->src_len) == 1);
}

static int copy_entry(int sdir, const char *sname, int ddir, const char *dname,
                      struct copy_state *cs, struct error *err);

static int
copy_times(int dirfd, const char *name, const struct stat *st, struct error *err)
{
    struct timespec ts[2] = {st->st_mtim, st->st_mtim};

    if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return error_set(err, errno, "set times of %s", name);
    return 0;
}

/*
 * The same file by its name on the other side of the overlay: the upper dir's
 * path for one in the merged view, or the other way round (what this copy
 * makes is in the upper dir, and the merged view shows it). NULL for a path
 * on neither side.
 */
static char *
copy_other_side(const struct copy_state *cs, const char *path)
{
    const char *m = cs->job->merged, *u = cs->upper_path;
    size_t ml = m ? strlen(m) : 0, ul = u ? strlen(u) : 0;

    if (!m || !u)
        return NULL;
    if (!strncmp(path, m, ml) && path[ml] == '/')
        return xasprintf("%s%s", u, path + ml);
    if (!strncmp(path, u, ul) && path[ul] == '/')
        return xasprintf("%s%s", m, path + ul);
    return NULL;
}

/*
 * A source file with several names inside one COPY is copied once and the
 * other names become hard links to it, as BuildKit does. Returns 1 when dname
 * was linked to an earlier copy, 0 when it must be copied (and is recorded).
 */
static int
copy_hardlink(const struct stat *st, int ddir, const char *dname, struct copy_state *cs)
{
    char fdpath[64], dir[4096];
    ssize_t n;
    size_t i;

    if (st->st_nlink < 2)
        return 0;
    for (i = 0; i < cs->nlinks; i++)
        if (cs->links[i].dev == st->st_dev && cs->links[i].ino == st->st_ino) {
            cleanup_free char *other = NULL;
            if (linkat(AT_FDCWD, cs->links[i].dest, ddir, dname, 0) == 0)
                return 1;
            /* the first name was made on the other side (upper dir or overlay) */
            other = errno == EXDEV ? copy_other_side(cs, cs->links[i].dest) : NULL;
            return other && linkat(AT_FDCWD, other, ddir, dname, 0) == 0;
        }
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", ddir);
    n = readlink(fdpath, dir, sizeof(dir) - 1);
    if (n < 0)
        return 0;
    dir[n] = '\0';
    cs->links = xgrow(cs->links, sizeof(*cs->links), cs->nlinks + 1, &cs->alloc_links);
    cs->links[cs->nlinks].dev = st->st_dev;
    cs->links[cs->nlinks].ino = st->st_ino;
    cs->links[cs->nlinks++].dest = xasprintf("%s/%s", dir, dname);
    return 0;
}

static int
copy_file(int sfd, const struct stat *st, int ddir, const char *dname, struct copy_state *cs,
          struct error *err)
{
    cleanup_close int out = -1;

    if (!cs->fresh && copy_clear(ddir, dname, 0, err) < 0)
        return -1;
    if (copy_hardlink(st, ddir, dname, cs) == 1)
        return 0;
    out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return error_set(err, errno, "create %s", dname);
    if (fs_copy_fd_hint(sfd, out, &cs->no_cfr[cs->fresh], dname, err) < 0)
        return -1;
    if (fchown(out, copy_uid(cs, st), copy_gid(cs, st)) < 0 ||
        fchmod(out, copy_mode(cs, st->st_mode)) < 0)
        return error_set(err, errno, "set owner/mode of %s", dname);
    {
        struct timespec ts[2] = {st->st_mtim, st->st_mtim};
        if (futimens(out, ts) < 0)
            return error_set(err, errno, "set times of %s", dname);
    }
    return 0;
}

/* Whether the directory dfd holds nothing but "." and "..". */
static int
copy_dir_empty(int dfd)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    int empty = 1;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while (empty && (de = readdir(d)) != NULL)
        empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    closedir(d);
    return empty;
}

/*
 * The upper dir's twin of dfd, a directory of the merged view, when both are
 * empty: then no lower layer shows through it, and what is created in the
 * twin is what creating it through the overlay would have made (a file there
 * with no lower file of its name; overlayfs.rst, "Non-directories"). The
 * twin is found by dfd's path below the mount point, without following a
 * symlink, and must be dfd's inode (overlayfs shows a directory that lives
 * only in the upper dir with the upper inode's number when all layers are on
 * one file system). -1 when there is none: the copy goes through the overlay.
 */
static int
copy_upper_twin(const struct copy_state *cs, int dfd)
{
    const struct copy_job *job = cs->job;
    struct open_how how = {O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                           RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV};
    char fdpath[64], path[PATH_MAX];
    size_t ml;
    ssize_t n;
    struct stat a, b;
    int up;

    if (job->upper < 0 || !job->merged)
        return -1;
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", dfd);
    n = readlink(fdpath, path, sizeof(path) - 1);
    if (n < 0 || (size_t)n >= sizeof(path) - 1)
        return -1;
    path[n] = '\0';
    ml = strlen(job->merged);
    if (strncmp(path, job->merged, ml) || (path[ml] != '/' && path[ml] != '\0'))
        return -1;
    up = (int)syscall(SYS_openat2, job->upper, path[ml] ? path + ml + 1 : ".", &how, sizeof(how));
    if (up < 0)
        return -1;
    if (fstat(dfd, &a) < 0 || fstat(up, &b) < 0 || a.st_ino != b.st_ino || !copy_dir_empty(dfd) ||
        !copy_dir_empty(up)) {
        close(up);
        return -1;
    }
    return up;
}

static int copy_dir_entries(int sfd, int dfd, struct copy_state *cs, struct error *err);

/* Copies the entries of sfd into dfd, in the upper dir when dfd is new there. */
static int
copy_dir_contents(int sfd, int dfd, struct copy_state *cs, struct error *err)
{
    int twin = cs->fresh ? -1 : copy_upper_twin(cs, dfd);
    int rc;

    if (twin < 0)
        return copy_dir_entries(sfd, dfd, cs, err);
    cs->fresh = 1;
    rc = copy_dir_entries(sfd, twin, cs, err);
    cs->fresh = 0;
    close(twin);
    return rc;
}

static int
copy_dir_entries(int sfd, int dfd, struct copy_state *cs, struct error *err)
{
    cleanup_strvec struct strvec names = STRVEC_INIT;
    DIR *d = fdopendir(dup(sfd));
    struct dirent *de;
    size_t i, rl = cs->rel.len;

    if (!d)
        return error_set(err, errno, "read directory %s", buf_cstr(&cs->rel));
    rewinddir(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            strvec_push(&names, de->d_name);
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), copy_cmp);
    for (i = 0; i < names.n; i++) {
        int skip;
        if (rl)
            buf_addch(&cs->rel, '/');
        buf_adds(&cs->rel, names.v[i]);
        skip = context_leave_out(cs->job->ignore, buf_cstr(&cs->rel), sfd, names.v[i]) ||
               copy_excluded(cs);
        if (!skip && copy_entry(sfd, names.v[i], dfd, names.v[i], cs, err) < 0)
            return -1;
        cs->rel.len = rl;
        cs->rel.data[rl] = '\0';
    }
    return 0;
}

static int
copy_dir(int sfd, const struct stat *st, int ddir, const char *dname, struct copy_state *cs,
         struct error *err)
{
    cleanup_close int dfd = -1;

    if (!cs->fresh && copy_clear(ddir, dname, 1, err) < 0)
        return -1;
    if (mkdirat(ddir, dname, 0700) < 0 && errno != EEXIST)
        return error_set(err, errno, "mkdir %s", dname);
    dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return error_set(err, errno, "open %s", dname);
    if (copy_dir_contents(sfd, dfd, cs, err) < 0)
        return -1;
    if (fchown(dfd, copy_uid(cs, st), copy_gid(cs, st)) < 0 ||
        fchmod(dfd, copy_mode(cs, st->st_mode)) < 0)
        return error_set(err, errno, "set owner/mode of %s", dname);
    return copy_times(ddir, dname, st, err);
}

static int
copy_special(int sdir, const char *sname, const struct stat *st, int ddir, const char *dname,
             struct copy_state *cs, struct error *err)
{
    if (!cs->fresh && copy_clear(ddir, dname, 0, err) < 0)
        return -1;
    if (S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);
        if (n < 0)
            return error_set(err, errno, "readlink %s", sname);
        target[n] = '\0';
        if (symlinkat(target, ddir, dname) < 0)
            return error_set(err, errno, "symlink %s", dname);
    } else if (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        if (mknodat(ddir, dname, st->st_mode, st->st_rdev) < 0)
            return error_set(err, errno, "mknod %s", dname);
        if (fchmodat(ddir, dname, copy_mode(cs, st->st_mode), 0) < 0)
            return error_set(err, errno, "chmod %s", dname);
    } else if (S_ISSOCK(st->st_mode)) {
        /* BuildKit's context transfer (fsutil) turns a socket into an empty regular file */
        int fd = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return error_set(err, errno, "create %s", dname);
        if (fchmod(fd, copy_mode(cs, S_IFREG | (st->st_mode & 07777))) < 0) {
            close(fd);
            return error_set(err, errno, "chmod %s", dname);
        }
        close(fd);
    } else {
        return 0;
    }
    if (fchownat(ddir, dname, copy_uid(cs, st), copy_gid(cs, st), AT_SYMLINK_NOFOLLOW) < 0)
        return error_set(err, errno, "chown %s", dname);
    return copy_times(ddir, dname, st, err);
}

static int
copy_entry(int sdir, const char *sname, int ddir, const char *dname, struct copy_state *cs,
           struct error *err)
{
    struct stat st;
    cleanup_close int sfd = -1;

    if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return error_set(err, errno, "stat %s", buf_cstr(&cs->rel));
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return copy_special(sdir, sname, &st, ddir, dname, cs, err);
    sfd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
        return error_set(err, errno, "open %s", buf_cstr(&cs->rel));
    if (S_ISDIR(st.st_mode))
        return copy_dir(sfd, &st, ddir, dname, cs, err);
    return copy_file(sfd, &st, ddir, dname, cs, err);
}

/* image-spec layer.md: ADD of a local archive applies it like a layer. */
static int
copy_is_archive(int fd)
{
    unsigned char m[512];
    ssize_t n = pread(fd, m, sizeof(m), 0);

    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return 1;
    if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return 1;
    if (n >= 6 && !memcmp(m,
                          "\xfd"
                          "7zXZ\0",
                          6))
        return 1;
    return n == 512 && !memcmp(m + 257, "ustar", 5);
}

/* The path of rel below the destination with --parents: without its first pivot components. */
static const char *
copy_after_pivot(const char *rel, size_t pivot)
{
    while (pivot-- > 0) {
        const char *slash = strchr(rel, '/');
        if (!slash)
            return "";
        rel = slash + 1;
    }
    return rel;
}

static int
copy_source(int rootfd, const char *rel, struct copy_state *cs, struct error *err)
{
    const struct copy_job *job = cs->job;
    cleanup_close int sfd = fs_open_in_root(job->src_root, rel, O_RDONLY, err);
    cleanup_close int dfd = -1;
    cleanup_free char *ddir = NULL;
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    struct stat st;
    int into;

    if (sfd < 0 || fstat(sfd, &st) < 0)
        return error_set(err, errno, "source %s", rel);
    buf_reset(&cs->rel);
    buf_adds(&cs->rel, strcmp(rel, ".") ? rel : "");
    cs->src_len = cs->rel.len ? cs->rel.len + 1 : 0;
    if (!S_ISDIR(st.st_mode) && copy_excluded(cs))
        return 0;
    if (job->parents) { /* --parents: dest/<the source's own path, after the pivot> */
        cleanup_free char *sub = xstrdup(copy_after_pivot(rel, cs->pivot));
        char *slash = S_ISDIR(st.st_mode) ? NULL : strrchr(sub, '/');
        if (!S_ISDIR(st.st_mode))
            *(slash ? slash : sub) = '\0';
        ddir = strcmp(sub, ".") && *sub ? fs_join(job->dest, sub) : xstrdup(job->dest);
        dfd = copy_mkdirs(rootfd, ddir, cs, err);
        if (dfd < 0)
            return -1;
        if (S_ISDIR(st.st_mode))
            return copy_dir_contents(sfd, dfd, cs, err);
        return copy_file(sfd, &st, dfd, base, cs, err);
    }
    /* ADD unpacks an archive into dest, a directory even without a trailing slash */
    into = cs->dest_is_dir || S_ISDIR(st.st_mode) ||
           (job->extract && S_ISREG(st.st_mode) && copy_is_archive(sfd));
    if (!into) { /* an existing directory at dest takes the file inside it */
        int probe = fs_open_in_root(rootfd, job->dest, O_RDONLY | O_DIRECTORY, err);
        if (probe >= 0) {
            into = 1;
            close(probe);
        }
    }
    if (into) {
        ddir = xstrdup(job->dest);
    } else {
        ddir = xstrdup(job->dest);
        *strrchr(ddir, '/') = '\0';
        base = strrchr(job->dest, '/') + 1;
    }
    dfd = copy_mkdirs(rootfd, *ddir ? ddir : "/", cs, err);
    if (dfd < 0)
        return -1;
    if (S_ISDIR(st.st_mode))
        return copy_dir_contents(sfd, dfd, cs, err);
    if (job->extract && S_ISREG(st.st_mode) && copy_is_archive(sfd)) {
        /* entries may go through the image's symlinks; --chown owns them all */
        struct tar_read_opts o = {0,       rootfd, *ddir ? ddir : "/", job->chown != NULL,
                                  cs->uid, cs->gid};
        struct tar_read_result res;
        return tar_read_extract_in(sfd, dfd, TAR_READ_APPLY, &o, rel, &res, err);
    }
    return copy_file(sfd, &st, dfd, base, cs, err);
}

static int
copy_glob_has(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int
copy_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds to out every path below root matching comps[i..] under prefix ("." is the root). */
static void
copy_glob(int root, const char *prefix, char **comps, size_t i, size_t n, struct strvec *out)
{
    cleanup_free char *joined = NULL;
    struct error ignored;
    struct dirent *de;
    DIR *d;
    int fd;

    if (i == n) {
        strvec_push(out, prefix);
        return;
    }
    if (!strcmp(comps[i], "**"))
        copy_glob(root, prefix, comps, i + 1, n, out); /* no directory at all */
    if (!copy_glob_has(comps[i])) {
        joined = strcmp(prefix, ".") ? xasprintf("%s/%s", prefix, comps[i]) : xstrdup(comps[i]);
        fd = fs_open_in_root(root, joined, O_PATH, &ignored);
        if (fd >= 0) {
            close(fd);
            copy_glob(root, joined, comps, i + 1, n, out);
        }
        return;
    }
    fd = fs_open_in_root(root, prefix, O_RDONLY | O_DIRECTORY, &ignored);
    if (fd < 0)
        return;
    if (!(d = fdopendir(fd))) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        cleanup_free char *sub = NULL;
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        sub = strcmp(prefix, ".") ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
        if (!strcmp(comps[i], "**")) {
            /* one more directory, and "**" may go on matching below it */
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                copy_glob(root, sub, comps, i, n, out);
            continue;
        }
        if (fnmatch(comps[i], de->d_name, 0) == 0)
            copy_glob(root, sub, comps, i + 1, n, out);
    }
    closedir(d);
}

void
copy_glob_paths(int root, const char *pattern, struct strvec *out)
{
    cleanup_strvec struct strvec comps = STRVEC_INIT;
    cleanup_strvec struct strvec found = STRVEC_INIT;
    cleanup_free char *tmp = xstrdup(pattern);
    char *p, *save = NULL;
    size_t i;

    for (p = strtok_r(tmp, "/", &save); p; p = strtok_r(NULL, "/", &save))
        if (strcmp(p, "."))
            strvec_push(&comps, p);
    copy_glob(root, ".", comps.v, 0, comps.n, &found);
    if (found.n > 1)
        qsort(found.v, found.n, sizeof(char *), copy_cmp_str);
    for (i = 0; i < found.n; i++)
        if (!i || strcmp(found.v[i], found.v[i - 1]))
            strvec_push(out, found.v[i]);
}

char *
copy_parents_source(const char *src, size_t *pivot, struct error *err)
{
    const char *cut = strstr(src, "/./");
    cleanup_free char *parent = cut ? xstrndup(src, (size_t)(cut - src)) : NULL;
    cleanup_free char *clean_parent = parent ? context_clean(parent, err) : NULL;
    char *clean = context_clean(src, err);
    size_t n = 0;
    const char *q;

    if (!clean || (parent && !clean_parent)) {
        free(clean);
        return NULL;
    }
    if (clean_parent && strcmp(clean_parent, "."))
        for (n = 1, q = clean_parent; (q = strchr(q, '/')) != NULL; q++)
            n++;
    *pivot = n;
    return clean;
}

/* The sources with wildcards expanded against the source root, and the pivot of each. */
struct copy_src {
    struct strvec paths;
    size_t *pivots;
};

/*
 * The sources to copy: job->sources, with wildcards expanded against the
 * source root when job->glob (COPY --from=STAGE /app/x?.jar, and --parents
 * patterns with "**"). A wildcard that matches nothing adds nothing
 * (BuildKit's AllowEmptyWildcard).
 */
static void
copy_expand(const struct copy_job *job, struct copy_src *out)
{
    size_t i, j;

    for (i = 0; i < job->sources->n; i++) {
        const char *src = job->sources->v[i];
        size_t before = out->paths.n;
        if (!job->glob || (!copy_glob_has(src) && !strstr(src, "**")))
            strvec_push(&out->paths, src);
        else
            copy_glob_paths(job->src_root, src, &out->paths);
        out->pivots = xrealloc(out->pivots, (out->paths.n + 1) * sizeof(*out->pivots));
        for (j = before; j < out->paths.n; j++)
            out->pivots[j] = job->pivots ? job->pivots[i] : 0;
    }
}

int
copy_run(int rootfd, const struct copy_job *job, struct error *err)
{
    struct copy_state cs = {job, 0, 0, 0, 0, BUF_INIT, 0, NULL, 0, 0, 0, {0, 0}, NULL};
    struct copy_src srcs = {STRVEC_INIT, NULL};
    size_t i;
    int rc = 0;

    if (job->upper >= 0 && job->merged) {
        char fdpath[64], path[PATH_MAX];
        ssize_t n;
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", job->upper);
        n = readlink(fdpath, path, sizeof(path) - 1);
        if (n > 0 && (size_t)n < sizeof(path) - 1)
            cs.upper_path = xstrndup(path, (size_t)n);
    }

    if (job->chown) {
        struct passwd_ids ids;
        if (passwd_resolve(rootfd, job->chown, &ids, err) < 0) {
            err->exit_code = 2; /* the recipe names a user the image does not have */
            return error_wrap(err, "--chown=%s", job->chown);
        }
        cs.uid = ids.uid;
        /* Dockerfile reference, COPY --chown: a user without a group also names the GID */
        cs.gid = strchr(job->chown, ':') ? ids.gid : (gid_t)ids.uid;
    }
    copy_expand(job, &srcs);
    /* Dockerfile reference, COPY: several sources need a directory as destination */
    cs.dest_is_dir = job->dest_is_dir || srcs.paths.n > 1;
    for (i = 0; rc == 0 && i < srcs.paths.n; i++) {
        cs.pivot = srcs.pivots[i];
        rc = copy_source(rootfd, srcs.paths.v[i], &cs, err);
    }
    strvec_release(&srcs.paths);
    free(srcs.pivots);
    buf_release(&cs.rel);
    for (i = 0; i < cs.nlinks; i++)
        free(cs.links[i].dest);
    free(cs.links);
    free(cs.upper_path);
    return rc;
}

int
copy_mkdir_p(int rootfd, const char *path, const char *user, struct error *err)
{
    struct copy_job job;
    struct copy_state cs;
    int fd;

    memset(&job, 0, sizeof(job));
    job.upper = -1;
    memset(&cs, 0, sizeof(cs));
    cs.job = &job;
    if (user && *user) {
        struct passwd_ids ids;
        if (passwd_resolve(rootfd, user, &ids, err) < 0)
            return error_wrap(err, "WORKDIR %s", path);
        cs.uid = ids.uid;
        cs.gid = ids.gid;
    }
    fd = copy_mkdirs(rootfd, path, &cs, err);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}
