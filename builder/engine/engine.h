#ifndef STRATA_BUILDER_ENGINE_ENGINE_H
#define STRATA_BUILDER_ENGINE_ENGINE_H

/*
 * What the parts of the engine share about one build: the store, the
 * options, the plan (recipe, stages, ARGs), the context, the cache book and
 * the build's time. Steps receive it and use it only through the plan's,
 * the cache book's and the context's own functions; scheduling state lives in
 * scheduler.c and is not visible here.
 *
 * A build for several platforms is one struct build per platform (build.c),
 * each with its own plan (the platform ARGs differ) and platform. The first
 * ("main") owns what they share: the context (the others hold a copy of it,
 * which is read-only once opened), the file hash memo, the cache book and
 * the base image pulls.
 */

#include <pthread.h>

#include "builder/engine/build_opts.h"
#include "builder/engine/cachebook.h"
#include "builder/engine/context.h"
#include "builder/engine/plan.h"
#include "formats/platform.h"
#include "formats/core/strvec.h"
#include "store/hashmemo.h"
#include "store/store.h"

/* A base image pulled during this build: pulled once even when stages ask at once. */
struct build_pull {
    char *ref;
    int state; /* 0 being pulled, 1 done, -1 failed */
};

struct build {
    struct store *store;
    const struct build_opts *o;
    struct plan plan;
    struct platform platform; /* what this build makes (TARGETPLATFORM) */
    struct build *main;       /* the build owning the shared parts (itself when first) */
    struct context ctx;
    struct hashmemo memo;   /* context file hashes remembered across builds (main's) */
    struct cachebook *book; /* main's own_book */
    struct cachebook own_book;
    long long now;       /* creation time for new steps */
    struct strvec named; /* --build-context, prepared: "NAME=REF" (imageopts.h); main's */

    /* main's only: */
    pthread_mutex_t pull_lock; /* guards pulls (never held across the network) */
    pthread_cond_t pull_cond;  /* a pull finished */
    struct build_pull *pulls;
    size_t npulls;
    pthread_mutex_t filter_lock;   /* guards filter */
    struct syscall_filter *filter; /* Docker's default seccomp profile, once compiled or read */
};

/*
 * Whether stages may build at once (each in a thread: scheduler.c, and the
 * prefetch of lazy stages in stage_run.c). Not in a build with ASan
 * (make SAN=1): the COPY child that one stage's thread forks allocates, and
 * GCC 12's ASan allocator is not locked around fork(), so a child forked
 * while another thread held an allocator lock waited for it forever (seen in
 * the SAN suite, in t1410 and t1900). One stage at a time, no other thread
 * allocates while a child is forked.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ENGINE_PARALLEL_STAGES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENGINE_PARALLEL_STAGES 0
#endif
#endif
#ifndef ENGINE_PARALLEL_STAGES
#define ENGINE_PARALLEL_STAGES 1
#endif

#endif
