#include "builder/sandbox/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/sandbox/userns.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/whiteout.h"

#include "formats/core/banned.h"

/*
 * Options that keep the upper dir a plain diff (Documentation/filesystems/
 * overlayfs.rst): no index dir, no metadata-only copy-ups, and a directory
 * rename gives EXDEV (tools fall back to copying) instead of a redirect xattr
 * that layer capture could not express as a tar. With userxattr the kernel
 * refuses redirect_dir=off where off means "follow"
 * (CONFIG_OVERLAY_FS_REDIRECT_ALWAYS_FOLLOW), so there it is "nofollow",
 * which creates no redirects either.
 */
static const char *const overlay_off_opts[] = {"index", "metacopy"};

/*
 * "volatile" (overlayfs.rst, "Volatile mount"): sync calls in the overlay
 * skip the upper dir. A step's upper dir is thrown away unless captured, and
 * capture syncs it (snapshot_commit), so a step that calls fsync or sync
 * (dpkg does, for each package) no longer writes out the store's whole file
 * system on the way. Kernels before 5.10 refuse the option: it is dropped.
 */
#define OVERLAY_VOLATILE_OPT ",volatile"

static const char *
overlay_redirect_mode(const struct overlay_prep *prep)
{
    return prep->userxattr ? "nofollow" : "off";
}

/* 0 unknown, 1 the kernel takes fsconfig "lowerdir+", -1 it does not */
static int overlay_have_lowerdir_plus;

static int
overlay_kernel_at_least(int major, int minor)
{
    struct utsname u;
    int ma = 0, mi = 0;

    if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
        return 0;
    return ma > major || (ma == major && mi >= minor);
}

/* "lowerdir+" came with Linux 6.8; probe once, and guess from the version when fsopen is
 * refused (an unprivileged parent probes before its child gets a user namespace). */
static int
overlay_probe_lowerdir_plus(void)
{
    int fd;

    if (overlay_have_lowerdir_plus)
        return overlay_have_lowerdir_plus > 0;
    fd = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fd >= 0) {
        int rc = fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir+", "/", 0);
        overlay_have_lowerdir_plus = rc == 0 ? 1 : -1;
        close(fd);
    } else {
        overlay_have_lowerdir_plus = errno == EPERM && overlay_kernel_at_least(6, 8) ? 1 : -1;
    }
    return overlay_have_lowerdir_plus > 0;
}

static char *
overlay_abs(const char *what, const char *path, struct error *err)
{
    char *p = realpath(path, NULL);

    if (!p)
        error_set(err, errno, "overlay %s %s", what, path);
    return p;
}

/*
 * The absolute path of a lower dir. The lowers are mostly siblings in the
 * store's snapshots/, and realpath(3) reads every component of every one
 * of them (seven readlink calls each, 1,400 for a step of a 200-layer
 * stage): the parent is resolved once, kept in *dir and *dir_abs, and the
 * last name only has to be a directory, not a link, to be appended as is.
 * Anything else takes realpath's answer.
 */
static char *
overlay_abs_lower(const char *path, char **dir, char **dir_abs, struct error *err)
{
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : NULL;
    struct stat st;
    char *abs;

    if (!slash || slash == path || !*name || !strcmp(name, ".") || !strcmp(name, ".."))
        return overlay_abs("lower dir", path, err);
    if (!*dir || strlen(*dir) != (size_t)(slash - path) ||
        strncmp(*dir, path, (size_t)(slash - path)) != 0) {
        free(*dir);
        free(*dir_abs);
        *dir = xstrndup(path, (size_t)(slash - path));
        *dir_abs = realpath(*dir, NULL);
    }
    if (!*dir_abs)
        return overlay_abs("lower dir", path, err);
    abs = fs_join(*dir_abs, name);
    if (lstat(abs, &st) == 0 && S_ISDIR(st.st_mode))
        return abs;
    free(abs);
    return overlay_abs("lower dir", path, err);
}

/* Points linkdir/name at target, replacing a stale link left by an earlier mount. */
static int
overlay_link(int linkfd, const char *name, const char *target, struct error *err)
{
    char cur[PATH_MAX];
    ssize_t n;

    if (symlinkat(target, linkfd, name) == 0)
        return 0;
    if (errno != EEXIST)
        return error_set(err, errno, "symlink overlay link %s", name);
    n = readlinkat(linkfd, name, cur, sizeof(cur) - 1);
    if (n >= 0) {
        cur[n] = '\0';
        if (!strcmp(cur, target))
            return 0;
    }
    if (unlinkat(linkfd, name, 0) < 0 || symlinkat(target, linkfd, name) < 0)
        return error_set(err, errno, "symlink overlay link %s", name);
    return 0;
}

/* mount(2) data is one page: name lowers, upper and work by short links in linkdir. */
static int
overlay_prepare_legacy(struct overlay_prep *prep, struct error *err)
{
    cleanup_close int linkfd = open(prep->linkdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_buf struct buf data = BUF_INIT;
    long page = sysconf(_SC_PAGESIZE);
    size_t i;

    if (linkfd < 0)
        return error_set(err, errno, "open %s", prep->linkdir);
    buf_adds(&data, "lowerdir=");
    for (i = 0; i < prep->nlowers; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%zu", i);
        if (overlay_link(linkfd, name, prep->lowers[i], err) < 0)
            return -1;
        buf_addf(&data, "%s%s", i ? ":" : "", name);
    }
    if (overlay_link(linkfd, "u", prep->upper, err) < 0 ||
        overlay_link(linkfd, "w", prep->work, err) < 0)
        return -1;
    buf_adds(&data, ",upperdir=u,workdir=w");
    for (i = 0; i < sizeof(overlay_off_opts) / sizeof(overlay_off_opts[0]); i++)
        buf_addf(&data, ",%s=off", overlay_off_opts[i]);
    buf_addf(&data, ",redirect_dir=%s", overlay_redirect_mode(prep));
    if (prep->userxattr)
        buf_adds(&data, ",userxattr");
    if (prep->nosync) /* last: overlay_mount_legacy cuts it off where it is unknown */
        buf_adds(&data, OVERLAY_VOLATILE_OPT);
    if (page > 0 && data.len >= (size_t)page)
        return error_input(err, "overlay options for %zu lowers exceed one page", prep->nlowers);
    prep->legacy_data = buf_detach(&data);
    return 0;
}

static int
overlay_prepare_lowers(const struct overlay_spec *spec, struct overlay_prep *prep,
                       struct error *err)
{
    cleanup_free char *dir = NULL;
    cleanup_free char *dir_abs = NULL;
    size_t i;

    if (spec->nlowers == 0) {
        /* overlayfs needs a lower; an empty one makes the upper the whole rootfs */
        cleanup_free char *empty = fs_join(prep->linkdir, "empty");
        if (mkdir(empty, 0755) < 0 && errno != EEXIST)
            return error_set(err, errno, "mkdir %s", empty);
        prep->lowers = xcalloc(1, sizeof(char *));
        prep->lowers[0] = steal_ptr(&empty);
        prep->nlowers = 1;
        return 0;
    }
    prep->lowers = xcalloc(spec->nlowers, sizeof(char *));
    for (i = 0; i < spec->nlowers; i++) {
        char *abs = overlay_abs_lower(spec->lowers[i], &dir, &dir_abs, err);
        size_t j;
        if (!abs)
            return -1;
        /*
         * overlayfs refuses a lower dir given twice (ELOOP), which two
         * identical layers in one image make. Only the top-most copy is kept:
         * it holds every path, whiteout and opaque marker of the lower copy,
         * and hides whatever lies between them, so the merged view is the
         * same.
         */
        for (j = 0; j < prep->nlowers && strcmp(prep->lowers[j], abs); j++)
            ;
        if (j < prep->nlowers) {
            free(abs);
            continue;
        }
        prep->lowers[prep->nlowers++] = abs;
    }
    return 0;
}

/* fuse-overlayfs on $PATH (or the usual PATH), or NULL */
static char *
overlay_fuse_find(void)
{
    const char *p = getenv("PATH");

    for (p = p && *p ? p : "/usr/local/bin:/usr/bin:/bin"; p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len) {
            char *c = xasprintf("%.*s/fuse-overlayfs", (int)len, p);
            if (access(c, X_OK) == 0)
                return c;
            free(c);
        }
        p = colon ? colon + 1 : NULL;
    }
    return NULL;
}

/*
 * fuse-overlayfs(1) "-o lowerdir=A:B,upperdir=U,workdir=W MERGED". Its option
 * parser splits at ',' and ':' (and takes '\' escapes we do not need: store
 * paths are ours), so a path holding one of those cannot be given.
 */
static int
overlay_prepare_fuse(struct overlay_prep *prep, struct error *err)
{
    const char *mode = getenv("STRATA_OVERLAY");
    struct buf o = BUF_INIT;

    prep->fuse_only = mode && !strcmp(mode, "fuse");
    prep->fuse_path = overlay_fuse_find();
    if (!prep->fuse_path) {
        if (prep->fuse_only)
            return error_set(err, 0, "STRATA_OVERLAY=fuse: fuse-overlayfs is not installed");
        return 0;
    }
    buf_adds(&o, "lowerdir=");
    for (size_t i = 0; i < prep->nlowers; i++)
        buf_addf(&o, "%s%s", i ? ":" : "", prep->lowers[i]);
    buf_addf(&o, ",upperdir=%s,workdir=%s", prep->upper, prep->work);
    if (strpbrk(prep->upper, ",:\\") || strpbrk(prep->work, ",:\\") ||
        strpbrk(prep->merged, ",:\\")) {
        buf_release(&o);
        free(prep->fuse_path);
        prep->fuse_path = NULL;
        return prep->fuse_only ? error_input(err, "fuse-overlayfs: the store's path holds ',', "
                                                  "':' or '\\'")
                               : 0;
    }
    /* -f: it stays our child, so overlay_run can end it */
    prep->fuse_argv = xcalloc(6, sizeof(char *));
    prep->fuse_argv[0] = xstrdup("fuse-overlayfs");
    prep->fuse_argv[1] = xstrdup("-f");
    prep->fuse_argv[2] = xstrdup("-o");
    prep->fuse_argv[3] = buf_detach(&o);
    prep->fuse_argv[4] = xstrdup(prep->merged);
    return 0;
}

int
overlay_prepare(const struct overlay_spec *spec, struct overlay_prep *prep, struct error *err)
{
    const char *force_legacy = getenv("STRATA_OVERLAY_LEGACY");

    memset(prep, 0, sizeof(*prep));
    if (spec->nlowers > OVERLAY_MAX_LOWERS)
        return error_input(err, "overlay: %zu lower dirs, the kernel allows at most %d",
                           spec->nlowers, OVERLAY_MAX_LOWERS);
    if (fs_mkdir_p(AT_FDCWD, spec->linkdir, 0700, err) < 0)
        return error_wrap(err, "overlay link dir");
    prep->userxattr = spec->userxattr || !userns_privileged();
    prep->nosync = spec->volatile_upper;
    if (!(prep->linkdir = overlay_abs("link dir", spec->linkdir, err)) ||
        !(prep->upper = overlay_abs("upper dir", spec->upper, err)) ||
        !(prep->work = overlay_abs("work dir", spec->work, err)) ||
        !(prep->merged = overlay_abs("mount point", spec->merged, err)) ||
        overlay_prepare_lowers(spec, prep, err) < 0)
        goto release;
    if ((force_legacy && !strcmp(force_legacy, "1")) || !overlay_probe_lowerdir_plus()) {
        if (overlay_prepare_legacy(prep, err) < 0)
            goto release;
    }
    if (overlay_prepare_fuse(prep, err) < 0)
        goto release;
    return 0;
release:
    overlay_prep_release(prep);
    return -1;
}

void
overlay_prep_release(struct overlay_prep *prep)
{
    size_t i;

    if (!prep)
        return;
    for (i = 0; i < prep->nlowers; i++)
        free(prep->lowers[i]);
    free(prep->lowers);
    free(prep->upper);
    free(prep->work);
    free(prep->merged);
    free(prep->linkdir);
    free(prep->legacy_data);
    free(prep->fuse_path);
    for (i = 0; prep->fuse_argv && prep->fuse_argv[i]; i++)
        free(prep->fuse_argv[i]);
    free(prep->fuse_argv);
    memset(prep, 0, sizeof(*prep));
}

/* Appends the fs context's log ("e overlay: ...") to err, so the kernel says why. */
static int
overlay_fs_error(int fsfd, const char *what, int e, const char *merged, struct error *err)
{
    char log[512], msg[ERROR_MSG_LEN / 2] = "";
    size_t used = 0;
    ssize_t n;

    while (used + 3 < sizeof(msg) && (n = read(fsfd, log, sizeof(log) - 1)) > 0) {
        log[n] = '\0';
        if (n > 0 && log[n - 1] == '\n')
            log[n - 1] = '\0';
        used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", used ? "; " : "",
                                 log[1] == ' ' ? log + 2 : log);
    }
    if (msg[0])
        return error_set(err, e, "mount overlay at %s: %s: %s", merged, what, msg);
    return error_set(err, e, "mount overlay at %s: %s", merged, what);
}

static int
overlay_mount_fsconfig(const struct overlay_prep *prep, struct error *err)
{
    int fsfd = fsopen("overlay", FSOPEN_CLOEXEC), mfd, rc = -1;
    size_t i;

    if (fsfd < 0)
        return error_set(err, errno, "mount overlay at %s: fsopen", prep->merged);
    for (i = 0; i < prep->nlowers; i++)
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", prep->lowers[i], 0) < 0) {
            overlay_fs_error(fsfd, prep->lowers[i], errno, prep->merged, err);
            goto out;
        }
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", prep->upper, 0) < 0 ||
        fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", prep->work, 0) < 0) {
        overlay_fs_error(fsfd, "upper/work dir", errno, prep->merged, err);
        goto out;
    }
    for (i = 0; i < sizeof(overlay_off_opts) / sizeof(overlay_off_opts[0]); i++)
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, overlay_off_opts[i], "off", 0) < 0) {
            overlay_fs_error(fsfd, overlay_off_opts[i], errno, prep->merged, err);
            goto out;
        }
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "redirect_dir", overlay_redirect_mode(prep), 0) < 0) {
        overlay_fs_error(fsfd, "redirect_dir", errno, prep->merged, err);
        goto out;
    }
    if (prep->nosync && fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) {
        char drop[256];
        while (read(fsfd, drop, sizeof(drop)) > 0) /* its "unknown parameter" note */
            ;
    }
    if ((prep->userxattr && fsconfig(fsfd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) ||
        fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        overlay_fs_error(fsfd, "create", errno, prep->merged, err);
        goto out;
    }
    mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, prep->nodev ? MOUNT_ATTR_NODEV : 0);
    if (mfd < 0) {
        overlay_fs_error(fsfd, "fsmount", errno, prep->merged, err);
        goto out;
    }
    if (move_mount(mfd, "", AT_FDCWD, prep->merged, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        error_set(err, errno, "mount overlay at %s: move_mount", prep->merged);
    else
        rc = 0;
    close(mfd);
out:
    close(fsfd);
    return rc;
}

/* Cuts a trailing ",volatile" off mount data (no allocation); 1 when there was one. */
static int
overlay_drop_volatile(char *data)
{
    size_t n = strlen(data), v = strlen(OVERLAY_VOLATILE_OPT);

    if (n <= v || strcmp(data + n - v, OVERLAY_VOLATILE_OPT))
        return 0;
    data[n - v] = '\0';
    return 1;
}

static int
overlay_mount_legacy(const struct overlay_prep *prep, struct error *err)
{
    int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), rc = 0, r;

    /* the lower names in the data are relative to linkdir */
    if (cwd < 0)
        return error_set(err, errno, "mount overlay: open cwd");
    if (chdir(prep->linkdir) < 0) {
        close(cwd);
        return error_set(err, errno, "mount overlay: chdir %s", prep->linkdir);
    }
    r = mount("overlay", prep->merged, "overlay", prep->nodev ? MS_NODEV : 0, prep->legacy_data);
    if (r < 0 && errno == EINVAL && overlay_drop_volatile(prep->legacy_data))
        r = mount("overlay", prep->merged, "overlay", prep->nodev ? MS_NODEV : 0,
                  prep->legacy_data);
    if (r < 0)
        rc = error_set(err, errno, "mount overlay at %s (%zu lowers)", prep->merged, prep->nlowers);
    if (fchdir(cwd) < 0 && rc == 0)
        rc = error_set(err, errno, "mount overlay: restore cwd");
    close(cwd);
    return rc;
}

static char *const overlay_no_env[] = {NULL};

/* linux/magic.h */
#define OVERLAY_FUSE_MAGIC 0x65735546UL

/*
 * Waits until the FUSE file system shows at merged, or fails when the
 * daemon exits first or 10 s pass.
 */
static int
overlay_fuse_wait(const struct overlay_prep *prep, pid_t pid, struct error *err)
{
    for (int i = 0; i < 10000; i++) {
        struct timespec ms = {0, 1000 * 1000};
        struct statfs sf;
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);

        if (w == pid)
            return error_set(err, 0,
                             "mount overlay at %s: fuse-overlayfs failed (%s %d; it needs "
                             "/dev/fuse: in a container, --device /dev/fuse)",
                             prep->merged, WIFEXITED(status) ? "exit" : "signal",
                             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        if (statfs(prep->merged, &sf) == 0 && (unsigned long)sf.f_type == OVERLAY_FUSE_MAGIC)
            return 0;
        nanosleep(&ms, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return error_set(err, 0, "mount overlay at %s: fuse-overlayfs did not mount in 10 s",
                     prep->merged);
}

/*
 * fuse-overlayfs in the foreground, in a mount namespace of its own whose
 * mount at merged is a peer of ours: its FUSE mount propagates here, and
 * yet a later pivot_root here does not move its root onto that very mount
 * (pivot_root(2) moves the root of every process of the namespace), where
 * it would wait on itself. The daemon's pid goes to *daemon. No allocation.
 */
static int
overlay_mount_fuse(const struct overlay_prep *prep, pid_t *daemon, struct error *err)
{
    pid_t pid;

    if (mount(prep->merged, prep->merged, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, prep->merged, NULL, MS_SHARED, NULL) < 0)
        return error_set(err, errno, "mount overlay at %s: share its mount point", prep->merged);
    pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        sigset_t none;
        sigemptyset(&none); /* strata keeps some blocked for its signal thread */
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        execve(prep->fuse_path, prep->fuse_argv, overlay_no_env);
        _exit(127);
    }
    if (pid < 0 || overlay_fuse_wait(prep, pid, err) < 0) {
        if (pid < 0)
            error_set(err, errno, "mount overlay at %s: start fuse-overlayfs", prep->merged);
        umount2(prep->merged, MNT_DETACH);
        return -1;
    }
    /* pivot_root wants the new root and its parent (our bind) unshared, and nothing may
     * propagate further: everything private again, as the caller made it */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return error_set(err, errno, "mount overlay at %s: make it private", prep->merged);
    *daemon = pid;
    return 0;
}

/* overlay_mount_prepared(), and the fuse-overlayfs daemon's pid in *daemon (else 0). */
static int
overlay_mount_any(const struct overlay_prep *prep, pid_t *daemon, struct error *err)
{
    struct error kerr;
    int e;

    *daemon = 0;
    if (prep->fuse_only)
        return overlay_mount_fuse(prep, daemon, err) < 0 ? -1 : 1;
    error_init(&kerr);
    if ((prep->legacy_data ? overlay_mount_legacy(prep, &kerr)
                           : overlay_mount_fsconfig(prep, &kerr)) == 0)
        return 0;
    e = kerr.sys_errno;
    if (!prep->fuse_argv || (e != EINVAL && e != EPERM && e != ENODEV && e != EOPNOTSUPP)) {
        *err = kerr;
        return -1;
    }
    if (overlay_mount_fuse(prep, daemon, err) == 0)
        return 1;
    /* both failed: why the kernel refused, then fuse-overlayfs */
    {
        struct error ferr = *err;
        return error_set(err, 0, "%.400s; %.500s", kerr.msg, ferr.msg);
    }
}

int
overlay_mount_prepared(const struct overlay_prep *prep, struct error *err)
{
    pid_t daemon;

    return overlay_mount_any(prep, &daemon, err);
}

/* Whether rel (relative, or "" for the root) names anything in some lower dir. */
static int
overlay_in_lowers(const struct overlay_prep *prep, const char *rel)
{
    struct stat st;

    for (size_t i = 0; i < prep->nlowers; i++) {
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof(p), "%s/%s", prep->lowers[i], rel) >= sizeof(p) ||
            lstat(p, &st) == 0)
            return 1; /* too long to check: keep the marker, which is never wrong */
    }
    return 0;
}

/* The xattrs fuse-overlayfs marks an opaque directory with: its own when unprivileged,
 * overlayfs' when root of the host */
static const char *const overlay_fuse_opaque[] = {WHITEOUT_FUSE_OPAQUE, WHITEOUT_XATTR_OPAQUE,
                                                  WHITEOUT_USERXATTR_OPAQUE};

/* Drops fuse-overlayfs's opaque marks from dir fd (at rel) when no lower has rel. */
static int
overlay_fuse_unmark(const struct overlay_prep *prep, int fd, const char *rel, struct error *err)
{
    struct stat st;
    int marked = 0;
    char v[4];

    for (size_t i = 0; i < sizeof(overlay_fuse_opaque) / sizeof(overlay_fuse_opaque[0]); i++)
        marked |= fgetxattr(fd, overlay_fuse_opaque[i], v, sizeof(v)) == 1 && v[0] == 'y';
    if (!marked || overlay_in_lowers(prep, rel))
        return 0;
    for (size_t i = 0; i < sizeof(overlay_fuse_opaque) / sizeof(overlay_fuse_opaque[0]); i++)
        /* trusted.* is out of reach (EPERM) in a user namespace: then it is not set either */
        if (fremovexattr(fd, overlay_fuse_opaque[i]) < 0 && errno != ENODATA && errno != EPERM &&
            errno != EOPNOTSUPP)
            return error_set(err, errno, "upper dir /%s: remove %s", rel, overlay_fuse_opaque[i]);
    if (fstatat(fd, WHITEOUT_OPAQUE, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        st.st_size == 0 && unlinkat(fd, WHITEOUT_OPAQUE, 0) < 0)
        return error_set(err, errno, "upper dir /%s: remove %s", rel, WHITEOUT_OPAQUE);
    if (fstatat(fd, ".wh..opq", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
        st.st_rdev == makedev(0, 0) && unlinkat(fd, ".wh..opq", 0) < 0)
        return error_set(err, errno, "upper dir /%s: remove .wh..opq", rel);
    return 0;
}

static int
overlay_fuse_walk(const struct overlay_prep *prep, int fd, char *rel, size_t len, struct error *err)
{
    DIR *d;
    struct dirent *de;
    int rc = overlay_fuse_unmark(prep, fd, rel, err);

    if (rc < 0 || !(d = fdopendir(dup(fd))))
        return rc < 0 ? -1 : error_set(err, errno, "upper dir /%s: read", rel);
    while (rc == 0 && (de = readdir(d))) {
        int sub;
        if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (len + strlen(de->d_name) + 2 >= PATH_MAX)
            continue;
        sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            continue;
        snprintf(rel + len, PATH_MAX - len, "%s%s", len ? "/" : "", de->d_name);
        rc = overlay_fuse_walk(prep, sub, rel, strlen(rel), err);
        rel[len] = '\0';
        close(sub);
    }
    closedir(d);
    return rc;
}

int
overlay_fuse_tidy(const struct overlay_prep *prep, struct error *err)
{
    char rel[PATH_MAX] = "";
    int fd = open(prep->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return error_set(err, errno, "open %s", prep->upper);
    rc = overlay_fuse_walk(prep, fd, rel, 0, err);
    close(fd);
    return rc;
}

void
overlay_unmount(const struct overlay_prep *prep)
{
    if (prep && prep->merged)
        umount2(prep->merged, MNT_DETACH);
}

int
overlay_mount(const struct overlay_spec *spec, struct error *err)
{
    struct overlay_prep prep;
    int rc;

    if (overlay_prepare(spec, &prep, err) < 0)
        return -1;
    rc = overlay_mount_prepared(&prep, err);
    overlay_prep_release(&prep);
    return rc < 0 ? -1 : 0;
}

/* Reads exactly n bytes unless EOF comes first; returns the count read, -1 on error. */
static ssize_t
overlay_read_full(int fd, void *p, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/*
 * In a new mount namespace of its own already: makes it private, mounts the
 * overlay, calls fn there and unmounts.
 */
static int
overlay_run_here(const struct overlay_prep *prep, int (*fn)(const char *, void *, struct error *),
                 void *arg, struct error *cerr)
{
    pid_t daemon = 0;
    int rc = 0;

    /* nothing mounted here may propagate back to the host */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        rc = error_set(cerr, errno, "make / private");
    if (rc == 0)
        rc = overlay_mount_any(prep, &daemon, cerr);
    if (rc >= 0) {
        rc = fn(prep->merged, arg, cerr);
        overlay_unmount(prep);
        if (daemon > 0) { /* it has no mount left here; its own namespace still holds one */
            kill(daemon, SIGKILL);
            waitpid(daemon, NULL, 0);
        }
        if (rc == 0 && daemon > 0)
            rc = overlay_fuse_tidy(prep, cerr);
    }
    return rc;
}

/* The child of overlay_run(); never returns. */
__attribute__((noreturn)) static void
overlay_child(const struct overlay_prep *prep, int privileged, uid_t uid, gid_t gid,
              int (*fn)(const char *, void *, struct error *), void *arg, int wfd)
{
    struct error cerr;
    int rc;

    error_init(&cerr);
    if (!privileged) {
        rc = unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0
                 ? error_set(&cerr, errno, "unshare user and mount namespaces")
                 : userns_map_root(uid, gid, &cerr);
    } else {
        rc = unshare(CLONE_NEWNS) < 0 ? error_set(&cerr, errno, "unshare mount namespace") : 0;
    }
    if (rc == 0)
        rc = overlay_run_here(prep, fn, arg, &cerr);
    if (rc < 0) {
        struct error ignored;
        fs_write_all(wfd, &cerr, sizeof(cerr), &ignored);
    }
    _exit(rc < 0 ? 1 : 0);
}

struct overlay_thread {
    const struct overlay_prep *prep;
    int (*fn)(const char *, void *, struct error *);
    void *arg;
    struct error err;
    int rc;
};

static void *
overlay_thread_main(void *opaque)
{
    struct overlay_thread *t = opaque;

    /* with CLONE_FS the new namespace (and root and cwd) is this thread's alone, see unshare(2) */
    if (unshare(CLONE_FS | CLONE_NEWNS) < 0)
        t->rc = error_set(&t->err, errno, "unshare mount namespace");
    else
        t->rc = overlay_run_here(t->prep, t->fn, t->arg, &t->err);
    return NULL;
}

int
overlay_run_thread(const struct overlay_spec *spec,
                   int (*fn)(const char *merged, void *arg, struct error *err), void *arg,
                   struct error *err)
{
    struct overlay_prep prep;
    struct overlay_thread t;
    pthread_t th;

    /* a new user namespace needs a single-threaded process: that takes a child */
    if (geteuid() != 0)
        return overlay_run(spec, fn, arg, err);
    if (overlay_prepare(spec, &prep, err) < 0)
        return -1;
    memset(&t, 0, sizeof(t));
    t.prep = &prep;
    t.fn = fn;
    t.arg = arg;
    error_init(&t.err);
    if (pthread_create(&th, NULL, overlay_thread_main, &t) != 0) {
        overlay_prep_release(&prep);
        return overlay_run(spec, fn, arg, err);
    }
    pthread_join(th, NULL);
    overlay_prep_release(&prep);
    if (t.rc < 0) {
        *err = t.err;
        return -1;
    }
    return 0;
}

int
overlay_run(const struct overlay_spec *spec,
            int (*fn)(const char *merged, void *arg, struct error *err), void *arg,
            struct error *err)
{
    struct overlay_prep prep;
    struct error cerr;
    /* root of a user namespace (a rootless strata) has what it needs there already */
    int fds[2], status = 0, privileged = geteuid() == 0;
    ssize_t n;
    pid_t pid;

    if (overlay_prepare(spec, &prep, err) < 0)
        return -1;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        overlay_prep_release(&prep);
        return error_set(err, errno, "pipe");
    }
    fflush(NULL); /* the child may print; do not duplicate buffered output */
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        overlay_child(&prep, privileged, getuid(), getgid(), fn, arg, fds[1]);
    }
    close(fds[1]);
    overlay_prep_release(&prep);
    if (pid < 0) {
        close(fds[0]);
        return error_set(err, errno, "fork");
    }
    n = overlay_read_full(fds[0], &cerr, sizeof(cerr));
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof(cerr)) {
        cerr.msg[sizeof(cerr.msg) - 1] = '\0';
        *err = cerr;
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return error_set(err, 0, "overlay child killed by signal %d", WTERMSIG(status));
    return error_set(err, 0, "overlay child exited %d without reporting",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
