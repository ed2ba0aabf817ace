/* strata verify: rebuild from the recorded inputs and compare. */
#include "builder/engine/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/engine/build.h"
#include "builder/engine/progress.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/intoto.h"
#include "formats/json.h"
#include "store/attest.h"
#include "store/export.h"
#include "store/image.h"
#include "store/importer.h"
#include "store/txn.h"

#include "formats/core/banned.h"

/* Follows a path of object members; NULL when one is missing. */
static const cJSON *
verify_get(const cJSON *j, const char *a, const char *b, const char *c)
{
    j = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        j = cJSON_GetObjectItemCaseSensitive(j, b);
    if (c)
        j = cJSON_GetObjectItemCaseSensitive(j, c);
    return j;
}

/* "pkg:docker/localhost/debian@12?platform=..." -> "localhost/debian:12" */
static char *
verify_ref(const char *uri)
{
    cleanup_free char *r = NULL;
    char *q, *at;

    if (strncmp(uri, "pkg:docker/", 11) != 0)
        return NULL;
    r = xstrdup(uri + 11);
    if ((q = strchr(r, '?')))
        *q = '\0';
    if ((at = strrchr(r, '@')) && strncmp(at + 1, "sha256:", 7) != 0)
        *at = ':';
    return steal_ptr(&r);
}

/* Copies each recorded image dependency from s into the rebuild's store t, under its name. */
static int
verify_copy_images(struct store *s, struct store *t, const cJSON *deps, struct error *err)
{
    const cJSON *d;
    size_t n = 0;

    cJSON_ArrayForEach(d, deps)
    {
        const char *uri = json_string(d, "uri", 0, "", NULL);
        const char *hex =
            json_string(cJSON_GetObjectItemCaseSensitive(d, "digest"), "sha256", 0, "", NULL);
        cleanup_free char *ref = uri ? verify_ref(uri) : NULL;
        cleanup_free char *dg = NULL, *dir = NULL;
        struct importer_opts io = {COMPRESS_ZSTD, NULL}; /* rootfs tarballs only: unused here */
        char got[DIGEST_STR_LEN + 1];
        if (!ref || !hex)
            continue;
        dg = xasprintf("sha256:%s", hex);
        dir = xasprintf("%s/image-%zu", t->tmp, n++);
        if (export_image(s, dg, NULL, EXPORT_OCI, COMPRESS_NONE, 0, dir, ref, err) < 0)
            return error_wrap(err, "the recorded image %s (%s)", ref, dg);
        if (importer_import(t, dir, IMPORTER_OCI_LAYOUT, ref, &io, got, err) < 0)
            return error_wrap(err, "copying %s for the rebuild", ref);
        if (strcmp(got, dg) != 0)
            return error_set(err, 0, "copying %s for the rebuild gave %s, not %s", ref, got, dg);
    }
    return 0;
}

/* The options the provenance records, with the user's recipe and context. */
static int
verify_opts_from(const cJSON *pred, const struct verify_opts *vo, const struct image *img,
                 struct build_opts *o, struct error *err)
{
    const cJSON *req = verify_get(pred, "buildDefinition", "externalParameters", "request");
    const cJSON *intl = verify_get(pred, "buildDefinition", "internalParameters", NULL);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "args"), *a;
    const char *target = json_string(req, "target", 0, "", NULL);
    const char *comp = json_string(intl, "compression", 0, "", NULL);
    const cJSON *sde = cJSON_GetObjectItemCaseSensitive(intl, "sourceDateEpoch");

    o->recipe = vo->recipe;
    o->context = vo->context;
    o->target = target;
    o->pull = REMOTE_PULL_NEVER;
    if (comp && compress_parse(comp, &o->compression, err) < 0)
        return error_wrap(err, "provenance: compression");
    cJSON_ArrayForEach(a, args)
    {
        if (cJSON_IsString(a))
            strvec_pushf(&o->build_args, "%s=%s", a->string, a->valuestring);
    }
    if (cJSON_IsNumber(sde)) {
        o->source_date_epoch = (long long)sde->valuedouble;
    } else { /* built without it: its times cannot come back, but the rest can be compared */
        const char *created = json_string(img->config, "created", 0, "", NULL);
        log_warn("the image was built without SOURCE_DATE_EPOCH (created %s): its times will "
                 "differ",
                 created ? created : "?");
        o->source_date_epoch = 0;
    }
    return 0;
}

/* The first member path where two JSON values differ ("config.Env"), into out. */
static void
verify_json_diff(const cJSON *a, const cJSON *b, const char *path, struct buf *out)
{
    const cJSON *x;

    if (out->len || cJSON_Compare(a, b, 1))
        return;
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        cJSON_ArrayForEach(x, a)
        {
            cleanup_free char *p = *path ? xasprintf("%s.%s", path, x->string) : xstrdup(x->string);
            verify_json_diff(x, cJSON_GetObjectItemCaseSensitive(b, x->string), p, out);
        }
        cJSON_ArrayForEach(x, b)
        {
            if (!out->len && !cJSON_GetObjectItemCaseSensitive(a, x->string))
                buf_addf(out, "config field %s%s%s is only in the rebuild", path, *path ? "." : "",
                         x->string);
        }
        return;
    }
    {
        cleanup_free char *va = a ? cJSON_PrintUnformatted(a) : xstrdup("(none)");
        cleanup_free char *vb = b ? cJSON_PrintUnformatted(b) : xstrdup("(none)");
        buf_addf(out, "config field %s differs: image has %.200s, rebuild has %.200s",
                 *path ? path : "(document)", va, vb);
    }
}

static void
verify_compare(const struct image *want, const struct image *got, struct buf *why)
{
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(want->config, "history"), *h;
    size_t i, l = 0;

    for (i = 0; i < want->diff_ids.n && i < got->diff_ids.n; i++) {
        const char *by = "";
        if (!strcmp(want->diff_ids.v[i], got->diff_ids.v[i]))
            continue;
        cJSON_ArrayForEach(h, hist)
        {
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "empty_layer")))
                continue;
            if (l++ == i)
                by = json_string(h, "created_by", 0, "", NULL);
        }
        buf_addf(why, "layer %zu differs (%s): image has %s, rebuild has %s", i + 1, by ? by : "",
                 want->diff_ids.v[i], got->diff_ids.v[i]);
        return;
    }
    if (want->diff_ids.n != got->diff_ids.n) {
        buf_addf(why, "the image has %zu layers, the rebuild %zu", want->diff_ids.n,
                 got->diff_ids.n);
        return;
    }
    verify_json_diff(want->config, got->config, "", why);
    if (!why->len)
        buf_adds(why, "the manifests differ (layer compression or annotations), not the content");
}

static int
verify_rebuild(struct store *s, struct store *t, const cJSON *pred, const struct image *img,
               const struct verify_opts *vo, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    struct build_opts o;
    int ran = 0, rc;

    build_opts_init(&o);
    if (verify_copy_images(s, t, verify_get(pred, "buildDefinition", "resolvedDependencies", NULL),
                           err) < 0 ||
        verify_opts_from(pred, vo, img, &o, err) < 0) {
        build_opts_release(&o);
        return -1;
    }
    rc = build_run(t, &o, out, &ran, err);
    build_opts_release(&o);
    return rc;
}

int
verify_run(struct store *s, const struct verify_opts *vo, struct buf *verdict, struct error *err)
{
    cleanup_buf struct buf doc = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    cleanup_free char *tmp = NULL;
    struct image img, got;
    struct store t;
    char image[DIGEST_STR_LEN + 1], rebuilt[DIGEST_STR_LEN + 1];
    int rc = attest_find(s, vo->image, INTOTO_SLSA_V1, &doc, image, err);

    if (rc != 0)
        return rc < 0
                   ? -1
                   : error_input(err, "verify: %s has no provenance (build it with --provenance)",
                                 vo->image);
    j = cJSON_ParseWithLength(buf_cstr(&doc), doc.len);
    if (image_load_digest(s, image, &img, err) < 0)
        return -1;
    tmp = txn_tmp_path(s->tmp, "verify");
    memset(&t, 0, sizeof(t));
    rc = store_open(&t, tmp, STORE_LOCK_SHARED, err);
    if (rc == 0)
        rc = verify_rebuild(s, &t, cJSON_GetObjectItemCaseSensitive(j, "predicate"), &img, vo,
                            rebuilt, err);
    if (rc == 0 && !strcmp(rebuilt, image)) {
        buf_addf(verdict, "reproducible: %s", image);
    } else if (rc == 0 && image_load_digest(&t, rebuilt, &got, err) == 0) {
        cleanup_buf struct buf why = BUF_INIT;
        verify_compare(&img, &got, &why);
        buf_addf(verdict, "not reproducible: %s (image %s, rebuild %s)", buf_cstr(&why), image,
                 rebuilt);
        image_release(&got);
        rc = 1;
    } else {
        rc = -1;
    }
    store_release(&t);
    txn_discard(tmp);
    image_release(&img);
    return rc;
}
