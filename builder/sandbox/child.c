/*
 * The sandbox child, from clone() to execve(). It runs in new namespaces as
 * the future PID 1, so the command itself becomes PID 1 (no init process in
 * between). Every failure is sent to the parent as a struct error on the
 * sync pipe, then the child _exit(127)s (STYLE.md "Errors"). The child came
 * from a raw clone() that ran no fork handlers, so it never allocates.
 */
#include "builder/sandbox/sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <termios.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "builder/sandbox/caps.h"
#include "builder/sandbox/userns.h"
#include "builder/sandbox/passwd.h"

#include "formats/core/banned.h"

int
sandbox_send(int fd, int kind, const char *path, const struct error *err)
{
    struct sandbox_msg m;
    const char *p = (const char *)&m;
    size_t n = sizeof(m);

    memset(&m, 0, sizeof(m));
    m.kind = kind;
    if (path)
        snprintf(m.path, sizeof(m.path), "%s", path);
    if (err)
        m.err = *err;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Waits for the parent's word that slirp4netns has configured tap0. */
static int
sandbox_wait_network(const struct sandbox_plan *plan, struct error *err)
{
    char c;
    ssize_t n;

    do
        n = read(plan->go_r, &c, 1);
    while (n < 0 && errno == EINTR);
    close(plan->go_r);
    if (n != 1) {
        /* tagged, so the parent shows its own reason instead when it has one */
        error_set(err, 0, "RUN's network could not be set up");
        sandbox_send(plan->sync_fd, SANDBOX_MSG_ERROR, SANDBOX_NET_WAIT_TAG, err);
        return -1;
    }
    return 0;
}

/* mkdir -p and chdir inside the new root, as root (like Docker's WORKDIR). */
static int
sandbox_workdir(const char *cwd, struct error *err)
{
    char p[PATH_MAX];
    char *s;

    if (!cwd || !*cwd)
        cwd = "/";
    if (cwd[0] != '/')
        return error_input(err, "working directory %s is not absolute", cwd);
    if ((size_t)snprintf(p, sizeof(p), "%s", cwd) >= sizeof(p))
        return error_input(err, "working directory too long");
    for (s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return error_set(err, errno, "create working directory %s", p);
            *s = c;
            if (!c)
                break;
        }
    }
    if (chdir(cwd) < 0)
        return error_set(err, errno, "chdir to working directory %s", cwd);
    return 0;
}

/*
 * In a user namespace only some ids exist: a user or group outside them is
 * named (a supplementary group outside them is dropped, as the kernel would
 * refuse the whole list). No allocation.
 */
static int
sandbox_user_mapped(const struct sandbox_plan *plan, const char *user, struct passwd_ids *ids,
                    struct error *err)
{
    unsigned top = userns_idmap_top(&plan->uids);
    size_t n = 0;

    if (!user || !*user)
        user = "root";
    if (!userns_idmap_has(&plan->uids, ids->uid) || !userns_idmap_has(&plan->gids, ids->gid)) {
        if (top == 0)
            return error_set(err, 0,
                             "user %s (uid %u, gid %u): only root exists in this rootless "
                             "build (no subordinate ids mapped: see /etc/subuid)",
                             user, (unsigned)ids->uid, (unsigned)ids->gid);
        return error_set(err, 0,
                         "user %s (uid %u, gid %u): not mapped in this rootless build's user "
                         "namespace (ids 0-%u are)",
                         user, (unsigned)ids->uid, (unsigned)ids->gid, top);
    }
    for (size_t i = 0; i < ids->ngroups; i++)
        if (userns_idmap_has(&plan->gids, ids->groups[i]))
            ids->groups[n++] = ids->groups[i];
    ids->ngroups = n;
    return 0;
}

static int
sandbox_user(const struct sandbox_plan *plan, struct error *err)
{
    const char *user = plan->spec->user;
    struct passwd_ids ids;
    int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), rc;

    if (rootfd < 0)
        return error_set(err, errno, "open /");
    rc = passwd_resolve(rootfd, user, &ids, err);
    close(rootfd);
    if (rc < 0)
        return -1;
    if (plan->env_home) { /* the child's private copy of the plan: no allocation needed */
        struct sandbox_plan *p = (struct sandbox_plan *)plan;
        size_t n = 0;
        snprintf(p->home_var, sizeof(p->home_var), "HOME=%s", ids.home);
        while (p->env_home[n])
            n++;
        p->env_home[n] = p->home_var;
    }
    if (caps_limit_bounding(plan->caps, err) < 0)
        return -1;
    if (sandbox_user_mapped(plan, user, &ids, err) < 0)
        return -1;
    if (plan->setgroups_ok && syscall(SYS_setgroups, (size_t)ids.ngroups, ids.groups) < 0)
        return error_set(err, errno, "setgroups for user %s", user ? user : "root");
    /*
     * Raw system calls, not glibc's setgid/setuid: in a process that had
     * threads those broadcast the change to every thread (nptl's setxid) and
     * wait for answers; this child was cloned from one thread of such a
     * process, so the others do not exist here and the wait never ends.
     */
    if (syscall(SYS_setresgid, ids.gid, ids.gid, ids.gid) < 0)
        return error_set(err, errno, "setgid %u", (unsigned)ids.gid);
    if (syscall(SYS_setresuid, ids.uid, ids.uid, ids.uid) < 0)
        return error_set(err, errno, "setuid %u", (unsigned)ids.uid);
    /* a non-root uid has lost its capabilities already; keep them lost */
    return caps_set(ids.uid == 0 ? plan->caps : 0, err);
}

/*
 * A new, empty session keyring, as runc gives each container: the command
 * never sees the caller's session keyring (and with seccomp keyctl is gone
 * altogether). Joined after the uid change, so it belongs to the command's
 * user.
 */
static int
sandbox_keyring(struct error *err)
{
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
        return error_set(err, errno, "join a new session keyring");
    return 0;
}

int
sandbox_send_fd(int sock, int kind, int fd)
{
    struct sandbox_msg m;
    struct iovec iov = {&m, sizeof(m)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } c;
    struct msghdr mh;
    struct cmsghdr *cm;
    ssize_t w;

    memset(&m, 0, sizeof(m));
    memset(&mh, 0, sizeof(mh));
    memset(&c, 0, sizeof(c));
    m.kind = kind;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = c.buf;
    mh.msg_controllen = sizeof(c.buf);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    do
        w = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    return w == (ssize_t)sizeof(m) ? 0 : -1;
}

/*
 * A terminal for the command, made in the sandbox's own devpts (as runc
 * does), so that it is /dev/pts/N inside and belongs to the command's user;
 * the master goes to the parent, the slave becomes fds 0-2 and the
 * controlling terminal (we lead a new session).
 */
static int
sandbox_pty(const struct sandbox_plan *plan, struct error *err)
{
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), slave, unlock = 0;

    if (master < 0)
        return error_set(err, errno, "open /dev/ptmx");
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
        (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        int e = errno;
        close(master);
        return error_set(err, e, "open the terminal's other end");
    }
    if (sandbox_send_fd(plan->sync_fd, SANDBOX_MSG_PTY, master) < 0) {
        close(master);
        close(slave);
        return error_set(err, errno, "hand the terminal to strata");
    }
    close(master);
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
        return error_set(err, errno, "dup2 the terminal");
    close(slave);
    if (ioctl(0, TIOCSCTTY, 0) < 0)
        return error_set(err, errno, "make the terminal the controlling one");
    return 0;
}

/* The command's fds 0-2 (sandbox.h, enum sandbox_stdio); everything else closes on exec. */
static int
sandbox_stdio(const struct sandbox_plan *plan, struct error *err)
{
    const struct sandbox_spec *spec = plan->spec;
    int null = -1;

    if (spec->stdio == SANDBOX_STDIO_PTY) {
        if (sandbox_pty(plan, err) < 0)
            return -1;
    } else if (spec->stdio == SANDBOX_STDIO_INHERIT) {
        if (!spec->stdin_open &&
            ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || dup2(null, 0) < 0))
            return error_set(err, errno, "stdin /dev/null");
    } else {
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
            return error_set(err, errno, "open /dev/null");
        if (dup2(null, 0) < 0 || dup2(plan->out_fd, 1) < 0 || dup2(plan->out_fd, 2) < 0)
            return error_set(err, errno, "dup2");
    }
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        return error_set(err, errno, "close_range");
    return 0;
}

/*
 * The parent's handlers and mask must not leak into the command (e.g.
 * SIGPIPE ignored). An init keeps every signal blocked: what arrives before
 * the command runs stays pending and is passed on then.
 */
static void
sandbox_reset_signals(const struct sandbox_plan *plan)
{
    sigset_t mask;

    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    if (plan->spec->init)
        sigfillset(&mask);
    else
        sigemptyset(&mask);
    sigprocmask(SIG_SETMASK, &mask, NULL);
}

static int
sandbox_setup(const struct sandbox_plan *plan, struct error *err)
{
    const struct sandbox_spec *spec = plan->spec;
    int fuse;

    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        return error_set(err, errno, "set parent death signal");
    if (plan->go_w >= 0)
        close(plan->go_w); /* only the parent may say "go" */
    if (setsid() < 0)
        return error_set(err, errno, "setsid");
    umask(022);
    if (plan->userns && userns_map_root(plan->outer_uid, plan->outer_gid, err) < 0)
        return -1;
    /* nothing mounted from here on may propagate back to the host */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return error_set(err, errno, "make / private");
    /* the namespaces exist: the parent starts the user-mode network meanwhile */
    if (spec->net == SANDBOX_NET_PRIVATE &&
        sandbox_send(plan->sync_fd, SANDBOX_MSG_NETNS, NULL, NULL) < 0)
        return error_set(err, errno, "tell the parent about the network namespace");
    if (cgroup_enter(&plan->cg, err) < 0 || (fuse = overlay_mount_prepared(&plan->ov, err)) < 0)
        return -1;
    /* the upper dir then needs overlay_fuse_tidy() afterwards */
    if (fuse == 1 && sandbox_send(plan->sync_fd, SANDBOX_MSG_FUSE, NULL, NULL) < 0)
        return error_set(err, errno, "tell the parent about fuse-overlayfs");
    if (sandbox_rootfs_setup(plan, err) < 0)
        return -1;
    if (spec->hostname && *spec->hostname &&
        sethostname(spec->hostname, strlen(spec->hostname)) < 0 &&
        (errno != EPERM || plan->privileged))
        return error_set(err, errno, "sethostname %s", spec->hostname);
    /* EPERM unprivileged: a container's seccomp profile (podman's without SYS_ADMIN) refuses
     * it; the UTS namespace is still our own, with the container's name */
    if (spec->net != SANDBOX_NET_HOST && sandbox_net_lo_up(err) < 0)
        return -1;
    if (spec->net == SANDBOX_NET_PRIVATE && sandbox_wait_network(plan, err) < 0)
        return -1;
    /* limits before the user change: a lowered hard limit cannot be raised after it */
    if (sandbox_workdir(spec->cwd, err) < 0 || sandbox_apply_rlimits(spec, err) < 0 ||
        sandbox_user(plan, err) < 0 || sandbox_keyring(err) < 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return error_set(err, errno, "set no_new_privs");
    /* a uid change cleared the death signal (prctl(2)); set it again */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        return error_set(err, errno, "set parent death signal");
    sandbox_reset_signals(plan);
    if (sandbox_stdio(plan, err) < 0)
        return -1;
    /* last: from here on only what the profile allows (write, execve) is needed */
    return plan->filter ? syscall_filter_load(plan->filter, err) : 0;
}

static char *const sandbox_no_env[] = {NULL};

/* execvpe() with Docker's messages; returns only on failure. */
static int
sandbox_exec(const struct sandbox_plan *plan, struct error *err)
{
    char *const *argv = plan->spec->argv;
    char *const *env = plan->env_home    ? plan->env_home
                       : plan->spec->env ? plan->spec->env
                                         : sandbox_no_env;
    const char *file = argv[0], *p = plan->path;
    char full[PATH_MAX];
    int eacces = 0;

    if (strchr(file, '/')) {
        execve(file, argv, env);
        if (errno == ENOENT) {
            error_set(err, errno, "exec: \"%s\": stat %s", file, file);
            return error_kind(err, ERROR_NOT_FOUND);
        }
        return error_set(err, errno, "exec: \"%s\"", file);
    }
    while (p) {
        const char *colon = strchr(p, ':');
        int len = colon ? (int)(colon - p) : (int)strlen(p);
        /* an empty PATH element means the current directory */
        if ((size_t)snprintf(full, sizeof(full), "%.*s%s%s", len, len ? p : ".", "/", file) <
            sizeof(full)) {
            execve(full, argv, env);
            if (errno == EACCES)
                eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != ENAMETOOLONG)
                return error_set(err, errno, "exec: \"%s\": %s", file, full);
        }
        p = colon ? colon + 1 : NULL;
    }
    if (eacces)
        return error_set(err, EACCES, "exec: \"%s\"", file);
    error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", file);
    return error_kind(err, ERROR_NOT_FOUND);
}

/* The exit status init passes on for the command's wait status (tini's convention). */
static int
sandbox_init_status(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/*
 * PID 1 as an init (spec->init): forks the command, then waits for signals
 * with all of them blocked (a blocked signal reaches PID 1 even without a
 * handler, from inside or from the parent namespace), passes each on to the
 * command, and reaps whatever dies, orphans included, until the command
 * itself exits. No allocation: a raw clone, as for the sandbox itself.
 */
__attribute__((noreturn)) static void
sandbox_init(const struct sandbox_plan *plan)
{
    struct error err;
    sigset_t all, none;
    pid_t cmd;

    sigfillset(&all);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &all, NULL);
    cmd = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
    if (cmd == 0) {
        error_init(&err);
        sigprocmask(SIG_SETMASK, &none, NULL);
        sandbox_send(plan->sync_fd, SANDBOX_MSG_READY, NULL, NULL);
        sandbox_exec(plan, &err);
        sandbox_send(plan->sync_fd, SANDBOX_MSG_ERROR, NULL, &err);
        _exit(127);
    }
    if (cmd < 0) {
        error_init(&err);
        error_set(&err, errno, "init: fork the command");
        sandbox_send(plan->sync_fd, SANDBOX_MSG_ERROR, NULL, &err);
        _exit(127);
    }
    /* the parent sees the channel close when the command has exec'd */
    close(plan->sync_fd);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si), status;
        pid_t w;

        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            kill(cmd, sig);
            continue;
        }
        while ((w = waitpid(-1, &status, WNOHANG)) > 0)
            if (w == cmd)
                _exit(sandbox_init_status(status));
    }
}

void
sandbox_child(const struct sandbox_plan *plan)
{
    struct error err;
    sigset_t all;

    /* a signal sent to a PID 1 without a handler is dropped unless blocked (signal(7)) */
    sigfillset(&all);
    if (plan->spec->init)
        sigprocmask(SIG_SETMASK, &all, NULL);
    error_init(&err);
    if (sandbox_setup(plan, &err) == 0) {
        if (plan->spec->init)
            sandbox_init(plan);
        sandbox_send(plan->sync_fd, SANDBOX_MSG_READY, NULL, NULL);
        sandbox_exec(plan, &err);
    }
    sandbox_send(plan->sync_fd, SANDBOX_MSG_ERROR, NULL, &err);
    _exit(127);
}
