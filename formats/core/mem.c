#include "formats/core/mem.h"

#include <stdarg.h>

#include "formats/core/banned.h"

static void
mem_oom(void)
{
    static const char msg[] = "strata: out of memory\n";
    ssize_t r = write(2, msg, sizeof(msg) - 1);
    (void)r;
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        mem_oom();
    return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        mem_oom();
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        mem_oom();
    return q;
}

char *
xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        mem_oom();
    return p;
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        mem_oom();
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *out = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (n < 0)
        mem_oom();
    return out;
}

void *
xgrow(void *arr, size_t elem, size_t need, size_t *alloc)
{
    size_t n;

    if (need <= *alloc)
        return arr;
    n = *alloc ? *alloc : 8;
    while (n < need)
        n *= 2;
    arr = xrealloc(arr, n * elem);
    *alloc = n;
    return arr;
}

void
mem_bug(const char *file, int line, const char *msg)
{
    fprintf(stderr, "strata: BUG at %s:%d: %s\n", file, line, msg);
    abort();
}
