/* The TOML subset reader and containers-registries.conf(5). */
#include <stdio.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/registries_conf.h"
#include "formats/toml.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

TEST(toml_subset_reads_tables_arrays_and_strings)
{
    static const char text[] = "\xef\xbb\xbf# comment\n"
                               "a = \"x\\ty\\u00e9\" # trailing\n"
                               "b = 'C:\\raw'\n"
                               "list = [\n  \"one\", # c\n  'two',\n]\n"
                               "flag = true\n"
                               "[t]\n\"quoted key\" = false\n"
                               "[[arr]]\nk = \"1\"\n[[arr.sub]]\nk = \"1.1\"\n[[arr]]\nk = \"2\"\n";
    struct error err;
    cJSON *j, *arr;

    error_init(&err);
    j = toml_parse(text, strlen(text), "t.toml", &err);
    CHECK_OK(j ? 0 : -1, err);
    if (!j)
        return;
    CHECK_STR(cJSON_GetObjectItem(j, "a")->valuestring, "x\ty\xc3\xa9");
    CHECK_STR(cJSON_GetObjectItem(j, "b")->valuestring, "C:\\raw");
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "list")), 2);
    CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "list"), 1)->valuestring, "two");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "flag")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "t"), "quoted key")));
    arr = cJSON_GetObjectItem(j, "arr");
    CHECK_INT(cJSON_GetArraySize(arr), 2);
    CHECK_STR(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "sub"), 0), "k")
            ->valuestring,
        "1.1");
    CHECK_INT(toml_line(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "k")), 16);
    CHECK_INT(toml_line(cJSON_GetObjectItem(j, "flag")), 8);
    cJSON_Delete(j);
}

static void
toml_bad(const char *text, const char *want)
{
    struct error err;
    cJSON *j;

    error_init(&err);
    j = toml_parse(text, strlen(text), "bad.conf", &err);
    if (j) {
        harness_fail(__FILE__, __LINE__, "accepted: %s", text);
        cJSON_Delete(j);
        return;
    }
    CHECK_INT(err.exit_code, 2);
    if (!strstr(err.msg, want))
        harness_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", err.msg, want);
}

TEST(toml_subset_refuses_what_it_does_not_read_with_file_and_line)
{
    toml_bad("a = 1\n", "bad.conf:1: numbers and dates are not supported");
    toml_bad("\n\nx = { a = \"b\" }\n", "bad.conf:3: inline tables are not supported");
    toml_bad("a.b = \"c\"\n", "bad.conf:1: dotted keys are not supported");
    toml_bad("a = \"\"\"x\"\"\"\n", "multi-line strings");
    toml_bad("a = \"x\"\na = \"y\"\n", "bad.conf:2: \"a\" is defined twice");
    toml_bad("[t]\n[t]\n", "bad.conf:2: table [t] is defined twice");
    toml_bad("a = \"open\n", "bad.conf:1: unterminated string");
    toml_bad("a = [\"x\" \"y\"]\n", "expected ',' or ']'");
    toml_bad("a = \"x\" junk\n", "after the value");
    toml_bad("a = \"\\q\"\n", "unknown escape");
    toml_bad("a = \"\\ud800\"\n", "not a Unicode scalar value");
    toml_bad("[t\n", "expected ']'");
    toml_bad("a = [\"x\",\n", "unterminated array");
    toml_bad("a = \"x\"\n[[a]]\n", "already defined");
    toml_bad("= \"x\"\n", "expected a key");
    toml_bad("a =\n", "missing value");
}

static int
conf(struct registries_conf *c, const char *text, struct error *err)
{
    registries_conf_init(c);
    error_init(err);
    return registries_conf_parse(c, text, strlen(text), "r.conf", err);
}

TEST(registries_conf_mirrors_prefixes_and_sources)
{
    static const char text[] = "unqualified-search-registries = [\"quay.io\", \"docker.io\"]\n"
                               "short-name-mode = \"permissive\"\n"
                               "[aliases]\n\"deb\" = \"docker.io/library/debian\"\n"
                               "[[registry]]\nlocation = \"docker.io\"\n"
                               "[[registry.mirror]]\nlocation = \"127.0.0.1:5000/hub\"\n"
                               "insecure = true\n"
                               "[[registry.mirror]]\nlocation = \"mirror.example\"\n"
                               "pull-from-mirror = \"digest-only\"\n"
                               "[[registry]]\nprefix = \"example.com/team\"\n"
                               "location = \"internal.example:8443/mirror/team\"\n"
                               "[[registry]]\nprefix = \"*.blocked.example\"\nblocked = true\n";
    struct registries_conf c;
    struct registries_source *src;
    struct reference r;
    struct strvec search = STRVEC_INIT;
    struct error err;
    size_t n;

    CHECK_OK(conf(&c, text, &err), err);
    registries_conf_search(&c, &search);
    CHECK_INT(search.n, 2);
    CHECK_STR(search.v[0], "quay.io");
    strvec_release(&search);
    CHECK_STR(registries_conf_alias(&c, "deb"), "docker.io/library/debian");
    CHECK(registries_conf_alias(&c, "debian") == NULL);
    CHECK_STR(c.short_name_mode, "permissive");

    CHECK_OK(reference_parse("docker.io/library/debian:bookworm", &r, &err), err);
    CHECK_OK(registries_conf_sources(&c, &r, &src, &n, &err), err);
    CHECK_INT(n, 2); /* the digest-only mirror is skipped for a tag */
    CHECK_STR(src[0].host, "127.0.0.1:5000");
    CHECK_STR(src[0].repo, "hub/library/debian");
    CHECK_INT(src[0].insecure, 1);
    CHECK_INT(src[0].mirror, 1);
    CHECK_STR(src[1].host, "docker.io");
    CHECK_STR(src[1].repo, "library/debian");
    CHECK_INT(src[1].mirror, 0);
    registries_sources_free(src, n);
    reference_release(&r);
    CHECK(registries_conf_insecure(&c, "127.0.0.1:5000"));
    CHECK(!registries_conf_insecure(&c, "docker.io"));

    CHECK_OK(reference_parse("example.com/team/app:1", &r, &err), err);
    CHECK_OK(registries_conf_sources(&c, &r, &src, &n, &err), err);
    CHECK_INT(n, 1);
    CHECK_STR(src[0].host, "internal.example:8443");
    CHECK_STR(src[0].repo, "mirror/team/app");
    registries_sources_free(src, n);
    reference_release(&r);

    /* a prefix matches whole components only */
    CHECK(registries_conf_match(&c, "example.com/teamx/app") == NULL);
    CHECK_OK(reference_parse("a.b.blocked.example/x", &r, &err), err);
    CHECK_FAIL(registries_conf_sources(&c, &r, &src, &n, &err), err, "is blocked (r.conf:16)");
    reference_release(&r);
    registries_conf_release(&c);
}

TEST(registries_conf_later_files_override)
{
    struct registries_conf c;
    struct strvec search = STRVEC_INIT;
    struct error err;
    static const char two[] = "unqualified-search-registries = []\n"
                              "[aliases]\n\"deb\" = \"quay.io/x/debian\"\n"
                              "[[registry]]\nlocation = \"docker.io\"\nblocked = true\n";

    CHECK_OK(conf(&c,
                  "unqualified-search-registries = [\"quay.io\"]\n[aliases]\n"
                  "\"deb\" = \"docker.io/library/debian\"\n"
                  "[[registry]]\nlocation = \"docker.io\"\n",
                  &err),
             err);
    CHECK_OK(registries_conf_parse(&c, two, strlen(two), "two.conf", &err), err);
    registries_conf_search(&c, &search);
    CHECK_INT(search.n, 0); /* set to empty: no search at all */
    CHECK_STR(registries_conf_alias(&c, "deb"), "quay.io/x/debian");
    CHECK_INT(c.nregs, 1);
    CHECK_INT(c.regs[0].blocked, 1);
    registries_conf_release(&c);
    CHECK_OK(conf(&c, "# nothing\n", &err), err);
    registries_conf_search(&c, &search);
    CHECK_INT(search.n, 1);
    CHECK_STR(search.v[0], "docker.io");
    strvec_release(&search);
    registries_conf_release(&c);
}

static void
conf_bad(const char *text, const char *want)
{
    struct registries_conf c;
    struct error err;

    if (conf(&c, text, &err) == 0)
        harness_fail(__FILE__, __LINE__, "accepted: %s", text);
    else if (!strstr(err.msg, want))
        harness_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", err.msg, want);
    registries_conf_release(&c);
}

TEST(registries_conf_refuses_bad_values_with_file_and_line)
{
    conf_bad("[registries.search]\nregistries = [\"x.io\"]\n", "version 1 format");
    conf_bad("[[registry]]\nlocation = \"https://x.io\"\n", "r.conf:2: location");
    conf_bad("[[registry]]\ninsecure = \"yes\"\nlocation = \"x.io\"\n",
             "r.conf:2: \"insecure\" must be true or false");
    conf_bad("[[registry]]\nblocked = true\n", "needs a location or a prefix");
    conf_bad("[[registry]]\nprefix = \"*.x.io\"\nlocation = \"y.io\"\n", "wildcard prefix");
    conf_bad("[[registry]]\nlocation = \"x.io\"\n[[registry.mirror]]\ninsecure = true\n",
             "r.conf:3: [[registry.mirror]] without a location");
    conf_bad("[[registry]]\nlocation = \"x.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\n"
             "pull-from-mirror = \"sometimes\"\n",
             "r.conf:5: \"pull-from-mirror\" must be");
    conf_bad("unqualified-search-registries = \"docker.io\"\n", "must be an array of strings");
    conf_bad("unqualified-search-registries = [\"docker.io/library\"]\n", "is not a host");
    conf_bad("[aliases]\n\"deb\" = \"debian\"\n", "r.conf:2: alias \"deb\" = \"debian\"");
    conf_bad("[aliases]\n\"deb\" = \"docker.io/library/debian:12\"\n", "without tag");
    conf_bad("short-name-mode = \"strict\"\n", "short-name-mode");
    conf_bad("x = 3\n", "r.conf:1: numbers");
}
