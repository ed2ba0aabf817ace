#include "builder/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "builder/sandbox/caps.h"
#include "builder/sandbox/userns.h"
#include "builder/sandbox/passwd.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"
#include "formats/digest.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

#define BUSYBOX "/usr/bin/busybox"

static const char *const applets[] = {"sh",    "true",  "ls",    "cat",      "echo", "rm",
                                      "mkdir", "sleep", "touch", "hostname", "pwd",  "id",
                                      "kill",  "head",  "grep",  "mknod",    "tr"};

/* trusted.overlay.opaque, or user.overlay.opaque when the overlay ran with userxattr */
static ssize_t
opaque_xattr(const char *path, char *val, size_t n)
{
    ssize_t r = lgetxattr(path, "trusted.overlay.opaque", val, n - 1);

    if (r < 0)
        r = lgetxattr(path, "user.overlay.opaque", val, n - 1);
    return r;
}

/* ---- fixture: a busybox + tinit rootfs as the only lower ---- */

struct sbx {
    struct sandbox_spec spec;
    const char *lowers[256];
    struct strvec lines;
};

static void
on_line(void *opaque, const char *line, size_t len)
{
    struct sbx *s = opaque;

    strvec_push_owned(&s->lines, xstrndup(line, len));
}

static int
copy_file(const char *src, const char *dst, mode_t mode)
{
    struct buf b = BUF_INIT;
    struct error err;
    int rc;

    error_init(&err);
    rc = fs_read_file(AT_FDCWD, src, &b, &err);
    if (rc == 0)
        rc = fs_write_atomic(AT_FDCWD, dst, b.data, b.len, mode, &err);
    if (rc < 0)
        harness_fail(__FILE__, __LINE__, "copy %s: %s", src, err.msg);
    buf_release(&b);
    return rc;
}

static void
put(const char *path, const char *text)
{
    struct error err;

    error_init(&err);
    CHECK_OK(fs_write_atomic(AT_FDCWD, path, text, strlen(text), 0644, &err), err);
}

static void
mkdirs(const char *path)
{
    struct error err;

    error_init(&err);
    CHECK_OK(fs_mkdir_p(AT_FDCWD, path, 0755, &err), err);
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

/* Builds rootfs/ (busybox, tinit, and /etc unless bare); 0 means skip the test. */
static int
make_rootfs(const char *dir, int bare)
{
    const char *tinit = getenv("STRATA_TINIT");
    char path[4096];

    if (!can_sandbox()) {
        harness_skip("sandbox tests need root or user namespaces");
        return 0;
    }
    if (!tinit || access(tinit, X_OK) < 0) {
        harness_skip("STRATA_TINIT unset or not built (make build/tinit)");
        return 0;
    }
    if (access(BUSYBOX, X_OK) < 0) {
        harness_skip("no static busybox at " BUSYBOX);
        return 0;
    }
    snprintf(path, sizeof(path), "%s/bin", dir);
    mkdirs(path);
    snprintf(path, sizeof(path), "%s/tinit", dir);
    if (copy_file(tinit, path, 0755) < 0)
        return 0;
    snprintf(path, sizeof(path), "%s/bin/busybox", dir);
    if (copy_file(BUSYBOX, path, 0755) < 0)
        return 0;
    for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
        snprintf(path, sizeof(path), "%s/bin/%s", dir, applets[i]);
        if (symlink("busybox", path) < 0)
            harness_fail(__FILE__, __LINE__, "symlink %s: %s", path, strerror(errno));
    }
    if (bare)
        return 1;
    snprintf(path, sizeof(path), "%s/etc", dir);
    mkdirs(path);
    snprintf(path, sizeof(path), "%s/etc/passwd", dir);
    put(path, "root:x:0:0:root:/root:/bin/sh\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
              "alice:x:1000:1000::/home/alice:/bin/sh\n");
    snprintf(path, sizeof(path), "%s/etc/group", dir);
    put(path, "root:x:0:\nnogroup:x:65534:\nalice:x:1000:\nstaff:x:50:alice,bob\n"
              "audio:x:29:bob\n");
    snprintf(path, sizeof(path), "%s/tmp/d", dir);
    mkdirs(path);
    snprintf(path, sizeof(path), "%s/tmp/d/file", dir);
    put(path, "x");
    return 1;
}

static int
sbx_init(struct sbx *s, int bare)
{
    memset(s, 0, sizeof(*s));
    if (!make_rootfs("rootfs", bare))
        return 0;
    mkdirs("upper");
    mkdirs("work");
    mkdirs("merged");
    s->lowers[0] = "rootfs";
    s->spec.overlay.lowers = s->lowers;
    s->spec.overlay.nlowers = 1;
    s->spec.overlay.upper = "upper";
    s->spec.overlay.work = "work";
    s->spec.overlay.merged = "merged";
    s->spec.overlay.linkdir = "scratch";
    s->spec.cwd = "/";
    s->spec.hostname = "strata-sandbox";
    s->spec.net = SANDBOX_NET_HOST;
    s->spec.on_output = on_line;
    s->spec.opaque = s;
    return 1;
}

/* Runs argv (NULL-terminated) in a fresh upper/work; returns sandbox_run's result. */
static int
sbx_run(struct sbx *s, const char *const *argv, struct sandbox_result *res, struct error *err)
{
    static const char *const env[] = {"PATH=/bin", "HOME=/root", NULL};

    strvec_release(&s->lines);
    s->spec.argv = (char *const *)argv;
    if (!s->spec.env)
        s->spec.env = (char *const *)env;
    error_init(err);
    return sandbox_run(&s->spec, res, err);
}

/* Runs argv and expects it to exit 0. */
static void
sbx_ok(struct sbx *s, const char *const *argv, struct sandbox_result *res)
{
    struct error err;

    CHECK_OK(sbx_run(s, argv, res, &err), err);
    if (res->exit_code != 0)
        harness_fail(__FILE__, __LINE__, "%s exited %d; output:\n%s", argv[0], res->exit_code,
                     res->tail);
}

static const char *
sbx_line(struct sbx *s, size_t i)
{
    return i < s->lines.n ? s->lines.v[i] : "(no line)";
}

/* Value after "key " on the first output line starting with it, or NULL. */
static const char *
sbx_field(struct sbx *s, const char *key)
{
    size_t kl = strlen(key);

    for (size_t i = 0; i < s->lines.n; i++)
        if (!strncmp(s->lines.v[i], key, kl) && s->lines.v[i][kl] == ' ')
            return s->lines.v[i] + kl + 1;
    return NULL;
}

static size_t
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* ---- a digest over a tree: paths, types, modes, owners, sizes, link targets, bytes ---- */

static struct digest_ctx *tree_ctx;

static int
tree_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    char line[4200], target[4096] = "";
    char sum[DIGEST_STR_LEN + 1] = "";
    struct error err;

    (void)ftw;
    error_init(&err);
    if (type == FTW_SL) {
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
    } else if (S_ISREG(st->st_mode)) {
        digest_file(AT_FDCWD, path, sum, &err);
    }
    snprintf(line, sizeof(line), "%s %o %u:%u %lld %s %s %lu\n", path, (unsigned)st->st_mode,
             (unsigned)st->st_uid, (unsigned)st->st_gid, (long long)st->st_size, target, sum,
             (unsigned long)st->st_rdev);
    digest_update(tree_ctx, line, strlen(line));
    return 0;
}

static void
tree_hash(const char *dir, char out[DIGEST_STR_LEN + 1])
{
    struct digest_ctx d;

    digest_init(&d);
    tree_ctx = &d;
    nftw(dir, tree_visit, 32, FTW_PHYS);
    digest_final(&d, out);
    tree_ctx = NULL;
}

/* ---- tests ---- */

TEST(sandbox_command_is_pid1_and_sees_no_host_process)
{
    const char *argv[] = {"/tinit", "pid1", NULL};
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    sbx_ok(&s, argv, &res);
    CHECK_STR(sbx_line(&s, 0), "pid 1");
    CHECK_STR(sbx_line(&s, 1), "procs 1");
    strvec_release(&s.lines);
}

TEST(sandbox_hostname)
{
    const char *argv[] = {"/tinit", "hostname", NULL};
    char host[256] = "";
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    s.spec.hostname = "strata-build-7";
    sbx_ok(&s, argv, &res);
    CHECK_STR(sbx_line(&s, 0), "strata-build-7");
    gethostname(host, sizeof(host) - 1);
    CHECK(strcmp(host, "strata-build-7") != 0);
    strvec_release(&s.lines);
}

static unsigned long
host_ns(const char *name)
{
    char p[64];
    struct stat st;

    snprintf(p, sizeof(p), "/proc/self/ns/%s", name);
    return stat(p, &st) < 0 ? 0 : (unsigned long)st.st_ino;
}

static void
check_namespaces(enum sandbox_net net)
{
    static const char *const fresh[] = {"mnt", "pid", "uts", "ipc"};
    const char *argv[] = {"/tinit", "ns", NULL};
    const char *ifs[] = {"/tinit", "netifs", NULL};
    struct sandbox_result res;
    struct sbx s;
    const char *v;

    if (!sbx_init(&s, 0))
        return;
    s.spec.net = net;
    sbx_ok(&s, argv, &res);
    for (size_t i = 0; i < sizeof(fresh) / sizeof(fresh[0]); i++) {
        v = sbx_field(&s, fresh[i]);
        CHECK(v != NULL);
        if (v && strtoul(v, NULL, 10) == host_ns(fresh[i]))
            harness_fail(__FILE__, __LINE__, "%s namespace is the host's", fresh[i]);
    }
    v = sbx_field(&s, "net");
    CHECK(v != NULL);
    if (v && net == SANDBOX_NET_NONE)
        CHECK(strtoul(v, NULL, 10) != host_ns("net"));
    if (v && net == SANDBOX_NET_HOST)
        CHECK_INT(strtoul(v, NULL, 10), host_ns("net"));
    v = sbx_field(&s, "user");
    CHECK(v != NULL);
    /* root needs no user namespace; anyone else gets one */
    if (v && userns_privileged())
        CHECK_INT(strtoul(v, NULL, 10), host_ns("user"));
    else if (v)
        CHECK(strtoul(v, NULL, 10) != host_ns("user"));
    sbx_ok(&s, ifs, &res);
    if (net == SANDBOX_NET_NONE) {
        CHECK_INT(s.lines.n, 1);
        CHECK_STR(sbx_line(&s, 0), "lo");
    } else {
        CHECK(s.lines.n >= 1);
    }
    strvec_release(&s.lines);
}

TEST(sandbox_namespaces_host_network)
{
    check_namespaces(SANDBOX_NET_HOST);
}

TEST(sandbox_namespaces_network_none)
{
    check_namespaces(SANDBOX_NET_NONE);
}

TEST(sandbox_network_none_lo_is_up)
{
    const char *argv[] = {"cat", "/sys/class/net/lo/flags", NULL};
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    s.spec.net = SANDBOX_NET_NONE;
    sbx_ok(&s, argv, &res);
    /* IFF_UP | IFF_LOOPBACK */
    CHECK_INT(strtoul(sbx_line(&s, 0), NULL, 16) & 0x9, 0x9);
    strvec_release(&s.lines);
}

TEST(sandbox_capabilities_and_no_new_privs)
{
    const char *caps[] = {"/tinit", "caps", NULL};
    const char *nnp[] = {"/tinit", "nnp", NULL};
    char want[32];
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    s.spec.net = SANDBOX_NET_NONE; /* Docker's set where the network is the step's own */
    snprintf(want, sizeof(want), "%016llx", (unsigned long long)CAPS_DEFAULT_MASK);
    sbx_ok(&s, caps, &res);
    CHECK_STR(sbx_field(&s, "CapBnd"), want);
    CHECK_STR(sbx_field(&s, "CapEff"), want);
    CHECK_STR(sbx_field(&s, "CapPrm"), want);
    CHECK_STR(sbx_field(&s, "CapInh"), "0000000000000000");
    s.spec.net = SANDBOX_NET_HOST; /* on the host's network, no NET_RAW (bit 13) */
    snprintf(want, sizeof(want), "%016llx", (unsigned long long)CAPS_DEFAULT_MASK & ~(1ULL << 13));
    sbx_ok(&s, caps, &res);
    CHECK_STR(sbx_field(&s, "CapBnd"), want);
    CHECK_STR(sbx_field(&s, "CapEff"), want);
    sbx_ok(&s, nnp, &res);
    CHECK_STR(sbx_field(&s, "NoNewPrivs"), "1");
    strvec_release(&s.lines);
}

TEST(sandbox_user_switching)
{
    const char *id[] = {"/tinit", "id", NULL};
    const char *caps[] = {"/tinit", "caps", NULL};
    char want[32];
    struct sandbox_result res;
    struct error err;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    if (!userns_privileged()) {
        /* a rootless build maps only root */
        s.spec.user = "nobody";
        CHECK_FAIL(sbx_run(&s, id, &res, &err), err, "only root is available");
        s.spec.user = "0:0";
        sbx_ok(&s, id, &res);
        CHECK_STR(sbx_line(&s, 0), "uid 0 gid 0 groups"); /* setgroups is denied */
        strvec_release(&s.lines);
        return;
    }
    /* the primary gid is among the groups (CVE-2023-25173); the kernel keeps them sorted */
    s.spec.user = "nobody";
    s.spec.net = SANDBOX_NET_NONE; /* the full default set (the host's network drops NET_RAW) */
    sbx_ok(&s, id, &res);
    CHECK_STR(sbx_line(&s, 0), "uid 65534 gid 65534 groups 65534");
    sbx_ok(&s, caps, &res);
    snprintf(want, sizeof(want), "%016llx", (unsigned long long)CAPS_DEFAULT_MASK);
    CHECK_STR(sbx_field(&s, "CapBnd"), want);
    CHECK_STR(sbx_field(&s, "CapEff"), "0000000000000000");
    s.spec.user = "65534:65534";
    sbx_ok(&s, id, &res);
    CHECK_STR(sbx_line(&s, 0), "uid 65534 gid 65534 groups 65534");
    s.spec.user = "alice";
    sbx_ok(&s, id, &res);
    CHECK_STR(sbx_line(&s, 0), "uid 1000 gid 1000 groups 50 1000");
    s.spec.user = "1234";
    sbx_ok(&s, id, &res);
    CHECK_STR(sbx_line(&s, 0), "uid 1234 gid 0 groups 0");
    s.spec.user = "nosuchuser";
    CHECK_FAIL(sbx_run(&s, id, &res, &err), err,
               "unable to find user nosuchuser: no matching entries in passwd file");
    s.spec.user = "nobody:nosuchgroup";
    CHECK_FAIL(sbx_run(&s, id, &res, &err), err, "unable to find group nosuchgroup");
    strvec_release(&s.lines);
}

TEST(sandbox_exit_codes)
{
    const char *three[] = {"/tinit", "exit", "3", NULL};
    const char *segv[] = {"/tinit", "segv", NULL};
    struct sandbox_result res;
    struct error err;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    CHECK_OK(sbx_run(&s, three, &res, &err), err);
    CHECK_INT(res.exit_code, 3);
    CHECK_INT(res.signal, 0);
    /* PID 1 is immune to signals it sends itself, but not to a fault */
    CHECK_OK(sbx_run(&s, segv, &res, &err), err);
    CHECK_INT(res.exit_code, 128 + 11);
    CHECK_INT(res.signal, 11);
    strvec_release(&s.lines);
}

TEST(sandbox_output_order_and_tail)
{
    const char *lines[] = {"/tinit", "lines", "100", NULL};
    const char *mixed[] = {"sh", "-c", "echo one; echo two >&2; echo three; printf partial", NULL};
    struct sandbox_result res;
    struct sbx s;
    char want[64];

    if (!sbx_init(&s, 0))
        return;
    sbx_ok(&s, lines, &res);
    CHECK_INT(s.lines.n, 100);
    for (size_t i = 0; i < s.lines.n; i++) {
        snprintf(want, sizeof(want), "line %zu", i + 1);
        CHECK_STR(s.lines.v[i], want);
    }
    /* the tail is the last SANDBOX_TAIL_LINES lines */
    CHECK(!strncmp(res.tail, "line 81\n", 8));
    CHECK(strstr(res.tail, "line 100\n") != NULL);
    CHECK(strstr(res.tail, "line 80\n") == NULL);
    sbx_ok(&s, mixed, &res);
    CHECK_INT(s.lines.n, 4);
    CHECK_STR(sbx_line(&s, 0), "one");
    CHECK_STR(sbx_line(&s, 1), "two");
    CHECK_STR(sbx_line(&s, 2), "three");
    CHECK_STR(sbx_line(&s, 3), "partial");
    CHECK_STR(res.tail, "one\ntwo\nthree\npartial\n");
    strvec_release(&s.lines);
}

/* a line without an end comes in pieces of bounded size, nothing lost */
struct piece_count {
    size_t pieces, total, longest;
};

static void
on_piece(void *opaque, const char *line, size_t len)
{
    struct piece_count *c = opaque;

    (void)line;
    c->pieces++;
    c->total += len;
    if (len > c->longest)
        c->longest = len;
}

TEST(sandbox_very_long_line)
{
    const char *argv[] = {"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' a", NULL};
    struct piece_count c = {0, 0, 0};
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    s.spec.on_output = on_piece;
    s.spec.opaque = &c;
    sbx_ok(&s, argv, &res);
    CHECK_INT(c.total, 200000);
    CHECK(c.pieces >= 3);
    CHECK(c.longest <= 128 * 1024);
    /* where the pieces break depends on how reads split the stream; the tail stays bounded */
    CHECK(strlen(res.tail) > 1 && strlen(res.tail) <= SANDBOX_TAIL_LEN - 1);
}

/* Ctrl-C or kill -9 of strata must not leave the command running */
TEST(sandbox_dies_with_its_parent)
{
    const char *argv[] = {"sh", "-c", "touch /started; sleep 1; touch /still-alive", NULL};
    struct sandbox_result res;
    struct sbx s;
    pid_t helper;
    int status;

    if (!sbx_init(&s, 0))
        return;
    fflush(stdout);
    helper = fork();
    if (helper == 0) {
        struct error err;
        sbx_run(&s, argv, &res, &err);
        _exit(0);
    }
    for (int i = 0; i < 500 && !fs_exists(AT_FDCWD, "upper/started"); i++)
        usleep(10000);
    CHECK(fs_exists(AT_FDCWD, "upper/started"));
    kill(helper, SIGKILL);
    waitpid(helper, &status, 0);
    usleep(1500000);
    CHECK(!fs_exists(AT_FDCWD, "upper/still-alive"));
}

TEST(sandbox_writes_land_in_upper_only)
{
    const char *argv[] = {"sh", "-c",
                          "echo hi > /newfile && rm /etc/group && rm -rf /tmp/d && mkdir /tmp/d && "
                          "echo no > /etc/hosts; hostname evil; true",
                          NULL};
    char before[DIGEST_STR_LEN + 1], after[DIGEST_STR_LEN + 1];
    char hbefore[DIGEST_STR_LEN + 1], hafter[DIGEST_STR_LEN + 1], host[256] = "";
    struct error err;
    struct sandbox_result res;
    struct stat st;
    char val[8] = "";
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    tree_hash("rootfs", before);
    error_init(&err);
    digest_file(AT_FDCWD, "/etc/hosts", hbefore, &err);
    sbx_ok(&s, argv, &res);
    tree_hash("rootfs", after);
    CHECK_STR(after, before);
    digest_file(AT_FDCWD, "/etc/hosts", hafter, &err);
    CHECK_STR(hafter, hbefore);
    gethostname(host, sizeof(host) - 1);
    CHECK(strcmp(host, "evil") != 0);
    CHECK(fs_exists(AT_FDCWD, "upper/newfile"));
    CHECK(!fs_exists(AT_FDCWD, "rootfs/newfile"));
    /* a deleted lower file is a 0:0 character device whiteout */
    CHECK_INT(lstat("upper/etc/group", &st), 0);
    CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
    /* rm -rf dir && mkdir dir gives an opaque dir */
    CHECK_INT(opaque_xattr("upper/tmp/d", val, sizeof(val)), 1);
    CHECK_STR(val, "y");
    CHECK(!fs_exists(AT_FDCWD, "upper/tmp/d/file"));
    /* /etc/hosts is a read-only private copy */
    CHECK(!fs_exists(AT_FDCWD, "upper/etc/hosts"));
    CHECK_INT(count_entries("upper/etc"), 1);
    strvec_release(&s.lines);
}

/*
 * What a run leaves in the upper dir of an image without /proc, /dev and
 * /sys: exactly those three, empty, 0755 root, as BuildKit (runc) leaves them.
 */
static int
only_mount_dirs(const char *upper)
{
    static const char *const names[] = {"dev", "proc", "sys"};
    char p[4096];
    struct stat st;
    size_t i;

    if (count_entries(upper) != 3)
        return 0;
    for (i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", upper, names[i]);
        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0755 ||
            st.st_uid != 0 || count_entries(p) != 0)
            return 0;
    }
    return 1;
}

TEST(sandbox_no_mount_point_leftovers)
{
    const char *argv[] = {"true", NULL};
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 1)) /* no /etc, /proc, /dev, /sys in the image */
        return;
    sbx_ok(&s, argv, &res);
    CHECK(only_mount_dirs("upper"));
    s.spec.net = SANDBOX_NET_NONE;
    sbx_ok(&s, argv, &res);
    CHECK(only_mount_dirs("upper"));
    strvec_release(&s.lines);
}

/* An upper image layer that deletes /proc, /sys and /etc: the mount points must then be
 * created in the rootfs, and removed from the upper dir afterwards. */
TEST(sandbox_created_mount_points_are_removed)
{
    const char *argv[] = {"/tinit", "pid1", NULL};
    const char *hosts[] = {"cat", "/etc/hosts", NULL};
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    mkdirs("rootfs/proc");
    mkdirs("wh");
    CHECK_INT(mknod("wh/proc", S_IFCHR | 0600, makedev(0, 0)), 0);
    CHECK_INT(mknod("wh/sys", S_IFCHR | 0600, makedev(0, 0)), 0);
    CHECK_INT(mknod("wh/etc", S_IFCHR | 0600, makedev(0, 0)), 0);
    s.lowers[0] = "wh";
    s.lowers[1] = "rootfs";
    s.spec.overlay.nlowers = 2;
    sbx_ok(&s, argv, &res);
    CHECK_STR(sbx_line(&s, 0), "pid 1");
    CHECK_STR(sbx_line(&s, 1), "procs 1");
    CHECK(only_mount_dirs("upper"));
    s.spec.net = SANDBOX_NET_NONE;
    sbx_ok(&s, hosts, &res);
    CHECK_STR(sbx_line(&s, 0), "127.0.0.1\tlocalhost strata-sandbox");
    CHECK(only_mount_dirs("upper"));
    strvec_release(&s.lines);
}

TEST(sandbox_exec_errors)
{
    const char *nosuch[] = {"nosuch", NULL};
    const char *abs[] = {"/nosuch", NULL};
    const char *noexec[] = {"/etc/passwd", NULL};
    struct sandbox_result res;
    struct error err;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    CHECK_FAIL(sbx_run(&s, nosuch, &res, &err), err,
               "exec: \"nosuch\": executable file not found in $PATH");
    CHECK_FAIL(sbx_run(&s, abs, &res, &err), err, "exec: \"/nosuch\": stat /nosuch");
    CHECK_INT(err.sys_errno, ENOENT);
    CHECK_FAIL(sbx_run(&s, noexec, &res, &err), err, "exec: \"/etc/passwd\"");
    CHECK(only_mount_dirs("upper"));
    strvec_release(&s.lines);
}

TEST(sandbox_background_child_does_not_hang)
{
    const char *argv[] = {"/tinit", "spawn", "60", NULL};
    struct sandbox_result res;
    struct sbx s;
    double t0;

    if (!sbx_init(&s, 0))
        return;
    t0 = log_now_ms();
    sbx_ok(&s, argv, &res);
    CHECK(log_now_ms() - t0 < 10000);
    CHECK(!strncmp(sbx_line(&s, 0), "spawned", 7));
    strvec_release(&s.lines);
}

TEST(sandbox_200_lowers)
{
    const char *argv[] = {"/tinit", "stat", "/l150", NULL};
    struct sandbox_result res;
    struct sbx s;
    char *names[199];

    if (!sbx_init(&s, 0))
        return;
    for (size_t i = 0; i < 199; i++) {
        names[i] = xasprintf("lowers/%zu", i);
        mkdirs(names[i]);
        s.lowers[i] = names[i];
    }
    put("lowers/150/l150", "");
    s.lowers[199] = "rootfs";
    s.spec.overlay.nlowers = 200;
    sbx_ok(&s, argv, &res);
    CHECK(!strncmp(sbx_line(&s, 0), "file ", 5));
    for (size_t i = 0; i < 199; i++)
        free(names[i]);
    strvec_release(&s.lines);
}

TEST(sandbox_dev_proc_sys)
{
    const char *null[] = {"/tinit", "stat", "/dev/null", NULL};
    const char *ls[] = {"ls", "/dev", NULL};
    /* each line printed names a write that should have failed (or not) */
    const char *writes[] = {
        "sh", "-c",
        "echo x > /dev/null || echo dev-null-not-writable; "
        "touch /sys/x 2>/dev/null && echo sys-writable; "
        "echo 1 2>/dev/null > /proc/sys/kernel/panic && echo proc-sys-writable; "
        "mknod /dev/evil c 1 3 2>/dev/null && echo x 2>/dev/null > /dev/evil && "
        "echo dev-node-usable; "
        "mknod /evil c 1 3 2>/dev/null && echo x 2>/dev/null > /evil && "
        "echo rootfs-node-usable; rm -f /evil; "
        "cat /proc/kcore 2>/dev/null | head -c 1 | grep -q . && "
        "echo kcore-readable; true",
        NULL};
    static const char *const want[] = {"core",  "fd",     "full",   "mqueue",  "null",
                                       "ptmx",  "pts",    "random", "shm",     "stderr",
                                       "stdin", "stdout", "tty",    "urandom", "zero"};
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    sbx_ok(&s, null, &res);
    CHECK(!strncmp(sbx_line(&s, 0), "char ", 5));
    sbx_ok(&s, ls, &res);
    CHECK_INT(s.lines.n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < s.lines.n && i < sizeof(want) / sizeof(want[0]); i++)
        CHECK_STR(s.lines.v[i], want[i]);
    sbx_ok(&s, writes, &res);
    CHECK_STR(res.tail, "");
    strvec_release(&s.lines);
}

TEST(sandbox_etc_hosts_and_resolv)
{
    const char *hosts[] = {"cat", "/etc/hosts", NULL};
    const char *resolv[] = {"/tinit", "stat", "/etc/resolv.conf", NULL};
    struct buf host = BUF_INIT;
    struct sandbox_result res;
    struct error err;
    struct sbx s;
    size_t n = 0;

    if (!sbx_init(&s, 0))
        return;
    error_init(&err);
    sbx_ok(&s, hosts, &res);
    if (fs_read_file(AT_FDCWD, "/etc/hosts", &host, &err) == 0) {
        for (size_t i = 0; i < host.len; i++)
            n += host.data[i] == '\n';
        CHECK_INT(s.lines.n, n);
    }
    sbx_ok(&s, resolv, &res);
    CHECK(!strncmp(sbx_line(&s, 0), "file ", 5));
    s.spec.net = SANDBOX_NET_NONE;
    sbx_ok(&s, hosts, &res);
    CHECK_INT(s.lines.n, 2);
    CHECK_STR(sbx_line(&s, 0), "127.0.0.1\tlocalhost strata-sandbox");
    buf_release(&host);
    strvec_release(&s.lines);
}

TEST(sandbox_workdir_is_created)
{
    const char *argv[] = {"pwd", NULL};
    struct sandbox_result res;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    s.spec.cwd = "/work/dir";
    sbx_ok(&s, argv, &res);
    CHECK_STR(sbx_line(&s, 0), "/work/dir");
    CHECK(fs_exists(AT_FDCWD, "upper/work/dir"));
    strvec_release(&s.lines);
}

/* checks the limit from outside while the command still runs */
struct cg_probe {
    struct sbx *s;
    char limit[64];
};

static void
on_cgroup_line(void *opaque, const char *line, size_t len)
{
    struct cg_probe *p = opaque;
    const char *m = memmem(line, len, ":memory:", 8);

    on_line(p->s, line, len);
    if (m) {
        cleanup_free char *rel = xstrndup(m + 8, len - (size_t)(m + 8 - line));
        cleanup_free char *f = xasprintf("/sys/fs/cgroup/memory%s/memory.limit_in_bytes", rel);
        struct buf b = BUF_INIT;
        struct error err;
        error_init(&err);
        if (fs_read_file(AT_FDCWD, f, &b, &err) == 0)
            snprintf(p->limit, sizeof(p->limit), "%s", buf_cstr(&b));
        buf_release(&b);
    }
}

TEST(sandbox_cgroup_limits)
{
    const char *show[] = {"sh", "-c", "cat /proc/self/cgroup; sleep 0.3", NULL};
    const char *forks[] = {"sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait",
                           NULL};
    struct sandbox_result res;
    struct cg_probe probe;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    if (access("/sys/fs/cgroup/memory", W_OK) < 0 || access("/sys/fs/cgroup/pids", W_OK) < 0) {
        harness_skip("cgroup v1 memory and pids controllers not writable");
        return;
    }
    memset(&probe, 0, sizeof(probe));
    probe.s = &s;
    s.spec.on_output = on_cgroup_line;
    s.spec.opaque = &probe;
    s.spec.memory_limit = 64 << 20;
    sbx_ok(&s, show, &res);
    CHECK_STR(probe.limit, "67108864\n");
    s.spec.memory_limit = 0;
    s.spec.pids_limit = 4;
    s.spec.on_output = on_line;
    s.spec.opaque = &s;
    struct error err;
    CHECK_OK(sbx_run(&s, forks, &res, &err), err);
    CHECK(strstr(res.tail, "can't fork") != NULL);
    strvec_release(&s.lines);
}

TEST(sandbox_empty_command)
{
    const char *argv[] = {NULL};
    struct sandbox_result res;
    struct error err;
    struct sbx s;

    memset(&s, 0, sizeof(s));
    CHECK_FAIL(sbx_run(&s, argv, &res, &err), err, "empty command");
    CHECK_INT(err.exit_code, 2);
}

TEST(sandbox_overhead)
{
    const char *argv[] = {"/bin/true", NULL};
    struct sandbox_result res;
    struct sbx s;
    double t0, total;
    int n = 50;

    if (!sbx_init(&s, 0))
        return;
    sbx_ok(&s, argv, &res); /* warm up */
    t0 = log_now_ms();
    for (int i = 0; i < n; i++)
        sbx_ok(&s, argv, &res);
    total = log_now_ms() - t0;
    printf("# per-RUN overhead: %.2f ms (sandbox_run of /bin/true, mean of %d)\n", total / n, n);
    strvec_release(&s.lines);
}

/* ---- passwd resolution on its own ---- */

static void
passwd_fixture(void)
{
    mkdirs("r/etc");
    put("r/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n# comment\nbroken\n"
                        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                        "alice:x:1000:1000::/home/alice:/bin/sh");
    put("r/etc/group", "root:x:0:\nnogroup:x:65534:\nstaff:x:50:alice,bob\naudio:x:29:bob,alice\n"
                       "alice:x:1000:\n");
}

TEST(passwd_resolve_forms)
{
    cleanup_close int r = -1;
    struct passwd_ids ids;
    struct error err;

    passwd_fixture();
    r = open("r", O_PATH | O_DIRECTORY);
    error_init(&err);
    /* runc's rules: supplementary groups are the etc/group memberships, none when a
     * group is given, plus the primary gid first (containerd's CVE-2023-25173 fix,
     * BuildKit's testUserAdditionalGids); HOME comes from passwd */
    CHECK_OK(passwd_resolve(r, NULL, &ids, &err), err);
    CHECK_INT(ids.uid, 0);
    CHECK_INT(ids.gid, 0);
    CHECK_INT(ids.ngroups, 1);
    CHECK_INT(ids.groups[0], 0);
    CHECK_OK(passwd_resolve(r, "alice", &ids, &err), err); /* last line has no '\n' */
    CHECK_INT(ids.uid, 1000);
    CHECK_INT(ids.gid, 1000);
    CHECK_INT(ids.ngroups, 3);
    CHECK_INT(ids.groups[0], 1000);
    CHECK_INT(ids.groups[1], 50);
    CHECK_INT(ids.groups[2], 29);
    CHECK_OK(passwd_resolve(r, "alice:staff", &ids, &err), err);
    CHECK_INT(ids.gid, 50);
    CHECK_INT(ids.ngroups, 1);
    CHECK_INT(ids.groups[0], 50);
    CHECK_OK(passwd_resolve(r, "1000:7", &ids, &err), err);
    CHECK_INT(ids.uid, 1000);
    CHECK_INT(ids.gid, 7);
    CHECK_INT(ids.ngroups, 1);
    CHECK_INT(ids.groups[0], 7);
    CHECK_OK(passwd_resolve(r, "4242", &ids, &err), err);
    CHECK_INT(ids.uid, 4242);
    CHECK_INT(ids.gid, 0);
    CHECK_INT(ids.ngroups, 1);
    CHECK_INT(ids.groups[0], 0);
    CHECK_FAIL(passwd_resolve(r, "bob", &ids, &err), err,
               "unable to find user bob: no matching entries in passwd file");
    CHECK_FAIL(passwd_resolve(r, "alice:wheel", &ids, &err), err,
               "unable to find group wheel: no matching entries in group file");
    CHECK_FAIL(passwd_resolve(r, ":5", &ids, &err), err, "invalid user");
}

TEST(passwd_primary_gid_listed_once)
{
    cleanup_close int r = -1;
    struct passwd_ids ids;
    struct error err;

    mkdirs("g/etc");
    put("g/etc/passwd", "dev:x:1200:50::/home/dev:/bin/sh\n");
    put("g/etc/group", "tools:x:60:dev\nstaff:x:50:dev\n");
    r = open("g", O_PATH | O_DIRECTORY);
    error_init(&err);
    /* a membership that lists the primary gid keeps its place (containerd adds it only
     * when missing) */
    CHECK_OK(passwd_resolve(r, "dev", &ids, &err), err);
    CHECK_INT(ids.gid, 50);
    CHECK_INT(ids.ngroups, 2);
    CHECK_INT(ids.groups[0], 60);
    CHECK_INT(ids.groups[1], 50);
}

TEST(passwd_resolve_without_files)
{
    cleanup_close int r = -1;
    struct passwd_ids ids;
    struct error err;

    mkdirs("empty");
    r = open("empty", O_PATH | O_DIRECTORY);
    error_init(&err);
    CHECK_OK(passwd_resolve(r, "65534:65534", &ids, &err), err);
    CHECK_INT(ids.uid, 65534);
    CHECK_INT(ids.gid, 65534);
    CHECK_FAIL(passwd_resolve(r, "nobody", &ids, &err), err, "unable to find user nobody");
}

TEST(sandbox_mount_sources_resolve_inside_their_tree)
{
    char marker[PATH_MAX];
    const char *argv[] = {"/bin/sh", "-c", NULL, NULL};
    cleanup_free char *script = NULL;
    struct sandbox_mount m[3];
    struct sandbox_result res;
    cleanup_close int tree = -1, data = -1;
    struct sbx s;

    if (!sbx_init(&s, 0))
        return;
    /* a tree with links that lead out on the host: to / and up past its root */
    mkdirs("tree");
    put("tree/inside", "in the tree");
    CHECK_INT(symlink("/", "tree/abs"), 0);
    CHECK_INT(symlink("../../../../../../../../../../../../..", "tree/up"), 0);
    snprintf(marker, sizeof(marker), "%s/host-marker", harness_tmpdir());
    put(marker, "on the host");
    tree = open("tree", O_PATH | O_DIRECTORY | O_CLOEXEC);
    data = memfd_create("secret", MFD_CLOEXEC);
    CHECK(tree >= 0 && data >= 0);
    CHECK_INT(write(data, "s3cr3t", 6), 6);
    memset(m, 0, sizeof(m));
    m[0] = (struct sandbox_mount){
        .kind = SANDBOX_MOUNT_BIND, .target = "/a", .readonly = 1, .root_fd = tree, .path = "abs"};
    m[1] = (struct sandbox_mount){.kind = SANDBOX_MOUNT_BIND,
                                  .target = "/u",
                                  .readonly = 1,
                                  .root_fd = tree,
                                  .path = "up/inside"};
    m[2] = (struct sandbox_mount){.kind = SANDBOX_MOUNT_FILE,
                                  .target = "/run/s",
                                  .readonly = 1,
                                  .data_fd = data,
                                  .mode = 0440,
                                  .uid = 0,
                                  .gid = 0};
    s.spec.mounts = m;
    s.spec.nmounts = 3;
    script = xasprintf("/tinit stat /a/inside; /tinit stat /a%s; /tinit stat /u; "
                       "/tinit stat /run/s; cat /run/s; echo",
                       marker);
    argv[2] = script;
    sbx_ok(&s, argv, &res);
    CHECK_STR(sbx_line(&s, 0), "file 644 0 0 11"); /* the tree's root at /a */
    CHECK_STR(sbx_line(&s, 1), "missing");         /* not the host's root */
    CHECK_STR(sbx_line(&s, 2), "file 644 0 0 11"); /* up/inside: the tree's own file */
    CHECK_STR(sbx_line(&s, 3), "file 440 0 0 6");
    CHECK_STR(sbx_line(&s, 4), "s3cr3t");
    strvec_release(&s.lines);
}
