#ifndef STRATA_BUILDER_SANDBOX_SANDBOX_INTERNAL_H
#define STRATA_BUILDER_SANDBOX_SANDBOX_INTERNAL_H

/*
 * Shared by sandbox.c (the parent side) and child.c / rootfs.c
 * (the child between clone and execve). The parent works everything out in
 * a struct sandbox_plan, so that the child, made by a raw clone() that runs
 * no fork handlers, never touches the heap.
 */

#include <limits.h>
#include <sys/types.h>

#include "builder/sandbox/cgroup.h"
#include "builder/sandbox/overlay.h"
#include "builder/sandbox/sandbox.h"

struct sandbox_plan {
    const struct sandbox_spec *spec;
    struct overlay_prep ov;
    int privileged;  /* root in the initial user namespace */
    uid_t outer_uid; /* mapped to root when not privileged */
    gid_t outer_gid;
    char hosts[PATH_MAX];  /* private copy to bind on /etc/hosts, or "" */
    char resolv[PATH_MAX]; /* private copy to bind on /etc/resolv.conf, or "" */
    const char *path;      /* PATH for the command lookup */
    struct cgroup cg;
    int sync_fd; /* child's end: struct sandbox_msg records, CLOEXEC */
    int out_fd;  /* child's end of the output pipe */
    /* When the command's environment has no HOME, the child sets it from the user's
       passwd entry (as runc does): env_home is spec->env plus one free slot. */
    char **env_home;
    char home_var[PATH_MAX];
};

/* Records on the sync pipe, child to parent. EOF after READY means exec succeeded. */
enum sandbox_msg_kind {
    SANDBOX_MSG_CREATED = 1, /* path: a mount point the child created in the rootfs */
    SANDBOX_MSG_ERROR,       /* err: setup failed, the child exits 127 */
    SANDBOX_MSG_READY,       /* the child is about to execve */
};

struct sandbox_msg {
    int kind;
    char path[PATH_MAX]; /* relative to the rootfs, no leading '/' */
    struct error err;
};

/* Sends one record to the parent; returns -1 when the pipe is gone. */
int sandbox_send(int fd, int kind, const char *path, const struct error *err);

/*
 * Mounts the step's filesystem below the overlay at plan->ov.merged (proc,
 * dev, sys, etc files), then pivots into it. Reports every mount point it
 * had to create. No allocation.
 */
int sandbox_rootfs_setup(const struct sandbox_plan *plan, struct error *err);

/* The child after clone(): sets everything up and execs, or reports and _exit(127)s. */
__attribute__((noreturn)) void sandbox_child(const struct sandbox_plan *plan);

#endif
