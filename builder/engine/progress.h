#ifndef STRATA_BUILDER_ENGINE_PROGRESS_H
#define STRATA_BUILDER_ENGINE_PROGRESS_H

/*
 * Build output: one line per step ("[3/9] RUN make", then "CACHED" or the
 * duration), RUN output streamed with the step's prefix. Several stages may
 * print at once (parallel builds), so every line is written whole under a
 * lock.
 */

#include <stddef.h>

enum progress_mode {
    PROGRESS_PLAIN = 0, /* "auto", "plain" and "tty" print the same lines */
    PROGRESS_QUIET,
    PROGRESS_JSON,
};

/* Sets the mode for the rest of the process. */
void progress_set_mode(enum progress_mode mode);
enum progress_mode progress_mode(void);

/* A whole line (no '\n' needed) on stdout. */
void progress_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Whether downloads are redrawn in place (a terminal, and not --progress
 * plain); decided from isatty(stdout) and $TERM until this is called.
 */
void progress_set_live(int live);

/* What progress_xfer remembers of the download it shows. */
struct progress_meter {
    char digest[80];
    double start_ms;
};

/*
 * A registry_opts.xfer callback (opaque: a struct progress_meter): on a
 * terminal, one line redrawn in place with the blob, the bytes so far, the
 * total and the rate; nothing otherwise (the per-layer lines say it). The
 * next progress_line replaces it.
 */
void progress_xfer(void *opaque, const char *digest, long long done, long long total);

/* A line of a RUN step's output, shown as "<prefix> | <text>". */
void progress_output(const char *prefix, const char *text, size_t len);

#endif
