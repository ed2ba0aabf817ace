#ifndef STRATA_BUILDER_ENGINE_HISTORY_H
#define STRATA_BUILDER_ENGINE_HISTORY_H

/*
 * The pieces of the image history texts ("created_by") BuildKit writes
 * (dockerfile2llb's commitToHistory callers), which print Go values with
 * fmt: "CMD %q" of a []string, "SHELL %v" of a []string, "HEALTHCHECK %q" of
 * the health config. These append the same text to a buf.
 */

#include "formats/core/buf.h"
#include "formats/core/strvec.h"

/* strconv.Quote of s: "..." with \", \\, \n and friends, \xNN for other control bytes. */
void history_quote(struct buf *out, const char *s);

/* fmt %q of a []string: ["a" "b c"] */
void history_quote_list(struct buf *out, const struct strvec *v);

/* fmt %v of a []string: [a b c] */
void history_list(struct buf *out, const struct strvec *v);

/* time.Duration.String of ns nanoseconds (ns >= 0): 0s, 300ms, 1.5s, 1h2m3s */
void history_duration(struct buf *out, long long ns);

/* fmt %q of an int, which Go prints as a quoted rune: '\x00', 'A' */
void history_rune(struct buf *out, long long r);

#endif
