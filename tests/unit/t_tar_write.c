#include "formats/tar_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "formats/compress.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"
#include "formats/digest.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

static void
put(const char *path, const char *content, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    struct error err;

    error_init(&err);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK_OK(fs_write_all(fd, content, strlen(content), &err), err);
    close(fd);
    CHECK(chmod(path, mode) == 0);
}

static void
set_mtime(const char *path, time_t sec, long nsec)
{
    struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
    CHECK(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

/* Captures dir into out (a file) and returns the result. */
static struct tar_write_result
capture(const char *dir, const char *out, enum compress_kind kind, long long clamp)
{
    struct tar_write_opts o;
    struct tar_write_result r;
    struct error err;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    memset(&r, 0, sizeof(r));
    error_init(&err);
    tar_write_opts_init(&o);
    o.compression = kind;
    o.clamp_mtime = clamp;
    o.threads = 2;
    CHECK(dfd >= 0 && ofd >= 0);
    CHECK_OK(tar_write_dir(dfd, &o, ofd, &r, &err), err);
    close(dfd);
    close(ofd);
    return r;
}

/* One entry as read back with libarchive. */
struct seen {
    char *path, *link, *symlink;
    mode_t type, perm;
    long long uid, gid, mtime, mtime_nsec, size;
    int has_uname, has_atime, has_ctime;
    unsigned rmajor, rminor;
    char *xattrs; /* "name=value;" sorted as stored */
    char *data;
};

struct listing {
    struct seen *v;
    size_t n, alloc;
};

static void
listing_release(struct listing *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].link);
        free(l->v[i].symlink);
        free(l->v[i].xattrs);
        free(l->v[i].data);
    }
    free(l->v);
}

static void
read_back(const char *file, struct listing *l)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;

    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    CHECK_INT(archive_read_open_filename(a, file, 65536), ARCHIVE_OK);
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        struct seen *s;
        struct buf xa = BUF_INIT, data = BUF_INIT;
        const char *name;
        const void *val;
        size_t sz;
        char chunk[4096];
        la_ssize_t n;

        l->v = xgrow(l->v, sizeof(*l->v), l->n + 1, &l->alloc);
        s = &l->v[l->n++];
        memset(s, 0, sizeof(*s));
        s->path = xstrdup(archive_entry_pathname(e));
        s->link = archive_entry_hardlink(e) ? xstrdup(archive_entry_hardlink(e)) : NULL;
        s->symlink = archive_entry_symlink(e) ? xstrdup(archive_entry_symlink(e)) : NULL;
        s->type = archive_entry_filetype(e);
        s->perm = archive_entry_perm(e);
        s->uid = archive_entry_uid(e);
        s->gid = archive_entry_gid(e);
        s->mtime = archive_entry_mtime(e);
        s->mtime_nsec = archive_entry_mtime_nsec(e);
        s->size = archive_entry_size(e);
        s->has_uname = archive_entry_uname(e) && *archive_entry_uname(e);
        s->has_uname |= archive_entry_gname(e) && *archive_entry_gname(e);
        s->has_atime = archive_entry_atime_is_set(e);
        s->has_ctime = archive_entry_ctime_is_set(e);
        s->rmajor = archive_entry_rdevmajor(e);
        s->rminor = archive_entry_rdevminor(e);
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &val, &sz) == ARCHIVE_OK)
            buf_addf(&xa, "%s=%.*s;", name, (int)sz, (const char *)val);
        s->xattrs = buf_detach(&xa);
        while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
            buf_add(&data, chunk, (size_t)n);
        s->data = buf_detach(&data);
    }
    archive_read_free(a);
}

static const struct seen *
find(const struct listing *l, const char *path)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].path, path))
            return &l->v[i];
    harness_fail(__FILE__, __LINE__, "entry %s not in the layer", path);
    return NULL;
}

static void
names(const struct listing *l, struct buf *out)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        buf_addf(out, "%s%s", i ? " " : "", l->v[i].path);
}

static void
make_tree(void)
{
    CHECK(mkdir("t", 0755) == 0);
    CHECK(mkdir("t/etc", 0755) == 0);
    put("t/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
    put("t/etc/group", "root:x:0:\n", 0644);
    CHECK(mkdir("t/bin", 0755) == 0);
    put("t/bin/tool", "#!/bin/sh\necho hi\n", 04755);
    CHECK(symlink("tool", "t/bin/alias") == 0);
    CHECK(mkdir("t/tmp", 01777) == 0);
    put("t/big", "", 0600);
}

TEST(tar_write_deterministic_and_ignores_atime_ctime)
{
    struct tar_write_result a, b;
    struct timespec ts[2] = {{12345, 0}, {0, UTIME_OMIT}};

    make_tree();
    a = capture("t", "a.tzst", COMPRESS_ZSTD, -1);
    b = capture("t", "b.tzst", COMPRESS_ZSTD, -1);
    CHECK_STR(a.diff_id, b.diff_id);
    CHECK_STR(a.digest, b.digest);
    /* new atimes and ctimes (chmod back and forth), same layer */
    CHECK(utimensat(AT_FDCWD, "t/etc/passwd", ts, 0) == 0);
    CHECK(utimensat(AT_FDCWD, "t/etc", ts, 0) == 0);
    CHECK(chmod("t/bin/tool", 0700) == 0 && chmod("t/bin/tool", 04755) == 0);
    b = capture("t", "c.tzst", COMPRESS_ZSTD, -1);
    CHECK_STR(a.diff_id, b.diff_id);
    CHECK_STR(a.digest, b.digest);
    CHECK_INT(a.entries, 8);
}

TEST(tar_write_digests_match_bytes)
{
    static const enum compress_kind kinds[] = {COMPRESS_NONE, COMPRESS_GZIP, COMPRESS_ZSTD};
    struct tar_write_result none;
    size_t i;

    make_tree();
    none = capture("t", "l.tar", COMPRESS_NONE, -1);
    CHECK_STR(none.diff_id, none.digest);
    CHECK_INT(none.size, none.tar_size);
    CHECK_INT(none.tar_size % 512, 0);
    for (i = 0; i < 3; i++) {
        struct tar_write_result r = capture("t", "l", kinds[i], -1);
        char d[DIGEST_STR_LEN + 1];
        struct error err;
        struct stat st;

        error_init(&err);
        CHECK_OK(digest_file(AT_FDCWD, "l", d, &err), err);
        CHECK_STR(r.digest, d);
        CHECK(stat("l", &st) == 0);
        CHECK_INT(r.size, st.st_size);
        /* the uncompressed tar is the same whatever the compression */
        CHECK_STR(r.diff_id, none.diff_id);
        CHECK_INT(r.tar_size, none.tar_size);
    }
}

struct tw_nothreads {
    int dfd, ofd;
};

/* In a child that cannot start threads: capture fails with an error, it does not abort. */
static int
tw_nothreads(void *arg)
{
    const struct tw_nothreads *t = arg;
    struct tar_write_opts o;
    struct tar_write_result r;
    struct error err;

    error_init(&err);
    tar_write_opts_init(&o);
    if (tar_write_dir(t->dfd, &o, t->ofd, &r, &err) == 0) {
        fprintf(stderr, "tar_write_dir without threads succeeded\n");
        return 1;
    }
    if (!strstr(err.msg, "start the layer compression thread")) {
        fprintf(stderr, "tar_write_dir without threads: unexpected error: %s\n", err.msg);
        return 2;
    }
    return 0;
}

TEST(tar_write_refused_thread_is_an_error)
{
    struct tw_nothreads t;

    make_tree();
    t.dfd = open("t", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    t.ofd = open("l", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(t.dfd >= 0 && t.ofd >= 0);
    harness_without_threads(tw_nothreads, &t);
    close(t.dfd);
    close(t.ofd);
}

TEST(tar_write_order_names_and_ids)
{
    struct listing l = {0};
    cleanup_buf struct buf got = BUF_INIT;
    const struct seen *s;

    CHECK(mkdir("t", 0755) == 0);
    CHECK(mkdir("t/a", 0750) == 0);
    CHECK(mkdir("t/a/b", 0755) == 0);
    put("t/a/b/f", "x", 0644);
    put("t/a/z", "z", 0644);
    put("t/a/B", "B", 0644);
    put("t/a-b", "-", 0644);
    put("t/A", "A", 0644);
    put("t/.hidden", "h", 0644);
    put("t/\xc3\xa9t\xc3\xa9", "utf8", 0644);
    CHECK(chown("t/a/z", 1234, 5678) == 0);
    capture("t", "l.tar", COMPRESS_NONE, -1);
    read_back("l.tar", &l);
    names(&l, &got);
    /* depth first, siblings bytewise, parents first, directories with a trailing "/" */
    CHECK_STR(buf_cstr(&got), ".hidden A a/ a/B a/b/ a/b/f a/z a-b \xc3\xa9t\xc3\xa9");
    s = find(&l, "a/z");
    if (s) {
        CHECK_INT(s->uid, 1234);
        CHECK_INT(s->gid, 5678);
        CHECK(!s->has_uname);
        CHECK(!s->has_atime);
        CHECK(!s->has_ctime);
        CHECK_STR(s->data, "z");
    }
    s = find(&l, "a/");
    if (s) {
        CHECK_INT(s->type, AE_IFDIR);
        CHECK_INT(s->perm, 0750);
    }
    listing_release(&l);
}

TEST(tar_write_mtime_clamp_drops_nanoseconds)
{
    struct listing l = {0};
    const struct seen *s;

    CHECK(mkdir("t", 0755) == 0);
    put("t/old", "o", 0644);
    put("t/new", "n", 0644);
    set_mtime("t/old", 2000, 999999999);
    set_mtime("t/new", 5000, 5);
    set_mtime("t", 9000, 0);
    capture("t", "l.tar", COMPRESS_NONE, 3000);
    read_back("l.tar", &l);
    if ((s = find(&l, "old"))) {
        CHECK_INT(s->mtime, 2000);
        CHECK_INT(s->mtime_nsec, 0);
    }
    if ((s = find(&l, "new")))
        CHECK_INT(s->mtime, 3000);
    listing_release(&l);
    memset(&l, 0, sizeof(l));
    capture("t", "k.tar", COMPRESS_NONE, -1);
    read_back("k.tar", &l);
    if ((s = find(&l, "new")))
        CHECK_INT(s->mtime, 5000);
    listing_release(&l);
}

TEST(tar_write_hardlinks_symlinks_modes_devices)
{
    struct listing l = {0};
    cleanup_buf struct buf got = BUF_INIT;
    const struct seen *s;

    CHECK(mkdir("t", 0755) == 0);
    put("t/b", "shared", 0644);
    CHECK(link("t/b", "t/a") == 0);
    CHECK(link("t/b", "t/c") == 0);
    CHECK(symlink("../somewhere/else", "t/l") == 0);
    put("t/suid", "s", 04755);
    put("t/sgid", "g", 02711);
    CHECK(mkdir("t/sticky", 0755) == 0 && chmod("t/sticky", 01777) == 0);
    CHECK(mknod("t/null", S_IFCHR | 0666, makedev(1, 3)) == 0);
    CHECK(mknod("t/loop", S_IFBLK | 0660, makedev(7, 0)) == 0);
    CHECK(mkfifo("t/fifo", 0640) == 0);
    capture("t", "l.tar", COMPRESS_NONE, -1);
    read_back("l.tar", &l);
    names(&l, &got);
    CHECK_STR(buf_cstr(&got), "a b c fifo l loop null sgid sticky/ suid");
    if ((s = find(&l, "a"))) {
        CHECK_INT(s->type, AE_IFREG);
        CHECK_STR(s->data, "shared");
        CHECK(!s->link);
    }
    if ((s = find(&l, "c")))
        CHECK_STR(s->link, "a");
    if ((s = find(&l, "b"))) {
        CHECK_STR(s->link, "a");
        CHECK_INT(s->size, 0);
    }
    if ((s = find(&l, "l")))
        CHECK_STR(s->symlink, "../somewhere/else");
    if ((s = find(&l, "suid")))
        CHECK_INT(s->perm, 04755);
    if ((s = find(&l, "sgid")))
        CHECK_INT(s->perm, 02711);
    if ((s = find(&l, "sticky/")))
        CHECK_INT(s->perm, 01777);
    if ((s = find(&l, "null"))) {
        CHECK_INT(s->type, AE_IFCHR);
        CHECK_INT(s->rmajor, 1);
        CHECK_INT(s->rminor, 3);
    }
    if ((s = find(&l, "loop")))
        CHECK_INT(s->type, AE_IFBLK);
    if ((s = find(&l, "fifo")))
        CHECK_INT(s->type, AE_IFIFO);
    listing_release(&l);
}

TEST(tar_write_xattrs_kept_overlay_dropped)
{
    struct listing l = {0};
    const struct seen *s;

    CHECK(mkdir("t", 0755) == 0);
    put("t/f", "x", 0644);
    CHECK(setxattr("t/f", "user.zz", "last", 4, 0) == 0);
    CHECK(setxattr("t/f", "user.aa", "first", 5, 0) == 0);
    CHECK(setxattr("t/f", "trusted.keep", "k", 1, 0) == 0);
    CHECK(setxattr("t/f", "trusted.overlay.origin", "o", 1, 0) == 0);
    CHECK(setxattr("t/f", "user.overlay.origin", "o", 1, 0) == 0);
    CHECK(symlink("f", "t/l") == 0);
    CHECK(lsetxattr("t/l", "trusted.link", "L", 1, 0) == 0);
    capture("t", "l.tar", COMPRESS_NONE, -1);
    read_back("l.tar", &l);
    if ((s = find(&l, "f"))) {
        CHECK(strstr(s->xattrs, "trusted.keep=k;"));
        CHECK(strstr(s->xattrs, "user.aa=first;"));
        CHECK(strstr(s->xattrs, "user.zz=last;"));
        CHECK(!strstr(s->xattrs, "overlay"));
    }
    if ((s = find(&l, "l")))
        CHECK_STR(s->xattrs, "trusted.link=L;");
    listing_release(&l);
    /* the pax records are in name order (libarchive lists them reversed, so look at bytes) */
    {
        cleanup_buf struct buf raw = BUF_INIT;
        struct error err;
        const char *k, *a, *z;

        error_init(&err);
        CHECK_OK(fs_read_file(AT_FDCWD, "l.tar", &raw, &err), err);
        k = memmem(raw.data, raw.len, "SCHILY.xattr.trusted.keep=k\n", 28);
        a = memmem(raw.data, raw.len, "SCHILY.xattr.user.aa=first\n", 27);
        z = memmem(raw.data, raw.len, "SCHILY.xattr.user.zz=last\n", 26);
        CHECK(k && a && z && k < a && a < z);
        CHECK(!memmem(raw.data, raw.len, "overlay", 7));
    }
}

TEST(tar_write_whiteouts_and_opaque_dirs)
{
    struct listing l = {0};
    cleanup_buf struct buf got = BUF_INIT;
    const struct seen *s;

    CHECK(mkdir("t", 0755) == 0);
    CHECK(mknod("t/gone", S_IFCHR | 0600, makedev(0, 0)) == 0);
    CHECK(chown("t/gone", 77, 77) == 0);
    set_mtime("t/gone", 4000, 0);
    put("t/.a", "sorts before .wh.gone", 0644);
    put("t/-x", "sorts before .wh.", 0644);
    CHECK(mkdir("t/d", 0755) == 0);
    CHECK(setxattr("t/d", "trusted.overlay.opaque", "y", 1, 0) == 0);
    put("t/d/-first", "", 0644);
    put("t/d/keep", "k", 0644);
    CHECK(mkdir("t/u", 0755) == 0);
    CHECK(setxattr("t/u", "user.overlay.opaque", "y", 1, 0) == 0);
    CHECK(mkdir("t/n", 0755) == 0);
    CHECK(setxattr("t/n", "trusted.overlay.opaque", "x", 1, 0) == 0);
    capture("t", "l.tar", COMPRESS_NONE, 3000);
    read_back("l.tar", &l);
    names(&l, &got);
    CHECK_STR(buf_cstr(&got), "-x .a .wh.gone d/ d/.wh..wh..opq d/-first d/keep n/ u/ "
                              "u/.wh..wh..opq");
    if ((s = find(&l, ".wh.gone"))) {
        CHECK_INT(s->type, AE_IFREG);
        CHECK_INT(s->perm, 0);
        CHECK_INT(s->size, 0);
        CHECK_INT(s->uid, 0);
        CHECK_INT(s->mtime, 3000);
    }
    if ((s = find(&l, "d/")))
        CHECK_STR(s->xattrs, "");
    if ((s = find(&l, "d/.wh..wh..opq")))
        CHECK_INT(s->type, AE_IFREG);
    listing_release(&l);
}

TEST(tar_write_long_names_and_big_ids)
{
    struct listing l = {0};
    cleanup_buf struct buf dir = BUF_INIT;
    cleanup_buf struct buf path = BUF_INIT;
    cleanup_buf struct buf target = BUF_INIT;
    const struct seen *s;
    int i;

    /* 120-byte directory name: ustar prefix split; 3 x 90 bytes + file: pax path */
    buf_adds(&dir, "t/");
    for (i = 0; i < 120; i++)
        buf_addch(&dir, 'd');
    CHECK(mkdir("t", 0755) == 0);
    CHECK(mkdir(buf_cstr(&dir), 0755) == 0);
    buf_adds(&path, buf_cstr(&dir));
    for (i = 0; i < 3; i++) {
        buf_addf(&path, "/%090d", i);
        CHECK(mkdir(buf_cstr(&path), 0755) == 0);
    }
    buf_adds(&path, "/file");
    put(buf_cstr(&path), "deep", 0644);
    CHECK(chown(buf_cstr(&path), 3000000, 4000000) == 0);
    for (i = 0; i < 200; i++)
        buf_addch(&target, 'x');
    CHECK(symlink(buf_cstr(&target), "t/longlink") == 0);
    capture("t", "l.tar", COMPRESS_NONE, -1);
    read_back("l.tar", &l);
    CHECK_INT(l.n, 6);
    if ((s = find(&l, buf_cstr(&path) + 2))) {
        CHECK_STR(s->data, "deep");
        CHECK_INT(s->uid, 3000000);
        CHECK_INT(s->gid, 4000000);
    }
    if ((s = find(&l, "longlink")))
        CHECK_STR(s->symlink, buf_cstr(&target));
    listing_release(&l);
}

TEST(tar_write_skips_sockets_and_reports_errors)
{
    struct tar_write_opts o;
    struct tar_write_result r;
    struct error err;
    int out = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int dfd;

    error_init(&err);
    CHECK(mkdir("t", 0755) == 0);
    CHECK(mknod("t/sock", S_IFSOCK | 0644, 0) == 0);
    dfd = open("t", O_RDONLY | O_DIRECTORY);
    tar_write_opts_init(&o);
    CHECK_OK(tar_write_dir(dfd, &o, out, &r, &err), err);
    CHECK_INT(r.entries, 0);
    CHECK_INT(r.tar_size, 1024);
    close(out);
    /* a write failure is reported, not swallowed */
    out = open("out", O_RDONLY);
    put("t/f", "data", 0644);
    CHECK_FAIL(tar_write_dir(dfd, &o, out, &r, &err), err, "write layer");
    CHECK_INT(err.exit_code, 1);
    close(out);
    close(dfd);
}

/*
 * What fuse-overlayfs leaves in an upper dir: an opaque directory marked by its
 * xattr, a regular .wh..wh..opq and a whiteout device .wh..opq; whiteouts as empty
 * regular .wh.NAME files where it may not mknod. And overlayfs' xwhiteout (an empty
 * file with user.overlay.whiteout). All come out the one way the layer format has.
 */
TEST(tar_write_fuse_overlayfs_and_xwhiteout_markers)
{
    struct listing l = {0};
    cleanup_buf struct buf got = BUF_INIT;
    const struct seen *s;

    CHECK(mkdir("t", 0755) == 0);
    put("t/.wh.gone", "", 0700);
    CHECK(chown("t/.wh.gone", 5, 5) == 0);
    put("t/xw", "", 0644);
    CHECK(setxattr("t/xw", "user.overlay.whiteout", "", 0, 0) == 0);
    CHECK(mkdir("t/o", 0755) == 0);
    CHECK(setxattr("t/o", "user.fuseoverlayfs.opaque", "y", 1, 0) == 0);
    put("t/o/.wh..wh..opq", "", 0700);
    CHECK(mknod("t/o/.wh..opq", S_IFCHR | 0700, makedev(0, 0)) == 0);
    put("t/o/keep", "k", 0644);
    CHECK(mkdir("t/p", 0755) == 0);
    put("t/p/.wh..wh..opq", "", 0700);
    capture("t", "l.tar", COMPRESS_NONE, 3000);
    read_back("l.tar", &l);
    names(&l, &got);
    CHECK_STR(buf_cstr(&got), ".wh.gone .wh.xw o/ o/.wh..wh..opq o/keep p/ p/.wh..wh..opq");
    if ((s = find(&l, ".wh.gone"))) {
        CHECK_INT(s->type, AE_IFREG);
        CHECK_INT(s->perm, 0);
        CHECK_INT(s->uid, 0);
    }
    if ((s = find(&l, ".wh.xw")))
        CHECK_INT(s->perm, 0);
    if ((s = find(&l, "o/")))
        CHECK_STR(s->xattrs, "");
    if ((s = find(&l, "o/.wh..wh..opq")))
        CHECK_INT(s->perm, 0);
    listing_release(&l);
}

/* A device node an unprivileged snapshot stood in for comes back as the node. */
TEST(tar_write_devnode_placeholder)
{
    struct listing l = {0};
    const struct seen *s;

    CHECK(mkdir("t", 0755) == 0);
    put("t/null", "", 0666);
    CHECK(chown("t/null", 0, 5) == 0);
    CHECK(setxattr("t/null", "user.strata.devnode", "c 1 3", 5, 0) == 0);
    put("t/disk", "", 0660);
    CHECK(setxattr("t/disk", "user.strata.devnode", "b 8 1", 5, 0) == 0);
    put("t/notempty", "data", 0644);
    CHECK(setxattr("t/notempty", "user.strata.devnode", "c 1 3", 5, 0) == 0);
    capture("t", "l.tar", COMPRESS_NONE, -1);
    read_back("l.tar", &l);
    if ((s = find(&l, "null"))) {
        CHECK_INT(s->type, AE_IFCHR);
        CHECK_INT(s->rmajor, 1);
        CHECK_INT(s->rminor, 3);
        CHECK_INT(s->perm, 0666);
        CHECK_INT(s->gid, 5);
        CHECK_STR(s->xattrs, "");
    } else {
        CHECK(!"null missing");
    }
    if ((s = find(&l, "disk"))) {
        CHECK_INT(s->type, AE_IFBLK);
        CHECK_INT(s->rmajor, 8);
        CHECK_INT(s->rminor, 1);
    }
    /* only an empty file stands for a node; the marker never travels as an xattr */
    if ((s = find(&l, "notempty"))) {
        CHECK_INT(s->type, AE_IFREG);
        CHECK_STR(s->data, "data");
        CHECK_STR(s->xattrs, "");
    }
    listing_release(&l);
}
