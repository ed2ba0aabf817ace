/*
 * The number formats of the command line and the environment, parsed in one
 * place: sizes (docker's units), durations, and SOURCE_DATE_EPOCH.
 */
#include "formats/core/units.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/core/banned.h"

/*
 * Reads "<digits>[.<digits>]" at *p as a fraction-exact pair: the value is
 * whole + frac / scale. Returns 0 when at least one digit was read.
 */
static int
units_number(const char **p, unsigned long long *whole, unsigned long long *frac,
             unsigned long long *scale)
{
    const char *s = *p;
    int digits = 0;

    *whole = 0;
    *frac = 0;
    *scale = 1;
    for (; isdigit((unsigned char)*s); s++, digits++) {
        if (*whole > 1000000000000000ULL)
            return -1; /* far beyond any store */
        *whole = *whole * 10 + (unsigned long long)(*s - '0');
    }
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s); s++, digits++) {
            if (*scale < 1000000000ULL) { /* nine decimals are plenty */
                *frac = *frac * 10 + (unsigned long long)(*s - '0');
                *scale *= 10;
            }
        }
    }
    *p = s;
    return digits ? 0 : -1;
}

struct units_unit {
    const char *name;
    unsigned long long mult;
};

/* docker's units: 1000-based kB/MB/GB (also k, K, KB, M, G), 1024-based KiB/MiB/GiB. */
static const struct units_unit units_size[] = {
    {"", 1},
    {"b", 1},
    {"k", 1000ULL},
    {"kb", 1000ULL},
    {"m", 1000000ULL},
    {"mb", 1000000ULL},
    {"g", 1000000000ULL},
    {"gb", 1000000000ULL},
    {"t", 1000000000000ULL},
    {"tb", 1000000000000ULL},
    {"ki", 1ULL << 10},
    {"kib", 1ULL << 10},
    {"mi", 1ULL << 20},
    {"mib", 1ULL << 20},
    {"gi", 1ULL << 30},
    {"gib", 1ULL << 30},
    {"ti", 1ULL << 40},
    {"tib", 1ULL << 40},
    {NULL, 0},
};

int
units_parse_size(const char *s, long long *out, struct error *err)
{
    const char *p = s;
    unsigned long long whole, frac, scale;
    size_t i;

    if (units_number(&p, &whole, &frac, &scale) < 0)
        return error_input(err,
                           "invalid size \"%s\" (want a number with an optional unit: "
                           "B, kB, MB, GB, KiB, MiB, GiB, e.g. 500MB)",
                           s);
    for (i = 0; units_size[i].name; i++) {
        unsigned long long m = units_size[i].mult;
        if (strcasecmp(p, units_size[i].name) != 0)
            continue;
        if (whole > (unsigned long long)(1ULL << 62) / m)
            return error_input(err, "invalid size \"%s\": too large", s);
        *out = (long long)(whole * m + (unsigned long long)((long double)frac * m / scale));
        return 0;
    }
    return error_input(err,
                       "invalid size \"%s\": unknown unit \"%s\" (use B, kB, MB, GB, KiB, "
                       "MiB or GiB)",
                       s, p);
}

static const struct units_unit units_duration[] = {
    {"ms", 0}, /* milliseconds: handled as a fraction below */
    {"s", 1},  {"m", 60}, {"h", 3600}, {"d", 86400}, {NULL, 0},
};

int
units_parse_duration(const char *s, long long *out, struct error *err)
{
    const char *p = s;
    long double total = 0;

    if (!strcmp(s, "0")) { /* Go accepts a bare 0 */
        *out = 0;
        return 0;
    }
    if (!*s)
        return error_input(err, "invalid duration \"\" (want e.g. 24h, 30m, 7d)");
    while (*p) {
        unsigned long long whole, frac, scale;
        size_t i, best = 0, bestlen = 0;

        if (units_number(&p, &whole, &frac, &scale) < 0)
            return error_input(err, "invalid duration \"%s\" (want e.g. 24h, 30m, 1h30m, 7d)", s);
        /* longest unit name that matches ("ms" before "m") */
        for (i = 0; units_duration[i].name; i++) {
            size_t l = strlen(units_duration[i].name);
            if (l > bestlen && !strncmp(p, units_duration[i].name, l)) {
                best = i;
                bestlen = l;
            }
        }
        if (!bestlen)
            return error_input(err, "invalid duration \"%s\": %s unit (use h, m, s or d)", s,
                               *p ? "unknown" : "missing");
        if (!strcmp(units_duration[best].name, "ms"))
            total += ((long double)whole + (long double)frac / scale) / 1000;
        else
            total += ((long double)whole + (long double)frac / scale) * units_duration[best].mult;
        p += bestlen;
    }
    if (total > 1e15)
        return error_input(err, "invalid duration \"%s\": too large", s);
    *out = (long long)total;
    return 0;
}

int
units_parse_epoch(const char *s, long long *out, struct error *err)
{
    char *end;
    long long n;

    /* reproducible-builds.org, SOURCE_DATE_EPOCH: a decimal count of seconds since the epoch */
    errno = 0;
    n = strtoll(s, &end, 10);
    if (!*s || *end || errno || n < 0 || !isdigit((unsigned char)*s))
        return error_input(err, "invalid source date epoch \"%s\" (want seconds since 1970)", s);
    *out = n;
    return 0;
}

int
units_source_date_epoch(long long *out, struct error *err)
{
    const char *v = getenv("SOURCE_DATE_EPOCH");

    if (!v || !*v)
        return 1;
    if (units_parse_epoch(v, out, err) < 0)
        return error_wrap(err, "SOURCE_DATE_EPOCH");
    return 0;
}
