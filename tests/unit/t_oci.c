#include <string.h>

#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/oci.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

TEST(oci_manifest_parse_and_write_round_trip)
{
    const char *json = "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_MANIFEST "\","
                       "\"config\":{\"mediaType\":\"" OCI_MEDIA_CONFIG "\",\"digest\":\"" D1
                       "\",\"size\":12},\"layers\":[{\"mediaType\":\"" OCI_MEDIA_LAYER_ZSTD
                       "\",\"digest\":\"" D2 "\",\"size\":34}]}";
    struct oci_manifest m;
    struct error err;
    char *out;

    error_init(&err);
    CHECK_OK(oci_manifest_parse(json, strlen(json), "m", &m, &err), err);
    CHECK_INT(m.nlayers, 1);
    CHECK_STR(m.layers[0].digest, D2);
    CHECK_INT(m.layers[0].size, 34);
    out = oci_manifest_write(&m);
    CHECK_STR(out, json);
    free(out);
    oci_manifest_release(&m);
}

TEST(oci_manifest_errors_name_the_member)
{
    struct oci_manifest m;
    struct error err;
    const char *bad_digest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":"
                             "\"sha256:zz\",\"size\":1},\"layers\":[]}";
    const char *bad_layer = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1
                            "\",\"size\":1},\"layers\":[{\"mediaType\":\"x\"}]}";

    error_init(&err);
    CHECK_FAIL(oci_manifest_parse("{", 1, "manifest X", &m, &err), err, "manifest X: invalid JSON");
    CHECK_FAIL(oci_manifest_parse("{\"schemaVersion\":1}", 19, "M", &m, &err), err,
               "schemaVersion 1");
    CHECK_FAIL(oci_manifest_parse(bad_digest, strlen(bad_digest), "M", &m, &err), err,
               "invalid digest");
    CHECK_FAIL(oci_manifest_parse(bad_layer, strlen(bad_layer), "M", &m, &err), err,
               "M: layers[0]: missing \"digest\"");
    CHECK_INT(err.exit_code, 2);
}

TEST(oci_config_checks_diff_ids)
{
    struct error err;
    const char *ok = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]}}";
    const char *bad = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"nope\"]}}";
    cJSON *c;

    error_init(&err);
    c = oci_config_parse(ok, strlen(ok), "cfg", 1, &err);
    CHECK(c != NULL);
    cJSON_Delete(c);
    CHECK(oci_config_parse(ok, strlen(ok), "cfg", 2, &err) == NULL);
    CHECK(strstr(err.msg, "1 diff_ids for 2 layers") != NULL);
    CHECK(oci_config_parse(bad, strlen(bad), "cfg", 1, &err) == NULL);
    CHECK(strstr(err.msg, "diff_ids[0]") != NULL);
}

TEST(oci_time_format_is_rfc3339_utc)
{
    char t[32];

    oci_time_format(1700000000, t);
    CHECK_STR(t, "2023-11-14T22:13:20Z"); /* date -u -d @1700000000 */
    oci_time_format(0, t);
    CHECK_STR(t, "1970-01-01T00:00:00Z");
}

TEST(oci_time_parse_rfc3339)
{
    long long t = 0;

    CHECK_INT(oci_time_parse("2009-02-13T23:31:30Z", &t), 0);
    CHECK_INT(t, 1234567890);
    CHECK_INT(oci_time_parse("2009-02-13T23:31:30.999999999Z", &t), 0);
    CHECK_INT(t, 1234567890);
    CHECK_INT(oci_time_parse("2009-02-14T01:31:30+02:00", &t), 0);
    CHECK_INT(t, 1234567890);
    CHECK_INT(oci_time_parse("1970-01-01T00:00:00Z", &t), 0);
    CHECK_INT(t, 0);
    CHECK_INT(oci_time_parse("2009-02-13 23:31:30", &t), -1);
    CHECK_INT(oci_time_parse("2009-13-13T23:31:30Z", &t), -1);
    CHECK_INT(oci_time_parse("yesterday", &t), -1);
}

TEST(oci_manifest_write_docker_schema2)
{
    struct oci_manifest m;
    struct oci_descriptor l = {0};
    struct error err;
    struct oci_manifest back;
    char *out;

    error_init(&err);
    oci_manifest_init(&m);
    m.media_type = xstrdup(DOCKER_MEDIA_MANIFEST);
    m.config.media_type = xstrdup(DOCKER_MEDIA_CONFIG);
    memcpy(m.config.digest, D1, sizeof(D1));
    m.config.size = 12;
    l.media_type = (char *)DOCKER_MEDIA_LAYER_GZIP;
    memcpy(l.digest, D2, sizeof(D2));
    l.size = 34;
    oci_manifest_add_layer(&m, &l);
    strvec_push(&m.annotations, "k=v"); /* Docker's schema has none: left out */
    out = oci_manifest_write(&m);
    CHECK_STR(out, "{\"schemaVersion\":2,\"mediaType\":\"" DOCKER_MEDIA_MANIFEST
                   "\",\"config\":{\"mediaType\":\"" DOCKER_MEDIA_CONFIG "\",\"digest\":\"" D1
                   "\",\"size\":12},\"layers\":[{\"mediaType\":\"" DOCKER_MEDIA_LAYER_GZIP
                   "\",\"digest\":\"" D2 "\",\"size\":34}]}");
    CHECK_OK(oci_manifest_parse(out, strlen(out), "m", &back, &err), err);
    CHECK_STR(back.media_type, DOCKER_MEDIA_MANIFEST);
    oci_manifest_release(&back);
    free(out);
    oci_manifest_release(&m);
}

TEST(oci_docker_layer_types)
{
    CHECK_STR(oci_docker_layer_type(OCI_MEDIA_LAYER), DOCKER_MEDIA_LAYER);
    CHECK_STR(oci_docker_layer_type(OCI_MEDIA_LAYER_GZIP), DOCKER_MEDIA_LAYER_GZIP);
    CHECK_STR(oci_docker_layer_type(DOCKER_MEDIA_LAYER_GZIP), DOCKER_MEDIA_LAYER_GZIP);
    CHECK(oci_docker_layer_type(OCI_MEDIA_LAYER_ZSTD) == NULL);
}
