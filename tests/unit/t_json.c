#include <string.h>

#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "formats/oci_archive.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static int
parses(const char *text)
{
    struct error err;
    cJSON *j;

    error_init(&err);
    j = json_parse(text, strlen(text), "doc", &err);
    if (!j)
        return 0;
    cJSON_Delete(j);
    return 1;
}

TEST(json_refuses_a_repeated_key_at_any_depth)
{
    struct error err;
    const char *top = "{\"a\":1,\"a\":2}";
    const char *deep = "{\"x\":[{\"k\":{\"b\":true,\"c\":null,\"b\":false}}]}";

    error_init(&err);
    CHECK_FAIL((json_parse(top, strlen(top), "manifest M", &err) ? 0 : -1), err,
               "manifest M: key \"a\" appears twice");
    CHECK_INT(err.exit_code, 2);
    error_init(&err);
    CHECK_FAIL((json_parse(deep, strlen(deep), "D", &err) ? 0 : -1), err,
               "D: x[0].k: key \"b\" appears twice");
    /* the same name in different objects, or as a value, is fine */
    CHECK(parses("{\"a\":{\"a\":1},\"b\":[{\"a\":2},{\"a\":3}],\"c\":\"a\"}"));
}

TEST(json_refuses_keys_that_are_the_same_once_unescaped)
{
    /* "\u0061" is "a": Go and cJSON both decode it, so it is the same key */
    CHECK(!parses("{\"a\":1,\"\\u0061\":2}"));
    /* cJSON would cut a key or value at an escaped NUL; Go keeps it whole */
    CHECK(!parses("{\"a\\u0000b\":1}"));
    CHECK(!parses("{\"a\":\"x\\u0000y\"}"));
    /* other escapes stay legal */
    CHECK(parses("{\"a\\n\":\"\\u00e9\\\\u0000\"}"));
}

TEST(json_refuses_integers_that_a_double_cannot_hold)
{
    struct error err;
    const char *big = "{\"size\":9007199254740993}";

    error_init(&err);
    CHECK_FAIL((json_parse(big, strlen(big), "config C", &err) ? 0 : -1), err,
               "config C: number 9007199254740993 at byte 8 is too large to be exact");
    CHECK(!parses("[-9007199254740993]"));
    CHECK(!parses("[123456789012345678901234567890]"));
    CHECK(!parses("[1e300]"));
    CHECK(!parses("[9007199254740993.0]"));
    /* 2^53 itself, small floats and digits inside strings are fine */
    CHECK(parses("[9007199254740992,-9007199254740992,0.5,1.5e3,-0,\"99999999999999999999\"]"));
}

TEST(json_int_reads_sizes_up_to_2_pow_53_exactly)
{
    struct error err;
    const char *ok = "{\"size\":9007199254740992}";
    long long v = 0;
    cJSON *j;

    error_init(&err);
    j = json_parse(ok, strlen(ok), "d", &err);
    CHECK(j != NULL);
    CHECK_OK(json_int(j, "size", 1, &v, "d", &err), err);
    CHECK_INT(v, 9007199254740992LL);
    cJSON_Delete(j);
}

TEST(json_every_document_reader_refuses_duplicates)
{
    struct oci_manifest m;
    struct oci_archive_index idx;
    struct error err;
    /* Go would see the second (attacker's) layer list, cJSON the first */
    const char *man = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_MEDIA_CONFIG
                      "\",\"digest\":\"" D1 "\",\"size\":2},\"layers\":[],\"layers\":[{"
                      "\"mediaType\":\"" OCI_MEDIA_LAYER "\",\"digest\":\"" D2 "\",\"size\":3}]}";
    const char *cfg =
        "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"],\"diff_ids\":[\"" D2 "\"]}}";
    const char *index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_MEDIA_MANIFEST
                        "\",\"digest\":\"" D1 "\",\"digest\":\"" D2 "\",\"size\":3}]}";
    const char *size = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_MEDIA_CONFIG
                       "\",\"digest\":\"" D1 "\",\"size\":18014398509481985},\"layers\":[]}";

    error_init(&err);
    CHECK_FAIL(oci_manifest_parse(man, strlen(man), "manifest M", &m, &err), err,
               "key \"layers\" appears twice");
    error_init(&err);
    CHECK(oci_config_parse(cfg, strlen(cfg), "config C", 1, &err) == NULL);
    CHECK(strstr(err.msg, "key \"diff_ids\" appears twice") != NULL);
    error_init(&err);
    CHECK_FAIL(oci_archive_index_parse(index, strlen(index), "index.json", &idx, &err), err,
               "key \"digest\" appears twice");
    error_init(&err);
    CHECK_FAIL(oci_manifest_parse(size, strlen(size), "manifest M", &m, &err), err,
               "too large to be exact");
}
