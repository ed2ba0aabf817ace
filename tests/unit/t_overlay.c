#include "builder/sandbox/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* trusted.overlay.opaque, or user.overlay.opaque when the overlay ran with userxattr */
static ssize_t
opaque_xattr(const char *path, char *val, size_t n)
{
    ssize_t r = lgetxattr(path, "trusted.overlay.opaque", val, n - 1);

    if (r < 0)
        r = lgetxattr(path, "user.overlay.opaque", val, n - 1);
    return r;
}

/* Root, or an unprivileged user who may create user namespaces (the rootless path). */
static int
can_sandbox(void)
{
    pid_t pid;
    int status = 0;

    if (geteuid() == 0)
        return 1;
    pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : 1);
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

/* the harness has no skip state, so say why and return */
static int
need_userns_or_root(void)
{
    if (can_sandbox())
        return 1;
    harness_skip("overlay tests need root or user namespaces");
    return 0;
}

static void
put(const char *path, const char *text)
{
    struct error err;

    error_init(&err);
    CHECK_OK(fs_write_atomic(AT_FDCWD, path, text, strlen(text), 0644, &err), err);
}

static char *
slurp(const char *path)
{
    struct buf b = BUF_INIT;
    struct error err;

    error_init(&err);
    if (fs_read_file(AT_FDCWD, path, &b, &err) < 0) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b);
}

static void
mkdirs(const char *path)
{
    struct error err;

    error_init(&err);
    CHECK_OK(fs_mkdir_p(AT_FDCWD, path, 0755, &err), err);
}

/* a spec over lowers l0..l(n-1) (l0 top-most), each holding f<i> and a shared "x" */
struct ov_fixture {
    char **lowers;
    size_t n;
    struct overlay_spec spec;
};

static void
ov_setup(struct ov_fixture *fx, size_t n)
{
    size_t i;

    fx->lowers = xcalloc(n + 1, sizeof(char *));
    fx->n = n;
    for (i = 0; i < n; i++) {
        char *f = xasprintf("lowers/l%zu/f%zu", i, i), *x = xasprintf("lowers/l%zu/x", i);
        char *text = xasprintf("%zu", i);
        fx->lowers[i] = xasprintf("lowers/l%zu", i);
        mkdirs(fx->lowers[i]);
        put(f, text);
        put(x, text);
        free(f);
        free(x);
        free(text);
    }
    mkdirs("upper");
    mkdirs("work");
    mkdirs("merged");
    memset(&fx->spec, 0, sizeof(fx->spec));
    fx->spec.lowers = (const char *const *)fx->lowers;
    fx->spec.nlowers = n;
    fx->spec.upper = "upper";
    fx->spec.work = "work";
    fx->spec.merged = "merged";
    fx->spec.linkdir = "links";
}

static void
ov_release(struct ov_fixture *fx)
{
    for (size_t i = 0; i < fx->n; i++)
        free(fx->lowers[i]);
    free(fx->lowers);
}

/* runs in the overlay child: every lower's file is visible and l0 wins for "x" */
static int
check_all_lowers(const char *merged, void *arg, struct error *err)
{
    size_t n = *(size_t *)arg, i;
    cleanup_free char *x = NULL;

    for (i = 0; i < n; i++) {
        cleanup_free char *f = xasprintf("%s/f%zu", merged, i);
        if (access(f, F_OK) < 0)
            return error_set(err, errno, "missing %s", f);
    }
    x = xasprintf("%s/x", merged);
    cleanup_free char *text = slurp(x);
    if (!text || strcmp(text, "0") != 0)
        return error_set(err, 0, "x is \"%s\", expected the top-most lower's", text ? text : "");
    return 0;
}

static void
many_lowers(int legacy)
{
    struct ov_fixture fx;
    struct error err;
    size_t n = 200;

    if (!need_userns_or_root())
        return;
    if (legacy)
        setenv("STRATA_OVERLAY_LEGACY", "1", 1);
    ov_setup(&fx, n);
    error_init(&err);
    CHECK_OK(overlay_run(&fx.spec, check_all_lowers, &n, &err), err);
    /* the mount lived only in the child's namespace */
    CHECK(!fs_exists(AT_FDCWD, "merged/x"));
    unsetenv("STRATA_OVERLAY_LEGACY");
    ov_release(&fx);
}

TEST(overlay_200_lowers_fsconfig)
{
    many_lowers(0);
}

TEST(overlay_200_lowers_legacy_links)
{
    many_lowers(1);
}

TEST(overlay_500_lowers_legacy_links)
{
    struct ov_fixture fx;
    struct error err;
    size_t n = 500;

    if (!need_userns_or_root())
        return;
    setenv("STRATA_OVERLAY_LEGACY", "1", 1);
    ov_setup(&fx, n);
    error_init(&err);
    CHECK_OK(overlay_run(&fx.spec, check_all_lowers, &n, &err), err);
    unsetenv("STRATA_OVERLAY_LEGACY");
    ov_release(&fx);
}

TEST(overlay_too_many_lowers)
{
    const char *lowers[OVERLAY_MAX_LOWERS + 1];
    struct overlay_spec spec = {lowers, OVERLAY_MAX_LOWERS + 1, "u", "w", "m", "l", 0, 0};
    struct overlay_prep prep;
    struct error err;

    for (size_t i = 0; i <= OVERLAY_MAX_LOWERS; i++)
        lowers[i] = ".";
    error_init(&err);
    CHECK_FAIL(overlay_prepare(&spec, &prep, &err), err, "at most 500");
    CHECK_INT(err.exit_code, 2);
}

static int
write_and_delete(const char *merged, void *arg, struct error *err)
{
    cleanup_free char *nf = xasprintf("%s/new", merged);
    cleanup_free char *f0 = xasprintf("%s/f0", merged);
    cleanup_free char *d = xasprintf("%s/d", merged);
    cleanup_free char *dd = xasprintf("%s/dd", merged);
    cleanup_free char *dd2 = xasprintf("%s/dd2", merged);
    int fd;

    (void)arg;
    fd = open(nf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_set(err, errno, "create %s", nf);
    close(fd);
    if (unlink(f0) < 0)
        return error_set(err, errno, "unlink %s", f0);
    /* rm -rf d && mkdir d */
    if (fs_rm_rf(AT_FDCWD, d, err) < 0)
        return -1;
    if (mkdir(d, 0755) < 0)
        return error_set(err, errno, "mkdir %s", d);
    /* redirect_dir=off: renaming a lower dir is refused so tools copy instead */
    if (rename(dd, dd2) == 0)
        return error_set(err, 0, "rename of a lower dir succeeded; redirect_dir is on");
    if (errno != EXDEV)
        return error_set(err, errno, "rename %s, expected EXDEV", dd);
    return 0;
}

TEST(overlay_upper_is_plain_diff)
{
    struct ov_fixture fx;
    struct error err;
    struct stat st;
    char val[8] = "";
    ssize_t n;

    if (!need_userns_or_root())
        return;
    ov_setup(&fx, 1);
    mkdirs("lowers/l0/d/sub");
    put("lowers/l0/d/sub/file", "x");
    mkdirs("lowers/l0/dd");
    put("lowers/l0/dd/file", "x");
    error_init(&err);
    CHECK_OK(overlay_run(&fx.spec, write_and_delete, NULL, &err), err);
    CHECK(fs_exists(AT_FDCWD, "upper/new"));
    CHECK(!fs_exists(AT_FDCWD, "lowers/l0/new"));
    CHECK(fs_exists(AT_FDCWD, "lowers/l0/f0"));
    /* a deletion is a 0:0 character device whiteout */
    CHECK_INT(lstat("upper/f0", &st), 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK_INT(st.st_rdev, makedev(0, 0));
    /* a recreated dir is opaque */
    n = opaque_xattr("upper/d", val, sizeof(val));
    CHECK_INT(n, 1);
    CHECK_STR(val, "y");
    CHECK(!fs_exists(AT_FDCWD, "upper/dd2"));
    /* no index, no redirects: the work dir holds nothing but overlay's own scratch */
    CHECK(!fs_exists(AT_FDCWD, "work/index"));
    ov_release(&fx);
}

static int
write_one(const char *merged, void *arg, struct error *err)
{
    cleanup_free char *p = xasprintf("%s/%s", merged, (const char *)arg);
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0)
        return error_set(err, errno, "create %s", p);
    close(fd);
    return 0;
}

TEST(overlay_zero_lowers)
{
    struct overlay_spec spec = {NULL, 0, "upper", "work", "merged", "links", 0, 0};
    struct error err;

    if (!need_userns_or_root())
        return;
    mkdirs("upper");
    mkdirs("work");
    mkdirs("merged");
    error_init(&err);
    CHECK_OK(overlay_run(&spec, write_one, (void *)"hello", &err), err);
    CHECK(fs_exists(AT_FDCWD, "upper/hello"));
    CHECK(fs_exists(AT_FDCWD, "links/empty"));
    CHECK(!fs_exists(AT_FDCWD, "links/empty/hello"));
}

static int
fail_fn(const char *merged, void *arg, struct error *err)
{
    (void)arg;
    return error_input(err, "refused in %s", merged);
}

TEST(overlay_run_reports_child_error)
{
    struct ov_fixture fx;
    struct error err;

    if (!need_userns_or_root())
        return;
    ov_setup(&fx, 2);
    error_init(&err);
    CHECK_FAIL(overlay_run(&fx.spec, fail_fn, NULL, &err), err, "refused in /");
    CHECK_INT(err.exit_code, 2);
    ov_release(&fx);
}

TEST(overlay_missing_lower)
{
    const char *lowers[] = {"nosuch"};
    struct overlay_spec spec = {lowers, 1, "upper", "work", "merged", "links", 0, 0};
    struct error err;

    mkdirs("upper");
    mkdirs("work");
    mkdirs("merged");
    error_init(&err);
    CHECK_FAIL(overlay_run(&spec, write_one, (void *)"x", &err), err, "overlay lower dir nosuch");
}
