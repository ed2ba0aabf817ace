#ifndef STRATA_BUILDER_SANDBOX_SANDBOX_H
#define STRATA_BUILDER_SANDBOX_SANDBOX_H

/*
 * The RUN sandbox (DESIGN.md "RUN sandbox"): new mount, PID, UTS, IPC and
 * network namespaces (the network one with a user-mode network unless the
 * caller asks for none or for the host's; a user namespace when not root),
 * rooted by pivot_root in an overlay of the earlier layers; fresh /proc, a
 * minimal /dev (null zero full random urandom tty, pts, shm, fd links),
 * read-only /sys, private /etc/hosts and /etc/resolv.conf; capability
 * bounding set limited to the usual container default; no_new_privs; a new
 * session keyring; a seccomp filter (Docker's default profile unless told
 * otherwise). The command runs as PID 1 of its PID
 * namespace. Mount points the sandbox had to create in the rootfs are removed
 * from the upper dir afterwards, so the upper dir holds only what the command
 * changed.
 */

#include <stddef.h>
#include <stdint.h>

#include "builder/sandbox/overlay.h"
#include "builder/sandbox/syscall_filter.h"
#include "formats/core/error.h"

enum sandbox_net {
    SANDBOX_NET_PRIVATE = 0, /* a new network namespace with lo and a user-mode network
                                (slirp.h): outbound access, the host's loopback and abstract
                                unix sockets out of reach */
    SANDBOX_NET_NONE,        /* a new network namespace with only lo, up */
    SANDBOX_NET_HOST,        /* the host's network namespace (the caller opted in); then
                                without CAP_NET_RAW, so no sniffing of the host's traffic */
};

/* "default", "none" or "host", as RUN --network names them */
const char *sandbox_net_name(enum sandbox_net net);

#define SANDBOX_TAIL_LEN 4096

/*
 * spec.pids_limit for the default process limit: SANDBOX_PIDS_DEFAULT_MAX
 * processes (a fork bomb stops there), where a pids cgroup controller is
 * usable; where none is (a rootless build, a host without the v1 pids
 * controller), no limit and a warning, once. A limit the caller names
 * explicitly fails the run instead.
 */
#define SANDBOX_PIDS_DEFAULT (-1)
#define SANDBOX_PIDS_DEFAULT_MAX 4096

/*
 * RUN --mount: what to put at a path inside the rootfs for one run. Every
 * source is resolved inside its own tree (openat2 RESOLVE_IN_ROOT: symlinks,
 * ".." and absolute names stay in that tree), never as a path on the host,
 * and mounted from a file descriptor.
 */
enum sandbox_mount_kind {
    SANDBOX_MOUNT_BIND = 0, /* path inside the tree whose root is root_fd (the context, a
                               cache directory) */
    SANDBOX_MOUNT_TMPFS,    /* a fresh tmpfs (options, e.g. "size=64m", or NULL) */
    SANDBOX_MOUNT_OVERLAY,  /* path inside the overlay prep, which the sandbox mounts in its
                               own mount namespace only: another stage's tree, or a view
                               whose writes are discarded */
    SANDBOX_MOUNT_FILE,     /* a file holding what data_fd holds (a secret): written to a
                               tmpfs of the sandbox, never to a disk */
};

struct sandbox_mount {
    enum sandbox_mount_kind kind;
    const char *target; /* absolute path in the rootfs, without ".." */
    int readonly;
    int root_fd;                     /* BIND: fd (O_PATH is enough) on the tree's root; borrowed */
    const char *path;                /* BIND, OVERLAY: the source relative to the tree's root;
                                        NULL or "." for the root itself */
    int file;                        /* OVERLAY: the source is a file, not a directory (a BIND
                                        finds out by itself) */
    const struct overlay_prep *prep; /* OVERLAY */
    const char *options;             /* TMPFS */
    int data_fd;                     /* FILE: read from offset 0 to its end; borrowed */
    unsigned mode;                   /* FILE: permission bits, uid and gid */
    unsigned uid, gid;
};
#define SANDBOX_TAIL_LINES 20 /* at most this many lines are kept in sandbox_result.tail */

/* A resource limit of the command (docker's --ulimit): setrlimit(resource, {soft, hard}). */
struct sandbox_rlimit {
    int resource;            /* RLIMIT_NOFILE, ... */
    unsigned long long soft; /* RLIM_INFINITY for unlimited */
    unsigned long long hard;
};

/*
 * Reads docker's --ulimit syntax, "nofile=1024[:2048]" (the soft limit is
 * also the hard one when no hard is given; -1 is unlimited), into out. An
 * unknown type or a soft limit above the hard one is an input error.
 */
int sandbox_rlimit_parse(const char *text, struct sandbox_rlimit *out, struct error *err);

/*
 * Reads docker's --add-host syntax, "NAME:IP" (an IPv6 IP may hold ':'s;
 * "NAME=IP" works too), into the /etc/hosts line "IP\tNAME" (malloc'ed). A
 * name or address that is not one is an input error.
 */
char *sandbox_host_line(const char *text, struct error *err);

/* Where the command's standard streams go. */
enum sandbox_stdio {
    SANDBOX_STDIO_PIPE = 0, /* stdin /dev/null; stdout and stderr one pipe, line by line to
                               on_output (and the tail of the result) */
    SANDBOX_STDIO_INHERIT,  /* the caller's stdout and stderr; its stdin when stdin_open,
                               else /dev/null */
    SANDBOX_STDIO_PTY,      /* a new pseudo-terminal of the sandbox's own /dev/pts, owned by
                               the command's user, as stdin, stdout, stderr and controlling
                               terminal; its master goes to on_pty */
};

struct sandbox_spec {
    struct overlay_spec overlay; /* the step's rootfs */
    char *const *argv;           /* command; argv[0] found through PATH in env when relative */
    char *const *env;            /* "KEY=VALUE" entries */
    const char *cwd;             /* working directory inside the rootfs; created if missing */
    const char *user;            /* NULL/"" root, "uid[:gid]" or "name[:group]" from the
                                    rootfs's /etc/passwd and /etc/group */
    const char *hostname;        /* UTS hostname inside */
    enum sandbox_net net;
    long long memory_limit; /* bytes, 0 = none (cgroup memory controller) */
    long long pids_limit;   /* 0 = none; SANDBOX_PIDS_DEFAULT: the default */
    /* more cgroup limits (cgroup.h, struct cgroup_limits): --memory-swap, --cpus,
       --cpu-shares, --cpuset-cpus; 0/NULL: none */
    long long memory_swap;
    long long cpu_millis;
    long long cpu_shares;
    const char *cpuset_cpus;
    const struct syscall_filter *seccomp; /* the seccomp filter (syscall_filter.h); NULL:
                                             Docker's default profile */
    int seccomp_unconfined;               /* no seccomp filter at all */
    const struct sandbox_mount *mounts;   /* RUN --mount, in order */
    size_t nmounts;
    /* docker build's --add-host, --ulimit, --shm-size, --cap-add and --cap-drop */
    char *const *extra_hosts;             /* "IP\tNAME" lines added to /etc/hosts (NULL-ended) */
    const struct sandbox_rlimit *rlimits; /* set in the child before the user change */
    size_t nrlimits;
    long long shm_size; /* bytes of the /dev/shm tmpfs; 0: 64 MiB */
    uint64_t cap_add;   /* added to the default capability set (caps.h) ... */
    uint64_t cap_drop;  /* ... and then removed from it */
    /* called for every line (without '\n') the command writes to stdout/stderr */
    void (*on_output)(void *opaque, const char *line, size_t len);
    void *opaque;
    /* strata run and the debug shell */
    enum sandbox_stdio stdio;
    int stdin_open; /* SANDBOX_STDIO_INHERIT: pass the caller's stdin */
    int init;       /* PID 1 is an init that forks the command, forwards every signal it gets
                       to it and reaps orphans; it exits with the command's status (128+N
                       when signal N killed it) */
    /* the sandbox's PID 1 exists; pid is its number in the caller's PID namespace (with
       init, a signal sent there from now on reaches the command once it runs) */
    void (*on_start)(void *opaque, int pid);
    /* SANDBOX_STDIO_PTY: relays the terminal until reading master fails (EIO: every
       process holding the terminal is gone), then returns; the sandbox closes master */
    void (*on_pty)(void *opaque, int master);
};

struct sandbox_result {
    int exit_code;               /* the command's exit status, or 128+signal */
    int signal;                  /* signal that killed it, or 0 */
    int oom;                     /* it failed and the OOM killer killed one of its processes
                                    (spec->memory_limit was reached) */
    char tail[SANDBOX_TAIL_LEN]; /* the last lines of output (at most SANDBOX_TAIL_LINES),
                                    each ending in '\n', NUL-terminated; for error reports */
};

/*
 * Runs spec->argv in a new sandbox and waits for it. Returns 0 when the
 * command ran (res tells how it ended) and -1 with err set when the sandbox
 * could not be set up (in which case nothing was run).
 *
 * Details callers can rely on:
 * - spec->overlay.linkdir is the step's scratch dir: besides the overlay's
 *   links it receives "mnt/" (an extra bottom-most lower holding the mount
 *   points, so none is created in the upper dir), and the private copies
 *   "hosts" and "resolv.conf" bound read-only over the rootfs's. The caller
 *   removes it after the step. At most OVERLAY_MAX_LOWERS - 1 lowers.
 * - The command is PID 1 of its PID namespace; when it exits the kernel
 *   kills whatever it left running, so a background process cannot hold the
 *   build. The child gets SIGKILL if the calling thread dies (Ctrl-C).
 * - With SANDBOX_STDIO_PIPE (the default) stdin is /dev/null; stdout and
 *   stderr share one pipe, so lines keep their order. on_output (may be
 *   NULL) gets each line without '\n'; a line over 64 KiB comes in pieces.
 * - An exec failure has kind ERROR_NOT_FOUND when the command does not
 *   exist, and sys_errno EACCES when it may not be run.
 * - Setup failures name what failed: an unknown user gives "unable to find
 *   user NAME: no matching entries in passwd file", a command missing from
 *   PATH 'exec: "NAME": executable file not found in $PATH'. PATH comes
 *   from spec->env, else /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:
 *   /sbin:/bin; env itself is passed unchanged.
 * - Limits need cgroup controllers (v2, delegated to strata's cgroup, or
 *   v1; see cgroup.h); asking for a limit where they are missing or
 *   read-only is an error, except the default pids limit, which is then
 *   dropped with a warning.
 * - Must be called from a single-threaded process or with no other thread
 *   holding locks the child could need: the child is a raw clone() that
 *   runs no fork handlers (it makes no heap allocation, by design).
 */
int sandbox_run(const struct sandbox_spec *spec, struct sandbox_result *res, struct error *err);

#endif
