#ifndef STRATA_BUILDER_SANDBOX_NETBROKER_H
#define STRATA_BUILDER_SANDBOX_NETBROKER_H

/*
 * Sockets from a build step's network position, for what strata fetches
 * itself (ADD <url>, with libcurl in the build's own process): a helper
 * process lives in a new network namespace with the same user-mode network
 * a RUN gets (slirp.h) and makes sockets there on request, handing them
 * back over a unix socket pair (SCM_RIGHTS). A socket stays in the
 * namespace it was made in, so a connection on it goes where a RUN's would:
 * out through slirp4netns, never to the host's loopback or to the host's
 * abstract unix sockets.
 */

#include <sys/types.h>

#include "builder/sandbox/slirp.h"
#include "formats/core/error.h"

struct netbroker {
    pid_t pid; /* the helper, or 0 */
    int sock;  /* our end of the socket pair, or -1 */
    struct slirp slirp;
};

/* A struct netbroker that holds nothing. */
void netbroker_init(struct netbroker *b);

/*
 * Starts the helper in a new network namespace (and a new user namespace
 * when not privileged) and slirp4netns for it. Fails naming what failed.
 */
int netbroker_start(struct netbroker *b, struct error *err);

/*
 * A new socket(domain, type, protocol) made in the helper's namespace, or
 * -1 with errno set. broker is a struct netbroker (the signature of
 * struct http_sockets' open). Close-on-exec.
 */
int netbroker_socket(void *broker, int domain, int type, int protocol);

/* Ends the helper and slirp4netns and waits for them. Accepts an empty struct. */
void netbroker_stop(struct netbroker *b);

#endif
