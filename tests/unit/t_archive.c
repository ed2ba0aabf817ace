/* docker-archive manifest.json, OCI layout index.json, archive tar I/O. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/archive_io.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/docker_archive.h"
#include "formats/oci_archive.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D1 "sha256:" H1
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

TEST(docker_archive_manifest_round_trip)
{
    const char *json = "[{\"Config\":\"" H1 ".json\",\"RepoTags\":[\"localhost/bb:1\"],"
                       "\"Layers\":[\"a/layer.tar\",\"b/layer.tar\"]}]";
    struct docker_archive_manifest m;
    struct error err;
    char *out;

    error_init(&err);
    CHECK_OK(docker_archive_manifest_parse(json, strlen(json), &m, &err), err);
    CHECK_INT(m.n, 1);
    CHECK_STR(m.images[0].config, H1 ".json");
    CHECK_INT(m.images[0].layers.n, 2);
    CHECK_STR(m.images[0].layers.v[1], "b/layer.tar");
    CHECK_STR(m.images[0].repo_tags.v[0], "localhost/bb:1");
    out = docker_archive_manifest_write(&m);
    CHECK_STR(out, json);
    free(out);
    docker_archive_manifest_release(&m);
}

TEST(docker_archive_manifest_null_tags_and_repositories)
{
    const char *json = "[{\"Config\":\"c.json\",\"RepoTags\":null,\"Layers\":[\"l/layer.tar\"]},"
                       "{\"Config\":\"d.json\",\"RepoTags\":[\"x/y:2\",\"x/y:3\",\"notag\"],"
                       "\"Layers\":[\"m/layer.tar\"]}]";
    const char *tops[] = {"l", "m"};
    struct docker_archive_manifest m;
    struct error err;
    char *repos;

    error_init(&err);
    CHECK_OK(docker_archive_manifest_parse(json, strlen(json), &m, &err), err);
    CHECK_INT(m.n, 2);
    CHECK_INT(m.images[0].repo_tags.n, 0);
    repos = docker_archive_repositories_write(&m, tops);
    CHECK_STR(repos, "{\"x/y\":{\"2\":\"m\",\"3\":\"m\"}}");
    free(repos);
    CHECK_INT(docker_archive_select(&m, "x/y:3", &err), 1);
    CHECK_INT(docker_archive_select(&m, "docker.io/x/y:2", &err), 1);
    CHECK_FAIL(docker_archive_select(&m, "other:1", &err), err, "none is tagged");
    CHECK_FAIL(docker_archive_select(&m, NULL, &err), err, "holds 2 images");
    docker_archive_manifest_release(&m);
}

TEST(docker_archive_manifest_errors)
{
    static const struct {
        const char *json, *msg;
    } cases[] = {
        {"{}", "expected an array"},
        {"[]", "no images"},
        {"[1]", "[0]: expected an object"},
        {"[{\"Layers\":[\"a\"]}]", "\"Config\": expected a string"},
        {"[{\"Config\":\"c\",\"Layers\":[]}]", "\"Layers\" is empty"},
        {"[{\"Config\":\"c\",\"Layers\":[1]}]", "[0].Layers[0]: expected a string"},
        {"[{\"Config\":\"c\",\"Layers\":[\"../x\"]}]", "bad path \"../x\""},
        {"[{\"Config\":\"/etc/passwd\",\"Layers\":[\"x\"]}]", "Config: bad path"},
        {"[{\"Config\":\"c\",\"RepoTags\":\"x\",\"Layers\":[\"x\"]}]", "expected an array"},
        {"[{\"Config\":\"c\",\"RepoTags\":[3],\"Layers\":[\"x\"]}]", "RepoTags[0]"},
        {"[{", "invalid JSON"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct docker_archive_manifest m;
        struct error err;
        error_init(&err);
        CHECK_FAIL(docker_archive_manifest_parse(cases[i].json, strlen(cases[i].json), &m, &err),
                   err, cases[i].msg);
        CHECK_INT(err.exit_code, 2);
    }
}

TEST(docker_archive_path_rules)
{
    CHECK(docker_archive_path_ok("a/layer.tar"));
    CHECK(docker_archive_path_ok("blobs/sha256/" H1));
    CHECK(docker_archive_path_ok("..a/b"));
    CHECK(!docker_archive_path_ok(""));
    CHECK(!docker_archive_path_ok("/abs"));
    CHECK(!docker_archive_path_ok("a/../b"));
    CHECK(!docker_archive_path_ok(".."));
    CHECK(!docker_archive_path_ok("./a"));
    CHECK(!docker_archive_path_ok("a//b"));
    CHECK(!docker_archive_path_ok("a/"));
}

TEST(oci_layout_index_round_trip_and_select)
{
    struct oci_archive_index idx, back;
    struct oci_descriptor d = {0};
    struct error err;
    char *json;

    error_init(&err);
    oci_archive_index_init(&idx);
    d.media_type = (char *)OCI_MEDIA_MANIFEST;
    memcpy(d.digest, D1, sizeof(D1));
    d.size = 42;
    oci_archive_index_add(&idx, &d, "localhost/busybox:latest");
    memcpy(d.digest, D2, sizeof(D2));
    oci_archive_index_add(&idx, &d, "localhost/app:v2");
    json = oci_archive_index_write(&idx);
    CHECK(strstr(json, "\"org.opencontainers.image.ref.name\":\"latest\"") != NULL);
    CHECK(strstr(json, "\"io.containerd.image.name\":\"localhost/app:v2\"") != NULL);
    CHECK_OK(oci_archive_index_parse(json, strlen(json), "index.json", &back, &err), err);
    CHECK_INT(back.n, 2);
    CHECK_STR(back.entries[1].ref_name, "v2");
    CHECK_INT(back.entries[0].desc.size, 42);
    CHECK_INT(oci_archive_index_select(&back, "v2", &err), 1);
    CHECK_INT(oci_archive_index_select(&back, "localhost/busybox:latest", &err), 0);
    CHECK_INT(oci_archive_index_select(&back, "other:v2", &err), 1);
    CHECK_FAIL(oci_archive_index_select(&back, "nope:9", &err), err, "lists 2 images");
    CHECK_FAIL(oci_archive_index_select(&back, NULL, &err), err, "name one of them");
    free(json);
    oci_archive_index_release(&idx);
    oci_archive_index_release(&back);
}

static long
match(const struct oci_archive_index *idx, const char *want, struct error *err)
{
    struct platform p;

    if (platform_parse(want, &p, err) < 0)
        return -2;
    return oci_archive_index_match(idx, &p, "list", err);
}

TEST(oci_layout_index_single_and_platform)
{
    const char *json = "{\"schemaVersion\":2,\"manifests\":["
                       "{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
                       "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
                       "{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":2,"
                       "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
    struct oci_archive_index idx;
    struct error err;

    error_init(&err);
    CHECK_OK(oci_archive_index_parse(json, strlen(json), "list", &idx, &err), err);
    CHECK_INT(match(&idx, "linux/amd64", &err), 1);
    CHECK_INT(match(&idx, "linux/arm64", &err), 0);
    CHECK_INT(match(&idx, "linux/arm64/v8", &err), 0);
    CHECK_FAIL(match(&idx, "linux/s390x", &err), err,
               "list: no image for linux/s390x (has: linux/arm64, linux/amd64)");
    oci_archive_index_release(&idx);
}

/* A Docker Hub style index: arm64 written with variant v8, arm/v7 and arm/v5, an attestation. */
TEST(oci_index_match_variants_and_attestations)
{
    const char *json =
        "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_INDEX "\",\"manifests\":["
        "{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
        "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v5\"}},"
        "{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":2,"
        "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}},"
        "{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":3,"
        "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
        "{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":4,"
        "\"annotations\":{\"vnd.docker.reference.digest\":\"" D1 "\","
        "\"vnd.docker.reference.type\":\"attestation-manifest\"},"
        "\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}],"
        "\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\"}}";
    struct oci_archive_index idx;
    struct error err;
    char have[256];
    char *out;

    error_init(&err);
    CHECK_OK(oci_archive_index_parse(json, strlen(json), "list", &idx, &err), err);
    CHECK_INT(match(&idx, "linux/arm64", &err), 2);
    CHECK_INT(match(&idx, "linux/aarch64", &err), 2);
    CHECK_INT(match(&idx, "linux/arm", &err), 1);
    CHECK_INT(match(&idx, "linux/arm/v6", &err), 0);
    CHECK_FAIL(match(&idx, "linux/arm/v4", &err), err,
               "no image for linux/arm/v4 (has: linux/arm/v5, linux/arm/v7, linux/arm64/v8)");
    CHECK_FAIL(match(&idx, "unknown/unknown", &err), err, "no image for unknown/unknown");
    CHECK_INT(oci_archive_entry_is_image(&idx.entries[2]), 1);
    CHECK_INT(oci_archive_entry_is_image(&idx.entries[3]), 0);
    oci_archive_index_platforms(&idx, have, sizeof(have));
    CHECK_STR(have, "linux/arm/v5, linux/arm/v7, linux/arm64/v8");
    /* written back: every descriptor, its annotations and platform, the index's annotations */
    out = oci_archive_index_write(&idx);
    CHECK_STR(out, json);
    free(out);
    oci_archive_index_release(&idx);
}

TEST(oci_index_add_platform_writes_normalised_platform)
{
    struct oci_archive_index idx;
    struct oci_descriptor d = {0};
    struct platform p;
    struct error err;
    char *out;

    error_init(&err);
    oci_archive_index_init(&idx);
    d.media_type = (char *)OCI_MEDIA_MANIFEST;
    memcpy(d.digest, D1, sizeof(D1));
    d.size = 7;
    CHECK_OK(platform_parse("linux/aarch64/v8", &p, &err), err);
    oci_archive_index_add_platform(&idx, &d, &p);
    CHECK_OK(platform_parse("linux/arm", &p, &err), err);
    oci_archive_index_add_platform(&idx, &d, &p);
    strvec_push(&idx.annotations, "a=b");
    out = oci_archive_index_write(&idx);
    CHECK_STR(out, "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_INDEX "\",\"manifests\":["
                   "{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":7,"
                   "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
                   "{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":7,"
                   "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}}],"
                   "\"annotations\":{\"a\":\"b\"}}");
    free(out);
    oci_archive_index_release(&idx);
}

TEST(oci_layout_index_errors)
{
    static const struct {
        const char *json, *msg;
    } cases[] = {
        {"[]", "expected an object"},
        {"{\"schemaVersion\":1,\"manifests\":[]}", "schemaVersion 1"},
        {"{\"schemaVersion\":2}", "missing \"manifests\""},
        {"{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" D1 "\",\"size\":1}]}",
         "manifests[0]: missing \"mediaType\""},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:zz\","
         "\"size\":1}]}",
         "manifests[0]"},
        {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
         "\",\"size\":-1}]}",
         "non-negative"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct oci_archive_index idx;
        struct error err;
        error_init(&err);
        CHECK_FAIL(
            oci_archive_index_parse(cases[i].json, strlen(cases[i].json), "index.json", &idx, &err),
            err, cases[i].msg);
    }
}

TEST(oci_layout_file_and_compression_names)
{
    struct error err;
    const char *l = oci_archive_layout_json();

    error_init(&err);
    CHECK_OK(oci_archive_layout_check(l, strlen(l), &err), err);
    CHECK_FAIL(oci_archive_layout_check("{\"imageLayoutVersion\":\"2.0\"}", 29, &err), err,
               "not supported");
    CHECK_INT(oci_archive_layer_compression(OCI_MEDIA_LAYER_GZIP), COMPRESS_GZIP);
    CHECK_INT(oci_archive_layer_compression(DOCKER_MEDIA_LAYER_GZIP), COMPRESS_GZIP);
    CHECK_INT(oci_archive_layer_compression(OCI_MEDIA_LAYER_ZSTD), COMPRESS_ZSTD);
    CHECK_INT(oci_archive_layer_compression(OCI_MEDIA_LAYER), COMPRESS_NONE);
}

/* Writes a tar with archive_io_writer: two files, a dir. */
static void
write_tar(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct archive_io_writer *w = archive_io_writer_new(fd);
    struct error err;
    int in;

    error_init(&err);
    CHECK_OK(archive_io_add_dir(w, "d", &err), err);
    CHECK_OK(archive_io_add_bytes(w, "d/one", "hello", 5, &err), err);
    fs_write_atomic(AT_FDCWD, "src", "xyz", 3, 0644, &err);
    in = open("src", O_RDONLY);
    CHECK_OK(archive_io_add_fd(w, "two", in, 3, NULL, &err), err);
    close(in);
    CHECK_OK(archive_io_writer_finish(w, &err), err);
    archive_io_writer_free(w);
    close(fd);
}

TEST(archive_io_write_list_unpack)
{
    struct strvec names = STRVEC_INIT;
    struct error err;
    struct buf b = BUF_INIT;
    int fd, dfd;

    error_init(&err);
    write_tar("a.tar");
    fd = open("a.tar", O_RDONLY);
    CHECK_OK(archive_io_list(fd, 0, "a.tar", &names, &err), err);
    CHECK_INT(names.n, 3);
    CHECK_STR(names.v[1], "d/one");
    close(fd);
    mkdir("out", 0755);
    dfd = open("out", O_RDONLY | O_DIRECTORY);
    fd = open("a.tar", O_RDONLY);
    CHECK_OK(archive_io_unpack(fd, dfd, "a.tar", &err), err);
    CHECK_OK(fs_read_file(dfd, "d/one", &b, &err), err);
    CHECK_STR(buf_cstr(&b), "hello");
    close(fd);
    close(dfd);
    buf_release(&b);
    strvec_release(&names);
}

TEST(archive_io_diff_id_of_plain_and_empty)
{
    char d[DIGEST_STR_LEN + 1], raw[DIGEST_STR_LEN + 1], want[DIGEST_STR_LEN + 1];
    struct error err;
    int fd;

    error_init(&err);
    fs_write_atomic(AT_FDCWD, "f", "abc", 3, 0644, &err);
    fd = open("f", O_RDONLY);
    CHECK_OK(archive_io_diff_id(fd, "f", d, raw, &err), err);
    digest_bytes("abc", 3, want);
    CHECK_STR(d, want);
    CHECK_STR(raw, want);
    close(fd);
    fs_write_atomic(AT_FDCWD, "e", "", 0, 0644, &err);
    fd = open("e", O_RDONLY);
    CHECK_OK(archive_io_diff_id(fd, "e", d, NULL, &err), err);
    digest_bytes("", 0, want);
    CHECK_STR(d, want);
    close(fd);
}
