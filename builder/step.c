/*
 * One recipe instruction: its cache key, a cache hit, or the work (RUN in the
 * sandbox, COPY/ADD through an overlay, or a config change), then a cache
 * record that makes the next build of the same step a hit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/build_internal.h"
#include "builder/cachekey.h"
#include "builder/copy.h"
#include "builder/expand.h"
#include "builder/overlay.h"
#include "builder/sandbox.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/cache.h"
#include "store/image.h"
#include "store/layer.h"
#include "store/snapshot.h"
#include "store/txn.h"

#define STEP_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *
step_flag(const struct parse_instr *in, const char *name)
{
    size_t nl = strlen(name), i;

    for (i = 0; i < in->flags.n; i++) {
        const char *f = in->flags.v[i];
        if (strncmp(f, "--", 2) || strncmp(f + 2, name, nl))
            continue;
        if (f[2 + nl] == '=')
            return f + 3 + nl;
        if (f[2 + nl] == '\0')
            return "";
    }
    return NULL;
}

static cJSON *
step_cfg(const struct stage *st)
{
    return cJSON_GetObjectItemCaseSensitive(st->config, "config");
}

void
step_vars(const struct stage *st, struct strvec *out)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(step_cfg(st), "Env");
    const cJSON *e;
    size_t i;

    cJSON_ArrayForEach(e, env)
    {
        if (cJSON_IsString(e))
            strvec_push(out, e->valuestring);
    }
    for (i = 0; i < st->args.n; i++) {
        const char *eq = strchr(st->args.v[i], '=');
        cleanup_free char *k = xstrndup(st->args.v[i], (size_t)(eq - st->args.v[i]));
        if (!strvec_getenv(out, k))
            strvec_push(out, st->args.v[i]);
    }
}

/* ---- cache records ---------------------------------------------------- */

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
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(st->config, "history"),
                         cJSON_Duplicate(hist, 1));
    if (cJSON_IsObject(layer)) {
        struct oci_descriptor d = { 0 };
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

/* A record is usable when it is well-formed and its layer blob is present. */
static int
step_record_ok(const struct store *s, const cJSON *rec)
{
    const cJSON *layer = cJSON_GetObjectItemCaseSensitive(rec, "layer");
    struct error e;
    long long size = 0;

    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rec, "config")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rec, "history")))
        return 0;
    if (!layer || cJSON_IsNull(layer))
        return 1;
    error_init(&e);
    if (!json_string(layer, "mediaType", 1, "", &e) ||
        json_int(layer, "size", 1, &size, "", &e) < 0)
        return 0;
    {
        const char *dg = json_string(layer, "digest", 1, "", &e);
        const char *di = json_string(layer, "diff_id", 1, "", &e);
        if (!dg || !di || digest_validate(dg, &e) < 0 || digest_validate(di, &e) < 0)
            return 0;
        return blob_exists(s, dg);
    }
}

/* Returns 1 when the step was a cache hit (and is applied), 0 on a miss. */
static int
step_try_cache(struct build *b, struct stage *st, const struct parse_instr *in, const char *key)
{
    cleanup_buf struct buf rec = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    struct error e;

    if (b->o->no_cache)
        return 0;
    error_init(&e);
    if (cache_get(b->store, key, &rec, &e) != 0)
        return 0;
    j = cJSON_ParseWithLength(buf_cstr(&rec), rec.len);
    if (!j || !step_record_ok(b->store, j)) {
        log_debug("cache record %s unusable, rebuilding the step", key);
        return 0;
    }
    step_apply(st, j, key);
    progress_line("[%s%zu/%zu] CACHED %s", st->label, st->step_no, st->nsteps, in->original);
    return 1;
}

struct step_out {
    cJSON *config;             /* new "config" object (owned) */
    const char *created_by;
    const struct layer_info *layer;
    cJSON *provenance;         /* owned */
    const char *author;
};

static int
step_commit(struct build *b, struct stage *st, const char *key, struct step_out *o,
            struct error *err)
{
    cleanup_cjson cJSON *rec = cJSON_CreateObject();
    cleanup_free char *text = NULL;
    cJSON *hist;
    char when[32];

    oci_time_format(b->now, when);
    cJSON_AddStringToObject(rec, "key", key);
    cJSON_AddItemToObject(rec, "config", o->config);
    o->config = NULL;
    if (o->author)
        cJSON_AddStringToObject(rec, "author", o->author);
    hist = json_add_object(rec, "history");
    cJSON_AddStringToObject(hist, "created", when);
    cJSON_AddStringToObject(hist, "created_by", o->created_by);
    cJSON_AddStringToObject(hist, "comment", "strata");
    if (o->layer && o->layer->entries) {
        cJSON *l = json_add_object(rec, "layer");
        cJSON_AddStringToObject(l, "mediaType", o->layer->media_type);
        cJSON_AddStringToObject(l, "digest", o->layer->digest);
        cJSON_AddNumberToObject(l, "size", (double)o->layer->size);
        cJSON_AddStringToObject(l, "diff_id", o->layer->diff_id);
    } else {
        cJSON_AddTrueToObject(hist, "empty_layer");
    }
    if (o->provenance)
        cJSON_AddItemToObject(rec, "provenance", o->provenance);
    o->provenance = NULL;
    text = json_print(rec);
    if (cache_put(b->store, key, text, err) < 0)
        return -1;
    step_apply(st, rec, key);
    return 0;
}

static cJSON *
step_provenance(const struct stage *st, const struct parse_instr *in, const char *key)
{
    cJSON *p = cJSON_CreateObject();

    cJSON_AddStringToObject(p, "instruction", in->original);
    cJSON_AddNumberToObject(p, "line", in->line);
    cJSON_AddStringToObject(p, "key", key);
    cJSON_AddStringToObject(p, "parent", st->key);
    if (st->base[0])
        cJSON_AddStringToObject(p, "base", st->base);
    return p;
}

/* ---- metadata instructions --------------------------------------------- */

static cJSON *
step_obj(cJSON *cfg, const char *key)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(cfg, key);

    if (!cJSON_IsObject(o)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
        o = json_add_object(cfg, key);
    }
    return o;
}

static void
step_set(cJSON *cfg, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItemCaseSensitive(cfg, key))
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, key, value);
    else
        cJSON_AddItemToObject(cfg, key, value);
}

static void
step_env_set(cJSON *cfg, const char *k, const char *v)
{
    cJSON *env = cJSON_GetObjectItemCaseSensitive(cfg, "Env");
    cJSON *e;
    size_t kl = strlen(k);
    cleanup_free char *kv = xasprintf("%s=%s", k, v);

    if (!cJSON_IsArray(env)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "Env");
        env = json_add_array(cfg, "Env");
    }
    cJSON_ArrayForEach(e, env)
    {
        if (cJSON_IsString(e) && !strncmp(e->valuestring, k, kl) && e->valuestring[kl] == '=') {
            cJSON_SetValuestring(e, kv);
            return;
        }
    }
    cJSON_AddItemToArray(env, cJSON_CreateString(kv));
}

/* The shell used for shell-form commands: config Shell or /bin/sh -c. */
static void
step_shell(const cJSON *cfg, struct strvec *out)
{
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(cfg, "Shell");
    const cJSON *e;

    cJSON_ArrayForEach(e, sh)
    {
        if (cJSON_IsString(e))
            strvec_push(out, e->valuestring);
    }
    if (!out->n) {
        strvec_push(out, "/bin/sh");
        strvec_push(out, "-c");
    }
}

static cJSON *
step_command(const cJSON *cfg, const struct parse_instr *in, size_t from)
{
    cJSON *a = cJSON_CreateArray();
    size_t i;

    if (!in->json) {
        cleanup_strvec struct strvec sh = STRVEC_INIT;
        step_shell(cfg, &sh);
        for (i = 0; i < sh.n; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(sh.v[i]));
    }
    for (i = from; i < in->args.n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(in->args.v[i]));
    return a;
}

/* Go's time.ParseDuration subset used by HEALTHCHECK: "1h2m3.5s", "300ms". */
static int
step_duration(const char *s, long long *ns)
{
    double total = 0;
    const char *p = s;

    if (!*p)
        return -1;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        double unit;
        if (end == p)
            return -1;
        p = end;
        if (!strncmp(p, "ns", 2)) unit = 1, p += 2;
        else if (!strncmp(p, "us", 2)) unit = 1e3, p += 2;
        else if (!strncmp(p, "ms", 2)) unit = 1e6, p += 2;
        else if (*p == 's') unit = 1e9, p++;
        else if (*p == 'm') unit = 60e9, p++;
        else if (*p == 'h') unit = 3600e9, p++;
        else if (v == 0 && !*p) unit = 0;
        else return -1;
        total += v * unit;
    }
    *ns = (long long)total;
    return 0;
}

static int
step_healthcheck(const struct parse_instr *in, cJSON *cfg, const char *where, struct error *err)
{
    static const char *const durs[][2] = { { "interval", "Interval" },
                                           { "timeout", "Timeout" },
                                           { "start-period", "StartPeriod" },
                                           { "start-interval", "StartInterval" } };
    cJSON *hc = cJSON_CreateObject();
    size_t i;

    step_set(cfg, "Healthcheck", hc);
    if (!in->args.n || !strcasecmp(in->args.v[0], "NONE")) {
        cJSON *t = json_add_array(hc, "Test");
        cJSON_AddItemToArray(t, cJSON_CreateString("NONE"));
        return 0;
    }
    if (strcasecmp(in->args.v[0], "CMD") != 0)
        return error_input(err, "%s: HEALTHCHECK: unknown type \"%s\" (CMD or NONE)", where,
                           in->args.v[0]);
    {
        cJSON *t = json_add_array(hc, "Test");
        cJSON_AddItemToArray(t, cJSON_CreateString(in->json ? "CMD" : "CMD-SHELL"));
        for (i = 1; i < in->args.n; i++)
            cJSON_AddItemToArray(t, cJSON_CreateString(in->args.v[i]));
    }
    for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        const char *v = step_flag(in, durs[i][0]);
        long long ns;
        if (!v)
            continue;
        if (step_duration(v, &ns) < 0)
            return error_input(err, "%s: HEALTHCHECK --%s=%s: not a duration", where,
                               durs[i][0], v);
        if (ns)
            cJSON_AddNumberToObject(hc, durs[i][1], (double)ns);
    }
    if (step_flag(in, "retries")) {
        char *end;
        long r = strtol(step_flag(in, "retries"), &end, 10);
        if (*end || r < 0)
            return error_input(err, "%s: HEALTHCHECK --retries: not a number", where);
        if (r)
            cJSON_AddNumberToObject(hc, "Retries", (double)r);
    }
    return 0;
}

static int
step_pairs(struct build *b, const struct parse_instr *in, const struct strvec *vars, cJSON *cfg,
           int env, const char *where, struct error *err)
{
    size_t i;

    if (in->args.n < 3 || in->args.n % 3)
        return error_input(err, "%s: %s needs KEY=VALUE pairs", where, env ? "ENV" : "LABEL");
    for (i = 0; i + 2 < in->args.n; i += 3) {
        cleanup_free char *k = NULL, *v = NULL;
        if (expand_word(in->args.v[i], b->recipe.escape, vars, &k, err) < 0 ||
            expand_word(in->args.v[i + 1], b->recipe.escape, vars, &v, err) < 0)
            return error_wrap(err, "%s", where);
        if (!*k)
            return error_input(err, "%s: %s: empty name", where, env ? "ENV" : "LABEL");
        if (env)
            step_env_set(cfg, k, v);
        else
            json_set_string(step_obj(cfg, "Labels"), k, v);
    }
    return 0;
}

static int
step_words(struct build *b, const struct parse_instr *in, const struct strvec *vars,
           struct strvec *out, const char *where, struct error *err)
{
    size_t i;

    for (i = 0; i < in->args.n; i++) {
        char *w = NULL;
        if (expand_word(in->args.v[i], b->recipe.escape, vars, &w, err) < 0)
            return error_wrap(err, "%s", where);
        strvec_push_owned(out, w);
    }
    return 0;
}

static int
step_expose(struct build *b, const struct parse_instr *in, const struct strvec *vars, cJSON *cfg,
            const char *where, struct error *err)
{
    cleanup_strvec struct strvec w = STRVEC_INIT;
    cJSON *ports;
    size_t i;

    if (step_words(b, in, vars, &w, where, err) < 0)
        return -1;
    ports = step_obj(cfg, "ExposedPorts");
    for (i = 0; i < w.n; i++) {
        cleanup_free char *p = strchr(w.v[i], '/') ? xstrdup(w.v[i])
                                                   : xasprintf("%s/tcp", w.v[i]);
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 0 || n > 65535 || (*end != '/' && *end != '-'))
            return error_input(err, "%s: EXPOSE: invalid port \"%s\"", where, w.v[i]);
        if (!cJSON_GetObjectItemCaseSensitive(ports, p))
            json_add_object(ports, p);
    }
    return 0;
}

static int
step_meta_apply(struct build *b, struct stage *st, const struct parse_instr *in, cJSON *cfg,
                const char **author, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    cleanup_strvec struct strvec w = STRVEC_INIT;
    const char *k = in->keyword;
    char where[256];
    size_t i;

    step_where(b, in, where, sizeof(where));
    step_vars(st, &vars);
    if (!strcmp(k, "env") || !strcmp(k, "label"))
        return step_pairs(b, in, &vars, cfg, !strcmp(k, "env"), where, err);
    if (!strcmp(k, "expose"))
        return step_expose(b, in, &vars, cfg, where, err);
    if (!strcmp(k, "cmd") || !strcmp(k, "entrypoint")) {
        step_set(cfg, !strcmp(k, "cmd") ? "Cmd" : "Entrypoint", step_command(cfg, in, 0));
        if (!strcmp(k, "cmd"))
            st->cmd_set = 1;
        else if (!st->cmd_set) /* Dockerfile reference: ENTRYPOINT resets an inherited CMD */
            step_set(cfg, "Cmd", cJSON_CreateNull());
        return 0;
    }
    if (!strcmp(k, "healthcheck"))
        return step_healthcheck(in, cfg, where, err);
    if (!strcmp(k, "shell")) {
        if (!in->json || !in->args.n)
            return error_input(err, "%s: SHELL requires the JSON form, e.g. [\"/bin/sh\", \"-c\"]",
                               where);
        step_set(cfg, "Shell", step_command(cfg, in, 0));
        return 0;
    }
    if (!strcmp(k, "onbuild")) {
        cJSON *ob = cJSON_GetObjectItemCaseSensitive(cfg, "OnBuild");
        const char *text = in->original + strlen("onbuild");
        while (*text == ' ' || *text == '\t')
            text++;
        if (!cJSON_IsArray(ob)) {
            cJSON_DeleteItemFromObjectCaseSensitive(cfg, "OnBuild");
            ob = json_add_array(cfg, "OnBuild");
        }
        cJSON_AddItemToArray(ob, cJSON_CreateString(text));
        return 0;
    }
    if (step_words(b, in, &vars, &w, where, err) < 0)
        return -1;
    if (!strcmp(k, "volume")) {
        cJSON *vols = step_obj(cfg, "Volumes");
        for (i = 0; i < w.n; i++)
            if (*w.v[i] && !cJSON_GetObjectItemCaseSensitive(vols, w.v[i]))
                json_add_object(vols, w.v[i]);
        return 0;
    }
    if (!w.n || !*w.v[0])
        return error_input(err, "%s: %s needs an argument", where, k);
    if (!strcmp(k, "workdir")) {
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(cfg, "WorkingDir");
        cleanup_free char *joined = w.v[0][0] == '/' ? xstrdup(w.v[0])
            : fs_join(cJSON_IsString(cur) && *cur->valuestring ? cur->valuestring : "/",
                      w.v[0]);
        cleanup_free char *clean = context_clean(joined, err);
        cleanup_free char *abs = clean ? (strcmp(clean, ".") ? xasprintf("/%s", clean)
                                                              : xstrdup("/"))
                                       : NULL;
        if (!abs)
            return error_wrap(err, "%s", where);
        json_set_string(cfg, "WorkingDir", abs);
    } else if (!strcmp(k, "user")) {
        json_set_string(cfg, "User", w.v[0]);
    } else if (!strcmp(k, "stopsignal")) {
        json_set_string(cfg, "StopSignal", w.v[0]);
    } else if (!strcmp(k, "maintainer")) {
        *author = in->original + strlen("maintainer ");
    } else {
        return error_input(err, "%s: unknown instruction %s", where, k);
    }
    return 0;
}

static int
step_meta(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    cleanup_cjson cJSON *cfg = cJSON_Duplicate(step_cfg(st), 1);
    cleanup_free char *desc = NULL;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    const char *author = NULL;
    struct step_out o = { 0 };

    if (step_meta_apply(b, st, in, cfg, &author, err) < 0)
        return -1;
    /* the key covers the resulting config, so expansions are part of it */
    desc = json_print(cfg);
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", in->original);
    cachekey_add(&k, "config", desc);
    cachekey_add(&k, "author", author ? author : "");
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    progress_line("[%s%zu/%zu] %s", st->label, st->step_no, st->nsteps, in->original);
    o.config = steal_ptr(&cfg);
    o.created_by = in->original;
    o.author = author;
    o.provenance = step_provenance(st, in, key);
    return step_commit(b, st, key, &o, err);
}

static int
step_arg(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    cleanup_strvec struct strvec before = STRVEC_INIT;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    struct step_out o = { 0 };

    step_vars(st, &vars);
    strvec_copy(&before, &st->args);
    if (build_declare_args(b, in, &vars, &b->global_args, &st->args, err) < 0)
        return -1;
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", in->original);
    cachekey_add_vec(&k, "args", &st->args);
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    progress_line("[%s%zu/%zu] %s", st->label, st->step_no, st->nsteps, in->original);
    o.config = cJSON_Duplicate(step_cfg(st), 1);
    o.created_by = in->original;
    o.provenance = step_provenance(st, in, key);
    return step_commit(b, st, key, &o, err);
}

/* ---- steps with a filesystem change ------------------------------------ */

struct step_dir {
    char *root; /* tmp/<pid>-<n>-step */
    char *upper, *work, *merged, *links;
    struct strvec lowers; /* snapshot paths, top-most first */
};

static void
step_dir_release(struct step_dir *d)
{
    if (d->root)
        txn_discard(d->root);
    free(d->root);
    free(d->upper);
    free(d->work);
    free(d->merged);
    free(d->links);
    strvec_release(&d->lowers);
    memset(d, 0, sizeof(*d));
}

/* Makes sure every layer of a stage is unpacked; lists them top-most first. */
static int
step_lowers(struct build *b, const struct stage *st, struct strvec *out, struct error *err)
{
    size_t i;

    for (i = st->layers.nlayers; i-- > 0;) {
        if (snapshot_ensure(b->store, st->layers.layers[i].digest, st->diff_ids.v[i], err) < 0)
            return -1;
        strvec_push_owned(out, snapshot_path(b->store, st->diff_ids.v[i]));
    }
    return 0;
}

static int
step_dir_make(struct build *b, const struct stage *st, struct step_dir *d, struct error *err)
{
    static const char *const subs[] = { "upper", "work", "merged", "links" };
    size_t i;

    memset(d, 0, sizeof(*d));
    d->root = txn_tmp_path(b->store->tmp, "step");
    if (mkdir(d->root, 0700) < 0)
        return error_set(err, errno, "mkdir %s", d->root);
    for (i = 0; i < 4; i++) {
        cleanup_free char *p = fs_join(d->root, subs[i]);
        if (mkdir(p, 0755) < 0)
            return error_set(err, errno, "mkdir %s", p);
    }
    d->upper = fs_join(d->root, "upper");
    d->work = fs_join(d->root, "work");
    d->merged = fs_join(d->root, "merged");
    d->links = fs_join(d->root, "links");
    return step_lowers(b, st, &d->lowers, err);
}

static void
step_overlay_spec(const struct step_dir *d, struct overlay_spec *o)
{
    memset(o, 0, sizeof(*o));
    o->lowers = (const char *const *)d->lowers.v;
    o->nlowers = d->lowers.n;
    o->upper = d->upper;
    o->work = d->work;
    o->merged = d->merged;
    o->linkdir = d->links;
    o->userxattr = geteuid() != 0;
}

/* Captures the step's upper dir and records the step. */
static int
step_capture(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
             struct step_dir *d, const char *created_by, cJSON *prov, struct error *err)
{
    struct tar_write_opts opts;
    struct layer_info info;
    struct step_out o = { 0 };

    tar_write_opts_init(&opts);
    opts.compression = b->o->compression;
    opts.clamp_mtime = b->o->source_date_epoch;
    if (layer_capture(b->store, d->upper, &opts, &info, err) < 0) {
        cJSON_Delete(prov);
        return error_wrap(err, "%s:%d", b->recipe.file, in->line);
    }
    if (info.entries) {
        cJSON_AddStringToObject(prov, "diff_id", info.diff_id);
        cJSON_AddStringToObject(prov, "digest", info.digest);
    }
    o.config = cJSON_Duplicate(step_cfg(st), 1);
    o.created_by = created_by;
    o.layer = &info;
    o.provenance = prov;
    return step_commit(b, st, key, &o, err);
}

struct step_run_ctx {
    const char *prefix;
};

static void
step_on_output(void *opaque, const char *line, size_t len)
{
    const struct step_run_ctx *c = opaque;

    progress_output(c->prefix, line, len);
}

static void
step_run_argv(const struct stage *st, const struct parse_instr *in, struct strvec *argv)
{
    size_t i;

    if (in->json) {
        strvec_copy(argv, &in->args);
        return;
    }
    step_shell(step_cfg(st), argv);
    if (in->nheredocs && in->args.n && !strncmp(in->args.v[0], "<<", 2) &&
        !strchr(in->args.v[0], ' ')) {
        /* RUN <<EOF: the heredoc is the script */
        strvec_push(argv, in->heredocs[0].content);
        return;
    }
    {
        struct buf script = BUF_INIT;
        buf_adds(&script, in->args.n ? in->args.v[0] : "");
        for (i = 0; i < in->nheredocs; i++)
            buf_addf(&script, "\n%s%s", in->heredocs[i].content, in->heredocs[i].name);
        strvec_push_owned(argv, buf_detach(&script));
    }
}

static void
step_run_env(const struct stage *st, struct strvec *env)
{
    step_vars(st, env);
    if (!strvec_getenv(env, "PATH"))
        strvec_setenv(env, "PATH", STEP_DEFAULT_PATH);
}

static int
step_run_exec(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
              struct sandbox_spec *spec, struct error *err)
{
    struct step_dir d;
    struct sandbox_result res;
    cleanup_free char *prefix = xasprintf("[%s%zu/%zu]", st->label, st->step_no, st->nsteps);
    struct step_run_ctx rc = { prefix };
    double t0 = log_now_ms();
    cJSON *prov;
    int r;

    progress_line("%s %s", prefix, in->original);
    if (step_dir_make(b, st, &d, err) < 0) {
        step_dir_release(&d);
        return -1;
    }
    step_overlay_spec(&d, &spec->overlay);
    spec->on_output = step_on_output;
    spec->opaque = &rc;
    memset(&res, 0, sizeof(res));
    if (sandbox_run(spec, &res, err) < 0) {
        step_dir_release(&d);
        return error_wrap(err, "%s:%d:%d: %s", b->recipe.file, in->line, in->col, in->original);
    }
    if (res.exit_code != 0) {
        step_dir_release(&d);
        return error_set(err, 0, "%s:%d:%d: %s: exit code %d%s%s", b->recipe.file, in->line,
                         in->col, in->original, res.exit_code, res.tail[0] ? "; last output:\n" : "",
                         res.tail);
    }
    prov = step_provenance(st, in, key);
    r = step_capture(b, st, in, key, &d, in->original, prov, err);
    step_dir_release(&d);
    if (r == 0)
        progress_line("%s DONE %.3fs", prefix, (log_now_ms() - t0) / 1000.0);
    return r;
}

static int
step_run(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    cleanup_strvec struct strvec argv = STRVEC_INIT;
    cleanup_strvec struct strvec env = STRVEC_INIT;
    const cJSON *cfg = step_cfg(st);
    const char *user = json_string(cfg, "User", 0, "", err);
    const char *wd = json_string(cfg, "WorkingDir", 0, "", err);
    const char *net = step_flag(in, "network");
    struct sandbox_spec spec;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    char where[256];

    step_where(b, in, where, sizeof(where));
    memset(&spec, 0, sizeof(spec));
    spec.net = b->o->network;
    if (net && !strcmp(net, "none"))
        spec.net = SANDBOX_NET_NONE;
    else if (net && strcmp(net, "host") && strcmp(net, "default"))
        return error_input(err, "%s: RUN --network=%s: use none, host or default", where, net);
    if (step_flag(in, "mount"))
        return error_input(err, "%s: RUN --mount is not supported yet", where);
    step_run_argv(st, in, &argv);
    step_run_env(st, &env);
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", "run");
    cachekey_add_vec(&k, "argv", &argv);
    cachekey_add_vec(&k, "env", &env);
    cachekey_add(&k, "user", user ? user : "");
    cachekey_add(&k, "workdir", wd ? wd : "/");
    cachekey_add(&k, "network", spec.net == SANDBOX_NET_NONE ? "none" : "host");
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    spec.argv = strvec_argv(&argv);
    spec.env = strvec_argv(&env);
    spec.cwd = wd && *wd ? wd : "/";
    spec.user = user;
    spec.hostname = "strata";
    return step_run_exec(b, st, in, key, &spec, err);
}

/* ---- COPY / ADD --------------------------------------------------------- */

struct step_copy {
    struct build *b;
    const struct stage *from;     /* --from stage, or NULL */
    struct step_dir *d;
    struct copy_job job;
};

static int
step_copy_child(const char *merged, void *arg, struct error *err)
{
    struct step_copy *c = arg;
    cleanup_close int rootfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int srcfd = -1;

    if (rootfd < 0)
        return error_set(err, errno, "open %s", merged);
    if (c->from) {
        cleanup_free char *fu = fs_join(c->d->root, "from-upper");
        cleanup_free char *fw = fs_join(c->d->root, "from-work");
        cleanup_free char *fm = fs_join(c->d->root, "from");
        cleanup_free char *fl = fs_join(c->d->root, "from-links");
        cleanup_strvec struct strvec lowers = STRVEC_INIT;
        struct overlay_spec o;
        size_t i;

        for (i = c->from->diff_ids.n; i-- > 0;)
            strvec_push_owned(&lowers, snapshot_path(c->b->store, c->from->diff_ids.v[i]));
        if (mkdir(fu, 0755) < 0 || mkdir(fw, 0755) < 0 || mkdir(fm, 0755) < 0)
            return error_set(err, errno, "mkdir %s", fu);
        memset(&o, 0, sizeof(o));
        o.lowers = (const char *const *)lowers.v;
        o.nlowers = lowers.n;
        o.upper = fu;
        o.work = fw;
        o.merged = fm;
        o.linkdir = fl;
        o.userxattr = geteuid() != 0;
        if (overlay_mount(&o, err) < 0)
            return -1;
        srcfd = open(fm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (srcfd < 0)
            return error_set(err, errno, "open %s", fm);
        c->job.src_root = srcfd;
    }
    return copy_run(rootfd, &c->job, err);
}

/*
 * Resolves the sources and hashes them into srcd (the provenance digest of
 * the inputs), which then goes into the step key k.
 */
static int
step_copy_sources(struct build *b, const struct parse_instr *in, const struct stage *from,
                  const struct strvec *words, struct strvec *srcs, struct cachekey *k,
                  char srcd[DIGEST_STR_LEN + 1], const char *where, struct error *err)
{
    struct cachekey sk;
    size_t i;

    for (i = 0; i + 1 < words->n; i++) {
        const char *w = words->v[i];
        if (!strncmp(w, "http://", 7) || !strncmp(w, "https://", 8) || !strncmp(w, "git@", 4))
            return error_input(err, "%s: %s from a URL is not supported yet: %s", where,
                               in->keyword, w);
        if (from) {
            char *c = context_clean(w, err);
            if (!c)
                return error_wrap(err, "%s", where);
            strvec_push_owned(srcs, c);
        } else if (context_match(&b->ctx, w, srcs, err) < 0) {
            return error_wrap(err, "%s", where);
        }
    }
    cachekey_init(&sk, "sources");
    cachekey_add_vec(&sk, "paths", srcs);
    if (from)
        cachekey_add(&sk, "from", from->key);
    for (i = 0; !from && i < srcs->n; i++) {
        if (context_hash(&b->ctx, srcs->v[i], &sk, err) < 0) {
            digest_release(&sk.d);
            return error_wrap(err, "%s", where);
        }
    }
    cachekey_final(&sk, srcd);
    cachekey_add(k, "sources", srcd);
    return 0;
}

static int
step_copy(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    cleanup_strvec struct strvec words = STRVEC_INIT;
    cleanup_strvec struct strvec srcs = STRVEC_INIT;
    cleanup_free char *dest = NULL;
    const char *from_ref = step_flag(in, "from");
    const char *chmod_s = step_flag(in, "chmod");
    const struct stage *from = NULL;
    struct step_copy c;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1], where[256], srcd[DIGEST_STR_LEN + 1];
    int add = !strcmp(in->keyword, "add");
    const cJSON *wd = cJSON_GetObjectItemCaseSensitive(step_cfg(st), "WorkingDir");
    size_t i;

    step_where(b, in, where, sizeof(where));
    memset(&c, 0, sizeof(c));
    c.job.chmod = -1;
    step_vars(st, &vars);
    if (step_words(b, in, &vars, &words, where, err) < 0)
        return -1;
    if (in->nheredocs)
        return error_input(err, "%s: %s with a heredoc is not supported yet", where, in->keyword);
    if (words.n < 2)
        return error_input(err, "%s: %s needs a source and a destination", where, in->keyword);
    if (from_ref) {
        from = build_find_stage(b, from_ref);
        if (!from || from->index >= st->index || !from->done)
            return error_input(err, "%s: --from=%s: no such earlier stage (images as --from "
                               "are not supported yet)", where, from_ref);
    }
    if (chmod_s) {
        char *end;
        c.job.chmod = strtol(chmod_s, &end, 8);
        if (!*chmod_s || *end || c.job.chmod < 0 || c.job.chmod > 07777)
            return error_input(err, "%s: --chmod=%s: expected an octal mode", where, chmod_s);
    }
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", in->keyword);
    for (i = 0; i < in->flags.n; i++)
        cachekey_add(&k, "flag", in->flags.v[i]);
    cachekey_add_vec(&k, "words", &words);
    cachekey_add(&k, "workdir", cJSON_IsString(wd) ? wd->valuestring : "/");
    if (step_copy_sources(b, in, from, &words, &srcs, &k, srcd, where, err) < 0) {
        digest_release(&k.d);
        return -1;
    }
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    {
        const char *dw = words.v[words.n - 1];
        size_t dl = strlen(dw);
        cleanup_free char *joined = dw[0] == '/' ? xstrdup(dw)
            : fs_join(cJSON_IsString(wd) && *wd->valuestring ? wd->valuestring : "/", dw);
        cleanup_free char *clean = context_clean(joined, err);
        if (!clean)
            return error_wrap(err, "%s", where);
        dest = strcmp(clean, ".") ? xasprintf("/%s", clean) : xstrdup("/");
        c.job.dest_is_dir = (dl && dw[dl - 1] == '/') || srcs.n > 1 || !strcmp(dest, "/") ||
                            (dl >= 2 && !strcmp(dw + dl - 2, "/.")) || !strcmp(dw, ".");
        for (i = 0; i + 1 < words.n; i++)
            if (strpbrk(words.v[i], "*?["))
                c.job.dest_is_dir = 1;
    }
    {
        struct step_dir d;
        double t0 = log_now_ms();
        cJSON *prov;
        cleanup_free char *prefix = xasprintf("[%s%zu/%zu]", st->label, st->step_no, st->nsteps);
        int r;

        progress_line("%s %s", prefix, in->original);
        if (step_dir_make(b, st, &d, err) < 0) {
            step_dir_release(&d);
            return -1;
        }
        if (from) {
            cleanup_strvec struct strvec tmp = STRVEC_INIT;
            if (step_lowers(b, from, &tmp, err) < 0) {
                step_dir_release(&d);
                return -1;
            }
        }
        c.b = b;
        c.from = from;
        c.d = &d;
        c.job.src_root = b->ctx.fd;
        c.job.ignore = from ? NULL : &b->ctx;
        c.job.sources = &srcs;
        c.job.dest = dest;
        c.job.chown = step_flag(in, "chown");
        c.job.extract = add;
        {
            struct overlay_spec o;
            step_overlay_spec(&d, &o);
            r = overlay_run(&o, step_copy_child, &c, err);
        }
        if (r < 0) {
            step_dir_release(&d);
            return error_wrap(err, "%s: %s", where, in->original);
        }
        prov = step_provenance(st, in, key);
        cJSON_AddStringToObject(prov, "sources", srcd);
        r = step_capture(b, st, in, key, &d, in->original, prov, err);
        step_dir_release(&d);
        if (r == 0)
            progress_line("%s DONE %.3fs", prefix, (log_now_ms() - t0) / 1000.0);
        return r;
    }
}

int
step_exec(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    const char *k = in->keyword;

    if (!strcmp(k, "run"))
        return step_run(b, st, in, err);
    if (!strcmp(k, "copy") || !strcmp(k, "add"))
        return step_copy(b, st, in, err);
    if (!strcmp(k, "arg"))
        return step_arg(b, st, in, err);
    if (!strcmp(k, "from")) {
        char where[256];
        step_where(b, in, where, sizeof(where));
        return error_input(err, "%s: unexpected FROM", where);
    }
    return step_meta(b, st, in, err);
}
