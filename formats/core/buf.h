#ifndef STRATA_FORMATS_CORE_BUF_H
#define STRATA_FORMATS_CORE_BUF_H

/*
 * A growable byte buffer that is always NUL-terminated (like git's strbuf).
 * A zeroed struct buf is a valid empty buffer: `struct buf b = BUF_INIT;`.
 */

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* NULL until the first append; see buf_cstr() */
    size_t len;
    size_t alloc;
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_init(struct buf *b);
/* Frees the contents and leaves b empty and reusable. Accepts a zeroed buf. */
void buf_release(struct buf *b);
/* Makes room for n more bytes. */
void buf_grow(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Sets the length to 0 and keeps the allocation. */
void buf_reset(struct buf *b);
/* Returns the contents as a C string ("" when empty); stays owned by b. */
const char *buf_cstr(const struct buf *b);
/* Hands over the contents as a malloc'ed string and leaves b empty. */
char *buf_detach(struct buf *b);

static inline void
buf_cleanup(struct buf *b)
{
    buf_release(b);
}
#define cleanup_buf __attribute__((cleanup(buf_cleanup)))

#endif
