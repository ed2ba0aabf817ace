#include "formats/compress.h"

#include <archive.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "formats/core/mem.h"
#include "formats/digest.h"

#include "formats/core/banned.h"

#define COMPRESS_OUT_SIZE (256 * 1024)
#define COMPRESS_IN_SIZE (128 * 1024)

/* ---- zstd: independent frames of fixed size, compressed by a pool of threads ---- */

struct zjob {
    unsigned char *in, *out;
    size_t in_len, out_len;
    size_t zerr; /* ZSTD error code, or 0 */
    int done;
};

struct zpool {
    pthread_t *threads;
    int nthreads, level;
    ZSTD_CCtx *inline_cctx; /* no worker could start: frames are compressed by the writer */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    struct zjob *jobs;
    unsigned njobs;
    /* sequence numbers; job i lives in slot i % njobs */
    unsigned long long submitted, taken, emitted;
    int stop;
};

struct compress_writer {
    enum compress_kind kind;
    compress_sink_fn sink;
    void *opaque;
    struct zpool *zp;
    z_stream z;
    gz_header gzhead;
    int z_live;
    unsigned char *out;
};

static int
zstd_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > COMPRESS_ZSTD_MAX_THREADS ? COMPRESS_ZSTD_MAX_THREADS : n > 0 ? (int)n : 1;
}

static ZSTD_CCtx *
zstd_cctx(int level)
{
    ZSTD_CCtx *zc = ZSTD_createCCtx();

    if (!zc || ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_contentSizeFlag, 1)))
        BUG("zstd context setup failed");
    return zc;
}

/* Compresses job j, taken off the queue; the caller holds zp->mu and holds it again after. */
static void
zpool_compress(struct zpool *zp, ZSTD_CCtx *zc, struct zjob *j)
{
    size_t r;

    pthread_mutex_unlock(&zp->mu);
    /* single-threaded zstd on one whole frame: the bytes depend on the input only */
    r = ZSTD_compress2(zc, j->out, ZSTD_compressBound(COMPRESS_ZSTD_FRAME), j->in, j->in_len);
    pthread_mutex_lock(&zp->mu);
    j->zerr = ZSTD_isError(r) ? r : 0;
    j->out_len = ZSTD_isError(r) ? 0 : r;
    j->done = 1;
    pthread_cond_broadcast(&zp->cv_done);
}

static void *
zpool_worker(void *opaque)
{
    struct zpool *zp = opaque;
    ZSTD_CCtx *zc = zstd_cctx(zp->level);

    pthread_mutex_lock(&zp->mu);
    for (;;) {
        while (!zp->stop && zp->taken == zp->submitted)
            pthread_cond_wait(&zp->cv_work, &zp->mu);
        if (zp->taken == zp->submitted)
            break;
        zpool_compress(zp, zc, &zp->jobs[zp->taken++ % zp->njobs]);
    }
    pthread_mutex_unlock(&zp->mu);
    ZSTD_freeCCtx(zc);
    return NULL;
}

static struct zpool *
zpool_new(int level, int threads)
{
    struct zpool *zp = xcalloc(1, sizeof(*zp));
    size_t bound = ZSTD_compressBound(COMPRESS_ZSTD_FRAME);
    unsigned i;

    zp->level = level;
    zp->nthreads = threads;
    /*
     * One frame per worker plus the one being filled: with two per worker the
     * big-layer capture was no faster (measured on 2 CPUs, 312 MB) and its
     * peak RSS 56 MB instead of 40 MB.
     */
    zp->njobs = (unsigned)threads + 1;
    zp->jobs = xcalloc(zp->njobs, sizeof(*zp->jobs));
    for (i = 0; i < zp->njobs; i++) {
        zp->jobs[i].in = xmalloc(COMPRESS_ZSTD_FRAME);
        zp->jobs[i].out = xmalloc(bound);
    }
    pthread_mutex_init(&zp->mu, NULL);
    pthread_cond_init(&zp->cv_work, NULL);
    pthread_cond_init(&zp->cv_done, NULL);
    zp->threads = xcalloc((size_t)threads, sizeof(pthread_t));
    /*
     * Workers the system refuses are done without: the frames, and so the
     * bytes, are the same with any number of them, and with none the writer
     * compresses each frame itself (zpool_submit).
     */
    for (i = 0; i < (unsigned)threads; i++)
        if (pthread_create(&zp->threads[i], NULL, zpool_worker, zp) != 0)
            break;
    zp->nthreads = (int)i;
    if (!zp->nthreads)
        zp->inline_cctx = zstd_cctx(level);
    return zp;
}

static void
zpool_free(struct zpool *zp)
{
    unsigned i;

    if (!zp)
        return;
    pthread_mutex_lock(&zp->mu);
    zp->stop = 1;
    pthread_cond_broadcast(&zp->cv_work);
    pthread_mutex_unlock(&zp->mu);
    for (i = 0; i < (unsigned)zp->nthreads; i++)
        pthread_join(zp->threads[i], NULL);
    for (i = 0; i < zp->njobs; i++) {
        free(zp->jobs[i].in);
        free(zp->jobs[i].out);
    }
    pthread_mutex_destroy(&zp->mu);
    pthread_cond_destroy(&zp->cv_work);
    pthread_cond_destroy(&zp->cv_done);
    free(zp->jobs);
    free(zp->threads);
    ZSTD_freeCCtx(zp->inline_cctx);
    free(zp);
}

/* The slot being filled (always free: see zpool_emit). */
static struct zjob *
zpool_filling(struct zpool *zp)
{
    return &zp->jobs[zp->submitted % zp->njobs];
}

/*
 * Hands finished frames to the sink in order. With wait_all, until every
 * submitted frame is out; else until a slot is free for the next frame.
 */
static int
zpool_emit(struct compress_writer *w, int wait_all, struct error *err)
{
    struct zpool *zp = w->zp;

    pthread_mutex_lock(&zp->mu);
    while (zp->emitted < zp->submitted) {
        struct zjob *j = &zp->jobs[zp->emitted % zp->njobs];
        int rc = 0;

        if (!j->done) {
            if (!wait_all && zp->submitted - zp->emitted < zp->njobs)
                break;
            pthread_cond_wait(&zp->cv_done, &zp->mu);
            continue;
        }
        pthread_mutex_unlock(&zp->mu);
        if (j->zerr)
            rc = error_set(err, 0, "zstd compression: %s", ZSTD_getErrorName(j->zerr));
        else if (w->sink(w->opaque, j->out, j->out_len, err) < 0)
            rc = -1;
        pthread_mutex_lock(&zp->mu);
        if (rc < 0) {
            pthread_mutex_unlock(&zp->mu);
            return -1;
        }
        j->done = 0;
        j->in_len = 0;
        zp->emitted++;
    }
    pthread_mutex_unlock(&zp->mu);
    return 0;
}

static int
zpool_submit(struct compress_writer *w, struct error *err)
{
    struct zpool *zp = w->zp;

    pthread_mutex_lock(&zp->mu);
    zp->submitted++;
    if (zp->inline_cctx)
        zpool_compress(zp, zp->inline_cctx, &zp->jobs[zp->taken++ % zp->njobs]);
    else
        pthread_cond_signal(&zp->cv_work);
    pthread_mutex_unlock(&zp->mu);
    return zpool_emit(w, 0, err);
}

static int
zstd_write(struct compress_writer *w, const unsigned char *p, size_t n, struct error *err)
{
    while (n) {
        struct zjob *j = zpool_filling(w->zp);
        size_t step = COMPRESS_ZSTD_FRAME - j->in_len;

        if (step > n)
            step = n;
        memcpy(j->in + j->in_len, p, step);
        j->in_len += step;
        p += step;
        n -= step;
        if (j->in_len == COMPRESS_ZSTD_FRAME && zpool_submit(w, err) < 0)
            return -1;
    }
    return 0;
}

static int
zstd_finish(struct compress_writer *w, struct error *err)
{
    /* the last, partial frame; an empty stream is still one (empty) frame */
    if ((zpool_filling(w->zp)->in_len || !w->zp->submitted) && zpool_submit(w, err) < 0)
        return -1;
    return zpool_emit(w, 1, err);
}

struct compress_writer *
compress_writer_new(enum compress_kind kind, int level, int threads, compress_sink_fn sink,
                    void *opaque)
{
    struct compress_writer *w = xcalloc(1, sizeof(*w));

    w->kind = kind;
    w->sink = sink;
    w->opaque = opaque;
    switch (kind) {
    case COMPRESS_NONE:
        break;
    case COMPRESS_ZSTD:
        w->zp = zpool_new(level ? level : 3, threads > 0 ? threads : zstd_default_threads());
        break;
    case COMPRESS_GZIP:
        if (deflateInit2(&w->z, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            BUG("deflateInit2 failed");
        w->z_live = 1;
        w->gzhead.os = 255; /* RFC 1952 "unknown", as Go's compress/gzip */
        w->gzhead.time = 0;
        if (deflateSetHeader(&w->z, &w->gzhead) != Z_OK)
            BUG("deflateSetHeader failed");
        w->out = xmalloc(COMPRESS_OUT_SIZE);
        break;
    case COMPRESS_XZ:
    default:
        BUG("no compressor for this kind");
    }
    return w;
}

static int
gzip_run(struct compress_writer *w, const void *data, size_t n, int flush, struct error *err)
{
    w->z.next_in = (unsigned char *)data;
    w->z.avail_in = (uInt)n;
    for (;;) {
        int rc;
        size_t got;

        w->z.next_out = w->out;
        w->z.avail_out = COMPRESS_OUT_SIZE;
        rc = deflate(&w->z, flush);
        if (rc == Z_STREAM_ERROR)
            return error_set(err, 0, "gzip compression failed");
        got = COMPRESS_OUT_SIZE - w->z.avail_out;
        if (got && w->sink(w->opaque, w->out, got, err) < 0)
            return -1;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : w->z.avail_in == 0 && w->z.avail_out != 0)
            return 0;
    }
}

int
compress_write(struct compress_writer *w, const void *data, size_t n, struct error *err)
{
    const unsigned char *p = data;

    if (!n)
        return 0;
    switch (w->kind) {
    case COMPRESS_ZSTD:
        return zstd_write(w, data, n, err);
    case COMPRESS_GZIP:
        /* zlib counts input in uInt; feed huge buffers in pieces */
        while (n) {
            size_t step = n > (1u << 30) ? (1u << 30) : n;
            if (gzip_run(w, p, step, Z_NO_FLUSH, err) < 0)
                return -1;
            p += step;
            n -= step;
        }
        return 0;
    default:
        return w->sink(w->opaque, data, n, err);
    }
}

int
compress_finish(struct compress_writer *w, struct error *err)
{
    switch (w->kind) {
    case COMPRESS_ZSTD:
        return zstd_finish(w, err);
    case COMPRESS_GZIP:
        return gzip_run(w, NULL, 0, Z_FINISH, err);
    default:
        return 0;
    }
}

void
compress_writer_free(struct compress_writer *w)
{
    if (!w)
        return;
    zpool_free(w->zp);
    if (w->z_live)
        deflateEnd(&w->z);
    free(w->out);
    free(w);
}

int
compress_parse(const char *name, enum compress_kind *out, struct error *err)
{
    if (!strcmp(name, "zstd"))
        *out = COMPRESS_ZSTD;
    else if (!strcmp(name, "gzip"))
        *out = COMPRESS_GZIP;
    else if (!strcmp(name, "none"))
        *out = COMPRESS_NONE;
    else
        return error_input(err, "unknown compression \"%s\" (want zstd, gzip or none)", name);
    return 0;
}

const char *
compress_name(enum compress_kind kind)
{
    switch (kind) {
    case COMPRESS_GZIP:
        return "gzip";
    case COMPRESS_ZSTD:
        return "zstd";
    case COMPRESS_XZ:
        return "xz";
    default:
        return "none";
    }
}

const char *
compress_layer_media_type(enum compress_kind kind)
{
    switch (kind) {
    case COMPRESS_NONE:
        return "application/vnd.oci.image.layer.v1.tar";
    case COMPRESS_GZIP:
        return "application/vnd.oci.image.layer.v1.tar+gzip";
    case COMPRESS_ZSTD:
        return "application/vnd.oci.image.layer.v1.tar+zstd";
    default:
        return NULL;
    }
}

enum compress_kind
compress_detect(const void *head, size_t n)
{
    static const unsigned char gz[] = {0x1f, 0x8b};
    static const unsigned char zs[] = {0x28, 0xb5, 0x2f, 0xfd};
    static const unsigned char xz[] = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00};

    if (n >= sizeof(gz) && !memcmp(head, gz, sizeof(gz)))
        return COMPRESS_GZIP;
    if (n >= sizeof(zs) && !memcmp(head, zs, sizeof(zs)))
        return COMPRESS_ZSTD;
    if (n >= sizeof(xz) && !memcmp(head, xz, sizeof(xz)))
        return COMPRESS_XZ;
    return COMPRESS_NONE;
}

/* ---- decompression ---- */

struct compress_reader {
    enum compress_kind kind;
    compress_source_fn src;
    void *opaque;
    struct error *cb_err; /* where the xz source callback reports */
    int cb_failed;
    unsigned char *in;
    size_t in_pos, in_len;
    int src_eof;
    ZSTD_DCtx *zd;
    int zstd_mid_frame; /* input consumed since the last complete frame */
    z_stream z;
    int z_live, z_ended;
    struct archive *xa;
    int xa_open, xa_eof;
    void *own; /* the source's state when the reader made it (compress_reader_fd) */
};

struct compress_reader *
compress_reader_new(enum compress_kind kind, compress_source_fn src, void *opaque)
{
    struct compress_reader *r = xcalloc(1, sizeof(*r));

    r->kind = kind;
    r->src = src;
    r->opaque = opaque;
    r->in = xmalloc(COMPRESS_IN_SIZE);
    switch (kind) {
    case COMPRESS_ZSTD:
        r->zd = ZSTD_createDCtx();
        if (!r->zd)
            BUG("ZSTD_createDCtx failed");
        break;
    case COMPRESS_GZIP:
        if (inflateInit2(&r->z, 15 + 16) != Z_OK)
            BUG("inflateInit2 failed");
        r->z_live = 1;
        break;
    case COMPRESS_XZ:
        r->xa = archive_read_new();
        if (!r->xa)
            BUG("archive_read_new failed");
        break;
    default:
        break;
    }
    return r;
}

/* Makes input available in r->in; returns 1 with data, 0 at end of input, -1 on error. */
static int
fill(struct compress_reader *r, struct error *err)
{
    ssize_t n;

    if (r->in_pos < r->in_len)
        return 1;
    if (r->src_eof)
        return 0;
    n = r->src(r->opaque, r->in, COMPRESS_IN_SIZE, err);
    if (n < 0)
        return -1;
    r->in_pos = 0;
    r->in_len = (size_t)n;
    if (n == 0)
        r->src_eof = 1;
    return n > 0;
}

static ssize_t
zstd_read(struct compress_reader *r, void *buf, size_t cap, struct error *err)
{
    ZSTD_outBuffer out = {buf, cap, 0};

    while (out.pos == 0) {
        ZSTD_inBuffer in;
        size_t rc;
        int f = fill(r, err);

        if (f < 0)
            return -1;
        if (f == 0 && !r->zstd_mid_frame)
            return 0;
        in.src = r->in;
        in.size = r->in_len;
        in.pos = r->in_pos;
        rc = ZSTD_decompressStream(r->zd, &out, &in);
        if (ZSTD_isError(rc))
            return error_input(err, "corrupt zstd data: %s", ZSTD_getErrorName(rc));
        r->in_pos = in.pos;
        /* rc == 0: a frame ended and all of it was flushed */
        r->zstd_mid_frame = rc != 0;
        if (f == 0 && out.pos == 0 && r->zstd_mid_frame)
            return error_input(err, "truncated zstd stream");
    }
    return (ssize_t)out.pos;
}

static ssize_t
gzip_read(struct compress_reader *r, void *buf, size_t cap, struct error *err)
{
    size_t want = cap > (1u << 30) ? (1u << 30) : cap;

    for (;;) {
        int rc, f;

        f = fill(r, err);
        if (f < 0)
            return -1;
        if (r->z_ended) {
            if (f == 0)
                return 0;
            /* RFC 1952 2.2: a gzip file is a series of members */
            if (inflateReset(&r->z) != Z_OK)
                BUG("inflateReset failed");
            r->z_ended = 0;
        }
        r->z.next_in = r->in + r->in_pos;
        r->z.avail_in = (uInt)(r->in_len - r->in_pos);
        r->z.next_out = buf;
        r->z.avail_out = (uInt)want;
        rc = inflate(&r->z, Z_NO_FLUSH);
        r->in_pos = r->in_len - r->z.avail_in;
        if (rc == Z_STREAM_END)
            r->z_ended = 1;
        else if (rc == Z_BUF_ERROR && f == 0)
            return error_input(err, "truncated gzip stream");
        else if (rc != Z_OK && rc != Z_BUF_ERROR)
            return error_input(err, "corrupt gzip data: %s",
                               r->z.msg ? r->z.msg : "inflate failed");
        if (r->z.avail_out != want)
            return (ssize_t)(want - r->z.avail_out);
    }
}

static la_ssize_t
xz_source(struct archive *a, void *opaque, const void **out)
{
    struct compress_reader *r = opaque;
    ssize_t n;

    (void)a;
    n = r->src(r->opaque, r->in, COMPRESS_IN_SIZE, r->cb_err);
    if (n < 0) {
        r->cb_failed = 1;
        return -1;
    }
    *out = r->in;
    return n;
}

static ssize_t
xz_fail(struct compress_reader *r, struct error *err)
{
    if (r->cb_failed)
        return -1;
    return error_input(err, "corrupt xz data: %s", archive_error_string(r->xa));
}

static ssize_t
xz_read(struct compress_reader *r, void *buf, size_t cap, struct error *err)
{
    la_ssize_t n;

    /* libarchive's "raw" format with the xz filter is a plain xz decoder */
    r->cb_err = err;
    if (!r->xa_open) {
        struct archive_entry *e;

        r->xa_open = 1;
        if (archive_read_support_filter_xz(r->xa) != ARCHIVE_OK ||
            archive_read_support_format_raw(r->xa) != ARCHIVE_OK)
            return error_set(err, 0, "libarchive without xz support");
        if (archive_read_open(r->xa, r, NULL, xz_source, NULL) != ARCHIVE_OK ||
            archive_read_next_header(r->xa, &e) != ARCHIVE_OK)
            return xz_fail(r, err);
    }
    if (r->xa_eof)
        return 0;
    n = archive_read_data(r->xa, buf, cap);
    if (n < 0)
        return xz_fail(r, err);
    if (n == 0)
        r->xa_eof = 1;
    return n;
}

ssize_t
compress_read(struct compress_reader *r, void *buf, size_t cap, struct error *err)
{
    switch (r->kind) {
    case COMPRESS_ZSTD:
        return zstd_read(r, buf, cap, err);
    case COMPRESS_GZIP:
        return gzip_read(r, buf, cap, err);
    case COMPRESS_XZ:
        return xz_read(r, buf, cap, err);
    default:
        if (r->in_pos < r->in_len) {
            size_t n = r->in_len - r->in_pos < cap ? r->in_len - r->in_pos : cap;
            memcpy(buf, r->in + r->in_pos, n);
            r->in_pos += n;
            return (ssize_t)n;
        }
        return r->src(r->opaque, buf, cap, err);
    }
}

void
compress_reader_free(struct compress_reader *r)
{
    if (!r)
        return;
    ZSTD_freeDCtx(r->zd);
    if (r->z_live)
        inflateEnd(&r->z);
    if (r->xa)
        archive_read_free(r->xa);
    free(r->in);
    free(r->own);
    free(r);
}

/* compress_reader_fd's source: the sniffed head again, then the rest of the fd */
struct compress_fd_source {
    int fd;
    unsigned char head[COMPRESS_DETECT_LEN];
    size_t head_len, head_off;
    struct digest_ctx *raw;
};

static ssize_t
compress_fd_read(void *opaque, void *buf, size_t cap, struct error *err)
{
    struct compress_fd_source *s = opaque;
    ssize_t r;

    if (s->head_off < s->head_len) {
        size_t n = s->head_len - s->head_off < cap ? s->head_len - s->head_off : cap;
        memcpy(buf, s->head + s->head_off, n);
        s->head_off += n;
        return (ssize_t)n;
    }
    do
        r = read(s->fd, buf, cap);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return error_set(err, errno, "read");
    if (s->raw)
        digest_update(s->raw, buf, (size_t)r);
    return r;
}

struct compress_reader *
compress_reader_fd(int fd, struct digest_ctx *raw, const char *what, struct error *err)
{
    struct compress_fd_source *s = xcalloc(1, sizeof(*s));
    struct compress_reader *r;

    s->fd = fd;
    s->raw = raw;
    while (s->head_len < sizeof(s->head)) {
        ssize_t n = read(fd, s->head + s->head_len, sizeof(s->head) - s->head_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error_set(err, errno, "%s: read", what);
            free(s);
            return NULL;
        }
        if (n == 0)
            break;
        s->head_len += (size_t)n;
    }
    if (raw)
        digest_update(raw, s->head, s->head_len);
    r = compress_reader_new(compress_detect(s->head, s->head_len), compress_fd_read, s);
    r->own = s;
    return r;
}
