#include "store/importer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/archive_io.h"
#include "formats/compress.h"
#include "formats/core/fsutil.h"
#include "formats/core/units.h"
#include "formats/core/mem.h"
#include "formats/docker_archive.h"
#include "formats/json.h"
#include "formats/limits.h"
#include "formats/oci.h"
#include "formats/oci_archive.h"
#include "formats/tar_read.h"
#include "formats/tar_write.h"
#include "store/blob.h"
#include "store/diffid.h"
#include "store/attest_index.h"
#include "store/image.h"
#include "store/index.h"
#include "store/layer.h"
#include "store/snapshot.h"
#include "store/store.h"
#include "store/txn.h"

#include "formats/core/banned.h"

#define IMPORTER_CONFIG_MAX (8u << 20)

const char *
importer_kind_name(enum importer_kind kind)
{
    switch (kind) {
    case IMPORTER_OCI_LAYOUT:
        return "oci";
    case IMPORTER_OCI_ARCHIVE:
        return "oci-archive";
    case IMPORTER_DOCKER_ARCHIVE:
        return "docker-archive";
    case IMPORTER_DOCKER_DIR:
        return "docker-dir";
    case IMPORTER_ROOTFS:
        break;
    }
    return "rootfs";
}

static int
importer_detect_dir(const char *path, enum importer_kind *out, struct error *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return error_input(err, "import %s: %s", path, strerror(errno));
    if (fs_exists(fd, "oci-layout")) {
        *out = IMPORTER_OCI_LAYOUT;
        return 0;
    }
    if (fs_exists(fd, "manifest.json")) {
        *out = IMPORTER_DOCKER_DIR;
        return 0;
    }
    return error_input(err,
                       "import %s: a directory, but neither an OCI layout (no oci-layout) "
                       "nor an unpacked docker-archive (no manifest.json)",
                       path);
}

int
importer_detect(const char *path, enum importer_kind *out, struct error *err)
{
    cleanup_strvec struct strvec names = STRVEC_INIT;
    cleanup_close int fd = -1;
    struct stat st;
    int layout = 0, index = 0, manifest = 0;
    size_t i;

    if (stat(path, &st) < 0)
        return error_input(err, "import %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return importer_detect_dir(path, out, err);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_input(err, "import %s: %s", path, strerror(errno));
    /* docker save writes manifest.json last, so the whole listing is needed */
    if (archive_io_list(fd, 0, path, &names, err) < 0)
        return -1;
    for (i = 0; i < names.n; i++) {
        layout |= !strcmp(names.v[i], "oci-layout");
        index |= !strcmp(names.v[i], "index.json");
        manifest |= !strcmp(names.v[i], "manifest.json");
    }
    if (layout && index)
        *out = IMPORTER_OCI_ARCHIVE;
    else if (manifest)
        *out = IMPORTER_DOCKER_ARCHIVE;
    else
        *out = IMPORTER_ROOTFS;
    return 0;
}

/* Reads rel (below the source directory, never leaving it) into out, at most max bytes. */
static int
importer_read(int dirfd, const char *rel, size_t max, struct buf *out, struct error *err)
{
    cleanup_close int fd = fs_open_in_root(dirfd, rel, O_RDONLY, err);
    char tmp[65536];

    if (fd < 0)
        return error_input(err, "%s: missing from the image (%s)", rel, strerror(err->sys_errno));
    for (;;) {
        ssize_t r = read(fd, tmp, sizeof(tmp));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return error_set(err, errno, "read %s", rel);
        if (r == 0)
            return 0;
        if (out->len + (size_t)r > max)
            return error_input(err, "%s: larger than %zu bytes", rel, max);
        buf_add(out, tmp, (size_t)r);
    }
}

/* Reads the blob of d from a layout and checks its digest and size. */
static int
importer_blob(int dirfd, const struct oci_descriptor *d, size_t max, const char *what,
              struct buf *out, struct error *err)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(d->digest));
    char got[DIGEST_STR_LEN + 1];

    if (d->size < 0 || (unsigned long long)d->size > max)
        return error_input(err, "%s %s: size %lld is over the limit of %zu bytes", what, d->digest,
                           d->size, max);
    if (importer_read(dirfd, rel, max, out, err) < 0)
        return error_wrap(err, "%s %s", what, d->digest);
    digest_bytes(buf_cstr(out), out->len, got);
    if (strcmp(got, d->digest) != 0)
        return error_input(err, "%s %s: content hashes to %s", what, d->digest, got);
    if ((long long)out->len != d->size)
        return error_input(err, "%s %s: %zu bytes, descriptor says %lld", what, d->digest, out->len,
                           d->size);
    return 0;
}

#define IMPORTER_CHUNK (1 << 20)

/*
 * Copies the regular file in_fd into out_fd keeping its holes (SEEK_DATA /
 * SEEK_HOLE): a layer.tar that an archive held as a sparse member stays
 * sparse in the store. The holes are hashed as the zeros they read as.
 */
static long long
importer_copy_sparse(int in_fd, int out_fd, off_t size, const char *what, struct digest_ctx *d,
                     struct error *err)
{
    cleanup_free char *buf = xmalloc(IMPORTER_CHUNK);
    cleanup_free char *zeros = xcalloc(1, IMPORTER_CHUNK);
    off_t pos = 0;

    while (pos < size) {
        off_t data = lseek(in_fd, pos, SEEK_DATA), hole;
        if (data < 0 && errno != ENXIO)
            data = pos; /* no SEEK_DATA here: everything is data */
        if (data < 0 || data > size)
            data = size;
        for (; pos < data; pos += data - pos < IMPORTER_CHUNK ? data - pos : IMPORTER_CHUNK)
            digest_update(d, zeros,
                          (size_t)(data - pos < IMPORTER_CHUNK ? data - pos : IMPORTER_CHUNK));
        hole = pos < size ? lseek(in_fd, pos, SEEK_HOLE) : size;
        if (hole < 0 || hole > size)
            hole = size;
        while (pos < hole) {
            ssize_t r =
                pread(in_fd, buf,
                      hole - pos < IMPORTER_CHUNK ? (size_t)(hole - pos) : IMPORTER_CHUNK, pos);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return error_set(err, r < 0 ? errno : 0, "%s: read%s", what,
                                 r < 0 ? "" : ": the file shrank");
            digest_update(d, buf, (size_t)r);
            if (lseek(out_fd, pos, SEEK_SET) < 0 || fs_write_all(out_fd, buf, (size_t)r, err) < 0)
                return error_set(err, errno, "%s: write", what);
            pos += r;
        }
    }
    if (ftruncate(out_fd, size) < 0)
        return error_set(err, errno, "%s: truncate", what);
    return (long long)size;
}

/* Copies in_fd into the staging file of w, hashing; returns the byte count or -1. */
static long long
importer_copy(int in_fd, int out_fd, const char *what, char digest[DIGEST_STR_LEN + 1],
              struct error *err)
{
    cleanup_free char *buf = NULL;
    struct digest_ctx d;
    long long total = 0;
    uint64_t max;
    struct stat st;

    if (fstat(in_fd, &st) == 0 && S_ISREG(st.st_mode)) {
        uint64_t data = limits_input_size(in_fd);
        /* mostly holes is the sparse amplification of issue 9: refuse past the unpack limit */
        if (limits_unpack_max(data, &max, err) < 0)
            return -1;
        if ((uint64_t)st.st_size > max)
            return error_input(err,
                               "%s: a sparse file of %lld bytes with %llu bytes of data (the "
                               "limit: --max-unpack or $" LIMITS_UNPACK_ENV ")",
                               what, (long long)st.st_size, (unsigned long long)data);
        digest_init(&d);
        total = importer_copy_sparse(in_fd, out_fd, st.st_size, what, &d, err);
        if (total < 0) {
            digest_release(&d);
            return -1;
        }
        digest_final(&d, digest);
        return total;
    }
    digest_init(&d);
    buf = xmalloc(1 << 20);
    for (;;) {
        ssize_t r = read(in_fd, buf, 1 << 20);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (r > 0 && fs_write_all(out_fd, buf, (size_t)r, err) < 0)) {
            if (r < 0)
                error_set(err, errno, "%s: read", what);
            digest_release(&d);
            return -1;
        }
        if (r == 0)
            break;
        digest_update(&d, buf, (size_t)r);
        total += r;
    }
    digest_final(&d, digest);
    return total;
}

/* Checks the staged layer's content against diff_id; unpacks it into *dir when new. */
static int
importer_unpack(struct store *s, const char *staged, const char *what, const char *diff_id,
                char **dir, struct error *err)
{
    cleanup_close int fd = open(staged, O_RDONLY | O_CLOEXEC);
    cleanup_close int dfd = -1;
    struct tar_read_result res;
    char got[DIGEST_STR_LEN + 1];

    if (fd < 0)
        return error_set(err, errno, "%s: reopen %s", what, staged);
    if (snapshot_exists(s, diff_id)) {
        if (archive_io_diff_id(fd, what, got, NULL, err) < 0)
            return -1;
        if (strcmp(got, diff_id) != 0)
            return error_input(err, "%s: uncompressed content hashes to %s, config says %s", what,
                               got, diff_id);
        return 0;
    }
    *dir = txn_tmp_path(s->tmp, "import");
    if (mkdir(*dir, 0755) < 0 || (dfd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return error_set(err, errno, "mkdir %s", *dir);
    if (tar_read_extract(fd, dfd, TAR_READ_SNAPSHOT, store_host_root() ? 0 : TAR_READ_USERXATTR,
                         what, &res, err) < 0)
        return -1;
    if (strcmp(res.diff_id, diff_id) != 0)
        return error_input(err, "%s: uncompressed content hashes to %s, config says %s", what,
                           res.diff_id, diff_id);
    return 0;
}

int
importer_layer(struct store *s, int in_fd, const char *what, const char *want_digest,
               long long want_size, const char *diff_id, char out_digest[DIGEST_STR_LEN + 1],
               long long *out_size, struct error *err)
{
    struct blob_writer w = {NULL, NULL, -1};
    char digest[DIGEST_STR_LEN + 1];
    cleanup_free char *dir = NULL;
    long long size;

    if (blob_writer_open(s, &w, err) < 0)
        return -1;
    size = importer_copy(in_fd, w.fd, what, digest, err);
    if (size < 0)
        goto abort;
    if (want_digest && strcmp(digest, want_digest) != 0) {
        error_input(err, "%s: content hashes to %s", what, digest);
        goto abort;
    }
    if (want_size >= 0 && size != want_size) {
        error_input(err, "%s: %lld bytes, descriptor says %lld", what, size, want_size);
        goto abort;
    }
    if (importer_unpack(s, w.tmp, what, diff_id, &dir, err) < 0)
        goto abort;
    if (blob_writer_commit(&w, digest, err) < 0 || diffid_record(s, digest, diff_id, err) < 0)
        goto discard_dir;
    if (dir && snapshot_commit(s, dir, diff_id, err) < 0)
        goto discard_dir;
    if (out_digest)
        memcpy(out_digest, digest, sizeof(digest));
    if (out_size)
        *out_size = size;
    return 0;
abort:
    blob_writer_abort(&w);
discard_dir:
    if (dir)
        txn_discard(dir);
    return -1;
}

struct importer_fetch_ctx {
    struct store *s;
    int dirfd;
};

/* Stores blob digest of the layout (attest_index_adopt's fetch): read inside the layout, checked.
 */
static int
importer_fetch(void *arg, const char *digest, long long size, int manifest, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(digest));
    struct importer_fetch_ctx *f = arg;
    char got[DIGEST_STR_LEN + 1];

    (void)manifest; /* a layout keeps manifests among the blobs */
    if (importer_read(f->dirfd, rel, OCI_ARCHIVE_DOC_MAX * 16, &b, err) < 0)
        return -1;
    if (size >= 0 && (long long)b.len != size)
        return error_input(err, "blob %s: %zu bytes, its descriptor says %lld", digest, b.len,
                           size);
    if (blob_put(f->s, buf_cstr(&b), b.len, got, err) < 0)
        return -1;
    if (strcmp(got, digest) != 0)
        return error_input(err, "blob %s: content hashes to %s", digest, got);
    return 0;
}

/*
 * An index naming one image and its attestations (strata's and BuildKit's
 * way) comes in whole: the name then points at it, as it did where it
 * came from.
 */
static int
importer_oci_attest(struct store *s, int dirfd, const struct oci_descriptor *top, const char *image,
                    char out[DIGEST_STR_LEN + 1], long long *out_size, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    struct importer_fetch_ctx f = {s, dirfd};

    if (strcmp(top->media_type, OCI_MEDIA_INDEX) != 0)
        return 1;
    if (importer_blob(dirfd, top, OCI_ARCHIVE_DOC_MAX, "index", &b, err) < 0)
        return -1;
    return attest_index_adopt(s, buf_cstr(&b), b.len, image, importer_fetch, &f, out, out_size,
                              err);
}

/* Follows nested indexes (at most 4 deep) to the manifest for platform want. */
static int
importer_oci_resolve(int dirfd, struct oci_descriptor *d, const struct platform *want,
                     struct error *err)
{
    int depth;

    for (depth = 0; depth < 4; depth++) {
        cleanup_buf struct buf b = BUF_INIT;
        struct oci_archive_index idx;
        char what[128];
        long k;

        if (strcmp(d->media_type, OCI_MEDIA_INDEX) && strcmp(d->media_type, DOCKER_MEDIA_LIST))
            return 0;
        snprintf(what, sizeof(what), "index %s", d->digest);
        if (importer_blob(dirfd, d, OCI_ARCHIVE_DOC_MAX, "index", &b, err) < 0 ||
            oci_archive_index_parse(buf_cstr(&b), b.len, what, &idx, err) < 0)
            return -1;
        k = oci_archive_index_match(&idx, want, what, err);
        if (k >= 0) {
            oci_descriptor_release(d);
            oci_descriptor_copy(d, &idx.entries[k].desc);
        }
        oci_archive_index_release(&idx);
        if (k < 0)
            return -1;
    }
    return error_input(err, "image indexes nested too deep");
}

/* Imports every layer of m from the layout, checking digests and diff_ids. */
static int
importer_oci_layers(struct store *s, int dirfd, const struct oci_manifest *m,
                    const struct strvec *diff_ids, struct error *err)
{
    size_t i;

    for (i = 0; i < m->nlayers; i++) {
        const struct oci_descriptor *l = &m->layers[i];
        cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(l->digest));
        cleanup_close int fd = fs_open_in_root(dirfd, rel, O_RDONLY, err);
        char what[128];

        snprintf(what, sizeof(what), "layer %s", l->digest);
        if (fd < 0)
            return error_input(err, "%s: missing from the image", what);
        if (importer_layer(s, fd, what, l->digest, l->size, diff_ids->v[i], NULL, NULL, err) < 0)
            return -1;
    }
    return 0;
}

static int
importer_oci(struct store *s, int dirfd, const char *name, const char *norm,
             const struct platform *want, char out[DIGEST_STR_LEN + 1], long long *out_size,
             char idx_dg[DIGEST_STR_LEN + 1], long long *idx_size, struct error *err)
{
    cleanup_buf struct buf lb = BUF_INIT;
    cleanup_buf struct buf ib = BUF_INIT;
    cleanup_buf struct buf mb = BUF_INIT;
    cleanup_buf struct buf cb = BUF_INIT;
    cleanup_cjson cJSON *cfg = NULL;
    cleanup_strvec struct strvec diff_ids = STRVEC_INIT;
    struct oci_archive_index idx;
    struct oci_descriptor d = {0}, top = {0};
    struct oci_manifest m;
    char what[128], dg[DIGEST_STR_LEN + 1];
    long k;
    int rc = -1;

    if (importer_read(dirfd, "oci-layout", 4096, &lb, err) < 0 ||
        oci_archive_layout_check(buf_cstr(&lb), lb.len, err) < 0 ||
        importer_read(dirfd, "index.json", OCI_ARCHIVE_DOC_MAX, &ib, err) < 0 ||
        oci_archive_index_parse(buf_cstr(&ib), ib.len, "index.json", &idx, err) < 0)
        return -1;
    /* the name as given ("v1"), then normalised ("busybox" -> "busybox:latest") */
    k = oci_archive_index_select(&idx, name, err);
    if (k < 0)
        k = oci_archive_index_select(&idx, norm, err);
    if (k >= 0) {
        oci_descriptor_copy(&d, &idx.entries[k].desc);
        oci_descriptor_copy(&top, &idx.entries[k].desc);
    }
    oci_archive_index_release(&idx);
    if (k < 0)
        return -1;
    oci_manifest_init(&m);
    snprintf(what, sizeof(what), "manifest %s", d.digest);
    if (importer_oci_resolve(dirfd, &d, want, err) < 0 ||
        importer_blob(dirfd, &d, OCI_ARCHIVE_DOC_MAX, "manifest", &mb, err) < 0 ||
        oci_manifest_parse(buf_cstr(&mb), mb.len, what, &m, err) < 0)
        goto out;
    snprintf(what, sizeof(what), "config %s", m.config.digest);
    if (importer_blob(dirfd, &m.config, IMPORTER_CONFIG_MAX, "config", &cb, err) < 0 ||
        !(cfg = oci_config_parse(buf_cstr(&cb), cb.len, what, (long)m.nlayers, err)))
        goto out;
    oci_config_diff_ids(cfg, &diff_ids);
    if (importer_oci_layers(s, dirfd, &m, &diff_ids, err) < 0 ||
        blob_put(s, buf_cstr(&cb), cb.len, dg, err) < 0 ||
        blob_put(s, buf_cstr(&mb), mb.len, out, err) < 0)
        goto out;
    *out_size = (long long)mb.len;
    rc = importer_oci_attest(s, dirfd, &top, out, idx_dg, idx_size, err);
    if (rc == 1)
        idx_dg[0] = '\0';
    rc = rc < 0 ? -1 : 0;
out:
    oci_manifest_release(&m);
    oci_descriptor_release(&d);
    oci_descriptor_release(&top);
    return rc;
}

/* docker save names the config "<hex>.json" (or "blobs/sha256/<hex>" since docker 25). */
static int
importer_docker_config(int dirfd, const char *rel, struct buf *cb, char dg[DIGEST_STR_LEN + 1],
                       struct error *err)
{
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    size_t n = strspn(base, "0123456789abcdef");

    if (importer_read(dirfd, rel, IMPORTER_CONFIG_MAX, cb, err) < 0)
        return error_wrap(err, "docker-archive config");
    digest_bytes(buf_cstr(cb), cb->len, dg);
    if (n == DIGEST_HEX_LEN && (!base[n] || !strcmp(base + n, ".json")) &&
        strncmp(base, digest_hex(dg), DIGEST_HEX_LEN) != 0)
        return error_input(err, "docker-archive config %s: content hashes to %s", rel, dg);
    return 0;
}

static int
importer_docker_layer(struct store *s, int dirfd, const char *rel, const char *diff_id,
                      struct oci_manifest *m, struct error *err)
{
    cleanup_close int fd = fs_open_in_root(dirfd, rel, O_RDONLY, err);
    struct oci_descriptor d = {0};
    unsigned char head[COMPRESS_DETECT_LEN];
    ssize_t n;
    char what[512];
    enum compress_kind kind;

    snprintf(what, sizeof(what), "layer %s", rel);
    if (fd < 0)
        return error_input(err, "%s: missing from the archive", what);
    n = pread(fd, head, sizeof(head), 0);
    kind = compress_detect(head, n > 0 ? (size_t)n : 0);
    if (kind == COMPRESS_XZ)
        return error_input(err, "%s: xz layers have no OCI media type", what);
    if (importer_layer(s, fd, what, NULL, -1, diff_id, d.digest, &d.size, err) < 0)
        return -1;
    d.media_type = (char *)compress_layer_media_type(kind);
    oci_manifest_add_layer(m, &d);
    return 0;
}

static int
importer_docker(struct store *s, int dirfd, const char *name, const char *norm,
                char out[DIGEST_STR_LEN + 1], long long *out_size, struct error *err)
{
    cleanup_buf struct buf mb = BUF_INIT;
    cleanup_buf struct buf cb = BUF_INIT;
    cleanup_cjson cJSON *cfg = NULL;
    cleanup_strvec struct strvec diff_ids = STRVEC_INIT;
    cleanup_free char *man = NULL;
    struct docker_archive_manifest dm;
    const struct docker_archive_image *im;
    struct oci_manifest m;
    char dg[DIGEST_STR_LEN + 1], what[128];
    long k;
    size_t i;
    int rc = -1;

    if (importer_read(dirfd, "manifest.json", DOCKER_ARCHIVE_DOC_MAX, &mb, err) < 0 ||
        docker_archive_manifest_parse(buf_cstr(&mb), mb.len, &dm, err) < 0)
        return -1;
    oci_manifest_init(&m);
    k = docker_archive_select(&dm, name, err);
    if (k < 0 && (k = docker_archive_select(&dm, norm, err)) < 0)
        goto out;
    im = &dm.images[k];
    if (importer_docker_config(dirfd, im->config, &cb, dg, err) < 0)
        goto out;
    snprintf(what, sizeof(what), "config %s", dg);
    if (!(cfg = oci_config_parse(buf_cstr(&cb), cb.len, what, (long)im->layers.n, err)))
        goto out;
    oci_config_diff_ids(cfg, &diff_ids);
    for (i = 0; i < im->layers.n; i++) {
        if (importer_docker_layer(s, dirfd, im->layers.v[i], diff_ids.v[i], &m, err) < 0)
            goto out;
    }
    m.config.media_type = xstrdup(OCI_MEDIA_CONFIG);
    memcpy(m.config.digest, dg, sizeof(dg));
    m.config.size = (long long)cb.len;
    man = oci_manifest_write(&m);
    if (blob_put(s, buf_cstr(&cb), cb.len, dg, err) < 0 ||
        blob_put(s, man, strlen(man), out, err) < 0)
        goto out;
    *out_size = (long long)strlen(man);
    rc = 0;
out:
    /* docker-archive media types are static strings, not ours to free */
    for (i = 0; i < m.nlayers; i++) {
        free(m.layers[i].media_type);
        m.layers[i].media_type = NULL;
    }
    oci_manifest_release(&m);
    docker_archive_manifest_release(&dm);
    return rc;
}

/* Unpacks an archive into a staging directory below the store's tmp. */
static int
importer_stage(struct store *s, const char *path, char **dir, struct error *err)
{
    cleanup_close int in = open(path, O_RDONLY | O_CLOEXEC);
    cleanup_close int dfd = -1;

    if (in < 0)
        return error_input(err, "import %s: %s", path, strerror(errno));
    *dir = txn_tmp_path(s->tmp, "archive");
    if (mkdir(*dir, 0700) < 0 || (dfd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return error_set(err, errno, "mkdir %s", *dir);
    return archive_io_unpack(in, dfd, path, err);
}

static int
importer_rootfs_layer(struct store *s, const char *file, enum compress_kind comp,
                      struct layer_info *info, long long *newest, struct error *err)
{
    cleanup_close int in = open(file, O_RDONLY | O_CLOEXEC);
    cleanup_close int dfd = -1;
    cleanup_free char *dir = txn_tmp_path(s->tmp, "import");
    struct tar_read_result res;
    struct tar_write_opts opts;
    long long sde;
    int have_sde = units_source_date_epoch(&sde, err);

    if (have_sde < 0) {
        txn_unregister(dir);
        return -1;
    }
    if (in < 0) {
        txn_unregister(dir);
        return error_input(err, "import %s: %s", file, strerror(errno));
    }
    if (mkdir(dir, 0755) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        error_set(err, errno, "mkdir %s", dir);
        txn_discard(dir);
        return -1;
    }
    if (tar_read_extract(in, dfd, TAR_READ_SNAPSHOT, store_host_root() ? 0 : TAR_READ_USERXATTR,
                         file, &res, err) < 0) {
        txn_discard(dir);
        return -1;
    }
    *newest = res.max_mtime;
    tar_write_opts_init(&opts);
    opts.compression = comp;
    if (have_sde == 0)
        opts.clamp_mtime = sde;
    if (layer_capture(s, dir, &opts, info, err) < 0) {
        txn_discard(dir);
        return -1;
    }
    if (!info->entries) {
        txn_discard(dir);
        return error_input(err, "import %s: the archive holds no files", file);
    }
    return 0;
}

/*
 * A root file system tarball as a one-layer image, reproducible by default:
 * its time is $SOURCE_DATE_EPOCH or else the newest file time in the archive.
 */
static int
importer_rootfs(struct store *s, const char *file, enum compress_kind comp,
                const struct platform *platform, char digest[DIGEST_STR_LEN + 1], long long *size,
                struct error *err)
{
    cleanup_cjson cJSON *cfg = oci_config_new();
    struct oci_manifest m;
    struct oci_descriptor d = {0};
    struct layer_info info;
    long long sde = 0;
    char when[32];
    cJSON *h, *ids;
    long long newest = 0;
    int rc;

    if (importer_rootfs_layer(s, file, comp, &info, &newest, err) < 0)
        return -1;
    if (platform)
        oci_config_set_platform(cfg, platform);
    if (units_source_date_epoch(&sde, err) == 1)
        sde = newest;
    /* reproducible by default: the same tarball gives the same image */
    oci_time_format(sde, when);
    json_set_string(cfg, "created", when);
    ids = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "rootfs"),
                                           "diff_ids");
    cJSON_AddItemToArray(ids, cJSON_CreateString(info.diff_id));
    h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "created", when);
    cJSON_AddStringToObject(h, "created_by", "strata import");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(cfg, "history"), h);
    oci_manifest_init(&m);
    d.media_type = (char *)info.media_type;
    memcpy(d.digest, info.digest, sizeof(d.digest));
    d.size = info.size;
    oci_manifest_add_layer(&m, &d);
    rc = image_commit(s, cfg, &m, digest, size, err);
    oci_manifest_release(&m);
    return rc;
}

int
importer_import(struct store *s, const char *path, enum importer_kind kind, const char *name,
                const struct importer_opts *o, char out_digest[DIGEST_STR_LEN + 1],
                struct error *err)
{
    cleanup_free char *stage = NULL;
    cleanup_free char *norm = index_normalize(name, err);
    cleanup_close int dfd = -1;
    const struct platform *want = o->platform;
    struct platform host;
    char digest[DIGEST_STR_LEN + 1], top[DIGEST_STR_LEN + 1] = "";
    long long size = 0, top_size = 0;
    int rc;

    if (!norm)
        return -1;
    if (!want) {
        platform_host(&host);
        want = &host;
    }
    if (kind == IMPORTER_ROOTFS) {
        if (importer_rootfs(s, path, o->compression, o->platform, digest, &size, err) < 0)
            return -1;
        if (index_set(s, norm, digest, size, err) < 0)
            return -1;
        memcpy(out_digest, digest, sizeof(digest));
        return 0;
    }
    if (kind == IMPORTER_OCI_ARCHIVE || kind == IMPORTER_DOCKER_ARCHIVE) {
        if (importer_stage(s, path, &stage, err) < 0) {
            if (stage)
                txn_discard(stage);
            return -1;
        }
    }
    dfd = open(stage ? stage : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        rc = error_input(err, "import %s: %s", path, strerror(errno));
    } else if (kind == IMPORTER_OCI_LAYOUT || kind == IMPORTER_OCI_ARCHIVE) {
        rc = importer_oci(s, dfd, name, norm, want, digest, &size, top, &top_size, err);
    } else if (kind == IMPORTER_DOCKER_ARCHIVE || kind == IMPORTER_DOCKER_DIR) {
        rc = importer_docker(s, dfd, name, norm, digest, &size, err);
    } else {
        BUG("importer_import: unknown kind");
    }
    if (stage)
        txn_discard(stage);
    if (rc < 0)
        return error_wrap(err, "import %s", path);
    /* the name last: a failed import leaves nothing tagged */
    if (index_set(s, norm, top[0] ? top : digest, top[0] ? top_size : size, err) < 0)
        return -1;
    memcpy(out_digest, digest, sizeof(digest));
    return 0;
}
