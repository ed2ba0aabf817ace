#include "formats/oci.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

void
oci_descriptor_release(struct oci_descriptor *d)
{
    if (!d)
        return;
    free(d->media_type);
    d->media_type = NULL;
    strvec_release(&d->annotations);
}

void
oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->media_type = src->media_type ? xstrdup(src->media_type) : NULL;
    memcpy(dst->digest, src->digest, sizeof(dst->digest));
    dst->size = src->size;
    strvec_copy(&dst->annotations, &src->annotations);
}

void
oci_manifest_init(struct oci_manifest *m)
{
    memset(m, 0, sizeof(*m));
}

void
oci_manifest_release(struct oci_manifest *m)
{
    size_t i;

    if (!m)
        return;
    free(m->media_type);
    oci_descriptor_release(&m->config);
    for (i = 0; i < m->nlayers; i++)
        oci_descriptor_release(&m->layers[i]);
    free(m->layers);
    strvec_release(&m->annotations);
    oci_manifest_init(m);
}

void
oci_manifest_add_layer(struct oci_manifest *m, const struct oci_descriptor *d)
{
    m->layers = xrealloc(m->layers, (m->nlayers + 1) * sizeof(*m->layers));
    oci_descriptor_copy(&m->layers[m->nlayers++], d);
}

/* image-spec descriptor.md: mediaType, digest and size are required. */
static int
oci_descriptor_parse(const cJSON *j, const char *what, struct oci_descriptor *d, struct error *err)
{
    const char *mt = json_string(j, "mediaType", 1, what, err);
    const char *dg = mt ? json_string(j, "digest", 1, what, err) : NULL;
    const cJSON *ann, *a;
    long long size = 0;

    if (!mt || !dg || json_int(j, "size", 1, &size, what, err) < 0)
        return -1;
    if (digest_validate(dg, err) < 0)
        return error_wrap(err, "%s", what);
    memset(d, 0, sizeof(*d));
    d->media_type = xstrdup(mt);
    memcpy(d->digest, dg, DIGEST_STR_LEN + 1);
    d->size = size;
    ann = json_object(j, "annotations", 0, what, err);
    cJSON_ArrayForEach(a, ann)
    {
        if (cJSON_IsString(a))
            strvec_pushf(&d->annotations, "%s=%s", a->string, a->valuestring);
    }
    return 0;
}

static int
oci_layer_type_ok(const char *mt)
{
    return !strncmp(mt, "application/vnd.oci.image.layer.", 32) ||
           !strncmp(mt, "application/vnd.docker.image.rootfs.", 36);
}

static int
oci_manifest_layers(const cJSON *layers, const char *what, struct oci_manifest *m,
                    struct error *err)
{
    const cJSON *l;
    size_t i = 0;
    char ctx[256];

    m->layers = xcalloc((size_t)cJSON_GetArraySize(layers) + 1, sizeof(*m->layers));
    cJSON_ArrayForEach(l, layers)
    {
        snprintf(ctx, sizeof(ctx), "%s: layers[%zu]", what, i);
        if (oci_descriptor_parse(l, ctx, &m->layers[i], err) < 0)
            return -1;
        m->nlayers = ++i;
        if (!oci_layer_type_ok(m->layers[i - 1].media_type))
            return error_input(err, "%s: unsupported media type \"%s\"", ctx,
                               m->layers[i - 1].media_type);
    }
    return 0;
}

int
oci_manifest_parse(const char *json, size_t len, const char *what, struct oci_manifest *m,
                   struct error *err)
{
    cleanup_cjson cJSON *j = json_parse(json, len, what, err);
    const cJSON *cfg, *layers;
    const char *mt;
    long long sv = 0;
    char ctx[256];

    oci_manifest_init(m);
    if (!j || json_int(j, "schemaVersion", 1, &sv, what, err) < 0)
        return -1;
    if (sv != 2)
        return error_input(err, "%s: schemaVersion %lld is not supported", what, sv);
    mt = json_string(j, "mediaType", 0, what, err);
    if (mt && strcmp(mt, OCI_MEDIA_MANIFEST) && strcmp(mt, DOCKER_MEDIA_MANIFEST))
        return error_input(err, "%s: not an image manifest (mediaType \"%s\")", what, mt);
    cfg = json_object(j, "config", 1, what, err);
    layers = cfg ? json_array(j, "layers", 1, what, err) : NULL;
    if (!cfg || !layers)
        return -1;
    snprintf(ctx, sizeof(ctx), "%s: config", what);
    m->media_type = xstrdup(mt ? mt : OCI_MEDIA_MANIFEST);
    if (oci_descriptor_parse(cfg, ctx, &m->config, err) < 0 ||
        oci_manifest_layers(layers, what, m, err) < 0) {
        oci_manifest_release(m);
        return -1;
    }
    return 0;
}

static cJSON *
oci_descriptor_json(const struct oci_descriptor *d)
{
    cJSON *j = cJSON_CreateObject();
    size_t i;

    cJSON_AddStringToObject(j, "mediaType", d->media_type);
    cJSON_AddStringToObject(j, "digest", d->digest);
    cJSON_AddNumberToObject(j, "size", (double)d->size);
    if (d->annotations.n) {
        cJSON *a = json_add_object(j, "annotations");
        for (i = 0; i < d->annotations.n; i++) {
            const char *kv = d->annotations.v[i];
            const char *eq = strchr(kv, '=');
            cleanup_free char *k = xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
            cJSON_AddStringToObject(a, k, eq ? eq + 1 : "");
        }
    }
    return j;
}

char *
oci_manifest_write(const struct oci_manifest *m)
{
    cleanup_cjson cJSON *j = cJSON_CreateObject();
    int docker = m->media_type && !strcmp(m->media_type, DOCKER_MEDIA_MANIFEST);
    cJSON *layers;
    size_t i;

    cJSON_AddNumberToObject(j, "schemaVersion", 2);
    cJSON_AddStringToObject(j, "mediaType", docker ? DOCKER_MEDIA_MANIFEST : OCI_MEDIA_MANIFEST);
    cJSON_AddItemToObject(j, "config", oci_descriptor_json(&m->config));
    layers = json_add_array(j, "layers");
    for (i = 0; i < m->nlayers; i++)
        cJSON_AddItemToArray(layers, oci_descriptor_json(&m->layers[i]));
    if (m->annotations.n && !docker) {
        struct oci_descriptor tmp = {0};
        cJSON *d;
        tmp.annotations = m->annotations;
        d = oci_descriptor_json(&tmp);
        cJSON_AddItemToObject(j, "annotations",
                              cJSON_DetachItemFromObjectCaseSensitive(d, "annotations"));
        cJSON_Delete(d);
    }
    return json_print(j);
}

/* Docker image manifest v2 schema 2, "Media Types" */
const char *
oci_docker_layer_type(const char *media_type)
{
    if (!strcmp(media_type, OCI_MEDIA_LAYER) || !strcmp(media_type, DOCKER_MEDIA_LAYER))
        return DOCKER_MEDIA_LAYER;
    if (!strcmp(media_type, OCI_MEDIA_LAYER_GZIP) || !strcmp(media_type, DOCKER_MEDIA_LAYER_GZIP))
        return DOCKER_MEDIA_LAYER_GZIP;
    return NULL;
}

cJSON *
oci_config_parse(const char *json, size_t len, const char *what, long nlayers, struct error *err)
{
    cleanup_cjson cJSON *j = json_parse(json, len, what, err);
    const cJSON *rootfs, *ids, *id;
    long n = 0;

    if (!j)
        return NULL;
    rootfs = json_object(j, "rootfs", 1, what, err);
    ids = rootfs ? json_array(rootfs, "diff_ids", 1, what, err) : NULL;
    if (!ids)
        return NULL;
    cJSON_ArrayForEach(id, ids)
    {
        if (!cJSON_IsString(id) || digest_validate(id->valuestring, err) < 0) {
            error_input(err, "%s: rootfs.diff_ids[%ld]: invalid digest", what, n);
            return NULL;
        }
        n++;
    }
    if (nlayers >= 0 && n != nlayers) {
        error_input(err, "%s: %ld diff_ids for %ld layers", what, n, nlayers);
        return NULL;
    }
    return steal_ptr(&j);
}

void
oci_config_diff_ids(const cJSON *config, struct strvec *out)
{
    const cJSON *rootfs = cJSON_GetObjectItemCaseSensitive(config, "rootfs");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(rootfs, "diff_ids");
    const cJSON *id;

    cJSON_ArrayForEach(id, ids)
    {
        if (cJSON_IsString(id))
            strvec_push(out, id->valuestring);
    }
}

cJSON *
oci_config_new(void)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *rootfs;

    cJSON_AddStringToObject(j, "architecture", platform_host_arch());
    cJSON_AddStringToObject(j, "os", "linux");
    json_add_object(j, "config");
    rootfs = json_add_object(j, "rootfs");
    cJSON_AddStringToObject(rootfs, "type", "layers");
    json_add_array(rootfs, "diff_ids");
    json_add_array(j, "history");
    return j;
}

void
oci_config_set_platform(cJSON *config, const struct platform *p)
{
    json_set_string(config, "architecture", p->arch);
    json_set_string(config, "os", p->os);
    if (p->variant[0])
        json_set_string(config, "variant", p->variant);
    else
        cJSON_DeleteItemFromObjectCaseSensitive(config, "variant");
}

int
oci_config_platform(const cJSON *config, struct platform *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(config, "architecture");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(config, "os");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, "variant");

    if (!cJSON_IsString(a) || !cJSON_IsString(o))
        return -1;
    return platform_set(out, o->valuestring, a->valuestring,
                        cJSON_IsString(v) ? v->valuestring : NULL);
}

void
oci_time_format(long long t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;

    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
oci_time_parse(const char *text, long long *out)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, n = 0, off = 0;
    const char *p;

    if (!text ||
        sscanf(text, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || !n)
        return -1;
    p = text + n;
    if (*p == '.') /* RFC 3339 time-secfrac: dropped */
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || strlen(p) != 6)
            return -1;
        off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (long long)timegm(&tm) - off;
    return 0;
}
