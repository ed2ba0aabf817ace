#ifndef STRATA_BUILDER_SANDBOX_PASSWD_H
#define STRATA_BUILDER_SANDBOX_PASSWD_H

/*
 * Resolves a recipe USER ("name", "uid", "name:group", "uid:gid", ...)
 * against a rootfs's etc/passwd and etc/group the way Docker (runc's
 * GetExecUser) does. Reads with fixed buffers and never allocates, so the
 * sandbox child can call it after pivot_root.
 */

#include <stddef.h>
#include <sys/types.h>

#include "formats/core/error.h"

#define PASSWD_MAX_GROUPS 64

struct passwd_ids {
    uid_t uid;
    gid_t gid;
    gid_t groups[PASSWD_MAX_GROUPS]; /* supplementary groups: the primary gid and the
                                        etc/group memberships */
    size_t ngroups;
    char home[256]; /* home directory from etc/passwd, "/" when the user has no entry */
};

/*
 * Fills out for user, reading "etc/passwd" and "etc/group" relative to
 * rootfd, a directory fd on the rootfs (the sandbox passes "/" after
 * pivot_root). NULL or "" means root. A numeric user
 * missing from passwd gets gid 0; a named user gets the primary gid from
 * passwd and, unless a group was given explicitly, every group of
 * etc/group listing it as a member as supplementary groups. The primary
 * gid is always a supplementary group as well (first, unless a membership
 * lists it), as containerd and BuildKit do since CVE-2023-25173. Missing
 * files count as empty. Fails for an unknown name with Docker's message
 * "unable to find user NAME: no matching entries in passwd file" (and the
 * same for groups), or an id that is out of range.
 */
int passwd_resolve(int rootfd, const char *user, struct passwd_ids *out, struct error *err);

#endif
