#include "store/image.h"

#include <stdio.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/index.h"
#include "store/snapshot.h"

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
image_load(const struct store *s, const char *ref, struct image *img, struct error *err)
{
    char digest[DIGEST_STR_LEN + 1];
    int rc = index_resolve(s, ref, digest, err);

    if (rc != 0)
        return rc;
    if (image_load_digest(s, digest, img, err) < 0)
        return error_wrap(err, "image %s", ref);
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
    m->config.media_type = xstrdup(OCI_MEDIA_CONFIG);
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
