/* Platform specifiers, normalisation and containerd's matching order. */
#include <stdlib.h>
#include <string.h>

#include "formats/platform.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

static const char *
fmt(const char *spec)
{
    static char out[8][1100];
    static int slot;
    struct platform p;
    struct error err;
    char *o = out[slot++ % 8];

    error_init(&err);
    if (platform_parse(spec, &p, &err) < 0) {
        snprintf(o, 1100, "error: %s", err.msg);
        return o;
    }
    platform_format(&p, o);
    return o;
}

TEST(platform_parse_normalises_like_containerd)
{
    char host[PLATFORM_STR_MAX];

    CHECK_STR(fmt("linux/amd64"), "linux/amd64");
    CHECK_STR(fmt("linux/x86_64"), "linux/amd64");
    CHECK_STR(fmt("linux/x86-64"), "linux/amd64");
    CHECK_STR(fmt("Linux/AMD64"), "linux/amd64");
    CHECK_STR(fmt("linux/amd64/v1"), "linux/amd64");
    CHECK_STR(fmt("linux/amd64/v3"), "linux/amd64/v3");
    CHECK_STR(fmt("linux/aarch64"), "linux/arm64");
    CHECK_STR(fmt("linux/arm64/v8"), "linux/arm64");
    CHECK_STR(fmt("linux/arm64/8"), "linux/arm64");
    CHECK_STR(fmt("linux/arm64/v8.0"), "linux/arm64");
    CHECK_STR(fmt("linux/arm64/9"), "linux/arm64/v9");
    CHECK_STR(fmt("linux/arm64/v8.2"), "linux/arm64/v8.2");
    CHECK_STR(fmt("linux/arm"), "linux/arm/v7");
    CHECK_STR(fmt("linux/arm/7"), "linux/arm/v7");
    CHECK_STR(fmt("linux/arm/6"), "linux/arm/v6");
    CHECK_STR(fmt("linux/armhf"), "linux/arm/v7");
    CHECK_STR(fmt("linux/armel"), "linux/arm/v6");
    CHECK_STR(fmt("linux/i386"), "linux/386");
    CHECK_STR(fmt("macos/arm64"), "darwin/arm64");
    /* one word: a known OS takes this machine's architecture, else an architecture on linux */
    CHECK_STR(fmt("arm64"), "linux/arm64");
    CHECK_STR(fmt("aarch64"), "linux/arm64");
    CHECK_STR(fmt("s390x"), "linux/s390x");
    snprintf(host, sizeof(host), "linux/%s", platform_host_arch());
    CHECK_STR(fmt("linux"), host);
    CHECK_STR(fmt("windows/amd64"), "windows/amd64");
}

TEST(platform_parse_refuses_malformed)
{
    CHECK_STR(fmt(""), "error: platform \"\": empty part");
    CHECK_STR(fmt("linux/"), "error: platform \"linux/\": empty part");
    CHECK_STR(fmt("/amd64"), "error: platform \"/amd64\": empty part");
    CHECK_STR(fmt("linux//v7"), "error: platform \"linux//v7\": empty part");
    CHECK_STR(fmt("linux/arm/v7/x"),
              "error: platform \"linux/arm/v7/x\": more than os/arch/variant");
    CHECK_STR(fmt("linux/amd 64"), "error: platform \"linux/amd 64\": a part must be letters, "
                                   "digits, _, - (or . after the os)");
    CHECK_STR(
        fmt("linux/*"),
        "error: platform \"linux/*\": a part must be letters, digits, _, - (or . after the os)");
    CHECK_STR(fmt("pdp11"), "error: platform \"pdp11\": unknown operating system or architecture");
    CHECK_STR(fmt("linux/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
              "error: platform \"linux/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": a part must be "
              "letters, digits, _, - (or . after the os)");
    CHECK_STR(fmt("lin.ux/amd64"),
              "error: platform \"lin.ux/amd64\": a part must be letters, digits, _, - (or . after "
              "the os)");
}

TEST(platform_parse_list)
{
    struct platform *v = NULL;
    struct error err;
    char a[PLATFORM_STR_MAX];
    size_t n = 0;

    error_init(&err);
    CHECK_OK(platform_parse_list("linux/amd64,linux/arm64,linux/arm/v7", &v, &n, &err), err);
    CHECK_INT(n, 3);
    platform_format(&v[1], a);
    CHECK_STR(a, "linux/arm64");
    platform_format(&v[2], a);
    CHECK_STR(a, "linux/arm/v7");
    free(v);
    v = NULL;
    CHECK_FAIL(platform_parse_list("linux/arm64,linux/aarch64", &v, &n, &err), err,
               "--platform \"linux/arm64,linux/aarch64\": linux/arm64 is given twice");
    CHECK_FAIL(platform_parse_list("linux/arm,linux/arm/v7", &v, &n, &err), err,
               "linux/arm/v7 is given twice");
    CHECK_FAIL(platform_parse_list("linux/amd64,", &v, &n, &err), err,
               "empty platform in the list");
    CHECK_FAIL(platform_parse_list("", &v, &n, &err), err, "empty platform in the list");
    CHECK_FAIL(platform_parse_list("linux/amd64,bogus", &v, &n, &err), err,
               "--platform: platform \"bogus\": unknown operating system or architecture");
    CHECK(v == NULL);
}

static int
rank(const char *want, const char *have)
{
    struct platform w, h;
    struct error err;

    error_init(&err);
    if (platform_parse(want, &w, &err) < 0 || platform_parse(have, &h, &err) < 0)
        return -100;
    return platform_match(&w, &h);
}

TEST(platform_match_follows_containerd_order)
{
    /* the platform itself, whatever the spelling */
    CHECK_INT(rank("linux/arm64", "linux/arm64/v8"), 0);
    CHECK_INT(rank("linux/arm64/v8", "linux/aarch64"), 0);
    CHECK_INT(rank("linux/arm/v7", "linux/arm"), 0);
    CHECK_INT(rank("linux/amd64", "linux/x86_64"), 0);
    /* amd64 also runs 386 */
    CHECK_INT(rank("linux/amd64", "linux/386"), 1);
    CHECK_INT(rank("linux/386", "linux/amd64"), -1);
    CHECK_INT(rank("linux/amd64/v3", "linux/amd64/v2"), 1);
    CHECK_INT(rank("linux/amd64/v3", "linux/amd64"), 2);
    CHECK_INT(rank("linux/amd64/v3", "linux/386"), 3);
    CHECK_INT(rank("linux/amd64", "linux/amd64/v2"), -1);
    /* arm/vN runs arm/v(N-1) down to v5, never a newer one */
    CHECK_INT(rank("linux/arm/v7", "linux/arm/v6"), 1);
    CHECK_INT(rank("linux/arm/v7", "linux/arm/v5"), 2);
    CHECK_INT(rank("linux/arm/v6", "linux/arm/v7"), -1);
    CHECK_INT(rank("linux/arm/v7", "linux/arm64"), -1);
    /* arm64 runs 32-bit arm from arm/v8 down */
    CHECK_INT(rank("linux/arm64", "linux/arm/v8"), 1);
    CHECK_INT(rank("linux/arm64", "linux/arm/v7"), 2);
    CHECK_INT(rank("linux/arm64", "linux/arm/v5"), 4);
    CHECK_INT(rank("linux/arm64/v8.2", "linux/arm64/v8.1"), 1);
    CHECK_INT(rank("linux/arm64/v8.2", "linux/arm64"), 2);
    CHECK_INT(rank("linux/arm64/v8.2", "linux/arm/v8"), 3);
    CHECK_INT(rank("linux/arm64", "linux/arm64/v8.1"), -1);
    /* v9.N: v9.(N-1)..v9, then v8.(N+5) down to v8 */
    CHECK_INT(rank("linux/arm64/v9.1", "linux/arm64/v9"), 1);
    CHECK_INT(rank("linux/arm64/v9.1", "linux/arm64/v8.6"), 2);
    CHECK_INT(rank("linux/arm64/v9.1", "linux/arm64/v8.5"), 3);
    CHECK_INT(rank("linux/arm64/v9", "linux/arm64/v8.5"), 1);
    CHECK_INT(rank("linux/arm64/v9", "linux/arm64"), 6);
    /* containerd's quirk: a v9 without minor steps down to arm/v9 before arm/v8 */
    CHECK_INT(rank("linux/arm64/v9", "linux/arm/v9"), 7);
    CHECK_INT(rank("linux/arm64/v9", "linux/arm/v8"), 8);
    /* other systems and architectures never match */
    CHECK_INT(rank("linux/amd64", "windows/amd64"), -1);
    CHECK_INT(rank("linux/s390x", "linux/ppc64le"), -1);
    CHECK_INT(rank("linux/riscv64", "linux/riscv64"), 0);
}

TEST(platform_set_and_native)
{
    struct platform p, h;

    CHECK_INT(platform_set(&p, "linux", NULL, NULL), -1);
    CHECK_INT(platform_set(&p, "", "amd64", NULL), -1);
    CHECK_INT(platform_set(&p, "linux", "aarch64", "v8"), 0);
    CHECK_STR(p.arch, "arm64");
    CHECK_STR(p.variant, "");
    platform_host(&h);
    CHECK_STR(h.os, "linux");
    CHECK_STR(h.arch, platform_host_arch());
    CHECK_INT(platform_native(&h), 1);
    CHECK_INT(platform_native(&p), !strcmp(platform_host_arch(), "arm64"));
    CHECK_INT(platform_set(&p, "linux", "386", NULL), 0);
    CHECK_INT(platform_native(&p),
              !strcmp(platform_host_arch(), "amd64") || !strcmp(platform_host_arch(), "386"));
    CHECK_INT(platform_set(&p, "windows", platform_host_arch(), NULL), 0);
    CHECK_INT(platform_native(&p), 0);
}
