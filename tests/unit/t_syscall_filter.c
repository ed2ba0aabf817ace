#include "builder/sandbox/syscall_filter.h"

#include <errno.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/sandbox/caps.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* bits of the probe child's exit status: which calls behaved as the default profile says */
#define PROBE_GETPID_OK 1
#define PROBE_USERNS_EPERM 2
#define PROBE_KEYCTL_EPERM 4
#define PROBE_CLONE3_ENOSYS 8
#define PROBE_NEWER_ENOSYS 16
#define PROBE_FAR_EPERM 32

/* Installs f in a child and reports what a few calls did (PROBE_* bits), or -1. */
static int
probe(const struct syscall_filter *f)
{
    int status = 0;
    pid_t pid = fork();

    if (pid == 0) {
        struct error e;
        int bits = 0;
        error_init(&e);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall_filter_load(f, &e) < 0)
            _exit(100);
        bits |= getpid() > 0 ? PROBE_GETPID_OK : 0;
        bits |= unshare(CLONE_NEWUSER) < 0 && errno == EPERM ? PROBE_USERNS_EPERM : 0;
        bits |= syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) < 0 &&
                        errno == EPERM
                    ? PROBE_KEYCTL_EPERM
                    : 0;
        bits |= syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? PROBE_CLONE3_ENOSYS : 0;
        /* a number newer than any call the profile names (x86_64: 451 cachestat) */
        bits |= syscall(451, 0, 0, 0, 0) < 0 && errno == ENOSYS ? PROBE_NEWER_ENOSYS : 0;
        /* far past the profile's newest call (no kernel has 1000): the default action again */
        bits |= syscall(1000, 0, 0, 0, 0) < 0 && errno == EPERM ? PROBE_FAR_EPERM : 0;
        _exit(bits);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

TEST(syscall_filter_default_profile_refuses_userns_and_keyctl)
{
    struct syscall_filter *f = NULL;
    struct error err;

    error_init(&err);
    CHECK_OK(syscall_filter_default(CAPS_DEFAULT_MASK, &f, &err), err);
    CHECK(syscall_filter_size(f) > 100);
    CHECK_INT(probe(f), PROBE_GETPID_OK | PROBE_USERNS_EPERM | PROBE_KEYCTL_EPERM |
                            PROBE_CLONE3_ENOSYS | PROBE_NEWER_ENOSYS | PROBE_FAR_EPERM);
    syscall_filter_free(f);
}

TEST(syscall_filter_capability_groups_follow_the_capability_set)
{
    struct syscall_filter *f = NULL;
    struct error err;
    int bits;

    /* with CAP_SYS_ADMIN the profile allows unshare and clone3 (moby's "includes caps") */
    error_init(&err);
    CHECK_OK(syscall_filter_default(CAPS_DEFAULT_MASK | (1ULL << 21), &f, &err), err);
    bits = probe(f);
    CHECK(bits >= 0);
    CHECK_INT(bits & (PROBE_USERNS_EPERM | PROBE_CLONE3_ENOSYS), 0);
    CHECK_INT(bits & PROBE_KEYCTL_EPERM, PROBE_KEYCTL_EPERM);
    syscall_filter_free(f);
}

TEST(syscall_filter_bad_profiles_name_the_member)
{
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"[]", "seccomp profile t.json: expected a JSON object"},
        {"{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
         "seccomp profile t.json: \"defaultAction\": unknown action \"SCMP_ACT_NOPE\""},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}",
         "seccomp profile t.json: \"syscalls[0]\": needs names"},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
         "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"EQ\"}]}]}",
         "seccomp profile t.json: \"syscalls[0].args[0].op\": unknown operator \"EQ\""},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_Z\"}]}",
         "seccomp profile t.json: \"archMap\": unknown architecture \"SCMP_ARCH_Z\""},
        {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
         "\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"four\"}}]}",
         "seccomp profile t.json: \"syscalls[0].includes.minKernel\": expected MAJOR.MINOR, not "
         "\"four\""},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct syscall_filter *f = NULL;
        struct error err;
        error_init(&err);
        CHECK_INT(syscall_filter_compile(bad[i].json, strlen(bad[i].json), "t.json",
                                         CAPS_DEFAULT_MASK, &f, &err),
                  -1);
        CHECK_INT(err.exit_code, 2);
        CHECK_STR(err.msg, bad[i].msg);
        CHECK(f == NULL);
    }
}

TEST(syscall_filter_encoded_program_decodes_only_whole)
{
    struct syscall_filter *f = NULL, *g;
    cleanup_buf struct buf b = BUF_INIT;
    char k1[DIGEST_STR_LEN + 1], k2[DIGEST_STR_LEN + 1], k3[DIGEST_STR_LEN + 1];
    struct error err;

    error_init(&err);
    CHECK_OK(syscall_filter_default(CAPS_DEFAULT_MASK, &f, &err), err);
    syscall_filter_encode(f, &b);
    /* the digest line, then 8 bytes per instruction */
    CHECK_INT(b.len, DIGEST_STR_LEN + 1 + syscall_filter_size(f) * 8);
    CHECK(b.len <= SYSCALL_FILTER_MAX_BYTES);
    g = syscall_filter_decode(b.data, b.len);
    CHECK(g != NULL);
    CHECK_INT(syscall_filter_size(g), syscall_filter_size(f));
    /* the decoded program is the same filter */
    CHECK_INT(probe(g), PROBE_GETPID_OK | PROBE_USERNS_EPERM | PROBE_KEYCTL_EPERM |
                            PROBE_CLONE3_ENOSYS | PROBE_NEWER_ENOSYS | PROBE_FAR_EPERM);
    syscall_filter_free(g);
    CHECK(syscall_filter_decode(b.data, b.len - 8) == NULL);     /* a whole instruction short */
    CHECK(syscall_filter_decode(b.data, b.len - 3) == NULL);     /* torn */
    CHECK(syscall_filter_decode(b.data, DIGEST_STR_LEN + 1) == NULL); /* no program */
    b.data[DIGEST_STR_LEN + 1 + 12] ^= 1;                        /* one bit of the program */
    CHECK(syscall_filter_decode(b.data, b.len) == NULL);
    b.data[DIGEST_STR_LEN + 1 + 12] ^= 1;
    b.data[DIGEST_STR_LEN] = ' ';
    CHECK(syscall_filter_decode(b.data, b.len) == NULL);
    syscall_filter_free(f);

    /* the key follows the profile and the capabilities, and nothing else varies it */
    syscall_filter_default_key(CAPS_DEFAULT_MASK, k1);
    syscall_filter_default_key(CAPS_DEFAULT_MASK, k2);
    CHECK_STR(k1, k2);
    CHECK(digest_validate(k1, &err) == 0);
    syscall_filter_default_key(CAPS_DEFAULT_MASK | (1ULL << 21), k3);
    CHECK(strcmp(k1, k3) != 0);
    syscall_filter_key("{}", 2, CAPS_DEFAULT_MASK, k3);
    CHECK(strcmp(k1, k3) != 0);
}
