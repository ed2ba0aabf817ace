#ifndef STRATA_BUILDER_SANDBOX_USERNS_H
#define STRATA_BUILDER_SANDBOX_USERNS_H

/*
 * Small namespace helpers shared by the overlay and the sandbox. None of
 * them allocates, so they may run in a child made by a raw clone().
 */

#include <sys/types.h>

#include "formats/core/error.h"

/*
 * Returns 1 when the process is root in the initial user namespace (it can
 * use trusted.* xattrs and mount without a user namespace of its own), 0
 * otherwise.
 */
int userns_privileged(void);

/*
 * Maps uid 0 and gid 0 of the calling process's (new, still unmapped) user
 * namespace to outer_uid / outer_gid, denying setgroups first as the kernel
 * requires for an unprivileged gid map. Fails naming the file it could not
 * write.
 */
int userns_map_root(uid_t outer_uid, gid_t outer_gid, struct error *err);

/*
 * Writes the NUL-terminated text to path (one write, as /proc and cgroup
 * files want). Does not allocate.
 */
int userns_write_file(const char *path, const char *text, struct error *err);

#endif
