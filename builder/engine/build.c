/*
 * `strata build` from start to end: read the plan, open the context and the
 * cache sources, run the needed stages through the scheduler, then commit
 * the target's image, name it and export the cache.
 */
#include "builder/engine/build.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "builder/engine/engine.h"
#include "builder/engine/progress.h"
#include "builder/engine/provenance.h"
#include "builder/engine/scheduler.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/image.h"
#include "store/index.h"

void
build_opts_init(struct build_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->compression = COMPRESS_ZSTD;
    o->network = SANDBOX_NET_PRIVATE; /* a network namespace of its own, see sandbox.h */
    o->pids_limit = SANDBOX_PIDS_DEFAULT;
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

static void
build_init(struct build *b, struct store *s, const struct build_opts *o)
{
    memset(b, 0, sizeof(*b));
    b->store = s;
    b->o = o;
    b->ctx.fd = -1;
    plan_init(&b->plan, o);
    cachebook_init(&b->book, s, o);
    pthread_mutex_init(&b->pull_lock, NULL);
    pthread_cond_init(&b->pull_cond, NULL);
    b->now = o->source_date_epoch >= 0 ? o->source_date_epoch : (long long)time(NULL);
}

static void
build_release(struct build *b)
{
    size_t i;

    plan_release(&b->plan);
    context_release(&b->ctx);
    hashmemo_release(&b->memo);
    cachebook_release(&b->book);
    for (i = 0; i < b->npulls; i++)
        free(b->pulls[i].ref);
    free(b->pulls);
    pthread_mutex_destroy(&b->pull_lock);
    pthread_cond_destroy(&b->pull_cond);
}

/*
 * The stages whose layers end up in the target: it and the stages it is FROM,
 * transitively (what --cache-to mode=min exports). Caller frees.
 */
static unsigned char *
build_final_stages(const struct build *b, const struct stage *target)
{
    unsigned char *in = xcalloc(b->plan.nstages + 1, 1);
    const struct stage *st = target;

    while (st) {
        const struct stage *next = NULL;
        size_t i;
        in[st->index] = 1;
        for (i = 0; i < b->plan.nstages; i++) {
            const struct stage *c = &b->plan.stages[i];
            if (st->from->args.n && c->name && c->index < st->index &&
                !strcasecmp(st->from->args.v[0], c->name))
                next = c;
        }
        st = next;
    }
    return in;
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
build_finish(struct build *b, struct stage *st, long long started, char out[DIGEST_STR_LEN + 1],
             struct error *err)
{
    char top[DIGEST_STR_LEN + 1];
    long long size = 0, top_size = 0;
    size_t i;
    int rc;

    build_set_created(st);
    for (i = 0; i < st->layers.nlayers; i++) /* layers hit in an imported cache */
        if (cachebook_need_blob(&b->book, st->layers.layers[i].digest, st->diff_ids.v[i], err) < 0)
            return -1;
    if (image_commit(b->store, st->config, &st->layers, out, &size, err) < 0)
        return -1;
    /* with attestations, the names point at the index that holds them beside the image */
    rc = provenance_attach(b, st, out, started, top, &top_size, err);
    if (rc < 0)
        return -1;
    for (i = 0; i < b->o->tags.n; i++) {
        if (index_set(b->store, b->o->tags.v[i], rc == 0 ? top : out, rc == 0 ? top_size : size,
                      err) < 0)
            return -1;
    }
    return 0;
}

/* Everything that must hold before the first step runs. */
static struct stage *
build_prepare(struct build *b, struct error *err)
{
    struct stage *target;

    if (plan_read(&b->plan, err) < 0)
        return NULL;
    target = b->o->target ? plan_find_stage(&b->plan, b->o->target)
                          : &b->plan.stages[b->plan.nstages - 1];
    if (!target) {
        error_input(err, "%s: target stage \"%s\" not found", b->o->recipe, b->o->target);
        return NULL;
    }
    plan_mark_needed(&b->plan, target);
    if (plan_check_refs(&b->plan, b->store, err) < 0)
        return NULL;
    plan_number_steps(&b->plan);
    if (context_open(&b->ctx, b->o->context, b->o->recipe, err) < 0)
        return NULL;
    hashmemo_load(&b->memo, b->store);
    b->ctx.memo = &b->memo;
    if (cachebook_open(&b->book, err) < 0)
        return NULL;
    return target;
}

int
build_run(struct store *s, const struct build_opts *o, char out[DIGEST_STR_LEN + 1], int *ran_steps,
          struct error *err)
{
    struct build b;
    struct stage *target;
    cleanup_free unsigned char *final = NULL;
    double t0 = log_now_ms();
    long long started = o->source_date_epoch >= 0 ? o->source_date_epoch : (long long)time(NULL);
    int rc = -1;

    build_init(&b, s, o);
    if (!(target = build_prepare(&b, err)) || scheduler_run(&b, target, err) < 0 ||
        build_finish(&b, target, started, out, err) < 0 || hashmemo_save(&b.memo, s, err) < 0)
        goto out;
    final = build_final_stages(&b, target);
    if (o->cache_to && cachebook_export(&b.book, final, err) < 0)
        goto out;
    cachebook_save(&b.book);
    *ran_steps = b.book.wrote;
    plan_warn_unused_args(&b.plan);
    progress_line("image %s built in %.2fs", out, (log_now_ms() - t0) / 1000.0);
    rc = 0;
out:
    build_release(&b);
    return rc;
}
