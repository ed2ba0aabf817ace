#include "store/hashmemo.h"

#include <string.h>
#include <time.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

#define HASHMEMO_MAGIC "strata-hashmemo-2\n"
#define HASHMEMO_FILE "cache/hashmemo"
#define HASHMEMO_MAX_BYTES (256u << 20)
/* a file changed less than this long before it was hashed is not remembered */
#define HASHMEMO_RACY_NS (2LL * 1000000000LL)

static int64_t
hashmemo_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* The map key of (dev, ino): both as raw bytes. */
static void
hashmemo_key(uint64_t dev, uint64_t ino, uint64_t key[2])
{
    key[0] = dev;
    key[1] = ino;
}

static void
hashmemo_insert(struct hashmemo *m, const struct hashmemo_entry *e)
{
    uint64_t key[2];
    void **slot;

    hashmemo_key(e->dev, e->ino, key);
    slot = hashmap_put(&m->entries, key, sizeof(key), NULL);
    if (!*slot)
        *slot = xmalloc(sizeof(*e));
    memcpy(*slot, e, sizeof(*e));
}

void
hashmemo_load(struct hashmemo *m, const struct store *s)
{
    struct buf b = BUF_INIT;
    struct error err;
    struct timespec now;
    size_t off, ml = strlen(HASHMEMO_MAGIC);

    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    clock_gettime(CLOCK_REALTIME, &now);
    m->now_ns = hashmemo_ns(&now);
    error_init(&err);
    if (fs_read_file_max(s->root_fd, HASHMEMO_FILE, HASHMEMO_MAX_BYTES, &b, &err) < 0 ||
        b.len < ml || memcmp(b.data, HASHMEMO_MAGIC, ml) != 0 ||
        (b.len - ml) % sizeof(struct hashmemo_entry)) {
        buf_release(&b);
        return;
    }
    for (off = ml; off < b.len; off += sizeof(struct hashmemo_entry)) {
        struct hashmemo_entry e;
        memcpy(&e, b.data + off, sizeof(e));
        e.digest[DIGEST_STR_LEN] = '\0';
        if (e.ino)
            hashmemo_insert(m, &e);
    }
    buf_release(&b);
}

int
hashmemo_save(struct hashmemo *m, struct store *s, struct error *err)
{
    struct buf b = BUF_INIT;
    size_t pos = 0;
    void *e;
    int rc;

    if (!m->dirty)
        return 0;
    buf_adds(&b, HASHMEMO_MAGIC);
    while (hashmap_next(&m->entries, &pos, NULL, NULL, &e))
        buf_add(&b, e, sizeof(struct hashmemo_entry));
    rc = store_write_file(s, HASHMEMO_FILE, b.data, b.len, err);
    buf_release(&b);
    if (rc == 0)
        m->dirty = 0;
    return rc;
}

void
hashmemo_release(struct hashmemo *m)
{
    if (!m || !m->now_ns)
        return;
    hashmap_release(&m->entries, free);
    pthread_mutex_destroy(&m->lock);
    memset(m, 0, sizeof(*m));
}

int
hashmemo_get(struct hashmemo *m, const struct stat *st, char out[DIGEST_STR_LEN + 1])
{
    const struct hashmemo_entry *e;
    uint64_t key[2];
    void **slot;
    int hit = 0;

    if (!st->st_ino)
        return 0;
    hashmemo_key((uint64_t)st->st_dev, (uint64_t)st->st_ino, key);
    pthread_mutex_lock(&m->lock);
    slot = hashmap_get(&m->entries, key, sizeof(key));
    if (slot) {
        e = *slot;
        hit = e->size == (uint64_t)st->st_size && e->mtime_ns == hashmemo_ns(&st->st_mtim) &&
              e->ctime_ns == hashmemo_ns(&st->st_ctim);
        if (hit)
            memcpy(out, e->digest, DIGEST_STR_LEN + 1);
    }
    pthread_mutex_unlock(&m->lock);
    return hit;
}

void
hashmemo_put(struct hashmemo *m, const struct stat *st, const char *digest)
{
    struct hashmemo_entry e;

    if (!st->st_ino || hashmemo_ns(&st->st_mtim) > m->now_ns - HASHMEMO_RACY_NS ||
        hashmemo_ns(&st->st_ctim) > m->now_ns - HASHMEMO_RACY_NS)
        return;
    memset(&e, 0, sizeof(e));
    e.dev = (uint64_t)st->st_dev;
    e.ino = (uint64_t)st->st_ino;
    e.size = (uint64_t)st->st_size;
    e.mtime_ns = hashmemo_ns(&st->st_mtim);
    e.ctime_ns = hashmemo_ns(&st->st_ctim);
    memcpy(e.digest, digest, DIGEST_STR_LEN);
    e.digest[DIGEST_STR_LEN] = '\0';
    pthread_mutex_lock(&m->lock);
    hashmemo_insert(m, &e);
    m->dirty = 1;
    pthread_mutex_unlock(&m->lock);
}
