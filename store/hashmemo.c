#include "store/hashmemo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

/* 3: entries of 72 bytes, the digest as its 32 bytes (2 held it as 72 characters) */
#define HASHMEMO_MAGIC "strata-hashmemo-3\n"
#define HASHMEMO_FILE "cache/hashmemo"
#define HASHMEMO_MAX_BYTES (256u << 20)
/* a file changed less than this long before it was hashed is not remembered */
#define HASHMEMO_RACY_NS (2LL * 1000000000LL)
/* entries moved through a buffer of this many at a time when loading and saving */
#define HASHMEMO_CHUNK 512

static int64_t
hashmemo_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static size_t
hashmemo_slot(const struct hashmemo *m, uint64_t dev, uint64_t ino)
{
    uint64_t h = (ino ^ (dev * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;

    return (size_t)((h ^ (h >> 32)) % m->cap);
}

/* The slot holding (dev, ino), or the empty slot where it goes (ino 0: empty). */
static struct hashmemo_entry *
hashmemo_find(const struct hashmemo *m, uint64_t dev, uint64_t ino)
{
    size_t i = hashmemo_slot(m, dev, ino);

    while (m->slots[i].ino && (m->slots[i].ino != ino || m->slots[i].dev != dev))
        i = i + 1 == m->cap ? 0 : i + 1;
    return &m->slots[i];
}

/* Makes room for want entries at a load of at most 3/4. */
static void
hashmemo_reserve(struct hashmemo *m, size_t want)
{
    struct hashmemo_entry *old = m->slots;
    size_t oldcap = m->cap, i;

    if (want * 4 <= m->cap * 3)
        return;
    m->cap = want + want / 2 + 64; /* any size: the slot is a remainder */
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    for (i = 0; i < oldcap; i++)
        if (old[i].ino)
            *hashmemo_find(m, old[i].dev, old[i].ino) = old[i];
    free(old);
}

static void
hashmemo_insert(struct hashmemo *m, const struct hashmemo_entry *e)
{
    struct hashmemo_entry *slot;

    hashmemo_reserve(m, m->n + 1);
    slot = hashmemo_find(m, e->dev, e->ino);
    if (!slot->ino)
        m->n++;
    *slot = *e;
}

static void
hashmemo_clear(struct hashmemo *m)
{
    free(m->slots);
    m->slots = NULL;
    m->n = m->cap = 0;
}

/* Reads n bytes at off; 0, or -1 on an error or a short file. */
static int
hashmemo_pread(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/*
 * The file is read in chunks straight into the table, so the memory held is
 * the table's: 72 bytes a remembered file at a load of 2/3 to 3/4.
 */
void
hashmemo_load(struct hashmemo *m, const struct store *s)
{
    const size_t ml = strlen(HASHMEMO_MAGIC), es = sizeof(struct hashmemo_entry);
    struct hashmemo_entry chunk[HASHMEMO_CHUNK];
    struct timespec now;
    struct stat st;
    char magic[sizeof(HASHMEMO_MAGIC)];
    off_t off;
    int fd;

    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    clock_gettime(CLOCK_REALTIME, &now);
    m->now_ns = hashmemo_ns(&now);
    fd = openat(s->root_fd, HASHMEMO_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    /* a damaged or older memo is dropped whole: it is only a cache */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < ml ||
        (size_t)st.st_size > HASHMEMO_MAX_BYTES || ((size_t)st.st_size - ml) % es ||
        hashmemo_pread(fd, magic, ml, 0) < 0 || memcmp(magic, HASHMEMO_MAGIC, ml) != 0) {
        close(fd);
        return;
    }
    hashmemo_reserve(m, ((size_t)st.st_size - ml) / es);
    for (off = (off_t)ml; off < st.st_size;) {
        size_t want = (size_t)(st.st_size - off);
        if (want > sizeof(chunk))
            want = sizeof(chunk);
        if (hashmemo_pread(fd, chunk, want, off) < 0) {
            hashmemo_clear(m);
            break;
        }
        for (size_t i = 0; i < want / es; i++)
            if (chunk[i].ino)
                hashmemo_insert(m, &chunk[i]);
        off += (off_t)want;
    }
    close(fd);
}

/* Writes the magic, then the entries through a small buffer. */
static int
hashmemo_fill(int fd, void *opaque, struct error *err)
{
    const struct hashmemo *m = opaque;
    struct hashmemo_entry chunk[HASHMEMO_CHUNK];
    size_t n = 0, i;

    if (fs_write_all(fd, HASHMEMO_MAGIC, strlen(HASHMEMO_MAGIC), err) < 0)
        return -1;
    for (i = 0; i < m->cap; i++) {
        if (!m->slots[i].ino)
            continue;
        chunk[n++] = m->slots[i];
        if (n == HASHMEMO_CHUNK || i + 1 == m->cap) {
            if (fs_write_all(fd, chunk, n * sizeof(chunk[0]), err) < 0)
                return -1;
            n = 0;
        }
    }
    return n ? fs_write_all(fd, chunk, n * sizeof(chunk[0]), err) : 0;
}

int
hashmemo_save(struct hashmemo *m, struct store *s, struct error *err)
{
    if (!m->dirty)
        return 0;
    if (store_write_file_fn(s, HASHMEMO_FILE, hashmemo_fill, m, err) < 0)
        return -1;
    m->dirty = 0;
    return 0;
}

void
hashmemo_release(struct hashmemo *m)
{
    if (!m || !m->now_ns)
        return;
    hashmemo_clear(m);
    pthread_mutex_destroy(&m->lock);
    memset(m, 0, sizeof(*m));
}

int
hashmemo_get(struct hashmemo *m, const struct stat *st, char out[DIGEST_STR_LEN + 1])
{
    const struct hashmemo_entry *e;
    int hit = 0;

    if (!st->st_ino)
        return 0;
    pthread_mutex_lock(&m->lock);
    if (m->n) {
        e = hashmemo_find(m, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
        hit = e->ino && e->size == (uint64_t)st->st_size &&
              e->mtime_ns == hashmemo_ns(&st->st_mtim) && e->ctime_ns == hashmemo_ns(&st->st_ctim);
        if (hit)
            digest_from_bytes(e->sum, out);
    }
    pthread_mutex_unlock(&m->lock);
    return hit;
}

void
hashmemo_put(struct hashmemo *m, const struct stat *st, const char *digest)
{
    struct hashmemo_entry e;

    if (!st->st_ino || hashmemo_ns(&st->st_mtim) > m->now_ns - HASHMEMO_RACY_NS ||
        hashmemo_ns(&st->st_ctim) > m->now_ns - HASHMEMO_RACY_NS ||
        digest_to_bytes(digest, e.sum) < 0)
        return;
    e.dev = (uint64_t)st->st_dev;
    e.ino = (uint64_t)st->st_ino;
    e.size = (uint64_t)st->st_size;
    e.mtime_ns = hashmemo_ns(&st->st_mtim);
    e.ctime_ns = hashmemo_ns(&st->st_ctim);
    pthread_mutex_lock(&m->lock);
    hashmemo_insert(m, &e);
    m->dirty = 1;
    pthread_mutex_unlock(&m->lock);
}
