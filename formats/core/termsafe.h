#ifndef STRATA_FORMATS_CORE_TERMSAFE_H
#define STRATA_FORMATS_CORE_TERMSAFE_H

/*
 * Text from recipes, RUN steps and images on its way to a terminal: a byte
 * that a terminal would obey rather than show (ESC starting an escape
 * sequence, the other C0 controls but tab and newline, DEL, the C1 controls
 * U+0080..U+009F and, for terminals in an 8-bit mode, the raw bytes
 * 0x80..0x9f that are not part of valid UTF-8) is written as visible text,
 * so a step cannot retitle the window, move the cursor, rewrite earlier
 * lines or talk to the terminal (ECMA-48 section 5; the attacks of
 * CVE-2003-0063 and the kubectl/docker log escapes). Valid UTF-8 otherwise
 * passes unchanged.
 */

#include <stddef.h>

#include "formats/core/buf.h"

/* Appends n bytes of s to out, each unsafe byte as "\xNN" (ESC is "\x1b"). */
void termsafe_add(struct buf *out, const char *s, size_t n);

/*
 * The same for JSON text (cJSON already escapes C0): DEL and C1 become
 * "\u007f".."\u009f" and bytes that are not UTF-8 "\ufffd", so the output
 * stays valid JSON.
 */
void termsafe_add_json(struct buf *out, const char *s, size_t n);

/* Returns 1 when s (n bytes) holds nothing that termsafe_add would change. */
int termsafe_is_clean(const char *s, size_t n);

#endif
