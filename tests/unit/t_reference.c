/* Image references: the distribution grammar and docker's normalisation. */
#include <string.h>

#include "formats/core/mem.h"
#include "formats/reference.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static void
check_norm(const char *in, const char *domain, const char *want)
{
    struct error err;
    char *got;

    error_init(&err);
    got = reference_normalize(in, domain, &err);
    if (!got) {
        harness_fail(__FILE__, __LINE__, "normalize \"%s\": %s", in, err.msg);
        return;
    }
    if (strcmp(got, want) != 0)
        harness_fail(__FILE__, __LINE__, "normalize \"%s\" gave \"%s\", expected \"%s\"", in, got,
                     want);
    free(got);
}

/* docker's rules (normalize.go, splitDockerDomain) as the issue lists them. */
TEST(reference_docker_normalisation)
{
    check_norm("debian:bookworm", "docker.io", "docker.io/library/debian:bookworm");
    check_norm("user/app", "docker.io", "docker.io/user/app:latest");
    check_norm("busybox", "docker.io", "docker.io/library/busybox:latest");
    check_norm("docker.io/busybox", NULL, "docker.io/library/busybox:latest");
    check_norm("index.docker.io/library/busybox:1", NULL, "docker.io/library/busybox:1");
    check_norm("localhost/app", "docker.io", "localhost/app:latest");
    check_norm("localhost:5000/team/app:v1", NULL, "localhost:5000/team/app:v1");
    check_norm("my.reg/app@" D1, NULL, "my.reg/app@" D1);
    check_norm("host:5000/app:t@" D1, NULL, "host:5000/app:t@" D1);
    check_norm("Registry/app", "docker.io", "Registry/app:latest"); /* upper case: a host */
    check_norm("[::1]:5000/a/b", NULL, "[::1]:5000/a/b:latest");
    check_norm("app:1", NULL, "app:1");
    check_norm("app", "localhost", "localhost/app:latest");
    check_norm("a__b/c-d.e---f:_x.Y-9", NULL, "a__b/c-d.e---f:_x.Y-9");
}

static void
check_bad(const char *in, const char *why)
{
    struct reference r;
    struct error err;

    error_init(&err);
    if (reference_parse(in, &r, &err) == 0) {
        harness_fail(__FILE__, __LINE__, "\"%s\" was accepted", in);
        reference_release(&r);
        return;
    }
    CHECK_INT(err.exit_code, 2);
    if (!strstr(err.msg, why))
        harness_fail(__FILE__, __LINE__, "\"%s\": error \"%s\" lacks \"%s\"", in, err.msg, why);
}

/* The cases the issue names, and the grammar's edges. */
TEST(reference_rejects_with_a_reason)
{
    char long_tag[140], long_name[300];

    check_bad("MyApp:1", "must be lower case");
    check_bad("myapp:", "empty tag");
    check_bad("myapp:Bad/Tag", "is not a port");
    check_bad("app:-x", "bad tag \"-x\"");
    check_bad("app:.x", "bad tag");
    check_bad("", "empty");
    check_bad("a b", "space");
    check_bad("a//b", "bad repository name component");
    check_bad("app/", "bad repository name component");
    check_bad("a..b", "bad repository name component");
    check_bad("a._b", "bad repository name component");
    check_bad("-a", "bad repository name component");
    check_bad("a/UPPER", "must be lower case");
    check_bad("localhost:5000/", "bad repository name component");
    check_bad("host:5000/app:t:u", "bad tag");
    check_bad("app@sha256:12", "bad digest");
    check_bad("app@md5:1234", "not supported");
    check_bad("-bad.host/app", "bad registry host");
    check_bad("1111111111111111111111111111111111111111111111111111111111111111", "64 hex digits");
    memset(long_tag, 't', sizeof(long_tag));
    memcpy(long_tag, "app:", 4);
    long_tag[4 + 129] = '\0';
    check_bad(long_tag, "bad tag");
    memset(long_name, 'a', sizeof(long_name));
    long_name[256] = '\0';
    check_bad(long_name, "longer than 255");
    {
        /* 250 characters: a short name, but too long as docker.io/library/... */
        struct error err;
        char *n;
        long_name[250] = '\0';
        error_init(&err);
        n = reference_normalize(long_name, NULL, &err);
        CHECK(n != NULL);
        free(n);
        CHECK(reference_normalize(long_name, "docker.io", &err) == NULL);
        CHECK(strstr(err.msg, "longer than 255 characters as docker.io/") != NULL);
    }
}

TEST(reference_parts_and_forms)
{
    struct reference r, c;
    struct error err;
    char *s;

    error_init(&err);
    CHECK_OK(reference_parse("quay.io/team/app:1@" D1, &r, &err), err);
    CHECK_STR(r.domain, "quay.io");
    CHECK_STR(r.path, "team/app");
    CHECK_STR(r.tag, "1");
    CHECK_STR(r.digest, D1);
    reference_copy(&c, &r);
    reference_release(&r);
    s = reference_name(&c);
    CHECK_STR(s, "quay.io/team/app");
    free(s);
    reference_release(&c);
    CHECK_OK(reference_parse("team/app", &r, &err), err);
    CHECK(r.domain == NULL);
    CHECK(r.tag == NULL);
    reference_qualify(&r, "docker.io");
    reference_default_tag(&r);
    s = reference_format(&r);
    CHECK_STR(s, "docker.io/team/app:latest");
    free(s);
    reference_release(&r);
    CHECK(reference_tag_ok("v1.2-rc_3"));
    CHECK(!reference_tag_ok("v1/2"));
    CHECK(reference_domain_is_loopback("localhost:5000"));
    CHECK(reference_domain_is_loopback("127.0.0.1:5000"));
    CHECK(reference_domain_is_loopback("[::1]:5000"));
    CHECK(!reference_domain_is_loopback("127.example.com"));
    CHECK(!reference_domain_is_loopback("localhost.example.com"));
    CHECK(!reference_domain_is_loopback("docker.io"));
}
