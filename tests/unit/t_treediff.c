#include "formats/treediff.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "formats/archive_io.h"
#include "formats/compress.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"
#include "formats/tar_write.h"
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

/* Captures dir as a layer file with tar_write (mtimes clamped to 1000). */
static void
capture(const char *dir, const char *out, enum compress_kind kind)
{
    struct tar_write_opts o;
    struct tar_write_result r;
    struct error err;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    error_init(&err);
    tar_write_opts_init(&o);
    o.compression = kind;
    o.clamp_mtime = 1000;
    o.threads = 1;
    CHECK(dfd >= 0 && ofd >= 0);
    CHECK_OK(tar_write_dir(dfd, &o, ofd, &r, &err), err);
    close(dfd);
    close(ofd);
}

/* Reads the layer file and applies it to t. */
static void
apply(struct treediff_tree *t, const char *file)
{
    struct treediff_layer l = TREEDIFF_LAYER_INIT;
    struct error err;
    int fd = open(file, O_RDONLY);

    error_init(&err);
    CHECK(fd >= 0);
    CHECK_OK(treediff_layer_read(fd, file, &l, &err), err);
    close(fd);
    treediff_tree_apply(t, &l);
    treediff_layer_release(&l);
}

/* The comparison as one string, lines joined by '\n'. */
static char *
compare(const struct treediff_tree *a, const struct treediff_tree *b)
{
    cleanup_strvec struct strvec out = STRVEC_INIT;
    struct buf s = BUF_INIT;
    size_t i, n = treediff_compare(a, b, &out);

    CHECK_INT(n, out.n);
    for (i = 0; i < out.n; i++)
        buf_addf(&s, "%s\n", out.v[i]);
    return buf_detach(&s);
}

static char *
short_digest(const char *content)
{
    char d[DIGEST_STR_LEN + 1];

    digest_bytes(content, strlen(content), d);
    return xasprintf("sha256:%.12s", digest_hex(d));
}

TEST(treediff_whiteouts_and_opaque_dirs_of_tar_write_layers)
{
    struct treediff_tree t1 = TREEDIFF_TREE_INIT, t2 = TREEDIFF_TREE_INIT;
    cleanup_free char *got = NULL, *want = NULL;
    cleanup_free char *d1 = short_digest("one\n"), *d2 = short_digest("one, changed\n");
    const struct treediff_node *n;

    /* layer 1: a/f1 a/f2 a/sub/x b/keep link -> a/f1 */
    CHECK(fs_mkdir_p(AT_FDCWD, "l1/a/sub", 0755, &(struct error){0}) == 0);
    CHECK(mkdir("l1/b", 0755) == 0);
    put("l1/a/f1", "one\n", 0644);
    put("l1/a/f2", "two\n", 0644);
    put("l1/a/sub/x", "x\n", 0600);
    put("l1/b/keep", "keep\n", 0644);
    CHECK(symlink("a/f1", "l1/link") == 0);
    /* layer 2: a/f1 changed (content, mode), a/f2 whited out, b opaque with b/new */
    CHECK(mkdir("l2", 0755) == 0 && mkdir("l2/a", 0755) == 0 && mkdir("l2/b", 0755) == 0);
    put("l2/a/f1", "one, changed\n", 0755);
    if (mknod("l2/a/f2", S_IFCHR | 0600, makedev(0, 0)) < 0 ||
        setxattr("l2/b", "trusted.overlay.opaque", "y", 1, 0) < 0) {
        harness_skip("needs root for whiteout devices and trusted xattrs (%s)", strerror(errno));
        return;
    }
    put("l2/b/new", "new\n", 0644);
    capture("l1", "l1.tar.gz", COMPRESS_GZIP);
    capture("l2", "l2.tar.zst", COMPRESS_ZSTD);

    apply(&t1, "l1.tar.gz");
    apply(&t2, "l1.tar.gz");
    apply(&t2, "l2.tar.zst");
    CHECK(treediff_tree_get(&t2, "/a/f2") == NULL);
    CHECK(treediff_tree_get(&t2, "/b/keep") == NULL);
    CHECK((n = treediff_tree_get(&t2, "/a/sub/x")) != NULL);
    if (n)
        CHECK_INT(n->mode, 0600);
    CHECK((n = treediff_tree_get(&t2, "/link")) != NULL);
    if (n)
        CHECK_STR(n->link, "a/f1");
    got = compare(&t1, &t2);
    want = xasprintf("M /a/f1 (content 4 B %s -> 13 B %s; mode 0644 -> 0755)\n"
                     "D /a/f2\n"
                     "D /b/keep\n"
                     "A /b/new\n",
                     d1, d2);
    CHECK_STR(got, want);
    free(got);
    got = compare(&t2, &t2);
    CHECK_STR(got, "");
    treediff_tree_release(&t1);
    treediff_tree_release(&t2);
}

/* Writes a plain tar of dirs and files (name -> content; NULL content: a directory). */
static void
write_tar(const char *file, const char *const *entries)
{
    struct archive_io_writer *w;
    struct error err;
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t i;

    error_init(&err);
    CHECK(fd >= 0);
    w = archive_io_writer_new(fd);
    for (i = 0; entries[i]; i += 2) {
        if (entries[i + 1])
            CHECK_OK(
                archive_io_add_bytes(w, entries[i], entries[i + 1], strlen(entries[i + 1]), &err),
                err);
        else
            CHECK_OK(archive_io_add_dir(w, entries[i], &err), err);
    }
    CHECK_OK(archive_io_writer_finish(w, &err), err);
    archive_io_writer_free(w);
    close(fd);
}

TEST(treediff_whiteout_order_implied_parents_and_replacing_a_dir)
{
    static const char *const l1[] = {"d/",         NULL, "d/a",   "a",  "d/sub/", NULL,
                                     "d/sub/deep", "x",  "keep/", NULL, "keep/k", "k",
                                     "o/",         NULL, "o/old", "o",  NULL};
    /* the whiteout comes after a same-named new file: it still only hides the lower one */
    static const char *const l2[] = {
        "d",     "now a file", "p/q/r",          "implied", "keep/k",       "k2", "keep/.wh.k", "",
        "o/new", "n",          "o/.wh..wh..opq", "",        ".wh..wh.plnk", "",   NULL};
    struct treediff_tree t = TREEDIFF_TREE_INIT;
    const struct treediff_node *n;

    write_tar("l1.tar", l1);
    write_tar("l2.tar", l2);
    apply(&t, "l1.tar");
    CHECK(treediff_tree_get(&t, "/d/sub/deep") != NULL);
    apply(&t, "l2.tar");
    CHECK((n = treediff_tree_get(&t, "/d")) != NULL);
    if (n)
        CHECK_INT(n->type, S_IFREG);
    CHECK(treediff_tree_get(&t, "/d/a") == NULL);
    CHECK(treediff_tree_get(&t, "/d/sub/deep") == NULL);
    CHECK((n = treediff_tree_get(&t, "/p/q")) != NULL);
    if (n) {
        CHECK_INT(n->type, S_IFDIR);
        CHECK_INT(n->mode, 0755);
    }
    CHECK(treediff_tree_get(&t, "/p/q/r") != NULL);
    CHECK((n = treediff_tree_get(&t, "/keep/k")) != NULL);
    if (n)
        CHECK_INT(n->size, 2);
    CHECK(treediff_tree_get(&t, "/o/old") == NULL);
    CHECK(treediff_tree_get(&t, "/o/new") != NULL);
    CHECK(treediff_tree_get(&t, "/.wh..wh.plnk") == NULL);
    treediff_tree_release(&t);
}

TEST(treediff_rejects_bad_layers)
{
    static const char *const up[] = {"../evil", "x", NULL};
    static const char *const badwh[] = {"a/.wh..", "", NULL};
    struct treediff_layer l = TREEDIFF_LAYER_INIT;
    struct error err;
    int fd;

    error_init(&err);
    write_tar("up.tar", up);
    fd = open("up.tar", O_RDONLY);
    CHECK_FAIL(treediff_layer_read(fd, "up.tar", &l, &err), err, "path leaves the layer");
    CHECK_INT(err.exit_code, 2);
    close(fd);
    treediff_layer_release(&l);
    write_tar("wh.tar", badwh);
    fd = open("wh.tar", O_RDONLY);
    CHECK_FAIL(treediff_layer_read(fd, "wh.tar", &l, &err), err, "invalid whiteout name");
    close(fd);
    treediff_layer_release(&l);
    put("junk", "this is not a tar archive at all, not even close, no no no\n", 0644);
    fd = open("junk", O_RDONLY);
    CHECK_FAIL(treediff_layer_read(fd, "junk", &l, &err), err, "junk");
    close(fd);
    treediff_layer_release(&l);
}

TEST(treediff_reports_type_owner_mtime_and_link_changes)
{
    struct treediff_tree a = TREEDIFF_TREE_INIT, b = TREEDIFF_TREE_INIT;
    cleanup_free char *got = NULL;
    struct treediff_layer la = TREEDIFF_LAYER_INIT, lb = TREEDIFF_LAYER_INIT;
    struct treediff_node *n;

    /* synthetic layers: nodes filled by hand, as treediff_layer_read would */
    la.v = xcalloc(3, sizeof(*la.v));
    lb.v = xcalloc(3, sizeof(*lb.v));
    la.n = lb.n = la.alloc = lb.alloc = 3;
    n = &la.v[0];
    *n = (struct treediff_node){
        .path = xstrdup("/l"), .type = S_IFLNK, .mode = 0777, .link = xstrdup("x")};
    n = &lb.v[0];
    *n = (struct treediff_node){
        .path = xstrdup("/l"), .type = S_IFLNK, .mode = 0777, .link = xstrdup("y")};
    n = &la.v[1];
    *n = (struct treediff_node){.path = xstrdup("/o"), .type = S_IFDIR, .mode = 0755, .mtime = 0};
    n = &lb.v[1];
    *n = (struct treediff_node){.path = xstrdup("/o"),
                                .type = S_IFDIR,
                                .mode = 0755,
                                .uid = 1000,
                                .gid = 100,
                                .mtime = 86400};
    n = &la.v[2];
    *n = (struct treediff_node){.path = xstrdup("/t"), .type = S_IFDIR, .mode = 0755};
    n = &lb.v[2];
    *n = (struct treediff_node){
        .path = xstrdup("/t"), .type = S_IFLNK, .mode = 0777, .link = xstrdup("o")};
    treediff_tree_apply(&a, &la);
    treediff_tree_apply(&b, &lb);
    got = compare(&a, &b);
    CHECK_STR(got, "M /l (symlink target x -> y)\n"
                   "M /o (owner 0:0 -> 1000:100; mtime 1970-01-01T00:00:00Z -> "
                   "1970-01-02T00:00:00Z)\n"
                   "M /t (type dir -> symlink; mode 0755 -> 0777)\n");
    treediff_layer_release(&la);
    treediff_layer_release(&lb);
    treediff_tree_release(&a);
    treediff_tree_release(&b);
}
