#ifndef STRATA_BUILDER_SANDBOX_ROOTLESS_H
#define STRATA_BUILDER_SANDBOX_ROOTLESS_H

/*
 * Rootless strata. A plain user's strata runs as root of a user namespace of
 * its own, the way podman and buildah run without privilege: uid 0 inside is
 * the user, and ids 1..N are the user's subordinate ids from /etc/subuid and
 * /etc/subgid (subuid(5)), mapped by the setuid helpers newuidmap and
 * newgidmap (Debian package uidmap). Everything strata does then happens in
 * that namespace: extraction chowns to in-image ids, RUN switches users, and
 * layer capture reads the in-image ids back, so a layer holds the same owners
 * as a build by root. The store's files belong to the user or to the user's
 * subordinate ids.
 *
 * Without a range (or without the helpers) only the user's own ids are
 * mapped, to root; strata warns that other owners will not work.
 */

#include <stddef.h>
#include <sys/types.h>

#include "formats/core/error.h"

#define ROOTLESS_MAX_RANGES 8

/* A user's subordinate ids: ranges of outer ids, in file order. */
struct rootless_ids {
    size_t n;
    struct {
        unsigned long start, count;
    } r[ROOTLESS_MAX_RANGES];
};

/*
 * Collects from text (the contents of /etc/subuid or /etc/subgid, lines
 * "owner:start:count", owner a name or a numeric id) the ranges of the user
 * called name (may be NULL) or with numeric id, skipping comments, blank
 * lines and malformed lines. Returns the number of ranges found.
 */
size_t rootless_parse_subids(const char *text, const char *name, unsigned long id,
                             struct rootless_ids *out);

enum rootless_mode {
    ROOTLESS_NONE = 0, /* already root (of the host or of a user namespace): nothing done */
    ROOTLESS_RANGES,   /* a user namespace with the subordinate ranges mapped */
    ROOTLESS_SINGLE,   /* a user namespace with only the user's own uid and gid */
    ROOTLESS_FAILED,   /* no user namespace could be made; strata goes on as the user */
};

/*
 * For a process that is not root: enters a new user namespace as described at
 * the top of this file, with the subordinate ranges when the user has some
 * for both uids and gids and newuidmap/newgidmap work, else with a single
 * mapping. warn: say on stderr why only a single mapping (or none) was
 * possible and what will not work. Must be called while the process has one
 * thread (unshare(2) refuses otherwise). Returns what it did.
 */
enum rootless_mode rootless_enter(int warn);

#endif
