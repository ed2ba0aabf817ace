/*
 * slirp4netns for a sandbox's network namespace (slirp4netns(1)). It is
 * spawned with posix_spawn (the build runs stages on several threads),
 * reports on --ready-fd once tap0 is up, and exits when --exit-fd closes.
 * Its own output goes to a memfd, read back only to explain a failure.
 */
#include "builder/sandbox/slirp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder/sandbox/userns.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"

#include "formats/core/banned.h"

#define SLIRP_READY_MS 10000
#define SLIRP_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

extern char **environ;

void
slirp_init(struct slirp *s)
{
    s->pid = 0;
    s->exit_fd = -1;
}

/* slirp4netns on $PATH (or the usual PATH), or NULL */
static char *
slirp_find(void)
{
    const char *p = getenv("PATH");

    for (p = p && *p ? p : SLIRP_DEFAULT_PATH; p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len) {
            char *c = xasprintf("%.*s/slirp4netns", (int)len, p);
            if (access(c, X_OK) == 0)
                return c;
            free(c);
        }
        p = colon ? colon + 1 : NULL;
    }
    return NULL;
}

/*
 * The line of slirp4netns's log that explains a failure: the first one that
 * is not a WARNING (it warns about seccomp on every start) or the child's
 * bare "child failed(N)", else the last line.
 */
static void
slirp_last_line(int logfd, char *out, size_t n)
{
    char buf[4096];
    ssize_t got = pread(logfd, buf, sizeof(buf) - 1, 0);
    char *line, *next, *pick = NULL, *last = NULL;
    const char *hint;
    int room;

    out[0] = '\0';
    if (got <= 0)
        return;
    buf[got] = '\0';
    for (line = buf; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line[strcspn(line, "\r")] = '\0';
        if (!*line)
            continue;
        last = line;
        if (!pick && strncmp(line, "WARNING", 7) && strncmp(line, "child failed", 12))
            pick = line;
    }
    line = pick ? pick : last;
    if (!line)
        return;
    /* a plain user's slirp4netns opens the tun device as that user */
    hint = strstr(line, "/dev/net/tun") && !userns_privileged()
               ? " (without root, slirp4netns needs /dev/net/tun open to all users, mode 0666, "
                 "as Debian's udev rules make it)"
               : "";
    room = n > strlen(hint) + 1 ? (int)(n - strlen(hint) - 1) : 0;
    if (snprintf(out, n, "%.*s%s", room, line, hint) < 0)
        out[0] = '\0';
}

/* fd, moved to 10 or above so that the spawn's dup2 onto 0-4 cannot clobber it */
static int
slirp_high(int fd)
{
    int h = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 10) : -1;

    if (fd >= 0)
        close(fd);
    return h;
}

static int
slirp_spawn(const char *bin, char *const *argv, int logfd, int ready_w, int exit_r, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    int rc;

    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    /* stdin /dev/null, output to the log, the ready and exit pipes on 3 and 4, nothing else */
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, logfd, 1);
    posix_spawn_file_actions_adddup2(&fa, logfd, 2);
    posix_spawn_file_actions_adddup2(&fa, ready_w, 3);
    posix_spawn_file_actions_adddup2(&fa, exit_r, 4);
    posix_spawn_file_actions_addclosefrom_np(&fa, 5);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(pid, bin, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

/* Waits for the ready byte: 1 ready, 0 timed out, -1 slirp4netns went away. */
static int
slirp_wait_ready(int fd)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    char c;
    int r;

    do
        r = poll(&pfd, 1, SLIRP_READY_MS);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    return r > 0 && read(fd, &c, 1) == 1 ? 1 : -1;
}

int
slirp_start(struct slirp *s, pid_t target, int userns, struct error *err)
{
    cleanup_free char *bin = slirp_find();
    cleanup_strvec struct strvec argv = STRVEC_INIT;
    cleanup_close int logfd = -1;
    int ready[2] = {-1, -1}, exitp[2] = {-1, -1}, rc, r;
    char line[512];
    pid_t pid = 0;

    slirp_init(s);
    if (!bin)
        return error_set(err, 0,
                         "RUN's network needs slirp4netns (Debian package slirp4netns): install "
                         "it, or build with --network none or --network host");
    strvec_push(&argv, bin);
    strvec_push(&argv, "--configure");
    strvec_push(&argv, "--mtu=65520");
    strvec_push(&argv, "--disable-host-loopback");
    strvec_push(&argv, "--enable-sandbox");
    strvec_push(&argv, "--enable-seccomp");
    strvec_push(&argv, "--ready-fd=3");
    strvec_push(&argv, "--exit-fd=4");
    if (userns)
        strvec_push_owned(&argv, xasprintf("--userns-path=/proc/%ld/ns/user", (long)target));
    strvec_push_owned(&argv, xasprintf("%ld", (long)target));
    strvec_push(&argv, "tap0");
    logfd = slirp_high(memfd_create("slirp4netns", MFD_CLOEXEC));
    if (logfd < 0 || pipe2(ready, O_CLOEXEC) < 0 || pipe2(exitp, O_CLOEXEC) < 0) {
        rc = error_set(err, errno, "slirp4netns: pipes");
        goto close_pipes;
    }
    ready[1] = slirp_high(ready[1]);
    exitp[0] = slirp_high(exitp[0]);
    rc = ready[1] < 0 || exitp[0] < 0
             ? EMFILE
             : slirp_spawn(bin, strvec_argv(&argv), logfd, ready[1], exitp[0], &pid);
    if (rc != 0) {
        rc = error_set(err, rc, "start %s", bin);
        goto close_pipes;
    }
    close(ready[1]);
    close(exitp[0]);
    s->pid = pid;
    s->exit_fd = exitp[1];
    r = slirp_wait_ready(ready[0]);
    close(ready[0]);
    if (r == 1)
        return 0;
    slirp_last_line(logfd, line, sizeof(line));
    slirp_stop(s);
    if (r == 0)
        return error_set(err, 0, "slirp4netns did not set up RUN's network in %d s%s%s",
                         SLIRP_READY_MS / 1000, line[0] ? ": " : "", line);
    return error_set(err, 0, "slirp4netns could not set up RUN's network%s%s", line[0] ? ": " : "",
                     line);
close_pipes:
    for (int i = 0; i < 2; i++) {
        if (ready[i] >= 0)
            close(ready[i]);
        if (exitp[i] >= 0)
            close(exitp[i]);
    }
    return rc;
}

void
slirp_stop(struct slirp *s)
{
    int status;

    if (s->exit_fd >= 0)
        close(s->exit_fd);
    if (s->pid > 0) {
        /* it leaves when its exit fd closes; give it a second, then insist */
        for (int i = 0; i < 100; i++) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            pid_t w = waitpid(s->pid, &status, WNOHANG);
            if (w == s->pid || (w < 0 && errno != EINTR))
                goto done;
            nanosleep(&ts, NULL);
        }
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
done:
    slirp_init(s);
}
