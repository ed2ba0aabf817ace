#ifndef STRATA_BUILDER_ENGINE_PROGRESS_H
#define STRATA_BUILDER_ENGINE_PROGRESS_H

/*
 * Build output (--progress). Steps report through progress_line with a
 * "[stage N/M] " prefix ("[2/5] RUN make", "[2/5] CACHED ...", "[2/5] DONE
 * 1.2s") and progress_output for their command's lines; this file shows
 * them in the chosen mode:
 *
 *   plain    one line per event, RUN output as "[2/5] | text";
 *   tty      a live view on a terminal: finished steps one line each
 *            (scrolling up), running steps with their timers and the last
 *            lines of their output, redrawn ten times a second so a silent
 *            step's time still goes up; colour unless $NO_COLOR is set;
 *   rawjson  one JSON object per event, for tools;
 *   quiet    nothing;
 *   auto     tty when the stream is a terminal (and $TERM is not "dumb")
 *            once progress_start() runs, else plain.
 *
 * Several stages may report at once (parallel builds): every event is
 * handled whole under one lock. Text from recipes and RUN output is shown
 * with its control characters escaped (formats/core/termsafe.h).
 */

#include <stddef.h>
#include <stdio.h>

enum progress_mode {
    PROGRESS_AUTO = 0,
    PROGRESS_PLAIN,
    PROGRESS_TTY,
    PROGRESS_QUIET,
    PROGRESS_JSON,
};

/* Sets the mode for the rest of the process. */
void progress_set_mode(enum progress_mode mode);
enum progress_mode progress_mode(void);

/* Where the output goes (default stdout; stderr when stdout carries an archive). */
void progress_set_stream(FILE *stream);

/*
 * A build starts: decides what auto means and starts the tty view's redraw
 * thread. Without it, auto is plain (with the live download meter).
 */
void progress_start(void);

/* The build ended (ok: it succeeded): the tty view's last redraw; the thread stops. */
void progress_finish(int ok);

/* An event: a whole line (no '\n' needed), see above. */
void progress_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What progress_xfer remembers of the download it shows. */
struct progress_meter {
    char digest[80];
    double start_ms;
};

/*
 * A registry_opts.xfer callback (opaque: a struct progress_meter): on a
 * terminal, the blob, the bytes so far, the total and the rate, redrawn in
 * place (a line of the tty view); nothing otherwise (the per-layer lines
 * say it). The next progress_line replaces it.
 */
void progress_xfer(void *opaque, const char *digest, long long done, long long total);

/* A line of a RUN step's output; prefix is the step's "[stage N/M]". */
void progress_output(const char *prefix, const char *text, size_t len);

#endif
