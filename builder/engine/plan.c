/*
 * The build plan: the recipe read and validated, its stages in order with the
 * instruction range of each, the stages the target needs (FROM, COPY --from,
 * RUN --mount from=), and ARG scoping (global ARGs before the first FROM,
 * --build-arg overrides, BuildKit's automatic platform ARGs).
 */
#include "builder/engine/plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/engine/build_opts.h"
#include "builder/engine/context.h"
#include "builder/recipe/expand.h"
#include "formats/core/buf.h"
#include "formats/core/units.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/registry.h"
#include "store/index.h"

#include "formats/core/banned.h"

#define PLAN_RECIPE_MAX (16u << 20)

void
plan_init(struct plan *p, const struct build_opts *o)
{
    memset(p, 0, sizeof(*p));
    p->o = o;
    platform_host(&p->target);
    platform_host(&p->build);
    p->epoch = -1;
    if (o->source_date_epoch >= 0)
        snprintf(p->epoch_arg, sizeof(p->epoch_arg), "%lld", o->source_date_epoch);
    pthread_mutex_init(&p->lock, NULL);
}

/* The predefined ARGs a --build-arg sets without a warning when no ARG names it. */
static const char *const plan_predefined[] = {
    "http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy", "SOURCE_DATE_EPOCH",
};

static int
plan_is_proxy(const char *key, size_t kl)
{
    size_t i;

    for (i = 0; i < 5; i++)
        if (strlen(plan_predefined[i]) == kl && !strncasecmp(key, plan_predefined[i], kl))
            return 1;
    return 0;
}

void
plan_proxy_env(const struct plan *p, struct strvec *env)
{
    size_t i;

    for (i = 0; i < p->o->build_args.n; i++) {
        const char *a = p->o->build_args.v[i];
        const char *eq = strchr(a, '=');
        size_t kl = eq ? (size_t)(eq - a) : strlen(a);
        cleanup_free char *lower = xstrndup(a, kl);
        cleanup_free char *upper = xstrndup(a, kl);
        const char *v = eq ? eq + 1 : NULL;
        char *c;
        if (!plan_is_proxy(a, kl))
            continue;
        if (!v && !(v = getenv(lower)))
            continue;
        for (c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        for (c = upper; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        strvec_setenv(env, lower, v);
        strvec_setenv(env, upper, v);
    }
}

void
plan_release(struct plan *p)
{
    size_t i;

    for (i = 0; i < p->nstages; i++)
        stage_release(&p->stages[i]);
    free(p->stages);
    parse_recipe_release(&p->recipe);
    strvec_release(&p->global_args);
    strvec_release(&p->predefined);
    strvec_release(&p->used_args);
    pthread_mutex_destroy(&p->lock);
}

void
plan_where(const struct plan *p, const struct parse_instr *in, char *out, size_t n)
{
    snprintf(out, n, "%s:%d:%d", p->recipe.file, in->line, in->col);
}

struct stage *
plan_find_stage(struct plan *p, const char *ref)
{
    char *end;
    unsigned long idx;
    size_t i;

    for (i = 0; i < p->nstages; i++)
        if (p->stages[i].name && !strcasecmp(p->stages[i].name, ref))
            return &p->stages[i];
    idx = strtoul(ref, &end, 10);
    if (*ref && !*end && idx < p->nstages)
        return &p->stages[idx];
    return NULL;
}

/* The value a build arg gets from the command line: 1 found, 0 not given. */
static int
plan_arg_override(struct plan *p, const char *key, const char **value)
{
    size_t kl = strlen(key), i;

    for (i = 0; i < p->o->build_args.n; i++) {
        const char *a = p->o->build_args.v[i];
        if (strncmp(a, key, kl) != 0 || (a[kl] != '=' && a[kl] != '\0'))
            continue;
        if (a[kl] == '=')
            *value = a + kl + 1;
        else
            *value = getenv(key);
        pthread_mutex_lock(&p->lock);
        if (!strvec_getenv(&p->used_args, key))
            strvec_setenv(&p->used_args, key, "1");
        pthread_mutex_unlock(&p->lock);
        return *value != NULL;
    }
    /* the environment's or --source-date-epoch's epoch, as buildx passes it on */
    if (!strcmp(key, "SOURCE_DATE_EPOCH") && p->epoch_arg[0]) {
        *value = p->epoch_arg;
        return 1;
    }
    return 0;
}

/*
 * Declares the ARGs of in into scope: `ARG k=default` or `ARG k` (which
 * inherits a global ARG's value); --build-arg overrides both, and a default
 * is expanded only when no --build-arg gives a value (BuildKit's
 * dispatchArg and buildMetaArgs).
 */
int
plan_declare_args(struct plan *p, const struct parse_instr *in, const struct strvec *vars,
                  const struct strvec *globals, struct strvec *scope, struct strvec *declared,
                  struct error *err)
{
    size_t i;
    char where[256];

    plan_where(p, in, where, sizeof(where));
    for (i = 0; i < in->args.n; i++) {
        const char *w = in->args.v[i];
        const char *eq = strchr(w, '=');
        cleanup_free char *key = xstrndup(w, eq ? (size_t)(eq - w) : strlen(w));
        cleanup_free char *val = NULL;
        const char *over = NULL;

        if (!*key)
            return error_input(err, "%s: ARG needs a name", where);
        if (plan_arg_override(p, key, &over))
            val = xstrdup(over);
        else if (eq && expand_word(eq + 1, p->recipe.escape, vars, &val, err) < 0)
            return error_wrap(err, "%s", where);
        else if (!eq && globals && strvec_getenv(globals, key))
            val = xstrdup(strvec_getenv(globals, key));
        if (val)
            strvec_setenv(scope, key, val);
        if (declared && !strvec_getenv(declared, key))
            strvec_setenv(declared, key, "");
    }
    return 0;
}

/*
 * BuildKit's automatic platform ARGs (Dockerfile reference, "Automatic
 * platform ARGs in the global scope"), usable in FROM and by `ARG NAME` in
 * a stage: TARGET* for the platform being built, BUILD* for this machine.
 */
static void
plan_platform_args(struct plan *p)
{
    static const char *const kinds[] = {"TARGET", "BUILD"};
    const struct platform *pf[] = {&p->target, &p->build};
    size_t i;

    for (i = 0; i < 2; i++) {
        cleanup_free char *pl = xasprintf("%sPLATFORM", kinds[i]);
        cleanup_free char *o = xasprintf("%sOS", kinds[i]);
        cleanup_free char *a = xasprintf("%sARCH", kinds[i]);
        cleanup_free char *v = xasprintf("%sVARIANT", kinds[i]);
        char plat[PLATFORM_STR_MAX];
        platform_format(pf[i], plat);
        strvec_setenv(&p->global_args, pl, plat);
        strvec_setenv(&p->global_args, o, pf[i]->os);
        strvec_setenv(&p->global_args, a, pf[i]->arch);
        strvec_setenv(&p->global_args, v, pf[i]->variant);
    }
}

/*
 * TARGETSTAGE (Dockerfile reference, "Automatic platform ARGs in the global
 * scope"; BuildKit's defaultArgs): the stage being built, the last one's
 * name when --target is not given, "default" when that one has no name.
 */
static void
plan_target_arg(struct plan *p)
{
    const char *name = "default";
    size_t i;

    for (i = 0; i < p->recipe.n; i++) {
        const struct parse_instr *in = &p->recipe.instrs[i];
        if (in->kind == INSTR_FROM)
            name = in->args.n >= 3 && !strcasecmp(in->args.v[1], "as") ? in->args.v[2] : "default";
    }
    if (p->o->target) {
        strvec_setenv(&p->global_args, "TARGETSTAGE", p->o->target);
    } else {
        cleanup_free char *lower = xstrdup(name);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        strvec_setenv(&p->global_args, "TARGETSTAGE", lower);
    }
}

/*
 * SOURCE_DATE_EPOCH (reproducible-builds.org; BuildKit takes it as a build
 * arg): --build-arg SOURCE_DATE_EPOCH, else a global ARG of that name
 * (whose value may come from the environment), else the environment or
 * --source-date-epoch.
 */
static int
plan_epoch(struct plan *p, struct error *err)
{
    const char *v = NULL;
    size_t i;

    for (i = 0; i < p->o->build_args.n; i++) {
        const char *a = p->o->build_args.v[i];
        if (!strncmp(a, "SOURCE_DATE_EPOCH=", 18))
            v = a + 18;
        else if (!strcmp(a, "SOURCE_DATE_EPOCH"))
            v = getenv(a);
    }
    if (!v)
        v = strvec_getenv(&p->global_args, "SOURCE_DATE_EPOCH");
    if (!v || !*v) {
        p->epoch = p->o->source_date_epoch;
        return 0;
    }
    if (units_parse_epoch(v, &p->epoch, err) < 0)
        return error_input(err, "%s: invalid SOURCE_DATE_EPOCH: %s (seconds since 1970)",
                           p->recipe.file, v);
    snprintf(p->epoch_arg, sizeof(p->epoch_arg), "%lld", p->epoch);
    return 0;
}

static int
plan_stages(struct plan *p, struct error *err)
{
    size_t i;
    struct stage *st = NULL;
    char where[256];

    plan_platform_args(p);
    plan_target_arg(p);
    strvec_copy(&p->predefined, &p->global_args);
    for (i = 0; i < p->recipe.n; i++) {
        const struct parse_instr *in = &p->recipe.instrs[i];
        if (in->kind == INSTR_FROM) {
            p->stages = xrealloc(p->stages, (p->nstages + 1) * sizeof(*p->stages));
            st = &p->stages[p->nstages];
            memset(st, 0, sizeof(*st));
            st->index = p->nstages++;
            st->from = in;
            st->first = i + 1;
            st->end = i + 1;
            if (in->args.n >= 3 && !strcasecmp(in->args.v[1], "as")) {
                st->name = xstrdup(in->args.v[2]);
                for (char *c = st->name; *c; c++)
                    *c = (char)tolower((unsigned char)*c);
            }
            continue;
        }
        if (!st) {
            if (in->kind != INSTR_ARG) {
                plan_where(p, in, where, sizeof(where));
                return error_input(err, "%s: %s before the first FROM (only ARG may come first)",
                                   where, in->keyword);
            }
            if (plan_declare_args(p, in, &p->global_args, NULL, &p->global_args, NULL, err) < 0)
                return -1;
            continue;
        }
        st->end = i + 1;
    }
    if (!p->nstages)
        return error_input(err, "%s: no FROM instruction", p->recipe.file);
    return 0;
}

/* The stage a --from= or FROM names, when it is a stage (else an image). */
static struct stage *
plan_dep(struct plan *p, const struct stage *st, const char *ref)
{
    struct stage *d = plan_find_stage(p, ref);

    return d && d->index < st->index ? d : NULL;
}

struct stage *
plan_copy_source(struct plan *p, const struct stage *st, const struct parse_instr *in)
{
    if (!in->f.from || (in->kind != INSTR_COPY && in->kind != INSTR_ADD))
        return NULL;
    return plan_dep(p, st, in->f.from);
}

static void
plan_add_dep(struct plan *p, struct stage *st, struct stage *d)
{
    size_t i;

    for (i = 0; i < st->ndeps; i++)
        if (st->deps[i] == d)
            return;
    st->deps = xrealloc(st->deps, (st->ndeps + 1) * sizeof(*st->deps));
    st->deps[st->ndeps++] = d;
    plan_mark_needed(p, d);
}

/* The stages instruction in reads: COPY/ADD --from, RUN --mount from=. */
static void
plan_add_instr_deps(struct plan *p, struct stage *st, const struct parse_instr *in)
{
    size_t j;

    if (in->f.from && (in->kind == INSTR_COPY || in->kind == INSTR_ADD)) {
        struct stage *d = plan_dep(p, st, in->f.from);
        if (d)
            plan_add_dep(p, st, d);
    }
    for (j = 0; j < in->f.nmounts; j++) {
        /* RUN --mount=...,from=STAGE reads that stage too */
        const char *name = in->f.mounts[j].from;
        struct stage *d = name ? plan_dep(p, st, name) : NULL;
        if (d)
            plan_add_dep(p, st, d);
    }
}

void
plan_mark_needed(struct plan *p, struct stage *st)
{
    cleanup_free char *from = NULL;
    struct error ignored;
    size_t i;

    if (st->needed)
        return;
    st->needed = 1;
    error_init(&ignored);
    if (st->from->args.n &&
        expand_word(st->from->args.v[0], p->recipe.escape, &p->global_args, &from, &ignored) == 0) {
        struct stage *d = plan_dep(p, st, from);
        if (d) {
            plan_add_dep(p, st, d);
            /*
             * The base stage's own ONBUILD triggers run in this stage
             * (its base image's ran in it and are gone): an inherited
             * ONBUILD COPY --from=other reads other too.
             */
            for (i = d->first; i < d->end; i++)
                if (p->recipe.instrs[i].kind == INSTR_ONBUILD && p->recipe.instrs[i].sub)
                    plan_add_instr_deps(p, st, p->recipe.instrs[i].sub);
        }
    }
    for (i = st->first; i < st->end; i++)
        plan_add_instr_deps(p, st, &p->recipe.instrs[i]);
}

/* What keeps a stage from being lazy: a FROM, or a RUN --mount from= of it. */
static void
plan_not_lazy(struct plan *p, struct stage *st, const struct parse_instr *in, unsigned char *eager)
{
    size_t j;

    for (j = 0; j < in->f.nmounts; j++) {
        const char *name = in->f.mounts[j].from;
        struct stage *d = name ? plan_dep(p, st, name) : NULL;
        if (d)
            eager[d->index] = 1;
    }
}

void
plan_mark_lazy(struct plan *p, const struct stage *target)
{
    cleanup_free unsigned char *eager = xcalloc(p->nstages + 1, 1);
    struct error ignored;
    size_t n, i;

    for (n = 0; n < p->nstages; n++) {
        struct stage *st = &p->stages[n];
        cleanup_free char *from = NULL;
        if (!st->needed)
            continue;
        error_init(&ignored);
        if (st->from->args.n && expand_word(st->from->args.v[0], p->recipe.escape, &p->global_args,
                                            &from, &ignored) == 0) {
            struct stage *d = plan_dep(p, st, from);
            if (d) {
                eager[d->index] = 1;
                for (i = d->first; i < d->end; i++)
                    if (p->recipe.instrs[i].kind == INSTR_ONBUILD && p->recipe.instrs[i].sub)
                        plan_not_lazy(p, st, p->recipe.instrs[i].sub, eager);
            }
        }
        for (i = st->first; i < st->end; i++)
            plan_not_lazy(p, st, &p->recipe.instrs[i], eager);
    }
    for (n = 0; n < p->nstages; n++)
        p->stages[n].lazy = p->stages[n].needed && !eager[n] && &p->stages[n] != target;
}

/*
 * --from=NAME (COPY/ADD) and RUN --mount from=NAME must name an earlier
 * stage or an image: a later stage would make a cycle, and a name that is
 * neither is a typo. Checked before any step runs (values with variables are
 * left to the step, which expands them).
 */
static int
plan_check_ref(struct plan *p, struct store *s, const struct stage *st,
               const struct parse_instr *in, const char *ref, struct error *err)
{
    struct stage *d = plan_find_stage(p, ref);
    char where[256], digest[DIGEST_STR_LEN + 1];
    struct error e;

    plan_where(p, in, where, sizeof(where));
    if (d && d->index >= st->index)
        return error_input(err,
                           "%s: --from=%s: stage \"%s\" comes %s (a stage reads only "
                           "earlier ones)",
                           where, ref, ref, d == st ? "is this stage" : "later");
    if (d || strchr(ref, '$') || build_opts_named(&p->o->named_contexts, ref)) /* --build-context */
        return 0;
    error_init(&e);
    if (index_resolve(s, ref, digest, &e) == 0 ||
        (registry_ref_is_remote(ref) && strncmp(ref, "localhost/", 10)))
        return 0;
    return error_input(err, "%s: --from=%s: no stage or image of that name", where, ref);
}

int
plan_check_refs(struct plan *p, struct store *s, struct error *err)
{
    size_t n, i, j;

    for (n = 0; n < p->nstages; n++) {
        struct stage *st = &p->stages[n];
        if (!st->needed)
            continue;
        for (i = st->first; i < st->end; i++) {
            const struct parse_instr *in = &p->recipe.instrs[i];
            const char *f = in->f.from;
            if (f && plan_check_ref(p, s, st, in, f, err) < 0)
                return -1;
            for (j = 0; j < in->f.nmounts; j++) {
                const char *name = in->f.mounts[j].from;
                if (name && plan_check_ref(p, s, st, in, name, err) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

static int
plan_read_recipe(struct plan *p, struct error *err)
{
    cleanup_buf struct buf text = BUF_INIT;
    int from_stdin = !strcmp(p->o->recipe, "-"); /* -f - : the recipe on standard input */

    if ((from_stdin
             ? fs_read_fd_max(0, "standard input", PLAN_RECIPE_MAX, &text, err)
             : context_read_file(p->o->context, p->o->recipe, PLAN_RECIPE_MAX, &text, err)) < 0) {
        if (err->sys_errno)
            err->exit_code = 2;
        return error_wrap(err, "recipe");
    }
    if (parse_recipe(from_stdin ? "<stdin>" : p->o->recipe, buf_cstr(&text), text.len, &p->recipe,
                     err) < 0)
        return -1;
    return parse_validate(&p->recipe, err);
}

void
plan_number_steps(struct plan *p)
{
    size_t i, needed = 0;

    for (i = 0; i < p->nstages; i++)
        needed += p->stages[i].needed;
    for (i = 0; i < p->nstages; i++) {
        struct stage *st = &p->stages[i];
        st->nsteps = 1 + st->end - st->first;
        if (needed > 1 && st->name)
            st->label = xasprintf("%s ", st->name);
        else if (needed > 1)
            st->label = xasprintf("stage-%zu ", i);
        else
            st->label = xstrdup("");
    }
}

void
plan_warn_unused_args(struct plan *p)
{
    size_t i;

    for (i = 0; i < p->o->build_args.n; i++) {
        cleanup_free char *k = xstrdup(p->o->build_args.v[i]);
        char *eq = strchr(k, '=');
        if (eq)
            *eq = '\0';
        if (!strvec_getenv(&p->used_args, k) && !plan_is_proxy(k, strlen(k)) &&
            strcmp(k, "SOURCE_DATE_EPOCH") && strcmp(k, "BUILDKIT_DOCKERFILE_CHECK"))
            log_warn("build arg %s was not consumed by any ARG instruction", k);
    }
}

int
plan_read(struct plan *p, struct error *err)
{
    if (plan_read_recipe(p, err) < 0 || plan_stages(p, err) < 0)
        return -1;
    return plan_epoch(p, err);
}
