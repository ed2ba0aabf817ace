#include "tests/unit/harness.h"

#include <grp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

struct harness_test {
    const char *name;
    harness_fn fn;
};

static struct harness_test *tests;
static size_t ntests, alloc_tests;
static int current_failed;
static int current_skipped;
static char skip_reason[512];
static char current_dir[4096];

void
harness_register(const char *name, harness_fn fn)
{
    tests = xgrow(tests, sizeof(*tests), ntests + 1, &alloc_tests);
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

void
harness_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    current_failed = 1;
    printf("#   %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

void
harness_skip(const char *fmt, ...)
{
    va_list ap;

    current_skipped = 1;
    va_start(ap, fmt);
    vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
    va_end(ap);
}

static void *
harness_idle(void *arg)
{
    return arg;
}

int
harness_without_threads(int (*fn)(void *arg), void *arg)
{
    struct rlimit one = {1, 1};
    int status;
    pid_t pid;

    if (geteuid() != 0) {
        harness_skip("needs root, to run a part as nobody with no thread to spare");
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        pthread_t t;

        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
            setresuid(65534, 65534, 65534) < 0 || setrlimit(RLIMIT_NPROC, &one) < 0) {
            perror("harness_without_threads: become nobody");
            _exit(98);
        }
        if (pthread_create(&t, NULL, harness_idle, NULL) == 0) {
            fprintf(stderr, "harness_without_threads: a thread still started\n");
            _exit(99);
        }
        _exit(fn(arg));
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        harness_fail(__FILE__, __LINE__, "harness_without_threads: fork or wait failed");
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        harness_fail(__FILE__, __LINE__, "without threads: the child ended with status 0x%x",
                     status);
    return 0;
}

const char *
harness_tmpdir(void)
{
    return current_dir;
}

static int
cmp_tests(const void *a, const void *b)
{
    return strcmp(((const struct harness_test *)a)->name, ((const struct harness_test *)b)->name);
}

int
main(int argc, char **argv)
{
    const char *filter = NULL;
    int keep = 0, failed = 0, run = 0;
    char top[4096];
    size_t i;
    int a;

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "-k"))
            keep = 1;
        else
            filter = argv[a];
    }
    if (!getcwd(top, sizeof(top)))
        return 2;
    qsort(tests, ntests, sizeof(*tests), cmp_tests);
    for (i = 0; i < ntests; i++)
        if (!filter || strstr(tests[i].name, filter))
            run++;
    printf("1..%d\n", run);
    run = 0;
    for (i = 0; i < ntests; i++) {
        struct error err;
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        if (filter && !strstr(tests[i].name, filter))
            continue;
        run++;
        snprintf(current_dir, sizeof(current_dir), "%s/strata-unit-XXXXXX", base);
        if (!mkdtemp(current_dir) || chdir(current_dir) < 0) {
            printf("not ok %d - %s # cannot make tmp dir\n", run, tests[i].name);
            failed++;
            continue;
        }
        current_failed = 0;
        current_skipped = 0;
        tests[i].fn();
        if (current_skipped && !current_failed) {
            const char *must = getenv("STRATA_MUST_WORK");
            if (must && !strcmp(must, "1")) {
                printf("not ok %d - %s (required, but skipped: %s)\n", run, tests[i].name,
                       skip_reason);
                current_failed = 1;
            } else {
                printf("ok %d - %s # SKIP %s\n", run, tests[i].name, skip_reason);
            }
        } else {
            printf("%s %d - %s\n", current_failed ? "not ok" : "ok", run, tests[i].name);
        }
        fflush(stdout);
        failed += current_failed;
        if (chdir(top) < 0)
            return 2;
        error_init(&err);
        if (!keep)
            fs_rm_rf(AT_FDCWD, current_dir, &err);
        else
            printf("# kept %s\n", current_dir);
    }
    free(tests);
    return failed ? 1 : 0;
}
