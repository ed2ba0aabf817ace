#include "builder/sandbox/caps.h"
#include "builder/sandbox/sandbox.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "tests/unit/harness.h"

#include "formats/core/banned.h"

TEST(runopts_ulimit_syntax)
{
    struct sandbox_rlimit r;
    struct error err;

    error_init(&err);
    CHECK_OK(sandbox_rlimit_parse("nofile=1024:2048", &r, &err), err);
    CHECK_INT(r.resource, RLIMIT_NOFILE);
    CHECK_INT((long long)r.soft, 1024);
    CHECK_INT((long long)r.hard, 2048);
    CHECK_OK(sandbox_rlimit_parse("nproc=50", &r, &err), err);
    CHECK_INT(r.resource, RLIMIT_NPROC);
    CHECK_INT((long long)r.hard, 50);
    CHECK_OK(sandbox_rlimit_parse("core=-1", &r, &err), err);
    CHECK(r.soft == (unsigned long long)RLIM_INFINITY &&
          r.hard == (unsigned long long)RLIM_INFINITY);
    CHECK_FAIL(sandbox_rlimit_parse("nofile=10:5", &r, &err), err, "soft limit is above");
    error_init(&err);
    CHECK_FAIL(sandbox_rlimit_parse("files=1", &r, &err), err, "unknown type \"files\"");
    error_init(&err);
    CHECK_FAIL(sandbox_rlimit_parse("nofile=x", &r, &err), err, "number or -1");
    error_init(&err);
    CHECK_FAIL(sandbox_rlimit_parse("nofile", &r, &err), err, "TYPE=SOFT");
}

TEST(runopts_add_host_syntax)
{
    struct error err;
    char *l;

    error_init(&err);
    l = sandbox_host_line("db:10.0.0.5", &err);
    CHECK_STR(l, "10.0.0.5\tdb");
    free(l);
    l = sandbox_host_line("v6.local:fd00::1", &err);
    CHECK_STR(l, "fd00::1\tv6.local");
    free(l);
    l = sandbox_host_line("eq=192.168.1.1", &err);
    CHECK_STR(l, "192.168.1.1\teq");
    free(l);
    CHECK(sandbox_host_line("db", &err) == NULL);
    CHECK(strstr(err.msg, "NAME:IP") != NULL);
    error_init(&err);
    CHECK(sandbox_host_line("db:300.1.1.1", &err) == NULL);
    CHECK(strstr(err.msg, "not an IP address") != NULL);
    error_init(&err);
    CHECK(sandbox_host_line("a b:1.2.3.4", &err) == NULL);
    CHECK(strstr(err.msg, "not a host name") != NULL);
}

TEST(runopts_capability_names)
{
    struct error err;
    uint64_t m;

    error_init(&err);
    CHECK_OK(caps_parse("NET_ADMIN", &m, &err), err);
    CHECK(m == 1ULL << 12);
    CHECK_OK(caps_parse("cap_sys_admin", &m, &err), err);
    CHECK(m == 1ULL << 21);
    CHECK_OK(caps_parse("CAP_CHECKPOINT_RESTORE", &m, &err), err);
    CHECK(m == 1ULL << 40);
    CHECK_OK(caps_parse("all", &m, &err), err);
    CHECK(m == ~0ULL);
    CHECK_FAIL(caps_parse("NET_SUPERPOWER", &m, &err), err, "unknown capability");
}
