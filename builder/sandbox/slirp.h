#ifndef STRATA_BUILDER_SANDBOX_SLIRP_H
#define STRATA_BUILDER_SANDBOX_SLIRP_H

/*
 * A user-mode network for a private network namespace, from slirp4netns
 * (Debian package slirp4netns, as podman uses it): a tap device "tap0" with
 * 10.0.2.100/24, the gateway 10.0.2.2, a DNS forwarder at SLIRP_DNS, and
 * outbound TCP/UDP through sockets slirp4netns opens on the host. Connections
 * to the host's loopback (10.0.2.2 would lead there) are refused
 * (--disable-host-loopback), and the host's abstract unix sockets live in
 * the host's network namespace, out of reach. slirp4netns runs in a
 * sandbox of its own (--enable-sandbox, --enable-seccomp).
 */

#include <sys/types.h>

#include "formats/core/error.h"

#define SLIRP_DNS "10.0.2.3"

struct slirp {
    pid_t pid;   /* slirp4netns, or 0 */
    int exit_fd; /* closing it tells slirp4netns to exit */
};

/* A struct slirp that holds nothing. */
void slirp_init(struct slirp *s);

/*
 * Starts slirp4netns for the network namespace of process target (joining
 * target's user namespace first when userns is set: a rootless sandbox)
 * and waits, at most 10 s, until tap0 is configured. Fails with the reason
 * slirp4netns gave, or naming the package when it is not installed.
 */
int slirp_start(struct slirp *s, pid_t target, int userns, struct error *err);

/* Stops slirp4netns and waits for it. Accepts a struct that holds nothing. */
void slirp_stop(struct slirp *s);

#endif
