#ifndef STRATA_FORMATS_CORE_LOG_H
#define STRATA_FORMATS_CORE_LOG_H

/* Diagnostics for the user on stderr, prefixed "strata: ". */

/* 0 quiet, 1 normal, 2 verbose (STRATA_DEBUG=1). */
extern int log_level;

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic clock in milliseconds (for durations shown to the user). */
double log_now_ms(void);

#endif
