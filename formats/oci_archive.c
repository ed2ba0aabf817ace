#include "formats/oci_archive.h"

#include <stdio.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

void
oci_archive_index_init(struct oci_archive_index *idx)
{
    memset(idx, 0, sizeof(*idx));
}

void
oci_archive_index_release(struct oci_archive_index *idx)
{
    size_t i;

    if (!idx)
        return;
    for (i = 0; i < idx->n; i++) {
        struct oci_archive_entry *e = &idx->entries[i];
        oci_descriptor_release(&e->desc);
        free(e->ref_name);
        free(e->full_name);
        free(e->os);
        free(e->arch);
        free(e->variant);
        free(e->os_version);
        strvec_release(&e->os_features);
    }
    free(idx->entries);
    free(idx->media_type);
    strvec_release(&idx->annotations);
    oci_archive_index_init(idx);
}

/* json_string, but a JSON null for a required member is an error too. */
static const char *
oci_archive_string(const cJSON *obj, const char *key, const char *ctx, struct error *err)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!m) {
        error_input(err, "%s: missing \"%s\"", ctx, key);
        return NULL;
    }
    if (!cJSON_IsString(m)) {
        error_input(err, "%s: \"%s\": expected a string", ctx, key);
        return NULL;
    }
    return m->valuestring;
}

static char *
oci_archive_dup_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static void oci_archive_annotations(const cJSON *ann, struct strvec *out);

/* image-spec descriptor.md: mediaType, digest and size are required. */
static int
oci_archive_entry_parse(const cJSON *j, const char *ctx, struct oci_archive_entry *e,
                        struct error *err)
{
    const char *mt, *dg;
    const cJSON *ann, *a, *plat;
    long long size = 0;

    if (!cJSON_IsObject(j))
        return error_input(err, "%s: expected an object", ctx);
    mt = oci_archive_string(j, "mediaType", ctx, err);
    dg = mt ? oci_archive_string(j, "digest", ctx, err) : NULL;
    if (!mt || !dg || json_int(j, "size", 1, &size, ctx, err) < 0)
        return -1;
    if (size < 0)
        return error_input(err, "%s: negative size", ctx);
    if (digest_validate(dg, err) < 0)
        return error_wrap(err, "%s", ctx);
    e->desc.media_type = xstrdup(mt);
    memcpy(e->desc.digest, dg, DIGEST_STR_LEN + 1);
    e->desc.size = size;
    ann = json_object(j, "annotations", 0, ctx, err);
    oci_archive_annotations(ann, &e->desc.annotations);
    e->ref_name = oci_archive_dup_string(ann, OCI_ARCHIVE_REF_NAME);
    e->full_name = oci_archive_dup_string(ann, OCI_ARCHIVE_FULL_NAME);
    plat = cJSON_GetObjectItemCaseSensitive(j, "platform");
    e->os = oci_archive_dup_string(plat, "os");
    e->arch = oci_archive_dup_string(plat, "architecture");
    e->variant = oci_archive_dup_string(plat, "variant");
    e->os_version = oci_archive_dup_string(plat, "os.version");
    a = cJSON_IsObject(plat) ? cJSON_GetObjectItemCaseSensitive(plat, "os.features") : NULL;
    if (cJSON_IsArray(a)) {
        const cJSON *f;
        cJSON_ArrayForEach(f, a)
        {
            if (cJSON_IsString(f))
                strvec_push(&e->os_features, f->valuestring);
        }
    }
    return 0;
}

/* The string members of an "annotations" object, as "key=value". */
static void
oci_archive_annotations(const cJSON *ann, struct strvec *out)
{
    const cJSON *a;

    cJSON_ArrayForEach(a, ann)
    {
        if (cJSON_IsString(a))
            strvec_pushf(out, "%s=%s", a->string, a->valuestring);
    }
}

int
oci_archive_index_parse(const char *json, size_t len, const char *what,
                        struct oci_archive_index *idx, struct error *err)
{
    cleanup_cjson cJSON *j = NULL;
    const cJSON *ms, *m;
    long long sv = 0;
    char ctx[256];

    oci_archive_index_init(idx);
    if (len > OCI_ARCHIVE_DOC_MAX)
        return error_input(err, "%s: larger than %u bytes", what, OCI_ARCHIVE_DOC_MAX);
    j = json_parse(json, len, what, err);
    if (!j)
        return -1;
    if (!cJSON_IsObject(j))
        return error_input(err, "%s: expected an object", what);
    if (json_int(j, "schemaVersion", 1, &sv, what, err) < 0)
        return -1;
    if (sv != 2)
        return error_input(err, "%s: schemaVersion %lld is not supported", what, sv);
    ms = json_array(j, "manifests", 1, what, err);
    if (!ms)
        return -1;
    idx->media_type = oci_archive_dup_string(j, "mediaType");
    oci_archive_annotations(cJSON_GetObjectItemCaseSensitive(j, "annotations"), &idx->annotations);
    idx->entries = xcalloc((size_t)cJSON_GetArraySize(ms) + 1, sizeof(*idx->entries));
    cJSON_ArrayForEach(m, ms)
    {
        snprintf(ctx, sizeof(ctx), "%s: manifests[%zu]", what, idx->n);
        if (oci_archive_entry_parse(m, ctx, &idx->entries[idx->n++], err) < 0) {
            oci_archive_index_release(idx);
            return -1;
        }
    }
    return 0;
}

/* "localhost/busybox:latest" -> "latest"; NULL when name has no tag. */
static const char *
oci_archive_tag_of(const char *name)
{
    const char *at = strchr(name, '@');
    const char *colon = strrchr(name, ':');

    if (at || !colon || strchr(colon, '/'))
        return NULL;
    return colon + 1;
}

void
oci_archive_index_add(struct oci_archive_index *idx, const struct oci_descriptor *d,
                      const char *name)
{
    struct oci_archive_entry *e;
    const char *tag = name ? oci_archive_tag_of(name) : NULL;

    idx->entries = xrealloc(idx->entries, (idx->n + 1) * sizeof(*idx->entries));
    e = &idx->entries[idx->n++];
    memset(e, 0, sizeof(*e));
    oci_descriptor_copy(&e->desc, d);
    if (name) {
        e->full_name = xstrdup(name);
        strvec_pushf(&e->desc.annotations, "%s=%s", OCI_ARCHIVE_FULL_NAME, name);
    }
    if (tag) {
        e->ref_name = xstrdup(tag);
        strvec_pushf(&e->desc.annotations, "%s=%s", OCI_ARCHIVE_REF_NAME, tag);
    }
}

void
oci_archive_index_add_platform(struct oci_archive_index *idx, const struct oci_descriptor *d,
                               const struct platform *p)
{
    struct oci_archive_entry *e;

    oci_archive_index_add(idx, d, NULL);
    e = &idx->entries[idx->n - 1];
    if (!p)
        return;
    e->os = xstrdup(p->os);
    e->arch = xstrdup(p->arch);
    if (p->variant[0])
        e->variant = xstrdup(p->variant);
}

/* "key=value" entries as a JSON object (a later key replaces an earlier one). */
static void
oci_archive_add_annotations(cJSON *o, const struct strvec *ann)
{
    cJSON *a;
    size_t k;

    if (!ann->n)
        return;
    a = json_add_object(o, "annotations");
    for (k = 0; k < ann->n; k++) {
        const char *kv = ann->v[k];
        const char *eq = strchr(kv, '=');
        cleanup_free char *key = xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
        json_set_string(a, key, eq ? eq + 1 : "");
    }
}

static void
oci_archive_add_platform(cJSON *o, const struct oci_archive_entry *e)
{
    cJSON *p;
    size_t k;

    if (!e->os && !e->arch)
        return;
    p = json_add_object(o, "platform");
    cJSON_AddStringToObject(p, "architecture", e->arch ? e->arch : "");
    cJSON_AddStringToObject(p, "os", e->os ? e->os : "");
    if (e->os_version)
        cJSON_AddStringToObject(p, "os.version", e->os_version);
    if (e->os_features.n) {
        cJSON *f = json_add_array(p, "os.features");
        for (k = 0; k < e->os_features.n; k++)
            cJSON_AddItemToArray(f, cJSON_CreateString(e->os_features.v[k]));
    }
    if (e->variant)
        cJSON_AddStringToObject(p, "variant", e->variant);
}

char *
oci_archive_index_write(const struct oci_archive_index *idx)
{
    cleanup_cjson cJSON *j = cJSON_CreateObject();
    cJSON *ms;
    size_t i;

    cJSON_AddNumberToObject(j, "schemaVersion", 2);
    cJSON_AddStringToObject(j, "mediaType", OCI_MEDIA_INDEX);
    ms = json_add_array(j, "manifests");
    for (i = 0; i < idx->n; i++) {
        const struct oci_descriptor *d = &idx->entries[i].desc;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "mediaType", d->media_type);
        cJSON_AddStringToObject(o, "digest", d->digest);
        cJSON_AddNumberToObject(o, "size", (double)d->size);
        oci_archive_add_annotations(o, &d->annotations);
        oci_archive_add_platform(o, &idx->entries[i]);
        cJSON_AddItemToArray(ms, o);
    }
    oci_archive_add_annotations(j, &idx->annotations);
    return json_print(j);
}

int
oci_archive_entry_platform(const struct oci_archive_entry *e, struct platform *out)
{
    return platform_set(out, e->os, e->arch, e->variant);
}

static int
oci_archive_is_attestation(const struct oci_archive_entry *e)
{
    size_t k, l = strlen(OCI_ARCHIVE_REF_TYPE);

    for (k = 0; k < e->desc.annotations.n; k++) {
        const char *kv = e->desc.annotations.v[k];
        if (!strncmp(kv, OCI_ARCHIVE_REF_TYPE, l) && kv[l] == '=' &&
            !strcmp(kv + l + 1, OCI_ARCHIVE_REF_TYPE_ATTESTATION))
            return 1;
    }
    return 0;
}

int
oci_archive_entry_is_image(const struct oci_archive_entry *e)
{
    const char *mt = e->desc.media_type;

    return mt && (!strcmp(mt, OCI_MEDIA_MANIFEST) || !strcmp(mt, DOCKER_MEDIA_MANIFEST)) &&
           !oci_archive_is_attestation(e);
}

int
oci_archive_entry_is_index(const struct oci_archive_entry *e)
{
    const char *mt = e->desc.media_type;

    return mt && (!strcmp(mt, OCI_MEDIA_INDEX) || !strcmp(mt, DOCKER_MEDIA_LIST));
}

static int
oci_archive_entry_matches(const struct oci_archive_entry *e, const char *name)
{
    const char *tag = oci_archive_tag_of(name);

    if (e->full_name && !strcmp(e->full_name, name))
        return 1;
    if (e->ref_name && !strcmp(e->ref_name, name))
        return 1;
    return e->ref_name && tag && !strcmp(e->ref_name, tag);
}

long
oci_archive_index_select(const struct oci_archive_index *idx, const char *name, struct error *err)
{
    size_t i;
    long found = -1;
    int several = 0;
    char have[512] = "";

    for (i = 0; name && i < idx->n; i++) {
        if (!oci_archive_entry_matches(&idx->entries[i], name))
            continue;
        if (found >= 0)
            several = 1;
        else
            found = (long)i;
    }
    if (found >= 0 && !several)
        return found;
    if (idx->n == 1)
        return 0;
    for (i = 0; i < idx->n && strlen(have) < sizeof(have) - 80; i++) {
        const char *n = idx->entries[i].ref_name ? idx->entries[i].ref_name : "(no name)";
        size_t l = strlen(have);
        snprintf(have + l, sizeof(have) - l, "%s\"%.60s\"", i ? ", " : "", n);
    }
    if (idx->n == 0)
        return error_input(err, "index.json lists no images");
    return error_input(err, "index.json lists %zu images (%s): %s", idx->n, have,
                       name ? (several ? "the name fits several" : "none fits the name")
                            : "name one of them");
}

void
oci_archive_index_platforms(const struct oci_archive_index *idx, char *out, size_t n)
{
    size_t i, l;

    out[0] = '\0';
    for (i = 0; i < idx->n; i++) {
        const struct oci_archive_entry *e = &idx->entries[i];
        if (oci_archive_is_attestation(e))
            continue;
        l = strlen(out);
        if (l + 80 >= n) {
            snprintf(out + l, n - l, "%s...", l ? ", " : "");
            return;
        }
        snprintf(out + l, n - l, "%s%.20s/%.20s%s%.20s", l ? ", " : "", e->os ? e->os : "?",
                 e->arch ? e->arch : "?", e->variant ? "/" : "", e->variant ? e->variant : "");
    }
}

long
oci_archive_index_match(const struct oci_archive_index *idx, const struct platform *want,
                        const char *what, struct error *err)
{
    char have[512], w[PLATFORM_STR_MAX];
    long best = -1;
    int best_rank = -1;
    size_t i;

    for (i = 0; i < idx->n; i++) {
        const struct oci_archive_entry *e = &idx->entries[i];
        struct platform p;
        int r;
        if (oci_archive_is_attestation(e) || oci_archive_entry_platform(e, &p) < 0)
            continue;
        r = platform_match(want, &p);
        if (r >= 0 && (best < 0 || r < best_rank)) {
            best = (long)i;
            best_rank = r;
        }
    }
    if (best >= 0)
        return best;
    oci_archive_index_platforms(idx, have, sizeof(have));
    platform_format(want, w);
    return error_input(err, "%s: no image for %s (has: %s)", what, w, have[0] ? have : "nothing");
}

int
oci_archive_layout_check(const char *json, size_t len, struct error *err)
{
    cleanup_cjson cJSON *j = json_parse(json, len, "oci-layout", err);
    const char *v;

    if (!j)
        return -1;
    if (!cJSON_IsObject(j))
        return error_input(err, "oci-layout: expected an object");
    v = oci_archive_string(j, "imageLayoutVersion", "oci-layout", err);
    if (!v)
        return -1;
    if (strncmp(v, "1.", 2) != 0)
        return error_input(err, "oci-layout: imageLayoutVersion \"%.40s\" is not supported", v);
    return 0;
}

const char *
oci_archive_layout_json(void)
{
    return "{\"imageLayoutVersion\":\"" OCI_ARCHIVE_LAYOUT_VERSION "\"}";
}

static int
oci_archive_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && !strcmp(s + n - k, suffix);
}

enum compress_kind
oci_archive_layer_compression(const char *media_type)
{
    if (!media_type)
        return COMPRESS_NONE;
    if (oci_archive_ends_with(media_type, "+gzip") || oci_archive_ends_with(media_type, ".gzip"))
        return COMPRESS_GZIP;
    if (oci_archive_ends_with(media_type, "+zstd") || oci_archive_ends_with(media_type, ".zstd"))
        return COMPRESS_ZSTD;
    return COMPRESS_NONE;
}
