#include "builder/sandbox/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/sandbox/userns.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static unsigned cgroup_counter;

void
cgroup_init(struct cgroup *cg)
{
    memset(cg, 0, sizeof(*cg));
    for (size_t i = 0; i < CGROUP_MAX; i++)
        cg->procs[i] = -1;
}

/* strata's own cgroup in the v1 hierarchy of controller, from /proc/self/cgroup */
static char *
cgroup_self(const char *controller)
{
    cleanup_buf struct buf b = BUF_INIT;
    struct error err;
    size_t clen = strlen(controller);
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
        /* "4:memory:/user.slice" or a comma list of controllers */
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

static int
cgroup_add(struct cgroup *cg, const char *controller, const char *file, long long limit,
           struct error *err)
{
    cleanup_free char *self = cgroup_self(controller);
    cleanup_free char *base = xasprintf(CGROUP_ROOT "/%s", controller);
    cleanup_free char *dir = NULL, *path = NULL, *procs = NULL;
    char val[32];

    if (access(base, W_OK) < 0)
        return error_set(err, errno, "cgroup %s controller at %s", controller, base);
    dir = xasprintf("%s%s%s/strata-%ld-%u", base, *self == '/' ? "" : "/",
                    strcmp(self, "/") ? self : "", (long)getpid(), cgroup_counter++);
    if (mkdir(dir, 0755) < 0)
        return error_set(err, errno, "create cgroup %s", dir);
    cg->dirs[cg->n] = steal_ptr(&dir);
    cg->n++;
    snprintf(val, sizeof(val), "%lld", limit);
    path = xasprintf("%s/%s", cg->dirs[cg->n - 1], file);
    if (userns_write_file(path, val, err) < 0)
        return -1;
    if (!strcmp(controller, "memory")) {
        cleanup_free char *sw = xasprintf("%s/memory.memsw.limit_in_bytes", cg->dirs[cg->n - 1]);
        struct error ignored;
        if (access(sw, F_OK) == 0)
            userns_write_file(sw, val, &ignored); /* swap accounting may be off */
    }
    procs = xasprintf("%s/cgroup.procs", cg->dirs[cg->n - 1]);
    cg->procs[cg->n - 1] = open(procs, O_WRONLY | O_CLOEXEC);
    if (cg->procs[cg->n - 1] < 0)
        return error_set(err, errno, "open %s", procs);
    return 0;
}

int
cgroup_create(struct cgroup *cg, long long memory_limit, long long pids_limit, struct error *err)
{
    cgroup_init(cg);
    if (memory_limit > 0 &&
        cgroup_add(cg, "memory", "memory.limit_in_bytes", memory_limit, err) < 0)
        goto undo;
    if (pids_limit > 0 && cgroup_add(cg, "pids", "pids.max", pids_limit, err) < 0)
        goto undo;
    return 0;
undo:
    cgroup_destroy(cg);
    return error_wrap(err, "cgroup limits");
}

int
cgroup_enter(const struct cgroup *cg, struct error *err)
{
    for (size_t i = 0; i < cg->n; i++) {
        /* cgroup v1: writing 0 moves the writer itself (pid namespaces aside) */
        if (cg->procs[i] >= 0 && write(cg->procs[i], "0", 1) != 1)
            return error_set(err, errno, "join cgroup %s", cg->dirs[i]);
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
