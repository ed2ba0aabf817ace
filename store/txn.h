#ifndef STRATA_STORE_TXN_H
#define STRATA_STORE_TXN_H

/*
 * Staging of store writes (like git's tempfile.c): every new file or
 * directory is first made under STORE/tmp/ with a name that carries our pid,
 * filled, fsynced, then renamed into place. Paths still registered at exit or
 * on SIGINT/SIGTERM/SIGHUP (through txn_cleanup_all, called by the CLI's
 * signal thread) are removed; a kill -9 leaves them behind, and fsck and gc
 * sweep tmp entries whose pid is gone.
 */

#include "formats/core/error.h"

/*
 * Returns a new path "<tmpdir>/<pid>-<seq>-<tag>" (not yet created) and
 * registers it for removal at exit. The caller owns the string.
 */
char *txn_tmp_path(const char *tmpdir, const char *tag);

/*
 * Removes every registered path now. Runs at exit; the signal thread calls it
 * too. Not for signal handlers: it takes a lock and frees memory. Does nothing
 * in a forked child.
 */
void txn_cleanup_all(void);

/*
 * txn_cleanup_all for a process about to die by a signal while other threads
 * still run: from then on a thread asking for a new path waits for the end,
 * and the paths are removed twice, 30 ms apart, so that one a thread created
 * just after the first pass goes too.
 */
void txn_cleanup_final(void);

/* Forgets path (after it was renamed away or removed). */
void txn_unregister(const char *path);

/* Removes path now (recursively) and forgets it. */
void txn_discard(const char *path);

/*
 * Removes path (recursively) and forgets it, soon, in a background thread:
 * for scratch trees nobody reads again. Paths still queued at exit or on a
 * signal are removed by txn_cleanup_all, which waits for the thread.
 */
void txn_discard_later(const char *path);

/*
 * Returns the pid encoded in a tmp entry name, or 0 when the name is not ours.
 */
long txn_name_pid(const char *name);

/* Test hook: when STRATA_CRASH_AT equals point, the process kills itself with SIGKILL. */
void txn_crash_point(const char *point);

#endif
