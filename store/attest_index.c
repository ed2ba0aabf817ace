/*
 * Image indexes of the store whose manifests are an image manifest and,
 * beside it, attestation manifests (BuildKit's attestation storage): reading
 * one, and bringing one in from elsewhere.
 */
#include "store/attest_index.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/intoto.h"
#include "formats/json.h"
#include "formats/oci_archive.h"
#include "formats/platform.h"
#include "store/blob.h"

#include "formats/core/banned.h"

#define ATTEST_INDEX_DOC_MAX (4u << 20)

static void
attest_index_manifest_release(struct attest_index_manifest *m)
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
        attest_index_manifest_release(&ai->m[i]);
    free(ai->m);
    ai->m = NULL;
    ai->n = 0;
}

static int
attest_index_is_attestation(const struct strvec *annotations)
{
    size_t i;

    for (i = 0; i < annotations->n; i++)
        if (!strcmp(annotations->v[i], INTOTO_REF_TYPE "=" INTOTO_REF_ATTESTATION))
            return 1;
    return 0;
}

static const char *
attest_index_annotation(const struct strvec *annotations, const char *key)
{
    size_t i, n = strlen(key);

    for (i = 0; i < annotations->n; i++)
        if (!strncmp(annotations->v[i], key, n) && annotations->v[i][n] == '=')
            return annotations->v[i] + n + 1;
    return NULL;
}

/* An attestation manifest's config and layers (its layers are statements, not tars). */
static int
attest_index_read_manifest(const struct store *s, struct attest_index_manifest *m,
                           struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *cfg, *layers, *l;
    char what[128];

    snprintf(what, sizeof(what), "attestation manifest %s", m->digest);
    if (blob_read(s, m->digest, ATTEST_INDEX_DOC_MAX, &b, err) < 0 ||
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
attest_index_take_entry(struct attest_index_manifest *m, struct oci_archive_entry *e)
{
    const char *ref = attest_index_annotation(&e->desc.annotations, INTOTO_REF_DIGEST);

    memset(m, 0, sizeof(*m));
    memcpy(m->digest, e->desc.digest, sizeof(m->digest));
    m->size = e->desc.size;
    m->media_type = steal_ptr(&e->desc.media_type);
    m->os = steal_ptr(&e->os);
    m->arch = steal_ptr(&e->arch);
    m->variant = steal_ptr(&e->variant);
    if (attest_index_is_attestation(&e->desc.annotations) && ref && strlen(ref) == DIGEST_STR_LEN)
        memcpy(m->ref, ref, sizeof(m->ref));
}

/*
 * The image manifest that serves this machine's platform best
 * (formats/platform.h order), else the first image manifest.
 */
static int
attest_index_pick(struct attest_index *ai, const char *what, struct error *err)
{
    struct platform host, p;
    long pick = -1;
    int best = -1;
    size_t i;

    platform_host(&host);
    for (i = 0; i < ai->n; i++) {
        const struct attest_index_manifest *m = &ai->m[i];
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
attest_index_parse(const struct store *s, const char *digest, struct attest_index *ai, int deep,
                   struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    struct oci_archive_index idx;
    char what[128];
    size_t i;

    memset(ai, 0, sizeof(*ai));
    snprintf(what, sizeof(what), "image index %s", digest);
    if (blob_read(s, digest, ATTEST_INDEX_DOC_MAX, &b, err) < 0 ||
        oci_archive_index_parse(buf_cstr(&b), b.len, what, &idx, err) < 0)
        return -1;
    memcpy(ai->digest, digest, sizeof(ai->digest));
    ai->size = (long long)b.len;
    ai->referrers =
        strstr(buf_cstr(&b), "\"" ATTEST_INDEX_FORMAT_ANNOTATION "\":\"referrers\"") != NULL;
    ai->m = xcalloc(idx.n + 1, sizeof(*ai->m));
    for (i = 0; i < idx.n; i++)
        attest_index_take_entry(&ai->m[ai->n++], &idx.entries[i]);
    oci_archive_index_release(&idx);
    for (i = 0; deep && i < ai->n; i++) {
        if (ai->m[i].ref[0] && attest_index_read_manifest(s, &ai->m[i], err) < 0) {
            attest_index_release(ai);
            return -1;
        }
    }
    if (attest_index_pick(ai, what, err) < 0) {
        attest_index_release(ai);
        return -1;
    }
    return 0;
}

int
attest_index_load(const struct store *s, const char *digest, struct attest_index *ai,
                  struct error *err)
{
    return attest_index_parse(s, digest, ai, 1, err);
}

int
attest_index_image(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1],
                   long long *out_size, struct error *err)
{
    struct attest_index ai;

    if (attest_index_parse(s, digest, &ai, 0, err) < 0)
        return -1;
    memcpy(out, ai.image, sizeof(ai.image));
    if (out_size)
        *out_size = ai.image_size;
    attest_index_release(&ai);
    return 0;
}

int
attest_index_adopt(struct store *s, const char *index_json, size_t len, const char *image,
                   attest_index_fetch_fn fetch, void *arg, char out_digest[DIGEST_STR_LEN + 1],
                   long long *out_size, struct error *err)
{
    struct oci_archive_index idx;
    size_t i, k;
    int rc = 0, with = 0;

    if (oci_archive_index_parse(index_json, len, "image index", &idx, err) < 0)
        return -1;
    for (i = 0; i < idx.n && rc == 0; i++) {
        const char *ref =
            attest_index_annotation(&idx.entries[i].desc.annotations, INTOTO_REF_DIGEST);
        int att = attest_index_is_attestation(&idx.entries[i].desc.annotations);
        if ((!att && strcmp(idx.entries[i].desc.digest, image) != 0) ||
            (att && (!ref || strcmp(ref, image) != 0)))
            rc = 1; /* another image, or attestations of one */
        with |= att;
    }
    for (i = 0; i < idx.n && rc == 0 && with; i++) {
        struct attest_index_manifest m;
        if (!attest_index_is_attestation(&idx.entries[i].desc.annotations))
            continue;
        memset(&m, 0, sizeof(m));
        memcpy(m.digest, idx.entries[i].desc.digest, sizeof(m.digest));
        if (fetch(arg, m.digest, idx.entries[i].desc.size, 1, err) < 0 ||
            attest_index_read_manifest(s, &m, err) < 0)
            rc = -1;
        for (k = 0; rc == 0 && k < m.blobs.n; k++)
            if (!blob_exists(s, m.blobs.v[k]) && fetch(arg, m.blobs.v[k], m.sizes[k], 0, err) < 0)
                rc = -1;
        attest_index_manifest_release(&m);
    }
    oci_archive_index_release(&idx);
    if (rc != 0 || !with)
        return rc < 0 ? -1 : 1;
    if (blob_put(s, index_json, len, out_digest, err) < 0)
        return -1;
    *out_size = (long long)len;
    return 0;
}
