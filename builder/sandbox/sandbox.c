/*
 * The RUN sandbox, parent side: works out the plan, clones the child into
 * its namespaces, streams the command's output line by line, waits, and
 * leaves the upper dir holding only what the command changed.
 *
 * Mount points: the rootfs gets one more, bottom-most lower dir
 * (<linkdir>/mnt) holding empty proc/, dev/, sys/, etc/hosts and
 * etc/resolv.conf. The mounts land on those, which show through whenever
 * the image lacks them, so nothing is created in the overlay and the upper
 * dir stays clean without any cleanup. Only when an image hides one of them
 * (a whiteout, an opaque dir, a symlinked /etc) does the child create it in
 * the merged view; it reports each such path, and they are removed from the
 * upper dir after the run.
 */
#include "builder/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/sandbox/caps.h"
#include "builder/sandbox/slirp.h"
#include "builder/sandbox/userns.h"
#include "builder/sandbox/sandbox_internal.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"

#include "formats/core/banned.h"

#define SANDBOX_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* a line longer than this is handed on in pieces */
#define SANDBOX_MAX_LINE (64 * 1024)

/* An empty file or directory at dir/rel (rel relative, parents made as directories). */
static int
sandbox_stub(int dfd, const char *rel, int file, struct error *err)
{
    cleanup_free char *parent = xstrdup(rel);
    char *slash = strrchr(parent, '/');
    int fd;

    if (slash) {
        *slash = '\0';
        if (fs_mkdir_p(dfd, parent, 0755, err) < 0)
            return -1;
    }
    if (!file)
        return fs_mkdir_p(dfd, rel, 0755, err);
    fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return error_set(err, errno, "create mount point %s", rel);
    close(fd);
    return 0;
}

/* The bottom-most lower with the mount points (see the top of this file). */
static int
sandbox_mountpoints(const char *dir, const struct sandbox_plan *plan, struct error *err)
{
    const struct sandbox_spec *spec = plan->spec;
    static const char *const dirs[] = {"proc", "dev", "sys", "etc"};
    static const char *const files[] = {"etc/hosts", "etc/resolv.conf"};
    cleanup_close int dfd = -1;
    size_t i;

    if (fs_mkdir_p(AT_FDCWD, dir, 0755, err) < 0)
        return -1;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return error_set(err, errno, "open %s", dir);
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (mkdirat(dfd, dirs[i], 0755) < 0 && errno != EEXIST)
            return error_set(err, errno, "mkdir %s/%s", dir, dirs[i]);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        int fd = openat(dfd, files[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return error_set(err, errno, "create %s/%s", dir, files[i]);
        close(fd);
    }
    for (i = 0; i < spec->nmounts; i++) {
        const char *t = spec->mounts[i].target;
        while (*t == '/')
            t++;
        if (*t && sandbox_stub(dfd, t, !plan->src[i].is_dir, err) < 0)
            return error_wrap(err, "RUN --mount target %s", spec->mounts[i].target);
    }
    return 0;
}

/*
 * Docker's default profile, compiled once per process (for three
 * architectures on x86_64 that takes tens of milliseconds) and shared by
 * every run, also across the build's threads. Never freed.
 */
static const struct syscall_filter *
sandbox_default_filter(struct error *err)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static struct syscall_filter *dflt;
    const struct syscall_filter *f;

    pthread_mutex_lock(&lock);
    if (!dflt)
        syscall_filter_default(CAPS_DEFAULT_MASK, &dflt, err);
    f = dflt;
    pthread_mutex_unlock(&lock);
    return f;
}

/* The run's cgroup limits; the default pids limit only where a pids controller is usable. */
static int
sandbox_cgroup(struct sandbox_plan *plan, struct error *err)
{
    static int warned;
    const struct sandbox_spec *spec = plan->spec;
    int dflt = spec->pids_limit == SANDBOX_PIDS_DEFAULT;
    struct cgroup_limits lim = {
        spec->memory_limit, spec->memory_swap, dflt ? SANDBOX_PIDS_DEFAULT_MAX : spec->pids_limit,
        spec->cpu_millis,   spec->cpu_shares,  spec->cpuset_cpus};
    struct error why;

    error_init(&why);
    if (cgroup_create(&plan->cg, &lim, dflt ? &why : err) == 0)
        return 0;
    if (!dflt || why.exit_code == 2)
        return dflt ? (*err = why, -1) : -1;
    lim.pids = 0;
    if (cgroup_create(&plan->cg, &lim, err) < 0)
        return -1;
    if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
        log_warn("RUN steps have no process limit: %s%s%s", why.msg, why.sys_errno ? ": " : "",
                 why.sys_errno ? strerror(why.sys_errno) : "");
    return 0;
}

/* An env array with room for HOME, when the command's environment lacks it. */
static void
sandbox_env_home(struct sandbox_plan *plan)
{
    char *const *e = plan->spec->env;
    size_t n = 0;

    for (; e && e[n]; n++)
        if (!strncmp(e[n], "HOME=", 5))
            return;
    plan->env_home = xcalloc(n + 2, sizeof(char *));
    if (n)
        memcpy(plan->env_home, e, n * sizeof(char *));
}

/* Which ids the command may switch to, and whether it may set its groups. */
static int
sandbox_idmaps(struct sandbox_plan *plan, struct error *err)
{
    if (plan->userns) {
        /* the child maps only root, to us, and must deny setgroups (userns_map_root) */
        userns_parse_idmap("0 0 1\n", &plan->uids, err);
        userns_parse_idmap("0 0 1\n", &plan->gids, err);
        plan->setgroups_ok = 0;
        return 0;
    }
    if (userns_read_idmap(0, &plan->uids, err) < 0 || userns_read_idmap(1, &plan->gids, err) < 0)
        return error_wrap(err, "sandbox user namespace");
    plan->setgroups_ok = userns_setgroups_allowed();
    return 0;
}

static void
sandbox_plan_release(struct sandbox_plan *plan)
{
    free(plan->env_home);
    plan->env_home = NULL;
    overlay_prep_release(&plan->ov);
    cgroup_destroy(&plan->cg);
    sandbox_mounts_release(plan);
}

static int
sandbox_plan_init(struct sandbox_plan *plan, const struct sandbox_spec *spec, struct error *err)
{
    struct overlay_spec ov = spec->overlay;
    cleanup_free const char **lowers = NULL;
    cleanup_free char *mnt = NULL;

    memset(plan, 0, sizeof(*plan));
    cgroup_init(&plan->cg);
    plan->spec = spec;
    plan->privileged = userns_privileged();
    plan->userns = geteuid() != 0;
    plan->outer_uid = geteuid();
    plan->outer_gid = getegid();
    if (sandbox_idmaps(plan, err) < 0)
        return -1;
    plan->sync_fd = plan->out_fd = plan->go_r = plan->go_w = -1;
    /* in the host's network namespace CAP_NET_RAW would let a step sniff its traffic */
    plan->caps =
        CAPS_DEFAULT_MASK & (spec->net == SANDBOX_NET_HOST ? ~(1ULL << CAP_NET_RAW) : ~0ULL);
    plan->caps = (plan->caps | spec->cap_add) & ~spec->cap_drop; /* --cap-add, --cap-drop */
    plan->path = SANDBOX_DEFAULT_PATH;
    for (char *const *e = spec->env; e && *e; e++)
        if (!strncmp(*e, "PATH=", 5))
            plan->path = *e + 5;
    if (ov.nlowers + 1 > OVERLAY_MAX_LOWERS)
        return error_input(err, "RUN: %zu layers, at most %d can be stacked", ov.nlowers,
                           OVERLAY_MAX_LOWERS - 1);
    if (fs_mkdir_p(AT_FDCWD, ov.linkdir, 0700, err) < 0)
        return error_wrap(err, "sandbox scratch dir");
    mnt = fs_join(ov.linkdir, "mnt");
    if (sandbox_mounts_prepare(plan, err) < 0) {
        sandbox_mounts_release(plan);
        return -1;
    }
    if (sandbox_mountpoints(mnt, plan, err) < 0) {
        sandbox_mounts_release(plan);
        return error_wrap(err, "sandbox mount points");
    }
    lowers = xcalloc(ov.nlowers + 1, sizeof(*lowers));
    if (ov.nlowers)
        memcpy(lowers, ov.lowers, ov.nlowers * sizeof(*lowers));
    lowers[ov.nlowers] = mnt;
    ov.lowers = lowers;
    ov.nlowers++;
    if (overlay_prepare(&ov, &plan->ov, err) < 0) {
        sandbox_mounts_release(plan);
        return -1;
    }
    plan->ov.nodev = 1;
    /* Docker's default profile unless the caller brings one or asks for none */
    plan->filter = spec->seccomp;
    if (!spec->seccomp && !spec->seccomp_unconfined &&
        !(plan->filter = sandbox_default_filter(err))) {
        sandbox_plan_release(plan);
        return -1;
    }
    if (spec->seccomp_unconfined)
        plan->filter = NULL;
    /* docker build's --shm-size and --add-host */
    snprintf(plan->shm_opts, sizeof(plan->shm_opts), "mode=1777,size=%lldk",
             spec->shm_size > 0 ? (spec->shm_size + 1023) / 1024 : 65536);
    if (sandbox_net_etc(plan, err) < 0 || sandbox_hosts_append(plan, err) < 0 ||
        sandbox_cgroup(plan, err) < 0) {
        sandbox_plan_release(plan);
        return -1;
    }
    sandbox_env_home(plan);
    return 0;
}

/* Keeps the last SANDBOX_TAIL_LINES lines that fit in res->tail, each ending in '\n'. */
static void
sandbox_tail_add(struct sandbox_result *res, const char *line, size_t len)
{
    char *t = res->tail;
    size_t cur = strlen(t), lines = 0;

    if (len > SANDBOX_TAIL_LEN - 2) {
        line += len - (SANDBOX_TAIL_LEN - 2);
        len = SANDBOX_TAIL_LEN - 2;
    }
    for (size_t i = 0; i < cur; i++)
        lines += t[i] == '\n';
    while (cur && (cur + len + 2 > SANDBOX_TAIL_LEN || lines >= SANDBOX_TAIL_LINES)) {
        char *nl = strchr(t, '\n');
        size_t drop = nl ? (size_t)(nl - t) + 1 : cur;
        memmove(t, t + drop, cur - drop + 1);
        cur -= drop;
        lines--;
    }
    memcpy(t + cur, line, len);
    t[cur + len] = '\n';
    t[cur + len + 1] = '\0';
}

static void
sandbox_emit(const struct sandbox_spec *spec, struct sandbox_result *res, const char *line,
             size_t len)
{
    if (spec->on_output)
        spec->on_output(spec->opaque, line, len);
    sandbox_tail_add(res, line, len);
}

/* Reads the command's output until every writer is gone (PID 1 exiting kills the rest). */
static void
sandbox_pump(int fd, const struct sandbox_spec *spec, struct sandbox_result *res)
{
    cleanup_buf struct buf pending = BUF_INIT;
    char chunk[16384];

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        size_t start = 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (size_t i = 0; i < (size_t)n; i++) {
            if (chunk[i] != '\n')
                continue;
            buf_add(&pending, chunk + start, i - start);
            sandbox_emit(spec, res, buf_cstr(&pending), pending.len);
            buf_reset(&pending);
            start = i + 1;
        }
        buf_add(&pending, chunk + start, (size_t)n - start);
        if (pending.len >= SANDBOX_MAX_LINE) {
            sandbox_emit(spec, res, buf_cstr(&pending), pending.len);
            buf_reset(&pending);
        }
    }
    if (pending.len)
        sandbox_emit(spec, res, buf_cstr(&pending), pending.len);
}

/* One record (a SOCK_SEQPACKET message), and the fd passed with it into *fd (else -1). */
static ssize_t
sandbox_read_msg(int sock, struct sandbox_msg *m, int *fd)
{
    struct iovec iov = {m, sizeof(*m)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } c;
    struct msghdr mh;
    ssize_t r;

    *fd = -1;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = c.buf;
    mh.msg_controllen = sizeof(c.buf);
    do
        r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    for (struct cmsghdr *cm = r >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(fd, CMSG_DATA(cm), sizeof(int));
    return r;
}

/* The parent's side of a run, while the child sets up. */
struct sandbox_wait {
    struct strvec created; /* mount points the child made */
    pid_t pid;
    int go_w;   /* SANDBOX_NET_PRIVATE: where to say the network is up, -1 once said */
    int userns; /* the child has a user namespace of its own */
    struct slirp slirp;
    struct error net_err;
    int net_failed;
    int pty;  /* SANDBOX_STDIO_PTY: the terminal's master, once the child sent it */
    int fuse; /* the rootfs was mounted with fuse-overlayfs */
};

/* The child's namespaces exist: start slirp4netns on them, then let the child go on. */
static void
sandbox_net_go(struct sandbox_wait *w)
{
    if (w->go_w < 0)
        return;
    error_init(&w->net_err);
    if (slirp_start(&w->slirp, w->pid, w->userns, &w->net_err) < 0)
        w->net_failed = 1;
    else if (send(w->go_w, "1", 1, MSG_NOSIGNAL) != 1) /* the child may be gone: no SIGPIPE */
        w->net_failed = error_set(&w->net_err, errno, "start RUN's network") < 0;
    close(w->go_w); /* on failure the child reads EOF and gives up */
    w->go_w = -1;
}

/*
 * Reads the child's records until exec closes the pipe. Returns 1 when
 * exec happened, 0 with err set when setup failed.
 */
static int
sandbox_sync(int fd, struct sandbox_wait *w, struct error *err)
{
    struct sandbox_msg m;
    int ready = 0, failed = 0, net_wait = 0, passed;

    while (sandbox_read_msg(fd, &m, &passed) == (ssize_t)sizeof(m)) {
        if (passed >= 0 && (m.kind != SANDBOX_MSG_PTY || w->pty >= 0)) {
            close(passed);
        } else if (m.kind == SANDBOX_MSG_PTY) {
            w->pty = passed;
        } else if (m.kind == SANDBOX_MSG_CREATED) {
            m.path[sizeof(m.path) - 1] = '\0';
            strvec_push(&w->created, m.path);
        } else if (m.kind == SANDBOX_MSG_FUSE) {
            w->fuse = 1;
        } else if (m.kind == SANDBOX_MSG_NETNS) {
            sandbox_net_go(w);
        } else if (m.kind == SANDBOX_MSG_READY) {
            ready = 1;
        } else if (m.kind == SANDBOX_MSG_ERROR && !failed) {
            m.err.msg[sizeof(m.err.msg) - 1] = '\0';
            m.path[sizeof(m.path) - 1] = '\0';
            *err = m.err;
            failed = 1;
            net_wait = !strcmp(m.path, SANDBOX_NET_WAIT_TAG);
        }
    }
    /* the network's own reason rather than the child's "could not be set up"; but when the
     * child failed on its own, slirp4netns only found it gone, and the child's reason counts */
    if (w->net_failed && (!failed || net_wait))
        *err = w->net_err;
    else if (!failed && !ready)
        error_set(err, 0, "sandbox setup died before running the command");
    return ready && !failed && !w->net_failed;
}

static int
sandbox_pipe(int fds[2], struct error *err)
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        return error_set(err, errno, "pipe");
    /* the child dup2()s onto 0-2; keep both ends clear of them */
    for (int i = 0; i < 2; i++)
        if (fds[i] < 3) {
            int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (fd < 0)
                return error_set(err, errno, "dup pipe");
            close(fds[i]);
            fds[i] = fd;
        }
    return 0;
}

/*
 * A socketpair with both ends above 2. SOCK_SEQPACKET for the sync channel
 * (one record per message, EOF once every child end is closed);
 * SOCK_STREAM for the "network is up" byte, a socket rather than a pipe so
 * that telling a child that has died meanwhile gives EPIPE (send with
 * MSG_NOSIGNAL) and not a SIGPIPE that would end strata.
 */
static int
sandbox_socketpair(int fds[2], int type, struct error *err)
{
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) < 0)
        return error_set(err, errno, "socketpair");
    for (int i = 0; i < 2; i++)
        if (fds[i] < 3) {
            int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (fd < 0)
                return error_set(err, errno, "dup socket");
            close(fds[i]);
            fds[i] = fd;
        }
    return 0;
}

static pid_t
sandbox_clone(const struct sandbox_plan *plan)
{
    unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;

    if (plan->spec->net != SANDBOX_NET_HOST)
        flags |= CLONE_NEWNET;
    if (plan->userns)
        flags |= CLONE_NEWUSER;
    /*
     * A raw clone (as bubblewrap does): the child is PID 1 of the new PID
     * namespace and runs on a copy of our stack, fork-style. glibc's
     * clone() would need a separate stack, which ASan cannot follow.
     */
    return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
}

/* The command runs: tell the caller, then follow its output until it is done. */
static void
sandbox_started(const struct sandbox_spec *spec, const struct sandbox_wait *w, int out,
                struct sandbox_result *res)
{
    if (spec->stdio == SANDBOX_STDIO_PIPE)
        sandbox_pump(out, spec, res);
    else if (spec->stdio == SANDBOX_STDIO_PTY && w->pty >= 0 && spec->on_pty)
        spec->on_pty(spec->opaque, w->pty);
}

static void
sandbox_status(int status, struct sandbox_result *res)
{
    if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
        res->exit_code = 128 + res->signal;
    } else {
        res->exit_code = WEXITSTATUS(status);
    }
}

static void
sandbox_close_pair(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0)
            close(p[i]);
}

int
sandbox_run(const struct sandbox_spec *spec, struct sandbox_result *res, struct error *err)
{
    struct sandbox_wait w;
    struct sandbox_plan plan;
    struct error cerr;
    int syncp[2] = {-1, -1}, outp[2] = {-1, -1}, gop[2] = {-1, -1}, status = 0, ran;

    memset(res, 0, sizeof(*res));
    memset(&w, 0, sizeof(w));
    w.go_w = w.pty = -1;
    slirp_init(&w.slirp);
    if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
        return error_input(err, "RUN: empty command");
    if (sandbox_plan_init(&plan, spec, err) < 0)
        return -1;
    if (sandbox_socketpair(syncp, SOCK_SEQPACKET, err) < 0 ||
        (spec->stdio == SANDBOX_STDIO_PIPE && sandbox_pipe(outp, err) < 0) ||
        (spec->net == SANDBOX_NET_PRIVATE && sandbox_socketpair(gop, SOCK_STREAM, err) < 0))
        goto close_pipes;
    plan.sync_fd = syncp[1];
    plan.out_fd = outp[1];
    plan.go_r = gop[0];
    plan.go_w = gop[1];
    w.pid = sandbox_clone(&plan);
    if (w.pid == 0)
        sandbox_child(&plan);
    if (w.pid < 0) {
        error_set(err, errno, "clone the sandbox");
        goto close_pipes;
    }
    if (spec->on_start)
        spec->on_start(spec->opaque, (int)w.pid);
    close(syncp[1]);
    if (outp[1] >= 0)
        close(outp[1]);
    if (gop[0] >= 0)
        close(gop[0]);
    syncp[1] = outp[1] = gop[0] = -1;
    w.go_w = gop[1];
    w.userns = plan.userns;
    error_init(&cerr);
    ran = sandbox_sync(syncp[0], &w, &cerr);
    if (w.go_w >= 0) /* the child never got that far */
        close(w.go_w);
    if (ran)
        sandbox_started(spec, &w, outp[0], res);
    if (w.pty >= 0)
        close(w.pty);
    close(syncp[0]);
    if (outp[0] >= 0)
        close(outp[0]);
    while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* before the cgroup goes: did the memory limit kill it? */
    res->oom = ran && status != 0 && cgroup_oom_killed(&plan.cg);
    slirp_stop(&w.slirp);
    sandbox_tidy_upper(&plan, &w.created);
    /* fuse-overlayfs's extra opaque marks go, so the layer is the kernel's */
    if (ran && w.fuse && overlay_fuse_tidy(&plan.ov, &cerr) < 0)
        ran = 0;
    strvec_release(&w.created);
    sandbox_plan_release(&plan);
    if (!ran) {
        *err = cerr;
        return -1;
    }
    sandbox_status(status, res);
    return 0;
close_pipes:
    sandbox_close_pair(syncp);
    sandbox_close_pair(outp);
    sandbox_close_pair(gop);
    sandbox_plan_release(&plan);
    return -1;
}
