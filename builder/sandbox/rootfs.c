/*
 * The sandbox child's filesystem: proc, dev, sys and the etc files mounted
 * inside the overlay, then pivot_root into it.
 *
 * Every path inside the rootfs is resolved with openat2(RESOLVE_IN_ROOT),
 * so a symlink in an image (say /etc -> /host) can never lead a mount or a
 * mkdir outside the rootfs; mounts are then made on the resulting fds with
 * the new mount API (open_tree, fsopen, move_mount), never on path strings.
 * Nothing here allocates: the child comes from a raw clone().
 */
#include "builder/sandbox/sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "formats/core/banned.h"

#define SFS_DANGLING SANDBOX_DANGLING

static int
sfs_open(int rootfd, const char *path)
{
    struct open_how how;

    memset(&how, 0, sizeof(how));
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* The rootfs-relative real path of dir fd dfd joined with name, for the parent's cleanup. */
static void
sfs_report_created(const struct sandbox_plan *plan, int dfd, const char *name)
{
    char link[64], real[PATH_MAX], rel[PATH_MAX];
    size_t mlen = strlen(plan->ov.merged);
    const char *r;
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", dfd);
    n = readlink(link, real, sizeof(real) - 1);
    if (n < 0)
        return;
    real[n] = '\0';
    if (strncmp(real, plan->ov.merged, mlen) != 0 || (real[mlen] != '/' && real[mlen] != '\0'))
        return; /* cannot happen with RESOLVE_IN_ROOT; never report a path we do not own */
    r = real + mlen;
    while (*r == '/')
        r++;
    snprintf(rel, sizeof(rel), "%s%s%s", r, *r ? "/" : "", name);
    sandbox_send(plan->sync_fd, SANDBOX_MSG_CREATED, rel, NULL);
}

/*
 * Returns an O_PATH fd on path (relative to the rootfs) after creating it
 * (a dir, or an empty file) and any missing parent dirs. SFS_DANGLING when
 * the name is a symlink to nowhere, which we leave alone.
 */
static int
sfs_ensure(const struct sandbox_plan *plan, int rootfd, const char *path, int want_dir, int depth,
           struct error *err)
{
    char parent[PATH_MAX];
    const char *base, *slash;
    struct stat st;
    int fd = sfs_open(rootfd, path), pfd, rc;

    if (fd >= 0) {
        if (fstat(fd, &st) < 0 || (want_dir != 0) != (S_ISDIR(st.st_mode) != 0)) {
            close(fd);
            return error_set(err, want_dir ? ENOTDIR : EISDIR, "mount point /%s", path);
        }
        return fd;
    }
    if (errno != ENOENT || depth > 16)
        return error_set(err, errno, "mount point /%s", path);
    slash = strrchr(path, '/');
    base = slash ? slash + 1 : path;
    snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    pfd = sfs_ensure(plan, rootfd, parent, 1, depth + 1, err);
    if (pfd < 0)
        return pfd;
    if (want_dir)
        rc = mkdirat(pfd, base, 0755);
    else {
        rc = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0)
            rc = close(rc);
    }
    if (rc < 0) {
        int e = errno;
        close(pfd);
        return e == EEXIST ? SFS_DANGLING : error_set(err, e, "create mount point /%s", path);
    }
    sfs_report_created(plan, pfd, base);
    close(pfd);
    fd = sfs_open(rootfd, path);
    if (fd < 0)
        return error_set(err, errno, "mount point /%s", path);
    return fd;
}

int
sandbox_rootfs_ensure(const struct sandbox_plan *plan, int rootfd, const char *path, int want_dir,
                      struct error *err)
{
    return sfs_ensure(plan, rootfd, path, want_dir, 0, err);
}

int
sandbox_rootfs_attach(int mfd, int target_fd, const char *what, struct error *err)
{
    int rc = move_mount(mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);

    if (rc < 0)
        rc = error_set(err, errno, "mount %s", what);
    close(mfd);
    return rc;
}

int
sandbox_rootfs_mount_new(const char *type, const char *opts, unsigned attrs, int target_fd,
                         const char *what, struct error *err)
{
    int fsfd = fsopen(type, FSOPEN_CLOEXEC), mfd;
    char buf[256];
    char *s = buf;

    if (fsfd < 0)
        return error_set(err, errno, "mount %s: fsopen %s", what, type);
    snprintf(buf, sizeof(buf), "%s", opts ? opts : "");
    while (s && *s) {
        char *comma = strchr(s, ','), *eq;
        int rc;
        if (comma)
            *comma = '\0';
        eq = strchr(s, '=');
        if (eq) {
            *eq = '\0';
            rc = fsconfig(fsfd, FSCONFIG_SET_STRING, s, eq + 1, 0);
        } else {
            rc = fsconfig(fsfd, FSCONFIG_SET_FLAG, s, NULL, 0);
        }
        if (rc < 0) {
            int e = errno;
            close(fsfd);
            return error_set(err, e, "mount %s: option %s", what, s);
        }
        s = comma ? comma + 1 : NULL;
    }
    if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        int e = errno;
        close(fsfd);
        return error_set(err, e, "mount %s (%s)", what, type);
    }
    mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
    close(fsfd);
    if (mfd < 0)
        return error_set(err, errno, "mount %s: fsmount", what);
    return sandbox_rootfs_attach(mfd, target_fd, what, err);
}

/*
 * Bind-mounts src (dirfd-relative) on target_fd with extra attrs set on it
 * and, when recursive, on every mount below it too.
 */
static int
sfs_bind(int src_dirfd, const char *src, unsigned attrs, int recursive, int target_fd,
         const char *what, struct error *err)
{
    unsigned rec = recursive ? AT_RECURSIVE : 0;
    int mfd = open_tree(src_dirfd, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);

    if (mfd < 0)
        return error_set(err, errno, "mount %s: bind %s", what, src);
    if (attrs) {
        struct mount_attr ma;
        memset(&ma, 0, sizeof(ma));
        ma.attr_set = attrs;
        if (mount_setattr(mfd, "", AT_EMPTY_PATH | rec, &ma, sizeof(ma)) < 0) {
            int e = errno;
            close(mfd);
            return error_set(err, e, "mount %s: set attributes", what);
        }
    }
    return sandbox_rootfs_attach(mfd, target_fd, what, err);
}

#define SFS_RO_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/*
 * The /proc and /sys paths Docker makes read-only or hides (moby
 * oci/defaults.go ReadonlyPaths and MaskedPaths): without them a RUN as
 * root could change host-wide sysctls even with CAP_SYS_ADMIN gone.
 */
static const char *const sfs_proc_ro[] = {"bus", "fs", "irq", "sys", "sysrq-trigger"};
static const char *const sfs_proc_masked[] = {
    "acpi", "kcore", "keys", "latency_stats", "timer_list", "timer_stats", "sched_debug", "scsi"};

static int
sfs_mask(int basefd, const char *name, const char *what, struct error *err)
{
    struct stat st;
    int fd = openat(basefd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc;

    if (fd < 0)
        return 0; /* not in this kernel */
    if (fstat(fd, &st) < 0)
        rc = error_set(err, errno, "mask %s/%s", what, name);
    else if (S_ISDIR(st.st_mode))
        rc = sandbox_rootfs_mount_new("tmpfs", NULL, SFS_RO_ATTRS, fd, name, err);
    else
        rc = sfs_bind(AT_FDCWD, "/dev/null", 0, 0, fd, name, err);
    close(fd);
    return rc;
}

/*
 * A user namespace may mount a procfs only where the one it can see is not
 * partly hidden (the kernel's mount_too_revealing()): inside a container
 * that masks /proc/kcore & co (podman and docker do, unless run with
 * --security-opt unmask=ALL) it gets EPERM. Then the container's own /proc
 * is bound instead, its masks included: the command sees the container's
 * processes, not only its own.
 */
static int
sfs_proc_fallback(const struct sandbox_plan *plan, int fd, struct error *err)
{
    if (plan->privileged || err->sys_errno != EPERM)
        return -1;
    error_init(err);
    return sfs_bind(AT_FDCWD, "/proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 1,
                    fd, "/proc", err);
}

static int
sfs_proc(const struct sandbox_plan *plan, int rootfd, struct error *err)
{
    int fd = sfs_ensure(plan, rootfd, "proc", 1, 0, err), procfd;
    size_t i;

    if (fd < 0)
        return fd == SFS_DANGLING ? error_set(err, ENOENT, "mount point /proc") : -1;
    if (sandbox_rootfs_mount_new("proc", NULL,
                                 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, fd,
                                 "/proc", err) < 0 &&
        sfs_proc_fallback(plan, fd, err) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    procfd = sfs_open(rootfd, "proc");
    if (procfd < 0)
        return error_set(err, errno, "open new /proc");
    for (i = 0; i < sizeof(sfs_proc_ro) / sizeof(sfs_proc_ro[0]); i++) {
        int t = openat(procfd, sfs_proc_ro[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (t < 0)
            continue;
        if (sfs_bind(procfd, sfs_proc_ro[i], SFS_RO_ATTRS, 0, t, sfs_proc_ro[i], err) < 0) {
            close(t);
            close(procfd);
            return -1;
        }
        close(t);
    }
    for (i = 0; i < sizeof(sfs_proc_masked) / sizeof(sfs_proc_masked[0]); i++)
        if (sfs_mask(procfd, sfs_proc_masked[i], "/proc", err) < 0) {
            close(procfd);
            return -1;
        }
    close(procfd);
    return 0;
}

/* Device nodes bound from the host (a user namespace may not mknod) */
static const char *const sfs_dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
static const char *const sfs_dev_links[][2] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},         {"core", "/proc/kcore"},
};

static int
sfs_dev_populate(const struct sandbox_plan *plan, int devfd, struct error *err)
{
    char host[64];
    size_t i;
    int fd, rc;

    for (i = 0; i < sizeof(sfs_dev_nodes) / sizeof(sfs_dev_nodes[0]); i++) {
        fd = openat(devfd, sfs_dev_nodes[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0)
            return error_set(err, errno, "create /dev/%s", sfs_dev_nodes[i]);
        close(fd);
        fd = openat(devfd, sfs_dev_nodes[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return error_set(err, errno, "open /dev/%s", sfs_dev_nodes[i]);
        snprintf(host, sizeof(host), "/dev/%s", sfs_dev_nodes[i]);
        rc = sfs_bind(AT_FDCWD, host, 0, 0, fd, host, err);
        close(fd);
        if (rc < 0)
            return -1;
    }
    for (i = 0; i < sizeof(sfs_dev_links) / sizeof(sfs_dev_links[0]); i++)
        if (symlinkat(sfs_dev_links[i][1], devfd, sfs_dev_links[i][0]) < 0)
            return error_set(err, errno, "symlink /dev/%s", sfs_dev_links[i][0]);
    if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0 ||
        mkdirat(devfd, "mqueue", 0755) < 0)
        return error_set(err, errno, "mkdir in /dev");
    /* gid=5 ("tty") only where it is mapped (a rootless build may map only root) */
    fd = openat(devfd, "pts", O_PATH | O_CLOEXEC);
    rc = fd < 0
             ? error_set(err, errno, "open /dev/pts")
             : sandbox_rootfs_mount_new("devpts",
                                        userns_idmap_has(&plan->gids, 5)
                                            ? "newinstance,ptmxmode=0666,mode=0620,gid=5"
                                            : "newinstance,ptmxmode=0666,mode=0620",
                                        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, fd, "/dev/pts", err);
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        return -1;
    fd = openat(devfd, "shm", O_PATH | O_CLOEXEC);
    rc = fd < 0 ? error_set(err, errno, "open /dev/shm")
                : sandbox_rootfs_mount_new("tmpfs", plan->shm_opts,
                                           MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                                           fd, "/dev/shm", err);
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        return -1;
    fd = openat(devfd, "mqueue", O_PATH | O_CLOEXEC);
    rc = fd < 0 ? error_set(err, errno, "open /dev/mqueue")
                : sandbox_rootfs_mount_new("mqueue", NULL,
                                           MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                                           fd, "/dev/mqueue", err);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int
sfs_dev(const struct sandbox_plan *plan, int rootfd, struct error *err)
{
    int fd = sfs_ensure(plan, rootfd, "dev", 1, 0, err), devfd, rc;

    if (fd < 0)
        return fd == SFS_DANGLING ? error_set(err, ENOENT, "mount point /dev") : -1;
    /* nodev: CAP_MKNOD stays (Docker's set) but a node made here cannot be opened; the
     * host's null, zero... are bind mounts of their own and keep working */
    rc = sandbox_rootfs_mount_new("tmpfs", "mode=755,size=65536k",
                                  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_STRICTATIME, fd,
                                  "/dev", err);
    close(fd);
    if (rc < 0)
        return -1;
    /* reopen: the path now leads to the fresh tmpfs */
    devfd = sfs_open(rootfd, "dev");
    if (devfd < 0)
        return error_set(err, errno, "open new /dev");
    rc = sfs_dev_populate(plan, devfd, err);
    close(devfd);
    return rc;
}

static int
sfs_sys(const struct sandbox_plan *plan, int rootfd, struct error *err)
{
    int fd = sfs_ensure(plan, rootfd, "sys", 1, 0, err), sysfd, rc;

    if (fd < 0)
        return fd == SFS_DANGLING ? error_set(err, ENOENT, "mount point /sys") : -1;
    /*
     * sysfs shows the mounting process's network namespace, and a user
     * namespace may only mount one for a netns it owns: with host
     * networking and no privilege, bind the host's /sys read-only instead,
     * recursively: the kernel refuses to clone a tree without the mounts
     * locked below it, and every one of them is made read-only too.
     */
    if (plan->privileged || plan->spec->net != SANDBOX_NET_HOST)
        rc = sandbox_rootfs_mount_new("sysfs", NULL, SFS_RO_ATTRS, fd, "/sys", err);
    else
        rc = sfs_bind(AT_FDCWD, "/sys", SFS_RO_ATTRS, 1, fd, "/sys", err);
    /* as for /proc (sfs_proc_fallback): a container that masks parts of /sys */
    if (rc < 0 && !plan->privileged && err->sys_errno == EPERM) {
        error_init(err);
        rc = sfs_bind(AT_FDCWD, "/sys", SFS_RO_ATTRS, 1, fd, "/sys", err);
    }
    close(fd);
    if (rc < 0)
        return -1;
    sysfd = sfs_open(rootfd, "sys");
    if (sysfd < 0)
        return error_set(err, errno, "open new /sys");
    rc = sfs_mask(sysfd, "firmware", "/sys", err);
    close(sysfd);
    return rc;
}

/* Binds a private copy read-only on etc/<name>; an image's dangling symlink is left as is. */
static int
sfs_etc_file(const struct sandbox_plan *plan, int rootfd, const char *rel, const char *copy,
             struct error *err)
{
    int fd, rc;

    if (!copy[0])
        return 0;
    fd = sfs_ensure(plan, rootfd, rel, 0, 0, err);
    if (fd == SFS_DANGLING)
        return 0;
    if (fd < 0)
        return -1;
    rc = sfs_bind(AT_FDCWD, copy, SFS_RO_ATTRS, 0, fd, rel, err);
    close(fd);
    return rc;
}

static int
sfs_pivot(int rootfd, struct error *err)
{
    /* pivot_root(2): stack the old root on the new one, then detach it */
    if (fchdir(rootfd) < 0)
        return error_set(err, errno, "chdir to the rootfs");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return error_set(err, errno, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        return error_set(err, errno, "detach the old root");
    if (chdir("/") < 0)
        return error_set(err, errno, "chdir /");
    return 0;
}

int
sandbox_rootfs_setup(const struct sandbox_plan *plan, struct error *err)
{
    int rootfd = open(plan->ov.merged, O_PATH | O_DIRECTORY | O_CLOEXEC), rc;

    if (rootfd < 0)
        return error_set(err, errno, "open rootfs %s", plan->ov.merged);
    rc = sfs_proc(plan, rootfd, err);
    if (rc == 0)
        rc = sfs_dev(plan, rootfd, err);
    if (rc == 0)
        rc = sfs_sys(plan, rootfd, err);
    if (rc == 0)
        rc = sfs_etc_file(plan, rootfd, "etc/hosts", plan->hosts, err);
    if (rc == 0)
        rc = sfs_etc_file(plan, rootfd, "etc/resolv.conf", plan->resolv, err);
    if (rc == 0)
        rc = sandbox_mounts_attach(plan, rootfd, err);
    if (rc == 0)
        rc = sfs_pivot(rootfd, err);
    close(rootfd);
    return rc;
}
