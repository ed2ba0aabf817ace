#ifndef STRATA_BUILDER_SANDBOX_CGROUP_H
#define STRATA_BUILDER_SANDBOX_CGROUP_H

/*
 * Per-RUN resource limits through cgroups, v2 or v1.
 *
 * cgroup v2 (the unified hierarchy mounted at the root, as on Debian 12,
 * Fedora, RHEL 9): each RUN gets "strata-<pid>-<n>" below the cgroup strata
 * itself is in (its own, possibly delegated one: /proc/self/cgroup "0::"),
 * with the controllers it needs enabled in that cgroup's
 * cgroup.subtree_control. When strata's cgroup holds processes the kernel
 * refuses that ("no internal processes", cgroup-v2.rst); strata then moves
 * itself into a leaf "strata-main" beside the RUN cgroups first. Files:
 * memory.max, memory.swap.max, pids.max, cpu.max, cpu.weight, cpuset.cpus.
 *
 * cgroup v1 (the hierarchies at <root>/<controller>): one cgroup per
 * controller, below strata's own in that hierarchy. Files:
 * memory.limit_in_bytes, memory.memsw.limit_in_bytes (when swap is
 * accounted), pids.max, cpu.cfs_quota_us/cpu.cfs_period_us, cpu.shares,
 * cpuset.cpus (and cpuset.mems, copied from the parent, without which no
 * task may join).
 *
 * The root is /sys/fs/cgroup, or $STRATA_CGROUP_ROOT (tests point it at a
 * plain directory laid out like a cgroupfs; there, unlike on a cgroupfs,
 * strata creates the files it writes).
 */

#include <stddef.h>

#include "formats/core/error.h"

#define CGROUP_MAX 4

/* What to limit; 0 means no limit for every field. */
struct cgroup_limits {
    long long memory;        /* bytes */
    long long memory_swap;   /* memory + swap in bytes (Docker's --memory-swap); 0: no swap
                                beyond memory (the limit cannot be dodged through swap); -1:
                                unlimited swap. Needs memory. */
    long long pids;          /* processes */
    long long cpu_millis;    /* CPU time per second in thousandths of a CPU (--cpus 1.5: 1500) */
    long long cpu_shares;    /* relative weight, 2..262144 (Docker's --cpu-shares) */
    const char *cpuset_cpus; /* CPUs the RUN may use, "0-2,4"; NULL: all */
};

struct cgroup {
    int v2;                 /* the unified hierarchy */
    char *dirs[CGROUP_MAX]; /* created cgroup dirs */
    int procs[CGROUP_MAX];  /* open tasks (v1) or cgroup.procs (v2), for cgroup_enter() */
    size_t n;
    int memory_dir;     /* index in dirs of the one with the memory controller, or -1 */
    long long memory;   /* its limit, for reports */
    unsigned long oom0; /* its OOM kill count when created (a fake tree may start with one) */
};

/* A struct cgroup that holds nothing. */
void cgroup_init(struct cgroup *cg);

/*
 * Creates the cgroups needed for the limits (none when every limit is 0) and
 * writes the limits, as described at the top of this file. Fails with a
 * message naming the controller and the file when a controller is missing,
 * not delegated, or not writable, undoing what it created. Input errors
 * (exit 2) for inconsistent limits (--memory-swap below --memory or without
 * it, an empty or malformed cpuset).
 */
int cgroup_create(struct cgroup *cg, const struct cgroup_limits *lim, struct error *err);

/*
 * The input checks of cgroup_create() alone, for a command line: fails
 * (input error) for --memory-swap without --memory or below it, --cpu-shares
 * out of 2..262144, or a malformed cpuset.
 */
int cgroup_check_limits(const struct cgroup_limits *lim, struct error *err);

/*
 * Moves the calling process into every cgroup of cg. Makes no allocation
 * (for the sandbox child, before exec).
 */
int cgroup_enter(const struct cgroup *cg, struct error *err);

/*
 * Whether the kernel's OOM killer killed a process of cg since
 * cgroup_create(): the "oom_kill" count of memory.events (v2) or
 * memory.oom_control (v1), or, on a v1 kernel without that count, a
 * non-zero memory.failcnt. 0 when cg has no memory limit.
 */
int cgroup_oom_killed(const struct cgroup *cg);

/* The "oom_kill N" count in the text of memory.events or memory.oom_control (0 if none). */
unsigned long cgroup_parse_oom_kills(const char *text);

/*
 * cgroup v2's cpu.weight for Docker's cpu.shares (2..262144 onto 1..10000,
 * the linear mapping OCI runtimes use).
 */
unsigned long cgroup_shares_to_weight(unsigned long shares);

/*
 * Parses --cpus ("1.5", "0.25", "2") into thousandths of a CPU; fails
 * (input error) on anything else, on 0, or on more than 1024 CPUs.
 */
int cgroup_parse_cpus(const char *s, long long *millis, struct error *err);

/* Checks a cpuset list ("0-2,4,7"); fails (input error) naming what is wrong. */
int cgroup_check_cpuset(const char *s, struct error *err);

/*
 * Closes the files and removes the cgroup dirs once their processes are
 * gone (retrying briefly while the kernel finishes the exit). Accepts an
 * empty struct.
 */
void cgroup_destroy(struct cgroup *cg);

#endif
