#ifndef STRATA_BUILDER_CLI_SIGNALS_H
#define STRATA_BUILDER_CLI_SIGNALS_H

/*
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are handled by one thread that waits for
 * them with sigwait, so the clean-up runs in an ordinary context (it may lock and allocate) instead
 * of in a signal handler interrupting arbitrary code.
 */

/*
 * Blocks these signals in the calling thread (and so in every thread it
 * starts later) and starts the signal thread. Call it first in main, before
 * any other thread exists. On a signal the thread kills the process's
 * children (sandboxes, overlay helpers: their own namespaces go with them),
 * waits for them to stop, removes every registered tmp path, and ends the
 * process by the same signal. Returns 0, or -1 when the thread cannot start
 * (the signals then keep their default action).
 */
int signals_start(void);

/*
 * Returns at once when no signal came; after one, never returns: the signal
 * thread is cleaning up and will end the process by that signal. Commands'
 * results are checked through it, so a step that failed because its sandbox
 * was killed on Ctrl-C neither reports that failure nor decides the exit
 * status.
 */
void signals_hold(void);

/*
 * From now on, sends each of these signals to pid instead of cleaning up and
 * ending strata (strata run forwards them to its container's init, which
 * passes them on to the command); 0 goes back to cleaning up.
 */
void signals_forward(int pid);

#endif
