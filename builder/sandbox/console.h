#ifndef STRATA_BUILDER_SANDBOX_CONSOLE_H
#define STRATA_BUILDER_SANDBOX_CONSOLE_H

/*
 * The caller's side of a sandbox's terminal (SANDBOX_STDIO_PTY): what
 * `strata run -t` and the debug shell of `strata build --debug-on-fail`
 * hand the sandbox as on_pty.
 */

/*
 * Relays the caller's stdin to the terminal's master and the master's
 * output to the caller's stdout until the terminal closes (reading master
 * fails once no process holds its other end). While it runs, the caller's
 * terminal (when stdin is one) is in raw mode, so keys such as Ctrl-C reach
 * the command's terminal rather than strata, and the window size follows
 * the caller's. When stdin ends (not a terminal), an end-of-file character
 * is sent. opaque is unused.
 */
void console_relay(void *opaque, int master);

#endif
