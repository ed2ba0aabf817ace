/*
 * The terminal relay (console.h). The window size is polled rather than
 * signalled: SIGWINCH belongs to the CLI's signal thread, and a check every
 * 200 ms of an ioctl is cheaper than plumbing it here.
 */
#include "builder/sandbox/console.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "formats/core/banned.h"

#define CONSOLE_POLL_MS 200

static void
console_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the reader went away: the output has nowhere to go */
        p += w;
        n -= (size_t)w;
    }
}

/* Gives the terminal the caller's window size when it changed. */
static void
console_winsize(int master, struct winsize *last)
{
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
        return;
    if (!memcmp(&ws, last, sizeof(ws)))
        return;
    *last = ws;
    ioctl(master, TIOCSWINSZ, &ws);
}

void
console_relay(void *opaque, int master)
{
    struct termios orig, raw;
    struct winsize last;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &orig) == 0, in_open = 1;
    char buf[16384];

    (void)opaque;
    memset(&last, 0, sizeof(last));
    if (tty) {
        raw = orig;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    for (;;) {
        struct pollfd p[2] = {{master, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        int r;
        ssize_t n;

        console_winsize(master, &last);
        r = poll(p, in_open ? 2 : 1, CONSOLE_POLL_MS);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        if (p[0].revents) {
            n = read(master, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; /* EIO: no process holds the terminal any more */
            console_write_all(STDOUT_FILENO, buf, (size_t)n);
        }
        if (in_open && p[1].revents) {
            n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n > 0) {
                console_write_all(master, buf, (size_t)n);
            } else {
                /* stdin ended: the terminal's end-of-file character, as typing it would */
                struct termios t;
                char eof = tcgetattr(master, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
                console_write_all(master, &eof, 1);
                in_open = 0;
            }
        }
    }
    if (tty)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &orig);
}
