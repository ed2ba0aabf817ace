#include "formats/core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int log_level = 1;

void
log_warn(const char *fmt, ...)
{
    va_list ap;

    if (log_level < 1)
        return;
    fputs("strata: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void
log_debug(const char *fmt, ...)
{
    va_list ap;

    if (log_level < 2)
        return;
    fputs("strata: debug: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

double
log_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void
log_human_size(long long n, char *out, unsigned long len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    int u = 0;

    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(out, len, "%lldB", n);
    else
        snprintf(out, len, "%.3g%s", v, units[u]);
}
