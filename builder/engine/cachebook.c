/*
 * The build's cache bookkeeping: which step records it used or made (for
 * --cache-to), the --cache-from sources and their lazily fetched layers, the
 * keys of the previous build of the same recipe and --explain-cache.
 */
#include "builder/engine/cachebook.h"

#include <stdlib.h>
#include <string.h>

#include "builder/engine/build_opts.h"
#include "builder/engine/progress.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/cache.h"

#include "formats/core/banned.h"

void
cachebook_init(struct cachebook *cb, struct store *s, const struct build_opts *o)
{
    memset(cb, 0, sizeof(*cb));
    cb->store = s;
    cb->o = o;
    pthread_mutex_init(&cb->lock, NULL);
    cb->used = cJSON_CreateObject();
    cb->used_stage = cJSON_CreateObject();
    cb->now_keys = cJSON_CreateObject();
    cb->ran = cJSON_CreateObject();
}

void
cachebook_release(struct cachebook *cb)
{
    size_t i;

    for (i = 0; i < cb->nsources; i++) {
        cache_transfer_close(&cb->sources[i]);
        pthread_mutex_destroy(&cb->source_locks[i]);
    }
    free(cb->sources);
    free(cb->source_locks);
    cJSON_Delete(cb->used);
    cJSON_Delete(cb->used_stage);
    cJSON_Delete(cb->last);
    cJSON_Delete(cb->now_keys);
    cJSON_Delete(cb->ran);
    pthread_mutex_destroy(&cb->lock);
    memset(cb, 0, sizeof(*cb));
}

static char *
cachebook_stage_id(const struct stage *st)
{
    return st->name ? xstrdup(st->name) : xasprintf("%zu", st->index);
}

void
cachebook_note(struct cachebook *cb, const struct stage *st, const char *key, const cJSON *rec)
{
    cleanup_free char *id = cachebook_stage_id(st);
    cJSON *keys;

    pthread_mutex_lock(&cb->lock);
    if (!cJSON_GetObjectItemCaseSensitive(cb->used, key)) {
        cJSON_AddItemToObject(cb->used, key, cJSON_Duplicate(rec, 1));
        cJSON_AddNumberToObject(cb->used_stage, key, (double)st->index);
    }
    keys = cJSON_GetObjectItemCaseSensitive(cb->now_keys, id);
    if (!keys)
        keys = json_add_array(cb->now_keys, id);
    cJSON_AddItemToArray(keys, cJSON_CreateString(key));
    pthread_mutex_unlock(&cb->lock);
}

void
cachebook_ran(struct cachebook *cb, const char *key)
{
    pthread_mutex_lock(&cb->lock);
    if (!cJSON_GetObjectItemCaseSensitive(cb->ran, key))
        cJSON_AddTrueToObject(cb->ran, key);
    pthread_mutex_unlock(&cb->lock);
}

/* Where this recipe's previous keys are kept: cache/lastbuild/<sha256(recipe, target)>. */
static char *
cachebook_last_path(const struct cachebook *cb)
{
    cleanup_free char *abs = realpath(cb->o->recipe, NULL);
    cleanup_free char *what =
        xasprintf("%s\n%s", abs ? abs : cb->o->recipe, cb->o->target ? cb->o->target : "");
    char d[DIGEST_STR_LEN + 1];

    digest_bytes(what, strlen(what), d);
    return xasprintf("cache/lastbuild/%s", digest_hex(d));
}

static void
cachebook_last_load(struct cachebook *cb)
{
    cleanup_buf struct buf t = BUF_INIT;
    cleanup_free char *rel = cachebook_last_path(cb);
    struct error e;

    error_init(&e);
    if (fs_read_file_max(cb->store->root_fd, rel, 1u << 20, &t, &e) == 0)
        cb->last = cJSON_ParseWithLength(buf_cstr(&t), t.len);
    if (!cJSON_IsObject(cb->last)) {
        cJSON_Delete(cb->last);
        cb->last = cJSON_CreateObject();
    }
}

/* Rewritten only when the keys changed, so an all-cached build writes nothing. */
void
cachebook_save(struct cachebook *cb)
{
    cleanup_free char *rel = cachebook_last_path(cb);
    cleanup_free char *text = NULL;
    struct error e;

    if (cJSON_Compare(cb->last, cb->now_keys, 1))
        return;
    text = json_print(cb->now_keys);
    error_init(&e);
    if (fs_mkdir_p(cb->store->root_fd, "cache/lastbuild", 0755, &e) < 0 ||
        store_write_file(cb->store, rel, text, strlen(text), &e) < 0)
        log_debug("cannot record the build's keys: %s", e.msg);
}

static const char *
cachebook_prov_str(const cJSON *prov, const char *a, const char *b)
{
    const cJSON *o = b ? cJSON_GetObjectItemCaseSensitive(prov, a) : prov;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, b ? b : a);

    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Names what differs between the previous inputs and now (first difference). */
static void
cachebook_explain_inputs(const cJSON *before, const cJSON *now, struct buf *why)
{
    const cJSON *f, *bf = cJSON_GetObjectItemCaseSensitive(before, "files");
    const cJSON *nf = cJSON_GetObjectItemCaseSensitive(now, "files");
    const cJSON *e;

    cJSON_ArrayForEach(f, nf)
    {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(bf, f->string);
        if (!o)
            buf_addf(why, "; file \"%s\" is new", f->string);
        else if (!cJSON_Compare(o, f, 1))
            buf_addf(why, "; file \"%s\" changed", f->string);
    }
    cJSON_ArrayForEach(f, bf)
    {
        if (!cJSON_GetObjectItemCaseSensitive(nf, f->string))
            buf_addf(why, "; file \"%s\" is gone", f->string);
    }
    cJSON_ArrayForEach(e, now)
    {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(before, e->string);
        if (strcmp(e->string, "files") && !cJSON_Compare(o, e, 1)) {
            cleanup_free char *was = o ? json_print(o) : xstrdup("(none)");
            cleanup_free char *is = json_print(e);
            buf_addf(why, "; %s: %.200s -> %.200s", e->string, was, is);
        }
    }
}

void
cachebook_explain_miss(struct cachebook *cb, struct stage *st, const struct parse_instr *in,
                       const char *key)
{
    cleanup_free char *id = cachebook_stage_id(st);
    cleanup_buf struct buf why = BUF_INIT;
    cleanup_buf struct buf rec = BUF_INIT;
    cleanup_cjson cJSON *old = NULL;
    const cJSON *prev, *keys, *prov;
    struct error e;
    size_t pos;

    if (!cb->o->explain_cache || st->explained)
        return;
    st->explained = 1; /* later misses of the stage follow from this one */
    pthread_mutex_lock(&cb->lock);
    keys = cJSON_GetObjectItemCaseSensitive(cb->now_keys, id);
    pos = keys ? (size_t)cJSON_GetArraySize(keys) : 0;
    prev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cb->last, id), (int)pos);
    pthread_mutex_unlock(&cb->lock);
    error_init(&e);
    if (!cJSON_IsString(prev) || cache_get(cb->store, prev->valuestring, &rec, &e) != 0 ||
        !(old = cJSON_ParseWithLength(buf_cstr(&rec), rec.len))) {
        progress_line("[%s%zu/%zu] MISS %s: no earlier build of this step", st->label, st->step_no,
                      st->nsteps, in->original);
        return;
    }
    prov = cJSON_GetObjectItemCaseSensitive(old, "provenance");
    if (strcmp(cachebook_prov_str(prov, "parent", NULL), st->key))
        buf_addf(&why, "; the base changed: %.19s -> %.19s",
                 cachebook_prov_str(prov, "parent", NULL), st->key);
    if (strcmp(cachebook_prov_str(prov, "instruction", NULL), in->original))
        buf_addf(&why, "; the instruction changed (was \"%s\")",
                 cachebook_prov_str(prov, "instruction", NULL));
    cachebook_explain_inputs(cJSON_GetObjectItemCaseSensitive(prov, "inputs"), st->inputs, &why);
    (void)key;
    progress_line("[%s%zu/%zu] MISS %s: %s", st->label, st->step_no, st->nsteps, in->original,
                  why.len ? buf_cstr(&why) + 2 : "an input outside the recipe changed");
}

int
cachebook_need_blob(struct cachebook *cb, const char *digest, const char *diff_id,
                    struct error *err)
{
    size_t i;
    int rc = 1;

    if (blob_exists(cb->store, digest))
        return 0;
    for (i = 0; rc == 1 && i < cb->nsources; i++) {
        pthread_mutex_lock(&cb->source_locks[i]); /* a source's client is not shared */
        rc = blob_exists(cb->store, digest)
                 ? 0 /* another stage fetched it meanwhile */
                 : cache_transfer_fetch(&cb->sources[i], cb->store, digest, diff_id, err);
        pthread_mutex_unlock(&cb->source_locks[i]);
        if (rc == 0)
            progress_line("fetched layer %s from %s", digest,
                          cb->sources[i].spec.path ? cb->sources[i].spec.path
                                                   : cb->sources[i].spec.ref);
    }
    if (rc == 1)
        return error_set(err, 0, "layer %s is in no store or --cache-from source", digest);
    return rc;
}

int
cachebook_open(struct cachebook *cb, struct error *err)
{
    struct registry_opts ro;
    struct cache_transfer_spec spec;
    size_t i;

    /* a malformed spec is the user's error, found before anything runs */
    for (i = 0; i < cb->o->cache_from.n; i++) {
        if (cache_transfer_parse(cb->o->cache_from.v[i], 0, &spec, err) < 0)
            return -1;
        cache_transfer_spec_release(&spec);
    }
    if (cb->o->cache_to) {
        if (cache_transfer_parse(cb->o->cache_to, 1, &spec, err) < 0)
            return -1;
        cache_transfer_spec_release(&spec);
    }
    cachebook_last_load(cb);
    registry_opts_init(&ro);
    ro.tls_verify = cb->o->tls_verify;
    cb->sources = xcalloc(cb->o->cache_from.n + 1, sizeof(*cb->sources));
    cb->source_locks = xcalloc(cb->o->cache_from.n + 1, sizeof(*cb->source_locks));
    for (i = 0; i < cb->o->cache_from.n; i++) {
        struct cache_transfer_source *src = &cb->sources[cb->nsources];
        if (cache_transfer_open(src, cb->o->cache_from.v[i], &ro, err) < 0) {
            /* an unreachable or empty cache only makes the build slower */
            log_warn("%s (ignored)", err->msg);
            cache_transfer_close(src);
            error_init(err);
            continue;
        }
        pthread_mutex_init(&cb->source_locks[cb->nsources], NULL);
        cb->nsources++;
    }
    return 0;
}

int
cachebook_export(struct cachebook *cb, const unsigned char *in_final, struct error *err)
{
    cleanup_cjson cJSON *out = cJSON_CreateObject();
    struct cache_transfer_spec spec;
    struct registry_opts ro;
    const cJSON *r;
    size_t n = 0;
    int rc;

    if (!cb->o->cache_to)
        return 0;
    if (cache_transfer_parse(cb->o->cache_to, 1, &spec, err) < 0)
        return -1;
    cJSON_ArrayForEach(r, cb->used)
    {
        const cJSON *si = cJSON_GetObjectItemCaseSensitive(cb->used_stage, r->string);
        if (!spec.max && !in_final[(size_t)si->valuedouble])
            continue;
        /* records only travel with their layers, which must be here to be copied */
        {
            const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, "layer");
            const cJSON *dg = cJSON_GetObjectItemCaseSensitive(l, "digest");
            const cJSON *di = cJSON_GetObjectItemCaseSensitive(l, "diff_id");
            if (cJSON_IsString(dg) &&
                cachebook_need_blob(cb, dg->valuestring, cJSON_IsString(di) ? di->valuestring : "",
                                    err) < 0) {
                cache_transfer_spec_release(&spec);
                return -1;
            }
        }
        cJSON_AddItemToObject(out, r->string, cJSON_Duplicate(r, 1));
        n++;
    }
    registry_opts_init(&ro);
    ro.tls_verify = cb->o->tls_verify;
    rc = cache_transfer_export(cb->store, &spec, out, &ro, err);
    if (rc == 0)
        progress_line("exported %zu cache records to %s", n, cb->o->cache_to);
    cache_transfer_spec_release(&spec);
    return rc;
}
