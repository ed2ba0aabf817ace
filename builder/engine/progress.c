#include "builder/engine/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/log.h"
#include "formats/core/termsafe.h"

static enum progress_mode mode;
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static int live = -1;      /* -1: not decided yet */
static int transfer_shown; /* a redrawn line is on the screen */

void
progress_set_mode(enum progress_mode m)
{
    mode = m;
}

enum progress_mode
progress_mode(void)
{
    return mode;
}

void
progress_line(const char *fmt, ...)
{
    struct buf raw = BUF_INIT, b = BUF_INIT;
    va_list ap;

    if (mode == PROGRESS_QUIET)
        return;
    va_start(ap, fmt);
    buf_vaddf(&raw, fmt, ap);
    va_end(ap);
    /* RUN output and recipe text are untrusted: no escape sequence reaches the terminal */
    termsafe_add(&b, buf_cstr(&raw), raw.len);
    buf_addch(&b, '\n');
    pthread_mutex_lock(&progress_lock);
    if (transfer_shown) {
        fputs("\r\033[K", stdout);
        transfer_shown = 0;
    }
    fwrite(b.data, 1, b.len, stdout);
    fflush(stdout);
    pthread_mutex_unlock(&progress_lock);
    buf_release(&raw);
    buf_release(&b);
}

void
progress_output(const char *prefix, const char *text, size_t len)
{
    if (mode == PROGRESS_QUIET)
        return;
    progress_line("%s | %.*s", prefix, (int)len, text);
}

void
progress_set_live(int on)
{
    live = on;
}

static int
progress_is_live(void)
{
    if (live < 0) {
        const char *term = getenv("TERM");
        live = isatty(STDOUT_FILENO) && !(term && !strcmp(term, "dumb"));
    }
    return live && mode == PROGRESS_PLAIN;
}

void
progress_xfer(void *opaque, const char *digest, long long done, long long total)
{
    struct progress_meter *m = opaque;
    char got[32], all[32], rate[32];
    double now = log_now_ms(), secs;

    if (!m || !progress_is_live())
        return;
    if (strcmp(m->digest, digest) != 0) {
        snprintf(m->digest, sizeof(m->digest), "%s", digest);
        m->start_ms = now;
    }
    secs = (now - m->start_ms) / 1000.0;
    log_human_size(done, got, sizeof(got));
    log_human_size(total, all, sizeof(all));
    log_human_size(secs > 0.001 ? (long long)((double)done / secs) : 0, rate, sizeof(rate));
    pthread_mutex_lock(&progress_lock);
    printf("\r\033[K  pulling %.19s… %s / %s  %s/s", digest, got, total >= 0 ? all : "?", rate);
    fflush(stdout);
    transfer_shown = 1;
    pthread_mutex_unlock(&progress_lock);
}
