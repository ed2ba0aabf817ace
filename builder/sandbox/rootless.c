/*
 * Entering strata's own user namespace (rootless.h). The mapping follows
 * user_namespaces(7): a process may write only its own single mapping into
 * its new namespace's uid_map; anything wider needs CAP_SETUID in the parent
 * namespace, which is what the setuid newuidmap/newgidmap provide after
 * checking /etc/subuid and /etc/subgid. They must run in the parent
 * namespace (a setuid binary owned by an unmapped root does not gain
 * privilege inside), so a helper is forked before unshare() and runs them on
 * our pid once we are in the new namespace (as util-linux unshare
 * --map-users does).
 */
#include "builder/sandbox/rootless.h"

#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/sandbox/caps.h"
#include "builder/sandbox/userns.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"

#include "formats/core/banned.h"

size_t
rootless_parse_subids(const char *text, const char *name, unsigned long id,
                      struct rootless_ids *out)
{
    char idstr[32];

    snprintf(idstr, sizeof(idstr), "%lu", id);
    memset(out, 0, sizeof(*out));
    while (text && *text) {
        const char *nl = strchr(text, '\n'), *end = nl ? nl : text + strlen(text);
        const char *c1 = memchr(text, ':', (size_t)(end - text));
        size_t olen = c1 ? (size_t)(c1 - text) : 0;
        unsigned long start, count;
        char num[64], *e;

        if (c1 && *text != '#' &&
            ((name && olen == strlen(name) && !strncmp(text, name, olen)) ||
             (olen == strlen(idstr) && !strncmp(text, idstr, olen))) &&
            (size_t)(end - c1) < sizeof(num)) {
            memcpy(num, c1 + 1, (size_t)(end - c1 - 1));
            num[end - c1 - 1] = '\0';
            errno = 0;
            start = strtoul(num, &e, 10);
            if (e != num && *e == ':' && !errno) {
                char *s = e + 1;
                count = strtoul(s, &e, 10);
                if (e != s && (*e == '\0' || *e == '\r') && !errno && count > 0 &&
                    out->n < ROOTLESS_MAX_RANGES) {
                    out->r[out->n].start = start;
                    out->r[out->n].count = count;
                    out->n++;
                }
            }
        }
        text = nl ? nl + 1 : NULL;
    }
    return out->n;
}

static size_t
rootless_read_subids(const char *file, const char *name, unsigned long id, struct rootless_ids *out)
{
    cleanup_buf struct buf b = BUF_INIT;
    struct error ignored;

    memset(out, 0, sizeof(*out));
    error_init(&ignored);
    if (fs_read_file(AT_FDCWD, file, &b, &ignored) < 0)
        return 0;
    return rootless_parse_subids(buf_cstr(&b), name, id, out);
}

/* The helper's argv: "newuidmap PID 0 OUTER 1 1 START COUNT ..." (newuidmap(1)) */
static void
rootless_map_argv(struct strvec *argv, const char *tool, pid_t pid, unsigned long self,
                  const struct rootless_ids *ids)
{
    unsigned long inner = 1;

    strvec_push(argv, tool);
    strvec_pushf(argv, "%ld", (long)pid);
    strvec_push(argv, "0");
    strvec_pushf(argv, "%lu", self);
    strvec_push(argv, "1");
    for (size_t i = 0; i < ids->n; i++) {
        strvec_pushf(argv, "%lu", inner);
        strvec_pushf(argv, "%lu", ids->r[i].start);
        strvec_pushf(argv, "%lu", ids->r[i].count);
        inner += ids->r[i].count;
    }
}

/* In the helper: runs argv, its stderr going where ours goes. 0 when it exited 0. */
static int
rootless_run(char **argv)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        static const char *const dirs[] = {"/usr/bin/", "/usr/sbin/", "/bin/"};
        execvp(argv[0], argv);
        /* a PATH without the usual dirs (a test hiding slirp4netns, say) */
        for (size_t i = 0; errno == ENOENT && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
            char path[64];
            snprintf(path, sizeof(path), "%s%s", dirs[i], argv[0]);
            execv(path, argv);
        }
        fprintf(stderr, "%s: %s%s\n", argv[0], strerror(errno),
                errno == ENOENT ? " (install the uidmap package)" : "");
        _exit(127);
    }
    if (pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * What the helper does for the new namespace of pid: run newuidmap/newgidmap
 * (argv), or, when we hold CAP_SETUID and CAP_SETGID ourselves, write the
 * maps (text) directly.
 */
struct rootless_job {
    char **uidv, **gidv;
    const char *uid_text, *gid_text;
    pid_t pid;
};

static int
rootless_write_map(pid_t pid, const char *file, const char *text)
{
    char path[64];
    struct error err;

    snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
    error_init(&err);
    if (userns_write_file(path, text, &err) == 0)
        return 0;
    fprintf(stderr, "%s: %s\n", err.msg, strerror(err.sys_errno));
    return -1;
}

/* The helper, in the parent namespace: waits for "go", then maps the ids. */
__attribute__((noreturn)) static void
rootless_helper(int go, int report, const struct rootless_job *job)
{
    char c;
    ssize_t n;

    do
        n = read(go, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(1); /* the parent could not unshare and says so itself */
    if (dup2(report, 2) < 0)
        _exit(1);
    if (job->uid_text)
        _exit(rootless_write_map(job->pid, "uid_map", job->uid_text) == 0 &&
                      rootless_write_map(job->pid, "gid_map", job->gid_text) == 0
                  ? 0
                  : 1);
    _exit(rootless_run(job->uidv) == 0 && rootless_run(job->gidv) == 0 ? 0 : 1);
}

/* Unshares and has the helper map the ids (job); err says why not. */
static int
rootless_map(const struct rootless_job *job, int *unshared, struct error *err)
{
    cleanup_buf struct buf msg = BUF_INIT;
    int go[2], rep[2], status = 0;
    pid_t pid;

    if (pipe2(go, O_CLOEXEC) < 0)
        return error_set(err, errno, "pipe");
    if (pipe2(rep, O_CLOEXEC) < 0) {
        close(go[0]);
        close(go[1]);
        return error_set(err, errno, "pipe");
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(rep[0]);
        rootless_helper(go[0], rep[1], job);
    }
    close(go[0]);
    close(rep[1]);
    if (pid < 0) {
        close(go[1]);
        close(rep[0]);
        return error_set(err, errno, "fork");
    }
    if (unshare(CLONE_NEWUSER) < 0) {
        int e = errno;
        close(go[1]);
        close(rep[0]);
        waitpid(pid, NULL, 0);
        return error_set(err, e, "create a user namespace");
    }
    *unshared = 1;
    if (write(go[1], "1", 1) != 1)
        error_set(err, errno, "start the id mapping helper");
    close(go[1]);
    fs_read_fd_max(rep[0], "the id mapping helper's output", 4096, &msg, err);
    close(rep[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    while (msg.len && (msg.data[msg.len - 1] == '\n' || msg.data[msg.len - 1] == ' '))
        msg.data[--msg.len] = '\0';
    for (size_t i = 0; i < msg.len; i++)
        if (msg.data[i] == '\n')
            msg.data[i] = ';';
    return error_set(err, 0, "%s", msg.len ? buf_cstr(&msg) : "the id mapping helper failed");
}

/* Subordinate ranges through newuidmap/newgidmap. */
static int
rootless_map_ranges(const struct rootless_ids *u, const struct rootless_ids *g, int *unshared,
                    struct error *err)
{
    cleanup_strvec struct strvec uidv = STRVEC_INIT, gidv = STRVEC_INIT;
    struct rootless_job job = {NULL, NULL, NULL, NULL, getpid()};

    rootless_map_argv(&uidv, "newuidmap", getpid(), (unsigned long)getuid(), u);
    rootless_map_argv(&gidv, "newgidmap", getpid(), (unsigned long)getgid(), g);
    job.uidv = strvec_argv(&uidv);
    job.gidv = strvec_argv(&gidv);
    return rootless_map(&job, unshared, err);
}

/* "N N COUNT" for each extent of our own map: the new namespace has the same ids. */
static char *
rootless_identity(int gid, struct error *err)
{
    struct userns_idmap m;
    struct buf b = BUF_INIT;

    if (userns_read_idmap(gid, &m, err) < 0)
        return NULL;
    for (unsigned i = 0; i < m.n; i++)
        buf_addf(&b, "%u %u %u\n", m.ext[i].inner, m.ext[i].inner, m.ext[i].count);
    return buf_detach(&b);
}

/*
 * Root without CAP_SYS_ADMIN (a container not run --privileged) has
 * CAP_SETUID and CAP_SETGID still: it may give the new namespace every id it
 * has itself, one to one.
 */
static int
rootless_map_identity(int *unshared, struct error *err)
{
    cleanup_free char *u = rootless_identity(0, err);
    cleanup_free char *g = u ? rootless_identity(1, err) : NULL;
    struct rootless_job job = {NULL, NULL, u, g, getpid()};

    if (!g)
        return -1;
    return rootless_map(&job, unshared, err);
}

/* A namespace where only our own ids exist, written by ourselves. */
static int
rootless_map_single(int unshared, uid_t uid, gid_t gid, struct error *err)
{
    char line[64];

    if (!unshared && unshare(CLONE_NEWUSER) < 0)
        return error_set(err, errno, "create a user namespace");
    /* user_namespaces(7): an unprivileged gid_map needs setgroups denied first */
    if (userns_write_file("/proc/self/setgroups", "deny", err) < 0 && err->sys_errno != ENOENT)
        return -1;
    snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)uid);
    if (userns_write_file("/proc/self/uid_map", line, err) < 0)
        return -1;
    snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)gid);
    return userns_write_file("/proc/self/gid_map", line, err);
}

static void
rootless_warn_single(const char *user, const char *why)
{
    log_warn("rootless with a single id: %s; only your own uid and gid are mapped (to root), so "
             "images with files of other owners cannot be imported or built, and RUN cannot chown "
             "to or run as another user (give %s a range: usermod --add-subuids "
             "100000-165535 --add-subgids 100000-165535 %s)",
             why, user, user);
}

enum rootless_mode
rootless_enter(int warn)
{
    const struct passwd *pw;
    struct rootless_ids u, g;
    struct error err;
    char user[64], why[ERROR_MSG_LEN + 64];
    int unshared = 0;
    uid_t uid = getuid(); /* once unshared and not yet mapped, we are the overflow id */
    gid_t gid = getgid();

    if (geteuid() == 0 && caps_effective(CAP_SYS_ADMIN))
        return ROOTLESS_NONE;
    error_init(&err);
    pw = getpwuid(getuid());
    snprintf(user, sizeof(user), "%s", pw && pw->pw_name ? pw->pw_name : "");
    if (!user[0])
        snprintf(user, sizeof(user), "%u", (unsigned)getuid());
    if (geteuid() == 0 && caps_effective(CAP_SETUID) && caps_effective(CAP_SETGID)) {
        if (rootless_map_identity(&unshared, &err) == 0)
            return ROOTLESS_RANGES;
        snprintf(why, sizeof(why), "giving the user namespace our own ids failed: %s%s%s", err.msg,
                 err.sys_errno ? ": " : "", err.sys_errno ? strerror(err.sys_errno) : "");
    } else if (rootless_read_subids("/etc/subuid", pw ? pw->pw_name : NULL, getuid(), &u) &&
               rootless_read_subids("/etc/subgid", pw ? pw->pw_name : NULL, getgid(), &g)) {
        if (rootless_map_ranges(&u, &g, &unshared, &err) == 0)
            return ROOTLESS_RANGES;
        snprintf(why, sizeof(why), "mapping the subordinate ids failed: %s%s%s", err.msg,
                 err.sys_errno ? ": " : "", err.sys_errno ? strerror(err.sys_errno) : "");
    } else {
        snprintf(why, sizeof(why), "no subordinate ids for user %s in /etc/subuid and /etc/subgid",
                 user);
    }
    /* after a failed newuidmap we are in the new namespace already, with no map yet */
    error_init(&err);
    if (rootless_map_single(unshared, uid, gid, &err) < 0) {
        if (warn)
            log_warn("cannot enter a user namespace (%s%s%s): strata runs as uid %u and cannot "
                     "mount or build",
                     err.msg, err.sys_errno ? ": " : "",
                     err.sys_errno ? strerror(err.sys_errno) : "", (unsigned)uid);
        return ROOTLESS_FAILED;
    }
    if (warn)
        rootless_warn_single(user, why);
    return ROOTLESS_SINGLE;
}
