/*
 * cgroup limits of a RUN (cgroup.h). Kernel references: Documentation/
 * admin-guide/cgroup-v2.rst (v2: "No Internal Process Constraint",
 * "Delegation", the memory, pids, cpu and cpuset interface files) and
 * Documentation/admin-guide/cgroup-v1/ (memory.rst, pids.rst, cpusets.rst,
 * and the CFS bandwidth files of scheduler/sched-bwc.rst).
 */
#include "builder/sandbox/cgroup.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

#define CGROUP_DEFAULT_ROOT "/sys/fs/cgroup"
/* linux/magic.h */
#define CGROUP_V1_MAGIC 0x27e0ebUL
#define CGROUP_V2_MAGIC 0x63677270UL
/* the CFS period strata uses for --cpus, as Docker does (100 ms) */
#define CGROUP_CPU_PERIOD_US 100000LL

static unsigned cgroup_counter;

void
cgroup_init(struct cgroup *cg)
{
    memset(cg, 0, sizeof(*cg));
    for (size_t i = 0; i < CGROUP_MAX; i++)
        cg->procs[i] = -1;
    cg->memory_dir = -1;
}

static const char *
cgroup_root(void)
{
    const char *r = getenv("STRATA_CGROUP_ROOT");

    return r && *r ? r : CGROUP_DEFAULT_ROOT;
}

/* A directory that is not on a cgroupfs: a test's fake tree, where we make the files. */
static int
cgroup_is_fake(const char *dir)
{
    struct statfs sf;

    if (statfs(dir, &sf) < 0)
        return 0;
    return (unsigned long)sf.f_type != CGROUP_V1_MAGIC &&
           (unsigned long)sf.f_type != CGROUP_V2_MAGIC;
}

/*
 * strata's own cgroup from /proc/self/cgroup: in the v1 hierarchy holding
 * controller ("4:memory:/user.slice"), or with controller NULL the v2 one
 * ("0::/user.slice/..."). "/" when not listed.
 */
static char *
cgroup_self(const char *controller)
{
    cleanup_buf struct buf b = BUF_INIT;
    struct error err;
    size_t clen = controller ? strlen(controller) : 0;
    char *line, *next;

    error_init(&err);
    if (fs_read_file(AT_FDCWD, "/proc/self/cgroup", &b, &err) < 0)
        return xstrdup("/");
    for (line = b.data; line && *line; line = next) {
        char *nl = strchr(line, '\n'), *c1 = strchr(line, ':'), *c2;
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        if (!c1 || !(c2 = strchr(c1 + 1, ':')))
            continue;
        if (!controller) {
            if (c2 == c1 + 1 && !strncmp(line, "0:", 2))
                return xstrdup(c2 + 1);
            continue;
        }
        /* a comma list of controllers */
        for (char *p = c1 + 1; p < c2;) {
            char *comma = memchr(p, ',', (size_t)(c2 - p));
            size_t len = comma ? (size_t)(comma - p) : (size_t)(c2 - p);
            if (len == clen && !strncmp(p, controller, len))
                return xstrdup(c2 + 1);
            p = comma ? comma + 1 : c2;
        }
    }
    return xstrdup("/");
}

/* base + own path, without a doubled or trailing '/' */
static char *
cgroup_join(const char *base, const char *self)
{
    while (*self == '/')
        self++;
    return *self ? xasprintf("%s/%s", base, self) : xstrdup(base);
}

static int
cgroup_write(const char *dir, const char *file, const char *val, int fake, struct error *err)
{
    cleanup_free char *path = xasprintf("%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC | (fake ? O_CREAT | O_TRUNC : 0), 0644);
    size_t n = strlen(val);
    ssize_t w;

    if (fd < 0)
        return error_set(err, errno, "cgroup: open %s", path);
    do
        w = write(fd, val, n);
    while (w < 0 && errno == EINTR);
    if (w < 0 || (size_t)w != n) {
        int e = w < 0 ? errno : EIO;
        close(fd);
        return error_set(err, e, "cgroup: write \"%s\" to %s", val, path);
    }
    close(fd);
    return 0;
}

static int cgroup_writef(const char *dir, const char *file, int fake, struct error *err,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
cgroup_writef(const char *dir, const char *file, int fake, struct error *err, const char *fmt, ...)
{
    char val[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    return cgroup_write(dir, file, val, fake, err);
}

/*
 * Makes a new cgroup of cg below parent, with its file `join` opened for cgroup_enter:
 * cgroup.procs on v2; on v1 `tasks`, which moves one thread. The joining
 * child is a single thread writing "0" (itself), and the kernel moves a
 * thread that is the writer without taking the threadgroup lock, whose
 * write side waits for an RCU grace period: 5-22 ms a RUN on this 6.x
 * kernel through cgroup.procs (kernel/cgroup/cgroup.c,
 * cgroup_procs_write_start()).
 */
static int
cgroup_mkdir(struct cgroup *cg, const char *parent, const char *join, int fake, struct error *err)
{
    cleanup_free char *procs = NULL;
    char *dir = NULL;
    size_t i = cg->n;
    int tries;

    /*
     * strata-PID-N, N counting this process's cgroups. One that exists already
     * was left by a strata killed with that PID before (SIGKILL runs no
     * cleanup): it is removed when it holds no process any more, else the
     * next N is taken. Giving up there would run the step without limits.
     */
    for (tries = 0;; tries++) {
        free(dir);
        /* atomic: stages run in parallel, and a name two threads took would be removed */
        dir = xasprintf("%s/strata-%ld-%u", parent, (long)getpid(),
                        __atomic_fetch_add(&cgroup_counter, 1, __ATOMIC_RELAXED));
        if (mkdir(dir, 0755) == 0)
            break;
        if (errno == EEXIST && tries < 16) {
            if (rmdir(dir) == 0 && mkdir(dir, 0755) == 0)
                break;
            continue;
        }
        error_set(err, errno, "cgroup: create %s", dir);
        free(dir);
        return -1;
    }
    procs = xasprintf("%s/%s", dir, join);
    cg->dirs[i] = dir;
    cg->n++;
    if (fake) {
        int fd = open(procs, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
    }
    cg->procs[i] = open(procs, O_WRONLY | O_CLOEXEC);
    if (cg->procs[i] < 0)
        return error_set(err, errno, "cgroup: open %s", procs);
    return (int)i;
}

/* ---- cgroup v1 ---- */

static int
cgroup_v1_add(struct cgroup *cg, const char *controller, int *fake, struct error *err)
{
    cleanup_free char *self = cgroup_self(controller);
    cleanup_free char *base = xasprintf("%s/%s", cgroup_root(), controller);
    cleanup_free char *own = NULL;

    if (access(base, W_OK) < 0)
        return error_set(err, errno, "cgroup %s controller at %s", controller, base);
    own = cgroup_join(base, self);
    *fake = cgroup_is_fake(base);
    return cgroup_mkdir(cg, own, "tasks", *fake, err);
}

static int
cgroup_v1_memory(struct cgroup *cg, const struct cgroup_limits *lim, struct error *err)
{
    cleanup_free char *sw = NULL;
    int fake, i = cgroup_v1_add(cg, "memory", &fake, err);
    long long memsw = lim->memory_swap ? lim->memory_swap : lim->memory;

    if (i < 0)
        return -1;
    cg->memory_dir = i;
    if (cgroup_writef(cg->dirs[i], "memory.limit_in_bytes", fake, err, "%lld", lim->memory) < 0)
        return -1;
    /* swap accounting may be off (no memsw files): then only memory is limited */
    sw = xasprintf("%s/memory.memsw.limit_in_bytes", cg->dirs[i]);
    if (access(sw, F_OK) == 0 || (fake && lim->memory_swap))
        return cgroup_writef(cg->dirs[i], "memory.memsw.limit_in_bytes", fake, err, "%lld", memsw);
    return 0;
}

static int
cgroup_v1_cpu(struct cgroup *cg, const struct cgroup_limits *lim, struct error *err)
{
    int fake, i = cgroup_v1_add(cg, "cpu", &fake, err);

    if (i < 0)
        return -1;
    if (lim->cpu_millis && (cgroup_writef(cg->dirs[i], "cpu.cfs_period_us", fake, err, "%lld",
                                          CGROUP_CPU_PERIOD_US) < 0 ||
                            cgroup_writef(cg->dirs[i], "cpu.cfs_quota_us", fake, err, "%lld",
                                          lim->cpu_millis * CGROUP_CPU_PERIOD_US / 1000) < 0))
        return -1;
    if (lim->cpu_shares &&
        cgroup_writef(cg->dirs[i], "cpu.shares", fake, err, "%lld", lim->cpu_shares) < 0)
        return -1;
    return 0;
}

static int
cgroup_v1_cpuset(struct cgroup *cg, const struct cgroup_limits *lim, struct error *err)
{
    cleanup_buf struct buf mems = BUF_INIT;
    cleanup_free char *parent = NULL;
    int fake, i = cgroup_v1_add(cg, "cpuset", &fake, err);

    if (i < 0)
        return -1;
    /* cpusets.rst: a cpuset needs cpus and mems before a task may be attached */
    parent =
        xasprintf("%.*s/cpuset.mems", (int)(strrchr(cg->dirs[i], '/') - cg->dirs[i]), cg->dirs[i]);
    if (fs_read_file(AT_FDCWD, parent, &mems, err) < 0 && !fake)
        return error_wrap(err, "cgroup cpuset");
    error_init(err);
    while (mems.len && mems.data[mems.len - 1] == '\n')
        mems.data[--mems.len] = '\0';
    if (cgroup_write(cg->dirs[i], "cpuset.cpus", lim->cpuset_cpus, fake, err) < 0)
        return -1;
    return cgroup_write(cg->dirs[i], "cpuset.mems", mems.len ? buf_cstr(&mems) : "0", fake, err);
}

static int
cgroup_v1_create(struct cgroup *cg, const struct cgroup_limits *lim, struct error *err)
{
    int fake;

    if (lim->memory && cgroup_v1_memory(cg, lim, err) < 0)
        return -1;
    if (lim->pids) {
        int i = cgroup_v1_add(cg, "pids", &fake, err);
        if (i < 0 || cgroup_writef(cg->dirs[i], "pids.max", fake, err, "%lld", lim->pids) < 0)
            return -1;
    }
    if ((lim->cpu_millis || lim->cpu_shares) && cgroup_v1_cpu(cg, lim, err) < 0)
        return -1;
    if (lim->cpuset_cpus && cgroup_v1_cpuset(cg, lim, err) < 0)
        return -1;
    return 0;
}

/* ---- cgroup v2 ---- */

/* Whether the space-separated list in file (e.g. cgroup.controllers) holds name. */
static int
cgroup_list_has(const char *dir, const char *file, const char *name)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_free char *path = xasprintf("%s/%s", dir, file);
    struct error ignored;
    size_t n = strlen(name);

    error_init(&ignored);
    if (fs_read_file(AT_FDCWD, path, &b, &ignored) < 0)
        return 0;
    for (const char *p = buf_cstr(&b); (p = strstr(p, name)); p += n)
        if ((p == b.data || p[-1] == ' ' || p[-1] == '+') &&
            (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
            return 1;
    return 0;
}

/*
 * cgroup-v2.rst "No Internal Process Constraint": controllers can be enabled
 * for children only in a cgroup without processes of its own. When that is
 * why it failed, strata moves itself into the leaf "strata-main" and tries
 * again.
 */
static int
cgroup_v2_enable(const char *own, const char *want, int fake, struct error *err)
{
    cleanup_free char *leaf = NULL;
    char pid[32];

    if (!want[0] || cgroup_write(own, "cgroup.subtree_control", want, fake, err) == 0)
        return 0;
    if (err->sys_errno != EBUSY)
        return error_wrap(err, "cgroup v2: enable %s in %s (delegated to strata?)", want, own);
    leaf = xasprintf("%s/strata-main", own);
    if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
        return error_set(err, errno, "cgroup v2: create %s", leaf);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    error_init(err);
    if (cgroup_write(leaf, "cgroup.procs", pid, fake, err) < 0 ||
        cgroup_write(own, "cgroup.subtree_control", want, fake, err) < 0)
        return error_wrap(err,
                          "cgroup v2: enable %s in %s, which holds other processes than strata "
                          "(run strata in a cgroup of its own: systemd-run --user --scope -p "
                          "Delegate=yes)",
                          want, own);
    return 0;
}

static const char *
cgroup_v2_need(const struct cgroup_limits *lim, char *out, size_t n)
{
    out[0] = '\0';
    if (lim->memory)
        snprintf(out + strlen(out), n - strlen(out), "%s+memory", out[0] ? " " : "");
    if (lim->pids)
        snprintf(out + strlen(out), n - strlen(out), "%s+pids", out[0] ? " " : "");
    if (lim->cpu_millis || lim->cpu_shares)
        snprintf(out + strlen(out), n - strlen(out), "%s+cpu", out[0] ? " " : "");
    if (lim->cpuset_cpus)
        snprintf(out + strlen(out), n - strlen(out), "%s+cpuset", out[0] ? " " : "");
    return out;
}

/* Checks that each controller of want ("+memory +pids") is offered to own, and which to enable. */
static int
cgroup_v2_check(const char *own, const char *want, char *enable, size_t n, struct error *err)
{
    char copy[128], *save = NULL;

    enable[0] = '\0';
    snprintf(copy, sizeof(copy), "%s", want);
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (!cgroup_list_has(own, "cgroup.controllers", w + 1))
            return error_set(err, 0,
                             "cgroup v2: the %s controller is not available in %s (not in its "
                             "cgroup.controllers: not delegated; systemd-run --user --scope -p "
                             "Delegate=yes gives strata a cgroup with it)",
                             w + 1, own);
        if (!cgroup_list_has(own, "cgroup.subtree_control", w + 1))
            snprintf(enable + strlen(enable), n - strlen(enable), "%s%s", enable[0] ? " " : "", w);
    }
    return 0;
}

static int
cgroup_v2_limits(const char *dir, const struct cgroup_limits *lim, int fake, struct error *err)
{
    if (lim->memory) {
        if (cgroup_writef(dir, "memory.max", fake, err, "%lld", lim->memory) < 0)
            return -1;
        /* memory.swap.max is swap alone; Docker's --memory-swap counts memory too */
        if (lim->memory_swap < 0
                ? cgroup_write(dir, "memory.swap.max", "max", fake, err) < 0
                : cgroup_writef(dir, "memory.swap.max", fake, err, "%lld",
                                lim->memory_swap ? lim->memory_swap - lim->memory : 0) < 0)
            return -1;
    }
    if (lim->pids && cgroup_writef(dir, "pids.max", fake, err, "%lld", lim->pids) < 0)
        return -1;
    if (lim->cpu_millis &&
        cgroup_writef(dir, "cpu.max", fake, err, "%lld %lld",
                      lim->cpu_millis * CGROUP_CPU_PERIOD_US / 1000, CGROUP_CPU_PERIOD_US) < 0)
        return -1;
    if (lim->cpu_shares &&
        cgroup_writef(dir, "cpu.weight", fake, err, "%lu",
                      cgroup_shares_to_weight((unsigned long)lim->cpu_shares)) < 0)
        return -1;
    if (lim->cpuset_cpus && cgroup_write(dir, "cpuset.cpus", lim->cpuset_cpus, fake, err) < 0)
        return -1;
    return 0;
}

static int
cgroup_v2_create(struct cgroup *cg, const struct cgroup_limits *lim, struct error *err)
{
    cleanup_free char *self = cgroup_self(NULL);
    cleanup_free char *own = cgroup_join(cgroup_root(), self);
    char want[128], enable[128];
    int fake = cgroup_is_fake(cgroup_root()), i;

    cg->v2 = 1;
    cgroup_v2_need(lim, want, sizeof(want));
    if (cgroup_v2_check(own, want, enable, sizeof(enable), err) < 0 ||
        cgroup_v2_enable(own, enable, fake, err) < 0)
        return -1;
    i = cgroup_mkdir(cg, own, "cgroup.procs", fake, err);
    if (i < 0)
        return -1;
    if (lim->memory)
        cg->memory_dir = i;
    return cgroup_v2_limits(cg->dirs[i], lim, fake, err);
}

/* ---- the interface ---- */

int
cgroup_check_limits(const struct cgroup_limits *lim, struct error *err)
{
    if (lim->memory_swap && !lim->memory)
        return error_input(err, "--memory-swap needs --memory");
    if (lim->memory_swap > 0 && lim->memory_swap < lim->memory)
        return error_input(err,
                           "--memory-swap (%lld bytes) is below --memory (%lld bytes): it "
                           "counts memory and swap together",
                           lim->memory_swap, lim->memory);
    if (lim->cpu_shares && (lim->cpu_shares < 2 || lim->cpu_shares > 262144))
        return error_input(err, "--cpu-shares %lld: use 2 to 262144", lim->cpu_shares);
    if (lim->cpuset_cpus && cgroup_check_cpuset(lim->cpuset_cpus, err) < 0)
        return -1;
    return 0;
}

int
cgroup_create(struct cgroup *cg, const struct cgroup_limits *lim, struct error *err)
{
    cleanup_free char *probe = xasprintf("%s/cgroup.controllers", cgroup_root());
    int rc;

    cgroup_init(cg);
    if (cgroup_check_limits(lim, err) < 0)
        return -1;
    if (!lim->memory && !lim->pids && !lim->cpu_millis && !lim->cpu_shares && !lim->cpuset_cpus)
        return 0;
    cg->memory = lim->memory;
    /* the unified hierarchy at the root: cgroup v2 only (a hybrid host mounts it below) */
    rc = access(probe, F_OK) == 0 ? cgroup_v2_create(cg, lim, err) : cgroup_v1_create(cg, lim, err);
    if (rc < 0) {
        cgroup_destroy(cg);
        return error_wrap(err, "cgroup limits");
    }
    return 0;
}

int
cgroup_enter(const struct cgroup *cg, struct error *err)
{
    for (size_t i = 0; i < cg->n; i++) {
        /* writing 0 moves the writer itself (pid namespaces aside), v1 and v2 alike */
        if (cg->procs[i] >= 0 && write(cg->procs[i], "0", 1) != 1)
            return error_set(err, errno, "join cgroup %s", cg->dirs[i]);
    }
    return 0;
}

unsigned long
cgroup_parse_oom_kills(const char *text)
{
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, "oom_kill ", 9))
            return strtoul(p + 9, NULL, 10);
    return 0;
}

int
cgroup_oom_killed(const struct cgroup *cg)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_free char *path = NULL;
    struct error ignored;
    const char *dir;

    if (cg->memory_dir < 0)
        return 0;
    dir = cg->dirs[cg->memory_dir];
    error_init(&ignored);
    path = xasprintf("%s/%s", dir, cg->v2 ? "memory.events" : "memory.oom_control");
    if (fs_read_file(AT_FDCWD, path, &b, &ignored) < 0)
        return 0;
    if (cgroup_parse_oom_kills(buf_cstr(&b)))
        return 1;
    if (cg->v2 || strstr(buf_cstr(&b), "oom_kill "))
        return 0;
    /* a v1 kernel before 4.13 has no count: the limit was hit at least */
    free(path);
    path = xasprintf("%s/memory.failcnt", dir);
    buf_reset(&b);
    if (fs_read_file(AT_FDCWD, path, &b, &ignored) < 0)
        return 0;
    return strtoul(buf_cstr(&b), NULL, 10) > 0;
}

unsigned long
cgroup_shares_to_weight(unsigned long shares)
{
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

int
cgroup_parse_cpus(const char *s, long long *millis, struct error *err)
{
    long long whole = 0, frac = 0, scale = 100;
    const char *p = s;

    if (!*p)
        return error_input(err, "--cpus: empty");
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (*p - '0');
        if (whole > 1024)
            return error_input(err, "--cpus %s: at most 1024", s);
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            if (scale)
                frac += (*p - '0') * scale;
            else if (*p != '0')
                return error_input(err, "--cpus %s: at most three decimals", s);
    }
    if (*p || p == s || (p[-1] == '.' && p - 1 == s))
        return error_input(err, "--cpus %s: expected a number of CPUs such as 1.5", s);
    if (whole * 1000 + frac <= 0)
        return error_input(err, "--cpus %s: must be above 0", s);
    *millis = whole * 1000 + frac;
    return 0;
}

int
cgroup_check_cpuset(const char *s, struct error *err)
{
    const char *p = s;

    if (!*p)
        return error_input(err, "--cpuset-cpus: empty");
    while (*p) {
        char *end;
        unsigned long a = strtoul(p, &end, 10), b;
        if (end == p || *p == '-' || *p == '+')
            return error_input(err, "--cpuset-cpus %s: expected CPU numbers such as 0-2,4", s);
        p = end;
        if (*p == '-') {
            b = strtoul(p + 1, &end, 10);
            if (end == p + 1 || p[1] == '-' || p[1] == '+' || b < a)
                return error_input(err, "--cpuset-cpus %s: bad range", s);
            p = end;
        }
        if (*p == ',' && p[1])
            p++;
        else if (*p)
            return error_input(err, "--cpuset-cpus %s: expected CPU numbers such as 0-2,4", s);
    }
    return 0;
}

void
cgroup_destroy(struct cgroup *cg)
{
    for (size_t i = 0; i < cg->n; i++) {
        if (cg->procs[i] >= 0)
            close(cg->procs[i]);
        /* the last task leaves the cgroup a moment after waitpid returns */
        for (int tries = 0; tries < 100 && rmdir(cg->dirs[i]) < 0 && errno == EBUSY; tries++) {
            struct timespec ts = {0, 2 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        free(cg->dirs[i]);
    }
    cgroup_init(cg);
}
