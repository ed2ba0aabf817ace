#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/oci.h"
#include "formats/oci_archive.h"
#include "formats/platform.h"
#include "store/blob.h"
#include "store/cache.h"
#include "store/image.h"
#include "store/index.h"
#include "store/reach.h"
#include "store/store.h"
#include "store/txn.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

#define H_ABSENT "abababababababababababababababababababababababababababababababab"

static void
open_store(struct store *s)
{
    struct error err;

    error_init(&err);
    CHECK_OK(store_open(s, "st", STORE_LOCK_SHARED, &err), err);
}

TEST(store_open_creates_oci_layout)
{
    struct store s;
    struct buf b = BUF_INIT;
    struct error err;

    open_store(&s);
    error_init(&err);
    CHECK_OK(fs_read_file(AT_FDCWD, "st/oci-layout", &b, &err), err);
    CHECK_STR(buf_cstr(&b), "{\"imageLayoutVersion\":\"1.0.0\"}");
    CHECK(fs_exists(AT_FDCWD, "st/blobs/sha256"));
    CHECK(fs_exists(AT_FDCWD, "st/index.json"));
    CHECK(fs_exists(AT_FDCWD, "st/tmp"));
    buf_release(&b);
    store_release(&s);
}

/* The directory's inode flags, or -1 when the file system has none. */
static int
dir_flags(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), flags = 0;

    if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
        flags = -1;
    if (fd >= 0)
        close(fd);
    return flags;
}

TEST(store_tmp_is_a_topdir_where_the_fs_has_one)
{
    struct store s;
    int fd, flags = 0;

    /* can this file system keep the flag at all? */
    CHECK_INT(mkdir("probe", 0700), 0);
    fd = open("probe", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(fd >= 0);
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
        (flags |= FS_TOPDIR_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) ||
        !(dir_flags("probe") & FS_TOPDIR_FL)) {
        close(fd);
        harness_skip("this file system keeps no FS_TOPDIR_FL");
        return;
    }
    close(fd);
    open_store(&s);
    CHECK(dir_flags("st/tmp") >= 0 && (dir_flags("st/tmp") & FS_TOPDIR_FL));
    CHECK(dir_flags("st/blobs") >= 0 && !(dir_flags("st/blobs") & FS_TOPDIR_FL));
    store_release(&s);
}

TEST(blob_put_is_content_addressed_and_deduplicated)
{
    struct store s;
    struct error err;
    struct buf b = BUF_INIT;
    char d1[DIGEST_STR_LEN + 1], d2[DIGEST_STR_LEN + 1], want[DIGEST_STR_LEN + 1];
    struct stat st1, st2;
    cleanup_free char *p = NULL;

    open_store(&s);
    error_init(&err);
    digest_bytes("payload", 7, want);
    CHECK_OK(blob_put(&s, "payload", 7, d1, &err), err);
    CHECK_STR(d1, want);
    p = blob_path(&s, d1);
    CHECK(stat(p, &st1) == 0);
    CHECK_OK(blob_put(&s, "payload", 7, d2, &err), err);
    CHECK_STR(d2, d1);
    CHECK(stat(p, &st2) == 0);
    CHECK_INT(st1.st_ino, st2.st_ino); /* not rewritten */
    CHECK_OK(blob_read(&s, d1, 0, &b, &err), err);
    CHECK_STR(buf_cstr(&b), "payload");
    CHECK_INT(blob_size(&s, d1), 7);
    CHECK(blob_exists(&s, d1));
    /* a tampered blob is caught on read */
    CHECK(truncate(p, 3) == 0);
    buf_reset(&b);
    CHECK_FAIL(blob_read(&s, d1, 0, &b, &err), err, "content hashes to");
    buf_release(&b);
    store_release(&s);
}

TEST(blob_writer_abort_leaves_nothing)
{
    struct store s;
    struct error err;
    struct blob_writer w;

    open_store(&s);
    error_init(&err);
    CHECK_OK(blob_writer_open(&s, &w, &err), err);
    CHECK(write(w.fd, "x", 1) == 1);
    blob_writer_abort(&w);
    CHECK_INT(reach_sweep_tmp(&s, 1), 0);
    store_release(&s);
}

TEST(index_set_resolve_remove)
{
    struct store s;
    struct error err;
    char d[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1];
    struct index idx;

    open_store(&s);
    error_init(&err);
    CHECK_OK(blob_put(&s, "{}", 2, d, &err), err);
    CHECK_OK(index_set(&s, "app", d, 2, &err), err);
    CHECK_OK(index_set(&s, "localhost/busybox:1", d, 2, &err), err);
    CHECK_INT(index_resolve(&s, "app:latest", got, &err), 0);
    CHECK_STR(got, d);
    CHECK_INT(index_resolve(&s, "busybox:1", got, &err), 0); /* localhost/ is implied */
    CHECK_INT(index_resolve(&s, "nosuch", got, &err), 1);
    CHECK_INT(index_resolve(&s, d + 7, got, &err), 0); /* by digest hex */
    CHECK_OK(index_load(&s, &idx, &err), err);
    CHECK_INT(idx.n, 2);
    CHECK(index_find(&idx, "app:latest") != NULL);
    index_release(&idx);
    CHECK_INT(index_remove(&s, "app", &err), 0);
    CHECK_INT(index_remove(&s, "app", &err), 1);
    CHECK_INT(index_resolve(&s, "app", got, &err), 1);
    store_release(&s);
}

TEST(index_normalize_names)
{
    struct error err;
    char *n;

    error_init(&err);
    n = index_normalize("app", &err);
    CHECK_STR(n, "app:latest");
    free(n);
    n = index_normalize("localhost:5000/app", &err);
    CHECK_STR(n, "localhost:5000/app:latest");
    free(n);
    n = index_normalize("app:1", &err);
    CHECK_STR(n, "app:1");
    free(n);
    n = index_normalize("docker.io/busybox", &err);
    CHECK_STR(n, "docker.io/library/busybox:latest");
    free(n);
    CHECK(index_normalize("bad name", &err) == NULL);
    CHECK(strstr(err.msg, "invalid image reference") != NULL);
    CHECK(index_normalize("MyApp:1", &err) == NULL);
    CHECK(strstr(err.msg, "must be lower case") != NULL);
    CHECK(index_normalize("myapp:", &err) == NULL);
    CHECK(index_normalize("myapp:Bad/Tag", &err) == NULL);
}

/*
 * Every spelling of a name finds the same image, like podman: x and
 * localhost/x are one name; busybox finds docker.io/library/busybox:latest;
 * names stored before names were checked still work as written.
 */
TEST(index_spellings_of_one_name)
{
    struct store s;
    struct error err;
    char d1[DIGEST_STR_LEN + 1], d2[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1];
    struct index idx;
    FILE *f;

    f = fopen("registries.conf", "w");
    CHECK(f != NULL);
    fputs("# no search list: docker.io\n", f);
    fclose(f);
    setenv("CONTAINERS_REGISTRIES_CONF", "registries.conf", 1);
    open_store(&s);
    error_init(&err);
    CHECK_OK(blob_put(&s, "{}", 2, d1, &err), err);
    CHECK_OK(blob_put(&s, "{ }", 3, d2, &err), err);
    CHECK_OK(index_set(&s, "app:1", d1, 2, &err), err);
    CHECK_INT(index_resolve(&s, "localhost/app:1", got, &err), 0);
    CHECK_STR(got, d1);
    /* the other spelling replaces the entry instead of adding a second one */
    CHECK_OK(index_set(&s, "localhost/app:1", d2, 3, &err), err);
    CHECK_INT(index_resolve(&s, "app:1", got, &err), 0);
    CHECK_STR(got, d2);
    CHECK_OK(index_load(&s, &idx, &err), err);
    CHECK_INT(idx.n, 1);
    index_release(&idx);

    CHECK_OK(index_set(&s, "docker.io/busybox", d1, 2, &err), err);
    CHECK_OK(index_load(&s, &idx, &err), err);
    CHECK(index_find(&idx, "docker.io/library/busybox:latest") != NULL);
    index_release(&idx);
    CHECK_INT(index_resolve(&s, "busybox", got, &err), 0);
    CHECK_STR(got, d1);
    CHECK_INT(index_resolve(&s, "library/busybox:latest", got, &err), 0);
    CHECK_INT(index_resolve(&s, "index.docker.io/library/busybox", got, &err), 0);
    CHECK_INT(index_resolve(&s, "quay.io/busybox", got, &err), 1);
    /* localhost/ comes first: a local busybox hides the docker.io one */
    CHECK_OK(index_set(&s, "busybox", d2, 3, &err), err);
    CHECK_INT(index_resolve(&s, "busybox", got, &err), 0);
    CHECK_STR(got, d2);
    CHECK_INT(index_remove(&s, "busybox", &err), 0);
    CHECK_INT(index_resolve(&s, "busybox", got, &err), 0);
    CHECK_STR(got, d1);
    CHECK_INT(index_remove(&s, "docker.io/library/busybox", &err), 0);
    CHECK_INT(index_resolve(&s, "busybox", got, &err), 1);

    /* an old store's literal names, even ones the grammar refuses */
    {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":"
                 "\"%s\",\"size\":2,\"annotations\":{\"" INDEX_REF_ANNOTATION
                 "\":\"MyApp:1\"}},{\"mediaType\":\"x\",\"digest\":\"%s\",\"size\":3,"
                 "\"annotations\":{\"" INDEX_REF_ANNOTATION "\":\"docker.io/busybox:1\"}}]}",
                 d1, d2);
        CHECK_OK(fs_write_atomic(s.root_fd, "index.json", doc, strlen(doc), 0644, &err), err);
    }
    CHECK_INT(index_resolve(&s, "MyApp:1", got, &err), 0);
    CHECK_STR(got, d1);
    CHECK_INT(index_resolve(&s, "busybox:1", got, &err), 0);
    CHECK_STR(got, d2);
    CHECK_INT(index_remove(&s, "docker.io/library/busybox:1", &err), 0);
    CHECK_INT(index_resolve(&s, "Other:1", got, &err), -1);
    CHECK(strstr(err.msg, "must be lower case") != NULL);
    store_release(&s);
    unsetenv("CONTAINERS_REGISTRIES_CONF");
}

TEST(index_rejects_corrupt_json)
{
    struct store s;
    struct error err;
    struct index idx;

    open_store(&s);
    error_init(&err);
    CHECK_OK(fs_write_atomic(AT_FDCWD, "st/index.json", "{\"manifests\": 3}", 16, 0644, &err), err);
    CHECK_FAIL(index_load(&s, &idx, &err), err, "\"manifests\": expected an array");
    CHECK_INT(err.exit_code, 2);
    store_release(&s);
}

TEST(cache_put_get_remove)
{
    struct store s;
    struct error err;
    struct buf b = BUF_INIT;
    char key[DIGEST_STR_LEN + 1];

    open_store(&s);
    error_init(&err);
    digest_bytes("k", 1, key);
    CHECK_INT(cache_get(&s, key, &b, &err), 1);
    CHECK_OK(cache_put(&s, key, "{\"a\":1}", &err), err);
    CHECK_INT(cache_get(&s, key, &b, &err), 0);
    CHECK_STR(buf_cstr(&b), "{\"a\":1}");
    CHECK_OK(cache_remove(&s, key, &err), err);
    CHECK_INT(cache_get(&s, key, &b, &err), 1);
    buf_release(&b);
    store_release(&s);
}

TEST(image_commit_and_load_round_trip)
{
    struct store s;
    struct error err;
    cJSON *cfg = oci_config_new();
    struct oci_manifest m;
    struct oci_descriptor d = {0};
    struct image img;
    char digest[DIGEST_STR_LEN + 1], layer[DIGEST_STR_LEN + 1];
    long long size;

    open_store(&s);
    error_init(&err);
    CHECK_OK(blob_put(&s, "layerbytes", 10, layer, &err), err);
    cJSON_AddItemToArray(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "rootfs"), "diff_ids"),
                         cJSON_CreateString(layer));
    oci_manifest_init(&m);
    d.media_type = (char *)OCI_MEDIA_LAYER;
    memcpy(d.digest, layer, sizeof(layer));
    d.size = 10;
    oci_manifest_add_layer(&m, &d);
    CHECK_OK(image_commit(&s, cfg, &m, digest, &size, &err), err);
    CHECK_OK(index_set(&s, "img:1", digest, size, &err), err);
    CHECK_INT(image_load(&s, "img:1", &img, &err), 0);
    CHECK_INT(img.manifest.nlayers, 1);
    CHECK_STR(img.diff_ids.v[0], layer);
    CHECK_STR(img.manifest.config.media_type, OCI_MEDIA_CONFIG);
    image_release(&img);
    oci_manifest_release(&m);
    cJSON_Delete(cfg);
    store_release(&s);
}

/* A one-layer image for platform spec; its manifest digest into out. */
static void
commit_platform_image(struct store *s, const char *spec, const char *content,
                      char out[DIGEST_STR_LEN + 1], long long *size)
{
    struct error err;
    cJSON *cfg = oci_config_new();
    struct oci_manifest m;
    struct oci_descriptor d = {0};
    struct platform p;
    char layer[DIGEST_STR_LEN + 1];

    error_init(&err);
    CHECK_OK(platform_parse(spec, &p, &err), err);
    oci_config_set_platform(cfg, &p);
    CHECK_OK(blob_put(s, content, strlen(content), layer, &err), err);
    cJSON_AddItemToArray(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "rootfs"), "diff_ids"),
                         cJSON_CreateString(layer));
    oci_manifest_init(&m);
    d.media_type = (char *)OCI_MEDIA_LAYER;
    memcpy(d.digest, layer, sizeof(layer));
    d.size = (long long)strlen(content);
    oci_manifest_add_layer(&m, &d);
    CHECK_OK(image_commit(s, cfg, &m, out, size, &err), err);
    oci_manifest_release(&m);
    cJSON_Delete(cfg);
}

TEST(image_index_commit_pick_and_load)
{
    struct store s;
    struct error err;
    struct oci_archive_index idx;
    struct oci_descriptor d = {0};
    struct platform p;
    struct image img;
    struct reach r;
    char amd[DIGEST_STR_LEN + 1], arm[DIGEST_STR_LEN + 1], ix[DIGEST_STR_LEN + 1];
    char pick[DIGEST_STR_LEN + 1], host[PLATFORM_STR_MAX];
    long long sa, sb, si;

    open_store(&s);
    error_init(&err);
    commit_platform_image(&s, "linux/amd64", "amd64 layer", amd, &sa);
    commit_platform_image(&s, "linux/arm64", "arm64 layer", arm, &sb);
    oci_archive_index_init(&idx);
    d.media_type = (char *)OCI_MEDIA_MANIFEST;
    memcpy(d.digest, amd, sizeof(amd));
    d.size = sa;
    CHECK_OK(platform_parse("linux/amd64", &p, &err), err);
    oci_archive_index_add_platform(&idx, &d, &p);
    memcpy(d.digest, arm, sizeof(arm));
    d.size = sb;
    CHECK_OK(platform_parse("linux/arm64/v8", &p, &err), err);
    oci_archive_index_add_platform(&idx, &d, &p);
    CHECK_OK(image_commit_index(&s, &idx, ix, &si, &err), err);
    CHECK_OK(index_set(&s, "multi:1", ix, si, &err), err);
    CHECK_INT(image_is_index(&s, ix, &err), 1);
    CHECK_INT(image_is_index(&s, amd, &err), 0);
    /* an index names each platform's image; a manifest stands for itself */
    CHECK_OK(platform_parse("aarch64", &p, &err), err);
    CHECK_OK(image_pick(&s, ix, &p, "multi:1", pick, &err), err);
    CHECK_STR(pick, arm);
    CHECK_OK(image_pick(&s, amd, &p, "x", pick, &err), err);
    CHECK_STR(pick, amd);
    CHECK_OK(platform_parse("linux/s390x", &p, &err), err);
    CHECK_FAIL(image_pick(&s, ix, &p, "multi:1", pick, &err), err,
               "multi:1: no image for linux/s390x (has: linux/amd64, linux/arm64)");
    CHECK_FAIL(image_load_platform(&s, "multi:1", &p, &img, &err), err, "no image for linux/s390x");
    /* image_load is this machine's platform */
    platform_host(&p);
    platform_format(&p, host);
    if (!strcmp(host, "linux/amd64") || !strcmp(host, "linux/arm64")) {
        CHECK_INT(image_load(&s, "multi:1", &img, &err), 0);
        CHECK_STR(img.digest, !strcmp(host, "linux/amd64") ? amd : arm);
        image_release(&img);
    }
    /* a single image asked for another platform is refused */
    CHECK_OK(index_set(&s, "amd:1", amd, sa, &err), err);
    CHECK_OK(platform_parse("linux/arm64", &p, &err), err);
    CHECK_FAIL(image_load_platform(&s, "amd:1", &p, &img, &err), err,
               "image amd:1: no image for linux/arm64 (has: linux/amd64)");
    /* gc reaches both images through the index */
    CHECK_OK(index_remove(&s, "amd:1", &err), err);
    CHECK_OK(reach_collect(&s, &r, &err), err);
    CHECK_INT(reach_has(&r.blobs, ix), 1);
    CHECK_INT(reach_has(&r.blobs, amd), 1);
    CHECK_INT(reach_has(&r.blobs, arm), 1);
    CHECK_INT(r.images, 2);
    CHECK_INT(r.problems.n, 0);
    reach_release(&r);
    oci_archive_index_release(&idx);
    store_release(&s);
}

TEST(image_index_partial_and_missing_manifests)
{
    struct store s;
    struct error err;
    struct oci_archive_index idx;
    struct oci_descriptor d = {0};
    struct platform p;
    struct image img;
    struct reach r;
    char amd[DIGEST_STR_LEN + 1], ix[DIGEST_STR_LEN + 1];
    long long sa, si;
    char *text;

    open_store(&s);
    error_init(&err);
    commit_platform_image(&s, "linux/amd64", "amd64 layer", amd, &sa);
    oci_archive_index_init(&idx);
    d.media_type = (char *)OCI_MEDIA_MANIFEST;
    memcpy(d.digest, amd, sizeof(amd));
    d.size = sa;
    CHECK_OK(platform_parse("linux/amd64", &p, &err), err);
    oci_archive_index_add_platform(&idx, &d, &p);
    memcpy(d.digest, "sha256:" H_ABSENT, sizeof(d.digest));
    CHECK_OK(platform_parse("linux/arm64", &p, &err), err);
    oci_archive_index_add_platform(&idx, &d, &p);
    /* strata never commits an index whose images it lacks ... */
    CHECK_FAIL(image_commit_index(&s, &idx, ix, &si, &err), err,
               "manifest sha256:" H_ABSENT " is not in the store");
    /* ... but a pulled one may lack some: they are absent, not damage */
    text = oci_archive_index_write(&idx);
    CHECK_OK(blob_put(&s, text, strlen(text), ix, &err), err);
    CHECK_OK(index_set(&s, "pulled:1", ix, (long long)strlen(text), &err), err);
    CHECK_FAIL(image_load_platform(&s, "pulled:1", &p, &img, &err), err,
               "the linux/arm64 image sha256:" H_ABSENT " was not pulled");
    CHECK_OK(reach_collect(&s, &r, &err), err);
    CHECK_INT(r.problems.n, 0);
    CHECK_INT(reach_has(&r.blobs, amd), 1);
    reach_release(&r);
    free(text);
    oci_archive_index_release(&idx);
    store_release(&s);
}

TEST(txn_tmp_paths_carry_the_pid)
{
    char *p = txn_tmp_path("/x/tmp", "blob");
    const char *name = strrchr(p, '/') + 1;

    CHECK_INT(txn_name_pid(name), getpid());
    CHECK_INT(txn_name_pid("notours"), 0);
    txn_unregister(p);
    free(p);
}

/* The reaper removes a queued tree in the background, and only that tree. */
TEST(txn_discard_later_removes_the_tree)
{
    const struct timespec tick = {0, 10 * 1000 * 1000};
    char *a, *b;
    int i;

    CHECK(mkdir("reap", 0755) == 0);
    a = txn_tmp_path("reap", "step");
    b = txn_tmp_path("reap", "step");
    CHECK(mkdir(a, 0755) == 0);
    CHECK(mkdir(b, 0755) == 0);
    {
        char *deep = xasprintf("%s/work/work/incompat", a);
        struct error err;
        error_init(&err);
        CHECK_OK(fs_mkdir_p(AT_FDCWD, deep, 0755, &err), err);
        free(deep);
    }
    txn_discard_later(a);
    for (i = 0; i < 500 && fs_exists(AT_FDCWD, a); i++)
        nanosleep(&tick, NULL);
    CHECK(!fs_exists(AT_FDCWD, a));
    CHECK(fs_exists(AT_FDCWD, b));
    txn_discard(b);
    CHECK(!fs_exists(AT_FDCWD, b));
    free(a);
    free(b);
}
