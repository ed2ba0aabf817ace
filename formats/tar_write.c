#include "formats/tar_write.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/hashmap.h"
#include "formats/core/mem.h"
#include "formats/whiteout.h"

#include "formats/core/banned.h"

/*
 * The tar stream is produced in TW_CHUNK-sized buffers by the walking thread
 * (file contents are read straight into them) and handed through a ring of
 * TW_NBUF buffers to a second thread that hashes the tar, compresses (zstd
 * adds its own workers) and hashes and writes the compressed bytes. Memory is
 * TW_NBUF * TW_CHUNK plus the compressor's, whatever the layer size.
 */
#define TW_CHUNK (1024 * 1024)
#define TW_NBUF 4
#define TAR_BLOCK 512

/* ---- output pipeline ---- */

struct tw_pipe {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *bufs[TW_NBUF];
    size_t lens[TW_NBUF];
    unsigned head, count; /* filled slots are head .. head+count-1 (mod TW_NBUF) */
    int done, failed;
    struct error err; /* the consumer's failure */

    struct digest_ctx tar_digest;
    struct digest_ctx blob_digest;
    struct compress_writer *cw;
    int out_fd;
    uint64_t size;
};

static int
pipe_sink(void *opaque, const void *data, size_t n, struct error *err)
{
    struct tw_pipe *p = opaque;

    digest_update(&p->blob_digest, data, n);
    p->size += n;
    if (fs_write_all(p->out_fd, data, n, err) < 0)
        return error_wrap(err, "write layer");
    return 0;
}

static void *
pipe_consumer(void *opaque)
{
    struct tw_pipe *p = opaque;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        unsigned slot;
        int rc = 0;

        while (!p->count && !p->done)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->count)
            break;
        slot = p->head;
        pthread_mutex_unlock(&p->mu);
        if (!p->failed) {
            digest_update(&p->tar_digest, p->bufs[slot], p->lens[slot]);
            rc = compress_write(p->cw, p->bufs[slot], p->lens[slot], &p->err);
        }
        pthread_mutex_lock(&p->mu);
        if (rc < 0)
            p->failed = 1;
        p->head = (p->head + 1) % TW_NBUF;
        p->count--;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- hard links: (dev, ino) -> the first path of the inode in the layer ---- */

struct hl_key {
    dev_t dev;
    ino_t ino;
};

static struct hl_key
hl_key(const struct stat *st)
{
    struct hl_key k;

    memset(&k, 0, sizeof(k)); /* the key is hashed as bytes: no stray padding */
    k.dev = st->st_dev;
    k.ino = st->st_ino;
    return k;
}

/* ---- xattrs ---- */

struct xattr {
    char *name;
    char *value;
    size_t len;
};

struct xattrs {
    struct xattr *v;
    size_t n, alloc;
    bool opaque;
    char devnode[32]; /* WHITEOUT_XATTR_DEVNODE's value, or "" */
};

static void
xattrs_release(struct xattrs *x)
{
    size_t i;

    for (i = 0; i < x->n; i++) {
        free(x->v[i].name);
        free(x->v[i].value);
    }
    free(x->v);
    memset(x, 0, sizeof(*x));
}

static int
cmp_xattr(const void *a, const void *b)
{
    return strcmp(((const struct xattr *)a)->name, ((const struct xattr *)b)->name);
}

/*
 * Reads the list or one value through fd (when >= 0) or the path (no
 * following). Returns the length, or -1 with errno.
 */
static ssize_t
xa_list(int fd, const char *path, char *buf, size_t n)
{
    return fd >= 0 ? flistxattr(fd, buf, n) : llistxattr(path, buf, n);
}

static ssize_t
xa_get(int fd, const char *path, const char *name, void *buf, size_t n)
{
    return fd >= 0 ? fgetxattr(fd, name, buf, n) : lgetxattr(path, name, buf, n);
}

/* Returns a malloc'ed value (NUL-terminated for convenience) or NULL with errno. */
static char *
xa_value(int fd, const char *path, const char *name, size_t *len)
{
    for (;;) {
        ssize_t n = xa_get(fd, path, name, NULL, 0), got;
        char *v;

        if (n < 0)
            return NULL;
        v = xmalloc((size_t)n + 1);
        got = xa_get(fd, path, name, v, (size_t)n);
        if (got >= 0) {
            v[got] = '\0';
            *len = (size_t)got;
            return v;
        }
        free(v);
        if (errno != ERANGE)
            return NULL;
    }
}

static int
read_xattrs(int fd, const char *proc_path, const char *what, struct xattrs *x, struct error *err)
{
    char stackbuf[1024];
    cleanup_free char *heap = NULL;
    char *list = stackbuf, *p;
    ssize_t n = xa_list(fd, proc_path, stackbuf, sizeof(stackbuf));

    while (n < 0 && errno == ERANGE) {
        free(heap);
        n = xa_list(fd, proc_path, NULL, 0);
        if (n < 0)
            break;
        list = heap = xmalloc((size_t)n + 1);
        n = xa_list(fd, proc_path, heap, (size_t)n);
    }
    if (n < 0) {
        /* no xattr support here, or (for /proc paths) no /proc: nothing to keep */
        if (errno == ENOTSUP || errno == ENOENT)
            return 0;
        return error_set(err, errno, "list xattrs of %s", what);
    }
    for (p = list; p < list + n; p += strlen(p) + 1) {
        size_t len = 0;
        char *v;

        if (!*p)
            continue;
        if (whiteout_is_overlay_xattr(p)) {
            if (!strcmp(p + strcspn(p, "."), ".overlay.opaque") ||
                !strcmp(p, WHITEOUT_FUSE_OPAQUE)) {
                v = xa_value(fd, proc_path, p, &len);
                if (v && len == 1 && v[0] == 'y')
                    x->opaque = true;
                free(v);
            } else if (!strcmp(p, WHITEOUT_XATTR_DEVNODE)) {
                v = xa_value(fd, proc_path, p, &len);
                if (v && len < sizeof(x->devnode))
                    memcpy(x->devnode, v, len + 1);
                free(v);
            }
            continue;
        }
        v = xa_value(fd, proc_path, p, &len);
        if (!v) {
            if (errno == ENODATA) /* removed meanwhile */
                continue;
            return error_set(err, errno, "read xattr %s of %s", p, what);
        }
        x->v = xgrow(x->v, sizeof(*x->v), x->n + 1, &x->alloc);
        x->v[x->n].name = xstrdup(p);
        x->v[x->n].value = v;
        x->v[x->n].len = len;
        x->n++;
    }
    if (x->n > 1)
        qsort(x->v, x->n, sizeof(*x->v), cmp_xattr);
    return 0;
}

/* ---- tar headers ---- */

struct tw_entry {
    const char *path; /* relative, "/"-terminated for directories */
    char type;        /* ustar typeflag */
    unsigned mode;
    unsigned long long uid, gid, size;
    long long mtime;
    const char *linkname;
    unsigned devmajor, devminor;
    const struct xattrs *xattrs;
};

struct tw {
    const struct tar_write_opts *opts;
    struct tw_pipe pipe;
    unsigned slot;      /* the ring slot being filled */
    unsigned char *cur; /* == pipe.bufs[slot] */
    size_t len;
    uint64_t tar_size, entries;
    struct buf path;
    struct buf pax;
    struct hashmap links; /* struct hl_key -> first path (malloc'ed) */
    dev_t root_dev;
};

/* Hands the filled buffer to the consumer and waits for a free one. */
static int
tw_flush(struct tw *t, struct error *err)
{
    struct tw_pipe *p = &t->pipe;
    int failed;

    if (!t->len)
        return 0;
    pthread_mutex_lock(&p->mu);
    p->lens[t->slot] = t->len;
    p->count++;
    pthread_cond_broadcast(&p->cv);
    while (p->count == TW_NBUF && !p->failed)
        pthread_cond_wait(&p->cv, &p->mu);
    failed = p->failed;
    if (failed)
        *err = p->err; /* written before failed was set, under the lock */
    pthread_mutex_unlock(&p->mu);
    if (failed)
        return -1;
    t->slot = (t->slot + 1) % TW_NBUF;
    t->cur = p->bufs[t->slot];
    t->tar_size += t->len;
    t->len = 0;
    return 0;
}

static int
tw_put(struct tw *t, const void *data, size_t n, struct error *err)
{
    const unsigned char *s = data;

    while (n) {
        size_t room = TW_CHUNK - t->len, step = n < room ? n : room;

        memcpy(t->cur + t->len, s, step);
        t->len += step;
        s += step;
        n -= step;
        if (t->len == TW_CHUNK && tw_flush(t, err) < 0)
            return -1;
    }
    return 0;
}

static int
tw_zeros(struct tw *t, size_t n, struct error *err)
{
    static const unsigned char zeros[TAR_BLOCK * 2];

    while (n) {
        size_t step = n < sizeof(zeros) ? n : sizeof(zeros);
        if (tw_put(t, zeros, step, err) < 0)
            return -1;
        n -= step;
    }
    return 0;
}

/* Writes v as zero-padded octal in w-1 digits plus NUL. Returns false if it does not fit. */
static bool
octal(char *field, size_t w, unsigned long long v)
{
    size_t i = w - 1;

    field[i] = '\0';
    while (i--) {
        field[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
    return v == 0;
}

static void
pax_record(struct buf *b, const char *key, const char *val, size_t vlen)
{
    /* "%d %s=%s\n" where the leading length counts itself (POSIX pax, Extended Header) */
    size_t base = 1 + strlen(key) + 1 + vlen + 1, len = base + 1, digits;
    char num[24];

    for (;;) {
        digits = (size_t)snprintf(num, sizeof(num), "%zu", len);
        if (base + digits == len)
            break;
        len = base + digits;
    }
    buf_adds(b, num);
    buf_addch(b, ' ');
    buf_adds(b, key);
    buf_addch(b, '=');
    buf_add(b, val, vlen);
    buf_addch(b, '\n');
}

static void
pax_number(struct buf *b, const char *key, long long v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", v);
    pax_record(b, key, num, (size_t)n);
}

/* Splits path into ustar prefix and name; returns false when it cannot. */
static bool
ustar_split(const char *path, size_t len, size_t *cut)
{
    size_t i;

    if (len <= 100) {
        *cut = 0;
        return true;
    }
    for (i = 1; i < len && i <= 155; i++)
        if (path[i] == '/' && len - i - 1 <= 100 && len - i - 1 > 0) {
            *cut = i;
            return true;
        }
    return false;
}

static void
block_finish(unsigned char *h)
{
    unsigned sum = 0;
    size_t i;

    memset(h + 148, ' ', 8);
    for (i = 0; i < TAR_BLOCK; i++)
        sum += h[i];
    octal((char *)h + 148, 7, sum); /* six digits, NUL, then the space already there */
}

static void
block_fill(unsigned char *h, const char *name, size_t nlen, const char *prefix, size_t plen,
           const struct tw_entry *e, unsigned long long size, unsigned long long mtime)
{
    memset(h, 0, TAR_BLOCK);
    memcpy(h, name, nlen);
    octal((char *)h + 100, 8, e->mode & 07777);
    if (!octal((char *)h + 108, 8, e->uid))
        octal((char *)h + 108, 8, 0);
    if (!octal((char *)h + 116, 8, e->gid))
        octal((char *)h + 116, 8, 0);
    if (!octal((char *)h + 124, 12, size))
        octal((char *)h + 124, 12, 0);
    if (!octal((char *)h + 136, 12, mtime))
        octal((char *)h + 136, 12, 0);
    h[156] = (unsigned char)e->type;
    /*
     * A long link name goes in a pax record; the field keeps its first 100
     * bytes like Go's archive/tar, since libarchive (3.6) takes an empty
     * field plus a pax linkpath for a hard link.
     */
    if (e->linkname)
        memcpy(h + 157, e->linkname, strnlen(e->linkname, 100));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    if (e->type == '3' || e->type == '4') {
        octal((char *)h + 329, 8, e->devmajor);
        octal((char *)h + 337, 8, e->devminor);
    }
    memcpy(h + 345, prefix, plen);
}

/*
 * Writes the entry's header: a pax extended header first when a field does
 * not fit ustar or there are xattrs (pax records in key order, as Go's
 * archive/tar writes them), then the ustar header.
 */
static int
tw_header(struct tw *t, const struct tw_entry *e, struct error *err)
{
    unsigned char h[TAR_BLOCK];
    size_t plen = strlen(e->path), cut = 0, i;
    bool split = ustar_split(e->path, plen, &cut);
    struct buf *pax = &t->pax;
    char tmp[12];

    buf_reset(pax);
    if (e->xattrs)
        for (i = 0; i < e->xattrs->n; i++) {
            cleanup_free char *key = xasprintf("SCHILY.xattr.%s", e->xattrs->v[i].name);
            pax_record(pax, key, e->xattrs->v[i].value, e->xattrs->v[i].len);
        }
    if (!octal(tmp, 8, e->gid))
        pax_number(pax, "gid", (long long)e->gid);
    if (e->linkname && strlen(e->linkname) > 100)
        pax_record(pax, "linkpath", e->linkname, strlen(e->linkname));
    if (e->mtime < 0 || !octal(tmp, 12, (unsigned long long)e->mtime))
        pax_number(pax, "mtime", e->mtime);
    if (!split)
        pax_record(pax, "path", e->path, plen);
    if (!octal(tmp, 12, e->size))
        pax_number(pax, "size", (long long)e->size);
    if (!octal(tmp, 8, e->uid))
        pax_number(pax, "uid", (long long)e->uid);

    if (pax->len) {
        static const struct tw_entry xhdr = {.type = 'x', .mode = 0644};
        const char *base = e->path + plen;
        char name[101];
        int n;

        /* "PaxHeaders/<base name>", fixed fields, so the bytes only depend on the entry */
        while (base > e->path && base[-1] == '/')
            base--;
        while (base > e->path && base[-1] != '/')
            base--;
        n = snprintf(name, sizeof(name), "PaxHeaders/%.*s", (int)strcspn(base, "/"), base);
        block_fill(h, name, n > 100 ? 100 : (size_t)n, "", 0, &xhdr, pax->len, 0);
        block_finish(h);
        if (tw_put(t, h, TAR_BLOCK, err) < 0 || tw_put(t, pax->data, pax->len, err) < 0 ||
            tw_zeros(t, (TAR_BLOCK - pax->len % TAR_BLOCK) % TAR_BLOCK, err) < 0)
            return -1;
    }
    if (split && cut)
        block_fill(h, e->path + cut + 1, plen - cut - 1, e->path, cut, e, e->size,
                   (unsigned long long)e->mtime);
    else
        block_fill(h, e->path, plen < 100 ? plen : 100, "", 0, e, e->size,
                   (unsigned long long)e->mtime);
    block_finish(h);
    t->entries++;
    return tw_put(t, h, TAR_BLOCK, err);
}

/* ---- the walk ---- */

struct child {
    char *name; /* on disk */
    char *emit; /* emitted base name: name, or ".wh." + name for a whiteout */
    struct stat st;
    bool whiteout;
};

static int
cmp_child(const void *a, const void *b)
{
    return strcmp(((const struct child *)a)->emit, ((const struct child *)b)->emit);
}

static void
children_free(struct child *c, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (c[i].emit != c[i].name)
            free(c[i].emit);
        free(c[i].name);
    }
    free(c);
}

static long long
clamp(const struct tw *t, const struct stat *st)
{
    long long m = (long long)st->st_mtim.tv_sec; /* whole seconds: nanoseconds are dropped */

    if (t->opts->clamp_mtime >= 0 && m > t->opts->clamp_mtime)
        m = t->opts->clamp_mtime;
    return m;
}

static void
entry_from_stat(const struct tw *t, const struct stat *st, char type, struct tw_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->path = buf_cstr(&t->path);
    e->type = type;
    e->mode = st->st_mode & 07777;
    e->uid = st->st_uid;
    e->gid = st->st_gid;
    e->mtime = clamp(t, st);
}

/*
 * fuse-overlayfs marks a directory opaque three ways at once: its xattr, a
 * regular file .wh..wh..opq and a whiteout device named .wh..opq. The
 * directory's entry is followed by the one opaque marker of the layer format
 * (emit_dir); these two files are not copied.
 */
static bool
is_fuse_marker(int dirfd, const char *name)
{
    struct stat st;

    if (strcmp(name, WHITEOUT_OPAQUE) && strcmp(name, ".wh..opq"))
        return false;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    if (!strcmp(name, WHITEOUT_OPAQUE))
        return S_ISREG(st.st_mode) && st.st_size == 0;
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

/* An empty regular file carrying overlayfs' xwhiteout xattr (trusted or user). */
static bool
is_xwhiteout(int dirfd, const char *name)
{
    char proc[64 + NAME_MAX];

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dirfd, name);
    return lgetxattr(proc, WHITEOUT_USERXATTR_XWHITEOUT, NULL, 0) >= 0 ||
           lgetxattr(proc, WHITEOUT_XATTR_XWHITEOUT, NULL, 0) >= 0;
}

/* Lists dirfd's children (stat'ed, with emitted names), sorted by emitted name. */
static int
list_children(struct tw *t, int dirfd, struct child **out, size_t *nout, struct error *err)
{
    int fd = dup(dirfd);
    cleanup_closedir DIR *d = NULL;
    struct child *c = NULL;
    size_t n = 0, alloc = 0;
    struct dirent *de;

    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return error_set(err, errno, "open directory %s", buf_cstr(&t->path));
    }
    /* a dup shares the offset: a second walk of the same dirfd must start again */
    rewinddir(d);
    while ((errno = 0, de = readdir(d))) {
        struct child *ch;

        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        /* fuse-overlayfs's own markers of an opaque directory: its parent's entry says it */
        if (is_fuse_marker(dirfd, de->d_name))
            continue;
        c = xgrow(c, sizeof(*c), n + 1, &alloc);
        ch = &c[n++];
        memset(ch, 0, sizeof(*ch));
        ch->name = xstrdup(de->d_name);
        ch->emit = ch->name;
        if (fstatat(dirfd, ch->name, &ch->st, AT_SYMLINK_NOFOLLOW) < 0) {
            int e = errno;
            children_free(c, n);
            return error_set(err, e, "stat %s%s", buf_cstr(&t->path), de->d_name);
        }
        /* overlayfs whiteout: a character device 0:0 (overlayfs docs, "whiteouts"), or
         * an empty file marked as one (whiteout.h, WHITEOUT_XATTR_XWHITEOUT) */
        if ((S_ISCHR(ch->st.st_mode) && ch->st.st_rdev == makedev(0, 0)) ||
            (S_ISREG(ch->st.st_mode) && ch->st.st_size == 0 && is_xwhiteout(dirfd, ch->name))) {
            ch->whiteout = true;
            ch->emit = xasprintf(WHITEOUT_PREFIX "%s", ch->name);
        } else if (S_ISREG(ch->st.st_mode) && ch->st.st_size == 0 &&
                   whiteout_classify(ch->name, NULL) == WHITEOUT_FILE) {
            /* already a whiteout by its name (fuse-overlayfs makes these where it may not
             * mknod): written the one way whiteouts are, mode 0 and owned by root */
            ch->whiteout = true;
        }
    }
    if (errno) {
        int e = errno;
        children_free(c, n);
        return error_set(err, e, "read directory %s", buf_cstr(&t->path));
    }
    if (n > 1)
        qsort(c, n, sizeof(*c), cmp_child);
    *out = c;
    *nout = n;
    return 0;
}

static int walk_dir(struct tw *t, int dirfd, struct error *err);

/* Streams exactly size bytes of fd into the tar, then the block padding. */
static int
copy_file(struct tw *t, int fd, unsigned long long size, struct error *err)
{
    unsigned long long left = size;

    if (size >= 4 * TW_CHUNK)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    while (left) {
        size_t room = TW_CHUNK - t->len;
        ssize_t r = read(fd, t->cur + t->len, left < room ? (size_t)left : room);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return error_set(err, errno, "read %s", buf_cstr(&t->path));
        }
        if (r == 0)
            return error_set(err, 0, "read %s: file shrank while being captured",
                             buf_cstr(&t->path));
        t->len += (size_t)r;
        left -= (unsigned long long)r;
        if (t->len == TW_CHUNK && tw_flush(t, err) < 0)
            return -1;
    }
    return tw_zeros(t, (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK, err);
}

static int
emit_regular(struct tw *t, int dirfd, const struct child *c, struct error *err)
{
    struct tw_entry e;
    struct xattrs xa = {0};
    struct stat st;
    struct hl_key key = hl_key(&c->st);
    void **link = NULL;
    cleanup_close int fd = -1;
    int rc;

    entry_from_stat(t, &c->st, '0', &e);
    if (c->st.st_nlink > 1) {
        link = hashmap_get(&t->links, &key, sizeof(key));
        if (link) {
            /* a later name of an inode already in the layer: a tar hard link */
            e.type = '1';
            e.linkname = *link;
            return tw_header(t, &e, err);
        }
    }
    fd = openat(dirfd, c->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
    if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership or CAP_FOWNER */
        fd = openat(dirfd, c->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, errno, "open %s", e.path);
    if (fstat(fd, &st) < 0)
        return error_set(err, errno, "stat %s", e.path);
    if (!S_ISREG(st.st_mode) || st.st_ino != c->st.st_ino || st.st_dev != c->st.st_dev)
        return error_set(err, 0, "%s changed while being captured", e.path);
    e.size = (unsigned long long)st.st_size;
    if (read_xattrs(fd, NULL, e.path, &xa, err) < 0) {
        xattrs_release(&xa);
        return -1;
    }
    e.xattrs = &xa;
    if (xa.devnode[0] && e.size == 0 && link == NULL) {
        /* a device node an unprivileged extraction stood in for (whiteout.h) */
        char kind;
        unsigned ma, mi;
        if (sscanf(xa.devnode, "%c %u %u", &kind, &ma, &mi) == 3 && (kind == 'c' || kind == 'b')) {
            e.type = kind == 'c' ? '3' : '4';
            e.devmajor = ma;
            e.devminor = mi;
            rc = tw_header(t, &e, err);
            xattrs_release(&xa);
            return rc;
        }
    }
    rc = tw_header(t, &e, err);
    xattrs_release(&xa);
    if (rc < 0 || copy_file(t, fd, e.size, err) < 0)
        return -1;
    if (c->st.st_nlink > 1)
        *hashmap_put(&t->links, &key, sizeof(key), NULL) = xstrdup(buf_cstr(&t->path));
    return 0;
}

static int
emit_dir(struct tw *t, int dirfd, const struct child *c, struct error *err)
{
    cleanup_close int fd = openat(dirfd, c->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct tw_entry e;
    struct xattrs xa = {0};
    size_t len;
    int rc;

    buf_addch(&t->path, '/');
    entry_from_stat(t, &c->st, '5', &e);
    if (fd < 0)
        return error_set(err, errno, "open %s", e.path);
    rc = read_xattrs(fd, NULL, e.path, &xa, err);
    if (rc == 0 && !xa.opaque && is_fuse_marker(fd, WHITEOUT_OPAQUE))
        xa.opaque = true;
    if (rc == 0) {
        e.xattrs = &xa;
        rc = tw_header(t, &e, err);
    }
    if (rc == 0 && xa.opaque) {
        /* image-spec layer.md, Opaque Whiteout: first child of its directory */
        len = t->path.len;
        buf_adds(&t->path, WHITEOUT_OPAQUE);
        entry_from_stat(t, &c->st, '0', &e);
        e.mode = 0;
        e.uid = e.gid = 0;
        rc = tw_header(t, &e, err);
        t->path.len = len;
        t->path.data[len] = '\0';
    }
    xattrs_release(&xa);
    if (rc < 0)
        return -1;
    /* another file system mounted below the tree is not part of the layer */
    if (c->st.st_dev != t->root_dev)
        return 0;
    return walk_dir(t, fd, err);
}

static int
emit_other(struct tw *t, int dirfd, const struct child *c, struct error *err)
{
    struct tw_entry e;
    struct xattrs xa = {0};
    cleanup_free char *proc = xasprintf("/proc/self/fd/%d/%s", dirfd, c->name);
    cleanup_free char *target = NULL;
    int rc;

    if (c->whiteout) {
        /* image-spec layer.md, Whiteouts: empty regular file .wh.<name>, owned by root */
        entry_from_stat(t, &c->st, '0', &e);
        e.mode = 0;
        e.uid = e.gid = 0;
        return tw_header(t, &e, err);
    }
    switch (c->st.st_mode & S_IFMT) {
    case S_IFLNK: {
        size_t cap = c->st.st_size > 0 ? (size_t)c->st.st_size + 1 : 256;
        ssize_t n;

        for (;;) {
            free(target);
            target = xmalloc(cap);
            n = readlinkat(dirfd, c->name, target, cap);
            if (n < 0)
                return error_set(err, errno, "read link %s", buf_cstr(&t->path));
            if ((size_t)n < cap)
                break;
            cap *= 2;
        }
        target[n] = '\0';
        entry_from_stat(t, &c->st, '2', &e);
        e.linkname = target;
        break;
    }
    case S_IFCHR:
    case S_IFBLK:
        entry_from_stat(t, &c->st, S_ISCHR(c->st.st_mode) ? '3' : '4', &e);
        e.devmajor = major(c->st.st_rdev);
        e.devminor = minor(c->st.st_rdev);
        break;
    case S_IFIFO:
        entry_from_stat(t, &c->st, '6', &e);
        break;
    default: /* sockets have no tar form */
        return 0;
    }
    /* no fd to ask without opening the node itself: go through /proc, without following */
    if (read_xattrs(-1, proc, e.path, &xa, err) < 0) {
        xattrs_release(&xa);
        return -1;
    }
    e.xattrs = &xa;
    rc = tw_header(t, &e, err);
    xattrs_release(&xa);
    return rc;
}

static int
walk_dir(struct tw *t, int dirfd, struct error *err)
{
    struct child *c = NULL;
    size_t n = 0, i, base = t->path.len;
    int rc = 0;

    if (list_children(t, dirfd, &c, &n, err) < 0)
        return -1;
    for (i = 0; i < n && rc == 0; i++) {
        buf_adds(&t->path, c[i].emit);
        if (S_ISREG(c[i].st.st_mode) && !c[i].whiteout)
            rc = emit_regular(t, dirfd, &c[i], err);
        else if (S_ISDIR(c[i].st.st_mode))
            rc = emit_dir(t, dirfd, &c[i], err);
        else
            rc = emit_other(t, dirfd, &c[i], err);
        t->path.len = base;
        if (t->path.data)
            t->path.data[base] = '\0';
    }
    children_free(c, n);
    return rc;
}

/* ---- entry point ---- */

void
tar_write_opts_init(struct tar_write_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->compression = COMPRESS_ZSTD;
    opts->clamp_mtime = -1;
}

/* Starts the consumer thread; -1 (nothing running) when the system refuses a thread. */
static int
pipe_start(struct tw_pipe *p, const struct tar_write_opts *opts, int out_fd, struct error *err)
{
    size_t i;
    int rc;

    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (i = 0; i < TW_NBUF; i++)
        p->bufs[i] = xmalloc(TW_CHUNK);
    digest_init(&p->tar_digest);
    digest_init(&p->blob_digest);
    p->out_fd = out_fd;
    p->cw = compress_writer_new(opts->compression, opts->level, opts->threads, pipe_sink, p);
    rc = pthread_create(&p->thread, NULL, pipe_consumer, p);
    if (rc != 0)
        return error_set(err, rc, "start the layer compression thread");
    p->started = 1;
    return 0;
}

/* Stops the consumer after it has drained the ring; returns its status. */
static int
pipe_stop(struct tw_pipe *p)
{
    if (!p->started)
        return 0;
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->started = 0;
    return p->failed ? -1 : 0;
}

static void
pipe_release(struct tw_pipe *p)
{
    size_t i;

    pipe_stop(p);
    for (i = 0; i < TW_NBUF; i++)
        free(p->bufs[i]);
    compress_writer_free(p->cw);
    digest_release(&p->tar_digest);
    digest_release(&p->blob_digest);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

static int
tw_run(struct tw *t, int dirfd, struct error *err)
{
    struct stat st;

    if (fstat(dirfd, &st) < 0)
        return error_set(err, errno, "stat layer root");
    if (!S_ISDIR(st.st_mode))
        return error_set(err, ENOTDIR, "layer root");
    t->root_dev = st.st_dev;
    /* POSIX ustar: two zero blocks end the archive; no padding to a record size */
    if (walk_dir(t, dirfd, err) < 0 || tw_zeros(t, 2 * TAR_BLOCK, err) < 0 || tw_flush(t, err) < 0)
        return -1;
    if (pipe_stop(&t->pipe) < 0) {
        *err = t->pipe.err;
        return -1;
    }
    if (compress_finish(t->pipe.cw, err) < 0)
        return -1;
    return 0;
}

int
tar_write_dir(int dirfd, const struct tar_write_opts *opts, int out_fd,
              struct tar_write_result *res, struct error *err)
{
    struct tw t;
    int rc;

    memset(&t, 0, sizeof(t));
    t.opts = opts;
    rc = pipe_start(&t.pipe, opts, out_fd, err);
    t.cur = t.pipe.bufs[0];
    if (rc == 0)
        rc = tw_run(&t, dirfd, err);
    if (rc == 0) {
        /* the consumer has stopped: its digests are ours now */
        digest_final(&t.pipe.tar_digest, res->diff_id);
        digest_final(&t.pipe.blob_digest, res->digest);
        res->size = t.pipe.size;
        res->tar_size = t.tar_size;
        res->entries = t.entries;
    }
    pipe_release(&t.pipe);
    hashmap_release(&t.links, free);
    buf_release(&t.path);
    buf_release(&t.pax);
    return rc == 0 ? 0 : error_wrap(err, "capture layer");
}
