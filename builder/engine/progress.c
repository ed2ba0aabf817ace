#include "builder/engine/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "formats/core/buf.h"
#include "formats/core/termsafe.h"

static enum progress_mode mode;
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;

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
