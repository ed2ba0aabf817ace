/*
 * What a RUN's network looks like from inside: the private /etc/hosts and
 * /etc/resolv.conf the sandbox binds over the image's (read-only, never in
 * the layer), written per network mode in the scratch dir. Scratch files:
 * no fsync, nothing depends on them surviving a crash.
 */
#include "builder/sandbox/sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "builder/sandbox/slirp.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

const char *
sandbox_net_name(enum sandbox_net net)
{
    return net == SANDBOX_NET_NONE ? "none" : net == SANDBOX_NET_HOST ? "host" : "default";
}

/* ioctl(SIOCSIFFLAGS): a new network namespace starts with lo down */
int
sandbox_net_lo_up(struct error *err)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

    if (s < 0)
        return error_set(err, errno, "socket for lo");
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        rc = error_set(err, errno, "get lo flags");
    else {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            rc = error_set(err, errno, "bring lo up");
    }
    close(s);
    return rc;
}

static int
net_write(const char *dst, const struct buf *b, struct error *err)
{
    cleanup_close int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

    if (fd < 0)
        return error_set(err, errno, "create %s", dst);
    if (fs_write_all(fd, b->data ? b->data : "", b->len, err) < 0)
        return error_wrap(err, "%s", dst);
    return 0;
}

/* The host's file, or "" when it cannot be read (at most 1 MiB). */
static void
net_read_host(const char *path, struct buf *out)
{
    struct error ignored;

    error_init(&ignored);
    if (fs_read_file_max(AT_FDCWD, path, 1 << 20, out, &ignored) < 0)
        buf_reset(out);
}

/* slirp4netns's forwarder as the name server; the host's search and options lines kept */
static void
net_resolv_private(struct buf *out)
{
    cleanup_buf struct buf host = BUF_INIT;
    const char *line = NULL;

    net_read_host("/etc/resolv.conf", &host);
    buf_addf(out, "nameserver %s\n", SLIRP_DNS);
    for (line = host.len ? buf_cstr(&host) : NULL; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (!strncmp(line, "search", 6) || !strncmp(line, "domain", 6) ||
            !strncmp(line, "options", 7))
            buf_addf(out, "%.*s\n", (int)n, line);
        line = nl ? nl + 1 : NULL;
    }
}

int
sandbox_net_etc(struct sandbox_plan *plan, struct error *err)
{
    const struct sandbox_spec *spec = plan->spec;
    const char *ld = plan->ov.linkdir;
    const char *name = spec->hostname && *spec->hostname ? spec->hostname : "";
    cleanup_buf struct buf hosts = BUF_INIT;
    cleanup_buf struct buf resolv = BUF_INIT;

    if ((size_t)snprintf(plan->hosts, sizeof(plan->hosts), "%s/hosts", ld) >= sizeof(plan->hosts) ||
        (size_t)snprintf(plan->resolv, sizeof(plan->resolv), "%s/resolv.conf", ld) >=
            sizeof(plan->resolv))
        return error_input(err, "link dir path too long");
    if (spec->net == SANDBOX_NET_HOST) {
        net_read_host("/etc/hosts", &hosts);
        net_read_host("/etc/resolv.conf", &resolv);
    } else {
        buf_addf(&hosts, "127.0.0.1\tlocalhost%s%s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
                 *name ? " " : "", name);
        if (spec->net == SANDBOX_NET_PRIVATE)
            net_resolv_private(&resolv);
        else
            plan->resolv[0] = '\0'; /* no network: the image's own resolv.conf stays */
    }
    if (net_write(plan->hosts, &hosts, err) < 0)
        return -1;
    return plan->resolv[0] ? net_write(plan->resolv, &resolv, err) : 0;
}
