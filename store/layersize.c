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

/* Decompresses the blob (by its magic) and counts the bytes. */
static int
layersize_measure(const struct store *s, const char *digest, long long *out, struct error *err)
{
    cleanup_close int fd = blob_open(s, digest, err);
    cleanup_free char *buf = NULL;
    char what[DIGEST_STR_LEN + 8];
    struct compress_reader *r;
    long long total = 0;
    ssize_t n;

    if (fd < 0)
        return error_wrap(err, "layer %s", digest);
    snprintf(what, sizeof(what), "layer %s", digest);
    if (!(r = compress_reader_fd(fd, NULL, what, err)))
        return -1;
    buf = xmalloc(1 << 20);
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
