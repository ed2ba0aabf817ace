#ifndef STRATA_FORMATS_CORE_UNITS_H
#define STRATA_FORMATS_CORE_UNITS_H

/*
 * The number formats of the command line and the environment, each parsed
 * by one function: sizes, durations, and SOURCE_DATE_EPOCH.
 */

#include "formats/core/error.h"

/*
 * Parses a size with docker's units: a number (fractions allowed) and an
 * optional unit, case-insensitive: B, kB/MB/GB/TB (1000-based; also k, m, g,
 * t) or KiB/MiB/GiB/TiB (1024-based). "500MB", "1.5g", "64m". Fails with an
 * input error naming the text.
 */
int units_parse_size(const char *s, long long *out, struct error *err);

/*
 * Parses a duration: numbers with units ms, s, m, h or d, summed ("1h30m",
 * "7d", "0.5s"), or a bare "0"; into whole seconds.
 */
int units_parse_duration(const char *s, long long *out, struct error *err);

/* Parses a SOURCE_DATE_EPOCH value: decimal seconds since 1970, not negative. */
int units_parse_epoch(const char *s, long long *out, struct error *err);

/*
 * Reads $SOURCE_DATE_EPOCH: 0 with *out set, 1 when it is unset or empty,
 * -1 when it is not a valid epoch (an input error naming the variable).
 */
int units_source_date_epoch(long long *out, struct error *err);

#endif
