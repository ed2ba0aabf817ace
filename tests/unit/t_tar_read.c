#include "formats/tar_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "formats/compress.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/digest.h"
#include "formats/tar_write.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* ---- building archives with libarchive's writer ---- */

struct tb {
    struct archive *a;
    struct buf out;
};

static la_ssize_t
tb_write(struct archive *a, void *opaque, const void *data, size_t n)
{
    (void)a;
    buf_add(opaque, data, n);
    return (la_ssize_t)n;
}

/* gnu: GNU tar format instead of pax; xz: add libarchive's xz filter. */
static void
tb_open(struct tb *t, int gnu, int xz)
{
    memset(t, 0, sizeof(*t));
    t->a = archive_write_new();
    if (gnu)
        archive_write_set_format_gnutar(t->a);
    else
        archive_write_set_format_pax_restricted(t->a);
    if (xz)
        archive_write_add_filter_xz(t->a);
    CHECK_INT(archive_write_open2(t->a, &t->out, NULL, tb_write, NULL, NULL), ARCHIVE_OK);
}

static void
tb_add(struct tb *t, const char *path, mode_t type, mode_t perm, const char *data, const char *link)
{
    struct archive_entry *e = archive_entry_new();

    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_mtime(e, 1000000, 0);
    if (type == AE_IFLNK)
        archive_entry_set_symlink(e, link);
    else if (link)
        archive_entry_set_hardlink(e, link);
    archive_entry_set_size(e, data ? (la_int64_t)strlen(data) : 0);
    CHECK_INT(archive_write_header(t->a, e), ARCHIVE_OK);
    if (data && *data)
        CHECK_INT(archive_write_data(t->a, data, strlen(data)), (long long)strlen(data));
    archive_entry_free(e);
}

/* Finishes the archive and writes it to file. */
static void
tb_close(struct tb *t, const char *file)
{
    struct error err;

    error_init(&err);
    CHECK_INT(archive_write_close(t->a), ARCHIVE_OK);
    archive_write_free(t->a);
    CHECK_OK(fs_write_atomic(AT_FDCWD, file, t->out.data, t->out.len, 0644, &err), err);
    buf_release(&t->out);
}

static int
extract(const char *file, const char *dest, enum tar_read_mode mode, int flags,
        struct tar_read_result *r, struct error *err)
{
    int in = open(file, O_RDONLY);
    int dfd;
    int rc;

    mkdir(dest, 0755);
    dfd = open(dest, O_RDONLY | O_DIRECTORY);
    CHECK(in >= 0 && dfd >= 0);
    rc = tar_read_extract(in, dfd, mode, flags, file, r, err);
    close(in);
    close(dfd);
    return rc;
}

static struct tar_write_result
capture(const char *dir, const char *out, enum compress_kind kind)
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
    CHECK_OK(tar_write_dir(dfd, &o, ofd, &r, &err), err);
    close(dfd);
    close(ofd);
    return r;
}

static void
put(const char *path, const char *content, mode_t mode)
{
    struct error err;

    error_init(&err);
    CHECK_OK(fs_write_atomic(AT_FDCWD, path, content, strlen(content), mode, &err), err);
    CHECK(chmod(path, mode) == 0);
}

static void
set_mtime(const char *path, time_t sec)
{
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    CHECK(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void
read_str(const char *path, char *out, size_t n)
{
    int fd = open(path, O_RDONLY);
    ssize_t r = fd >= 0 ? read(fd, out, n - 1) : -1;

    out[r > 0 ? r : 0] = '\0';
    if (fd >= 0)
        close(fd);
}

/* ---- round trips ---- */

static void
make_feature_tree(void)
{
    CHECK(mkdir("t", 0755) == 0);
    CHECK(mkdir("t/etc", 0700) == 0);
    put("t/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
    CHECK(chown("t/etc/passwd", 1000, 1001) == 0);
    CHECK(setxattr("t/etc/passwd", "user.note", "hello", 5, 0) == 0);
    put("t/suid", "s", 04755);
    CHECK(chown("t/suid", 0, 50) == 0 && chmod("t/suid", 04755) == 0); /* chown cleared it */
    CHECK(link("t/suid", "t/suid-link") == 0);
    CHECK(symlink("/etc/passwd", "t/abs-link") == 0);
    CHECK(lchown("t/abs-link", 7, 8) == 0);
    CHECK(mkfifo("t/fifo", 0600) == 0);
    CHECK(mknod("t/null", S_IFCHR | 0666, makedev(1, 3)) == 0);
    CHECK(mknod("t/gone", S_IFCHR, makedev(0, 0)) == 0);
    CHECK(mkdir("t/opaque", 0751) == 0);
    put("t/opaque/inside", "i", 0644);
    CHECK(setxattr("t/opaque", "trusted.overlay.opaque", "y", 1, 0) == 0);
    CHECK(mkdir("t/tmp", 01777) == 0 && chmod("t/tmp", 01777) == 0);
    set_mtime("t/etc/passwd", 1500000000);
    set_mtime("t/abs-link", 1400000000);
    set_mtime("t/etc", 1300000000);
    set_mtime("t/opaque", 1200000000);
}

TEST(tar_read_roundtrip_snapshot)
{
    struct tar_write_result w, w2;
    struct tar_read_result r;
    struct error err;
    struct stat st;
    char v[16];

    error_init(&err);
    make_feature_tree();
    w = capture("t", "l.zst", COMPRESS_ZSTD);
    CHECK_OK(extract("l.zst", "x", TAR_READ_SNAPSHOT, 0, &r, &err), err);
    CHECK_STR(r.digest, w.digest);
    CHECK_STR(r.diff_id, w.diff_id);
    CHECK_INT(r.size, w.size);
    CHECK_INT(r.entries, w.entries);
    w2 = capture("x", "l2.zst", COMPRESS_ZSTD);
    CHECK_STR(w2.diff_id, w.diff_id);

    CHECK(lstat("x/gone", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
    CHECK_INT(getxattr("x/opaque", "trusted.overlay.opaque", v, sizeof(v)), 1);
    CHECK(lstat("x/suid", &st) == 0 && (st.st_mode & 07777) == 04755 && st.st_gid == 50);
    CHECK_INT(st.st_nlink, 2);
    CHECK(lstat("x/etc/passwd", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001);
    CHECK_INT(st.st_mtime, 1500000000);
    CHECK_INT(getxattr("x/etc/passwd", "user.note", v, sizeof(v)), 5);
    CHECK(lstat("x/etc", &st) == 0 && (st.st_mode & 07777) == 0700);
    CHECK_INT(st.st_mtime, 1300000000);
    CHECK(lstat("x/abs-link", &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid == 7);
    CHECK_INT(st.st_mtime, 1400000000);
    CHECK(lstat("x/tmp", &st) == 0 && (st.st_mode & 07777) == 01777);
    CHECK(lstat("x/fifo", &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK(lstat("x/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
}

TEST(tar_read_all_compressions)
{
    static const enum compress_kind kinds[] = {COMPRESS_NONE, COMPRESS_GZIP, COMPRESS_ZSTD};
    struct tar_write_result w;
    struct tar_read_result r;
    struct error err;
    struct tb t;
    char d[DIGEST_STR_LEN + 1];
    size_t i;

    error_init(&err);
    make_feature_tree();
    for (i = 0; i < 3; i++) {
        char dest[16];

        w = capture("t", "l", kinds[i]);
        snprintf(dest, sizeof(dest), "x%zu", i);
        CHECK_OK(extract("l", dest, TAR_READ_SNAPSHOT, 0, &r, &err), err);
        CHECK_STR(r.digest, w.digest);
        CHECK_STR(r.diff_id, w.diff_id);
    }
    /* xz, as old layers and rootfs tarballs have it */
    tb_open(&t, 0, 1);
    tb_add(&t, "dir/", AE_IFDIR, 0755, NULL, NULL);
    tb_add(&t, "dir/file", AE_IFREG, 0644, "xz data", NULL);
    tb_close(&t, "l.xz");
    CHECK_OK(extract("l.xz", "xz", TAR_READ_SNAPSHOT, 0, &r, &err), err);
    CHECK_OK(digest_file(AT_FDCWD, "l.xz", d, &err), err);
    CHECK_STR(r.digest, d);
    CHECK_INT(r.entries, 2);
    read_str("xz/dir/file", d, sizeof(d));
    CHECK_STR(d, "xz data");
}

/* libarchive pads to 10240-byte records: the digests must still cover every byte */
TEST(tar_read_digests_cover_trailing_padding)
{
    struct tar_read_result r;
    struct error err;
    struct tb t;
    char d[DIGEST_STR_LEN + 1];
    struct stat st;

    error_init(&err);
    tb_open(&t, 0, 0);
    tb_add(&t, "f", AE_IFREG, 0644, "abc", NULL);
    tb_close(&t, "p.tar");
    CHECK(stat("p.tar", &st) == 0 && st.st_size == 10240);
    CHECK_OK(extract("p.tar", "x", TAR_READ_SNAPSHOT, 0, &r, &err), err);
    CHECK_OK(digest_file(AT_FDCWD, "p.tar", d, &err), err);
    CHECK_STR(r.digest, d);
    CHECK_STR(r.diff_id, d);
    CHECK_INT(r.size, 10240);
}

/* ---- whiteouts ---- */

TEST(tar_read_apply_whiteouts)
{
    struct tar_read_result r;
    struct error err;
    struct tb t;

    error_init(&err);
    CHECK(mkdir("r", 0755) == 0 && mkdir("r/a", 0755) == 0 && mkdir("r/b", 0755) == 0);
    put("r/a/x", "x", 0644);
    put("r/a/y", "y", 0644);
    put("r/b/c", "c", 0644);
    tb_open(&t, 0, 0);
    tb_add(&t, ".wh.b", AE_IFREG, 0, NULL, NULL);
    tb_add(&t, "a/.wh.x", AE_IFREG, 0, NULL, NULL);
    tb_add(&t, "missing/.wh.z", AE_IFREG, 0, NULL, NULL);
    tb_add(&t, "a/new", AE_IFREG, 0644, "n", NULL);
    tb_close(&t, "l.tar");
    CHECK_OK(extract("l.tar", "r", TAR_READ_APPLY, 0, &r, &err), err);
    CHECK(!fs_exists(AT_FDCWD, "r/b"));
    CHECK(!fs_exists(AT_FDCWD, "r/a/x"));
    CHECK(fs_exists(AT_FDCWD, "r/a/y"));
    CHECK(fs_exists(AT_FDCWD, "r/a/new"));
    CHECK(!fs_exists(AT_FDCWD, "r/missing"));
    CHECK(!fs_exists(AT_FDCWD, "r/a/.wh.x"));
    CHECK_INT(r.entries, 4);
}

TEST(tar_read_apply_opaque_dirs)
{
    struct tar_read_result r;
    struct error err;
    struct tb t;

    error_init(&err);
    CHECK(mkdir("r", 0755) == 0 && mkdir("r/d", 0755) == 0 && mkdir("r/d/sub", 0755) == 0);
    CHECK(mkdir("r/e", 0755) == 0 && mkdir("r/keep", 0755) == 0);
    put("r/d/old", "o", 0644);
    put("r/d/sub/old2", "o", 0644);
    put("r/e/old", "o", 0644);
    put("r/keep/k", "k", 0644);
    tb_open(&t, 0, 0);
    tb_add(&t, "d/", AE_IFDIR, 0700, NULL, NULL);
    tb_add(&t, "d/.wh..wh..opq", AE_IFREG, 0, NULL, NULL);
    tb_add(&t, "d/new", AE_IFREG, 0644, "n", NULL);
    tb_add(&t, "d/sub/", AE_IFDIR, 0755, NULL, NULL);
    tb_add(&t, "d/sub/new2", AE_IFREG, 0644, "n", NULL);
    /* marker after the layer's own children: those stay */
    tb_add(&t, "e/new", AE_IFREG, 0644, "n", NULL);
    tb_add(&t, "e/.wh..wh..opq", AE_IFREG, 0, NULL, NULL);
    tb_close(&t, "l.tar");
    CHECK_OK(extract("l.tar", "r", TAR_READ_APPLY, 0, &r, &err), err);
    CHECK_INT(count_entries("r/d"), 2);
    CHECK(fs_exists(AT_FDCWD, "r/d/new"));
    CHECK_INT(count_entries("r/d/sub"), 1);
    CHECK(fs_exists(AT_FDCWD, "r/d/sub/new2"));
    CHECK_INT(count_entries("r/e"), 1);
    CHECK(fs_exists(AT_FDCWD, "r/e/new"));
    CHECK(fs_exists(AT_FDCWD, "r/keep/k"));
    {
        struct stat st;
        CHECK(stat("r/d", &st) == 0 && (st.st_mode & 07777) == 0700);
    }
}

TEST(tar_read_snapshot_whiteouts_userxattr)
{
    struct tar_read_result r;
    struct error err;
    struct tb t;
    struct stat st;
    char v[8];

    error_init(&err);
    tb_open(&t, 0, 0);
    tb_add(&t, "d/", AE_IFDIR, 0755, NULL, NULL);
    tb_add(&t, "d/.wh..wh..opq", AE_IFREG, 0, NULL, NULL);
    tb_add(&t, "d/.wh.f", AE_IFREG, 0, NULL, NULL);
    tb_add(&t, ".wh..wh.plnk", AE_IFDIR, 0700, NULL, NULL);
    tb_close(&t, "l.tar");
    CHECK_OK(extract("l.tar", "x", TAR_READ_SNAPSHOT, TAR_READ_USERXATTR, &r, &err), err);
    CHECK_INT(getxattr("x/d", "user.overlay.opaque", v, sizeof(v)), 1);
    CHECK(getxattr("x/d", "trusted.overlay.opaque", v, sizeof(v)) < 0);
    CHECK(lstat("x/d/f", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0);
    CHECK_INT(count_entries("x"), 1);
    CHECK_INT(count_entries("x/d"), 1);
}

/* ---- metadata and replacement ---- */

TEST(tar_read_metadata_and_replacement)
{
    struct tar_read_result r;
    struct error err;
    struct tb t;
    struct stat st;
    char v[16];

    error_init(&err);
    CHECK(mkdir("r", 0755) == 0 && mkdir("r/dir", 0700) == 0 && mkdir("r/wasdir", 0755) == 0);
    put("r/dir/old", "o", 0644);
    put("r/wasdir/x", "x", 0644);
    put("r/wasfile", "f", 0644);
    tb_open(&t, 0, 0);
    tb_add(&t, "./dir/", AE_IFDIR, 0751, NULL, NULL);
    tb_add(&t, "./dir/new", AE_IFREG, 04711, "#!", NULL);
    tb_add(&t, "wasdir", AE_IFREG, 0600, "now a file", NULL);
    tb_add(&t, "wasfile/", AE_IFDIR, 0755, NULL, NULL);
    tb_add(&t, "implied/parent/file", AE_IFREG, 0644, "p", NULL);
    tb_add(&t, "dir/new2", AE_IFREG, 0644, "second", NULL);
    tb_add(&t, "dir/new2", AE_IFREG, 0644, "later wins", NULL);
    tb_close(&t, "l.tar");
    CHECK_OK(extract("l.tar", "r", TAR_READ_APPLY, 0, &r, &err), err);
    CHECK(stat("r/dir", &st) == 0 && (st.st_mode & 07777) == 0751);
    CHECK_INT(st.st_mtime, 1000000);
    CHECK(fs_exists(AT_FDCWD, "r/dir/old"));
    CHECK(stat("r/dir/new", &st) == 0 && (st.st_mode & 07777) == 04711);
    CHECK(stat("r/wasdir", &st) == 0 && S_ISREG(st.st_mode));
    CHECK(stat("r/wasfile", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(stat("r/implied/parent", &st) == 0 && (st.st_mode & 07777) == 0755);
    read_str("r/dir/new2", v, sizeof(v));
    CHECK_STR(v, "later wins");
}

TEST(tar_read_owner_and_no_owner)
{
    struct tar_read_result r;
    struct error err;
    struct archive_entry *e;
    struct tb t;
    struct stat st;

    error_init(&err);
    tb_open(&t, 0, 0);
    e = archive_entry_new();
    archive_entry_set_pathname(e, "f");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 02755);
    archive_entry_set_uid(e, 4321);
    archive_entry_set_gid(e, 8765);
    archive_entry_set_size(e, 0);
    archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/x", 2);
    archive_entry_xattr_add_entry(e, "user.kept", "1", 1);
    CHECK_INT(archive_write_header(t.a, e), ARCHIVE_OK);
    archive_entry_free(e);
    tb_close(&t, "l.tar");
    CHECK_OK(extract("l.tar", "a", TAR_READ_SNAPSHOT, 0, &r, &err), err);
    CHECK(stat("a/f", &st) == 0 && st.st_uid == 4321 && st.st_gid == 8765);
    CHECK_INT(st.st_mode & 07777, 02755);
    CHECK(getxattr("a/f", "trusted.overlay.redirect", NULL, 0) < 0);
    CHECK_INT(getxattr("a/f", "user.kept", NULL, 0), 1);
    CHECK_OK(extract("l.tar", "b", TAR_READ_SNAPSHOT, TAR_READ_NO_OWNER, &r, &err), err);
    CHECK(stat("b/f", &st) == 0 && st.st_uid == geteuid());
}

TEST(tar_read_gnu_tar_rootfs)
{
    struct tar_read_result r;
    struct error err;
    struct tb t;
    struct stat st;
    cleanup_buf struct buf longname = BUF_INIT;
    int i;

    error_init(&err);
    buf_adds(&longname, "./etc/");
    for (i = 0; i < 150; i++)
        buf_addch(&longname, 'n');
    tb_open(&t, 1, 0);
    tb_add(&t, "./", AE_IFDIR, 0700, NULL, NULL);
    tb_add(&t, "./etc/", AE_IFDIR, 0755, NULL, NULL);
    tb_add(&t, buf_cstr(&longname), AE_IFREG, 0644, "long", NULL);
    tb_add(&t, "./etc/hl", AE_IFREG, 0644, NULL, buf_cstr(&longname));
    tb_close(&t, "root.tar");
    CHECK_OK(extract("root.tar", "x", TAR_READ_SNAPSHOT, 0, &r, &err), err);
    CHECK(stat("x/etc/hl", &st) == 0);
    CHECK_INT(st.st_nlink, 2);
    CHECK(stat("x", &st) == 0 && (st.st_mode & 07777) == 0700);
}

/* ---- bad input ---- */

TEST(tar_read_bad_streams)
{
    struct tar_read_result r;
    struct error err;
    struct tb t;
    cleanup_buf struct buf raw = BUF_INIT;

    error_init(&err);
    put("garbage", "this is certainly not a tar archive, just some text that goes on and on", 0644);
    CHECK_FAIL(extract("garbage", "x", TAR_READ_SNAPSHOT, 0, &r, &err), err,
               "garbage: not a tar archive");
    CHECK_INT(err.exit_code, 2);

    tb_open(&t, 0, 0);
    tb_add(&t, "f", AE_IFREG, 0644, "0123456789012345678901234567890123456789", NULL);
    tb_add(&t, "g1", AE_IFREG, 0644, "more data more data more data", NULL);
    tb_add(&t, "g2", AE_IFREG, 0644, "more data more data more data", NULL);
    tb_close(&t, "full.tar");
    CHECK_OK(fs_read_file(AT_FDCWD, "full.tar", &raw, &err), err);
    CHECK_OK(fs_write_atomic(AT_FDCWD, "cut.tar", raw.data, 512 + 20, 0644, &err), err);
    CHECK_FAIL(extract("cut.tar", "y", TAR_READ_SNAPSHOT, 0, &r, &err), err, "cut.tar: ");
    CHECK(strstr(err.msg, "truncated") || strstr(err.msg, "runcated"));
    CHECK_INT(err.exit_code, 2);

    put("empty", "", 0644);
    CHECK_FAIL(extract("empty", "z", TAR_READ_SNAPSHOT, 0, &r, &err), err, "empty: ");
    CHECK_INT(err.exit_code, 2);
}

TEST(tar_read_empty_layer)
{
    struct tar_write_result w;
    struct tar_read_result r;
    struct error err;

    error_init(&err);
    CHECK(mkdir("t", 0755) == 0);
    w = capture("t", "l.gz", COMPRESS_GZIP);
    CHECK_OK(extract("l.gz", "x", TAR_READ_SNAPSHOT, 0, &r, &err), err);
    CHECK_INT(r.entries, 0);
    CHECK_STR(r.diff_id, w.diff_id);
    CHECK_INT(count_entries("x"), 0);
}

TEST(tar_read_truncated_zstd)
{
    struct tar_write_result w;
    struct tar_read_result r;
    struct error err;
    cleanup_buf struct buf raw = BUF_INIT;

    error_init(&err);
    make_feature_tree();
    w = capture("t", "l.zst", COMPRESS_ZSTD);
    CHECK_OK(fs_read_file(AT_FDCWD, "l.zst", &raw, &err), err);
    CHECK_INT(raw.len, w.size);
    CHECK_OK(fs_write_atomic(AT_FDCWD, "cut.zst", raw.data, raw.len - 3, 0644, &err), err);
    CHECK_FAIL(extract("cut.zst", "x", TAR_READ_SNAPSHOT, 0, &r, &err), err, "truncated");
    CHECK_INT(err.exit_code, 2);
}

/* ---- hostile archives: each fails naming the entry and writes nothing outside ---- */

struct hostile {
    const char *title;
    const char *entry;  /* expected in the error */
    const char *reason; /* expected in the error */
};

static void
build_hostile(int i, struct tb *t, const char *sentinel)
{
    switch (i) {
    case 0:
        tb_add(t, "../evil", AE_IFREG, 0644, "x", NULL);
        break;
    case 1:
        tb_add(t, "/abs", AE_IFREG, 0644, "x", NULL);
        break;
    case 2:
        tb_add(t, "a", AE_IFLNK, 0777, NULL, sentinel);
        tb_add(t, "a/x", AE_IFREG, 0644, "x", NULL);
        break;
    case 3:
        tb_add(t, "a", AE_IFLNK, 0777, NULL, "..");
        tb_add(t, "a/x", AE_IFREG, 0644, "x", NULL);
        break;
    case 4:
        tb_add(t, "h", AE_IFREG, 0644, NULL, "../outside");
        break;
    case 5:
        tb_add(t, "h", AE_IFREG, 0644, NULL, "nonexistent");
        break;
    case 6:
        tb_add(t, ".wh...", AE_IFREG, 0, NULL, NULL);
        break;
    case 7:
        tb_add(t, "sub/.wh..", AE_IFREG, 0, NULL, NULL);
        break;
    case 8:
        tb_add(t, "d/", AE_IFDIR, 0755, NULL, NULL);
        tb_add(t, "d/x", AE_IFREG, 0644, "x", NULL);
        tb_add(t, "d", AE_IFLNK, 0777, NULL, sentinel);
        tb_add(t, "d/y", AE_IFREG, 0644, "y", NULL);
        break;
    case 9:
        tb_add(t, "l", AE_IFLNK, 0777, NULL, sentinel);
        tb_add(t, "h", AE_IFREG, 0644, NULL, "l");
        break;
    case 10:
        tb_add(t, "h", AE_IFREG, 0644, NULL, "/etc/passwd");
        break;
    case 11:
        tb_add(t, "a/../../x", AE_IFREG, 0644, "x", NULL);
        break;
    case 12:
        tb_add(t, "a", AE_IFLNK, 0777, NULL, sentinel);
        tb_add(t, "a/.wh..wh..opq", AE_IFREG, 0, NULL, NULL);
        break;
    case 13:
        tb_add(t, "a", AE_IFLNK, 0777, NULL, sentinel);
        tb_add(t, "a/.wh.victim", AE_IFREG, 0, NULL, NULL);
        break;
    default:
        tb_add(t, "a", AE_IFLNK, 0777, NULL, sentinel);
        tb_add(t, "a/sub/", AE_IFDIR, 0755, NULL, NULL);
        break;
    }
}

TEST(tar_read_hostile_archives)
{
    static const struct hostile cases[] = {
        {"dotdot", "../evil", "path leaves the layer"},
        {"absolute", "/abs", "absolute path"},
        {"symlink to abs dir", "a/x", "path goes through a symlink"},
        {"symlink to ..", "a/x", "path goes through a symlink"},
        {"hardlink outside", "h", "hard link target \"../outside\": path leaves the layer"},
        {"hardlink missing", "h", "does not exist"},
        {"whiteout of ..", ".wh...", "invalid whiteout name"},
        {"whiteout of .", "sub/.wh..", "invalid whiteout name"},
        {"dir replaced by symlink", "d/y", "path goes through a symlink"},
        {"hardlink to symlink", "h", "not a regular file"},
        {"hardlink absolute", "h", "absolute path"},
        {"dotdot inside", "a/../../x", "path leaves the layer"},
        {"opaque through symlink", "a/.wh..wh..opq", "path goes through a symlink"},
        {"whiteout through symlink", "a/.wh.victim", "path goes through a symlink"},
        {"mkdir through symlink", "a/sub/", "path goes through a symlink"},
    };
    size_t i;
    int mode;

    for (mode = 0; mode < 2; mode++)
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            char base[32], dest[48], sentinel[4200], file[48], want[128];
            struct tar_read_result r;
            struct error err;
            struct tb t;

            error_init(&err);
            snprintf(base, sizeof(base), "b%d-%zu", mode, i);
            snprintf(dest, sizeof(dest), "%s/dest", base);
            snprintf(file, sizeof(file), "%s.tar", base);
            CHECK(mkdir(base, 0755) == 0 && mkdir(dest, 0755) == 0);
            snprintf(sentinel, sizeof(sentinel), "%s/%s/sentinel", harness_tmpdir(), base);
            CHECK(mkdir(sentinel, 0755) == 0);
            put("victim-outside", "v", 0644);
            tb_open(&t, 0, 0);
            build_hostile((int)i, &t, sentinel);
            tb_close(&t, file);
            CHECK_FAIL(extract(file, dest, mode ? TAR_READ_APPLY : TAR_READ_SNAPSHOT, 0, &r, &err),
                       err, cases[i].reason);
            snprintf(want, sizeof(want), "%s: entry \"%s\": ", file, cases[i].entry);
            if (!strstr(err.msg, want))
                harness_fail(__FILE__, __LINE__, "%s: \"%s\" lacks \"%s\"", cases[i].title, err.msg,
                             want);
            CHECK_INT(err.exit_code, 2);
            /* nothing escaped: the sentinel is empty and base holds only dest and sentinel */
            CHECK_INT(count_entries(sentinel), 0);
            CHECK_INT(count_entries(base), 2);
            CHECK(fs_exists(AT_FDCWD, "victim-outside"));
            CHECK(!fs_exists(AT_FDCWD, "evil") && !fs_exists(AT_FDCWD, "x"));
        }
}

/*
 * Unprivileged (a child in a user namespace of its own, where mknod of a device
 * is refused), a snapshot keeps a device node as an empty file marked with
 * user.strata.devnode, with the entry's mode and owner; capturing that tree
 * gives the device entry back, so the layer is the one extracted.
 */
TEST(tar_read_devnode_placeholder_round_trip)
{
    struct archive_entry *e;
    struct tar_read_result r;
    struct tar_write_result w, w2;
    struct error err;
    struct stat st;
    struct tb t;
    char v[32];
    int status = 0;
    pid_t pid;

    tb_open(&t, 0, 0);
    e = archive_entry_new();
    archive_entry_set_pathname(e, "dev/null");
    archive_entry_set_filetype(e, AE_IFCHR);
    archive_entry_set_perm(e, 0666);
    archive_entry_set_rdevmajor(e, 1);
    archive_entry_set_rdevminor(e, 3);
    archive_entry_set_mtime(e, 1000000, 0);
    CHECK_INT(archive_write_header(t.a, e), ARCHIVE_OK);
    archive_entry_free(e);
    tb_close(&t, "l.tar");
    pid = fork();
    if (pid == 0) {
        struct error cerr;
        char map[64];
        int fd, ok;
        error_init(&cerr);
        if (unshare(CLONE_NEWUSER) < 0)
            _exit(2);
        ok = 1;
        if (ok && (fd = open("/proc/self/setgroups", O_WRONLY)) >= 0) {
            ok = write(fd, "deny", 4) == 4;
            close(fd);
        }
        snprintf(map, sizeof(map), "0 0 1\n");
        if (ok && (fd = open("/proc/self/uid_map", O_WRONLY)) >= 0) {
            ok = write(fd, map, strlen(map)) == (ssize_t)strlen(map);
            close(fd);
        }
        if (ok && (fd = open("/proc/self/gid_map", O_WRONLY)) >= 0) {
            ok = write(fd, map, strlen(map)) == (ssize_t)strlen(map);
            close(fd);
        }
        _exit(ok && extract("l.tar", "x", TAR_READ_SNAPSHOT, TAR_READ_USERXATTR, &r, &cerr) == 0
                  ? 0
                  : 1);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
        harness_skip("no user namespace for an unprivileged extraction");
        return;
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(lstat("x/dev/null", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
    CHECK_INT(st.st_mode & 07777, 0666);
    CHECK_INT(lgetxattr("x/dev/null", "user.strata.devnode", v, sizeof(v)), 5);
    CHECK(!memcmp(v, "c 1 3", 5));
    /* the same layer as from a tree where the node itself could be made */
    error_init(&err);
    if (geteuid() == 0) {
        CHECK_OK(extract("l.tar", "y", TAR_READ_SNAPSHOT, 0, &r, &err), err);
        w = capture("x", "c.tar", COMPRESS_NONE);
        w2 = capture("y", "c2.tar", COMPRESS_NONE);
        CHECK_STR(w.diff_id, w2.diff_id);
    }
}
