#ifndef STRATA_BUILDER_SANDBOX_SANDBOX_INTERNAL_H
#define STRATA_BUILDER_SANDBOX_SANDBOX_INTERNAL_H

/*
 * Shared by sandbox.c (the parent side) and child.c / rootfs.c
 * (the child between clone and execve). The parent works everything out in
 * a struct sandbox_plan, so that the child, made by a raw clone() that runs
 * no fork handlers, never touches the heap.
 */

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "builder/sandbox/cgroup.h"
#include "builder/sandbox/overlay.h"
#include "builder/sandbox/sandbox.h"
#include "builder/sandbox/userns.h"

/* One RUN --mount as the parent prepared it (mounts.c). */
struct sandbox_src {
    int mfd;             /* a detached mount the parent made, or -1: the child makes it */
    int is_dir;          /* what the mount point must be */
    char root[PATH_MAX]; /* a BIND the child makes: its tree's root as the kernel names it */
    dev_t dev;           /* ... and that root's identity, checked when the child reopens it */
    ino_t ino;
};

struct sandbox_plan {
    const struct sandbox_spec *spec;
    struct sandbox_src *src;  /* one per spec->mounts */
    char files_dir[PATH_MAX]; /* scratch mount point of the tmpfs for SANDBOX_MOUNT_FILE */
    char files_size[32];      /* its size option */
    struct overlay_prep ov;
    int privileged;  /* root in the initial user namespace */
    int userns;      /* the child makes a user namespace: the caller is not root (of the
                        host or of a user namespace of its own, as a rootless strata is) */
    uid_t outer_uid; /* mapped to root in that user namespace */
    gid_t outer_gid;
    /* the ids the command may use: the caller's namespace's maps (only 0 with userns) */
    struct userns_idmap uids, gids;
    int setgroups_ok;      /* setgroups(2) allowed there */
    char hosts[PATH_MAX];  /* private copy to bind on /etc/hosts, or "" */
    char resolv[PATH_MAX]; /* private copy to bind on /etc/resolv.conf, or "" */
    const char *path;      /* PATH for the command lookup */
    char shm_opts[64];     /* mount options of /dev/shm (its size) */
    struct cgroup cg;
    const struct syscall_filter *filter; /* installed last before exec, or NULL */
    /* the command's capability set: CAPS_DEFAULT_MASK, less NET_RAW on the host's network,
       then with spec->cap_add and without spec->cap_drop */
    uint64_t caps;
    /* SANDBOX_NET_PRIVATE: a byte arrives on go_r once the network is up; go_w is the
       parent's end, which the child closes */
    int go_r, go_w;
    int sync_fd; /* child's end: struct sandbox_msg records (SOCK_SEQPACKET), CLOEXEC */
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
    SANDBOX_MSG_NETNS,       /* its namespaces are made: the parent may start slirp4netns */
    SANDBOX_MSG_PTY,         /* the terminal's master comes with it (SCM_RIGHTS) */
    SANDBOX_MSG_FUSE,        /* the rootfs is a fuse-overlayfs mount */
};

/* path of the ERROR a child sends when the parent's network set-up failed */
#define SANDBOX_NET_WAIT_TAG "network"

struct sandbox_msg {
    int kind;
    char path[PATH_MAX]; /* relative to the rootfs, no leading '/' */
    struct error err;
};

/*
 * Sends one record to the parent (the sync channel is a SOCK_SEQPACKET
 * socket: one record per message), with fd passed along when it is not -1;
 * returns -1 when the parent is gone.
 */
int sandbox_send(int fd, int kind, const char *path, const struct error *err);
int sandbox_send_fd(int sock, int kind, int fd);

/*
 * Mounts the step's filesystem below the overlay at plan->ov.merged (proc,
 * dev, sys, etc files), then pivots into it. Reports every mount point it
 * had to create. No allocation.
 */
int sandbox_rootfs_setup(const struct sandbox_plan *plan, struct error *err);

/*
 * The private /etc/hosts and /etc/resolv.conf for plan->spec->net, written
 * in the scratch dir (net.c): the host's copies for the host's network;
 * localhost and the hostname, and slirp4netns's DNS forwarder (with the
 * host's search and options lines) for the user-mode network; localhost
 * only, and the image's own resolv.conf, for none.
 */
int sandbox_net_etc(struct sandbox_plan *plan, struct error *err);

/* Brings lo up in the caller's (new) network namespace; no allocation. */
int sandbox_net_lo_up(struct error *err);

/* rootfs.c helpers shared with mounts.c (no allocation) */

/* sandbox_rootfs_ensure() result for a name that exists but does not resolve */
#define SANDBOX_DANGLING (-2)

/*
 * Returns an O_PATH fd on path (relative to the rootfs, resolved inside it)
 * after creating it (a dir, or an empty file) and any missing parent dirs,
 * each reported to the parent. SANDBOX_DANGLING for a symlink to nowhere.
 */
int sandbox_rootfs_ensure(const struct sandbox_plan *plan, int rootfd, const char *path,
                          int want_dir, struct error *err);

/* Attaches detached mount mfd on the file or dir of target_fd; closes mfd. */
int sandbox_rootfs_attach(int mfd, int target_fd, const char *what, struct error *err);

/* Mounts a new filesystem of type ("key=value,flag" opts, MOUNT_ATTR_* attrs) on target_fd. */
int sandbox_rootfs_mount_new(const char *type, const char *opts, unsigned attrs, int target_fd,
                             const char *what, struct error *err);

/*
 * RUN --mount, parent side: resolves every source inside its tree and, when
 * privileged, makes it a detached mount (mounts.c). Fills plan->src.
 */
int sandbox_mounts_prepare(struct sandbox_plan *plan, struct error *err);

/* Closes what sandbox_mounts_prepare() opened and frees plan->src. */
void sandbox_mounts_release(struct sandbox_plan *plan);

/* RUN --mount, child side: mounts every one on its mount point in the rootfs. */
int sandbox_mounts_attach(const struct sandbox_plan *plan, int rootfd, struct error *err);

/*
 * After the run (tidy.c): removes from the upper dir the mount points
 * the child had to create (created: rootfs-relative paths, in order), then
 * makes the mount-point directories BuildKit leaves in a layer. Works by
 * file descriptor below the upper dir and never through a symlink, since
 * the step may have planted some on the way.
 */
struct strvec;
void sandbox_tidy_upper(const struct sandbox_plan *plan, const struct strvec *created);

/* runopts.c: appends spec->extra_hosts to the private /etc/hosts copy (parent side). */
int sandbox_hosts_append(const struct sandbox_plan *plan, struct error *err);

/* runopts.c: sets spec->rlimits in the child; no allocation. */
int sandbox_apply_rlimits(const struct sandbox_spec *spec, struct error *err);

/* The child after clone(): sets everything up and execs, or reports and _exit(127)s. */
__attribute__((noreturn)) void sandbox_child(const struct sandbox_plan *plan);

#endif
