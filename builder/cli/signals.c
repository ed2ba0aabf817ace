#include "builder/cli/signals.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/txn.h"

#include "formats/core/banned.h"

#define SIGNALS_WAIT_MS 5000 /* how long children get to die before tmp is cleaned anyway */

static sigset_t signals_set;
static volatile sig_atomic_t signals_caught;
static int signals_target; /* signals_forward(): where the signals go, or 0 */

/* The state letter and parent pid of /proc/PID/stat, or 0 when it is gone. */
static char
signals_proc_state(const char *pid, long *ppid)
{
    char path[64], text[512];
    const char *end;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses; the last ')' ends it */
    end = strrchr(text, ')');
    if (!end || end[1] != ' ' || !end[2])
        return 0;
    *ppid = strtol(end + 4, NULL, 10);
    return end[2];
}

/*
 * Sends SIGKILL to every live child of this process; returns how many are
 * still running (not yet zombies). A sandbox child is PID 1 of its PID
 * namespace, so the kernel kills the rest of the namespace with it.
 */
static int
signals_kill_children(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    long me = (long)getpid();
    int alive = 0;

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        long ppid = 0;
        char st;
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        st = signals_proc_state(e->d_name, &ppid);
        if (!st || ppid != me || st == 'Z' || st == 'X')
            continue;
        kill((pid_t)strtol(e->d_name, NULL, 10), SIGKILL);
        alive++;
    }
    closedir(d);
    return alive;
}

static void *
signals_thread(void *arg)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    int sig = 0, waited;

    (void)arg;
    for (;;) {
        int to;
        while (sigwait(&signals_set, &sig) != 0)
            ;
        to = __atomic_load_n(&signals_target, __ATOMIC_ACQUIRE);
        if (to <= 0)
            break;
        kill((pid_t)to, sig); /* strata run: the container's init passes it on */
    }
    signals_caught = sig;
    /* children first: their writes into tmp/ must stop before tmp/ is removed */
    for (waited = 0; signals_kill_children() > 0 && waited < SIGNALS_WAIT_MS; waited += 20)
        nanosleep(&pause, NULL);
    txn_cleanup_final();
    /* die by the signal itself, so the caller (a shell, CI) sees what happened */
    signal(sig, SIG_DFL);
    pthread_sigmask(SIG_UNBLOCK, &signals_set, NULL);
    raise(sig);
    _exit(128 + sig);
}

void
signals_forward(int pid)
{
    __atomic_store_n(&signals_target, pid, __ATOMIC_RELEASE);
}

void
signals_hold(void)
{
    if (!signals_caught)
        return;
    for (;;)
        pause(); /* the signals are blocked here; the signal thread ends the process */
}

int
signals_start(void)
{
    pthread_t t;

    sigemptyset(&signals_set);
    sigaddset(&signals_set, SIGINT);
    sigaddset(&signals_set, SIGTERM);
    sigaddset(&signals_set, SIGHUP);
    sigaddset(&signals_set, SIGQUIT);
    sigaddset(&signals_set, SIGUSR1);
    sigaddset(&signals_set, SIGUSR2);
    if (pthread_sigmask(SIG_BLOCK, &signals_set, NULL) != 0)
        return -1;
    if (pthread_create(&t, NULL, signals_thread, NULL) != 0) {
        pthread_sigmask(SIG_UNBLOCK, &signals_set, NULL);
        return -1;
    }
    pthread_detach(t);
    return 0;
}
