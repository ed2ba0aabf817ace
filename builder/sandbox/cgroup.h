#ifndef STRATA_BUILDER_SANDBOX_CGROUP_H
#define STRATA_BUILDER_SANDBOX_CGROUP_H

/*
 * Per-RUN resource limits through the cgroup v1 memory and pids
 * controllers (the hierarchies at /sys/fs/cgroup/<controller>). Each RUN
 * gets "strata-<pid>-<n>" below the cgroup strata itself is in, so limits
 * set on strata's own cgroup still hold.
 */

#include <stddef.h>

#include "formats/core/error.h"

#define CGROUP_MAX 2

struct cgroup {
    char *dirs[CGROUP_MAX]; /* created cgroup dirs */
    int procs[CGROUP_MAX];  /* open cgroup.procs of each, for cgroup_enter() */
    size_t n;
};

/* A struct cgroup that holds nothing. */
void cgroup_init(struct cgroup *cg);

/*
 * Creates the cgroups needed for the limits (0 means none; with both 0
 * nothing is created) and writes the limits: memory.limit_in_bytes (and
 * memory.memsw.limit_in_bytes when swap is accounted, so the limit cannot
 * be dodged through swap) and pids.max. Fails when a controller is not
 * mounted or not writable, undoing what it created.
 */
int cgroup_create(struct cgroup *cg, long long memory_limit, long long pids_limit,
                  struct error *err);

/*
 * Moves the calling process into every cgroup of cg. Makes no allocation
 * (for the sandbox child, before exec).
 */
int cgroup_enter(const struct cgroup *cg, struct error *err);

/*
 * Closes the files and removes the cgroup dirs once their processes are
 * gone (retrying briefly while the kernel finishes the exit). Accepts an
 * empty struct.
 */
void cgroup_destroy(struct cgroup *cg);

#endif
