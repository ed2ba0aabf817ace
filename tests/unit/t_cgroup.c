#include "builder/sandbox/cgroup.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/sandbox/rootless.h"
#include "builder/sandbox/userns.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

TEST(cgroup_oom_kill_counts)
{
    /* memory.events (v2) and memory.oom_control (v1, Linux 4.13+) as the kernel writes them */
    CHECK_INT(cgroup_parse_oom_kills("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n"), 1);
    CHECK_INT(cgroup_parse_oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3);
    CHECK_INT(cgroup_parse_oom_kills("oom_kill_disable 0\nunder_oom 0\n"), 0);
    CHECK_INT(cgroup_parse_oom_kills("oom_kill_disable 1\n"), 0);
    CHECK_INT(cgroup_parse_oom_kills(""), 0);
}

TEST(cgroup_shares_to_weight_ends_and_default)
{
    /* the ends of both ranges meet, and Docker's default 1024 lands near v2's 100 */
    CHECK_INT(cgroup_shares_to_weight(2), 1);
    CHECK_INT(cgroup_shares_to_weight(262144), 10000);
    CHECK_INT(cgroup_shares_to_weight(1024), 39);
    CHECK_INT(cgroup_shares_to_weight(512), 20);
}

TEST(cgroup_parse_cpus_values)
{
    struct error err;
    long long m = 0;

    error_init(&err);
    CHECK_OK(cgroup_parse_cpus("1.5", &m, &err), err);
    CHECK_INT(m, 1500);
    CHECK_OK(cgroup_parse_cpus("2", &m, &err), err);
    CHECK_INT(m, 2000);
    CHECK_OK(cgroup_parse_cpus("0.25", &m, &err), err);
    CHECK_INT(m, 250);
    CHECK_OK(cgroup_parse_cpus(".5", &m, &err), err);
    CHECK_INT(m, 500);
    CHECK_FAIL(cgroup_parse_cpus("0", &m, &err), err, "above 0");
    CHECK_FAIL(cgroup_parse_cpus("1.0005", &m, &err), err, "three decimals");
    CHECK_FAIL(cgroup_parse_cpus("two", &m, &err), err, "expected a number");
    CHECK_FAIL(cgroup_parse_cpus("-1", &m, &err), err, "expected a number");
    CHECK_FAIL(cgroup_parse_cpus(".", &m, &err), err, "expected a number");
    CHECK_FAIL(cgroup_parse_cpus("1.5x", &m, &err), err, "expected a number");
    CHECK_FAIL(cgroup_parse_cpus("5000", &m, &err), err, "at most 1024");
    CHECK_INT(err.exit_code, 2);
}

TEST(cgroup_check_cpuset_lists)
{
    struct error err;

    error_init(&err);
    CHECK_OK(cgroup_check_cpuset("0", &err), err);
    CHECK_OK(cgroup_check_cpuset("0-2,4,7-8", &err), err);
    CHECK_FAIL(cgroup_check_cpuset("", &err), err, "empty");
    CHECK_FAIL(cgroup_check_cpuset("2-1", &err), err, "bad range");
    CHECK_FAIL(cgroup_check_cpuset("0,", &err), err, "expected CPU numbers");
    CHECK_FAIL(cgroup_check_cpuset("a", &err), err, "expected CPU numbers");
    CHECK_FAIL(cgroup_check_cpuset("1;2", &err), err, "expected CPU numbers");
    CHECK_INT(err.exit_code, 2);
}

/* A fake cgroup v2 root (a plain directory) holding our own cgroup, which offers ctrls. */
static char *
fake_v2(const char *ctrls)
{
    cleanup_buf struct buf self = BUF_INIT;
    struct error err;
    char *root = fs_join(harness_tmpdir(), "cg");
    cleanup_free char *own = NULL, *f = NULL;
    const char *p;

    error_init(&err);
    CHECK_OK(fs_read_file(AT_FDCWD, "/proc/self/cgroup", &self, &err), err);
    p = strstr(buf_cstr(&self), "0::");
    CHECK(p != NULL);
    if (p)
        own = xasprintf("%s%.*s", root, (int)strcspn(p + 3, "\n"), p + 3);
    else
        own = xstrdup(root);
    CHECK_OK(fs_mkdir_p(AT_FDCWD, own, 0755, &err), err);
    f = fs_join(root, "cgroup.controllers");
    CHECK_OK(fs_write_atomic(AT_FDCWD, f, ctrls, strlen(ctrls), 0644, &err), err);
    free(f);
    f = fs_join(own, "cgroup.controllers");
    CHECK_OK(fs_write_atomic(AT_FDCWD, f, ctrls, strlen(ctrls), 0644, &err), err);
    free(f);
    f = fs_join(own, "cgroup.subtree_control");
    CHECK_OK(fs_write_atomic(AT_FDCWD, f, "", 0, 0644, &err), err);
    setenv("STRATA_CGROUP_ROOT", root, 1);
    return root;
}

static char *
read_in(const char *dir, const char *file)
{
    cleanup_free char *p = fs_join(dir, file);
    struct buf b = BUF_INIT;
    struct error err;

    error_init(&err);
    if (fs_read_file(AT_FDCWD, p, &b, &err) < 0) {
        buf_release(&b);
        return xstrdup("(missing)");
    }
    return buf_detach(&b);
}

TEST(cgroup_v2_fake_tree_files)
{
    cleanup_free char *root = fake_v2("cpuset cpu io memory pids\n");
    struct cgroup_limits lim = {64 << 20, 96 << 20, 100, 1500, 512, "0-1"};
    struct cgroup cg;
    struct error err;
    const char *want[][2] = {{"memory.max", "67108864"}, {"memory.swap.max", "33554432"},
                             {"pids.max", "100"},        {"cpu.max", "150000 100000"},
                             {"cpu.weight", "20"},       {"cpuset.cpus", "0-1"}};

    error_init(&err);
    CHECK_OK(cgroup_create(&cg, &lim, &err), err);
    CHECK_INT(cg.v2, 1);
    CHECK_INT(cg.n, 1);
    for (size_t i = 0; cg.n == 1 && i < sizeof(want) / sizeof(want[0]); i++) {
        cleanup_free char *got = read_in(cg.dirs[0], want[i][0]);
        CHECK_STR(got, want[i][1]);
    }
    CHECK_INT(cgroup_oom_killed(&cg), 0);
    cgroup_destroy(&cg);
    unsetenv("STRATA_CGROUP_ROOT");
}

TEST(cgroup_v2_unlimited_swap_and_no_swap)
{
    cleanup_free char *root = fake_v2("memory pids\n");
    struct cgroup_limits lim = {1 << 20, -1, 0, 0, 0, NULL};
    struct cgroup cg;
    struct error err;

    error_init(&err);
    CHECK_OK(cgroup_create(&cg, &lim, &err), err);
    if (cg.n == 1) {
        cleanup_free char *sw = read_in(cg.dirs[0], "memory.swap.max");
        cleanup_free char *pids = read_in(cg.dirs[0], "pids.max");
        CHECK_STR(sw, "max");
        CHECK_STR(pids, "(missing)");
    }
    cgroup_destroy(&cg);
    lim.memory_swap = 0;
    CHECK_OK(cgroup_create(&cg, &lim, &err), err);
    if (cg.n == 1) {
        cleanup_free char *sw = read_in(cg.dirs[0], "memory.swap.max");
        CHECK_STR(sw, "0");
    }
    cgroup_destroy(&cg);
    unsetenv("STRATA_CGROUP_ROOT");
}

TEST(cgroup_v2_missing_controller_is_named)
{
    cleanup_free char *root = fake_v2("memory\n");
    struct cgroup_limits lim = {0, 0, 10, 0, 0, NULL};
    struct cgroup cg;
    struct error err;

    error_init(&err);
    CHECK_FAIL(cgroup_create(&cg, &lim, &err), err, "the pids controller is not available");
    CHECK_INT(cg.n, 0);
    unsetenv("STRATA_CGROUP_ROOT");
}

TEST(cgroup_bad_limits_are_input_errors)
{
    struct cgroup_limits lim = {0, 1 << 20, 0, 0, 0, NULL};
    struct cgroup cg;
    struct error err;

    error_init(&err);
    CHECK_FAIL(cgroup_create(&cg, &lim, &err), err, "--memory-swap needs --memory");
    CHECK_INT(err.exit_code, 2);
    lim.memory = 2 << 20;
    CHECK_FAIL(cgroup_create(&cg, &lim, &err), err, "below --memory");
    CHECK_INT(err.exit_code, 2);
}

TEST(userns_idmap_parse_and_lookup)
{
    struct userns_idmap m;
    struct error err;

    error_init(&err);
    CHECK_OK(userns_parse_idmap(
                 "         0       1001          1\n         1     100000      65536\n", &m, &err),
             err);
    CHECK_INT(m.n, 2);
    CHECK(userns_idmap_has(&m, 0));
    CHECK(userns_idmap_has(&m, 1000));
    CHECK(userns_idmap_has(&m, 65536));
    CHECK(!userns_idmap_has(&m, 65537));
    CHECK_INT(userns_idmap_top(&m), 65536);
    CHECK_OK(userns_parse_idmap("0 1000 1\n", &m, &err), err);
    CHECK_INT(userns_idmap_top(&m), 0);
    CHECK(!userns_idmap_has(&m, 5));
    /* the initial namespace maps everything */
    CHECK_OK(userns_parse_idmap("         0          0 4294967295\n", &m, &err), err);
    CHECK(userns_idmap_has(&m, 4294967294U));
    CHECK_FAIL(userns_parse_idmap("0 x 1\n", &m, &err), err, "line 1");
}

TEST(rootless_subid_lines)
{
    const char *text = "# comment\n"
                       "alice:100000:65536\n"
                       "bob:165536:65536\n"
                       "1002:231072:1000\n"
                       "alice:300000:10\n"
                       "carol:bad:5\n"
                       "carol:5:\n"
                       "alicex:1:2\n";
    struct rootless_ids ids;

    CHECK_INT(rootless_parse_subids(text, "alice", 1001, &ids), 2);
    CHECK_INT(ids.r[0].start, 100000);
    CHECK_INT(ids.r[0].count, 65536);
    CHECK_INT(ids.r[1].start, 300000);
    CHECK_INT(ids.r[1].count, 10);
    /* by numeric uid when the name has none */
    CHECK_INT(rootless_parse_subids(text, "dave", 1002, &ids), 1);
    CHECK_INT(ids.r[0].start, 231072);
    CHECK_INT(rootless_parse_subids(text, "carol", 1003, &ids), 0);
    CHECK_INT(rootless_parse_subids(text, NULL, 4, &ids), 0);
    CHECK_INT(rootless_parse_subids("", "alice", 1, &ids), 0);
}
