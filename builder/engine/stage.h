#ifndef STRATA_BUILDER_ENGINE_STAGE_H
#define STRATA_BUILDER_ENGINE_STAGE_H

/*
 * One stage of a recipe (FROM ... up to the next FROM): what the plan knows
 * of it, and its state while it is built. A stage starts from a base: an
 * image in the store (pulled when the store lacks it and its name is a
 * registry's: stage_image.h) or an earlier stage.
 */

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stddef.h>

#include "builder/recipe/parse.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/digest.h"
#include "formats/oci.h"
#include "formats/platform.h"

struct stage {
    size_t index;
    char *name;                     /* AS name (lower case), or NULL */
    const struct parse_instr *from; /* its FROM instruction */
    size_t first, end;              /* instruction range after FROM: [first, end) */
    int needed;                     /* the target needs it */
    int done;                       /* built: its state below is final */
    int started;                    /* the scheduler started it */
    int lazy;      /* only COPY/ADD --from read it: its steps run when a reader misses the cache */
    int dry;       /* being built lazily: a step not in the cache is skipped, its key kept */
    int pending;   /* some step was skipped: the key is final, the layers are not */
    int realizing; /* its skipped steps are running (stage_realize) */
    struct error *realize_err; /* running them failed: what its readers report */
    int prefetched;            /* a reader started a thread to realize it */
    int missed;                /* a step of this build of it missed the cache */
    pthread_t *prefetch;       /* threads it started to realize stages it reads */
    size_t nprefetch;
    struct stage **deps; /* stages this one reads (FROM, COPY --from, --mount from=) */
    size_t ndeps;
    struct platform platform; /* what its base is picked for and its RUN steps run as */
    struct stage *alias;      /* the same stage of an earlier platform's build, built once */

    /* state while building (stage_run.c's stage_take moves it; new owned fields go there) */
    cJSON *config;              /* full image config: config, history, rootfs */
    struct oci_manifest layers; /* layer descriptors so far */
    struct strvec diff_ids;
    char key[DIGEST_STR_LEN + 1];  /* cache key of the last step */
    char base[DIGEST_STR_LEN + 1]; /* base manifest digest (provenance), or "" */
    char *base_ref;                /* the base image's name as FROM gave it, or NULL */
    struct strvec args;            /* ARGs in scope, "K=V" */
    struct strvec declared;        /* every ARG name the stage declared, "K=", in order */
    cJSON *inputs;                 /* what the current step reads (for --explain-cache) */
    int explained;                 /* this stage's first miss was explained */
    int cmd_set;                   /* CMD set in this stage (ENTRYPOINT keeps it) */
    char *label;                   /* progress prefix: "[build 2/5]" base */
    struct parse_recipe onbuild;   /* the base image's ONBUILD triggers, run after FROM */
    size_t step_no, nsteps;
};

/* Starts st from the final state of the earlier stage src (deep copies, platform too). */
int stage_from_stage(struct stage *st, const struct stage *src);

/* Frees what a stage holds. Accepts a zeroed stage. */
void stage_release(struct stage *st);

#endif
