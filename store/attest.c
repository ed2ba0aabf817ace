/*
 * Attestations of the store's images: attaching statements to an image
 * (an image index beside it, store/attest_index.h) and finding them by the
 * image's name.
 */
#include "store/attest.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/intoto.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "formats/platform.h"
#include "store/attest_index.h"
#include "store/blob.h"
#include "store/image.h"
#include "store/index.h"

#include "formats/core/banned.h"

#define ATTEST_STATEMENT_MAX (64u << 20)

/* A descriptor object: mediaType, digest, size (image-spec descriptor.md). */
static cJSON *
attest_desc(const char *media_type, const char *digest, long long size)
{
    cJSON *d = cJSON_CreateObject();

    cJSON_AddStringToObject(d, "mediaType", media_type);
    cJSON_AddStringToObject(d, "digest", digest);
    cJSON_AddNumberToObject(d, "size", (double)size);
    return d;
}

static void
attest_platform(cJSON *d, const char *os, const char *arch, const char *variant)
{
    cJSON *p = json_add_object(d, "platform");

    cJSON_AddStringToObject(p, "architecture", arch);
    cJSON_AddStringToObject(p, "os", os);
    if (variant && *variant)
        cJSON_AddStringToObject(p, "variant", variant);
}

/* The attestation manifest: a config naming the statements as its "diff_ids", then them. */
static int
attest_write_manifest(struct store *s, const struct attest_statement *st, size_t n,
                      char out[DIGEST_STR_LEN + 1], long long *out_size, struct error *err)
{
    cleanup_cjson cJSON *cfg = cJSON_CreateObject();
    cleanup_cjson cJSON *man = cJSON_CreateObject();
    cleanup_free char *cfg_text = NULL, *man_text = NULL;
    cJSON *diff_ids, *layers, *rootfs;
    char d[DIGEST_STR_LEN + 1];
    size_t i;

    cJSON_AddStringToObject(cfg, "architecture", "unknown");
    cJSON_AddStringToObject(cfg, "os", "unknown");
    json_add_object(cfg, "config");
    rootfs = json_add_object(cfg, "rootfs");
    cJSON_AddStringToObject(rootfs, "type", "layers");
    diff_ids = json_add_array(rootfs, "diff_ids");
    cJSON_AddNumberToObject(man, "schemaVersion", 2);
    cJSON_AddStringToObject(man, "mediaType", OCI_MEDIA_MANIFEST);
    layers = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON *l;
        if (blob_put(s, st[i].json, st[i].len, d, err) < 0)
            return error_wrap(err, "attestation %s", st[i].predicate_type);
        l = attest_desc(INTOTO_MEDIA_TYPE, d, (long long)st[i].len);
        cJSON_AddStringToObject(json_add_object(l, "annotations"), INTOTO_PREDICATE_ANNOTATION,
                                st[i].predicate_type);
        cJSON_AddItemToArray(layers, l);
        cJSON_AddItemToArray(diff_ids, cJSON_CreateString(d));
    }
    cfg_text = json_print(cfg);
    if (blob_put(s, cfg_text, strlen(cfg_text), d, err) < 0) {
        cJSON_Delete(layers);
        return -1;
    }
    cJSON_AddItemToObject(man, "config",
                          attest_desc(OCI_MEDIA_CONFIG, d, (long long)strlen(cfg_text)));
    cJSON_AddItemToObject(man, "layers", layers);
    man_text = json_print(man);
    if (blob_put(s, man_text, strlen(man_text), out, err) < 0)
        return -1;
    *out_size = (long long)strlen(man_text);
    return 0;
}

int
attest_attach(struct store *s, const char *image, const struct attest_statement *st, size_t n,
              int referrers, char out_digest[DIGEST_STR_LEN + 1], long long *out_size,
              struct error *err)
{
    cleanup_cjson cJSON *idx = cJSON_CreateObject();
    cleanup_free char *text = NULL;
    struct image img;
    char am[DIGEST_STR_LEN + 1];
    long long am_size = 0;
    const char *os, *arch, *variant;
    cJSON *ms, *d, *ann;

    if (image_load_digest(s, image, &img, err) < 0)
        return -1;
    if (attest_write_manifest(s, st, n, am, &am_size, err) < 0) {
        image_release(&img);
        return -1;
    }
    os = json_string(img.config, "os", 0, "", err);
    arch = json_string(img.config, "architecture", 0, "", err);
    variant = json_string(img.config, "variant", 0, "", err);
    /* image-spec image-index.md */
    cJSON_AddNumberToObject(idx, "schemaVersion", 2);
    cJSON_AddStringToObject(idx, "mediaType", OCI_MEDIA_INDEX);
    ms = json_add_array(idx, "manifests");
    d = attest_desc(img.manifest.media_type, image, img.manifest_size);
    attest_platform(d, os ? os : "linux", arch ? arch : platform_host_arch(), variant);
    cJSON_AddItemToArray(ms, d);
    d = attest_desc(OCI_MEDIA_MANIFEST, am, am_size);
    ann = json_add_object(d, "annotations");
    cJSON_AddStringToObject(ann, INTOTO_REF_DIGEST, image);
    cJSON_AddStringToObject(ann, INTOTO_REF_TYPE, INTOTO_REF_ATTESTATION);
    attest_platform(d, "unknown", "unknown", NULL);
    cJSON_AddItemToArray(ms, d);
    if (referrers)
        cJSON_AddStringToObject(json_add_object(idx, "annotations"), ATTEST_INDEX_FORMAT_ANNOTATION,
                                "referrers");
    image_release(&img);
    text = json_print(idx);
    if (blob_put(s, text, strlen(text), out_digest, err) < 0)
        return error_wrap(err, "image index");
    *out_size = (long long)strlen(text);
    return 0;
}

/*
 * The index a name points at: its digest into out and 0, or 1 when the name
 * points at a plain image manifest (or at nothing).
 */
static int
attest_named_index(const struct store *s, const char *ref, char out[DIGEST_STR_LEN + 1],
                   struct error *err)
{
    struct index idx;
    const struct index_entry *e = NULL;
    int rc;

    struct error le;

    if (index_load(s, &idx, err) < 0)
        return -1;
    error_init(&le);
    rc = index_lookup(&idx, ref, &e, &le); /* a digest is no name: the caller resolves it */
    if (rc == 0 && e->index_digest[0])
        memcpy(out, e->index_digest, DIGEST_STR_LEN + 1);
    else if (rc == 0)
        rc = 1;
    index_release(&idx);
    return rc == 0 ? 0 : 1;
}

int
attest_find(const struct store *s, const char *ref, const char *predicate_type, struct buf *out,
            char image[DIGEST_STR_LEN + 1], struct error *err)
{
    struct attest_index ai;
    char top[DIGEST_STR_LEN + 1], what[160];
    size_t i, k;
    int rc = attest_named_index(s, ref, top, err);

    if (rc < 0)
        return -1;
    if (rc == 1) {
        char d[DIGEST_STR_LEN + 1];
        struct error e;
        error_init(&e);
        if (index_resolve(s, ref, d, &e) != 0)
            return error_input(err, "no such image \"%s\"", ref);
        return 1;
    }
    if (attest_index_load(s, top, &ai, err) < 0)
        return error_wrap(err, "image %s", ref);
    rc = 1;
    for (i = 0; rc == 1 && i < ai.n; i++) {
        const struct attest_index_manifest *m = &ai.m[i];
        if (strcmp(m->ref, ai.image) != 0)
            continue;
        for (k = 0; rc == 1 && k < m->predicate_types.n; k++) {
            cleanup_cjson cJSON *j = NULL;
            if (strcmp(m->predicate_types.v[k], predicate_type) != 0)
                continue;
            snprintf(what, sizeof(what), "statement %s", m->blobs.v[k]);
            rc = blob_read(s, m->blobs.v[k], ATTEST_STATEMENT_MAX, out, err) < 0 ? -1 : 0;
            if (rc == 0 &&
                !(j = intoto_parse(buf_cstr(out), out->len, what, predicate_type, ai.image, err)))
                rc = -1;
        }
    }
    if (rc == 0 && image)
        memcpy(image, ai.image, sizeof(ai.image));
    attest_index_release(&ai);
    return rc;
}
