#include "builder/engine/build.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "builder/engine/build_internal.h"
#include "builder/recipe/expand.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/cache.h"
#include "store/image.h"
#include "store/remote.h"
#include "store/index.h"

#define BUILD_RECIPE_MAX (16u << 20)
#define BUILD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void
build_opts_init(struct build_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->compression = COMPRESS_ZSTD;
    o->network = SANDBOX_NET_HOST;
    o->source_date_epoch = -1;
    o->tls_verify = 1;
}

void
build_opts_release(struct build_opts *o)
{
    strvec_release(&o->tags);
    strvec_release(&o->build_args);
    strvec_release(&o->secrets);
    strvec_release(&o->cache_from);
    strvec_release(&o->no_cache_filter);
}

void
step_where(const struct build *b, const struct parse_instr *in, char *out, size_t n)
{
    snprintf(out, n, "%s:%d:%d", b->recipe.file, in->line, in->col);
}

void
stage_release(struct stage *st)
{
    free(st->name);
    free(st->label);
    free(st->deps);
    parse_recipe_release(&st->onbuild);
    if (st->inputs)
        cJSON_Delete(st->inputs);
    if (st->config)
        cJSON_Delete(st->config);
    oci_manifest_release(&st->layers);
    strvec_release(&st->diff_ids);
    strvec_release(&st->args);
}

static void
build_release(struct build *b)
{
    size_t i;

    for (i = 0; i < b->nstages; i++)
        stage_release(&b->stages[i]);
    free(b->stages);
    parse_recipe_release(&b->recipe);
    context_release(&b->ctx);
    strvec_release(&b->global_args);
    strvec_release(&b->used_args);
    hashmemo_release(&b->memo);
    for (i = 0; i < b->nsources; i++)
        cache_transfer_close(&b->sources[i]);
    free(b->sources);
    cJSON_Delete(b->used);
    cJSON_Delete(b->used_stage);
    cJSON_Delete(b->last);
    cJSON_Delete(b->now_keys);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->cond);
}

struct stage *
build_find_stage(struct build *b, const char *ref)
{
    char *end;
    unsigned long idx;
    size_t i;

    for (i = 0; i < b->nstages; i++)
        if (b->stages[i].name && !strcasecmp(b->stages[i].name, ref))
            return &b->stages[i];
    idx = strtoul(ref, &end, 10);
    if (*ref && !*end && idx < b->nstages)
        return &b->stages[idx];
    return NULL;
}

/* The value a build arg gets from the command line: 1 found, 0 not given. */
static int
build_arg_override(struct build *b, const char *key, const char **value)
{
    size_t kl = strlen(key), i;

    for (i = 0; i < b->o->build_args.n; i++) {
        const char *a = b->o->build_args.v[i];
        if (strncmp(a, key, kl) != 0 || (a[kl] != '=' && a[kl] != '\0'))
            continue;
        if (a[kl] == '=')
            *value = a + kl + 1;
        else
            *value = getenv(key);
        pthread_mutex_lock(&b->lock);
        if (!strvec_getenv(&b->used_args, key))
            strvec_setenv(&b->used_args, key, "1");
        pthread_mutex_unlock(&b->lock);
        return *value != NULL;
    }
    return 0;
}

/*
 * Declares the ARGs of in into scope: `ARG k=default` or `ARG k` (which
 * inherits a global ARG's value); --build-arg overrides both.
 */
int
build_declare_args(struct build *b, const struct parse_instr *in, const struct strvec *vars,
                   const struct strvec *globals, struct strvec *scope, struct error *err)
{
    size_t i;
    char where[256];

    step_where(b, in, where, sizeof(where));
    for (i = 0; i < in->args.n; i++) {
        const char *w = in->args.v[i];
        const char *eq = strchr(w, '=');
        cleanup_free char *key = xstrndup(w, eq ? (size_t)(eq - w) : strlen(w));
        cleanup_free char *val = NULL;
        const char *over = NULL;

        if (!*key)
            return error_input(err, "%s: ARG needs a name", where);
        if (eq && expand_word(eq + 1, b->recipe.escape, vars, &val, err) < 0)
            return error_wrap(err, "%s", where);
        if (!eq && globals && strvec_getenv(globals, key))
            val = xstrdup(strvec_getenv(globals, key));
        if (build_arg_override(b, key, &over)) {
            free(val);
            val = xstrdup(over);
        }
        if (val)
            strvec_setenv(scope, key, val);
        else if (!strvec_getenv(scope, key))
            strvec_setenv(scope, key, ""); /* declared without a value: empty */
    }
    return 0;
}

/* BuildKit's automatic platform ARGs, usable in FROM and by `ARG NAME` in a stage. */
static void
build_platform_args(struct build *b)
{
    cleanup_free char *plat = xasprintf("linux/%s", oci_arch());
    static const char *const kinds[] = {"TARGET", "BUILD"};
    size_t i;

    for (i = 0; i < 2; i++) {
        cleanup_free char *p = xasprintf("%sPLATFORM", kinds[i]);
        cleanup_free char *o = xasprintf("%sOS", kinds[i]);
        cleanup_free char *a = xasprintf("%sARCH", kinds[i]);
        cleanup_free char *v = xasprintf("%sVARIANT", kinds[i]);
        strvec_setenv(&b->global_args, p, plat);
        strvec_setenv(&b->global_args, o, "linux");
        strvec_setenv(&b->global_args, a, oci_arch());
        strvec_setenv(&b->global_args, v, "");
    }
}

static int
build_plan(struct build *b, struct error *err)
{
    size_t i;
    struct stage *st = NULL;
    char where[256];

    build_platform_args(b);
    for (i = 0; i < b->recipe.n; i++) {
        const struct parse_instr *in = &b->recipe.instrs[i];
        if (!strcmp(in->keyword, "from")) {
            b->stages = xrealloc(b->stages, (b->nstages + 1) * sizeof(*b->stages));
            st = &b->stages[b->nstages];
            memset(st, 0, sizeof(*st));
            st->index = b->nstages++;
            st->from = in;
            st->first = i + 1;
            st->end = i + 1;
            if (in->args.n >= 3 && !strcasecmp(in->args.v[1], "as")) {
                st->name = xstrdup(in->args.v[2]);
                for (char *p = st->name; *p; p++)
                    *p = (char)tolower((unsigned char)*p);
            }
            continue;
        }
        if (!st) {
            if (strcmp(in->keyword, "arg") != 0) {
                step_where(b, in, where, sizeof(where));
                return error_input(err, "%s: %s before the first FROM (only ARG may come first)",
                                   where, in->keyword);
            }
            if (build_declare_args(b, in, &b->global_args, NULL, &b->global_args, err) < 0)
                return -1;
            continue;
        }
        st->end = i + 1;
    }
    if (!b->nstages)
        return error_input(err, "%s: no FROM instruction", b->recipe.file);
    return 0;
}

void build_mark_needed(struct build *b, struct stage *st);

/* The from= of a RUN --mount=... flag (unexpanded), malloc'ed, or NULL. */
static char *
build_mount_from(const char *flag)
{
    const char *p = strstr(flag, "from=");

    if (strncmp(flag, "--mount=", 8) || !p || (p[-1] != ',' && p[-1] != '='))
        return NULL;
    return xstrndup(p + 5, strcspn(p + 5, ","));
}

/* The stage a --from= or FROM names, when it is a stage (else an image). */
static struct stage *
build_dep(struct build *b, const struct stage *st, const char *ref)
{
    struct stage *d = build_find_stage(b, ref);

    return d && d->index < st->index ? d : NULL;
}

static void
build_add_dep(struct build *b, struct stage *st, struct stage *d)
{
    size_t i;

    for (i = 0; i < st->ndeps; i++)
        if (st->deps[i] == d)
            return;
    st->deps = xrealloc(st->deps, (st->ndeps + 1) * sizeof(*st->deps));
    st->deps[st->ndeps++] = d;
    build_mark_needed(b, d);
}

void
build_mark_needed(struct build *b, struct stage *st)
{
    cleanup_free char *from = NULL;
    struct error ignored;
    size_t i;

    if (st->needed)
        return;
    st->needed = 1;
    error_init(&ignored);
    if (st->from->args.n &&
        expand_word(st->from->args.v[0], b->recipe.escape, &b->global_args, &from, &ignored) == 0) {
        struct stage *d = build_dep(b, st, from);
        if (d)
            build_add_dep(b, st, d);
    }
    for (i = st->first; i < st->end; i++) {
        const struct parse_instr *in = &b->recipe.instrs[i];
        const char *f = step_flag(in, "from");
        size_t j;
        if (f && (!strcmp(in->keyword, "copy") || !strcmp(in->keyword, "add"))) {
            struct stage *d = build_dep(b, st, f);
            if (d)
                build_add_dep(b, st, d);
        }
        for (j = 0; !strcmp(in->keyword, "run") && j < in->flags.n; j++) {
            /* RUN --mount=...,from=STAGE reads that stage too */
            cleanup_free char *name = build_mount_from(in->flags.v[j]);
            struct stage *d = name ? build_dep(b, st, name) : NULL;
            if (d)
                build_add_dep(b, st, d);
        }
    }
}

/*
 * --from=NAME (COPY/ADD) and RUN --mount from=NAME must name an earlier
 * stage or an image: a later stage would make a cycle, and a name that is
 * neither is a typo. Checked before any step runs (values with variables are
 * left to the step, which expands them).
 */
static int
build_check_ref(struct build *b, const struct stage *st, const struct parse_instr *in,
                const char *ref, struct error *err)
{
    struct stage *d = build_find_stage(b, ref);
    char where[256], digest[DIGEST_STR_LEN + 1];
    struct error e;

    step_where(b, in, where, sizeof(where));
    if (d && d->index >= st->index)
        return error_input(err,
                           "%s: --from=%s: stage \"%s\" comes %s (a stage reads only "
                           "earlier ones)",
                           where, ref, ref, d == st ? "is this stage" : "later");
    if (d || strchr(ref, '$'))
        return 0;
    error_init(&e);
    if (index_resolve(b->store, ref, digest, &e) == 0 ||
        (registry_ref_is_remote(ref) && strncmp(ref, "localhost/", 10)))
        return 0;
    return error_input(err, "%s: --from=%s: no stage or image of that name", where, ref);
}

static int
build_check_refs(struct build *b, struct error *err)
{
    size_t s, i, j;

    for (s = 0; s < b->nstages; s++) {
        struct stage *st = &b->stages[s];
        if (!st->needed)
            continue;
        for (i = st->first; i < st->end; i++) {
            const struct parse_instr *in = &b->recipe.instrs[i];
            const char *f = step_flag(in, "from");
            if (f && strcmp(in->keyword, "run") && build_check_ref(b, st, in, f, err) < 0)
                return -1;
            for (j = 0; !strcmp(in->keyword, "run") && j < in->flags.n; j++) {
                cleanup_free char *name = build_mount_from(in->flags.v[j]);
                if (name && build_check_ref(b, st, in, name, err) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

static int
build_read_recipe(struct build *b, struct error *err)
{
    cleanup_buf struct buf text = BUF_INIT;
    int from_stdin = !strcmp(b->o->recipe, "-"); /* -f - : the recipe on standard input */

    if ((from_stdin ? fs_read_fd_max(0, "standard input", BUILD_RECIPE_MAX, &text, err)
                    : fs_read_file_max(AT_FDCWD, b->o->recipe, BUILD_RECIPE_MAX, &text, err)) < 0) {
        if (err->sys_errno)
            err->exit_code = 2;
        return error_wrap(err, "recipe");
    }
    if (parse_recipe(from_stdin ? "<stdin>" : b->o->recipe, buf_cstr(&text), text.len, &b->recipe,
                     err) < 0)
        return -1;
    return parse_validate(&b->recipe, err);
}

static void
build_number_steps(struct build *b)
{
    size_t i, needed = 0;

    for (i = 0; i < b->nstages; i++)
        needed += b->stages[i].needed;
    for (i = 0; i < b->nstages; i++) {
        struct stage *st = &b->stages[i];
        st->nsteps = 1 + st->end - st->first;
        if (needed > 1 && st->name)
            st->label = xasprintf("%s ", st->name);
        else if (needed > 1)
            st->label = xasprintf("stage-%zu ", i);
        else
            st->label = xstrdup("");
    }
}

static void
build_pull_progress(void *opaque, const char *line)
{
    (void)opaque;
    progress_line("  %s", line);
}

/* A base that is not in the store but names a registry is pulled first. */
static int
build_pull(struct build *b, const char *ref, struct error *err)
{
    struct registry_opts ro;
    char digest[DIGEST_STR_LEN + 1];
    int rc;

    registry_opts_init(&ro);
    ro.tls_verify = b->o->tls_verify;
    ro.progress = build_pull_progress;
    pthread_mutex_lock(&b->lock); /* stages may pull the same base at once */
    rc = index_resolve(b->store, ref, digest, err);
    if (rc == 1) {
        progress_line("pulling %s", ref);
        rc = remote_pull(b->store, ref, NULL, &ro, digest, err);
    }
    pthread_mutex_unlock(&b->lock);
    return rc < 0 ? -1 : 0;
}

int
stage_from_image(struct build *b, struct stage *st, const char *ref, struct error *err)
{
    struct image img;
    int rc = image_load(b->store, ref, &img, err);
    size_t i;

    /* "localhost/NAME" without a port is a local name, as podman and buildah use it */
    if (rc == 1 && registry_ref_is_remote(ref) && strncmp(ref, "localhost/", 10) != 0) {
        if (build_pull(b, ref, err) < 0)
            return error_wrap(err, "image \"%s\" is not in the store and pulling it failed", ref);
        rc = image_load(b->store, ref, &img, err);
    }
    if (rc < 0)
        return -1;
    if (rc == 1)
        return error_set(err, 0,
                         "image \"%s\" is not in the store %s (make one with strata import, or "
                         "strata pull it)",
                         ref, b->store->root);
    st->config = steal_ptr(&img.config);
    for (i = 0; i < img.manifest.nlayers; i++)
        oci_manifest_add_layer(&st->layers, &img.manifest.layers[i]);
    strvec_copy(&st->diff_ids, &img.diff_ids);
    memcpy(st->key, img.digest, sizeof(st->key));
    memcpy(st->base, img.digest, sizeof(st->base));
    image_release(&img);
    return 0;
}

static int
stage_from_stage(struct stage *st, const struct stage *src)
{
    size_t i;

    st->config = cJSON_Duplicate(src->config, 1);
    for (i = 0; i < src->layers.nlayers; i++)
        oci_manifest_add_layer(&st->layers, &src->layers.layers[i]);
    strvec_copy(&st->diff_ids, &src->diff_ids);
    memcpy(st->key, src->key, sizeof(st->key));
    memcpy(st->base, src->base, sizeof(st->base));
    return 0;
}

/* Like BuildKit, a stage whose base sets no PATH gets the default one in its config. */
static void
stage_default_path(struct stage *st)
{
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(st->config, "config");
    cJSON *env = cJSON_GetObjectItemCaseSensitive(cfg, "Env");
    const cJSON *e;

    cJSON_ArrayForEach(e, env)
    {
        if (cJSON_IsString(e) && !strncmp(e->valuestring, "PATH=", 5))
            return;
    }
    if (!cJSON_IsArray(env)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "Env");
        env = json_add_array(cfg, "Env");
    }
    cJSON_InsertItemInArray(env, 0, cJSON_CreateString("PATH=" BUILD_DEFAULT_PATH));
}

/*
 * Dockerfile reference, ONBUILD: the base's triggers run right after FROM,
 * in order, and the new image does not inherit them.
 */
static int
stage_onbuild(struct build *b, struct stage *st, const char *ref, struct error *err)
{
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(st->config, "config");
    const cJSON *ob = cJSON_GetObjectItemCaseSensitive(cfg, "OnBuild"), *t;
    cleanup_buf struct buf text = BUF_INIT;
    cleanup_free char *name = xasprintf("ONBUILD of %s", ref);

    if (!cJSON_IsArray(ob) || !cJSON_GetArraySize(ob)) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "OnBuild");
        return 0;
    }
    cJSON_ArrayForEach(t, ob)
    {
        if (cJSON_IsString(t))
            buf_addf(&text, "%s\n", t->valuestring);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "OnBuild");
    if (parse_recipe(name, buf_cstr(&text), text.len, &st->onbuild, err) < 0)
        return -1;
    (void)b;
    st->nsteps += st->onbuild.n;
    return 0;
}

/* FROM --platform: this builder makes images for its own platform only. */
static int
stage_platform(struct build *b, struct stage *st, const char *where, struct error *err)
{
    const char *flag = step_flag(st->from, "platform");
    cleanup_free char *p = NULL;
    cleanup_free char *mine = xasprintf("linux/%s", oci_arch());

    if (!flag)
        return 0;
    if (expand_word(flag, b->recipe.escape, &b->global_args, &p, err) < 0)
        return error_wrap(err, "%s", where);
    if (strcmp(p, mine) && strcmp(p, "linux"))
        return error_input(err, "%s: FROM --platform=%s: only %s images can be built here", where,
                           p, mine);
    return 0;
}

static int
stage_start(struct build *b, struct stage *st, struct error *err)
{
    cleanup_free char *ref = NULL;
    char where[256];
    struct stage *src;
    int rc;

    step_where(b, st->from, where, sizeof(where));
    if (!st->from->args.n)
        return error_input(err, "%s: FROM needs an image", where);
    if (expand_word(st->from->args.v[0], b->recipe.escape, &b->global_args, &ref, err) < 0)
        return error_wrap(err, "%s", where);
    if (stage_platform(b, st, where, err) < 0)
        return -1;
    progress_line("[%s1/%zu] FROM %s", st->label, st->nsteps, ref);
    src = build_dep(b, st, ref);
    if (!strcasecmp(ref, "scratch")) {
        st->config = oci_config_new();
        memcpy(st->key, "scratch", 8);
        rc = 0;
    } else if (src) {
        rc = stage_from_stage(st, src);
    } else {
        rc = stage_from_image(b, st, ref, err);
    }
    if (rc < 0)
        return error_wrap(err, "%s: FROM %s", where, ref);
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(st->config, "config")))
        cJSON_ReplaceItemInObjectCaseSensitive(st->config, "config", cJSON_CreateObject());
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(st->config, "history")))
        json_add_array(st->config, "history");
    stage_default_path(st);
    st->step_no = 1;
    return stage_onbuild(b, st, ref, err) < 0 ? error_wrap(err, "%s: FROM %s", where, ref) : 0;
}

static int
stage_build(struct build *b, struct stage *st, struct error *err)
{
    size_t i;

    if (stage_start(b, st, err) < 0)
        return -1;
    for (i = 0; i < st->onbuild.n; i++) {
        st->step_no++;
        if (step_exec(b, st, &st->onbuild.instrs[i], err) < 0)
            return -1;
    }
    for (i = st->first; i < st->end; i++) {
        st->step_no++;
        if (step_exec(b, st, &b->recipe.instrs[i], err) < 0)
            return -1;
    }
    st->done = 1;
    return 0;
}

/* ---- cache bookkeeping: --cache-to, --cache-from, --explain-cache ------- */

static char *
build_stage_id(const struct stage *st)
{
    return st->name ? xstrdup(st->name) : xasprintf("%zu", st->index);
}

void
build_note_record(struct build *b, const struct stage *st, const char *key, const cJSON *rec)
{
    cleanup_free char *id = build_stage_id(st);
    cJSON *keys;

    pthread_mutex_lock(&b->lock);
    if (!cJSON_GetObjectItemCaseSensitive(b->used, key)) {
        cJSON_AddItemToObject(b->used, key, cJSON_Duplicate(rec, 1));
        cJSON_AddNumberToObject(b->used_stage, key, (double)st->index);
    }
    keys = cJSON_GetObjectItemCaseSensitive(b->now_keys, id);
    if (!keys)
        keys = json_add_array(b->now_keys, id);
    cJSON_AddItemToArray(keys, cJSON_CreateString(key));
    pthread_mutex_unlock(&b->lock);
}

/* Where this recipe's previous keys are kept: cache/lastbuild/<sha256(recipe, target)>. */
static char *
build_last_path(const struct build *b)
{
    cleanup_free char *abs = realpath(b->o->recipe, NULL);
    cleanup_free char *what =
        xasprintf("%s\n%s", abs ? abs : b->o->recipe, b->o->target ? b->o->target : "");
    char d[DIGEST_STR_LEN + 1];

    digest_bytes(what, strlen(what), d);
    return xasprintf("cache/lastbuild/%s", digest_hex(d));
}

static void
build_last_load(struct build *b)
{
    cleanup_buf struct buf t = BUF_INIT;
    cleanup_free char *rel = build_last_path(b);
    struct error e;

    error_init(&e);
    if (fs_read_file_max(b->store->root_fd, rel, 1u << 20, &t, &e) == 0)
        b->last = cJSON_ParseWithLength(buf_cstr(&t), t.len);
    if (!cJSON_IsObject(b->last)) {
        cJSON_Delete(b->last);
        b->last = cJSON_CreateObject();
    }
}

/* Rewritten only when the keys changed, so an all-cached build writes nothing. */
static void
build_last_save(struct build *b)
{
    cleanup_free char *rel = build_last_path(b);
    cleanup_free char *text = NULL;
    struct error e;

    if (cJSON_Compare(b->last, b->now_keys, 1))
        return;
    text = json_print(b->now_keys);
    error_init(&e);
    if (fs_mkdir_p(b->store->root_fd, "cache/lastbuild", 0755, &e) < 0 ||
        store_write_file(b->store, rel, text, strlen(text), &e) < 0)
        log_debug("cannot record the build's keys: %s", e.msg);
}

static const char *
build_prov_str(const cJSON *prov, const char *a, const char *b)
{
    const cJSON *o = b ? cJSON_GetObjectItemCaseSensitive(prov, a) : prov;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, b ? b : a);

    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Names what differs between the previous inputs and now (first difference). */
static void
build_explain_inputs(const cJSON *before, const cJSON *now, struct buf *why)
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
build_explain_miss(struct build *b, struct stage *st, const struct parse_instr *in, const char *key)
{
    cleanup_free char *id = build_stage_id(st);
    cleanup_buf struct buf why = BUF_INIT;
    cleanup_buf struct buf rec = BUF_INIT;
    cleanup_cjson cJSON *old = NULL;
    const cJSON *prev, *keys, *prov;
    struct error e;
    size_t pos;

    if (!b->o->explain_cache || st->explained)
        return;
    st->explained = 1; /* later misses of the stage follow from this one */
    pthread_mutex_lock(&b->lock);
    keys = cJSON_GetObjectItemCaseSensitive(b->now_keys, id);
    pos = keys ? (size_t)cJSON_GetArraySize(keys) : 0;
    prev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b->last, id), (int)pos);
    pthread_mutex_unlock(&b->lock);
    error_init(&e);
    if (!cJSON_IsString(prev) || cache_get(b->store, prev->valuestring, &rec, &e) != 0 ||
        !(old = cJSON_ParseWithLength(buf_cstr(&rec), rec.len))) {
        progress_line("[%s%zu/%zu] MISS %s: no earlier build of this step", st->label, st->step_no,
                      st->nsteps, in->original);
        return;
    }
    prov = cJSON_GetObjectItemCaseSensitive(old, "provenance");
    if (strcmp(build_prov_str(prov, "parent", NULL), st->key))
        buf_addf(&why, "; the base changed: %.19s -> %.19s", build_prov_str(prov, "parent", NULL),
                 st->key);
    if (strcmp(build_prov_str(prov, "instruction", NULL), in->original))
        buf_addf(&why, "; the instruction changed (was \"%s\")",
                 build_prov_str(prov, "instruction", NULL));
    build_explain_inputs(cJSON_GetObjectItemCaseSensitive(prov, "inputs"), st->inputs, &why);
    (void)key;
    progress_line("[%s%zu/%zu] MISS %s: %s", st->label, st->step_no, st->nsteps, in->original,
                  why.len ? buf_cstr(&why) + 2 : "an input outside the recipe changed");
}

int
build_need_blob(struct build *b, const char *digest, const char *diff_id, struct error *err)
{
    size_t i;
    int rc = 1;

    if (blob_exists(b->store, digest))
        return 0;
    pthread_mutex_lock(&b->lock); /* one fetch at a time per source client */
    for (i = 0; rc == 1 && i < b->nsources; i++) {
        rc = cache_transfer_fetch(&b->sources[i], b->store, digest, diff_id, err);
        if (rc == 0)
            progress_line("fetched layer %s from %s", digest,
                          b->sources[i].spec.path ? b->sources[i].spec.path
                                                  : b->sources[i].spec.ref);
    }
    pthread_mutex_unlock(&b->lock);
    if (rc == 1)
        return error_set(err, 0, "layer %s is in no store or --cache-from source", digest);
    return rc;
}

static int
build_open_sources(struct build *b, struct error *err)
{
    struct registry_opts ro;
    size_t i;

    registry_opts_init(&ro);
    ro.tls_verify = b->o->tls_verify;
    b->sources = xcalloc(b->o->cache_from.n + 1, sizeof(*b->sources));
    for (i = 0; i < b->o->cache_from.n; i++) {
        struct cache_transfer_source *src = &b->sources[b->nsources];
        if (cache_transfer_open(src, b->o->cache_from.v[i], &ro, err) < 0) {
            if (err->exit_code == 2 && !err->sys_errno && strstr(err->msg, "use type="))
                return -1; /* a bad spec is the user's error */
            log_warn("%s (ignored)", err->msg);
            cache_transfer_close(src);
            error_init(err);
            continue;
        }
        b->nsources++;
    }
    return 0;
}

/* The stages whose layers end up in the target: it and the stages it is FROM. */
static int
build_in_final(const struct build *b, const struct stage *target, size_t idx)
{
    const struct stage *st = target;

    while (st) {
        const struct stage *next = NULL;
        size_t i;
        if (st->index == idx)
            return 1;
        for (i = 0; i < b->nstages; i++)
            if (st->from->args.n && b->stages[i].name && b->stages[i].index < st->index &&
                !strcasecmp(st->from->args.v[0], b->stages[i].name))
                next = &b->stages[i];
        st = next;
    }
    return 0;
}

static int
build_cache_to(struct build *b, const struct stage *target, struct error *err)
{
    cleanup_cjson cJSON *out = cJSON_CreateObject();
    struct cache_transfer_spec spec;
    struct registry_opts ro;
    const cJSON *r;
    size_t n = 0;
    int rc;

    if (!b->o->cache_to)
        return 0;
    if (cache_transfer_parse(b->o->cache_to, 1, &spec, err) < 0)
        return -1;
    cJSON_ArrayForEach(r, b->used)
    {
        const cJSON *si = cJSON_GetObjectItemCaseSensitive(b->used_stage, r->string);
        if (!spec.max && !build_in_final(b, target, (size_t)si->valuedouble))
            continue;
        /* records only travel with their layers, which must be here to be copied */
        {
            const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, "layer");
            const cJSON *dg = cJSON_GetObjectItemCaseSensitive(l, "digest");
            const cJSON *di = cJSON_GetObjectItemCaseSensitive(l, "diff_id");
            if (cJSON_IsString(dg) &&
                build_need_blob(b, dg->valuestring, cJSON_IsString(di) ? di->valuestring : "",
                                err) < 0) {
                cache_transfer_spec_release(&spec);
                return -1;
            }
        }
        cJSON_AddItemToObject(out, r->string, cJSON_Duplicate(r, 1));
        n++;
    }
    registry_opts_init(&ro);
    ro.tls_verify = b->o->tls_verify;
    rc = cache_transfer_export(b->store, &spec, out, &ro, err);
    if (rc == 0)
        progress_line("exported %zu cache records to %s", n, b->o->cache_to);
    cache_transfer_spec_release(&spec);
    return rc;
}

struct build_job {
    struct build *b;
    struct stage *st;
};

static int
build_ready(const struct stage *st)
{
    size_t i;

    if (!st->needed || st->started)
        return 0;
    for (i = 0; i < st->ndeps; i++)
        if (!st->deps[i]->done)
            return 0;
    return 1;
}

static void *
build_thread(void *arg)
{
    struct build_job *j = arg;
    struct build *b = j->b;
    struct error err;
    int rc;

    error_init(&err);
    rc = stage_build(b, j->st, &err);
    pthread_mutex_lock(&b->lock);
    if (rc < 0 && !b->failed) {
        b->failed = 1;
        b->first_err = err;
    }
    b->running--;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
    free(j);
    return NULL;
}

/*
 * Builds the needed stages, those that do not depend on each other in
 * parallel (one per CPU): each stage starts as soon as the stages it reads
 * are done. After a failure no new stage starts; the first error is kept.
 */
static int
build_stages(struct build *b, struct stage *target, struct error *err)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int max = ncpu > 1 ? (int)ncpu : 1;
    size_t i, needed = 0;

    for (i = 0; i < b->nstages; i++)
        needed += b->stages[i].needed;
    if (needed == 1)
        return stage_build(b, target, err);
    pthread_mutex_lock(&b->lock);
    while (!target->done && !b->failed) {
        int started = 0;
        for (i = 0; i < b->nstages && b->running < max; i++) {
            struct build_job *j;
            pthread_t t;
            if (!build_ready(&b->stages[i]))
                continue;
            j = xmalloc(sizeof(*j));
            j->b = b;
            j->st = &b->stages[i];
            j->st->started = 1;
            b->running++;
            if (pthread_create(&t, NULL, build_thread, j) != 0)
                BUG("pthread_create");
            pthread_detach(t);
            started = 1;
        }
        if (!started && b->running == 0)
            break; /* nothing can start: cannot happen with acyclic deps */
        pthread_cond_wait(&b->cond, &b->lock);
    }
    while (b->running > 0)
        pthread_cond_wait(&b->cond, &b->lock);
    pthread_mutex_unlock(&b->lock);
    if (b->failed) {
        *err = b->first_err;
        return -1;
    }
    if (!target->done)
        return error_set(err, 0, "build: stage dependencies could not be ordered");
    return 0;
}

/* image-spec config.md: "created" is the time the image was made; we use the
 * last step's, so an all-cached rebuild yields the same config. */
static void
build_set_created(struct stage *st)
{
    cJSON *hist = cJSON_GetObjectItemCaseSensitive(st->config, "history");
    cJSON *last = cJSON_GetArrayItem(hist, cJSON_GetArraySize(hist) - 1);
    const char *c = last ? json_string(last, "created", 0, "", NULL) : NULL;

    if (c)
        json_set_string(st->config, "created", c);
}

static int
build_finish(struct build *b, struct stage *st, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    long long size = 0;
    size_t i;

    build_set_created(st);
    for (i = 0; i < st->layers.nlayers; i++) /* layers hit in an imported cache */
        if (build_need_blob(b, st->layers.layers[i].digest, st->diff_ids.v[i], err) < 0)
            return -1;
    if (image_commit(b->store, st->config, &st->layers, out, &size, err) < 0)
        return -1;
    for (i = 0; i < b->o->tags.n; i++) {
        if (index_set(b->store, b->o->tags.v[i], out, size, err) < 0)
            return -1;
    }
    return 0;
}

static void
build_warn_unused_args(struct build *b)
{
    size_t i;

    for (i = 0; i < b->o->build_args.n; i++) {
        cleanup_free char *k = xstrdup(b->o->build_args.v[i]);
        char *eq = strchr(k, '=');
        if (eq)
            *eq = '\0';
        if (!strvec_getenv(&b->used_args, k))
            log_warn("build arg %s was not consumed by any ARG instruction", k);
    }
}

int
build_run(struct store *s, const struct build_opts *o, char out[DIGEST_STR_LEN + 1], int *ran_steps,
          struct error *err)
{
    struct build b;
    struct stage *target;
    double t0 = log_now_ms();
    int rc = -1;

    memset(&b, 0, sizeof(b));
    b.store = s;
    b.o = o;
    b.ctx.fd = -1;
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.cond, NULL);
    b.used = cJSON_CreateObject();
    b.used_stage = cJSON_CreateObject();
    b.now_keys = cJSON_CreateObject();
    b.now = o->source_date_epoch >= 0 ? o->source_date_epoch : (long long)time(NULL);
    if (build_read_recipe(&b, err) < 0 || build_plan(&b, err) < 0)
        goto out;
    target = o->target ? build_find_stage(&b, o->target) : &b.stages[b.nstages - 1];
    if (!target) {
        error_input(err, "%s: target stage \"%s\" not found", o->recipe, o->target);
        goto out;
    }
    build_mark_needed(&b, target);
    if (build_check_refs(&b, err) < 0)
        goto out;
    build_number_steps(&b);
    if (context_open(&b.ctx, o->context, o->recipe, err) < 0)
        goto out;
    hashmemo_load(&b.memo, s);
    b.ctx.memo = &b.memo;
    build_last_load(&b);
    if (build_open_sources(&b, err) < 0)
        goto out;
    if (build_stages(&b, target, err) < 0)
        goto out;
    if (build_finish(&b, target, out, err) < 0 || hashmemo_save(&b.memo, s, err) < 0 ||
        build_cache_to(&b, target, err) < 0)
        goto out;
    build_last_save(&b);
    *ran_steps = b.wrote;
    build_warn_unused_args(&b);
    progress_line("image %s built in %.2fs", out, (log_now_ms() - t0) / 1000.0);
    rc = 0;
out:
    build_release(&b);
    return rc;
}
