#ifndef STRATA_BUILDER_USERDB_H
#define STRATA_BUILDER_USERDB_H

/*
 * User and group names of an image, read from its /etc/passwd and
 * /etc/group (resolved inside the rootfs). Numeric ids need no files.
 */

#include <sys/types.h>

#include "formats/core/error.h"

/*
 * Resolves "user", "user:group", "uid", "uid:gid" (names or numbers in
 * either part) against the rootfs at rootfd. A user without a group gets its
 * passwd group (0 for a bare numeric uid with no passwd entry). Unknown names
 * are input errors: `unable to find user NAME: no matching entries in passwd file`.
 */
int userdb_resolve(int rootfd, const char *spec, uid_t *uid, gid_t *gid, struct error *err);

/*
 * Fills groups (up to max) with the supplementary groups of user name/gid
 * from /etc/group; returns their count (0 when the file is missing).
 */
int userdb_groups(int rootfd, const char *name, gid_t gid, gid_t *groups, int max);

#endif
