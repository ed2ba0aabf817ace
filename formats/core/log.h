#ifndef STRATA_FORMATS_CORE_LOG_H
#define STRATA_FORMATS_CORE_LOG_H

/* Diagnostics for the user on stderr, prefixed "strata: ". */

/* 0 quiet, 1 normal, 2 verbose (STRATA_DEBUG=1). */
extern int log_level;

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats a byte count the way docker does ("1.23MB", 1000-based) into out. */
void log_human_size(long long n, char *out, unsigned long len);

/* Monotonic clock in milliseconds (for durations shown to the user). */
double log_now_ms(void);

#endif
