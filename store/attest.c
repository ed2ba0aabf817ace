/*
 * Image indexes in the store that carry attestation manifests beside the
 * image manifest (BuildKit's attestation storage).
 */
#include "store/attest.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/intoto.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "formats/oci_archive.h"
#include "formats/platform.h"
#include "store/blob.h"
#include "store/image.h"
#include "store/index.h"

#define ATTEST_DOC_MAX (4u << 20)
#define ATTEST_STATEMENT_MAX (64u << 20)

static void
attest_manifest_release(struct attest_manifest *m)
{
    free(m->media_type);
    free(m->os);
    free(m->arch);
    free(m->variant);
    free(m->sizes);
    strvec_release(&m->blobs);
    strvec_release(&m->predicate_types);
}

void
attest_index_release(struct attest_index *ai)
{
    size_t i;

    if (!ai)
        return;
    for (i = 0; i < ai->n; i++)
        attest_manifest_release(&ai->m[i]);
    free(ai->m);
    ai->m = NULL;
    ai->n = 0;
}

int
attest_is_attestation(const struct strvec *annotations)
{
    size_t i;

    for (i = 0; i < annotations->n; i++)
        if (!strcmp(annotations->v[i], INTOTO_REF_TYPE "=" INTOTO_REF_ATTESTATION))
            return 1;
    return 0;
}

static const char *
attest_annotation(const struct strvec *annotations, const char *key)
{
    size_t i, n = strlen(key);

    for (i = 0; i < annotations->n; i++)
        if (!strncmp(annotations->v[i], key, n) && annotations->v[i][n] == '=')
            return annotations->v[i] + n + 1;
    return NULL;
}

/* An attestation manifest's config and layers (its layers are statements, not tars). */
static int
attest_read_manifest(const struct store *s, struct attest_manifest *m, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *cfg, *layers, *l;
    char what[128];

    snprintf(what, sizeof(what), "attestation manifest %s", m->digest);
    if (blob_read(s, m->digest, ATTEST_DOC_MAX, &b, err) < 0 ||
        !(j = json_parse(buf_cstr(&b), b.len, what, err)))
        return -1;
    cfg = json_object(j, "config", 1, what, err);
    layers = cfg ? json_array(j, "layers", 1, what, err) : NULL;
    if (!layers)
        return -1;
    cJSON_ArrayForEach(l, layers)
    {
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(l, "annotations");
        const char *dg = json_string(l, "digest", 1, what, err);
        const char *pt = json_string(ann, INTOTO_PREDICATE_ANNOTATION, 0, what, err);
        long long size = 0;
        if (!dg || digest_validate(dg, err) < 0 || json_int(l, "size", 1, &size, what, err) < 0)
            return error_wrap(err, "%s: layers[]", what);
        m->sizes = xrealloc(m->sizes, (m->blobs.n + 2) * sizeof(*m->sizes));
        m->sizes[m->blobs.n] = size;
        strvec_push(&m->blobs, dg);
        strvec_push(&m->predicate_types, pt ? pt : "");
    }
    {
        const char *dg = json_string(cfg, "digest", 1, what, err);
        long long size = 0;
        if (!dg || digest_validate(dg, err) < 0 || json_int(cfg, "size", 1, &size, what, err) < 0)
            return error_wrap(err, "%s: config", what);
        m->sizes = xrealloc(m->sizes, (m->blobs.n + 2) * sizeof(*m->sizes));
        m->sizes[m->blobs.n] = size;
        strvec_push(&m->blobs, dg);
    }
    return 0;
}

static void
attest_take_entry(struct attest_manifest *m, struct oci_archive_entry *e)
{
    const char *ref = attest_annotation(&e->desc.annotations, INTOTO_REF_DIGEST);

    memset(m, 0, sizeof(*m));
    memcpy(m->digest, e->desc.digest, sizeof(m->digest));
    m->size = e->desc.size;
    m->media_type = steal_ptr(&e->desc.media_type);
    m->os = steal_ptr(&e->os);
    m->arch = steal_ptr(&e->arch);
    m->variant = steal_ptr(&e->variant);
    if (attest_is_attestation(&e->desc.annotations) && ref && strlen(ref) == DIGEST_STR_LEN)
        memcpy(m->ref, ref, sizeof(m->ref));
}

/*
 * The image manifest that serves this machine's platform best
 * (formats/platform.h order), else the first image manifest.
 */
static int
attest_pick(struct attest_index *ai, const char *what, struct error *err)
{
    struct platform host, p;
    long pick = -1;
    int best = -1;
    size_t i;

    platform_host(&host);
    for (i = 0; i < ai->n; i++) {
        const struct attest_manifest *m = &ai->m[i];
        int rank;
        if (m->ref[0])
            continue;
        rank = platform_set(&p, m->os, m->arch, m->variant) == 0 ? platform_match(&host, &p) : -1;
        if (pick < 0 || (rank >= 0 && (best < 0 || rank < best))) {
            pick = (long)i;
            best = rank;
        }
    }
    if (pick < 0)
        return error_input(err, "%s: no image manifest in the index", what);
    memcpy(ai->image, ai->m[pick].digest, sizeof(ai->image));
    ai->image_size = ai->m[pick].size;
    return 0;
}

static int
attest_parse(const struct store *s, const char *digest, struct attest_index *ai, int deep,
             struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    struct oci_archive_index idx;
    char what[128];
    size_t i;

    memset(ai, 0, sizeof(*ai));
    snprintf(what, sizeof(what), "image index %s", digest);
    if (blob_read(s, digest, ATTEST_DOC_MAX, &b, err) < 0 ||
        oci_archive_index_parse(buf_cstr(&b), b.len, what, &idx, err) < 0)
        return -1;
    memcpy(ai->digest, digest, sizeof(ai->digest));
    ai->size = (long long)b.len;
    ai->referrers = strstr(buf_cstr(&b), "\"" ATTEST_FORMAT_ANNOTATION "\":\"referrers\"") != NULL;
    ai->m = xcalloc(idx.n + 1, sizeof(*ai->m));
    for (i = 0; i < idx.n; i++)
        attest_take_entry(&ai->m[ai->n++], &idx.entries[i]);
    oci_archive_index_release(&idx);
    for (i = 0; deep && i < ai->n; i++) {
        if (ai->m[i].ref[0] && attest_read_manifest(s, &ai->m[i], err) < 0) {
            attest_index_release(ai);
            return -1;
        }
    }
    if (attest_pick(ai, what, err) < 0) {
        attest_index_release(ai);
        return -1;
    }
    return 0;
}

int
attest_load(const struct store *s, const char *digest, struct attest_index *ai, struct error *err)
{
    return attest_parse(s, digest, ai, 1, err);
}

int
attest_index_image(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1],
                   long long *out_size, struct error *err)
{
    struct attest_index ai;

    if (attest_parse(s, digest, &ai, 0, err) < 0)
        return -1;
    memcpy(out, ai.image, sizeof(ai.image));
    if (out_size)
        *out_size = ai.image_size;
    attest_index_release(&ai);
    return 0;
}

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
        cJSON_AddStringToObject(json_add_object(idx, "annotations"), ATTEST_FORMAT_ANNOTATION,
                                "referrers");
    image_release(&img);
    text = json_print(idx);
    if (blob_put(s, text, strlen(text), out_digest, err) < 0)
        return error_wrap(err, "image index");
    *out_size = (long long)strlen(text);
    return 0;
}

int
attest_index_of(const struct store *s, const char *ref, char out[DIGEST_STR_LEN + 1],
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
    int rc = attest_index_of(s, ref, top, err);

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
    if (attest_load(s, top, &ai, err) < 0)
        return error_wrap(err, "image %s", ref);
    rc = 1;
    for (i = 0; rc == 1 && i < ai.n; i++) {
        const struct attest_manifest *m = &ai.m[i];
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

int
attest_adopt(struct store *s, const char *index_json, size_t len, const char *image,
             attest_fetch_fn fetch, void *arg, char out_digest[DIGEST_STR_LEN + 1],
             long long *out_size, struct error *err)
{
    struct oci_archive_index idx;
    size_t i, k;
    int rc = 0, with = 0;

    if (oci_archive_index_parse(index_json, len, "image index", &idx, err) < 0)
        return -1;
    for (i = 0; i < idx.n && rc == 0; i++) {
        const char *ref = attest_annotation(&idx.entries[i].desc.annotations, INTOTO_REF_DIGEST);
        int att = attest_is_attestation(&idx.entries[i].desc.annotations);
        if ((!att && strcmp(idx.entries[i].desc.digest, image) != 0) ||
            (att && (!ref || strcmp(ref, image) != 0)))
            rc = 1; /* another image, or attestations of one */
        with |= att;
    }
    for (i = 0; i < idx.n && rc == 0 && with; i++) {
        struct attest_manifest m;
        if (!attest_is_attestation(&idx.entries[i].desc.annotations))
            continue;
        memset(&m, 0, sizeof(m));
        memcpy(m.digest, idx.entries[i].desc.digest, sizeof(m.digest));
        if (fetch(arg, m.digest, idx.entries[i].desc.size, 1, err) < 0 ||
            attest_read_manifest(s, &m, err) < 0)
            rc = -1;
        for (k = 0; rc == 0 && k < m.blobs.n; k++)
            if (!blob_exists(s, m.blobs.v[k]) && fetch(arg, m.blobs.v[k], m.sizes[k], 0, err) < 0)
                rc = -1;
        attest_manifest_release(&m);
    }
    oci_archive_index_release(&idx);
    if (rc != 0 || !with)
        return rc < 0 ? -1 : 1;
    if (blob_put(s, index_json, len, out_digest, err) < 0)
        return -1;
    *out_size = (long long)len;
    return 0;
}
