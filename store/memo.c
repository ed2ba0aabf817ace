#include "store/memo.h"

#include <string.h>
#include <time.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#define MEMO_MAGIC "strata-hashmemo-2\n"
#define MEMO_FILE "cache/hashmemo"
#define MEMO_MAX_BYTES (256u << 20)
/* a file changed less than this long before it was hashed is not remembered */
#define MEMO_RACY_NS (2LL * 1000000000LL)

static int64_t
memo_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static size_t
memo_slot(const struct memo *m, uint64_t dev, uint64_t ino)
{
    uint64_t h = (ino * 0x9e3779b97f4a7c15ULL) ^ (dev * 0xc2b2ae3d27d4eb4fULL);
    size_t i = (size_t)(h & (m->cap - 1));

    while (m->slots[i].ino && (m->slots[i].ino != ino || m->slots[i].dev != dev))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void
memo_insert(struct memo *m, const struct memo_entry *e)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap) {
        struct memo_entry *old = m->slots;
        size_t oldcap = m->cap, j;
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->slots = xcalloc(m->cap, sizeof(*m->slots));
        m->n = 0;
        for (j = 0; j < oldcap; j++)
            if (old[j].ino)
                memo_insert(m, &old[j]);
        free(old);
    }
    i = memo_slot(m, e->dev, e->ino);
    if (!m->slots[i].ino)
        m->n++;
    m->slots[i] = *e;
}

void
memo_load(struct memo *m, const struct store *s)
{
    struct buf b = BUF_INIT;
    struct error err;
    struct timespec now;
    size_t off, ml = strlen(MEMO_MAGIC);

    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    clock_gettime(CLOCK_REALTIME, &now);
    m->now_ns = memo_ns(&now);
    error_init(&err);
    if (fs_read_file_max(s->root_fd, MEMO_FILE, MEMO_MAX_BYTES, &b, &err) < 0 || b.len < ml ||
        memcmp(b.data, MEMO_MAGIC, ml) != 0 || (b.len - ml) % sizeof(struct memo_entry)) {
        buf_release(&b);
        return;
    }
    for (off = ml; off < b.len; off += sizeof(struct memo_entry)) {
        struct memo_entry e;
        memcpy(&e, b.data + off, sizeof(e));
        e.digest[DIGEST_STR_LEN] = '\0';
        if (e.ino)
            memo_insert(m, &e);
    }
    buf_release(&b);
}

int
memo_save(struct memo *m, struct store *s, struct error *err)
{
    struct buf b = BUF_INIT;
    size_t i;
    int rc;

    if (!m->dirty)
        return 0;
    buf_adds(&b, MEMO_MAGIC);
    for (i = 0; i < m->cap; i++)
        if (m->slots[i].ino)
            buf_add(&b, &m->slots[i], sizeof(m->slots[i]));
    rc = store_write_file(s, MEMO_FILE, b.data, b.len, err);
    buf_release(&b);
    if (rc == 0)
        m->dirty = 0;
    return rc;
}

void
memo_release(struct memo *m)
{
    if (!m || !m->now_ns)
        return;
    free(m->slots);
    pthread_mutex_destroy(&m->lock);
    memset(m, 0, sizeof(*m));
}

int
memo_get(struct memo *m, const struct stat *st, char out[DIGEST_STR_LEN + 1])
{
    const struct memo_entry *e;
    int hit = 0;

    if (!st->st_ino)
        return 0;
    pthread_mutex_lock(&m->lock);
    if (m->cap) {
        e = &m->slots[memo_slot(m, (uint64_t)st->st_dev, (uint64_t)st->st_ino)];
        hit = e->ino && e->size == (uint64_t)st->st_size && e->mtime_ns == memo_ns(&st->st_mtim) &&
              e->ctime_ns == memo_ns(&st->st_ctim);
        if (hit)
            memcpy(out, e->digest, DIGEST_STR_LEN + 1);
    }
    pthread_mutex_unlock(&m->lock);
    return hit;
}

void
memo_put(struct memo *m, const struct stat *st, const char *digest)
{
    struct memo_entry e;

    if (!st->st_ino || memo_ns(&st->st_mtim) > m->now_ns - MEMO_RACY_NS ||
        memo_ns(&st->st_ctim) > m->now_ns - MEMO_RACY_NS)
        return;
    memset(&e, 0, sizeof(e));
    e.dev = (uint64_t)st->st_dev;
    e.ino = (uint64_t)st->st_ino;
    e.size = (uint64_t)st->st_size;
    e.mtime_ns = memo_ns(&st->st_mtim);
    e.ctime_ns = memo_ns(&st->st_ctim);
    memcpy(e.digest, digest, DIGEST_STR_LEN);
    e.digest[DIGEST_STR_LEN] = '\0';
    pthread_mutex_lock(&m->lock);
    memo_insert(m, &e);
    m->dirty = 1;
    pthread_mutex_unlock(&m->lock);
}
