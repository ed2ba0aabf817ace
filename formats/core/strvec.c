#include "formats/core/strvec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"

#include "formats/core/banned.h"

static char *strvec_empty[] = {NULL};

void
strvec_init(struct strvec *sv)
{
    sv->v = NULL;
    sv->n = 0;
    sv->alloc = 0;
}

void
strvec_release(struct strvec *sv)
{
    size_t i;

    for (i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    strvec_init(sv);
}

void
strvec_push_owned(struct strvec *sv, char *s)
{
    sv->v = xgrow(sv->v, sizeof(*sv->v), sv->n + 2, &sv->alloc);
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void
strvec_push(struct strvec *sv, const char *s)
{
    strvec_push_owned(sv, xstrdup(s));
}

void
strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        BUG("vasprintf");
    va_end(ap);
    strvec_push_owned(sv, s);
}

char **
strvec_argv(struct strvec *sv)
{
    return sv->v ? sv->v : strvec_empty;
}

void
strvec_copy(struct strvec *dst, const struct strvec *src)
{
    size_t i;

    for (i = 0; i < src->n; i++)
        strvec_push(dst, src->v[i]);
}

static long
strvec_find_key(const struct strvec *sv, const char *key)
{
    size_t kl = strlen(key), i;

    for (i = 0; i < sv->n; i++)
        if (!strncmp(sv->v[i], key, kl) && sv->v[i][kl] == '=')
            return (long)i;
    return -1;
}

const char *
strvec_getenv(const struct strvec *sv, const char *key)
{
    long i = strvec_find_key(sv, key);

    return i < 0 ? NULL : sv->v[i] + strlen(key) + 1;
}

void
strvec_setenv(struct strvec *sv, const char *key, const char *value)
{
    long i = strvec_find_key(sv, key);

    if (i < 0) {
        strvec_pushf(sv, "%s=%s", key, value);
        return;
    }
    free(sv->v[i]);
    sv->v[i] = xasprintf("%s=%s", key, value);
}
