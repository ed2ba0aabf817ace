/* Registry references, WWW-Authenticate, docker config credentials, URLs and Range. */
#include <string.h>

#include "formats/core/mem.h"
#include "formats/registry.h"
#include "formats/registry_auth.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static void
check_ref(const char *in, const char *host, const char *repo, const char *tag, const char *dg)
{
    struct registry_ref r;
    struct error err;

    error_init(&err);
    if (registry_ref_parse(in, &r, &err) < 0) {
        harness_fail(__FILE__, __LINE__, "parse \"%s\": %s", in, err.msg);
        return;
    }
    CHECK_STR(r.host, host);
    CHECK_STR(r.repo, repo);
    if (tag)
        CHECK_STR(r.tag, tag);
    else
        CHECK(r.tag == NULL);
    CHECK_STR(r.digest, dg);
    registry_ref_release(&r);
}

TEST(registry_ref_defaults_and_forms)
{
    check_ref("busybox", "docker.io", "library/busybox", "latest", "");
    check_ref("user/app:1.2", "docker.io", "user/app", "1.2", "");
    check_ref("localhost/app", "localhost", "app", "latest", "");
    check_ref("localhost:5000/team/app:v1", "localhost:5000", "team/app", "v1", "");
    check_ref("127.0.0.1:5000/a/b/c:x_y-z.1", "127.0.0.1:5000", "a/b/c", "x_y-z.1", "");
    check_ref("registry.example.com/app@" D1, "registry.example.com", "app", NULL, D1);
    check_ref("host:5000/app:t@" D1, "host:5000", "app", "t", D1);
    check_ref("my-reg.io/a__b/c-d.e", "my-reg.io", "a__b/c-d.e", "latest", "");
}

TEST(registry_ref_rejects_bad_input)
{
    static const char *const bad[] = {
        "",
        "a/UPPER",
        "localhost:5000/",
        "localhost:5000/app:",
        "app:-x",
        "app@sha256:12",
        "a//b",
        "app/",
        "a..b/c:/",
        "host:5000/app:t:u",
        "app:"
        "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
        "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct registry_ref r;
        struct error err;
        error_init(&err);
        if (registry_ref_parse(bad[i], &r, &err) == 0) {
            harness_fail(__FILE__, __LINE__, "\"%s\" was accepted", bad[i]);
            registry_ref_release(&r);
        } else {
            CHECK_INT(err.exit_code, 2);
        }
    }
}

TEST(registry_ref_format_and_remote)
{
    struct registry_ref r;
    struct error err;
    char *s;

    error_init(&err);
    CHECK_OK(registry_ref_parse("localhost:5000/a:1@" D1, &r, &err), err);
    s = registry_ref_format(&r);
    CHECK_STR(s, "localhost:5000/a:1@" D1);
    free(s);
    registry_ref_release(&r);
    CHECK(registry_ref_is_remote("localhost:5000/base:1"));
    CHECK(registry_ref_is_remote("localhost/base"));
    CHECK(registry_ref_is_remote("quay.io/x/y"));
    CHECK(!registry_ref_is_remote("busybox"));
    CHECK(!registry_ref_is_remote("team/app:1"));
    CHECK(!registry_ref_is_remote("localhost"));
}

TEST(registry_auth_bearer_and_basic)
{
    struct registry_challenge c;
    struct error err;

    error_init(&err);
    CHECK_OK(registry_auth_parse("Bearer realm=\"https://auth.example.com/token\","
                                 "service=\"registry.example.com\","
                                 "scope=\"repository:samalba/my-app:pull,push\"",
                                 &c, &err),
             err);
    CHECK_STR(c.scheme, "bearer");
    CHECK_STR(c.realm, "https://auth.example.com/token");
    CHECK_STR(c.service, "registry.example.com");
    CHECK_STR(c.scope, "repository:samalba/my-app:pull,push");
    registry_challenge_release(&c);

    CHECK_OK(registry_auth_parse("basic realm=\"Registry Realm\"", &c, &err), err);
    CHECK_STR(c.scheme, "basic");
    CHECK_STR(c.realm, "Registry Realm");
    CHECK(c.service == NULL);
    registry_challenge_release(&c);

    /* unquoted values, spaces, escapes, unknown and error params, case */
    CHECK_OK(registry_auth_parse("  BEARER  Realm = http://h/t , error=\"insufficient_scope\", "
                                 "x=\"a\\\"b\", scope=\"repository:a:pull\"",
                                 &c, &err),
             err);
    CHECK_STR(c.realm, "http://h/t");
    CHECK_STR(c.error, "insufficient_scope");
    CHECK_STR(c.scope, "repository:a:pull");
    registry_challenge_release(&c);
}

TEST(registry_auth_rejects_garbage)
{
    static const char *const bad[] = {"",
                                      "   ",
                                      "=x",
                                      "Bearer realm=\"open",
                                      "Bearer realm=",
                                      "Bearer ,=",
                                      "Bearer realm=\"a\" junk junk="};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct registry_challenge c;
        struct error err;
        error_init(&err);
        if (registry_auth_parse(bad[i], &c, &err) == 0) {
            harness_fail(__FILE__, __LINE__, "\"%s\" was accepted", bad[i]);
            registry_challenge_release(&c);
        }
    }
}

TEST(registry_auth_docker_config_lookup)
{
    const char *cfg = "{\"auths\":{\"localhost:5000\":{\"auth\":\"dXNlcjpwYXNzOndvcmQ=\"},"
                      "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnNlY3JldA==\"},"
                      "\"https://quay.io\":{\"username\":\"q\",\"password\":\"p\"},"
                      "\"bad.io\":{\"auth\":\"!!!\"}}}";
    char *u = NULL, *p = NULL;
    struct error err;

    error_init(&err);
    CHECK_INT(registry_auth_lookup(cfg, strlen(cfg), "localhost:5000", NULL, &u, &p, &err), 0);
    CHECK_STR(u, "user");
    CHECK_STR(p, "pass:word");
    free(u);
    free(p);
    CHECK_INT(registry_auth_lookup(cfg, strlen(cfg), "docker.io", NULL, &u, &p, &err), 0);
    CHECK_STR(u, "hub");
    free(u);
    free(p);
    CHECK_INT(registry_auth_lookup(cfg, strlen(cfg), "quay.io", NULL, &u, &p, &err), 0);
    CHECK_STR(p, "p");
    free(u);
    free(p);
    CHECK_INT(registry_auth_lookup(cfg, strlen(cfg), "other.io", NULL, &u, &p, &err), 1);
    CHECK_FAIL(registry_auth_lookup(cfg, strlen(cfg), "bad.io", NULL, &u, &p, &err), err,
               "not base64");
    CHECK(strstr(err.msg, "!!!") == NULL);
}

TEST(registry_auth_base64)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    size_t i, n;

    for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        char *e = registry_auth_b64(in[i], strlen(in[i])), *d = NULL;
        CHECK_STR(e, out[i]);
        CHECK_INT(registry_auth_unb64(e, &d, &n), 0);
        CHECK_INT(n, strlen(in[i]));
        CHECK_STR(d, in[i]);
        free(e);
        free(d);
    }
}

TEST(registry_location_and_query)
{
    char *s;

    s = registry_url_resolve("http://h:5000", "/v2/a/blobs/uploads/u1?_state=x");
    CHECK_STR(s, "http://h:5000/v2/a/blobs/uploads/u1?_state=x");
    free(s);
    s = registry_url_resolve("http://h:5000/v2/a/blobs/uploads/u1?x=1", "https://s3/x?sig=1");
    CHECK_STR(s, "https://s3/x?sig=1");
    free(s);
    s = registry_url_resolve("http://h:5000/v2/a/blobs/uploads/u1?x=1", "u2?y=2");
    CHECK_STR(s, "http://h:5000/v2/a/blobs/uploads/u2?y=2");
    free(s);
    s = registry_url_resolve("https://h/v2/a/x", "/v2/b");
    CHECK_STR(s, "https://h/v2/b");
    free(s);
    s = registry_url_resolve("https://h/v2/", "//other/p");
    CHECK_STR(s, "https://other/p");
    free(s);
    s = registry_url_add_query("http://h/u?_state=abc", "digest", D1);
    CHECK_STR(s, "http://h/"
                 "u?_state=abc&digest=sha256%"
                 "3A1111111111111111111111111111111111111111111111111111111111111111");
    free(s);
    s = registry_url_add_query("http://h/u", "scope", "repository:a/b:pull,push");
    CHECK_STR(s, "http://h/u?scope=repository%3Aa%2Fb%3Apull%2Cpush");
    free(s);
    /* RFC 3986 unreserved characters stay, a space and UTF-8 bytes are encoded one by one */
    s = registry_url_add_query("http://h/u", "q", "A-z.0_9~ \xc3\xa9%");
    CHECK_STR(s, "http://h/u?q=A-z.0_9~%20%C3%A9%25");
    free(s);
}

TEST(registry_range_header)
{
    long long end = -1;

    CHECK_INT(registry_range_end("0-1234", &end), 0);
    CHECK_INT(end, 1234);
    CHECK_INT(registry_range_end("bytes=0-0", &end), 0);
    CHECK_INT(end, 0);
    CHECK_INT(registry_range_end("", &end), -1);
    CHECK_INT(registry_range_end("5-10", &end), -1);
    CHECK_INT(registry_range_end("0-", &end), -1);
    CHECK_INT(registry_range_end("0-12x", &end), -1);
    CHECK_INT(registry_range_end("0-99999999999999999999999", &end), -1);
}
