#include "store/image.h"

#include <stdio.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/oci_archive.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/index.h"
#include "store/snapshot.h"

#include "formats/core/banned.h"

#define IMAGE_DOC_MAX (8u << 20)

void
image_release(struct image *img)
{
    if (!img)
        return;
    oci_manifest_release(&img->manifest);
    if (img->config)
        cJSON_Delete(img->config);
    img->config = NULL;
    strvec_release(&img->diff_ids);
}

int
image_load_digest(const struct store *s, const char *digest, struct image *img, struct error *err)
{
    cleanup_buf struct buf mb = BUF_INIT;
    cleanup_buf struct buf cb = BUF_INIT;
    char what[128];

    memset(img, 0, sizeof(*img));
    snprintf(what, sizeof(what), "manifest %s", digest);
    if (blob_read(s, digest, IMAGE_DOC_MAX, &mb, err) < 0 ||
        oci_manifest_parse(buf_cstr(&mb), mb.len, what, &img->manifest, err) < 0)
        return -1;
    memcpy(img->digest, digest, sizeof(img->digest));
    img->manifest_size = (long long)mb.len;
    snprintf(what, sizeof(what), "config %s", img->manifest.config.digest);
    if (blob_read(s, img->manifest.config.digest, IMAGE_DOC_MAX, &cb, err) < 0)
        goto fail;
    img->config = oci_config_parse(buf_cstr(&cb), cb.len, what, (long)img->manifest.nlayers, err);
    if (!img->config)
        goto fail;
    oci_config_diff_ids(img->config, &img->diff_ids);
    return 0;
fail:
    image_release(img);
    return -1;
}

int
image_is_index(const struct store *s, const char *digest, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *mt;

    if (blob_read(s, digest, IMAGE_DOC_MAX, &b, err) < 0)
        return -1;
    j = json_parse(buf_cstr(&b), b.len, digest, err);
    if (!j)
        return -1;
    mt = cJSON_GetObjectItemCaseSensitive(j, "mediaType");
    if (cJSON_IsString(mt))
        return !strcmp(mt->valuestring, OCI_MEDIA_INDEX) ||
               !strcmp(mt->valuestring, DOCKER_MEDIA_LIST);
    /* image-spec image-index.md: mediaType SHOULD be there; "manifests" tells */
    return cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "manifests"));
}

int
image_index_load(const struct store *s, const char *digest, struct oci_archive_index *idx,
                 struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    char what[128];

    snprintf(what, sizeof(what), "index %s", digest);
    if (blob_read(s, digest, OCI_ARCHIVE_DOC_MAX, &b, err) < 0)
        return -1;
    return oci_archive_index_parse(buf_cstr(&b), b.len, what, idx, err);
}

int
image_pick(const struct store *s, const char *digest, const struct platform *want, const char *what,
           char out[DIGEST_STR_LEN + 1], struct error *err)
{
    struct platform host;
    char cur[DIGEST_STR_LEN + 1];
    int depth;

    if (!want) {
        platform_host(&host);
        want = &host;
    }
    memcpy(cur, digest, sizeof(cur));
    for (depth = 0; depth < 4; depth++) {
        struct oci_archive_index idx;
        int rc = depth && !blob_exists(s, cur) ? 0 : image_is_index(s, cur, err);
        long k;
        if (rc <= 0) { /* a manifest (absent when a pull left it out) */
            if (rc == 0)
                memcpy(out, cur, DIGEST_STR_LEN + 1);
            return rc;
        }
        if (image_index_load(s, cur, &idx, err) < 0)
            return -1;
        k = oci_archive_index_match(&idx, want, what, err);
        if (k >= 0)
            memcpy(cur, idx.entries[k].desc.digest, sizeof(cur));
        oci_archive_index_release(&idx);
        if (k < 0)
            return -1;
    }
    return error_input(err, "%s: image indexes nested too deep", what);
}

int
image_serves_platform(const struct image *img, const struct platform *want, struct platform *have)
{
    return oci_config_platform(img->config, have) < 0 || platform_match(want, have) >= 0;
}

/* A single image asked for a platform must be one that serves it. */
static int
image_check_platform(const struct image *img, const char *ref, const struct platform *want,
                     struct error *err)
{
    struct platform have;
    char w[PLATFORM_STR_MAX], h[PLATFORM_STR_MAX];

    if (image_serves_platform(img, want, &have))
        return 0;
    platform_format(want, w);
    platform_format(&have, h);
    return error_input(err, "image %s: no image for %s (has: %s)", ref, w, h);
}

int
image_load_platform(const struct store *s, const char *ref, const struct platform *want,
                    struct image *img, struct error *err)
{
    char digest[DIGEST_STR_LEN + 1], pick[DIGEST_STR_LEN + 1], what[300];
    int rc = index_resolve_top(s, ref, digest, err);

    if (rc != 0)
        return rc;
    snprintf(what, sizeof(what), "image %s", ref);
    if (image_pick(s, digest, want, what, pick, err) < 0)
        return -1;
    if (!blob_exists(s, pick)) {
        char w[PLATFORM_STR_MAX];
        struct platform host;
        platform_host(&host);
        platform_format(want ? want : &host, w);
        return error_set(err, 0, "%s: the %s image %s was not pulled (strata pull --platform %s)",
                         what, w, pick, w);
    }
    if (image_load_digest(s, pick, img, err) < 0)
        return error_wrap(err, "image %s", ref);
    if (want && image_check_platform(img, ref, want, err) < 0) {
        image_release(img);
        return -1;
    }
    return 0;
}

int
image_load(const struct store *s, const char *ref, struct image *img, struct error *err)
{
    return image_load_platform(s, ref, NULL, img, err);
}

int
image_commit_index(struct store *s, const struct oci_archive_index *idx,
                   char out_digest[DIGEST_STR_LEN + 1], long long *out_size, struct error *err)
{
    cleanup_free char *text = oci_archive_index_write(idx);
    size_t i;

    for (i = 0; i < idx->n; i++) {
        const struct oci_archive_entry *e = &idx->entries[i];
        if (oci_archive_entry_is_image(e) && !blob_exists(s, e->desc.digest))
            return error_set(err, 0, "image index: manifest %s is not in the store",
                             e->desc.digest);
    }
    if (blob_put(s, text, strlen(text), out_digest, err) < 0)
        return error_wrap(err, "image index");
    *out_size = (long long)strlen(text);
    return 0;
}

int
image_commit(struct store *s, const cJSON *config, struct oci_manifest *m,
             char out_digest[DIGEST_STR_LEN + 1], long long *out_size, struct error *err)
{
    cleanup_free char *cfg = json_print(config);
    cleanup_free char *man = NULL;
    char d[DIGEST_STR_LEN + 1];

    if (blob_put(s, cfg, strlen(cfg), d, err) < 0)
        return error_wrap(err, "image config");
    free(m->config.media_type);
    /* a Docker schema 2 manifest (build --format docker) has Docker's config type */
    m->config.media_type =
        xstrdup(m->media_type && !strcmp(m->media_type, DOCKER_MEDIA_MANIFEST) ? DOCKER_MEDIA_CONFIG
                                                                               : OCI_MEDIA_CONFIG);
    memcpy(m->config.digest, d, sizeof(d));
    m->config.size = (long long)strlen(cfg);
    man = oci_manifest_write(m);
    if (blob_put(s, man, strlen(man), out_digest, err) < 0)
        return error_wrap(err, "image manifest");
    *out_size = (long long)strlen(man);
    return 0;
}

int
image_ensure_snapshots(struct store *s, const struct image *img, struct error *err)
{
    size_t i;

    for (i = 0; i < img->manifest.nlayers; i++) {
        if (snapshot_ensure(s, img->manifest.layers[i].digest, img->diff_ids.v[i], err) < 0)
            return error_wrap(err, "image %s", img->digest);
    }
    return 0;
}
