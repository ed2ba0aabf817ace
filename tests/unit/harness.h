#ifndef STRATA_TESTS_UNIT_HARNESS_H
#define STRATA_TESTS_UNIT_HARNESS_H

/*
 * A tiny unit-test harness: TEST(name) registers a test; the runner runs each
 * in a fresh tmp dir (its cwd) and prints TAP. `unit-tests [-k] [FILTER]`
 * runs the tests whose name contains FILTER; -k keeps the tmp dirs.
 */

#include <stdio.h>
#include <string.h>

#include "formats/core/error.h"

typedef void (*harness_fn)(void);

void harness_register(const char *name, harness_fn fn);
/* Marks the current test failed, printing where and why. */
void harness_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Marks the current test skipped with a reason (TAP "# SKIP"); with
 * STRATA_MUST_WORK=1 in the environment a skip is reported as a failure.
 */
void harness_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Runs fn(arg) in a child process that cannot start a thread (it runs as
 * nobody, whose RLIMIT_NPROC is 1 there, so pthread_create fails with
 * EAGAIN) and fails the test unless fn returns 0; fn says what went wrong on
 * stderr. Skips (returning -1) when the runner is not root.
 */
int harness_without_threads(int (*fn)(void *arg), void *arg);

/* Absolute path of the current test's tmp dir. */
const char *harness_tmpdir(void);

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void register_##name(void)                                 \
    {                                                                                              \
        harness_register(#name, test_##name);                                                      \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            harness_fail(__FILE__, __LINE__, "check failed: %s", #cond);                           \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ != vb_)                                                                            \
            harness_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, va_, #b, vb_); \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                                                 \
            harness_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,                  \
                         sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                              \
    } while (0)

#define CHECK_OK(rc, err)                                                                          \
    do {                                                                                           \
        if ((rc) < 0)                                                                              \
            harness_fail(__FILE__, __LINE__, "%s failed: %s (errno %d)", #rc, (err).msg,           \
                         (err).sys_errno);                                                         \
    } while (0)

#define CHECK_FAIL(rc, err, substr)                                                                \
    do {                                                                                           \
        if ((rc) >= 0)                                                                             \
            harness_fail(__FILE__, __LINE__, "%s succeeded, expected failure", #rc);               \
        else if (!strstr((err).msg, (substr)))                                                     \
            harness_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"", (err).msg, (substr));    \
    } while (0)

#endif
