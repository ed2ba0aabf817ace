#include "builder/engine/imageopts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/engine/copy.h"
#include "builder/engine/engine.h"
#include "builder/engine/squash.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "store/export.h"
#include "store/image.h"
#include "store/layer.h"
#include "store/txn.h"

#include "formats/core/banned.h"

#define IMAGEOPTS_DOCKER_IMAGE "docker-image://"

/* ---- named contexts ---- */

const char *
imageopts_named_ref(const struct build *b, const char *name)
{
    return build_opts_named(&b->main->named, name); /* prepared once, for every platform */
}

/* A directory as a one-layer image: its files copied (owned by root) under the store's tmp/. */
static int
imageopts_dir_image(struct build *b, const char *name, const char *dir,
                    char out[DIGEST_STR_LEN + 1], struct error *err)
{
    cleanup_free char *tmp = txn_tmp_path(b->store->tmp, "context");
    cleanup_close int src = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int dst = -1;
    cleanup_cjson cJSON *cfg = oci_config_new();
    struct strvec all = STRVEC_INIT;
    struct copy_job job = {0};
    struct tar_write_opts opts;
    struct layer_info info;
    struct oci_manifest m;
    struct oci_descriptor d = {0};
    long long size;
    cJSON *h;
    int rc;

    if (src < 0)
        return error_input(err, "--build-context %s=%s: %s", name, dir, strerror(errno));
    if (mkdir(tmp, 0755) < 0 || (dst = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        error_set(err, errno, "mkdir %s", tmp);
        txn_discard(tmp);
        return -1;
    }
    strvec_push(&all, ".");
    job.upper = -1; /* a plain directory, not an overlay */
    job.src_root = src;
    job.sources = &all;
    job.dest = "/";
    job.dest_is_dir = 1;
    rc = copy_run(dst, &job, err);
    strvec_release(&all);
    tar_write_opts_init(&opts);
    opts.compression = b->o->compression;
    if (rc < 0 || layer_capture(b->store, tmp, &opts, &info, err) < 0) {
        txn_discard(tmp);
        return error_wrap(err, "--build-context %s=%s", name, dir);
    }
    oci_manifest_init(&m);
    if (info.entries) {
        d.media_type = (char *)info.media_type;
        memcpy(d.digest, info.digest, sizeof(d.digest));
        d.size = info.size;
        oci_manifest_add_layer(&m, &d);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(
                                 cJSON_GetObjectItemCaseSensitive(cfg, "rootfs"), "diff_ids"),
                             cJSON_CreateString(info.diff_id));
    } else {
        txn_discard(tmp); /* an empty directory: an image without layers */
    }
    json_set_string(cfg, "created", "1970-01-01T00:00:00Z");
    h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "created", "1970-01-01T00:00:00Z");
    cJSON_AddStringToObject(h, "created_by", "strata build --build-context");
    if (!info.entries)
        cJSON_AddTrueToObject(h, "empty_layer");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(cfg, "history"), h);
    rc = image_commit(b->store, cfg, &m, out, &size, err);
    oci_manifest_release(&m);
    return rc;
}

int
imageopts_named_prepare(struct build *b, struct error *err)
{
    size_t i;

    for (i = 0; i < b->o->named_contexts.n; i++) {
        const char *spec = b->o->named_contexts.v[i];
        const char *eq = strchr(spec, '=');
        cleanup_free char *name = xstrndup(spec, (size_t)(eq - spec)); /* checked by the CLI */
        const char *v = eq + 1;
        char digest[DIGEST_STR_LEN + 1];

        if (!strncmp(v, IMAGEOPTS_DOCKER_IMAGE, strlen(IMAGEOPTS_DOCKER_IMAGE))) {
            strvec_pushf(&b->named, "%s=%s", name, v + strlen(IMAGEOPTS_DOCKER_IMAGE));
            continue;
        }
        if (strstr(v, "://"))
            return error_input(err,
                               "--build-context %s: only a directory or docker-image://REF is "
                               "supported",
                               spec);
        if (imageopts_dir_image(b, name, v, digest, err) < 0)
            return -1;
        strvec_pushf(&b->named, "%s=%s", name, digest);
    }
    return 0;
}

/* ---- --timestamp ---- */

void
imageopts_salt_key(const struct build *b, char key[DIGEST_STR_LEN + 1])
{
    cleanup_free char *s = NULL;

    if (b->o->timestamp < 0)
        return;
    s = xasprintf("%s timestamp=%lld", key, b->o->timestamp);
    digest_bytes(s, strlen(s), key);
}

/* Sets the times of every entry of directory fd (not following symlinks), depth first. */
static int
imageopts_times_below(int fd, const struct timespec ts[2], struct error *err)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    int rc = 0;

    if (!d) {
        close(fd);
        return error_set(err, errno, "--timestamp: opendir");
    }
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (de->d_type == DT_DIR) {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                rc = error_set(err, errno, "--timestamp: open %s", de->d_name);
            else
                rc = imageopts_times_below(sub, ts, err);
        }
        if (rc == 0 && utimensat(dirfd(d), de->d_name, ts, AT_SYMLINK_NOFOLLOW) < 0)
            rc = error_set(err, errno, "--timestamp: set the time of %s", de->d_name);
    }
    closedir(d);
    return rc;
}

int
imageopts_set_times(const struct build *b, const char *dir, struct error *err)
{
    struct timespec ts[2];
    int fd;

    if (b->o->timestamp < 0)
        return 0;
    ts[0].tv_sec = ts[1].tv_sec = (time_t)b->o->timestamp;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, errno, "--timestamp: open %s", dir);
    if (imageopts_times_below(fd, ts, err) < 0)
        return -1;
    if (utimensat(AT_FDCWD, dir, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return error_set(err, errno, "--timestamp: set the time of %s", dir);
    return 0;
}

/* ---- the final image ---- */

static void
imageopts_labels(struct build *b, struct stage *st)
{
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(st->config, "config");
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(cfg, "Labels");
    size_t i;

    if (!b->o->labels.n)
        return;
    if (!cJSON_IsObject(labels)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "Labels");
        labels = json_add_object(cfg, "Labels");
    }
    for (i = 0; i < b->o->labels.n; i++) {
        const char *kv = b->o->labels.v[i], *eq = strchr(kv, '=');
        cleanup_free char *k = xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
        cJSON_DeleteItemFromObjectCaseSensitive(labels, k);
        cJSON_AddStringToObject(labels, k, eq ? eq + 1 : "");
    }
}

/* The number of layers of the stage's base image (0 for scratch). */
static int
imageopts_base_layers(struct build *b, const struct stage *st, size_t *out, struct error *err)
{
    struct image img;

    *out = 0;
    if (!st->base[0])
        return 0;
    if (image_load_digest(b->store, st->base, &img, err) < 0)
        return error_wrap(err, "--squash: base image");
    *out = img.manifest.nlayers;
    image_release(&img);
    return 0;
}

/* Instructions podman and buildah drop from an OCI image's config (buildah warns the same). */
static void
imageopts_oci_warnings(const struct stage *st)
{
    static const struct {
        const char *field, *instruction;
    } dropped[] = {{"Healthcheck", "HEALTHCHECK"}, {"Shell", "SHELL"}, {"OnBuild", "ONBUILD"}};
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(st->config, "config");
    size_t i;

    for (i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, dropped[i].field);
        if (!v || cJSON_IsNull(v) || (cJSON_IsArray(v) && !cJSON_GetArraySize(v)))
            continue;
        log_warn("%s is kept in the image config, but podman and buildah ignore it in an OCI "
                 "image: build with --format docker to keep it for them",
                 dropped[i].instruction);
    }
}

/* Docker media types for every layer; a zstd layer is stored again as gzip. */
static int
imageopts_docker(struct build *b, struct stage *st, struct error *err)
{
    size_t i;

    for (i = 0; i < st->layers.nlayers; i++) {
        struct oci_descriptor *l = &st->layers.layers[i];
        const char *t = oci_docker_layer_type(l->media_type);
        if (!t) { /* Docker's schema has no zstd layers */
            struct oci_descriptor g;
            if (export_recompress_blob(b->store, l->digest, st->diff_ids.v[i], COMPRESS_GZIP, &g,
                                       err) < 0)
                return error_wrap(err, "--format docker");
            oci_descriptor_release(l);
            *l = g;
            t = oci_docker_layer_type(l->media_type);
        }
        free(l->media_type);
        l->media_type = xstrdup(t);
    }
    free(st->layers.media_type);
    st->layers.media_type = xstrdup(DOCKER_MEDIA_MANIFEST);
    if (b->o->annotations.n)
        log_warn("--annotation: a Docker schema 2 manifest has no annotations; left out");
    return 0;
}

int
imageopts_finish(struct build *b, struct stage *st, struct error *err)
{
    size_t from = 0;

    imageopts_labels(b, st);
    if (b->o->squash == BUILD_SQUASH_NEW && imageopts_base_layers(b, st, &from, err) < 0)
        return -1;
    if (b->o->squash != BUILD_SQUASH_NONE &&
        squash_stage(b, st, from,
                     b->o->squash == BUILD_SQUASH_ALL ? "strata build --squash-all"
                                                      : "strata build --squash",
                     err) < 0)
        return -1;
    if (b->o->format == BUILD_FORMAT_DOCKER)
        return imageopts_docker(b, st, err);
    imageopts_oci_warnings(st);
    strvec_copy(&st->layers.annotations, &b->o->annotations);
    return 0;
}
