/*
 * Stage platforms, stages shared between the platforms of one build, the
 * platform labels and the emulation check: everything a multi-platform
 * build decides before its first step.
 */
#include "builder/engine/platforms.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/recipe/expand.h"
#include "builder/sandbox/binfmt.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/* FROM's image or stage name, expanded with the global ARGs (NULL when it cannot be). */
static char *
platforms_from_ref(const struct build *b, const struct stage *st)
{
    struct error ignored;
    char *ref = NULL;

    error_init(&ignored);
    if (!st->from->args.n || expand_word(st->from->args.v[0], b->plan.recipe.escape,
                                         &b->plan.global_args, &ref, &ignored) < 0)
        return NULL;
    return ref;
}

/* Sets st->platform; done[] marks the stages already decided. */
static int
platforms_stage(struct build *b, struct stage *st, unsigned char *done, struct error *err)
{
    const char *flag = st->from->f.platform;
    cleanup_free char *ref = NULL;
    struct stage *src;
    char where[256];

    if (done[st->index])
        return 0;
    plan_where(&b->plan, st->from, where, sizeof(where));
    if (flag) {
        cleanup_free char *p = NULL;
        if (expand_word(flag, b->plan.recipe.escape, &b->plan.global_args, &p, err) < 0)
            return error_wrap(err, "%s", where);
        if (platform_parse(p, &st->platform, err) < 0)
            return error_wrap(err, "%s: FROM --platform=%s", where, flag);
    } else {
        /* FROM an earlier stage: that stage's platform, as BuildKit does */
        ref = platforms_from_ref(b, st);
        src = ref ? plan_find_stage(&b->plan, ref) : NULL;
        if (src && src->index < st->index) {
            if (platforms_stage(b, src, done, err) < 0)
                return -1;
            st->platform = src->platform;
        } else {
            st->platform = b->platform;
        }
    }
    done[st->index] = 1;
    return 0;
}

static struct stage *
platforms_root(struct stage *st)
{
    return st->alias ? st->alias : st;
}

/* The global value of each ARG st declares without a default is the same in a and b. */
static int
platforms_same_args(const struct build *a, const struct build *b, const struct stage *st)
{
    size_t i, k;

    for (i = st->first; i < st->end; i++) {
        const struct parse_instr *in = &a->plan.recipe.instrs[i];
        if (in->kind != INSTR_ARG)
            continue;
        for (k = 0; k < in->args.n; k++) {
            const char *va, *vb;
            if (strchr(in->args.v[k], '='))
                continue; /* a default: the same words, expanded in the same scope */
            va = strvec_getenv(&a->plan.global_args, in->args.v[k]);
            vb = strvec_getenv(&b->plan.global_args, in->args.v[k]);
            if ((va || vb) && (!va || !vb || strcmp(va, vb)))
                return 0;
        }
    }
    return 1;
}

/* Whether stage sb of build b is the stage sa of build a (see platforms.h). */
static int
platforms_same_stage(const struct build *a, struct stage *sa, const struct build *b,
                     struct stage *sb)
{
    cleanup_free char *ra = NULL;
    cleanup_free char *rb = NULL;
    size_t i;

    if (!platform_equal(&sa->platform, &sb->platform) || sa->ndeps != sb->ndeps)
        return 0;
    ra = platforms_from_ref(a, sa);
    rb = platforms_from_ref(b, sb);
    if (!ra || !rb || strcmp(ra, rb))
        return 0;
    for (i = 0; i < sa->ndeps; i++)
        if (platforms_root(sa->deps[i]) != platforms_root(sb->deps[i]))
            return 0;
    return platforms_same_args(a, b, sa);
}

static void
platforms_share(struct build *builds, size_t n)
{
    size_t k, j, i;

    for (k = 1; k < n; k++) {
        for (i = 0; i < builds[k].plan.nstages; i++) {
            struct stage *st = &builds[k].plan.stages[i];
            if (!st->needed)
                continue;
            for (j = 0; j < k && !st->alias; j++) {
                struct stage *sj = &builds[j].plan.stages[i];
                if (sj->needed && !sj->alias &&
                    platforms_same_stage(&builds[j], sj, &builds[k], st)) {
                    st->alias = sj;
                    /* a lazy stage may stay half-built (stage_run.h): a shared one is built whole
                     */
                    st->lazy = sj->lazy = 0;
                }
            }
        }
    }
}

/* "[linux/arm64 build 2/5]": each platform's stages say whose they are. */
static void
platforms_label(struct build *b)
{
    char plat[PLATFORM_STR_MAX];
    size_t i;

    platform_format(&b->platform, plat);
    for (i = 0; i < b->plan.nstages; i++) {
        struct stage *st = &b->plan.stages[i];
        char *old = st->label;
        st->label = xasprintf("%s %s", plat, old ? old : "");
        free(old);
    }
}

int
platforms_stage_runs(const struct build *b, const struct stage *st)
{
    size_t i;

    for (i = st->first; i < st->end; i++)
        if (b->plan.recipe.instrs[i].kind == INSTR_RUN)
            return 1;
    return 0;
}

/* Every platform a RUN step will run as must run here; checked once per platform. */
static int
platforms_check_emulation(struct build *builds, size_t n, struct error *err)
{
    struct platform seen[64];
    size_t k, i, j, nseen = 0;

    for (k = 0; k < n; k++) {
        for (i = 0; i < builds[k].plan.nstages; i++) {
            const struct stage *st = &builds[k].plan.stages[i];
            if (!st->needed || st->alias || !platforms_stage_runs(&builds[k], st))
                continue;
            for (j = 0; j < nseen && !platform_equal(&seen[j], &st->platform); j++)
                ;
            if (j < nseen)
                continue;
            if (nseen < 64)
                seen[nseen++] = st->platform;
            if (binfmt_check(&st->platform, err) < 0)
                return error_wrap(err, "%s", builds[k].o->recipe);
        }
    }
    return 0;
}

int
platforms_prepare(struct build *builds, size_t n, struct error *err)
{
    size_t k, i;

    for (k = 0; k < n; k++) {
        struct build *b = &builds[k];
        cleanup_free unsigned char *done = xcalloc(b->plan.nstages + 1, 1);
        for (i = 0; i < b->plan.nstages; i++) {
            if (b->plan.stages[i].needed && platforms_stage(b, &b->plan.stages[i], done, err) < 0)
                return -1;
        }
        if (n > 1)
            platforms_label(b);
    }
    if (n > 1)
        platforms_share(builds, n);
    return platforms_check_emulation(builds, n, err);
}
