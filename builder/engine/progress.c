#include "builder/engine/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "formats/core/buf.h"

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
    struct buf b = BUF_INIT;
    va_list ap;

    if (mode == PROGRESS_QUIET)
        return;
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    buf_addch(&b, '\n');
    pthread_mutex_lock(&progress_lock);
    fwrite(b.data, 1, b.len, stdout);
    fflush(stdout);
    pthread_mutex_unlock(&progress_lock);
    buf_release(&b);
}

void
progress_output(const char *prefix, const char *text, size_t len)
{
    if (mode == PROGRESS_QUIET)
        return;
    progress_line("%s | %.*s", prefix, (int)len, text);
}
