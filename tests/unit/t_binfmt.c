/* binfmt_misc handler checks, on a fake /proc/sys/fs/binfmt_misc tree. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/sandbox/binfmt.h"
#include "formats/core/fsutil.h"
#include "formats/platform.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* Debian's qemu-user-static registrations, as the kernel shows them. */
#define AARCH64_MAGIC "7f454c460201010000000000000000000200b700"
#define AARCH64_MASK "ffffffffffffff00fffffffffffffffffeffffff"
#define PPC64LE_MAGIC "7f454c4602010100000000000000000002001500"
#define PPC64LE_MASK "fffffffffffffffcfffffffffffffffffeffff00"
#define S390X_MAGIC "7f454c4602020100000000000000000000020016"
#define S390X_MASK "ffffffffffffff00fffffffffffffffffffeffff"

static void
entry(const char *name, const char *state, const char *flags, const char *magic, const char *mask)
{
    char text[1024];
    struct error err;

    error_init(&err);
    snprintf(text, sizeof(text),
             "%s\ninterpreter /usr/libexec/qemu-binfmt/%s-binfmt-P\nflags: %s\noffset 0\n"
             "magic %s\nmask %s\n",
             state, name, flags, magic, mask);
    CHECK_OK(fs_write_atomic(AT_FDCWD, name, text, strlen(text), 0644, &err), err);
}

static int
check(const char *spec, struct error *err)
{
    struct platform p;

    if (platform_parse(spec, &p, err) < 0)
        return -2;
    return binfmt_check(&p, err);
}

/* arm64 runs here natively: the checks below are about the other architecture. */
static int
host_is_arm64(void)
{
    return !strcmp(platform_host_arch(), "arm64");
}

TEST(binfmt_not_mounted_and_missing)
{
    struct error err;

    error_init(&err);
    binfmt_set_dir(harness_tmpdir());
    CHECK_INT(check(platform_host_arch(), &err), 0); /* native: nothing needed */
    if (!host_is_arm64())
        CHECK_FAIL(check("linux/arm64", &err), err, "binfmt_misc is not mounted on");
    CHECK_OK(fs_write_atomic(AT_FDCWD, "register", "", 0, 0200, &err), err);
    CHECK_OK(fs_write_atomic(AT_FDCWD, "status", "enabled\n", 8, 0644, &err), err);
    if (!host_is_arm64())
        CHECK_FAIL(check("linux/arm64", &err), err,
                   "linux/arm64: no binfmt_misc handler runs arm64 programs: install Debian's "
                   "qemu-user-static and run `strata binfmt --install` as root (it registers "
                   "qemu-aarch64 with the F flag)");
    CHECK_FAIL(check("linux/sparc64", &err), err, "an architecture QEMU user mode emulates");
    CHECK_INT(err.exit_code, 2);
    CHECK_FAIL(check("windows/amd64", &err), err, "strata runs only linux programs");
    binfmt_set_dir(NULL);
}

TEST(binfmt_handler_flags_and_state)
{
    struct error err;

    if (host_is_arm64()) {
        harness_skip("arm64 is native here");
        return;
    }
    error_init(&err);
    binfmt_set_dir(harness_tmpdir());
    CHECK_OK(fs_write_atomic(AT_FDCWD, "register", "", 0, 0200, &err), err);
    /* any name: a handler is known by what it matches */
    entry("my-arm64", "enabled", "PO", AARCH64_MAGIC, AARCH64_MASK);
    CHECK_FAIL(check("linux/arm64", &err), err,
               "the binfmt_misc handler my-arm64 lacks the F (fix-binary) flag");
    entry("my-arm64", "disabled", "POF", AARCH64_MAGIC, AARCH64_MASK);
    CHECK_FAIL(check("linux/arm64", &err), err, "the binfmt_misc handler my-arm64 is disabled");
    entry("my-arm64", "enabled", "POF", AARCH64_MAGIC, AARCH64_MASK);
    CHECK_INT(check("linux/arm64", &err), 0);
    CHECK_INT(check("linux/arm64/v8", &err), 0);
    CHECK_OK(fs_write_atomic(AT_FDCWD, "status", "disabled\n", 9, 0644, &err), err);
    CHECK_FAIL(check("linux/arm64", &err), err, "is disabled");
    CHECK_OK(fs_write_atomic(AT_FDCWD, "status", "enabled\n", 8, 0644, &err), err);
    /* the arm64 handler does not run 32-bit arm, nor ppc64le */
    CHECK_FAIL(check("linux/arm/v7", &err), err, "no binfmt_misc handler runs arm programs");
    CHECK_FAIL(check("linux/ppc64le", &err), err, "no binfmt_misc handler runs ppc64le");
    binfmt_set_dir(NULL);
}

TEST(binfmt_handler_magic_matching)
{
    struct error err;
    char line[1200];
    struct platform p;

    if (host_is_arm64()) {
        harness_skip("arm64 is native here");
        return;
    }
    error_init(&err);
    binfmt_set_dir(harness_tmpdir());
    CHECK_OK(fs_write_atomic(AT_FDCWD, "register", "", 0, 0200, &err), err);
    /* ppc64le's mask ignores e_machine's high byte; s390x is big-endian */
    entry("qemu-ppc64le", "enabled", "POF", PPC64LE_MAGIC, PPC64LE_MASK);
    entry("qemu-s390x", "enabled", "POF", S390X_MAGIC, S390X_MASK);
    CHECK_INT(check("linux/ppc64le", &err), 0);
    CHECK_INT(check("linux/s390x", &err), 0);
    /* a handler whose mask ignores the machine byte is not one for arm64 */
    entry("catch-all", "enabled", "F", AARCH64_MAGIC, "ffffffffffffff00ffffffffffffffffffff00ff");
    CHECK_FAIL(check("linux/arm64", &err), err, "no binfmt_misc handler runs arm64");
    /* nor one at another offset, nor a shorter magic */
    entry("short", "enabled", "F", "7f454c46", "ffffffff");
    CHECK_FAIL(check("linux/arm64", &err), err, "no binfmt_misc handler runs arm64");
    CHECK_OK(platform_parse("linux/s390x", &p, &err), err);
    CHECK_INT(binfmt_status(&p, line, sizeof(line)), 0);
    CHECK_STR(line, "linux/s390x: qemu-s390x (/usr/libexec/qemu-binfmt/qemu-s390x-binfmt-P, flags "
                    "POF): ok");
    binfmt_set_dir(NULL);
}
