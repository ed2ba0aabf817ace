/*
 * The socket broker (netbroker.h). The helper comes from a raw clone() into
 * its namespaces, as the RUN sandbox does: the build has threads, so the
 * child makes no allocation and only calls the kernel. Requests are three
 * ints (domain, type, protocol) on a SOCK_SEQPACKET pair; the answer is an
 * errno (0 on success) with the socket attached as SCM_RIGHTS.
 */
#include "builder/sandbox/netbroker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/sandbox/sandbox_internal.h"
#include "builder/sandbox/userns.h"

#include "formats/core/banned.h"

#define NETBROKER_READY_MS 10000

void
netbroker_init(struct netbroker *b)
{
    b->pid = 0;
    b->sock = -1;
    slirp_init(&b->slirp);
}

/* Sends e, and fd when e is 0. */
static void
netbroker_answer(int sock, int e, int fd)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&e, sizeof(e)};
    struct msghdr mh;

    memset(&mh, 0, sizeof(mh));
    memset(cbuf, 0, sizeof(cbuf));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (e == 0) {
        struct cmsghdr *c;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof(cbuf);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

__attribute__((noreturn)) static void
netbroker_child(int sock, int other, int userns, uid_t uid, gid_t gid)
{
    struct error e;
    int req[3];
    ssize_t n;

    error_init(&e);
    close(other);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
        (userns && userns_map_root(uid, gid, &e) < 0) || sandbox_net_lo_up(&e) < 0 ||
        write(sock, "1", 1) != 1)
        _exit(1);
    for (;;) {
        int fd;
        n = read(sock, req, sizeof(req));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(req))
            _exit(0); /* the parent closed its end */
        fd = socket(req[0], req[1] | SOCK_CLOEXEC, req[2]);
        netbroker_answer(sock, fd < 0 ? errno : 0, fd);
        if (fd >= 0)
            close(fd);
    }
}

static int
netbroker_wait_ready(int sock)
{
    struct pollfd pfd = {sock, POLLIN, 0};
    char c;
    int r;

    do
        r = poll(&pfd, 1, NETBROKER_READY_MS);
    while (r < 0 && errno == EINTR);
    return r > 0 && read(sock, &c, 1) == 1 ? 0 : -1;
}

int
netbroker_start(struct netbroker *b, struct error *err)
{
    int sv[2], userns = geteuid() != 0; /* root of a user namespace has one already */
    unsigned long flags = CLONE_NEWNET | SIGCHLD | (userns ? CLONE_NEWUSER : 0);
    uid_t uid = geteuid();
    gid_t gid = getegid();
    pid_t pid;

    netbroker_init(b);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return error_set(err, errno, "network helper: socketpair");
    /* a raw clone, fork-style on a copy of our stack (see sandbox.c's sandbox_clone) */
    pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (pid == 0)
        netbroker_child(sv[1], sv[0], userns, uid, gid);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return error_set(err, errno, "network helper: clone");
    }
    b->pid = pid;
    b->sock = sv[0];
    if (netbroker_wait_ready(b->sock) < 0) {
        netbroker_stop(b);
        return error_set(err, 0, "network helper: its network namespace was not set up");
    }
    if (slirp_start(&b->slirp, pid, userns, err) < 0) {
        netbroker_stop(b);
        return -1;
    }
    return 0;
}

int
netbroker_socket(void *broker, int domain, int type, int protocol)
{
    struct netbroker *b = broker;
    char cbuf[CMSG_SPACE(sizeof(int))];
    int req[3] = {domain, type, protocol}, e = EIO, fd = -1;
    struct iovec iov = {&e, sizeof(e)};
    struct cmsghdr *c;
    struct msghdr mh;
    ssize_t n;

    if (b->sock < 0 || send(b->sock, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
        errno = b->sock < 0 ? ENOTCONN : errno;
        return -1;
    }
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    do
        n = recvmsg(b->sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(e)) {
        errno = n < 0 ? errno : EIO;
        return -1;
    }
    for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
    if (e != 0 || fd < 0) {
        if (fd >= 0)
            close(fd);
        errno = e ? e : EIO;
        return -1;
    }
    return fd;
}

void
netbroker_stop(struct netbroker *b)
{
    int status;

    if (b->sock >= 0)
        close(b->sock); /* the helper reads EOF and leaves */
    if (b->pid > 0)
        while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
            ;
    slirp_stop(&b->slirp);
    netbroker_init(b);
}
