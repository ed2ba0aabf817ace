#include "store/prune.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/blob.h"
#include "store/cache.h"
#include "store/store.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* A record whose layer is a blob of n bytes of c; its file mtime is used. Returns the key. */
static char *
make_record(struct store *s, char c, size_t n, time_t used, char blob[DIGEST_STR_LEN + 1])
{
    struct error err;
    cleanup_free char *data = xmalloc(n);
    cleanup_free char *json = NULL, *rel = NULL, *snap = NULL;
    char key[DIGEST_STR_LEN + 1], diff_id[DIGEST_STR_LEN + 1];
    struct timespec ts[2] = {{used, 0}, {used, 0}};

    error_init(&err);
    memset(data, c, n);
    CHECK_OK(blob_put(s, data, n, blob, &err), err);
    digest_bytes(&c, 1, key);
    digest_bytes(data, n > 1 ? n - 1 : 0, diff_id); /* any digest unlike the blob's */
    json = xasprintf("{\"key\":\"%s\",\"config\":{},\"history\":{},\"layer\":{\"mediaType\":"
                     "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu,"
                     "\"diff_id\":\"%s\"}}",
                     key, blob, n, diff_id);
    CHECK_OK(cache_put(s, key, json, &err), err);
    snap = xasprintf("snapshots/%s", digest_hex(diff_id));
    CHECK_OK(fs_mkdir_p(s->root_fd, snap, 0755, &err), err);
    rel = xasprintf("cache/%s", digest_hex(key));
    CHECK(utimensat(s->root_fd, rel, ts, 0) == 0);
    return xstrdup(key);
}

TEST(prune_lists_records_least_recently_used_first)
{
    struct store s;
    struct error err;
    struct prune_record *v = NULL;
    size_t n = 0;
    char b1[DIGEST_STR_LEN + 1], b2[DIGEST_STR_LEN + 1], b3[DIGEST_STR_LEN + 1];
    cleanup_free char *k1 = NULL, *k2 = NULL, *k3 = NULL;

    error_init(&err);
    CHECK_OK(store_open(&s, "st", STORE_LOCK_EXCLUSIVE, &err), err);
    k1 = make_record(&s, 'a', 10, 3000, b1);
    k2 = make_record(&s, 'b', 10, 1000, b2);
    k3 = make_record(&s, 'c', 10, 2000, b3);
    CHECK_OK(store_write_file(&s, "cache/hashmemo", "x", 1, &err), err); /* not a record */
    CHECK_OK(prune_list_records(&s, &v, &n, &err), err);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(v[0].hex, digest_hex(k2));
        CHECK_STR(v[1].hex, digest_hex(k3));
        CHECK_STR(v[2].hex, digest_hex(k1));
        CHECK_STR(v[0].blob, b2);
        CHECK_INT(v[0].usable, 1);
        CHECK_INT(v[0].used.tv_sec, 1000);
    }
    prune_records_free(v, n);
    store_release(&s);
}

static int
have_record(struct store *s, const char *key)
{
    cleanup_free char *rel = xasprintf("cache/%s", digest_hex(key));
    return fs_exists(s->root_fd, rel);
}

TEST(prune_keep_storage_drops_oldest_records_and_their_data)
{
    struct store s;
    struct error err;
    struct prune_opts o;
    struct prune_result res;
    char b1[DIGEST_STR_LEN + 1], b2[DIGEST_STR_LEN + 1], b3[DIGEST_STR_LEN + 1];
    cleanup_free char *k1 = NULL, *k2 = NULL, *k3 = NULL;

    error_init(&err);
    CHECK_OK(store_open(&s, "st", STORE_LOCK_EXCLUSIVE, &err), err);
    k1 = make_record(&s, 'a', 1000, 3000, b1); /* newest */
    k2 = make_record(&s, 'b', 1000, 1000, b2); /* oldest */
    k3 = make_record(&s, 'c', 1000, 2000, b3);
    prune_opts_init(&o);
    o.keep_storage = 2500; /* 3000 bytes of blobs: dropping the oldest is enough */
    CHECK_OK(prune_run(&s, &o, &res, &err), err);
    CHECK_INT(res.records, 1);
    CHECK_INT(res.blobs, 1);
    CHECK_INT(res.snapshots, 1);
    CHECK(!have_record(&s, k2) && !blob_exists(&s, b2));
    CHECK(have_record(&s, k1) && blob_exists(&s, b1));
    CHECK(have_record(&s, k3) && blob_exists(&s, b3));

    o.keep_storage = 1000; /* now the next oldest goes too */
    CHECK_OK(prune_run(&s, &o, &res, &err), err);
    CHECK_INT(res.records, 1);
    CHECK(!have_record(&s, k3) && have_record(&s, k1));

    o.keep_storage = 1000; /* under the limit: nothing goes */
    CHECK_OK(prune_run(&s, &o, &res, &err), err);
    CHECK_INT(res.records + res.blobs + res.snapshots, 0);
    store_release(&s);
}

TEST(prune_until_keeps_recent_records_and_all_drops_everything)
{
    struct store s;
    struct error err;
    struct prune_opts o;
    struct prune_result res;
    char b1[DIGEST_STR_LEN + 1], b2[DIGEST_STR_LEN + 1];
    cleanup_free char *k1 = NULL, *k2 = NULL;

    error_init(&err);
    CHECK_OK(store_open(&s, "st", STORE_LOCK_EXCLUSIVE, &err), err);
    k1 = make_record(&s, 'a', 100, 100000 - 3600, b1); /* an hour before "now" */
    k2 = make_record(&s, 'b', 100, 100000 - 3 * 86400, b2);
    CHECK_OK(fs_mkdir_p(s.root_fd,
                        "cache-mounts/0123456789abcdef0123456789abcdef0123456789abcdef"
                        "0123456789abcdef/x",
                        0755, &err),
             err);
    prune_opts_init(&o);
    o.now = 100000;
    o.until = 86400;
    CHECK_OK(prune_run(&s, &o, &res, &err), err);
    CHECK_INT(res.records, 1);
    CHECK_INT(res.mounts, 0);
    CHECK(have_record(&s, k1) && !have_record(&s, k2) && !blob_exists(&s, b2));

    /* without options only records that can never hit go: k1's blob is gone */
    {
        cleanup_free char *p = blob_path(&s, b1);
        CHECK(unlink(p) == 0);
    }
    prune_opts_init(&o);
    CHECK_OK(prune_run(&s, &o, &res, &err), err);
    CHECK_INT(res.records, 1);
    CHECK(!have_record(&s, k1));

    prune_opts_init(&o);
    o.all = 1;
    CHECK_OK(prune_run(&s, &o, &res, &err), err);
    CHECK_INT(res.mounts, 1);
    CHECK(!fs_exists(s.root_fd, "cache-mounts/0123456789abcdef0123456789abcdef0123456789abcdef"
                                "0123456789abcdef"));
    store_release(&s);
}
