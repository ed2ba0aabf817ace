#include "store/txn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

/* A fixed table so the signal handler can walk it without allocating. */
#define TXN_MAX 256

static char *txn_paths[TXN_MAX];
static pid_t txn_owner;
static unsigned long txn_seq;
static int txn_hooked;
static pthread_mutex_t txn_lock = PTHREAD_MUTEX_INITIALIZER;

static void
txn_cleanup_all(void)
{
    struct error err;
    int i;

    if (getpid() != txn_owner)
        return; /* forked children must not remove the parent's files */
    for (i = 0; i < TXN_MAX; i++) {
        if (txn_paths[i]) {
            error_init(&err);
            fs_rm_rf(AT_FDCWD, txn_paths[i], &err);
        }
    }
}

static void
txn_on_signal(int sig)
{
    txn_cleanup_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
txn_hook(void)
{
    if (txn_hooked)
        return;
    txn_hooked = 1;
    txn_owner = getpid();
    atexit(txn_cleanup_all);
    signal(SIGINT, txn_on_signal);
    signal(SIGTERM, txn_on_signal);
    signal(SIGHUP, txn_on_signal);
}

char *
txn_tmp_path(const char *tmpdir, const char *tag)
{
    char *p;
    int i;

    pthread_mutex_lock(&txn_lock);
    txn_hook();
    p = xasprintf("%s/%ld-%lu-%s", tmpdir, (long)getpid(), ++txn_seq, tag);
    for (i = 0; i < TXN_MAX; i++) {
        if (!txn_paths[i]) {
            txn_paths[i] = xstrdup(p);
            break;
        }
    }
    pthread_mutex_unlock(&txn_lock);
    return p;
}

void
txn_unregister(const char *path)
{
    int i;

    pthread_mutex_lock(&txn_lock);
    for (i = 0; i < TXN_MAX; i++) {
        if (txn_paths[i] && !strcmp(txn_paths[i], path)) {
            free(txn_paths[i]);
            txn_paths[i] = NULL;
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
