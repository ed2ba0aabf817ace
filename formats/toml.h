#ifndef STRATA_FORMATS_TOML_H
#define STRATA_FORMATS_TOML_H

/*
 * A reader for the part of TOML v1.0.0 that containers-registries.conf(5)
 * files use, into a cJSON tree (Debian packages no C TOML library):
 *
 *   - comments ('#' to the end of the line) and blank lines;
 *   - table headers [a], [a.b] and array-of-tables headers [[a]], [[a.b]]
 *     (TOML "Table" and "Array of Tables"), keys bare or quoted;
 *   - key = value with a bare or quoted key (no dotted keys);
 *   - values: basic strings "..." (escapes \" \\ \b \t \n \f \r \uXXXX
 *     \UXXXXXXXX), literal strings '...', true, false, and arrays of those
 *     (across lines, with comments and a trailing comma).
 *
 * Anything else (numbers, dates, inline tables, multi-line strings, dotted
 * keys, a key or table defined twice) is refused with "file:line: ...".
 * Tables become objects, arrays of tables arrays of objects. Each item's
 * valueint holds the line it was defined on (TOML numbers are not read, so
 * the field is otherwise unused); toml_line() returns it.
 */

#include <cjson/cJSON.h>
#include <stddef.h>

#include "formats/core/error.h"

/* Parses len bytes of text; file names it in errors. Returns a new object or NULL. */
cJSON *toml_parse(const char *text, size_t len, const char *file, struct error *err);

/* The line item was defined on (1-based), 0 when unknown. */
int toml_line(const cJSON *item);

#endif
