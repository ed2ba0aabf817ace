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

/* At most this many extents of an id map are kept (the kernel allows 340). */
#define USERNS_MAX_EXTENTS 16

/*
 * The ids of the caller's user namespace that stand for an id outside it,
 * as /proc/self/uid_map and gid_map list them.
 */
struct userns_idmap {
    unsigned n;
    struct {
        unsigned inner, outer, count;
    } ext[USERNS_MAX_EXTENTS];
};

/*
 * Reads /proc/self/uid_map (gid: /proc/self/gid_map) into map. In the
 * initial user namespace that is the whole id space. Fails when the file
 * cannot be read or parsed.
 */
int userns_read_idmap(int gid, struct userns_idmap *map, struct error *err);

/* Parses the text of a uid_map or gid_map; fails naming the bad line. */
int userns_parse_idmap(const char *text, struct userns_idmap *map, struct error *err);

/* Whether id is mapped (has an owner outside) in map. No allocation. */
int userns_idmap_has(const struct userns_idmap *map, unsigned id);

/*
 * The highest id mapped contiguously from 0 (e.g. 65536 for a user with a
 * 65536-id range, 0 when only root is mapped); for messages.
 */
unsigned userns_idmap_top(const struct userns_idmap *map);

/*
 * Whether setgroups(2) is allowed in the caller's user namespace
 * (/proc/self/setgroups is not "deny").
 */
int userns_setgroups_allowed(void);

/*
 * Writes the NUL-terminated text to path (one write, as /proc and cgroup
 * files want). Does not allocate.
 */
int userns_write_file(const char *path, const char *text, struct error *err);

#endif
