/*
 * A step's cache record: a hit (local, or imported with --cache-from) applies
 * the recorded config and layer to the stage; a miss is run, captured and
 * committed as a new record that makes the next build of the step a hit.
 */
#include "builder/engine/step_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/engine/imageopts.h"
#include "builder/engine/progress.h"
#include "formats/core/buf.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/cache.h"
#include "store/txn.h"
#include "store/cache_transfer.h"

#include "formats/core/banned.h"

static void
step_apply(struct stage *st, const cJSON *rec, const char *key)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(rec, "config");
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(rec, "history");
    const cJSON *layer = cJSON_GetObjectItemCaseSensitive(rec, "layer");
    const cJSON *author = cJSON_GetObjectItemCaseSensitive(rec, "author");

    cJSON_ReplaceItemInObjectCaseSensitive(st->config, "config", cJSON_Duplicate(cfg, 1));
    if (cJSON_IsString(author))
        json_set_string(st->config, "author", author->valuestring);
    if (cJSON_IsObject(hist))
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(st->config, "history"),
                             cJSON_Duplicate(hist, 1));
    if (cJSON_IsObject(layer)) {
        struct oci_descriptor d = {0};
        const char *diff = cJSON_GetObjectItemCaseSensitive(layer, "diff_id")->valuestring;
        cJSON *rootfs = cJSON_GetObjectItemCaseSensitive(st->config, "rootfs");
        d.media_type = cJSON_GetObjectItemCaseSensitive(layer, "mediaType")->valuestring;
        memcpy(d.digest, cJSON_GetObjectItemCaseSensitive(layer, "digest")->valuestring,
               DIGEST_STR_LEN + 1);
        d.size = (long long)cJSON_GetObjectItemCaseSensitive(layer, "size")->valuedouble;
        oci_manifest_add_layer(&st->layers, &d);
        strvec_push(&st->diff_ids, diff);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(rootfs, "diff_ids"),
                             cJSON_CreateString(diff));
    }
    memcpy(st->key, key, DIGEST_STR_LEN + 1);
}

/*
 * A record is usable when it is well-formed; *layer is set to its layer
 * digest, or NULL for a step without one.
 */
static int
step_record_valid(const cJSON *rec, const char **layer_digest)
{
    const cJSON *layer = cJSON_GetObjectItemCaseSensitive(rec, "layer");
    const char *dg, *di;
    struct error e;
    long long size = 0;

    *layer_digest = NULL;
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rec, "config")))
        return 0;
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rec, "history")) &&
        !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "no_history")))
        return 0;
    if (!layer || cJSON_IsNull(layer))
        return 1;
    error_init(&e);
    if (!json_string(layer, "mediaType", 1, "", &e) ||
        json_int(layer, "size", 1, &size, "", &e) < 0)
        return 0;
    dg = json_string(layer, "digest", 1, "", &e);
    di = json_string(layer, "diff_id", 1, "", &e);
    if (!dg || !di || digest_validate(dg, &e) < 0 || digest_validate(di, &e) < 0)
        return 0;
    *layer_digest = dg;
    return 1;
}

int
step_cache_off(const struct build *b, const struct stage *st)
{
    char idx[32];
    size_t i;

    if (b->o->no_cache)
        return 1;
    snprintf(idx, sizeof(idx), "%zu", st->index);
    for (i = 0; i < b->o->no_cache_filter.n; i++) {
        const char *f = b->o->no_cache_filter.v[i];
        if ((st->name && !strcasecmp(f, st->name)) || !strcmp(f, idx))
            return 1;
    }
    return 0;
}

/* A hit from an imported cache: kept as a local record too; its blob comes when needed. */
static int
step_try_sources(struct build *b, struct stage *st, const struct parse_instr *in, const char *key)
{
    const char *layer;
    struct error e;
    size_t i;

    for (i = 0; i < b->book->nsources; i++) {
        const cJSON *r = cache_transfer_find(&b->book->sources[i], key);
        cleanup_free char *text = NULL;
        if (!r || !step_record_valid(r, &layer))
            continue;
        text = json_print(r);
        error_init(&e);
        if (cache_put(b->store, key, text, &e) < 0)
            log_warn("%s", e.msg);
        step_apply(st, r, key);
        cachebook_note(b->book, st, key, r);
        progress_line("[%s%zu/%zu] CACHED (imported) %s", st->label, st->step_no, st->nsteps,
                      in->original);
        return 1;
    }
    return 0;
}

/* Returns 1 when the step was a cache hit (and is applied), 0 on a miss. */
int
step_try_cache(struct build *b, struct stage *st, const struct parse_instr *in, const char *key)
{
    cleanup_buf struct buf rec = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const char *layer;
    struct error e;

    if (step_cache_off(b, st))
        return 0;
    error_init(&e);
    if (cache_get(b->store, key, &rec, &e) == 0) {
        j = json_parse(buf_cstr(&rec), rec.len, "cache record", &e);
        if (j && step_record_valid(j, &layer) && (!layer || blob_exists(b->store, layer))) {
            step_apply(st, j, key);
            cachebook_note(b->book, st, key, j);
            cache_touch(b->store, key);
            progress_line("[%s%zu/%zu] CACHED %s", st->label, st->step_no, st->nsteps,
                          in->original);
            return 1;
        }
        log_debug("cache record %s unusable, looking further", key);
    }
    if (step_try_sources(b, st, in, key))
        return 1;
    cachebook_explain_miss(b->book, st, in, key);
    return 0;
}

/* The record of a step (DESIGN.md "Step cache key"); takes o's config and provenance. */
static cJSON *
step_record(struct build *b, const char *key, struct step_out *o)
{
    cJSON *rec = cJSON_CreateObject();
    cJSON *hist;
    char when[32];

    oci_time_format(b->now, when);
    cJSON_AddStringToObject(rec, "key", key);
    cJSON_AddItemToObject(rec, "config", o->config);
    o->config = NULL;
    if (o->author)
        cJSON_AddStringToObject(rec, "author", o->author);
    if (o->no_history) {
        cJSON_AddTrueToObject(rec, "no_history");
        hist = cJSON_CreateObject(); /* not kept */
    } else {
        hist = json_add_object(rec, "history");
    }
    cJSON_AddStringToObject(hist, "created", when);
    cJSON_AddStringToObject(hist, "created_by", o->created_by);
    cJSON_AddStringToObject(hist, "comment", "strata");
    if (o->layer && o->layer->digest[0]) {
        cJSON *l = json_add_object(rec, "layer");
        cJSON_AddStringToObject(l, "mediaType", o->layer->media_type);
        cJSON_AddStringToObject(l, "digest", o->layer->digest);
        cJSON_AddNumberToObject(l, "size", (double)o->layer->size);
        cJSON_AddStringToObject(l, "diff_id", o->layer->diff_id);
    } else {
        cJSON_AddTrueToObject(hist, "empty_layer");
    }
    if (o->no_history)
        cJSON_Delete(hist);
    if (o->provenance)
        cJSON_AddItemToObject(rec, "provenance", o->provenance);
    o->provenance = NULL;
    return rec;
}

/* The record of key is stored: the stage takes its result. */
static void
step_recorded(struct build *b, struct stage *st, const char *key, const cJSON *rec)
{
    b->book->wrote = 1;
    cachebook_ran(b->book, key);
    step_apply(st, rec, key);
    cachebook_note(b->book, st, key, rec);
}

int
step_commit(struct build *b, struct stage *st, const char *key, struct step_out *o,
            struct error *err)
{
    cleanup_cjson cJSON *rec = step_record(b, key, o);
    cleanup_free char *text = json_print(rec);

    if (cache_put(b->store, key, text, err) < 0)
        return -1;
    step_recorded(b, st, key, rec);
    return 0;
}

cJSON *
step_provenance(const struct stage *st, const struct parse_instr *in, const char *key)
{
    cJSON *p = cJSON_CreateObject();

    cJSON_AddStringToObject(p, "instruction", in->original);
    cJSON_AddNumberToObject(p, "line", in->line);
    cJSON_AddStringToObject(p, "key", key);
    cJSON_AddStringToObject(p, "parent", st->key);
    if (st->base[0])
        cJSON_AddStringToObject(p, "base", st->base);
    if (st->inputs && cJSON_GetArraySize(st->inputs))
        cJSON_AddItemToObject(p, "inputs", cJSON_Duplicate(st->inputs, 1));
    return p;
}

/* Captures the step's upper dir and records the step. */
int
step_capture(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
             struct scratch *d, const char *created_by, cJSON *prov, cJSON *cfg, struct error *err)
{
    struct tar_write_opts opts;
    struct layer_staged layer;
    struct step_out o = {0};
    cleanup_cjson cJSON *rec = NULL;
    cleanup_free char *text = NULL;
    char *staged;

    tar_write_opts_init(&opts);
    opts.compression = b->o->compression;
    opts.clamp_mtime = b->plan.epoch;
    /* every RUN, COPY, ADD and WORKDIR adds a layer, even an empty one, as in BuildKit */
    if (imageopts_set_times(b, d->upper, err) < 0 || /* --timestamp */
        layer_stage(b->store, d->upper, &opts, &layer, err) < 0) {
        cJSON_Delete(prov);
        cJSON_Delete(cfg);
        return error_wrap(err, "%s:%d", b->plan.recipe.file, in->line);
    }
    cJSON_AddStringToObject(prov, "diff_id", layer.info.diff_id);
    cJSON_AddStringToObject(prov, "digest", layer.info.digest);
    o.config = cfg ? cfg : cJSON_Duplicate(step_cfg(st), 1);
    o.created_by = created_by;
    o.layer = &layer.info;
    o.provenance = prov;
    rec = step_record(b, key, &o);
    text = json_print(rec);
    /* the record is staged first, so that the layer's syncfs makes it durable too */
    if (!(staged = cache_stage(b->store, text, err))) {
        layer_staged_abort(&layer);
        return error_wrap(err, "%s:%d", b->plan.recipe.file, in->line);
    }
    if (layer_publish(b->store, &layer, err) < 0) {
        txn_discard(staged);
        free(staged);
        return error_wrap(err, "%s:%d", b->plan.recipe.file, in->line);
    }
    if (cache_publish(b->store, key, staged, err) < 0)
        return -1;
    step_recorded(b, st, key, rec);
    return 0;
}
