/*
 * The stage scheduler: stages that do not depend on each other run in
 * parallel threads (one per CPU), each as soon as the stages it reads are
 * done; after a failure no new stage starts and the first error is kept.
 */
#include "builder/engine/scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/engine/engine.h"
#include "builder/engine/stage_run.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

struct scheduler {
    struct build *b;
    pthread_mutex_t lock; /* guards everything below and the stages' started/done */
    pthread_cond_t cond;  /* a stage finished */
    int running;          /* stages being built now */
    int failed;           /* a stage failed: start no more */
    struct error first_err;
};

struct scheduler_job {
    struct scheduler *s;
    struct stage *st;
};

static int
scheduler_ready(const struct stage *st)
{
    size_t i;

    if (!st->needed || st->started)
        return 0;
    for (i = 0; i < st->ndeps; i++)
        if (!st->deps[i]->done)
            return 0;
    return 1;
}

static void
scheduler_finished(struct scheduler *s, int rc, const struct error *err)
{
    pthread_mutex_lock(&s->lock);
    if (rc < 0 && !s->failed) {
        s->failed = 1;
        s->first_err = *err;
    }
    s->running--;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void *
scheduler_thread(void *arg)
{
    struct scheduler_job *j = arg;
    struct scheduler *s = j->s;
    struct error err;
    int rc;

    error_init(&err);
    rc = stage_run(s->b, j->st, &err);
    free(j);
    scheduler_finished(s, rc, &err);
    return NULL;
}

/* Starts every ready stage while there is a free CPU; called with s->lock held. */
static int
scheduler_start_ready(struct scheduler *s, int max, struct error *err)
{
    struct plan *p = &s->b->plan;
    size_t i;
    int started = 0;

    for (i = 0; i < p->nstages && s->running < max; i++) {
        struct stage *st = &p->stages[i];
        struct scheduler_job *j;
        pthread_t t;
        int rc;
        if (!scheduler_ready(st))
            continue;
        j = xmalloc(sizeof(*j));
        j->s = s;
        j->st = st;
        /* before the thread starts: it frees j, maybe before pthread_create returns */
        st->started = 1;
        rc = pthread_create(&t, NULL, scheduler_thread, j);
        if (rc != 0) {
            free(j);
            st->started = 0;
            if (!s->running)
                return error_set(err, rc, "cannot start a thread for stage %zu", i);
            break; /* retry when a running stage finishes and frees its resources */
        }
        s->running++;
        pthread_detach(t);
        started = 1;
    }
    return started;
}

int
scheduler_run(struct build *b, struct stage *target, struct error *err)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int max = ncpu > 1 && ENGINE_PARALLEL_STAGES ? (int)ncpu : 1;
    struct scheduler s;
    size_t i, needed = 0;
    int rc = 0;

    for (i = 0; i < b->plan.nstages; i++)
        needed += b->plan.stages[i].needed;
    if (needed == 1)
        return stage_run(b, target, err);
    memset(&s, 0, sizeof(s));
    s.b = b;
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    pthread_mutex_lock(&s.lock);
    while (!target->done && !s.failed) {
        int started = scheduler_start_ready(&s, max, err);
        if (started < 0) {
            rc = -1;
            break;
        }
        if (!started && s.running == 0)
            break; /* nothing can start: cannot happen with acyclic deps */
        pthread_cond_wait(&s.cond, &s.lock);
    }
    while (s.running > 0)
        pthread_cond_wait(&s.cond, &s.lock);
    pthread_mutex_unlock(&s.lock);
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    if (rc < 0)
        return -1;
    if (s.failed) {
        *err = s.first_err;
        return -1;
    }
    if (!target->done)
        return error_set(err, 0, "build: stage dependencies could not be ordered");
    return 0;
}
