/*
 * SLSA provenance v1 (slsa.dev/spec/v1.0/provenance) from the build's plan,
 * options and step records, and the attestations attached to the result.
 */
#include "builder/engine/provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/engine/cachekey.h"
#include "builder/engine/progress.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/intoto.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "formats/platform.h"
#include "store/attest.h"
#include "store/sbom.h"

#include "formats/core/banned.h"

int
provenance_parse(const char *v, int *out, struct error *err)
{
    cleanup_free char *copy = xstrdup(v);
    char *p, *save = NULL;
    int mode = PROVENANCE_MIN;

    if (!strcmp(v, "false") || !strcmp(v, "0")) {
        *out = PROVENANCE_OFF;
        return 0;
    }
    for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (!strcmp(p, "true") || !strcmp(p, "1") || !strcmp(p, "mode=min") || !strcmp(p, "min"))
            mode = PROVENANCE_MIN;
        else if (!strcmp(p, "mode=max") || !strcmp(p, "max"))
            mode = PROVENANCE_MAX;
        else if (strcmp(p, "version=v1") != 0)
            return error_input(err, "--provenance=%s: use true, false, mode=min or mode=max", v);
    }
    *out = mode;
    return 0;
}

/* A ResourceDescriptor (in-toto resource_descriptor.md) with a sha256 digest. */
static cJSON *
provenance_resource(const char *name, const char *uri, const char *digest)
{
    cJSON *r = cJSON_CreateObject();

    if (name)
        cJSON_AddStringToObject(r, "name", name);
    if (uri)
        cJSON_AddStringToObject(r, "uri", uri);
    if (digest && !strncmp(digest, "sha256:", 7))
        cJSON_AddStringToObject(json_add_object(r, "digest"), "sha256", digest + 7);
    return r;
}

static void
provenance_add_image(cJSON *deps, const char *what, const char *ref, const char *digest)
{
    char plat[64];
    cleanup_free char *uri = NULL;

    snprintf(plat, sizeof(plat), "linux/%s", platform_host_arch());
    uri = intoto_subject_name(ref ? ref : digest, plat);
    cJSON_AddItemToArray(deps, provenance_resource(what, uri, digest));
}

static char *
provenance_stage_id(const struct stage *st)
{
    return st->name ? xstrdup(st->name) : xasprintf("%zu", st->index);
}

/* Each step record's provenance of stage st, in order, through fn. */
static void
provenance_each_step(struct build *b, const struct stage *st,
                     void (*fn)(struct build *, const struct stage *, const char *key,
                                const cJSON *rec, void *arg),
                     void *arg)
{
    cleanup_free char *id = provenance_stage_id(st);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(b->book->now_keys, id), *k;

    cJSON_ArrayForEach(k, keys)
    {
        const cJSON *rec = cJSON_IsString(k)
                               ? cJSON_GetObjectItemCaseSensitive(b->book->used, k->valuestring)
                               : NULL;
        if (rec)
            fn(b, st, k->valuestring, rec, arg);
    }
}

/* resolvedDependencies from a step: COPY --from images and ADD URLs. */
static void
provenance_step_deps(struct build *b, const struct stage *st, const char *key, const cJSON *rec,
                     void *arg)
{
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(rec, "provenance");
    const cJSON *copy = cJSON_GetObjectItemCaseSensitive(prov, "copy");
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(prov, "inputs");
    const cJSON *img = cJSON_GetObjectItemCaseSensitive(copy, "from_image"), *u;
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(copy, "from");
    cJSON *deps = arg;

    (void)b;
    (void)st;
    (void)key;
    if (cJSON_IsString(img))
        provenance_add_image(deps, "COPY --from image",
                             cJSON_IsString(from) ? from->valuestring : NULL, img->valuestring);
    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(inputs, "urls"))
    {
        const char *url = json_string(u, "url", 0, "", NULL);
        const char *dg = json_string(u, "digest", 0, "", NULL);
        if (url && dg)
            cJSON_AddItemToArray(deps, provenance_resource("ADD", url, dg));
    }
}

static void
provenance_step(struct build *b, const struct stage *st, const char *key, const cJSON *rec,
                void *arg)
{
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(rec, "provenance");
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(rec, "history");
    const cJSON *layer = cJSON_GetObjectItemCaseSensitive(rec, "layer");
    const char *ins = json_string(prov, "instruction", 0, "", NULL);
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(prov, "line");
    const char *dg = cJSON_IsObject(layer) ? json_string(layer, "digest", 0, "", NULL) : NULL;
    cleanup_free char *id = provenance_stage_id(st);
    cJSON *s = cJSON_CreateObject();

    cJSON_AddStringToObject(s, "stage", id);
    if (!ins)
        ins = json_string(hist, "created_by", 0, "", NULL);
    cJSON_AddStringToObject(s, "instruction", ins ? ins : "");
    if (cJSON_IsNumber(line))
        cJSON_AddNumberToObject(s, "line", line->valuedouble);
    if (dg)
        cJSON_AddStringToObject(s, "layer", dg);
    cJSON_AddBoolToObject(s, "cached", !cJSON_GetObjectItemCaseSensitive(b->book->ran, key));
    cJSON_AddStringToObject(s, "key", key);
    cJSON_AddItemToArray(arg, s);
}

/* The whole context after .dockerignore as one digest (names, modes, sizes, contents). */
static int
provenance_context(struct build *b, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    struct cachekey k;

    cachekey_init(&k, "context");
    if (context_hash(&b->ctx, ".", &k, err) < 0) {
        digest_release(&k.d);
        return -1;
    }
    cachekey_final(&k, out);
    return 0;
}

static void
provenance_args(const struct build *b, cJSON *req)
{
    cJSON *args = json_add_object(req, "args");
    size_t i;

    for (i = 0; i < b->o->build_args.n; i++) {
        const char *kv = b->o->build_args.v[i];
        const char *eq = strchr(kv, '=');
        cleanup_free char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
        const char *v = eq ? eq + 1 : getenv(kv);
        if (!cJSON_GetObjectItemCaseSensitive(args, k))
            cJSON_AddStringToObject(args, k, v ? v : "");
    }
}

static cJSON *
provenance_external(struct build *b, const struct stage *target, int mode)
{
    cJSON *ext = cJSON_CreateObject();
    cJSON *cs = json_add_object(ext, "configSource");
    cJSON *req = json_add_object(ext, "request");
    char d[DIGEST_STR_LEN + 1], plat[PLATFORM_STR_MAX];
    size_t i;

    digest_bytes(b->plan.recipe.text, b->plan.recipe.len, d);
    cJSON_AddStringToObject(cs, "path", b->o->recipe);
    cJSON_AddStringToObject(json_add_object(cs, "digest"), "sha256", digest_hex(d));
    cJSON_AddStringToObject(req, "frontend", "dockerfile");
    if (b->o->target)
        cJSON_AddStringToObject(req, "target", b->o->target);
    else if (target->name)
        cJSON_AddStringToObject(req, "target", target->name);
    platform_format(&target->platform, plat); /* the platform built */
    cJSON_AddStringToObject(req, "platform", plat);
    if (b->o->secrets.n) { /* ids only: a secret's value never leaves the build */
        cJSON *ids = json_add_array(req, "secrets");
        for (i = 0; i < b->o->secrets.n; i++) {
            const char *s = b->o->secrets.v[i] + 3; /* "id=" checked by the CLI */
            cleanup_free char *id = xstrndup(s, strcspn(s, ","));
            cJSON_AddItemToArray(ids, cJSON_CreateString(id));
        }
    }
    if (mode == PROVENANCE_MAX)
        provenance_args(b, req);
    return ext;
}

cJSON *
provenance_predicate(struct build *b, const struct stage *target, int mode, long long started,
                     long long finished, struct error *err)
{
    cleanup_cjson cJSON *pred = cJSON_CreateObject();
    cJSON *def = json_add_object(pred, "buildDefinition");
    cJSON *run = json_add_object(pred, "runDetails");
    cJSON *intl, *deps, *builder, *meta, *steps = NULL;
    char d[DIGEST_STR_LEN + 1], when[32], plat[64];
    size_t i;

    if (provenance_context(b, d, err) < 0)
        return NULL;
    cJSON_AddStringToObject(def, "buildType", PROVENANCE_BUILD_TYPE);
    cJSON_AddItemToObject(def, "externalParameters", provenance_external(b, target, mode));
    intl = json_add_object(def, "internalParameters");
    snprintf(plat, sizeof(plat), "linux/%s", platform_host_arch()); /* BUILDPLATFORM */
    cJSON_AddStringToObject(intl, "builderPlatform", plat);
    cJSON_AddStringToObject(intl, "compression", compress_name(b->o->compression));
    if (b->o->source_date_epoch >= 0)
        cJSON_AddNumberToObject(intl, "sourceDateEpoch", (double)b->o->source_date_epoch);
    if (mode == PROVENANCE_MAX)
        steps = json_add_array(json_add_object(intl, "buildConfig"), "steps");
    deps = json_add_array(def, "resolvedDependencies");
    cJSON_AddItemToArray(deps, provenance_resource("context", NULL, d));
    for (i = 0; i < b->plan.nstages; i++) {
        const struct stage *st = &b->plan.stages[i];
        if (!st->needed || !st->done)
            continue;
        if (st->base[0] && st->base_ref &&
            (!st->from->args.n || !plan_find_stage(&b->plan, st->from->args.v[0])))
            provenance_add_image(deps, "FROM", st->base_ref, st->base);
        provenance_each_step(b, st, provenance_step_deps, deps);
        if (steps)
            provenance_each_step(b, st, provenance_step, steps);
    }
    builder = json_add_object(run, "builder");
    cJSON_AddStringToObject(builder, "id", PROVENANCE_BUILDER_ID);
    cJSON_AddStringToObject(json_add_object(builder, "version"), "strata", PROVENANCE_VERSION);
    meta = json_add_object(run, "metadata");
    cJSON_AddStringToObject(meta, "invocationId", target->key);
    oci_time_format(started, when);
    cJSON_AddStringToObject(meta, "startedOn", when);
    oci_time_format(finished, when);
    cJSON_AddStringToObject(meta, "finishedOn", when);
    return steal_ptr(&pred);
}

/* Per layer of the image: "RUN apt-get ..." (line N), for the SBOM's layer notes. */
static void
provenance_layer_step(struct build *b, const struct stage *st, const char *key, const cJSON *rec,
                      void *arg)
{
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(rec, "provenance");
    const cJSON *layer = cJSON_GetObjectItemCaseSensitive(rec, "layer");
    const char *ins = json_string(prov, "instruction", 0, "", NULL);
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(prov, "line");
    cJSON *map = arg;

    (void)b;
    (void)st;
    (void)key;
    if (cJSON_IsObject(layer) && ins && cJSON_IsNumber(line)) {
        const char *dg = json_string(layer, "digest", 0, "", NULL);
        if (dg && !cJSON_GetObjectItemCaseSensitive(map, dg)) {
            cleanup_free char *note =
                xasprintf("%s:%d: %s", b->plan.recipe.file, (int)line->valuedouble, ins);
            cJSON_AddStringToObject(map, dg, note);
        }
    }
}

static cJSON *
provenance_sbom(struct build *b, const struct stage *target, const char *image, const char *name,
                struct error *err)
{
    cleanup_cjson cJSON *map = cJSON_CreateObject();
    cleanup_strvec struct strvec notes = STRVEC_INIT;
    struct sbom_opts so;
    size_t i;

    for (i = 0; i < b->plan.nstages; i++)
        if (b->plan.stages[i].needed && b->plan.stages[i].done)
            provenance_each_step(b, &b->plan.stages[i], provenance_layer_step, map);
    for (i = 0; i < target->layers.nlayers; i++) {
        const char *n = json_string(map, target->layers.layers[i].digest, 0, "", NULL);
        strvec_push(&notes, n ? n : "");
    }
    so.name = name;
    so.created = b->now;
    so.steps = &notes;
    return sbom_generate(b->store, image, &so, err);
}

int
provenance_attach(struct build *b, const struct stage *target, const char *image, long long started,
                  char out[DIGEST_STR_LEN + 1], long long *out_size, struct error *err)
{
    const char *name = b->o->tags.n ? b->o->tags.v[0] : image;
    cleanup_free char *subject = NULL;
    char *texts[2] = {NULL, NULL};
    struct attest_statement st[2];
    char plat[PLATFORM_STR_MAX];
    size_t n = 0;
    int rc;
    double t0 = log_now_ms();
    long long finished =
        b->o->source_date_epoch >= 0 ? b->o->source_date_epoch : (long long)time(NULL);

    if (b->o->provenance == PROVENANCE_OFF && !b->o->sbom)
        return 1;
    platform_format(&target->platform, plat); /* the platform of the image attested */
    subject = intoto_subject_name(name, plat);
    if (b->o->provenance != PROVENANCE_OFF) {
        cJSON *pred = provenance_predicate(b, target, b->o->provenance, started, finished, err);
        cleanup_cjson cJSON *stmt = NULL;
        if (!pred)
            return -1;
        stmt = intoto_statement(subject, image, INTOTO_SLSA_V1, pred);
        texts[n] = json_print(stmt);
        st[n].predicate_type = INTOTO_SLSA_V1;
        st[n].json = texts[n];
        st[n].len = strlen(texts[n]);
        n++;
    }
    if (b->o->sbom) {
        cJSON *doc = provenance_sbom(b, target, image, name, err);
        cleanup_cjson cJSON *stmt = NULL;
        if (!doc) {
            free(texts[0]);
            return -1;
        }
        stmt = intoto_statement(subject, image, INTOTO_SPDX, doc);
        texts[n] = json_print(stmt);
        st[n].predicate_type = INTOTO_SPDX;
        st[n].json = texts[n];
        st[n].len = strlen(texts[n]);
        n++;
    }
    rc = attest_attach(b->store, image, st, n, b->o->attest_referrers, out, out_size, err);
    free(texts[0]);
    free(texts[1]);
    if (rc == 0)
        progress_line("attestations (%s%s%s) attached in %.3fs",
                      b->o->provenance != PROVENANCE_OFF ? "provenance" : "", n == 2 ? ", " : "",
                      b->o->sbom ? "sbom" : "", (log_now_ms() - t0) / 1000.0);
    return rc;
}
