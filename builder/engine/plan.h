#ifndef STRATA_BUILDER_ENGINE_PLAN_H
#define STRATA_BUILDER_ENGINE_PLAN_H

/*
 * The build plan: the recipe read and validated, its stages in order with the
 * instruction range of each, the stages the target needs (through FROM,
 * COPY --from and RUN --mount from=), and ARG scoping: global ARGs (before
 * the first FROM), BuildKit's automatic platform ARGs, and --build-arg
 * overrides. Everything here is decided before any step runs.
 */

#include <pthread.h>
#include <stddef.h>

#include "builder/engine/stage.h"
#include "builder/recipe/parse.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/platform.h"
#include "store/store.h"

struct build_opts;

struct plan {
    const struct build_opts *o;
    struct platform target; /* TARGETPLATFORM (set before plan_read) */
    struct platform build;  /* BUILDPLATFORM: this machine */
    struct parse_recipe recipe;
    struct stage *stages;
    size_t nstages;
    struct strvec global_args; /* ARGs declared before the first FROM, "K=V" */
    struct strvec predefined;  /* the automatic ARGs alone (platforms, TARGETSTAGE), "K=V" */
    struct strvec used_args;   /* --build-arg names some ARG consumed */
    pthread_mutex_t lock;      /* guards used_args: stages declare ARGs in parallel */
    long long epoch;           /* SOURCE_DATE_EPOCH in effect (plan_read), or -1 */
    char epoch_arg[32];        /* the epoch of the environment or --source-date-epoch, as an
                                  ARG SOURCE_DATE_EPOCH sees it, or "" */
};

/* Initialises p for o; target and build are this machine's platform until set. */
void plan_init(struct plan *p, const struct build_opts *o);
void plan_release(struct plan *p);

/*
 * Reads o->recipe ("-": standard input), parses and validates it, and splits
 * it into stages. A bad recipe is an input error naming file:line:col.
 */
int plan_read(struct plan *p, struct error *err);

/* The stage named ref (AS name, case-insensitive, or index), or NULL. */
struct stage *plan_find_stage(struct plan *p, const char *ref);

/*
 * Marks st and, transitively, every stage it reads as needed, recording the
 * dependencies in each stage's deps.
 */
void plan_mark_needed(struct plan *p, struct stage *st);

/* The earlier stage a COPY/ADD --from= of stage st names, or NULL. */
struct stage *plan_copy_source(struct plan *p, const struct stage *st,
                               const struct parse_instr *in);

/*
 * Marks lazy the needed stages other than target that only COPY/ADD --from
 * read (no stage is FROM them, no RUN --mount reads them). BuildKit solves a
 * stage only for the results asked of it: when the steps that copy from a
 * lazy stage are cached (keyed by the stage's key, known without running
 * it), its own steps never run, which is what lets --cache-to mode=min
 * (the final image's steps only) skip a build stage on another machine.
 */
void plan_mark_lazy(struct plan *p, const struct stage *target);

/*
 * Checks that every --from (COPY/ADD, RUN --mount) of a needed stage names an
 * earlier stage or an image (in store s, or a registry name): a later stage
 * would make a cycle, and a name that is neither is a typo.
 */
int plan_check_refs(struct plan *p, struct store *s, struct error *err);

/* Sets each stage's step count and progress label. */
void plan_number_steps(struct plan *p);

/*
 * Declares the ARGs of in into scope: `ARG k=default` (expanded with vars)
 * or `ARG k`, which takes the value of the global ARG k; --build-arg wins,
 * and then the default is never expanded (so ARG X=${Y:?msg} with X given
 * does not fail). An ARG without a value that nothing gives one stays out
 * of scope, as in BuildKit: a RUN does not see it, expansions find it
 * unset. declared, when not NULL, gets every name in order (once).
 */
int plan_declare_args(struct plan *p, const struct parse_instr *in, const struct strvec *vars,
                      const struct strvec *globals, struct strvec *scope, struct strvec *declared,
                      struct error *err);

/*
 * The predefined proxy build args (Dockerfile reference, "Predefined
 * ARGs"): for each --build-arg named http_proxy, https_proxy, ftp_proxy,
 * no_proxy or all_proxy (any case), sets both the lower- and upper-case
 * name in env. They reach RUN without an ARG, as in Docker, but are not
 * part of the step's key, its history or the image config.
 */
void plan_proxy_env(const struct plan *p, struct strvec *env);

/* "file:line:col" of instruction in, into out (n bytes). */
void plan_where(const struct plan *p, const struct parse_instr *in, char *out, size_t n);

/* Warns about each --build-arg that no ARG consumed, as docker does. */
void plan_warn_unused_args(struct plan *p);

#endif
