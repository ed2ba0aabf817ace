#include "builder/sandbox/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/sandbox/userns.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

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
    if (page > 0 && data.len >= (size_t)page)
        return error_input(err, "overlay options for %zu lowers exceed one page", prep->nlowers);
    prep->legacy_data = buf_detach(&data);
    return 0;
}

static int
overlay_prepare_lowers(const struct overlay_spec *spec, struct overlay_prep *prep,
                       struct error *err)
{
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
        char *abs = overlay_abs("lower dir", spec->lowers[i], err);
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

static int
overlay_mount_legacy(const struct overlay_prep *prep, struct error *err)
{
    int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), rc = 0;

    /* the lower names in the data are relative to linkdir */
    if (cwd < 0)
        return error_set(err, errno, "mount overlay: open cwd");
    if (chdir(prep->linkdir) < 0) {
        close(cwd);
        return error_set(err, errno, "mount overlay: chdir %s", prep->linkdir);
    }
    if (mount("overlay", prep->merged, "overlay", prep->nodev ? MS_NODEV : 0, prep->legacy_data) <
        0)
        rc = error_set(err, errno, "mount overlay at %s (%zu lowers)", prep->merged, prep->nlowers);
    if (fchdir(cwd) < 0 && rc == 0)
        rc = error_set(err, errno, "mount overlay: restore cwd");
    close(cwd);
    return rc;
}

int
overlay_mount_prepared(const struct overlay_prep *prep, struct error *err)
{
    if (prep->legacy_data)
        return overlay_mount_legacy(prep, err);
    return overlay_mount_fsconfig(prep, err);
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
    return rc;
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
    /* nothing mounted here may propagate back to the host */
    if (rc == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        rc = error_set(&cerr, errno, "make / private");
    if (rc == 0)
        rc = overlay_mount_prepared(prep, &cerr);
    if (rc == 0)
        rc = fn(prep->merged, arg, &cerr);
    if (rc < 0) {
        struct error ignored;
        fs_write_all(wfd, &cerr, sizeof(cerr), &ignored);
    }
    _exit(rc < 0 ? 1 : 0);
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
