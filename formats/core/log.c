#include "formats/core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "formats/core/buf.h"
#include "formats/core/termsafe.h"

#include "formats/core/banned.h"

int log_level = 1;

/* Messages quote untrusted text (names from archives, registry answers): escape controls. */
__attribute__((format(printf, 2, 0))) static void
log_line(const char *tag, const char *fmt, va_list ap)
{
    struct buf raw = BUF_INIT, safe = BUF_INIT;

    buf_vaddf(&raw, fmt, ap);
    termsafe_add(&safe, buf_cstr(&raw), raw.len);
    fprintf(stderr, "strata: %s: %s\n", tag, buf_cstr(&safe));
    buf_release(&raw);
    buf_release(&safe);
}

void
log_warn(const char *fmt, ...)
{
    va_list ap;

    if (log_level < 1)
        return;
    va_start(ap, fmt);
    log_line("warning", fmt, ap);
    va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
    va_list ap;

    if (log_level < 2)
        return;
    va_start(ap, fmt);
    log_line("debug", fmt, ap);
    va_end(ap);
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
