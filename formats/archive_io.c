#include "formats/archive_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/compress.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/docker_archive.h"
#include "formats/limits.h"

#include "formats/core/banned.h"

static void
archive_io_free_reader(struct archive **a)
{
    if (*a)
        archive_read_free(*a);
}
#define cleanup_archive_reader __attribute__((cleanup(archive_io_free_reader)))

static struct archive *
archive_io_reader(int fd, const char *what, struct error *err)
{
    struct archive *a = archive_read_new();

    if (!a)
        BUG("archive_read_new");
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
        error_input(err, "%s: not a tar archive: %s", what, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* "./a/b/" -> "a/b"; returns a pointer into a copy kept in out. */
static const char *
archive_io_clean(const char *raw, struct buf *out)
{
    buf_reset(out);
    while (raw[0] == '.' && raw[1] == '/')
        raw += 2;
    buf_adds(out, raw);
    while (out->len && out->data[out->len - 1] == '/')
        out->data[--out->len] = '\0';
    return buf_cstr(out);
}

int
archive_io_list(int in_fd, size_t max_entries, const char *what, struct strvec *out,
                struct error *err)
{
    cleanup_archive_reader struct archive *a = archive_io_reader(in_fd, what, err);
    cleanup_buf struct buf p = BUF_INIT;
    struct archive_entry *e;
    size_t n = 0;
    int r;

    if (!a)
        return -1;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        strvec_push(out, archive_io_clean(archive_entry_pathname(e), &p));
        if (max_entries && ++n >= max_entries)
            return 0;
    }
    if (r != ARCHIVE_EOF)
        return error_input(err, "%s: %s", what, archive_error_string(a));
    return 0;
}

struct archive_io_link {
    char *path;
    char *target; /* resolved, relative to the archive root */
};

struct archive_io_unpacker {
    struct archive *a;
    int dest;
    const char *what;
    struct archive_io_link *links;
    size_t nlinks;
    uint64_t unpack_max, unpacked; /* formats/limits.h */
};

/* Counts n more bytes of entry path against the unpack limit. */
static int
archive_io_charge(struct archive_io_unpacker *u, const char *path, uint64_t n, struct error *err)
{
    if (n > u->unpack_max - u->unpacked)
        return error_input(err,
                           "%s: entry \"%s\": the archive unpacks to more than %llu bytes (the "
                           "limit: --max-unpack or $" LIMITS_UNPACK_ENV ")",
                           u->what, path, (unsigned long long)u->unpack_max);
    u->unpacked += n;
    return 0;
}

/* Resolves a symlink target lexically against the entry's directory. */
static char *
archive_io_resolve(const char *path, const char *target)
{
    struct buf out = BUF_INIT;
    const char *slash = strrchr(path, '/');
    cleanup_free char *joined = NULL;
    char *c, *save = NULL;

    if (target[0] == '/')
        return NULL;
    joined = slash ? xasprintf("%.*s/%s", (int)(slash - path), path, target) : xstrdup(target);
    for (c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            char *last = out.len ? strrchr(out.data, '/') : NULL;
            if (!out.len) {
                buf_release(&out);
                return NULL; /* leaves the archive */
            }
            out.len = last ? (size_t)(last - out.data) : 0;
            out.data[out.len] = '\0';
            continue;
        }
        if (out.len)
            buf_addch(&out, '/');
        buf_adds(&out, c);
    }
    if (!out.len) {
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out);
}

static int
archive_io_parent(struct archive_io_unpacker *u, const char *path, struct error *err)
{
    const char *slash = strrchr(path, '/');
    cleanup_free char *dir = NULL;

    if (!slash)
        return 0;
    dir = xstrndup(path, (size_t)(slash - path));
    if (fs_mkdir_p(u->dest, dir, 0755, err) < 0)
        return error_wrap(err, "%s: entry \"%s\"", u->what, path);
    return 0;
}

/*
 * Writes a regular file. Holes stay holes (image archives hold sparse
 * layer.tar members): only the data blocks libarchive returns are written,
 * and of those not the ones that are all zeros.
 */
static int
archive_io_file(struct archive_io_unpacker *u, const char *path, la_int64_t size, struct error *err)
{
    cleanup_close int fd = -1;
    const void *blk;
    size_t n;
    la_int64_t off, charged = size > 0 ? size : 0;
    int r;

    if (archive_io_charge(u, path, (uint64_t)charged, err) < 0 ||
        archive_io_parent(u, path, err) < 0)
        return -1;
    unlinkat(u->dest, path, 0); /* a later entry of the same name wins, as in tar */
    fd = openat(u->dest, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_set(err, errno, "%s: entry \"%s\": create", u->what, path);
    while ((r = archive_read_data_block(u->a, &blk, &n, &off)) == ARCHIVE_OK) {
        const unsigned char *c = blk;
        if (off < 0 || (uint64_t)off > INT64_MAX - n)
            return error_input(err, "%s: entry \"%s\": data block at offset %lld", u->what, path,
                               (long long)off);
        if (off + (la_int64_t)n > charged) { /* a sparse map may reach past the size */
            if (archive_io_charge(u, path, (uint64_t)(off + (la_int64_t)n - charged), err) < 0)
                return -1;
            charged = off + (la_int64_t)n;
        }
        if (n == 0 || (c[0] == 0 && !memcmp(c, c + 1, n - 1)))
            continue;
        if (lseek(fd, (off_t)off, SEEK_SET) < 0 || fs_write_all(fd, blk, n, err) < 0)
            return error_set(err, errno, "%s: entry \"%s\": write", u->what, path);
    }
    if (r != ARCHIVE_EOF)
        return error_input(err, "%s: entry \"%s\": %s", u->what, path, archive_error_string(u->a));
    /* a sparse entry, or one ending in zeros, ends in a hole */
    if (ftruncate(fd, (off_t)(charged > size ? charged : size)) < 0)
        return error_set(err, errno, "%s: entry \"%s\": truncate", u->what, path);
    return 0;
}

static int
archive_io_add_link(struct archive_io_unpacker *u, const char *path, const char *target, int hard,
                    struct error *err)
{
    char *res;

    if (hard) {
        struct buf b = BUF_INIT;
        const char *c = archive_io_clean(target, &b);
        res = docker_archive_path_ok(c) ? xstrdup(c) : NULL;
        buf_release(&b);
    } else {
        res = archive_io_resolve(path, target);
    }
    if (!res || !docker_archive_path_ok(res)) {
        free(res);
        return error_input(err, "%s: entry \"%s\": link to \"%s\" leaves the archive", u->what,
                           path, target);
    }
    u->links = xrealloc(u->links, (u->nlinks + 1) * sizeof(*u->links));
    u->links[u->nlinks].path = xstrdup(path);
    u->links[u->nlinks].target = res;
    u->nlinks++;
    return 0;
}

static int
archive_io_entry(struct archive_io_unpacker *u, struct archive_entry *e, struct error *err)
{
    cleanup_buf struct buf pb = BUF_INIT;
    const char *path = archive_io_clean(archive_entry_pathname(e), &pb);
    const char *hard = archive_entry_hardlink(e);

    if (!*path || !strcmp(path, "."))
        return 0;
    if (archive_io_charge(u, path, LIMITS_ENTRY_COST, err) < 0)
        return -1;
    if (!docker_archive_path_ok(path))
        return error_input(err, "%s: entry \"%s\": path leaves the archive", u->what, path);
    if (hard)
        return archive_io_add_link(u, path, hard, 1, err);
    switch (archive_entry_filetype(e)) {
    case AE_IFDIR:
        if (fs_mkdir_p(u->dest, path, 0755, err) < 0)
            return error_wrap(err, "%s: entry \"%s\"", u->what, path);
        return 0;
    case AE_IFREG:
        return archive_io_file(u, path, archive_entry_size(e), err);
    case AE_IFLNK:
        return archive_io_add_link(u, path, archive_entry_symlink(e), 0, err);
    default:
        return error_input(err, "%s: entry \"%s\": unsupported entry type in an image archive",
                           u->what, path);
    }
}

/* Links are made last: their target may come later in the archive. */
static int
archive_io_links(struct archive_io_unpacker *u, struct error *err)
{
    size_t done = 0, pass, i;

    for (pass = 0; pass <= u->nlinks && done < u->nlinks; pass++) {
        for (i = 0; i < u->nlinks; i++) {
            struct archive_io_link *l = &u->links[i];
            struct stat st;
            if (!l->path || fstatat(u->dest, l->target, &st, AT_SYMLINK_NOFOLLOW) < 0)
                continue;
            if (!S_ISREG(st.st_mode))
                return error_input(err, "%s: entry \"%s\": link to a directory", u->what, l->path);
            if (archive_io_parent(u, l->path, err) < 0)
                return -1;
            unlinkat(u->dest, l->path, 0);
            if (linkat(u->dest, l->target, u->dest, l->path, 0) < 0)
                return error_set(err, errno, "%s: entry \"%s\": link", u->what, l->path);
            free(steal_ptr(&l->path));
            done++;
        }
    }
    for (i = 0; i < u->nlinks; i++) {
        if (u->links[i].path)
            return error_input(err, "%s: entry \"%s\": link target \"%s\" is not in the archive",
                               u->what, u->links[i].path, u->links[i].target);
    }
    return 0;
}

int
archive_io_unpack(int in_fd, int dest_dirfd, const char *what, struct error *err)
{
    cleanup_archive_reader struct archive *a = archive_io_reader(in_fd, what, err);
    struct archive_io_unpacker u = {a, dest_dirfd, what, NULL, 0, 0, 0};
    struct archive_entry *e;
    size_t i;
    int r, rc = 0;

    if (!a)
        return -1;
    if (limits_unpack_max(limits_input_size(in_fd), &u.unpack_max, err) < 0)
        return -1;
    while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
        rc = archive_io_entry(&u, e, err);
    if (rc == 0 && r != ARCHIVE_EOF)
        rc = error_input(err, "%s: %s", what, archive_error_string(a));
    if (rc == 0)
        rc = archive_io_links(&u, err);
    for (i = 0; i < u.nlinks; i++) {
        free(u.links[i].path);
        free(u.links[i].target);
    }
    free(u.links);
    return rc;
}

struct archive_io_writer {
    struct archive *a;
};

struct archive_io_writer *
archive_io_writer_new(int fd)
{
    struct archive_io_writer *w = xcalloc(1, sizeof(*w));

    w->a = archive_write_new();
    if (!w->a)
        BUG("archive_write_new");
    archive_write_set_format_pax_restricted(w->a);
    /*
     * Writes of 1 MiB instead of libarchive's 10 KiB (an export of the big-layer
     * image made 32,000 write calls); with the last block unpadded the bytes
     * are the same.
     */
    archive_write_set_bytes_per_block(w->a, 1024 * 1024);
    archive_write_set_bytes_in_last_block(w->a, 1);
    if (archive_write_open_fd(w->a, fd) != ARCHIVE_OK)
        BUG("archive_write_open_fd");
    return w;
}

static int
archive_io_header(struct archive_io_writer *w, const char *name, unsigned type, uint64_t size,
                  struct error *err)
{
    struct archive_entry *e = archive_entry_new();
    int r;

    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, type == AE_IFDIR ? 0 : (la_int64_t)size);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 0, 0);
    r = archive_write_header(w->a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return error_set(err, archive_errno(w->a), "tar entry %s: %s", name,
                         archive_error_string(w->a));
    return 0;
}

static int
archive_io_data(struct archive_io_writer *w, const char *name, const void *data, size_t n,
                struct error *err)
{
    const char *p = data;

    while (n > 0) {
        la_ssize_t k = archive_write_data(w->a, p, n);
        if (k <= 0)
            return error_set(err, archive_errno(w->a), "tar entry %s: %s", name,
                             archive_error_string(w->a));
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int
archive_io_add_dir(struct archive_io_writer *w, const char *name, struct error *err)
{
    return archive_io_header(w, name, AE_IFDIR, 0, err);
}

int
archive_io_add_bytes(struct archive_io_writer *w, const char *name, const void *data, size_t n,
                     struct error *err)
{
    if (archive_io_header(w, name, AE_IFREG, n, err) < 0)
        return -1;
    return archive_io_data(w, name, data, n, err);
}

int
archive_io_add_fd(struct archive_io_writer *w, const char *name, int fd, uint64_t size,
                  struct digest_ctx *hash, struct error *err)
{
    cleanup_free char *buf = xmalloc(1 << 20);
    uint64_t left = size;

    if (archive_io_header(w, name, AE_IFREG, size, err) < 0)
        return -1;
    while (left > 0) {
        ssize_t r = read(fd, buf, left < (1u << 20) ? (size_t)left : (1u << 20));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return error_set(err, errno, "tar entry %s: read", name);
        if (r == 0)
            return error_set(err, 0, "tar entry %s: source ended %llu bytes early", name,
                             (unsigned long long)left);
        if (hash)
            digest_update(hash, buf, (size_t)r);
        if (archive_io_data(w, name, buf, (size_t)r, err) < 0)
            return -1;
        left -= (uint64_t)r;
    }
    return 0;
}

int
archive_io_writer_finish(struct archive_io_writer *w, struct error *err)
{
    if (archive_write_close(w->a) != ARCHIVE_OK)
        return error_set(err, archive_errno(w->a), "tar: %s", archive_error_string(w->a));
    return 0;
}

void
archive_io_writer_free(struct archive_io_writer *w)
{
    if (!w)
        return;
    archive_write_free(w->a);
    free(w);
}

int
archive_io_diff_id(int fd, const char *what, char out[DIGEST_STR_LEN + 1],
                   char raw[DIGEST_STR_LEN + 1], struct error *err)
{
    struct compress_reader *r;
    struct digest_ctx d, rawc;
    cleanup_free char *buf = NULL;
    char rawd[DIGEST_STR_LEN + 1];
    ssize_t n;

    digest_init(&rawc);
    r = compress_reader_fd(fd, &rawc, what, err);
    if (!r) {
        digest_release(&rawc);
        return -1;
    }
    buf = xmalloc(1 << 20);
    digest_init(&d);
    while ((n = compress_read(r, buf, 1 << 20, err)) > 0)
        digest_update(&d, buf, (size_t)n);
    compress_reader_free(r);
    if (n < 0) {
        digest_release(&d);
        digest_release(&rawc);
        return error_wrap(err, "%s", what);
    }
    digest_final(&d, out);
    digest_final(&rawc, rawd);
    if (raw)
        memcpy(raw, rawd, sizeof(rawd));
    return 0;
}
