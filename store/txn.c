#include "store/txn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"

#include "formats/core/banned.h"

/*
 * The registered paths. Cleanup runs at exit and from the CLI's signal thread
 * (builder/cli/signals.c), both ordinary contexts, so the list may grow
 * without bound and the lock guards it.
 */
static struct strvec txn_paths = STRVEC_INIT;
static pid_t txn_owner;
static unsigned long txn_seq;
static int txn_hooked;
static int txn_closed; /* cleanup ran: the process is ending */
static pthread_mutex_t txn_lock = PTHREAD_MUTEX_INITIALIZER;

/* How often, 10 ms apart, cleanup retries a path it could not remove */
#define TXN_CLEANUP_TRIES 20

/*
 * The reaper: a thread that removes the trees given to txn_discard_later
 * while the caller goes on. A step's scratch dir holds 15-20 inodes, and
 * removing them in line took about 1 ms of every step (a 30-step build:
 * 0.185 s with it, 0.145 s without). The paths stay registered until they
 * are gone, and txn_cleanup_all stops the reaper (which first empties its
 * queue) before it removes what is left: nothing outlives the process.
 *
 * A fork waits until the reaper is between two trees (pthread_atfork): it
 * allocates while it removes one, and a child forked then could find the
 * allocator locked by a thread it does not have (ASan's allocator is not made
 * safe across fork the way glibc's malloc is).
 */
static pthread_mutex_t txn_reap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t txn_reap_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t txn_reap_idle = PTHREAD_COND_INITIALIZER;
static struct strvec txn_reap_queue = STRVEC_INIT;
static pthread_t txn_reap_thread;
static int txn_reap_running, txn_reap_stopping, txn_reap_busy, txn_reap_forking;
static pthread_once_t txn_reap_once = PTHREAD_ONCE_INIT;

/* Removes every registered path, trying a busy one again for up to 200 ms. */
static void
txn_remove_all(void)
{
    const struct timespec gap = {0, 10 * 1000 * 1000};
    struct error err;
    size_t i;

    for (i = 0; i < txn_paths.n; i++) {
        for (int t = 0; t < TXN_CLEANUP_TRIES; t++) {
            error_init(&err);
            if (fs_rm_rf(AT_FDCWD, txn_paths.v[i], &err) == 0 || err.sys_errno == ENOENT)
                break;
            nanosleep(&gap, NULL);
        }
    }
}

/* Lets the reaper finish its queue and end; called without txn_lock, which it takes. */
static void
txn_reap_stop(void)
{
    int running;

    pthread_mutex_lock(&txn_reap_lock);
    running = txn_reap_running;
    txn_reap_stopping = 1;
    pthread_cond_signal(&txn_reap_cv);
    pthread_mutex_unlock(&txn_reap_lock);
    if (running && !pthread_equal(pthread_self(), txn_reap_thread))
        pthread_join(txn_reap_thread, NULL);
    pthread_mutex_lock(&txn_reap_lock);
    txn_reap_running = 0;
    pthread_mutex_unlock(&txn_reap_lock);
}

void
txn_cleanup_all(void)
{
    if (getpid() != txn_owner)
        return; /* forked children must not remove the parent's files */
    txn_reap_stop();
    pthread_mutex_lock(&txn_lock);
    txn_closed = 1;
    txn_remove_all();
    strvec_release(&txn_paths);
    pthread_mutex_unlock(&txn_lock);
}

/*
 * Other threads still run while the signal thread cleans up: a step whose
 * child was just killed goes on to its error path, and a thread may have
 * taken a path just before cleanup and create it just after. So: no new
 * paths from now on (txn_tmp_path waits for the end), a first pass, a moment
 * for such a thread, and a second pass over the same paths.
 */
void
txn_cleanup_final(void)
{
    const struct timespec settle = {0, 30 * 1000 * 1000};

    if (getpid() != txn_owner)
        return;
    txn_reap_stop();
    pthread_mutex_lock(&txn_lock);
    txn_closed = 1;
    txn_remove_all();
    pthread_mutex_unlock(&txn_lock);
    nanosleep(&settle, NULL);
    txn_cleanup_all();
}

char *
txn_tmp_path(const char *tmpdir, const char *tag)
{
    char *p;

    pthread_mutex_lock(&txn_lock);
    while (txn_closed && getpid() == txn_owner) {
        /* the process is ending (exit or a signal): nothing new may be left behind */
        pthread_mutex_unlock(&txn_lock);
        pause();
        pthread_mutex_lock(&txn_lock);
    }
    if (!txn_hooked) {
        txn_hooked = 1;
        txn_owner = getpid();
        atexit(txn_cleanup_all);
    }
    p = xasprintf("%s/%ld-%lu-%s", tmpdir, (long)getpid(), ++txn_seq, tag);
    strvec_push(&txn_paths, p);
    pthread_mutex_unlock(&txn_lock);
    return p;
}

void
txn_unregister(const char *path)
{
    size_t i;

    pthread_mutex_lock(&txn_lock);
    for (i = 0; i < txn_paths.n; i++) {
        if (!strcmp(txn_paths.v[i], path)) {
            free(txn_paths.v[i]);
            txn_paths.v[i] = txn_paths.v[--txn_paths.n];
            txn_paths.v[txn_paths.n] = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&txn_lock);
}

void
txn_discard(const char *path)
{
    struct error err;

    error_init(&err);
    fs_rm_rf(AT_FDCWD, path, &err);
    txn_unregister(path);
}

/* pthread_atfork: the lock is held across the fork, with the reaper idle */
static void
txn_reap_prefork(void)
{
    pthread_mutex_lock(&txn_reap_lock);
    txn_reap_forking = 1;
    while (txn_reap_busy)
        pthread_cond_wait(&txn_reap_idle, &txn_reap_lock);
}

static void
txn_reap_postfork_parent(void)
{
    txn_reap_forking = 0;
    pthread_cond_broadcast(&txn_reap_cv);
    pthread_mutex_unlock(&txn_reap_lock);
}

static void
txn_reap_postfork_child(void)
{
    txn_reap_forking = 0;
    txn_reap_running = 0; /* the child has no reaper (and never queues: txn_discard_later) */
    pthread_mutex_unlock(&txn_reap_lock);
}

static void
txn_reap_hook(void)
{
    pthread_atfork(txn_reap_prefork, txn_reap_postfork_parent, txn_reap_postfork_child);
}

static void *
txn_reaper(void *arg)
{
    char *path;

    (void)arg;
    pthread_mutex_lock(&txn_reap_lock);
    for (;;) {
        while ((!txn_reap_queue.n && !txn_reap_stopping) || txn_reap_forking)
            pthread_cond_wait(&txn_reap_cv, &txn_reap_lock);
        if (!txn_reap_queue.n)
            break; /* stopping, and nothing is left */
        path = txn_reap_queue.v[--txn_reap_queue.n];
        txn_reap_queue.v[txn_reap_queue.n] = NULL;
        txn_reap_busy = 1;
        pthread_mutex_unlock(&txn_reap_lock);
        txn_discard(path);
        free(path);
        pthread_mutex_lock(&txn_reap_lock);
        txn_reap_busy = 0;
        pthread_cond_broadcast(&txn_reap_idle);
    }
    pthread_mutex_unlock(&txn_reap_lock);
    return NULL;
}

void
txn_discard_later(const char *path)
{
    int mine = getpid() == txn_owner; /* a forked child has no reaper */

    if (mine)
        pthread_once(&txn_reap_once, txn_reap_hook); /* not under the lock its handlers take */
    pthread_mutex_lock(&txn_reap_lock);
    if (mine && !txn_reap_running && !txn_reap_stopping &&
        pthread_create(&txn_reap_thread, NULL, txn_reaper, NULL) == 0)
        txn_reap_running = 1;
    if (mine && txn_reap_running) {
        strvec_push(&txn_reap_queue, path);
        pthread_cond_signal(&txn_reap_cv);
        pthread_mutex_unlock(&txn_reap_lock);
        return;
    }
    pthread_mutex_unlock(&txn_reap_lock);
    txn_discard(path); /* no thread (none could start, or the process is ending) */
}

long
txn_name_pid(const char *name)
{
    char *end;
    long pid = strtol(name, &end, 10);

    if (end == name || *end != '-' || pid <= 0)
        return 0;
    return pid;
}

void
txn_crash_point(const char *point)
{
    const char *at = getenv("STRATA_CRASH_AT");

    if (at && !strcmp(at, point))
        kill(getpid(), SIGKILL);
}
