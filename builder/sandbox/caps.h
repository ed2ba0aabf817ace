#ifndef STRATA_BUILDER_SANDBOX_CAPS_H
#define STRATA_BUILDER_SANDBOX_CAPS_H

/*
 * Capability sets for the RUN sandbox, through the raw prctl and capset
 * system calls (no libcap). Nothing here allocates.
 */

#include <stdint.h>

#include "formats/core/error.h"

/*
 * Docker's default capability set (moby oci/caps/defaults.go): CHOWN,
 * DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP,
 * SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
 */
#define CAPS_DEFAULT_MASK                                                                          \
    ((1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) | (1ULL << 5) | (1ULL << 6) |           \
     (1ULL << 7) | (1ULL << 8) | (1ULL << 10) | (1ULL << 13) | (1ULL << 18) | (1ULL << 27) |       \
     (1ULL << 29) | (1ULL << 31))

/*
 * Reads a capability name as docker's --cap-add takes it ("NET_ADMIN",
 * "cap_net_admin", "ALL") into *mask (its bit; every bit for ALL). An
 * unknown name is an input error.
 */
int caps_parse(const char *name, uint64_t *mask, struct error *err);

/*
 * Drops every capability outside keep from the bounding set and clears the
 * ambient set. Needs CAP_SETPCAP; call it before changing uid.
 */
int caps_limit_bounding(uint64_t keep, struct error *err);

/*
 * Sets the effective and permitted sets to keep (intersected with what is
 * permitted now) and empties the inheritable set, so that nothing is passed
 * on through file capabilities (as moby does since CVE-2022-24769).
 */
int caps_set(uint64_t keep, struct error *err);

/* Whether capability cap (CAP_SYS_ADMIN, ...) is in the effective set (0 on error). */
int caps_effective(int cap);

#endif
