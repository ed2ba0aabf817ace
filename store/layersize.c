#include "store/layersize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/compress.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/blob.h"

#include "formats/core/banned.h"

#define LAYERSIZE_FILE "cache/layer-sizes"
#define LAYERSIZE_MAX (16u << 20)

void
layersize_release(struct layersize *m)
{
    if (!m)
        return;
    buf_release(&m->text);
    m->loaded = 0;
}

static int
layersize_lookup(const struct layersize *m, const char *hex, long long *out)
{
    const char *p = buf_cstr(&m->text);
    size_t hl = strlen(hex);

    while (p && *p) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break; /* a torn last line */
        if ((size_t)(nl - p) > hl + 1 && !strncmp(p, hex, hl) && p[hl] == ' ') {
            char *end;
            long long v = strtoll(p + hl + 1, &end, 10);
            if (end == nl && v >= 0) {
                *out = v;
                return 1;
            }
        }
        p = nl + 1;
    }
    return 0;
}

struct layersize_src {
    int fd;
    unsigned char head[COMPRESS_DETECT_LEN];
    size_t head_len, head_off;
};

static ssize_t
layersize_read(void *opaque, void *buf, size_t cap, struct error *err)
{
    struct layersize_src *s = opaque;
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
    return r;
}

/* Decompresses the blob (by its magic) and counts the bytes. */
static int
layersize_measure(const struct store *s, const char *digest, long long *out, struct error *err)
{
    struct layersize_src src = {blob_open(s, digest, err), {0}, 0, 0};
    cleanup_close int fd = src.fd;
    cleanup_free char *buf = NULL;
    struct compress_reader *r;
    long long total = 0;
    ssize_t n;

    if (fd < 0)
        return error_wrap(err, "layer %s", digest);
    do
        n = read(fd, src.head, sizeof(src.head));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return error_set(err, errno, "layer %s: read", digest);
    src.head_len = (size_t)n;
    buf = xmalloc(1 << 20);
    r = compress_reader_new(compress_detect(src.head, src.head_len), layersize_read, &src);
    while ((n = compress_read(r, buf, 1 << 20, err)) > 0)
        total += n;
    compress_reader_free(r);
    if (n < 0)
        return error_wrap(err, "layer %s", digest);
    *out = total;
    return 0;
}

int
layersize_get(struct layersize *m, const struct store *s, const char *digest, long long *out,
              struct error *err)
{
    const char *hex = digest_hex(digest);
    struct error ignored;
    char line[DIGEST_HEX_LEN + 32];
    int fd, len;

    if (!m->loaded) {
        error_init(&ignored);
        if (fs_read_file_max(s->root_fd, LAYERSIZE_FILE, LAYERSIZE_MAX, &m->text, &ignored) < 0)
            buf_reset(&m->text);
        m->loaded = 1;
    }
    if (layersize_lookup(m, hex, out))
        return 0;
    if (layersize_measure(s, digest, out, err) < 0)
        return -1;
    len = snprintf(line, sizeof(line), "%s %lld\n", hex, *out);
    buf_add(&m->text, line, (size_t)len);
    /* one write(2) of a whole line with O_APPEND: concurrent commands do not interleave */
    fd = openat(s->root_fd, LAYERSIZE_FILE, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)len);
        (void)w; /* a lost line only costs a later measurement */
        close(fd);
    }
    return 0;
}
