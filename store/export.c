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
#include "formats/intoto.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "formats/oci_archive.h"
#include "formats/tar_read.h"
#include "formats/tar_write.h"
#include "store/blob.h"
#include "store/diffid.h"
#include "store/image.h"
#include "store/index.h"
#include "store/txn.h"

#include "formats/core/banned.h"

#define EXPORT_DOC_MAX (8u << 20)

struct export_layer {
    struct oci_descriptor desc; /* as written */
    char *tmp;                  /* re-encoded bytes, or NULL: the store blob desc.digest */
    char chain_id[DIGEST_STR_LEN + 1];
};

/* One image written out: its config, its layers (maybe re-encoded), its manifest. */
struct export_image {
    struct image img;
    struct buf config;
    struct export_layer *layers;
    size_t n;
    char *manifest; /* bytes of the manifest written */
    size_t manifest_len;
    char manifest_digest[DIGEST_STR_LEN + 1];
    const char *manifest_type;
};

/*
 * What an export writes: one image, or an image index with each of its
 * images (and the blobs of its other manifests, such as attestations,
 * copied as they are).
 */
struct export_plan {
    struct store *s;
    struct export_image *images;
    size_t nimages;
    struct strvec raw; /* other blobs copied as stored */
    char *index;       /* the index written, or NULL for one image */
    size_t index_len;
    char index_digest[DIGEST_STR_LEN + 1];
    char *name; /* for tags, or NULL */
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
export_image_release(struct export_image *im)
{
    size_t i;

    for (i = 0; i < im->n; i++) {
        oci_descriptor_release(&im->layers[i].desc);
        if (im->layers[i].tmp) {
            txn_discard(im->layers[i].tmp);
            free(im->layers[i].tmp);
        }
    }
    free(im->layers);
    free(im->manifest);
    buf_release(&im->config);
    image_release(&im->img);
}

static void
export_plan_release(struct export_plan *p)
{
    size_t i;

    for (i = 0; i < p->nimages; i++)
        export_image_release(&p->images[i]);
    free(p->images);
    strvec_release(&p->raw);
    free(p->index);
    free(p->name);
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
    int hash; /* the output differs from the checked uncompressed content: hash it */
    struct digest_ctx d;
    long long n;
};

static int
export_sink_fn(void *opaque, const void *data, size_t n, struct error *err)
{
    struct export_sink *k = opaque;

    if (k->hash)
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

/*
 * Re-encodes layer blob src (compressed as from) to compression to, written
 * to out_fd; checks the uncompressed content against diff_id and the blob's
 * bytes against its digest. Writes the new digest and size.
 */
static int
export_recode(const struct store *s, const char *src, const char *diff_id, enum compress_kind from,
              enum compress_kind to, int out_fd, char digest[DIGEST_STR_LEN + 1], long long *size,
              struct error *err)
{
    struct export_source in = {blob_open(s, src, err), {NULL}};
    cleanup_close int in_fd = in.fd; /* closes in.fd on every return */
    struct export_sink k;
    struct compress_writer *w;
    char what[128];
    int rc;

    if (in_fd < 0)
        return -1;
    snprintf(what, sizeof(what), "layer %s", src);
    k.fd = out_fd;
    k.n = 0;
    /* uncompressed out is the content export_pump checks against diff_id: no second hash */
    k.hash = to != COMPRESS_NONE;
    if (k.hash)
        digest_init(&k.d);
    w = compress_writer_new(to, 0, 0, export_sink_fn, &k);
    digest_init(&in.raw);
    rc = export_pump(&in, from, w, diff_id, what, err);
    compress_writer_free(w);
    if (rc == 0) {
        /* bytes after the compressed stream are part of the blob too */
        char tail[4096];
        ssize_t r;
        while ((r = export_source_fn(&in, tail, sizeof(tail), err)) > 0)
            ;
        rc = r == 0 ? export_check(&in.raw, src, err) : -1;
    }
    digest_release(&in.raw); /* a no-op once export_check finished it */
    if (rc < 0) {
        if (k.hash)
            digest_release(&k.d);
        return -1;
    }
    if (k.hash)
        digest_final(&k.d, digest);
    else
        snprintf(digest, DIGEST_STR_LEN + 1, "%s", diff_id);
    *size = k.n;
    return 0;
}

static int
export_reencode(struct store *s, struct export_image *p, size_t i, enum compress_kind from,
                enum compress_kind to, struct error *err)
{
    struct export_layer *l = &p->layers[i];
    cleanup_close int out = -1;

    l->tmp = txn_tmp_path(s->tmp, "export-layer");
    out = open(l->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return error_set(err, errno, "create %s", l->tmp);
    if (export_recode(s, p->img.manifest.layers[i].digest, p->img.diff_ids.v[i], from, to, out,
                      l->desc.digest, &l->desc.size, err) < 0)
        return -1;
    l->desc.media_type = xstrdup(compress_layer_media_type(to));
    return 0;
}

int
export_recompress_blob(struct store *s, const char *digest, const char *diff_id,
                       enum compress_kind to, struct oci_descriptor *out, struct error *err)
{
    unsigned char head[COMPRESS_DETECT_LEN];
    cleanup_close int fd = blob_open(s, digest, err);
    ssize_t n = fd < 0 ? -1 : pread(fd, head, sizeof(head), 0);
    struct blob_writer w;
    char got[DIGEST_STR_LEN + 1];
    long long size;

    if (n < 0)
        return fd < 0 ? -1 : error_set(err, errno, "layer %s: read", digest);
    if (blob_writer_open(s, &w, err) < 0)
        return -1;
    if (export_recode(s, digest, diff_id, compress_detect(head, (size_t)n), to, w.fd, got, &size,
                      err) < 0) {
        blob_writer_abort(&w);
        return -1;
    }
    if (blob_writer_commit(&w, got, err) < 0 || diffid_record(s, got, diff_id, err) < 0)
        return -1;
    memset(out, 0, sizeof(*out));
    memcpy(out->digest, got, sizeof(out->digest));
    out->size = size;
    out->media_type = xstrdup(compress_layer_media_type(to));
    return 0;
}

/* The image has a Docker schema 2 manifest and config (build --format docker). */
static int
export_is_docker(const struct export_image *p)
{
    const struct oci_manifest *m = &p->img.manifest;

    return m->media_type && !strcmp(m->media_type, DOCKER_MEDIA_MANIFEST) && m->config.media_type &&
           !strcmp(m->config.media_type, DOCKER_MEDIA_CONFIG);
}

/* Decides each layer's bytes; returns 1 when some layer changed. */
static int
export_layers(struct store *s, struct export_image *p, enum compress_kind comp, int recompress,
              struct error *err)
{
    /* an image built with --format docker keeps its Docker types (podman reads HEALTHCHECK) */
    int docker = export_is_docker(p);
    int changed = 0;
    size_t i;

    p->n = p->img.manifest.nlayers;
    p->layers = xcalloc(p->n + 1, sizeof(*p->layers));
    for (i = 0; i < p->n; i++) {
        const struct oci_descriptor *src = &p->img.manifest.layers[i];
        struct export_layer *l = &p->layers[i];
        unsigned char head[COMPRESS_DETECT_LEN];
        cleanup_close int fd = blob_open(s, src->digest, err);
        ssize_t n = fd < 0 ? -1 : pread(fd, head, sizeof(head), 0);
        enum compress_kind kind;

        if (n < 0)
            return fd < 0 ? -1 : error_set(err, errno, "layer %s: read", src->digest);
        kind = compress_detect(head, (size_t)n);
        if (i == 0)
            memcpy(l->chain_id, p->img.diff_ids.v[0], sizeof(l->chain_id));
        else {
            /* image-spec config.md, Layer ChainID */
            cleanup_free char *c =
                xasprintf("%s %s", p->layers[i - 1].chain_id, p->img.diff_ids.v[i]);
            digest_bytes(c, strlen(c), l->chain_id);
        }
        if (recompress && kind != comp) {
            if (docker && comp == COMPRESS_ZSTD)
                return error_input(err, "export: a Docker schema 2 image cannot have zstd layers");
            if (export_reencode(s, p, i, kind, comp, err) < 0)
                return -1;
            if (docker) {
                free(l->desc.media_type);
                l->desc.media_type =
                    xstrdup(oci_docker_layer_type(compress_layer_media_type(comp)));
            }
            changed = 1;
            continue;
        }
        oci_descriptor_copy(&l->desc, src);
        if (!docker && strncmp(src->media_type, "application/vnd.oci.", 20) != 0) {
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
export_manifest(struct store *s, struct export_image *p, int changed, struct error *err)
{
    struct oci_manifest m;
    size_t i;

    if (!changed) {
        struct buf b = BUF_INIT;
        if (blob_read(s, p->img.digest, EXPORT_DOC_MAX, &b, err) < 0)
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
    m.config.media_type = xstrdup(export_is_docker(p) ? DOCKER_MEDIA_CONFIG : OCI_MEDIA_CONFIG);
    if (export_is_docker(p))
        m.media_type = xstrdup(DOCKER_MEDIA_MANIFEST);
    for (i = 0; i < p->n; i++)
        oci_manifest_add_layer(&m, &p->layers[i].desc);
    strvec_copy(&m.annotations, &p->img.manifest.annotations);
    p->manifest = oci_manifest_write(&m);
    oci_manifest_release(&m);
    p->manifest_len = strlen(p->manifest);
    digest_bytes(p->manifest, p->manifest_len, p->manifest_digest);
    p->manifest_type = export_is_docker(p) ? DOCKER_MEDIA_MANIFEST : OCI_MEDIA_MANIFEST;
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

/* Plans image digest: its config, its layers' bytes and its manifest; returns 1 when it changed. */
static int
export_image_make(struct store *s, struct export_image *im, const char *digest,
                  enum export_format fmt, enum compress_kind comp, int recompress,
                  struct error *err)
{
    int changed;

    if (image_load_digest(s, digest, &im->img, err) < 0 ||
        blob_read(s, im->img.manifest.config.digest, EXPORT_DOC_MAX, &im->config, err) < 0)
        return -1;
    changed = export_layers(s, im, comp, recompress, err);
    if (changed < 0)
        return -1;
    if (fmt != EXPORT_DOCKER_ARCHIVE && export_manifest(s, im, changed, err) < 0)
        return -1;
    return changed;
}

/* The blobs of a manifest that is not an image (an attestation), copied as they are. */
static int
export_raw_manifest(struct export_plan *p, const char *digest, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *l, *d;

    if (blob_read(p->s, digest, EXPORT_DOC_MAX, &b, err) < 0 ||
        !(j = json_parse(buf_cstr(&b), b.len, digest, err)))
        return -1;
    strvec_push(&p->raw, digest);
    d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "config"), "digest");
    if (cJSON_IsString(d) && digest_validate(d->valuestring, err) == 0)
        strvec_push(&p->raw, d->valuestring);
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(j, "layers"))
    {
        d = cJSON_GetObjectItemCaseSensitive(l, "digest");
        if (!cJSON_IsString(d) || digest_validate(d->valuestring, err) < 0)
            return error_wrap(err, "manifest %s: layers", digest);
        strvec_push(&p->raw, d->valuestring);
    }
    return 0;
}

/* The value of annotation key in a descriptor's "k=v" list, or NULL. */
static const char *
export_annotation(const struct oci_descriptor *d, const char *key)
{
    size_t i, n = strlen(key);

    for (i = 0; i < d->annotations.n; i++)
        if (!strncmp(d->annotations.v[i], key, n) && d->annotations.v[i][n] == '=')
            return d->annotations.v[i] + n + 1;
    return NULL;
}

/*
 * An index: each image planned first (a re-encoded one gets a new
 * manifest, and then the index is written anew with the new descriptors,
 * platforms and annotations kept), then the other manifests copied, but
 * not an attestation about an image whose manifest changed: its statements
 * name the manifest as built. Every manifest the index lists must be here:
 * a pulled index may lack platforms (export one with --platform).
 */
static int
export_index_make(struct export_plan *p, const char *ref, const char *digest,
                  enum export_format fmt, enum compress_kind comp, int recompress,
                  struct error *err)
{
    struct oci_archive_index idx, out;
    cleanup_strvec struct strvec stale = STRVEC_INIT;
    size_t i, k;
    int rc = -1;

    if (image_index_load(p->s, digest, &idx, err) < 0)
        return -1;
    oci_archive_index_init(&out);
    p->images = xcalloc(idx.n + 1, sizeof(*p->images));
    for (i = 0; i < idx.n; i++) {
        struct oci_archive_entry *e = &idx.entries[i];
        struct export_image *im = &p->images[p->nimages];
        int c;
        if (!blob_exists(p->s, e->desc.digest)) {
            error_input(err,
                        "export: %s lists manifest %s, which is not in the store (pull it with "
                        "--all-platforms, or export one platform with --platform)",
                        ref, e->desc.digest);
            goto out;
        }
        if (oci_archive_entry_is_index(e)) {
            error_input(err, "export: %s: nested image indexes are not supported", ref);
            goto out;
        }
        if (!oci_archive_entry_is_image(e))
            continue;
        p->nimages++;
        if ((c = export_image_make(p->s, im, e->desc.digest, fmt, comp, recompress, err)) < 0)
            goto out;
        if (c) {
            strvec_push(&stale, e->desc.digest);
            free(e->desc.media_type);
            e->desc.media_type = xstrdup(im->manifest_type);
            memcpy(e->desc.digest, im->manifest_digest, sizeof(e->desc.digest));
            e->desc.size = (long long)im->manifest_len;
        }
    }
    for (i = 0; i < idx.n; i++) {
        struct oci_archive_entry *e = &idx.entries[i];
        const char *about = export_annotation(&e->desc, INTOTO_REF_DIGEST);
        struct platform pf;
        int drop = 0;
        for (k = 0; about && !oci_archive_entry_is_image(e) && k < stale.n; k++)
            drop |= !strcmp(stale.v[k], about);
        if (drop)
            continue;
        if (!oci_archive_entry_is_image(e) && export_raw_manifest(p, e->desc.digest, err) < 0)
            goto out;
        oci_archive_index_add_platform(&out, &e->desc,
                                       oci_archive_entry_platform(e, &pf) == 0 ? &pf : NULL);
    }
    if (stale.n) {
        strvec_copy(&out.annotations, &idx.annotations);
        p->index = oci_archive_index_write(&out);
        p->index_len = strlen(p->index);
    } else {
        struct buf b = BUF_INIT;
        if (blob_read(p->s, digest, EXPORT_DOC_MAX, &b, err) < 0)
            goto out;
        p->index_len = b.len;
        p->index = buf_detach(&b);
    }
    digest_bytes(p->index, p->index_len, p->index_digest);
    rc = 0;
out:
    oci_archive_index_release(&out);
    oci_archive_index_release(&idx);
    return rc;
}

/*
 * ref as index_resolve_top reads it, or the full digest of a manifest or an
 * index in the store that no name points at yet (build --output without -t).
 */
static int
export_resolve(const struct store *s, const char *ref, char out[DIGEST_STR_LEN + 1],
               struct error *err)
{
    int rc = index_resolve_top(s, ref, out, err);
    struct error e;

    error_init(&e);
    if (rc == 1 && strlen(ref) == DIGEST_STR_LEN && digest_validate(ref, &e) == 0 &&
        blob_exists(s, ref)) {
        memcpy(out, ref, DIGEST_STR_LEN + 1);
        return 0;
    }
    return rc;
}

static int
export_plan_make(struct export_plan *p, const char *ref, const struct platform *platform,
                 enum export_format fmt, enum compress_kind comp, int recompress,
                 const char *name_for_tags, struct error *err)
{
    char digest[DIGEST_STR_LEN + 1], pick[DIGEST_STR_LEN + 1], what[300];
    int rc = export_resolve(p->s, ref, digest, err), is_index;

    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "export: no such image \"%s\"", ref);
    if (comp == COMPRESS_XZ)
        return error_input(err, "export: xz is not a layer compression");
    if ((is_index = image_is_index(p->s, digest, err)) < 0)
        return -1;
    if (export_name(p, ref, name_for_tags, err) < 0)
        return -1;
    /* a docker-archive holds single images: an index gives its image for the platform */
    if (is_index && !platform && fmt != EXPORT_DOCKER_ARCHIVE)
        return export_index_make(p, ref, digest, fmt, comp, recompress, err);
    snprintf(what, sizeof(what), "image %s", ref);
    if (image_pick(p->s, digest, platform, what, pick, err) < 0)
        return -1;
    if (!blob_exists(p->s, pick))
        return error_input(err, "export: %s: the image for this platform was not pulled", ref);
    p->images = xcalloc(1, sizeof(*p->images));
    p->nimages = 1;
    return export_image_make(p->s, &p->images[0], pick, fmt, comp, recompress, err) < 0 ? -1 : 0;
}

/* Opens the bytes of layer i of im for reading. */
static int
export_layer_open(struct store *s, struct export_image *im, size_t i, struct error *err)
{
    int fd;

    if (!im->layers[i].tmp)
        return blob_open(s, im->layers[i].desc.digest, err);
    fd = open(im->layers[i].tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, errno, "open %s", im->layers[i].tmp);
    return fd;
}

/* The layout's index.json: one entry, the image or the index, with its names. */
static char *
export_index_json(struct export_plan *p)
{
    struct oci_archive_index idx;
    struct oci_descriptor d = {0};
    char *out;

    oci_archive_index_init(&idx);
    if (p->index) {
        d.media_type = (char *)OCI_MEDIA_INDEX;
        memcpy(d.digest, p->index_digest, sizeof(d.digest));
        d.size = (long long)p->index_len;
    } else {
        d.media_type = (char *)p->images[0].manifest_type;
        memcpy(d.digest, p->images[0].manifest_digest, sizeof(d.digest));
        d.size = (long long)p->images[0].manifest_len;
    }
    oci_archive_index_add(&idx, &d, p->name);
    out = oci_archive_index_write(&idx);
    oci_archive_index_release(&idx);
    return out;
}

/* ---- OCI layout, as a directory or a tar ---- */

/* Where the blobs go: a directory (dirfd >= 0) or a tar; each blob once. */
struct export_out {
    int dirfd;
    struct archive_io_writer *w;
    struct strvec done;
};

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

/* A file of the layout (not a blob): oci-layout, index.json. */
static int
export_out_file(struct export_out *o, const char *rel, const char *text, struct error *err)
{
    if (o->dirfd >= 0)
        return export_dir_file(o->dirfd, rel, -1, NULL, text, strlen(text), err);
    return archive_io_add_bytes(o->w, rel, text, strlen(text), err);
}

/* Blob digest: the bytes of in (size bytes, checked against digest) or data/n. */
static int
export_out_blob(struct export_out *o, const char *digest, int in, long long size, const void *data,
                size_t n, struct error *err)
{
    cleanup_free char *rel = xasprintf("blobs/sha256/%s", digest_hex(digest));
    size_t k;

    for (k = 0; k < o->done.n; k++)
        if (!strcmp(o->done.v[k], digest))
            return 0; /* the same blob in two images, or twice in one */
    strvec_push(&o->done, digest);
    if (o->dirfd >= 0)
        return export_dir_file(o->dirfd, rel, in, digest, data, n, err);
    if (in >= 0) {
        struct digest_ctx d;
        digest_init(&d);
        if (archive_io_add_fd(o->w, rel, in, (uint64_t)size, &d, err) < 0) {
            digest_release(&d);
            return -1;
        }
        return export_check(&d, digest, err);
    }
    return archive_io_add_bytes(o->w, rel, data, n, err);
}

static int
export_out_image(struct export_plan *p, struct export_out *o, struct export_image *im,
                 struct error *err)
{
    size_t i;

    for (i = 0; i < im->n; i++) {
        cleanup_close int in = export_layer_open(p->s, im, i, err);
        if (in < 0 || export_out_blob(o, im->layers[i].desc.digest, in, im->layers[i].desc.size,
                                      NULL, 0, err) < 0)
            return -1;
    }
    if (export_out_blob(o, im->img.manifest.config.digest, -1, 0, im->config.data, im->config.len,
                        err) < 0 ||
        export_out_blob(o, im->manifest_digest, -1, 0, im->manifest, im->manifest_len, err) < 0)
        return -1;
    return 0;
}

/* Every blob, then oci-layout and index.json (image-spec image-layout.md). */
static int
export_write_layout(struct export_plan *p, struct export_out *o, struct error *err)
{
    cleanup_free char *index = export_index_json(p);
    size_t i;

    for (i = 0; i < p->nimages; i++)
        if (export_out_image(p, o, &p->images[i], err) < 0)
            return -1;
    for (i = 0; i < p->raw.n; i++) {
        cleanup_close int in = blob_open(p->s, p->raw.v[i], err);
        if (in < 0 ||
            export_out_blob(o, p->raw.v[i], in, blob_size(p->s, p->raw.v[i]), NULL, 0, err) < 0)
            return -1;
    }
    if (p->index && export_out_blob(o, p->index_digest, -1, 0, p->index, p->index_len, err) < 0)
        return -1;
    if (export_out_file(o, "oci-layout", oci_archive_layout_json(), err) < 0 ||
        export_out_file(o, "index.json", index, err) < 0)
        return -1;
    return 0;
}

static int
export_write_dir(struct export_plan *p, int dirfd, struct error *err)
{
    struct export_out o = {dirfd, NULL, STRVEC_INIT};
    int rc;

    if (fs_mkdir_p(dirfd, "blobs/sha256", 0755, err) < 0)
        return -1;
    rc = export_write_layout(p, &o, err);
    strvec_release(&o.done);
    if (rc < 0)
        return -1;
    if (fs_fsync_dir(dirfd, "blobs/sha256", err) < 0 || fs_fsync_dir(dirfd, ".", err) < 0)
        return -1;
    return 0;
}

/* ---- archives ---- */

static int
export_write_oci_tar(struct export_plan *p, struct archive_io_writer *w, struct error *err)
{
    struct export_out o = {-1, w, STRVEC_INIT};
    int rc;

    if (archive_io_add_dir(w, "blobs", err) < 0 || archive_io_add_dir(w, "blobs/sha256", err) < 0)
        return -1;
    rc = export_write_layout(p, &o, err);
    strvec_release(&o.done);
    return rc;
}

static int
export_tar_layer(struct store *s, struct export_image *im, struct archive_io_writer *w, size_t i,
                 const char *name, struct error *err)
{
    cleanup_close int in = export_layer_open(s, im, i, err);
    struct digest_ctx d;

    if (in < 0)
        return -1;
    if (im->layers[i].tmp) /* made by this export from checked content: not hashed again */
        return archive_io_add_fd(w, name, in, (uint64_t)im->layers[i].desc.size, NULL, err);
    digest_init(&d);
    if (archive_io_add_fd(w, name, in, (uint64_t)im->layers[i].desc.size, &d, err) < 0) {
        digest_release(&d);
        return -1;
    }
    return export_check(&d, im->layers[i].desc.digest, err);
}

static int
export_write_docker_tar(struct export_plan *pl, struct archive_io_writer *w, struct error *err)
{
    struct export_image *p = &pl->images[0];
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
        if (archive_io_add_dir(w, id, err) < 0 || export_tar_layer(pl->s, p, w, i, lt, err) < 0)
            return -1;
    }
    if (pl->name)
        strvec_push(&tags, pl->name);
    docker_archive_manifest_init(&dm);
    docker_archive_manifest_add(&dm, cfg, &tags, &layers);
    mj = docker_archive_manifest_write(&dm);
    repos = docker_archive_repositories_write(&dm, &top);
    docker_archive_manifest_release(&dm);
    if (archive_io_add_bytes(w, "manifest.json", mj, strlen(mj), err) < 0 ||
        (pl->name && archive_io_add_bytes(w, "repositories", repos, strlen(repos), err) < 0))
        return -1;
    return 0;
}

/* Writes the archive to fd; fsyncs it when it is a file (a pipe cannot be). */
static int
export_write_archive_fd(struct export_plan *p, enum export_format fmt, int fd, const char *what,
                        struct error *err)
{
    struct archive_io_writer *w = archive_io_writer_new(fd);
    struct stat st;
    int rc;

    rc = fmt == EXPORT_OCI_ARCHIVE ? export_write_oci_tar(p, w, err)
                                   : export_write_docker_tar(p, w, err);
    if (rc == 0)
        rc = archive_io_writer_finish(w, err);
    archive_io_writer_free(w);
    if (rc == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(fd) < 0)
        rc = error_set(err, errno, "fsync %s", what);
    return rc;
}

static int
export_write_archive(struct export_plan *p, enum export_format fmt, const char *tmp,
                     struct error *err)
{
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

    if (fd < 0)
        return error_set(err, errno, "create %s", tmp);
    return export_write_archive_fd(p, fmt, fd, tmp, err);
}

int
export_dest_check(const char *dest, int is_dir, struct error *err)
{
    struct stat st;

    if (lstat(dest, &st) < 0)
        return errno == ENOENT ? 0 : error_set(err, errno, "%s", dest);
    if (S_ISREG(st.st_mode) && !is_dir)
        return 0;
    if (S_ISDIR(st.st_mode) && is_dir)
        return 0;
    /* renaming over a symlink, a device or a directory would destroy it (/dev/stdout) */
    return error_input(err, "%s exists and is not a %s (%s)%s", dest,
                       is_dir ? "directory" : "regular file",
                       S_ISLNK(st.st_mode)   ? "a symbolic link"
                       : S_ISDIR(st.st_mode) ? "a directory"
                                             : "a device, socket or pipe",
                       is_dir ? "" : "; use - for standard output");
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
    } else if (export_dest_check(dest, is_dir, err) < 0) {
        return error_wrap(err, "export");
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
    cleanup_free char *copy = NULL;
    cleanup_free char *parent = NULL;
    cleanup_free char *tmp = NULL;
    int rc;

    if (!strcmp(dest, "-"))
        return export_write_archive_fd(p, fmt, STDOUT_FILENO, "standard output", err);
    /* refused before anything is written, and checked again before the rename */
    if (export_dest_check(dest, fmt == EXPORT_OCI, err) < 0)
        return error_wrap(err, "export");
    copy = xstrdup(dest);
    parent = xstrdup(dirname(copy));
    tmp = txn_tmp_path(parent, "export");

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
export_image(struct store *s, const char *ref_or_digest, const struct platform *platform,
             enum export_format fmt, enum compress_kind comp, int recompress, const char *dest,
             const char *name_for_tags, struct error *err)
{
    struct export_plan p;
    int rc;

    if (!strcmp(dest, "-") && fmt == EXPORT_OCI)
        return error_input(err, "export: an OCI layout is a directory and cannot go to standard "
                                "output (use oci-archive)");
    memset(&p, 0, sizeof(p));
    p.s = s;
    rc = export_plan_make(&p, ref_or_digest, platform, fmt, comp, recompress, name_for_tags, err);
    if (rc == 0)
        rc = export_write(&p, fmt, dest, err);
    export_plan_release(&p);
    return rc;
}

/* ---- the image's files (build --output type=local / type=tar) ---- */

/* Applies every layer of ref (this platform's image of an index), in order, to directory dfd. */
static int
export_apply_layers(struct store *s, const char *ref, int dfd, struct error *err)
{
    char digest[DIGEST_STR_LEN + 1], pick[DIGEST_STR_LEN + 1];
    struct image img;
    size_t i;
    int rc = export_resolve(s, ref, digest, err);
    int flags = geteuid() ? TAR_READ_NO_OWNER : 0;

    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "export: no such image \"%s\"", ref);
    if (image_pick(s, digest, NULL, ref, pick, err) < 0 ||
        image_load_digest(s, pick, &img, err) < 0)
        return -1;
    for (i = 0; i < img.manifest.nlayers && rc == 0; i++) {
        cleanup_free char *what = xasprintf("layer %s", img.manifest.layers[i].digest);
        cleanup_close int fd = blob_open(s, img.manifest.layers[i].digest, err);
        struct tar_read_result res;
        /* image-spec layer.md, "Applying Changesets": whiteouts remove, later entries win */
        if (fd < 0 || tar_read_extract(fd, dfd, TAR_READ_APPLY, flags, what, &res, err) < 0)
            rc = -1;
        else if (strcmp(res.diff_id, img.diff_ids.v[i]) != 0)
            rc = error_set(err, 0, "%s: uncompressed content hashes to %s, config says %s", what,
                           res.diff_id, img.diff_ids.v[i]);
    }
    image_release(&img);
    return rc;
}

int
export_rootfs_dir(struct store *s, const char *ref, const char *dest, struct error *err)
{
    cleanup_close int dfd = -1;

    if (export_dest_check(dest, 1, err) < 0)
        return error_wrap(err, "export");
    if (mkdir(dest, 0755) < 0 && errno != EEXIST)
        return error_set(err, errno, "export: mkdir %s", dest);
    dfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return error_set(err, errno, "export: open %s", dest);
    return export_apply_layers(s, ref, dfd, err);
}

int
export_rootfs_tar(struct store *s, const char *ref, const char *dest, struct error *err)
{
    cleanup_free char *dir = txn_tmp_path(s->tmp, "rootfs");
    cleanup_free char *tmp = NULL;
    cleanup_close int dfd = -1;
    cleanup_close int out = -1;
    struct tar_write_opts opts;
    struct tar_write_result res;
    int rc = -1;

    if (strcmp(dest, "-") && export_dest_check(dest, 0, err) < 0) {
        txn_unregister(dir);
        return error_wrap(err, "export");
    }
    if (mkdir(dir, 0755) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        error_set(err, errno, "export: mkdir %s", dir);
        goto out;
    }
    if (export_apply_layers(s, ref, dfd, err) < 0)
        goto out;
    if (!strcmp(dest, "-")) {
        out = dup(STDOUT_FILENO);
    } else {
        cleanup_free char *copy = xstrdup(dest);
        tmp = txn_tmp_path(dirname(copy), "export");
        out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (out < 0) {
        error_set(err, errno, "export: create %s", tmp ? tmp : "standard output");
        goto out;
    }
    tar_write_opts_init(&opts);
    opts.compression = COMPRESS_NONE;
    if (tar_write_dir(dfd, &opts, out, &res, err) < 0)
        goto out;
    if (tmp && (fsync(out) < 0 || rename(tmp, dest) < 0)) {
        error_set(err, errno, "export: write %s", dest);
        goto out;
    }
    if (tmp)
        txn_unregister(tmp);
    rc = 0;
out:
    if (tmp && rc < 0)
        txn_discard(tmp);
    txn_discard(dir);
    return rc;
}
