#include "builder/engine/build.h"

#include <stdio.h>
#include <string.h>

#include "formats/oci.h"
#include "tests/unit/harness.h"

TEST(build_platforms_host_spellings)
{
    struct build_opts o;
    struct error err;
    char want[64], list[128];

    snprintf(want, sizeof(want), "linux/%s", oci_arch());
    snprintf(list, sizeof(list), "%s,%s", oci_arch(), want);
    build_opts_init(&o);
    error_init(&err);
    CHECK_OK(build_platforms_add(&o, list, &err), err);
    CHECK_INT((long long)o.platforms.n, 2);
    CHECK_STR(o.platforms.v[0], want);
    CHECK_STR(o.platforms.v[1], want);
    if (!strcmp(oci_arch(), "amd64")) {
        CHECK_OK(build_platforms_add(&o, "linux/x86_64", &err), err);
        CHECK_STR(o.platforms.v[2], "linux/amd64");
    }
    build_opts_release(&o);
}

TEST(build_platforms_others_refused)
{
    struct build_opts o;
    struct error err;

    build_opts_init(&o);
    error_init(&err);
    CHECK_FAIL(
        build_platforms_add(&o, strcmp(oci_arch(), "s390x") ? "linux/s390x" : "linux/amd64", &err),
        err, "only for this machine's platform");
    error_init(&err);
    CHECK_FAIL(build_platforms_add(&o, "linux/arm/v7/x", &err), err, "expected OS/ARCH");
    error_init(&err);
    CHECK_FAIL(build_platforms_add(&o, ",", &err), err, "no platform");
    build_opts_release(&o);
}
