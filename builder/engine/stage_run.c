/*
 * Building one stage: FROM (scratch, an earlier stage or an image; the
 * default PATH; the base's ONBUILD triggers), then each instruction in order.
 */
#include "builder/engine/stage_run.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "builder/engine/cachekey.h"
#include "builder/engine/engine.h"
#include "builder/engine/imageopts.h"
#include "builder/engine/progress.h"
#include "builder/engine/stage_image.h"
#include "builder/engine/step.h"
#include "builder/recipe/expand.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

#define STAGE_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
    cJSON_InsertItemInArray(env, 0, cJSON_CreateString("PATH=" STAGE_DEFAULT_PATH));
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
    if (parse_recipe(name, buf_cstr(&text), text.len, &st->onbuild, err) < 0 ||
        parse_validate_triggers(&st->onbuild, err) < 0)
        return -1;
    (void)b;
    st->nsteps += st->onbuild.n;
    return 0;
}

/*
 * A stage starting from an image or scratch chains its cache keys to its
 * platform too: the same recipe lines give other layers on another
 * platform, and a scratch stage has no manifest digest that would differ.
 */
static void
stage_key_platform(struct stage *st)
{
    struct cachekey k;
    char plat[PLATFORM_STR_MAX];

    platform_format(&st->platform, plat);
    cachekey_init(&k, st->key);
    cachekey_add(&k, "platform", plat);
    cachekey_final(&k, st->key);
}

static int
stage_start(struct build *b, struct stage *st, struct error *err)
{
    cleanup_free char *ref = NULL;
    char where[256];
    struct stage *src;
    int rc;

    plan_where(&b->plan, st->from, where, sizeof(where));
    if (!st->from->args.n)
        return error_input(err, "%s: FROM needs an image", where);
    if (expand_word(st->from->args.v[0], b->plan.recipe.escape, &b->plan.global_args, &ref, err) <
        0)
        return error_wrap(err, "%s", where);
    progress_line("[%s1/%zu] FROM %s", st->label, st->nsteps, ref);
    src = plan_find_stage(&b->plan, ref);
    if (src && src->index >= st->index)
        src = NULL; /* FROM names an earlier stage, or else an image */
    if (!strcasecmp(ref, "scratch")) {
        st->config = oci_config_new();
        oci_config_set_platform(st->config, &st->platform);
        /* BuildKit's emptyImage: a scratch image works in / */
        json_set_string(cJSON_GetObjectItemCaseSensitive(st->config, "config"), "WorkingDir", "/");
        memcpy(st->key, "scratch", 8);
        rc = 0;
    } else if (src) {
        rc = stage_from_stage(st, src);
    } else {
        rc = stage_image_load(b, st, ref, err);
    }
    if (rc < 0)
        return error_wrap(err, "%s: FROM %s", where, ref);
    if (!src)
        stage_key_platform(st);
    /*
     * An image config may lack "config" (it is optional in image-spec config.md)
     * or hold something else there: replacing a missing key would fail and leak
     * the new object, and the default PATH would have nowhere to go.
     */
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(st->config, "config"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(st->config, "config");
        json_add_object(st->config, "config");
    }
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(st->config, "history"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(st->config, "history");
        json_add_array(st->config, "history");
    }
    stage_default_path(st);
    imageopts_salt_key(b, st->key); /* --timestamp */
    st->step_no = 1;
    return stage_onbuild(b, st, ref, err) < 0 ? error_wrap(err, "%s: FROM %s", where, ref) : 0;
}

/*
 * A stage shared with an earlier platform's build (builder/engine/platforms.h)
 * was built there: it takes that state, running nothing.
 */
static int
stage_shared(struct stage *st)
{
    const struct stage *src = st->alias;
    size_t l = strlen(st->label), m = strlen(src->label);

    if (!src->done)
        BUG("stage_shared: the shared stage was not built first");
    stage_from_stage(st, src);
    progress_line("[%.*s] shared with [%.*s]: built once for every platform",
                  (int)(l && st->label[l - 1] == ' ' ? l - 1 : l), st->label,
                  (int)(m && src->label[m - 1] == ' ' ? m - 1 : m), src->label);
    st->done = 1;
    return 0;
}

/*
 * Lazy stages. One lock and condition for the whole process (one build per
 * process) guard every stage's realizing, realize_err and prefetched, and
 * the swap of a realized stage's state: a reader looks at a lazy stage's
 * layers only after stage_realize returned, which took this lock.
 */
static pthread_mutex_t stage_lazy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stage_lazy_cond = PTHREAD_COND_INITIALIZER;

/* Moves the building state of fresh (a full build of st) into st; frees what st had. */
static void
stage_take(struct stage *st, struct stage *fresh)
{
    struct stage old = *st;

    st->config = steal_ptr(&fresh->config);
    st->layers = fresh->layers;
    st->diff_ids = fresh->diff_ids;
    /* the dry build's key, which readers may be hashing now: written only if it changed */
    if (strcmp(st->key, fresh->key) != 0)
        memcpy(st->key, fresh->key, sizeof(st->key));
    memcpy(st->base, fresh->base, sizeof(st->base));
    st->base_ref = steal_ptr(&fresh->base_ref); /* old's is freed with old */
    st->args = fresh->args;
    st->declared = fresh->declared;
    memset(&fresh->layers, 0, sizeof(fresh->layers));
    memset(&fresh->diff_ids, 0, sizeof(fresh->diff_ids));
    memset(&fresh->args, 0, sizeof(fresh->args));
    memset(&fresh->declared, 0, sizeof(fresh->declared));
    /* the dry build's state goes; what the plan gave st stays */
    memset(&old.onbuild, 0, sizeof(old.onbuild));
    old.name = NULL;
    old.label = NULL;
    old.deps = NULL;
    old.inputs = NULL;
    old.realize_err = NULL;
    old.prefetch = NULL;
    stage_release(&old);
}

/*
 * A pending stage's layers made real by building it again, this time
 * running the steps the dry build skipped (its state is swapped in whole
 * at the end, under one lock for the whole build, so readers of its key
 * never see a half-built stage). Nothing to do when st is not pending.
 */
static int
stage_realize(struct build *b, struct stage *st, struct error *err)
{
    struct stage fresh;
    int rc;

    pthread_mutex_lock(&stage_lazy_lock);
    while (st->realizing)
        pthread_cond_wait(&stage_lazy_cond, &stage_lazy_lock);
    if (st->realize_err) {
        *err = *st->realize_err;
        pthread_mutex_unlock(&stage_lazy_lock);
        return -1;
    }
    if (!st->pending) {
        pthread_mutex_unlock(&stage_lazy_lock);
        return 0;
    }
    st->realizing = 1;
    pthread_mutex_unlock(&stage_lazy_lock);

    /* the plan's part of st (name, range, label), a fresh building state */
    memset(&fresh, 0, sizeof(fresh));
    fresh.index = st->index;
    fresh.name = st->name;
    fresh.from = st->from;
    fresh.first = st->first;
    fresh.end = st->end;
    fresh.needed = 1;
    fresh.label = st->label;
    fresh.nsteps = 1 + st->end - st->first;
    fresh.platform = st->platform;
    progress_line("[%.*s] a step reading this stage is not cached: running its skipped steps",
                  (int)strlen(st->label) - 1, st->label);
    rc = stage_run(b, &fresh, err);
    fresh.name = NULL; /* still st's */
    fresh.label = NULL;

    pthread_mutex_lock(&stage_lazy_lock);
    if (rc == 0) {
        stage_take(st, &fresh);
        st->pending = 0;
    } else {
        st->realize_err = xmalloc(sizeof(*st->realize_err));
        *st->realize_err = *err;
    }
    st->realizing = 0;
    pthread_cond_broadcast(&stage_lazy_cond);
    pthread_mutex_unlock(&stage_lazy_lock);
    stage_release(&fresh);
    return rc;
}

struct stage_prefetch_job {
    struct build *b;
    struct stage *st;
};

static void *
stage_prefetch_thread(void *arg)
{
    struct stage_prefetch_job *j = arg;
    struct error e;

    error_init(&e);
    (void)stage_realize(j->b, j->st, &e); /* a failure waits in st->realize_err for its readers */
    free(j);
    return NULL;
}

/*
 * Once a step of st misses the cache, so do all its later steps (each key
 * includes the one before): the lazy stages they copy from will be needed.
 * They start now, each in a thread, so that they build in parallel as any
 * independent stages do; the COPY reading one waits for it in stage_realize.
 */
static void
stage_prefetch(struct build *b, struct stage *st, const struct parse_instr *in)
{
    const struct parse_instr *all = b->plan.recipe.instrs;
    size_t i = in >= all && in < all + b->plan.recipe.n ? (size_t)(in - all) : st->first;

    if (!ENGINE_PARALLEL_STAGES)
        return; /* each is realized by its reader */
    for (; i < st->end; i++) {
        struct stage *d = plan_copy_source(&b->plan, st, &all[i]);
        struct stage_prefetch_job *j;
        pthread_t t;
        int start;
        if (!d || !d->lazy)
            continue;
        pthread_mutex_lock(&stage_lazy_lock);
        start = d->pending && !d->realizing && !d->prefetched && !d->realize_err;
        d->prefetched |= start;
        pthread_mutex_unlock(&stage_lazy_lock);
        if (!start)
            continue;
        j = xmalloc(sizeof(*j));
        j->b = b;
        j->st = d;
        if (pthread_create(&t, NULL, stage_prefetch_thread, j) != 0) {
            free(j); /* the reader realizes it itself when it gets there */
            continue;
        }
        st->prefetch = xrealloc(st->prefetch, (st->nprefetch + 1) * sizeof(*st->prefetch));
        st->prefetch[st->nprefetch++] = t;
    }
}

/*
 * A step of st missed the cache. In a dry stage the step is skipped, with
 * key as the stage's new key: returns 1. Otherwise returns 0 (the step must
 * run), after starting to realize, in parallel, the lazy stages that this
 * and the later steps of st copy from.
 */
static int
stage_on_miss(struct build *b, struct stage *st, const struct parse_instr *in, const char *key)
{
    if (!st->dry) {
        if (!st->missed)
            stage_prefetch(b, st, in);
        st->missed = 1;
        return 0;
    }
    progress_line("[%s%zu/%zu] %s (runs only if a step reading this stage is not cached)",
                  st->label, st->step_no, st->nsteps, in->original);
    memcpy(st->key, key, sizeof(st->key));
    st->pending = 1;
    return 1;
}

/* Waits for the threads st started to realize the stages it reads. */
static void
stage_join_prefetch(struct stage *st)
{
    size_t i;

    for (i = 0; i < st->nprefetch; i++)
        pthread_join(st->prefetch[i], NULL);
    free(st->prefetch);
    st->prefetch = NULL;
    st->nprefetch = 0;
}

/* What the steps of a stage ask of this file (step.h): they never call it directly. */
static const struct step_runner stage_runner = {
    .on_miss = stage_on_miss,
    .realize = stage_realize,
};

static int
stage_steps(struct build *b, struct stage *st, struct error *err)
{
    size_t i;

    if (st->alias)
        return stage_shared(st);
    if (stage_start(b, st, err) < 0)
        return -1;
    for (i = 0; i < st->onbuild.n; i++) {
        st->step_no++;
        if (step_exec(b, st, &st->onbuild.instrs[i], &stage_runner, err) < 0)
            return -1;
    }
    for (i = st->first; i < st->end; i++) {
        st->step_no++;
        if (step_exec(b, st, &b->plan.recipe.instrs[i], &stage_runner, err) < 0)
            return -1;
    }
    return 0;
}

int
stage_run(struct build *b, struct stage *st, struct error *err)
{
    int rc;

    st->dry = st->lazy && !st->done;
    rc = stage_steps(b, st, err);
    stage_join_prefetch(st);
    st->dry = 0;
    if (rc == 0)
        st->done = 1;
    return rc;
}
