#ifndef STRATA_BUILDER_SANDBOX_H
#define STRATA_BUILDER_SANDBOX_H

/*
 * The RUN sandbox (DESIGN.md "RUN sandbox"): new mount, PID, UTS and IPC
 * namespaces (network too with SANDBOX_NET_NONE; a user namespace when not
 * root), rooted by pivot_root in an overlay of the earlier layers; fresh
 * /proc, a minimal /dev (null zero full random urandom tty, pts, shm, fd
 * links), read-only /sys, private copies of /etc/hosts and /etc/resolv.conf
 * for host networking; capability bounding set limited to the usual
 * container default; no_new_privs. The command runs as PID 1 of its PID
 * namespace. Mount points the sandbox had to create in the rootfs are removed
 * from the upper dir afterwards, so the upper dir holds only what the command
 * changed.
 */

#include <stddef.h>

#include "builder/overlay.h"
#include "formats/core/error.h"

enum sandbox_net {
    SANDBOX_NET_HOST = 0, /* the host's network namespace */
    SANDBOX_NET_NONE,     /* a new network namespace with only lo, up */
};

#define SANDBOX_TAIL_LEN 4096

struct sandbox_spec {
    struct overlay_spec overlay; /* the step's rootfs */
    char *const *argv;           /* command; argv[0] found through PATH in env when relative */
    char *const *env;            /* "KEY=VALUE" entries */
    const char *cwd;             /* working directory inside the rootfs; created if missing */
    const char *user;            /* NULL/"" root, "uid[:gid]" or "name[:group]" from the
                                    rootfs's /etc/passwd and /etc/group */
    const char *hostname;        /* UTS hostname inside */
    enum sandbox_net net;
    long long memory_limit;      /* bytes, 0 = none (cgroup v1 memory controller) */
    long long pids_limit;        /* 0 = none */
    /* called for every line (without '\n') the command writes to stdout/stderr */
    void (*on_output)(void *opaque, const char *line, size_t len);
    void *opaque;
};

struct sandbox_result {
    int exit_code;                 /* the command's exit status, or 128+signal */
    int signal;                    /* signal that killed it, or 0 */
    char tail[SANDBOX_TAIL_LEN];   /* the last lines of output, for error reports */
};

/*
 * Runs spec->argv in a new sandbox and waits for it. Returns 0 when the
 * command ran (res tells how it ended) and -1 with err set when the sandbox
 * could not be set up (in which case nothing was run).
 */
int sandbox_run(const struct sandbox_spec *spec, struct sandbox_result *res, struct error *err);

#endif
