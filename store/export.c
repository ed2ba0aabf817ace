#include "store/export.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/archive_io.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/docker_archive.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "formats/oci_archive.h"
#include "store/attest.h"
#include "store/blob.h"
#include "store/image.h"
#include "store/index.h"
#include "store/txn.h"

#define EXPORT_DOC_MAX (8u << 20)

struct export_layer {
    struct oci_descriptor desc; /* as written */
    char *tmp;                  /* re-encoded bytes, or NULL: the store blob desc.digest */
    char chain_id[DIGEST_STR_LEN + 1];
};

struct export_plan {
    struct store *s;
    struct image img;
    struct buf config;
    struct export_layer *layers;
    size_t n;
    char *manifest; /* bytes of the manifest written */
    size_t manifest_len;
    char manifest_digest[DIGEST_STR_LEN + 1];
    const char *manifest_type;
    char *name; /* for tags, or NULL */
    /*
     * The index the name points at (the image's attestations beside it),
     * written as is when the image manifest is: attest.n is 0 otherwise.
     */
    struct attest_index attest;
    struct strvec attest_blobs; /* the index, its attestation manifests and their blobs */
};

int
export_format_parse(const char *name, enum export_format *out, struct error *err)
{
    if (!strcmp(name, "oci"))
        *out = EXPORT_OCI;
    else if (!strcmp(name, "oci-archive"))
        *out = EXPORT_OCI_ARCHIVE;
    else if (!strcmp(name, "docker-archive"))
        *out = EXPORT_DOCKER_ARCHIVE;
    else
        return error_input(err, "unknown export format \"%s\" (oci, oci-archive, docker-archive)",
                           name);
    return 0;
}

const char *
export_format_name(enum export_format fmt)
{
    return fmt == EXPORT_OCI ? "oci" : fmt == EXPORT_OCI_ARCHIVE ? "oci-archive" : "docker-archive";
}

static void
export_plan_release(struct export_plan *p)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        oci_descriptor_release(&p->layers[i].desc);
        if (p->layers[i].tmp) {
            txn_discard(p->layers[i].tmp);
            free(p->layers[i].tmp);
        }
    }
    free(p->layers);
    free(p->manifest);
    free(p->name);
    buf_release(&p->config);
    image_release(&p->img);
    attest_index_release(&p->attest);
    strvec_release(&p->attest_blobs);
}

/* A blob streamed out must be the one its descriptor names: the store may be damaged. */
static int
export_check(struct digest_ctx *d, const char *want, struct error *err)
{
    char got[DIGEST_STR_LEN + 1];

    digest_final(d, got);
    if (strcmp(got, want) != 0)
        return error_set(err, 0,
                         "export: blob %s: content hashes to %s (the store is damaged; run strata "
                         "fsck)",
                         want, got);
    return 0;
}

struct export_sink {
    int fd;
    struct digest_ctx d;
    long long n;
};

static int
export_sink_fn(void *opaque, const void *data, size_t n, struct error *err)
{
    struct export_sink *k = opaque;

    digest_update(&k->d, data, n);
    k->n += (long long)n;
    return fs_write_all(k->fd, data, n, err);
}

struct export_source {
    int fd;
    struct digest_ctx raw; /* of the blob's bytes as read */
};

static ssize_t
export_source_fn(void *opaque, void *buf, size_t cap, struct error *err)
{
    struct export_source *src = opaque;
    ssize_t r;

    do
        r = read(src->fd, buf, cap);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return error_set(err, errno, "read");
    digest_update(&src->raw, buf, (size_t)r);
    return r;
}

/* Pipes the blob through decompressor and compressor into tmp, re-checking the diff_id. */
static int
export_pump(struct export_source *in, enum compress_kind from, struct compress_writer *w,
            const char *diff_id, const char *what, struct error *err)
{
    struct compress_reader *r = compress_reader_new(from, export_source_fn, in);
    cleanup_free char *buf = xmalloc(1 << 20);
    struct digest_ctx d;
    char got[DIGEST_STR_LEN + 1];
    ssize_t n;

    digest_init(&d);
    while ((n = compress_read(r, buf, 1 << 20, err)) > 0) {
        digest_update(&d, buf, (size_t)n);
        if (compress_write(w, buf, (size_t)n, err) < 0) {
            n = -1;
            break;
        }
    }
    compress_reader_free(r);
    if (n < 0) {
        digest_release(&d);
        return error_wrap(err, "%s", what);
    }
    digest_final(&d, got);
    if (strcmp(got, diff_id) != 0)
        return error_set(err, 0, "%s: uncompressed content hashes to %s, config says %s", what, got,
                         diff_id);
    return compress_finish(w, err);
}

static int
export_reencode(struct export_plan *p, size_t i, enum compress_kind from, enum compress_kind to,
                struct error *err)
{
    struct export_layer *l = &p->layers[i];
    struct export_source in = {blob_open(p->s, p->img.manifest.layers[i].digest, err), {NULL}};
    cleanup_close int in_fd = in.fd; /* closes in.fd on every return */
    cleanup_close int out = -1;
    struct export_sink k;
    struct compress_writer *w;
    char what[128];
    int rc;

    if (in_fd < 0)
        return -1;
    snprintf(what, sizeof(what), "layer %s", p->img.manifest.layers[i].digest);
    l->tmp = txn_tmp_path(p->s->tmp, "export-layer");
    out = open(l->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return error_set(err, errno, "create %s", l->tmp);
    k.fd = out;
    k.n = 0;
    digest_init(&k.d);
    w = compress_writer_new(to, 0, 0, export_sink_fn, &k);
    digest_init(&in.raw);
    rc = export_pump(&in, from, w, p->img.diff_ids.v[i], what, err);
    compress_writer_free(w);
    if (rc == 0) {
        /* bytes after the compressed stream are part of the blob too */
        char tail[4096];
        ssize_t r;
        while ((r = export_source_fn(&in, tail, sizeof(tail), err)) > 0)
            ;
        if (r == 0)
            rc = export_check(&in.raw, p->img.manifest.layers[i].digest, err);
        else
            rc = -1;
    }
    digest_release(&in.raw); /* a no-op once export_check finished it */
    if (rc < 0) {
        digest_release(&k.d);
        return -1;
    }
    digest_final(&k.d, l->desc.digest);
    l->desc.size = k.n;
    l->desc.media_type = xstrdup(compress_layer_media_type(to));
    return 0;
}

/* Decides each layer's bytes; returns 1 when some layer changed. */
static int
export_layers(struct export_plan *p, enum compress_kind comp, int recompress, struct error *err)
{
    int changed = 0;
    size_t i;

    p->n = p->img.manifest.nlayers;
    p->layers = xcalloc(p->n + 1, sizeof(*p->layers));
    for (i = 0; i < p->n; i++) {
        const struct oci_descriptor *src = &p->img.manifest.layers[i];
        struct export_layer *l = &p->layers[i];
        unsigned char head[COMPRESS_DETECT_LEN];
        cleanup_close int fd = blob_open(p->s, src->digest, err);
        ssize_t n = fd < 0 ? -1 : pread(fd, head, sizeof(head), 0);
        enum compress_kind kind;

        if (n < 0)
            return fd < 0 ? -1 : error_set(err, errno, "layer %s: read", src->digest);
        kind = compress_detect(head, (size_t)n);
        if (i == 0)
            memcpy(l->chain_id, p->img.diff_ids.v[0], sizeof(l->chain_id));
        else {
            /* image-spec config.md, Layer ChainID */
            cleanup_free char *s =
                xasprintf("%s %s", p->layers[i - 1].chain_id, p->img.diff_ids.v[i]);
            digest_bytes(s, strlen(s), l->chain_id);
        }
        if (recompress && kind != comp) {
            if (export_reencode(p, i, kind, comp, err) < 0)
                return -1;
            changed = 1;
            continue;
        }
        oci_descriptor_copy(&l->desc, src);
        if (strncmp(src->media_type, "application/vnd.oci.", 20) != 0) {
            /* a Docker media type: the OCI manifest written below needs OCI ones */
            free(l->desc.media_type);
            l->desc.media_type =
                xstrdup(compress_layer_media_type(kind == COMPRESS_XZ ? COMPRESS_NONE : kind));
            changed = 1;
        }
    }
    return changed;
}

static int
export_manifest(struct export_plan *p, int changed, struct error *err)
{
    struct oci_manifest m;
    size_t i;

    if (!changed) {
        struct buf b = BUF_INIT;
        if (blob_read(p->s, p->img.digest, EXPORT_DOC_MAX, &b, err) < 0)
            return -1;
        p->manifest_len = b.len;
        p->manifest = buf_detach(&b);
        memcpy(p->manifest_digest, p->img.digest, sizeof(p->manifest_digest));
        p->manifest_type = p->img.manifest.media_type;
        return 0;
    }
    oci_manifest_init(&m);
    oci_descriptor_copy(&m.config, &p->img.manifest.config);
    free(m.config.media_type);
    m.config.media_type = xstrdup(OCI_MEDIA_CONFIG);
    for (i = 0; i < p->n; i++)
        oci_manifest_add_layer(&m, &p->layers[i].desc);
    strvec_copy(&m.annotations, &p->img.manifest.annotations);
    p->manifest = oci_manifest_write(&m);
    oci_manifest_release(&m);
    p->manifest_len = strlen(p->manifest);
    digest_bytes(p->manifest, p->manifest_len, p->manifest_digest);
    p->manifest_type = OCI_MEDIA_MANIFEST;
    return 0;
}

/* The name to write: the given one, else ref when it names an image of the store. */
static int
export_name(struct export_plan *p, const char *ref, const char *name_for_tags, struct error *err)
{
    const struct index_entry *e = NULL;
    struct index idx;
    struct error e2;

    if (name_for_tags) {
        p->name = index_normalize(name_for_tags, err);
        return p->name ? 0 : -1;
    }
    if (!strncmp(ref, "sha256:", 7))
        return 0;
    if (index_load(p->s, &idx, err) < 0)
        return -1;
    error_init(&e2);
    if (index_lookup(&idx, ref, &e, &e2) == 0)
        p->name = xstrdup(e->name);
    index_release(&idx);
    return 0;
}

/* An image with attestations keeps them: its index and what the index holds beside it. */
static int
export_attestations(struct export_plan *p, const char *ref, struct error *err)
{
    char top[DIGEST_STR_LEN + 1];
    size_t i, k;

    if (attest_index_of(p->s, ref, top, err) != 0)
        return 0;
    if (attest_load(p->s, top, &p->attest, err) < 0)
        return -1;
    if (strcmp(p->attest.image, p->manifest_digest) != 0) {
        attest_index_release(&p->attest);
        return 0;
    }
    strvec_push(&p->attest_blobs, top);
    for (i = 0; i < p->attest.n; i++) {
        if (!p->attest.m[i].ref[0])
            continue;
        strvec_push(&p->attest_blobs, p->attest.m[i].digest);
        for (k = 0; k < p->attest.m[i].blobs.n; k++)
            strvec_push(&p->attest_blobs, p->attest.m[i].blobs.v[k]);
    }
    return 0;
}

static int
export_plan_make(struct export_plan *p, const char *ref, enum export_format fmt,
                 enum compress_kind comp, int recompress, const char *name_for_tags,
                 struct error *err)
{
    int rc = image_load(p->s, ref, &p->img, err);
    int changed;

    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "export: no such image \"%s\"", ref);
    if (comp == COMPRESS_XZ)
        return error_input(err, "export: xz is not a layer compression");
    if (blob_read(p->s, p->img.manifest.config.digest, EXPORT_DOC_MAX, &p->config, err) < 0)
        return -1;
    changed = export_layers(p, comp, recompress, err);
    if (changed < 0 || export_name(p, ref, name_for_tags, err) < 0)
        return -1;
    if (fmt == EXPORT_DOCKER_ARCHIVE)
        return 0;
    if (export_manifest(p, changed, err) < 0)
        return -1;
    return changed ? 0 : export_attestations(p, ref, err);
}

/* Opens the bytes of layer i for reading. */
static int
export_layer_open(struct export_plan *p, size_t i, struct error *err)
{
    int fd;

    if (!p->layers[i].tmp)
        return blob_open(p->s, p->layers[i].desc.digest, err);
    fd = open(p->layers[i].tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, errno, "open %s", p->layers[i].tmp);
    return fd;
}

static char *
export_index_json(struct export_plan *p)
{
    struct oci_archive_index idx;
    struct oci_descriptor d = {0};
    char *out;

    oci_archive_index_init(&idx);
    d.media_type = (char *)p->manifest_type;
    memcpy(d.digest, p->manifest_digest, sizeof(d.digest));
    d.size = (long long)p->manifest_len;
    if (p->attest.n) { /* the name goes to the index, as in the store */
        d.media_type = (char *)OCI_MEDIA_INDEX;
        memcpy(d.digest, p->attest.digest, sizeof(d.digest));
        d.size = p->attest.size;
    }
    oci_archive_index_add(&idx, &d, p->name);
    out = oci_archive_index_write(&idx);
    oci_archive_index_release(&idx);
    return out;
}

/* ---- OCI layout directory ---- */

/* Copies in to fd, checking that the bytes hash to digest. */
static int
export_copy_checked(int in, int fd, const char *rel, const char *digest, struct error *err)
{
    cleanup_free char *buf = xmalloc(1 << 20);
    struct digest_ctx d;

    digest_init(&d);
    for (;;) {
        ssize_t r = read(in, buf, 1 << 20);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || fs_write_all(fd, buf, (size_t)r, err) < 0) {
            if (r == 0)
                break;
            digest_release(&d);
            return r < 0 ? error_set(err, errno, "read for %s", rel) : error_wrap(err, "%s", rel);
        }
        digest_update(&d, buf, (size_t)r);
    }
    return export_check(&d, digest, err);
}

static int
export_dir_file(int dirfd, const char *rel, int in, const char *digest, const void *data, size_t n,
                struct error *err)
{
    cleanup_close int fd = openat(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

    if (fd < 0)
        return errno == EEXIST ? 0 : error_set(err, errno, "create %s", rel);
    if (in < 0) {
        if (fs_write_all(fd, data, n, err) < 0)
            return error_wrap(err, "%s", rel);
    } else if (export_copy_checked(in, fd, rel, digest, err) < 0) {
        return -1;
    }
    if (fsync(fd) < 0)
        return error_set(err, errno, "fsync %s", rel);
    return 0;
}

static int
export_dir_blob(int dirfd, const char *digest, int in, const void *data, size_t n,
                struct error *err)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(digest));

    return export_dir_file(dirfd, rel, in, digest, data, n, err);
}

static int
export_write_dir(struct export_plan *p, int dirfd, struct error *err)
{
    cleanup_free char *index = export_index_json(p);
    const char *layout = oci_archive_layout_json();
    size_t i;

    if (fs_mkdir_p(dirfd, "blobs/sha256", 0755, err) < 0)
        return -1;
    for (i = 0; i < p->n; i++) {
        cleanup_close int in = export_layer_open(p, i, err);
        if (in < 0 || export_dir_blob(dirfd, p->layers[i].desc.digest, in, NULL, 0, err) < 0)
            return -1;
    }
    if (export_dir_blob(dirfd, p->img.manifest.config.digest, -1, p->config.data, p->config.len,
                        err) < 0 ||
        export_dir_blob(dirfd, p->manifest_digest, -1, p->manifest, p->manifest_len, err) < 0)
        return -1;
    for (i = 0; i < p->attest_blobs.n; i++) {
        cleanup_close int in = blob_open(p->s, p->attest_blobs.v[i], err);
        if (in < 0 || export_dir_blob(dirfd, p->attest_blobs.v[i], in, NULL, 0, err) < 0)
            return -1;
    }
    if (export_dir_file(dirfd, "oci-layout", -1, NULL, layout, strlen(layout), err) < 0 ||
        export_dir_file(dirfd, "index.json", -1, NULL, index, strlen(index), err) < 0)
        return -1;
    if (fs_fsync_dir(dirfd, "blobs/sha256", err) < 0 || fs_fsync_dir(dirfd, ".", err) < 0)
        return -1;
    return 0;
}

/* ---- archives ---- */

static int
export_tar_layer(struct export_plan *p, struct archive_io_writer *w, size_t i, const char *name,
                 struct error *err)
{
    cleanup_close int in = export_layer_open(p, i, err);
    struct digest_ctx d;

    if (in < 0)
        return -1;
    digest_init(&d);
    if (archive_io_add_fd(w, name, in, (uint64_t)p->layers[i].desc.size, &d, err) < 0) {
        digest_release(&d);
        return -1;
    }
    return export_check(&d, p->layers[i].desc.digest, err);
}

static int
export_write_oci_tar(struct export_plan *p, struct archive_io_writer *w, struct error *err)
{
    cleanup_free char *index = export_index_json(p);
    cleanup_strvec struct strvec done = STRVEC_INIT;
    const char *layout = oci_archive_layout_json();
    size_t i, k;

    if (archive_io_add_dir(w, "blobs", err) < 0 || archive_io_add_dir(w, "blobs/sha256", err) < 0)
        return -1;
    for (i = 0; i < p->n; i++) {
        cleanup_free char *name =
            xasprintf("blobs/sha256/%s", digest_hex(p->layers[i].desc.digest));
        int dup = 0;
        for (k = 0; k < done.n; k++)
            dup |= !strcmp(done.v[k], name);
        if (dup)
            continue; /* the same layer twice in one image */
        if (export_tar_layer(p, w, i, name, err) < 0)
            return -1;
        strvec_push(&done, name);
    }
    {
        cleanup_free char *c =
            xasprintf("blobs/sha256/%s", digest_hex(p->img.manifest.config.digest));
        cleanup_free char *m = xasprintf("blobs/sha256/%s", digest_hex(p->manifest_digest));
        if (archive_io_add_bytes(w, c, p->config.data, p->config.len, err) < 0 ||
            archive_io_add_bytes(w, m, p->manifest, p->manifest_len, err) < 0)
            return -1;
    }
    for (i = 0; i < p->attest_blobs.n; i++) {
        cleanup_free char *name = xasprintf("blobs/sha256/%s", digest_hex(p->attest_blobs.v[i]));
        cleanup_close int in = blob_open(p->s, p->attest_blobs.v[i], err);
        struct digest_ctx d;
        int dup = 0;
        for (k = 0; k < done.n; k++)
            dup |= !strcmp(done.v[k], name);
        if (dup)
            continue;
        digest_init(&d);
        if (in < 0 ||
            archive_io_add_fd(w, name, in, (uint64_t)blob_size(p->s, p->attest_blobs.v[i]), &d,
                              err) < 0) {
            digest_release(&d);
            return -1;
        }
        if (export_check(&d, p->attest_blobs.v[i], err) < 0)
            return -1;
        strvec_push(&done, name);
    }
    if (archive_io_add_bytes(w, "oci-layout", layout, strlen(layout), err) < 0 ||
        archive_io_add_bytes(w, "index.json", index, strlen(index), err) < 0)
        return -1;
    return 0;
}

static int
export_write_docker_tar(struct export_plan *p, struct archive_io_writer *w, struct error *err)
{
    struct docker_archive_manifest dm;
    cleanup_strvec struct strvec tags = STRVEC_INIT;
    cleanup_strvec struct strvec layers = STRVEC_INIT;
    cleanup_free char *cfg = xasprintf("%s.json", digest_hex(p->img.manifest.config.digest));
    cleanup_free char *mj = NULL;
    cleanup_free char *repos = NULL;
    const char *top = p->n ? digest_hex(p->layers[p->n - 1].chain_id) : "";
    size_t i;

    if (archive_io_add_bytes(w, cfg, p->config.data, p->config.len, err) < 0)
        return -1;
    for (i = 0; i < p->n; i++) {
        const char *id = digest_hex(p->layers[i].chain_id);
        cleanup_free char *lt = xasprintf("%s/layer.tar", id);
        strvec_push(&layers, lt);
        if (i > 0 && !strcmp(id, digest_hex(p->layers[i - 1].chain_id)))
            continue;
        if (archive_io_add_dir(w, id, err) < 0 || export_tar_layer(p, w, i, lt, err) < 0)
            return -1;
    }
    if (p->name)
        strvec_push(&tags, p->name);
    docker_archive_manifest_init(&dm);
    docker_archive_manifest_add(&dm, cfg, &tags, &layers);
    mj = docker_archive_manifest_write(&dm);
    repos = docker_archive_repositories_write(&dm, &top);
    docker_archive_manifest_release(&dm);
    if (archive_io_add_bytes(w, "manifest.json", mj, strlen(mj), err) < 0 ||
        (p->name && archive_io_add_bytes(w, "repositories", repos, strlen(repos), err) < 0))
        return -1;
    return 0;
}

static int
export_write_archive(struct export_plan *p, enum export_format fmt, const char *tmp,
                     struct error *err)
{
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    struct archive_io_writer *w;
    int rc;

    if (fd < 0)
        return error_set(err, errno, "create %s", tmp);
    w = archive_io_writer_new(fd);
    rc = fmt == EXPORT_OCI_ARCHIVE ? export_write_oci_tar(p, w, err)
                                   : export_write_docker_tar(p, w, err);
    if (rc == 0)
        rc = archive_io_writer_finish(w, err);
    archive_io_writer_free(w);
    if (rc == 0 && fsync(fd) < 0)
        rc = error_set(err, errno, "fsync %s", tmp);
    return rc;
}

/* Moves the finished tmp output over dest. */
static int
export_install(const char *tmp, const char *dest, const char *parent, int is_dir, struct error *err)
{
    struct stat st;
    cleanup_free char *old = NULL;

    if (lstat(dest, &st) == 0 && S_ISDIR(st.st_mode)) {
        cleanup_free char *marker = fs_join(dest, "oci-layout");
        if (!is_dir)
            return error_input(err, "export: %s is a directory", dest);
        if (rmdir(dest) < 0) {
            if (!fs_exists(AT_FDCWD, marker))
                return error_input(err, "export: %s exists and is not an OCI layout", dest);
            /* replace the old layout: move it aside first, remove it after */
            old = txn_tmp_path(parent, "export-old");
            if (rename(dest, old) < 0)
                return error_set(err, errno, "export: rename %s", dest);
        }
    } else if (is_dir && lstat(dest, &st) == 0) {
        return error_input(err, "export: %s exists and is not a directory", dest);
    }
    if (rename(tmp, dest) < 0)
        return error_set(err, errno, "export: rename to %s", dest);
    txn_unregister(tmp);
    if (old)
        txn_discard(old);
    return fs_fsync_dir(AT_FDCWD, parent, err);
}

static int
export_write(struct export_plan *p, enum export_format fmt, const char *dest, struct error *err)
{
    cleanup_free char *copy = xstrdup(dest);
    cleanup_free char *parent = xstrdup(dirname(copy));
    cleanup_free char *tmp = txn_tmp_path(parent, "export");
    int rc;

    if (fmt == EXPORT_OCI) {
        cleanup_close int dfd = -1;
        if (mkdir(tmp, 0755) < 0 || (dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            rc = error_set(err, errno, "export: mkdir %s", tmp);
        } else {
            rc = export_write_dir(p, dfd, err);
        }
    } else {
        rc = export_write_archive(p, fmt, tmp, err);
    }
    txn_crash_point("export-before-rename");
    if (rc == 0)
        rc = export_install(tmp, dest, parent, fmt == EXPORT_OCI, err);
    if (rc < 0)
        txn_discard(tmp);
    return rc;
}

int
export_image(struct store *s, const char *ref_or_digest, enum export_format fmt,
             enum compress_kind comp, int recompress, const char *dest, const char *name_for_tags,
             struct error *err)
{
    struct export_plan p;
    int rc;

    memset(&p, 0, sizeof(p));
    p.s = s;
    rc = export_plan_make(&p, ref_or_digest, fmt, comp, recompress, name_for_tags, err);
    if (rc == 0)
        rc = export_write(&p, fmt, dest, err);
    export_plan_release(&p);
    return rc;
}
