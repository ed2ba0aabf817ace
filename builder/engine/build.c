/*
 * `strata build` from start to end: read the plan of each platform, open the
 * context and the cache sources, decide the stages' platforms and which are
 * shared, run the needed stages of each platform through the scheduler,
 * then commit each platform's image (and the index of them when there are
 * several), name the result and export the cache.
 */
#include "builder/engine/build.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "builder/engine/build_check.h"
#include "builder/engine/cachekey.h"
#include "builder/engine/engine.h"
#include "builder/engine/platforms.h"
#include "builder/engine/imageopts.h"
#include "builder/engine/progress.h"
#include "builder/engine/provenance.h"
#include "builder/engine/scheduler.h"
#include "builder/sandbox/syscall_filter.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/oci_archive.h"
#include "store/image.h"
#include "store/index.h"

#include "formats/core/banned.h"

/* One platform's build; main (NULL for the first) owns what the builds share. */
static void
build_init(struct build *b, struct store *s, const struct build_opts *o, struct build *main,
           const struct platform *p)
{
    memset(b, 0, sizeof(*b));
    b->store = s;
    b->o = o;
    b->ctx.fd = -1;
    b->platform = *p;
    b->main = main ? main : b;
    plan_init(&b->plan, o);
    b->plan.target = *p;
    if (!main) {
        cachebook_init(&b->own_book, s, o);
        pthread_mutex_init(&b->pull_lock, NULL);
        pthread_cond_init(&b->pull_cond, NULL);
        pthread_mutex_init(&b->filter_lock, NULL);
    }
    b->book = &b->main->own_book;
    b->now = o->timestamp >= 0           ? o->timestamp
             : o->source_date_epoch >= 0 ? o->source_date_epoch
                                         : (long long)time(NULL);
}

static void
build_release(struct build *b)
{
    size_t i;

    plan_release(&b->plan);
    if (b->main != b)
        return; /* the rest is main's (ctx is a copy of main's) */
    context_release(&b->ctx);
    hashmemo_release(&b->memo);
    cachebook_release(&b->own_book);
    for (i = 0; i < b->npulls; i++)
        free(b->pulls[i].ref);
    strvec_release(&b->named);
    free(b->pulls);
    pthread_mutex_destroy(&b->pull_lock);
    pthread_cond_destroy(&b->pull_cond);
    syscall_filter_free(b->filter);
    pthread_mutex_destroy(&b->filter_lock);
}

/*
 * The stages whose layers end up in the target: it and the stages it is FROM,
 * transitively (what --cache-to mode=min exports), added to in[].
 */
static void
build_final_stages(const struct build *b, const struct stage *target, unsigned char *in)
{
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

/* What one platform's build made: its image, and the index of its attestations (or ""). */
struct build_result {
    char image[DIGEST_STR_LEN + 1];
    long long image_size;
    char attest[DIGEST_STR_LEN + 1];
    long long attest_size;
};

/*
 * Stores the target's image (config and manifest; its platform is the
 * stage's) and, when --provenance or --sbom ask for them, its attestations
 * in an index beside it (builder/engine/provenance.h).
 */
static int
build_commit(struct build *b, struct stage *st, long long started, struct build_result *r,
             struct error *err)
{
    size_t i;
    int rc;

    build_set_created(st);
    oci_config_set_platform(st->config, &st->platform);
    for (i = 0; i < st->layers.nlayers; i++) /* layers hit in an imported cache */
        if (cachebook_need_blob(b->book, st->layers.layers[i].digest, st->diff_ids.v[i], err) < 0)
            return -1;
    if (imageopts_finish(b, st, err) < 0)
        return -1;
    if (image_commit(b->store, st->config, &st->layers, r->image, &r->image_size, err) < 0)
        return -1;
    rc = provenance_attach(b, st, r->image, started, r->attest, &r->attest_size, err);
    if (rc == 1)
        r->attest[0] = '\0';
    return rc < 0 ? -1 : 0;
}

/* The attestation manifests of one platform's attestation index, added to idx. */
static int
build_index_attestations(struct store *s, const char *attest, struct oci_archive_index *idx,
                         struct error *err)
{
    struct oci_archive_index a;
    struct platform p;
    size_t i;

    if (image_index_load(s, attest, &a, err) < 0)
        return -1;
    for (i = 0; i < a.n; i++) {
        if (oci_archive_entry_is_image(&a.entries[i]))
            continue;
        oci_archive_index_add_platform(idx, &a.entries[i].desc,
                                       oci_archive_entry_platform(&a.entries[i], &p) == 0 ? &p
                                                                                          : NULL);
    }
    oci_archive_index_release(&a);
    return 0;
}

/*
 * Several platforms: an OCI image index of their images, in the order
 * given (image-spec image-index.md), then the attestation manifests about
 * them, as BuildKit lays them out; no time in it, so with
 * SOURCE_DATE_EPOCH it is as reproducible as the images.
 */
static int
build_index(struct store *s, struct stage **targets, size_t n, const struct build_result *res,
            char out[DIGEST_STR_LEN + 1], long long *size, struct error *err)
{
    struct oci_archive_index idx;
    size_t i;
    int rc = 0;

    oci_archive_index_init(&idx);
    for (i = 0; i < n; i++) {
        struct oci_descriptor d = {0};
        d.media_type = (char *)OCI_MEDIA_MANIFEST;
        memcpy(d.digest, res[i].image, sizeof(d.digest));
        d.size = res[i].image_size;
        oci_archive_index_add_platform(&idx, &d, &targets[i]->platform);
    }
    for (i = 0; i < n && rc == 0; i++)
        if (res[i].attest[0])
            rc = build_index_attestations(s, res[i].attest, &idx, err);
    if (rc == 0)
        rc = image_commit_index(s, &idx, out, size, err);
    oci_archive_index_release(&idx);
    return rc;
}

/* Reads one platform's plan and marks what its target needs. */
static struct stage *
build_plan(struct build *b, struct error *err)
{
    struct stage *target;

    if (plan_read(&b->plan, err) < 0)
        return NULL;
    if (b->plan.epoch >= 0) /* SOURCE_DATE_EPOCH may also come from --build-arg or an ARG */
        b->now = b->plan.epoch;
    target = b->o->target ? plan_find_stage(&b->plan, b->o->target)
                          : &b->plan.stages[b->plan.nstages - 1];
    if (!target) {
        error_input(err, "%s: target stage \"%s\" not found", b->o->recipe, b->o->target);
        return NULL;
    }
    plan_mark_needed(&b->plan, target);
    plan_mark_lazy(&b->plan, target);
    if (plan_check_refs(&b->plan, b->store, err) < 0)
        return NULL;
    plan_number_steps(&b->plan);
    return target;
}

/* Everything that must hold before the first step runs, for every platform. */
static int
build_prepare(struct build *builds, struct stage **targets, size_t n, struct error *err)
{
    struct build *m = &builds[0];
    size_t i;

    for (i = 0; i < n; i++)
        if (!(targets[i] = build_plan(&builds[i], err)))
            return -1;
    /* the build checks run once, on the first platform's plan (they read the recipe) */
    if (context_open(&m->ctx, m->o->context, m->o->recipe, err) < 0 || build_check_plan(m, err) < 0)
        return -1;
    hashmemo_load(&m->memo, m->store);
    m->ctx.memo = &m->memo;
    for (i = 1; i < n; i++)
        builds[i].ctx = m->ctx; /* read-only from here on */
    if (platforms_prepare(builds, n, err) < 0 || cachebook_open(m->book, err) < 0)
        return -1;
    return imageopts_named_prepare(m, err); /* --build-context: one for every platform */
}

/* Names the result (the image, or the index of several) and says what was built. */
static int
build_name(struct build *b, const char *digest, long long size, struct error *err)
{
    size_t i;

    for (i = 0; i < b->o->tags.n; i++) {
        if (index_set(b->store, b->o->tags.v[i], digest, size, err) < 0)
            return -1;
    }
    return 0;
}

/* --build-arg values consumed in any platform's build count as used. */
static void
build_warn_unused_args(struct build *builds, size_t n)
{
    size_t i, k;

    for (i = 1; i < n; i++)
        for (k = 0; k < builds[i].plan.used_args.n; k++)
            strvec_push(&builds[0].plan.used_args, builds[i].plan.used_args.v[k]);
    plan_warn_unused_args(&builds[0].plan);
}

/* Builds each platform in turn (stages in parallel within one), committing its image. */
static int
build_platforms(struct build *builds, struct stage **targets, size_t n, long long started,
                struct build_result *res, unsigned char *final, struct error *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (scheduler_run(&builds[i], targets[i], err) < 0 ||
            build_commit(&builds[i], targets[i], started, &res[i], err) < 0)
            return -1;
        build_final_stages(&builds[i], targets[i], final);
    }
    return 0;
}

int
build_run(struct store *s, const struct build_opts *o, char out[DIGEST_STR_LEN + 1], int *ran_steps,
          struct error *err)
{
    struct platform host;
    const struct platform *plats = o->platforms;
    size_t n = o->nplatforms, i;
    cleanup_free struct build *builds = NULL;
    cleanup_free struct stage **targets = NULL;
    cleanup_free struct build_result *res = NULL;
    cleanup_free unsigned char *final = NULL;
    char id[DIGEST_STR_LEN + 1];
    double t0 = log_now_ms();
    long long started = o->timestamp >= 0           ? o->timestamp
                        : o->source_date_epoch >= 0 ? o->source_date_epoch
                                                    : (long long)time(NULL);
    long long size = 0;
    int rc = -1;

    if (!n) {
        platform_host(&host);
        plats = &host;
        n = 1;
    }
    if (n > 1 && o->attest_referrers)
        return error_input(err, "--attest-format referrers attaches to one image: build one "
                                "platform, or keep the attestations in the index");
    builds = xcalloc(n, sizeof(*builds));
    targets = xcalloc(n, sizeof(*targets));
    res = xcalloc(n, sizeof(*res));
    for (i = 0; i < n; i++)
        build_init(&builds[i], s, o, i ? &builds[0] : NULL, &plats[i]);
    if (build_prepare(builds, targets, n, err) < 0)
        goto out;
    final = xcalloc(builds[0].plan.nstages + 1, 1);
    if (build_platforms(builds, targets, n, started, res, final, err) < 0)
        goto out;
    /*
     * one platform gives a plain image (or the index of it and its
     * attestations), several an index of their images
     */
    memcpy(out, res[0].attest[0] ? res[0].attest : res[0].image, DIGEST_STR_LEN + 1);
    size = res[0].attest[0] ? res[0].attest_size : res[0].image_size;
    if (n > 1 && build_index(s, targets, n, res, out, &size, err) < 0)
        goto out;
    if (build_name(&builds[0], out, size, err) < 0 || hashmemo_save(&builds[0].memo, s, err) < 0)
        goto out;
    if (o->cache_to && cachebook_export(builds[0].book, final, err) < 0)
        goto out;
    cachebook_save(builds[0].book);
    *ran_steps = builds[0].book->wrote;
    build_warn_unused_args(builds, n);
    if (index_image_id(s, out, id, err) < 0)
        goto out;
    progress_line("built image %s in %.2fs (%s %s)", id, (log_now_ms() - t0) / 1000.0,
                  n > 1 ? "index" : "manifest", out);
    rc = 0;
out:
    for (i = n; i-- > 0;)
        build_release(&builds[i]);
    return rc;
}
