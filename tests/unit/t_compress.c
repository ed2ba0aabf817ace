#include "formats/compress.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/digest.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

static int
sink_buf(void *opaque, const void *data, size_t n, struct error *err)
{
    (void)err;
    buf_add(opaque, data, n);
    return 0;
}

/* Deterministic test input: half pseudo-random bytes, half repetitive text. */
static void
make_input(struct buf *b, size_t n)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t i;

    buf_grow(b, n);
    for (i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b->data[i] = (i / 65536) % 2 ? (char)x : "the quick brown fox "[i % 20];
    }
    b->len = n;
}

static void
compress_all(enum compress_kind kind, int level, int threads, const struct buf *in, size_t chunk,
             struct buf *out)
{
    struct error err;
    struct compress_writer *w = compress_writer_new(kind, level, threads, sink_buf, out);
    size_t off;

    error_init(&err);
    for (off = 0; off < in->len; off += chunk) {
        size_t n = in->len - off < chunk ? in->len - off : chunk;
        CHECK_OK(compress_write(w, in->data + off, n, &err), err);
    }
    CHECK_OK(compress_finish(w, &err), err);
    compress_writer_free(w);
}

struct mem_src {
    const unsigned char *p;
    size_t len, pos, step;
};

static ssize_t
mem_source(void *opaque, void *buf, size_t cap, struct error *err)
{
    struct mem_src *s = opaque;
    size_t n = s->len - s->pos;

    (void)err;
    if (n > cap)
        n = cap;
    if (n > s->step)
        n = s->step;
    memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    return (ssize_t)n;
}

/* Decompresses data into out; returns compress_read's final result (0 or -1). */
static int
decompress_all(const void *data, size_t n, struct buf *out, struct error *err)
{
    struct mem_src s = {data, n, 0, 7777};
    enum compress_kind kind = compress_detect(data, n);
    struct compress_reader *r = compress_reader_new(kind, mem_source, &s);
    char tmp[50000];
    ssize_t got;

    while ((got = compress_read(r, tmp, sizeof(tmp), err)) > 0)
        buf_add(out, tmp, (size_t)got);
    compress_reader_free(r);
    return got < 0 ? -1 : 0;
}

TEST(compress_roundtrip_all_kinds)
{
    static const enum compress_kind kinds[] = {COMPRESS_NONE, COMPRESS_GZIP, COMPRESS_ZSTD};
    cleanup_buf struct buf in = BUF_INIT;
    size_t i;

    make_input(&in, 3 * 1000 * 1000 + 17);
    for (i = 0; i < 3; i++) {
        cleanup_buf struct buf c = BUF_INIT;
        cleanup_buf struct buf d = BUF_INIT;
        struct error err;

        error_init(&err);
        compress_all(kinds[i], 0, 2, &in, 100000, &c);
        CHECK_INT(compress_detect(c.data, c.len), kinds[i]);
        CHECK_OK(decompress_all(c.data, c.len, &d, &err), err);
        CHECK_INT(d.len, in.len);
        CHECK(d.len == in.len && !memcmp(d.data, in.data, in.len));
        if (kinds[i] != COMPRESS_NONE)
            CHECK(c.len < in.len);
    }
}

TEST(compress_zstd_same_bytes_for_1_and_2_threads)
{
    cleanup_buf struct buf in = BUF_INIT;
    cleanup_buf struct buf ref = BUF_INIT;
    static const int threads[] = {1, 2, 4, 0, 1, 2, 1, 2};
    static const size_t chunks[] = {1 << 20, 1 << 20, 12345, 1 << 20, 4096, 3 << 20, 1 << 20, 1};
    size_t i;

    /* ten frames; repeated runs, since a timing-dependent difference would show only sometimes */
    make_input(&in, 10 * COMPRESS_ZSTD_FRAME - 1000);
    compress_all(COMPRESS_ZSTD, 3, 1, &in, 1 << 20, &ref);
    for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
        cleanup_buf struct buf b = BUF_INIT;

        compress_all(COMPRESS_ZSTD, 3, threads[i], &in, chunks[i] > 1 ? chunks[i] : in.len, &b);
        if (b.len != ref.len || memcmp(b.data, ref.data, ref.len))
            harness_fail(__FILE__, __LINE__, "threads %d, chunk %zu: %zu bytes, expected %zu",
                         threads[i], chunks[i], b.len, ref.len);
    }
    /* no content checksum: frame header descriptor bit 2 is clear */
    CHECK((ref.data[4] & 0x04) == 0);
}

struct zstd_nothreads {
    const struct buf *in, *ref;
};

/* In a child that cannot start threads: the writer compresses each frame itself. */
static int
zstd_nothreads(void *arg)
{
    const struct zstd_nothreads *z = arg;
    struct buf b = BUF_INIT;
    struct error err;
    struct compress_writer *w = compress_writer_new(COMPRESS_ZSTD, 3, 2, sink_buf, &b);

    error_init(&err);
    if (compress_write(w, z->in->data, z->in->len, &err) < 0 || compress_finish(w, &err) < 0) {
        fprintf(stderr, "zstd without threads: %s\n", err.msg);
        return 1;
    }
    compress_writer_free(w);
    if (b.len != z->ref->len || memcmp(b.data, z->ref->data, b.len)) {
        fprintf(stderr, "zstd without threads: %zu bytes, not the %zu of a pool\n", b.len,
                z->ref->len);
        return 2;
    }
    buf_release(&b);
    return 0;
}

TEST(compress_zstd_without_threads_same_bytes)
{
    cleanup_buf struct buf in = BUF_INIT;
    cleanup_buf struct buf ref = BUF_INIT;
    struct zstd_nothreads z = {&in, &ref};

    make_input(&in, 3 * COMPRESS_ZSTD_FRAME + 77);
    compress_all(COMPRESS_ZSTD, 3, 2, &in, 1 << 20, &ref);
    harness_without_threads(zstd_nothreads, &z);
}

TEST(compress_gzip_deterministic_header)
{
    cleanup_buf struct buf in = BUF_INIT;
    cleanup_buf struct buf a = BUF_INIT;
    cleanup_buf struct buf b = BUF_INIT;
    static const unsigned char head[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0};

    make_input(&in, 1000 * 1000);
    compress_all(COMPRESS_GZIP, 0, 0, &in, 4096, &a);
    compress_all(COMPRESS_GZIP, 0, 0, &in, 99999, &b);
    CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
    /* RFC 1952: no flags, mtime 0, then XFL and OS 255 */
    CHECK(!memcmp(a.data, head, sizeof(head)));
    CHECK_INT((unsigned char)a.data[9], 255);
}

TEST(compress_empty_input)
{
    static const enum compress_kind kinds[] = {COMPRESS_GZIP, COMPRESS_ZSTD};
    size_t i;

    for (i = 0; i < 2; i++) {
        cleanup_buf struct buf in = BUF_INIT;
        cleanup_buf struct buf c = BUF_INIT;
        cleanup_buf struct buf d = BUF_INIT;
        struct error err;

        error_init(&err);
        compress_all(kinds[i], 0, 1, &in, 1, &c);
        CHECK(c.len > 0);
        CHECK_OK(decompress_all(c.data, c.len, &d, &err), err);
        CHECK_INT(d.len, 0);
    }
}

TEST(compress_truncated_and_corrupt)
{
    static const enum compress_kind kinds[] = {COMPRESS_GZIP, COMPRESS_ZSTD};
    cleanup_buf struct buf in = BUF_INIT;
    size_t i;

    make_input(&in, 500000);
    for (i = 0; i < 2; i++) {
        cleanup_buf struct buf c = BUF_INIT;
        cleanup_buf struct buf d = BUF_INIT;
        struct error err;

        error_init(&err);
        compress_all(kinds[i], 0, 1, &in, 65536, &c);
        CHECK_FAIL(decompress_all(c.data, c.len - 5, &d, &err), err, "truncated");
        CHECK_INT(err.exit_code, 2);
        buf_reset(&d);
        /* gzip's CRC catches a flipped byte; zstd (no checksum) needs a bad header */
        if (kinds[i] == COMPRESS_GZIP)
            c.data[c.len / 2] ^= 0x55;
        else
            c.data[4] |= 0x08; /* reserved frame header bit */
        CHECK_FAIL(decompress_all(c.data, c.len, &d, &err), err, "corrupt");
        CHECK_INT(err.exit_code, 2);
    }
}

TEST(compress_gzip_multi_member_and_zstd_multi_frame)
{
    static const enum compress_kind kinds[] = {COMPRESS_GZIP, COMPRESS_ZSTD};
    size_t i;

    for (i = 0; i < 2; i++) {
        cleanup_buf struct buf a = BUF_INIT;
        cleanup_buf struct buf c = BUF_INIT;
        cleanup_buf struct buf d = BUF_INIT;
        struct error err;

        error_init(&err);
        buf_adds(&a, "hello ");
        compress_all(kinds[i], 0, 1, &a, 100, &c);
        buf_reset(&a);
        buf_adds(&a, "world");
        compress_all(kinds[i], 0, 1, &a, 100, &c);
        CHECK_OK(decompress_all(c.data, c.len, &d, &err), err);
        CHECK_STR(buf_cstr(&d), "hello world");
    }
}

TEST(compress_xz_read)
{
    cleanup_buf struct buf in = BUF_INIT;
    cleanup_buf struct buf d = BUF_INIT;
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    size_t cap = 4 << 20, used = 0;
    cleanup_free char *xz = xmalloc(cap);
    struct error err;

    error_init(&err);
    make_input(&in, 1 << 20);
    CHECK_INT(archive_write_add_filter_xz(a), ARCHIVE_OK);
    CHECK_INT(archive_write_set_format_raw(a), ARCHIVE_OK);
    CHECK_INT(archive_write_open_memory(a, xz, cap, &used), ARCHIVE_OK);
    archive_entry_set_filetype(e, AE_IFREG);
    CHECK_INT(archive_write_header(a, e), ARCHIVE_OK);
    CHECK_INT(archive_write_data(a, in.data, in.len), (long long)in.len);
    CHECK_INT(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    CHECK_INT(compress_detect(xz, used), COMPRESS_XZ);
    CHECK_OK(decompress_all(xz, used, &d, &err), err);
    CHECK(d.len == in.len && !memcmp(d.data, in.data, in.len));
    buf_reset(&d);
    CHECK_FAIL(decompress_all(xz, used / 2, &d, &err), err, "xz");
}

TEST(compress_names_and_media_types)
{
    enum compress_kind k;
    struct error err;

    error_init(&err);
    CHECK_OK(compress_parse("zstd", &k, &err), err);
    CHECK_INT(k, COMPRESS_ZSTD);
    CHECK_OK(compress_parse("gzip", &k, &err), err);
    CHECK_INT(k, COMPRESS_GZIP);
    CHECK_OK(compress_parse("none", &k, &err), err);
    CHECK_INT(k, COMPRESS_NONE);
    CHECK_FAIL(compress_parse("xz", &k, &err), err, "unknown compression \"xz\"");
    CHECK_INT(err.exit_code, 2);
    CHECK_STR(compress_name(COMPRESS_ZSTD), "zstd");
    CHECK_STR(compress_layer_media_type(COMPRESS_NONE), "application/vnd.oci.image.layer.v1.tar");
    CHECK_STR(compress_layer_media_type(COMPRESS_GZIP),
              "application/vnd.oci.image.layer.v1.tar+gzip");
    CHECK_STR(compress_layer_media_type(COMPRESS_ZSTD),
              "application/vnd.oci.image.layer.v1.tar+zstd");
    CHECK(compress_layer_media_type(COMPRESS_XZ) == NULL);
    CHECK_INT(compress_detect("", 0), COMPRESS_NONE);
    CHECK_INT(compress_detect("\x1f", 1), COMPRESS_NONE);
}
