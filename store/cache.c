#include "store/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/digest.h"
#include "store/txn.h"

#include "formats/core/banned.h"

#define CACHE_RECORD_MAX (1u << 20)

int
cache_get(const struct store *s, const char *key, struct buf *out, struct error *err)
{
    cleanup_free char *rel = xasprintf("cache/%s", digest_hex(key));
    /* O_NOATIME: only cache_touch may say a record was used (prune's LRU order) */
    cleanup_close int fd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC | O_NOATIME);

    if (fd < 0 && errno == EPERM)
        fd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 1;
    if (fd < 0)
        return error_set(err, errno, "cache record %s", key);
    if (fs_read_fd_max(fd, rel, CACHE_RECORD_MAX, out, err) < 0)
        return error_wrap(err, "cache record %s", key);
    return 0;
}

int
cache_put(struct store *s, const char *key, const char *json, struct error *err)
{
    cleanup_free char *rel = xasprintf("cache/%s", digest_hex(key));

    txn_crash_point("cache-before-write");
    /* a record whose name a power cut loses is a cache miss: no directory fsync */
    if (store_write_cache_file(s, rel, json, strlen(json), err) < 0)
        return error_wrap(err, "cache record %s", key);
    return 0;
}

char *
cache_stage(struct store *s, const char *json, struct error *err)
{
    char *tmp;

    txn_crash_point("cache-before-write");
    tmp = store_stage_file(s, json, strlen(json), err);
    if (!tmp)
        error_wrap(err, "cache record");
    return tmp;
}

int
cache_publish(struct store *s, const char *key, char *tmp, struct error *err)
{
    cleanup_free char *rel = xasprintf("cache/%s", digest_hex(key));

    /* as in cache_put: a record whose name a power cut loses is a cache miss */
    if (store_publish_file(s, tmp, rel, err) < 0)
        return error_wrap(err, "cache record %s", key);
    return 0;
}

void
cache_touch(struct store *s, const char *key)
{
    cleanup_free char *rel = xasprintf("cache/%s", digest_hex(key));
    struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};

    utimensat(s->root_fd, rel, ts, 0);
}

int
cache_remove(struct store *s, const char *key, struct error *err)
{
    cleanup_free char *rel = xasprintf("cache/%s", digest_hex(key));

    if (unlinkat(s->root_fd, rel, 0) < 0 && errno != ENOENT)
        return error_set(err, errno, "cache record %s: remove", key);
    return 0;
}
