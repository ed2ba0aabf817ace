#include "store/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/txn.h"

#include "formats/core/banned.h"

char *
blob_path(const struct store *s, const char *digest)
{
    return xasprintf("%s/blobs/sha256/%s", s->root, digest_hex(digest));
}

int
blob_exists(const struct store *s, const char *digest)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(digest));

    return fs_exists(s->root_fd, rel);
}

long long
blob_size(const struct store *s, const char *digest)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(digest));
    struct stat st;

    if (fstatat(s->root_fd, rel, &st, 0) < 0)
        return -1;
    return (long long)st.st_size;
}

int
blob_writer_open(struct store *s, struct blob_writer *w, struct error *err)
{
    w->store = s;
    w->tmp = txn_tmp_path(s->tmp, "blob");
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        txn_unregister(w->tmp);
        free(steal_ptr(&w->tmp));
        return error_set(err, e, "store %s: create staging file", s->root);
    }
    return 0;
}

void
blob_writer_abort(struct blob_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    if (w->tmp) {
        unlink(w->tmp);
        txn_unregister(w->tmp);
        free(steal_ptr(&w->tmp));
    }
}

int
blob_writer_link(struct blob_writer *w, const char *digest, struct error *err)
{
    cleanup_free char *dst = blob_path(w->store, digest);

    txn_crash_point("blob-before-link");
    if (link(w->tmp, dst) < 0 && errno != EEXIST) {
        error_set(err, errno, "blob %s: link into store", digest);
        blob_writer_abort(w);
        return -1;
    }
    blob_writer_abort(w); /* closes and removes the staging name */
    return 0;
}

int
blob_writer_commit(struct blob_writer *w, const char *digest, struct error *err)
{
    cleanup_free char *dir = xasprintf("%s/blobs/sha256", w->store->root);

    if (fsync(w->fd) < 0) {
        error_set(err, errno, "blob %s: fsync", digest);
        blob_writer_abort(w);
        return -1;
    }
    if (blob_writer_link(w, digest, err) < 0)
        return -1;
    return fs_fsync_dir(AT_FDCWD, dir, err);
}

int
blob_put(struct store *s, const void *data, size_t n, char out[DIGEST_STR_LEN + 1],
         struct error *err)
{
    struct blob_writer w = {NULL, NULL, -1};
    char d[DIGEST_STR_LEN + 1];

    digest_bytes(data, n, d);
    if (blob_exists(s, d)) {
        memcpy(out, d, sizeof(d));
        return 0;
    }
    if (blob_writer_open(s, &w, err) < 0)
        return -1;
    if (fs_write_all(w.fd, data, n, err) < 0) {
        blob_writer_abort(&w);
        return error_wrap(err, "blob %s", d);
    }
    if (blob_writer_commit(&w, d, err) < 0)
        return -1;
    memcpy(out, d, sizeof(d));
    return 0;
}

int
blob_open(const struct store *s, const char *digest, struct error *err)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(digest));
    int fd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return error_set(err, errno, "blob %s", digest);
    return fd;
}

int
blob_read(const struct store *s, const char *digest, size_t max, struct buf *out, struct error *err)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(digest));
    char got[DIGEST_STR_LEN + 1];
    size_t start = out->len;

    if (fs_read_file_max(s->root_fd, rel, max, out, err) < 0)
        return error_wrap(err, "blob %s", digest);
    digest_bytes(out->data ? out->data + start : "", out->len - start, got);
    if (strcmp(got, digest) != 0)
        return error_set(err, 0, "blob %s: content hashes to %s", digest, got);
    return 0;
}
