#include "formats/core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "formats/core/banned.h"

void
error_init(struct error *err)
{
    err->exit_code = 0;
    err->sys_errno = 0;
    err->kind = ERROR_GENERIC;
    err->msg[0] = '\0';
}

__attribute__((format(printf, 4, 0))) static void
error_vfill(struct error *err, int code, int sys_errno, const char *fmt, va_list ap)
{
    err->exit_code = code;
    err->sys_errno = sys_errno;
    err->kind = ERROR_GENERIC;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
error_set(struct error *err, int sys_errno, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vfill(err, 1, sys_errno, fmt, ap);
    va_end(ap);
    return -1;
}

int
error_input(struct error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vfill(err, 2, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int
error_kind(struct error *err, enum error_kind k)
{
    err->kind = k;
    return -1;
}

int
error_wrap(struct error *err, const char *fmt, ...)
{
    char ctx[ERROR_MSG_LEN];
    char old[ERROR_MSG_LEN];
    va_list ap;
    size_t rest, n;

    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);

    memcpy(old, err->msg, sizeof(old));
    n = strlen(ctx);
    if (n > sizeof(err->msg) - 3)
        n = sizeof(err->msg) - 3;
    memcpy(err->msg, ctx, n);
    memcpy(err->msg + n, ": ", 2);
    n += 2;
    rest = strnlen(old, sizeof(old) - 1);
    if (rest > sizeof(err->msg) - 1 - n)
        rest = sizeof(err->msg) - 1 - n;
    memcpy(err->msg + n, old, rest);
    err->msg[n + rest] = '\0';
    if (err->exit_code == 0)
        err->exit_code = 1;
    return -1;
}

void
error_format(const struct error *err, char *out, unsigned long n)
{
    if (err->sys_errno)
        snprintf(out, n, "%s: %s", err->msg, strerror(err->sys_errno));
    else
        snprintf(out, n, "%s", err->msg);
}
