#include "builder/engine/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "formats/core/buf.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/core/termsafe.h"

#include "formats/core/banned.h"

#define PROGRESS_TAIL 6 /* output lines shown under a running step */
#define PROGRESS_REDRAW_NS 100000000L

enum progress_state {
    PSTEP_RUNNING = 0,
    PSTEP_DONE,
    PSTEP_CACHED,
    PSTEP_FAILED,
};

struct progress_step {
    char *id;    /* what is between the brackets: "build 2/5" */
    char *stage; /* the stage part: "build " (or "") */
    char *title; /* "RUN make" */
    enum progress_state state;
    double start, end;         /* ms */
    char *tail[PROGRESS_TAIL]; /* last output lines, oldest first */
    size_t ntail;
};

static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static enum progress_mode mode;
static FILE *stream;
static int transfer_shown; /* plain: a redrawn download line is on the screen */

/* the tty view */
static struct {
    int on;
    int colour;
    double t0;
    struct progress_step *steps;
    size_t n, alloc;
    size_t done;
    struct buf scroll; /* lines to print above the live region at the next redraw */
    char xfer[256];    /* the download meter line, or "" */
    int drawn;         /* lines of the live region on the screen */
    int stop;
    pthread_t thread;
    int thread_started;
} tty;

static FILE *
progress_out(void)
{
    return stream ? stream : stdout;
}

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
progress_set_stream(FILE *s)
{
    stream = s;
}

static int
progress_terminal(void)
{
    const char *term = getenv("TERM");

    return isatty(fileno(progress_out())) && !(term && !strcmp(term, "dumb"));
}

/* ---- parsing the "[stage N/M] ..." events ---- */

struct progress_event {
    char id[128];     /* between the brackets, or "" for a line that is not a step's */
    char stage[96];   /* id up to the step number */
    const char *rest; /* after "] " */
};

static void
progress_parse(const char *line, struct progress_event *e)
{
    const char *close = line[0] == '[' ? strchr(line, ']') : NULL;
    size_t n = close ? (size_t)(close - line - 1) : 0;
    const char *sp;

    memset(e, 0, sizeof(*e));
    e->rest = line;
    if (!close || n == 0 || n >= sizeof(e->id) || !strchr(line, '/') || close[1] != ' ')
        return;
    memcpy(e->id, line + 1, n);
    sp = strrchr(e->id, ' ');
    snprintf(e->stage, sizeof(e->stage), "%.*s", sp ? (int)(sp - e->id) : 0, e->id);
    e->rest = close + 2;
}

/* ---- rawjson ---- */

static void
progress_json(const char *event, const struct progress_event *e, const char *text, double secs)
{
    cJSON *j = cJSON_CreateObject();
    struct timespec ts;
    char when[40], *s;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ", ts.tv_nsec / 1000000);
    cJSON_AddStringToObject(j, "time", when);
    cJSON_AddStringToObject(j, "event", event);
    if (e && e->id[0]) {
        cJSON_AddStringToObject(j, "step", e->id);
        cJSON_AddStringToObject(j, "stage", e->stage);
    }
    if (text)
        cJSON_AddStringToObject(j, "text", text);
    if (secs >= 0)
        cJSON_AddNumberToObject(j, "seconds", secs);
    s = cJSON_PrintUnformatted(j);
    if (s) {
        struct buf safe = BUF_INIT;
        termsafe_add_json(&safe, s, strlen(s)); /* cJSON escapes C0, this the rest */
        fprintf(progress_out(), "%s\n", buf_cstr(&safe));
        fflush(progress_out());
        buf_release(&safe);
    }
    cJSON_free(s);
    cJSON_Delete(j);
}

static void
progress_json_line(const char *line)
{
    struct progress_event e;
    double secs;

    progress_parse(line, &e);
    if (!e.id[0])
        progress_json("log", NULL, line, -1);
    else if (!strncmp(e.rest, "CACHED", 6))
        progress_json("cached", &e, e.rest[6] ? e.rest + 7 : "", -1);
    else if (sscanf(e.rest, "DONE %lfs", &secs) == 1)
        progress_json("done", &e, NULL, secs);
    else if (!strncmp(e.rest, "MISS ", 5))
        progress_json("miss", &e, e.rest + 5, -1);
    else
        progress_json("step", &e, e.rest, -1);
}

/* ---- tty view ---- */

static const char *
progress_c(const char *code)
{
    return tty.colour ? code : "";
}

/* The terminal's width (80 when it does not say). */
static int
progress_width(void)
{
    struct winsize ws;

    if (ioctl(fileno(progress_out()), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* Appends s (untrusted: escaped) cut to at most cols columns. */
static void
progress_add_cut(struct buf *out, const char *s, int cols)
{
    struct buf safe = BUF_INIT;
    const char *p;
    int n = 0;

    termsafe_add(&safe, s, strlen(s));
    for (p = buf_cstr(&safe); *p; p++) {
        if (((unsigned char)*p & 0xc0) != 0x80 && ++n > cols)
            break; /* a UTF-8 lead byte past the width */
        buf_addch(out, *p == '\t' ? ' ' : *p);
    }
    buf_release(&safe);
}

static void
progress_step_line(struct buf *out, const struct progress_step *st, double now, int width)
{
    double end = st->state == PSTEP_RUNNING ? now : st->end;
    char secs[32];
    int room;

    const char *tag = st->state == PSTEP_CACHED   ? "CACHED "
                      : st->state == PSTEP_FAILED ? "ERROR "
                                                  : "";

    snprintf(secs, sizeof(secs), "%.1fs", (end - st->start) / 1000.0);
    buf_addf(out, "%s => %s",
             progress_c(st->state == PSTEP_RUNNING  ? "\033[1m"
                        : st->state == PSTEP_FAILED ? "\033[31m"
                                                    : "\033[34m"),
             tag);
    room = width - 4 - (int)strlen(tag) - (int)strlen(secs) - 2;
    {
        struct buf t = BUF_INIT;
        int len = 0;
        const char *p;
        buf_addf(&t, "[%s] %s", st->id, st->title);
        progress_add_cut(out, buf_cstr(&t), room);
        for (p = buf_cstr(&t); *p; p++)
            len += ((unsigned char)*p & 0xc0) != 0x80;
        buf_release(&t);
        for (; len < room; len++)
            buf_addch(out, ' ');
    }
    buf_addf(out, " %s%s\n", secs, progress_c("\033[0m"));
}

/* Redraws the live region (the caller holds the lock): scrolled lines first, then the region. */
static void
progress_redraw(int final)
{
    struct buf out = BUF_INIT;
    double now = log_now_ms();
    int width = progress_width(), lines = 0;
    size_t i, k;

    if (tty.drawn)
        buf_addf(&out, "\033[%dA\r\033[J", tty.drawn);
    buf_add(&out, tty.scroll.data ? tty.scroll.data : "", tty.scroll.len);
    buf_reset(&tty.scroll);
    buf_addf(&out, "%s[+] Building %.1fs (%zu/%zu)%s%s\n", progress_c("\033[1m"),
             (now - tty.t0) / 1000.0, tty.done, tty.n, final ? " FINISHED" : "",
             progress_c("\033[0m"));
    lines++;
    for (i = 0; i < tty.n && !final; i++) {
        const struct progress_step *st = &tty.steps[i];
        if (st->state != PSTEP_RUNNING)
            continue;
        progress_step_line(&out, st, now, width);
        lines++;
        for (k = 0; k < st->ntail; k++) {
            buf_addf(&out, "%s => => # ", progress_c("\033[2m"));
            progress_add_cut(&out, st->tail[k], width - 10);
            buf_addf(&out, "%s\n", progress_c("\033[0m"));
            lines++;
        }
    }
    if (tty.xfer[0] && !final) {
        buf_adds(&out, " => ");
        progress_add_cut(&out, tty.xfer, width - 5);
        buf_addch(&out, '\n');
        lines++;
    }
    tty.drawn = final ? 0 : lines;
    fwrite(out.data, 1, out.len, progress_out());
    fflush(progress_out());
    buf_release(&out);
}

static void
progress_step_free(struct progress_step *st)
{
    size_t k;

    free(st->id);
    free(st->stage);
    free(st->title);
    for (k = 0; k < st->ntail; k++)
        free(st->tail[k]);
}

static struct progress_step *
progress_find(const char *id)
{
    size_t i;

    for (i = tty.n; i-- > 0;)
        if (!strcmp(tty.steps[i].id, id))
            return &tty.steps[i];
    return NULL;
}

/* A finished step goes above the live region, one line, for good. */
static void
progress_finish_step(struct progress_step *st, enum progress_state state, double now)
{
    if (st->state != PSTEP_RUNNING)
        return;
    st->state = state;
    st->end = now;
    tty.done++;
    progress_step_line(&tty.scroll, st, now, progress_width());
}

static void
progress_tty_step(const struct progress_event *e, double now)
{
    int cached = !strncmp(e->rest, "CACHED", 6);
    struct progress_step *st;
    size_t i;

    /* a stage runs one step at a time: its running step has ended when the next begins */
    for (i = 0; i < tty.n; i++)
        if (tty.steps[i].state == PSTEP_RUNNING && !strcmp(tty.steps[i].stage, e->stage) &&
            strcmp(tty.steps[i].id, e->id))
            progress_finish_step(&tty.steps[i], PSTEP_DONE, now);
    tty.steps = xgrow(tty.steps, sizeof(*tty.steps), tty.n + 1, &tty.alloc);
    st = &tty.steps[tty.n++];
    memset(st, 0, sizeof(*st));
    st->id = xstrdup(e->id);
    st->stage = xstrdup(e->stage);
    st->title = xstrdup(cached ? (e->rest[6] ? e->rest + 7 : "") : e->rest);
    st->start = now;
    if (cached)
        progress_finish_step(st, PSTEP_CACHED, now);
}

static void
progress_tty_line(const char *line)
{
    struct progress_event e;
    struct progress_step *st;
    double now = log_now_ms();

    tty.xfer[0] = '\0';
    progress_parse(line, &e);
    if (e.id[0] && !strncmp(e.rest, "DONE ", 5)) {
        if ((st = progress_find(e.id)))
            progress_finish_step(st, PSTEP_DONE, now);
    } else if (e.id[0] && strncmp(e.rest, "MISS ", 5)) {
        progress_tty_step(&e, now);
    } else {
        progress_add_cut(&tty.scroll, line, 100000);
        buf_addch(&tty.scroll, '\n');
    }
    progress_redraw(0);
}

static void *
progress_thread(void *arg)
{
    struct timespec ts = {0, PROGRESS_REDRAW_NS};

    (void)arg;
    for (;;) {
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&progress_lock);
        if (tty.stop) {
            pthread_mutex_unlock(&progress_lock);
            return NULL;
        }
        progress_redraw(0); /* the timers move even when nothing is printed */
        pthread_mutex_unlock(&progress_lock);
    }
}

void
progress_start(void)
{
    const char *nc = getenv("NO_COLOR");

    pthread_mutex_lock(&progress_lock);
    if (mode == PROGRESS_AUTO)
        mode = progress_terminal() ? PROGRESS_TTY : PROGRESS_PLAIN;
    if (mode == PROGRESS_TTY && !tty.on) {
        tty.on = 1;
        /* colour only on a terminal, and never with NO_COLOR set (no-color.org) */
        tty.colour = progress_terminal() && !(nc && *nc);
        tty.t0 = log_now_ms();
        progress_redraw(0);
        tty.thread_started = pthread_create(&tty.thread, NULL, progress_thread, NULL) == 0;
    }
    pthread_mutex_unlock(&progress_lock);
}

void
progress_finish(int ok)
{
    size_t i;

    pthread_mutex_lock(&progress_lock);
    if (!tty.on) {
        pthread_mutex_unlock(&progress_lock);
        return;
    }
    tty.stop = 1;
    /* a failed build's running step is the one that failed: it stays, with its output */
    for (i = 0; i < tty.n; i++) {
        struct progress_step *st = &tty.steps[i];
        size_t k;
        if (st->state != PSTEP_RUNNING)
            continue;
        progress_finish_step(st, ok ? PSTEP_DONE : PSTEP_FAILED, log_now_ms());
        for (k = 0; !ok && k < st->ntail; k++) {
            buf_adds(&tty.scroll, " => => # ");
            progress_add_cut(&tty.scroll, st->tail[k], progress_width() - 10);
            buf_addch(&tty.scroll, '\n');
        }
    }
    progress_redraw(1);
    tty.on = 0;
    pthread_mutex_unlock(&progress_lock);
    if (tty.thread_started)
        pthread_join(tty.thread, NULL);
    for (i = 0; i < tty.n; i++)
        progress_step_free(&tty.steps[i]);
    free(tty.steps);
    buf_release(&tty.scroll);
    memset(&tty, 0, sizeof(tty));
}

/* ---- the entry points ---- */

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
    pthread_mutex_lock(&progress_lock);
    if (tty.on) {
        progress_tty_line(buf_cstr(&raw));
    } else if (mode == PROGRESS_JSON) {
        progress_json_line(buf_cstr(&raw));
    } else {
        /* RUN output and recipe text are untrusted: no escape sequence reaches the terminal */
        termsafe_add(&b, buf_cstr(&raw), raw.len);
        buf_addch(&b, '\n');
        if (transfer_shown) {
            fputs("\r\033[K", progress_out());
            transfer_shown = 0;
        }
        fwrite(b.data, 1, b.len, progress_out());
        fflush(progress_out());
    }
    pthread_mutex_unlock(&progress_lock);
    buf_release(&raw);
    buf_release(&b);
}

void
progress_output(const char *prefix, const char *text, size_t len)
{
    struct progress_event e;
    struct progress_step *st;
    cleanup_free char *line = NULL;

    if (mode == PROGRESS_QUIET)
        return;
    if (!tty.on && mode != PROGRESS_JSON) {
        progress_line("%s | %.*s", prefix, (int)len, text);
        return;
    }
    line = xstrndup(text, len);
    pthread_mutex_lock(&progress_lock);
    progress_parse(prefix, &e);
    if (!e.id[0]) { /* "[2/5]" alone: no " " after the bracket to find it by */
        snprintf(e.id, sizeof(e.id), "%.*s", (int)(strlen(prefix) > 2 ? strlen(prefix) - 2 : 0),
                 prefix + 1);
        e.rest = "";
    }
    if (!tty.on) {
        progress_json("output", &e, line, -1);
    } else if ((st = progress_find(e.id))) {
        if (st->ntail == PROGRESS_TAIL) {
            free(st->tail[0]);
            memmove(st->tail, st->tail + 1, (PROGRESS_TAIL - 1) * sizeof(*st->tail));
            st->ntail--;
        }
        st->tail[st->ntail++] = steal_ptr(&line);
        progress_redraw(0);
    }
    pthread_mutex_unlock(&progress_lock);
}

static int
progress_meter_live(void)
{
    return tty.on || ((mode == PROGRESS_AUTO || mode == PROGRESS_PLAIN) && progress_terminal());
}

void
progress_xfer(void *opaque, const char *digest, long long done, long long total)
{
    struct progress_meter *m = opaque;
    char got[32], all[32], rate[32], line[200];
    double now = log_now_ms(), secs;

    if (!m || mode == PROGRESS_QUIET || mode == PROGRESS_JSON || !progress_meter_live())
        return;
    if (strcmp(m->digest, digest) != 0) {
        snprintf(m->digest, sizeof(m->digest), "%s", digest);
        m->start_ms = now;
    }
    secs = (now - m->start_ms) / 1000.0;
    log_human_size(done, got, sizeof(got));
    log_human_size(total, all, sizeof(all));
    log_human_size(secs > 0.001 ? (long long)((double)done / secs) : 0, rate, sizeof(rate));
    snprintf(line, sizeof(line), "pulling %.19s… %s / %s  %s/s", digest, got,
             total >= 0 ? all : "?", rate);
    pthread_mutex_lock(&progress_lock);
    if (tty.on) {
        snprintf(tty.xfer, sizeof(tty.xfer), "%s", line);
    } else {
        fprintf(progress_out(), "\r\033[K  %s", line);
        fflush(progress_out());
        transfer_shown = 1;
    }
    pthread_mutex_unlock(&progress_lock);
}
