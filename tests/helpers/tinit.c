/*
 * tinit: a static multi-call program that the sandbox tests copy into a
 * scratch rootfs and run as the RUN command. Each subcommand prints one fact
 * about the environment it runs in, on stdout, in a line-based format that
 * is easy to grep from C and shell:
 *
 *   tinit pid1            "pid N" then "procs P1 P2 ..." (numeric entries of /proc)
 *   tinit hostname        the UTS hostname
 *   tinit ns              "NAME INODE" for each entry of /proc/self/ns
 *   tinit netifs          one interface name per line (from /proc/net/dev)
 *   tinit caps            "CapBnd HEX" and "CapEff HEX" (from /proc/self/status)
 *   tinit nnp             "NoNewPrivs N"
 *   tinit id              "uid U gid G groups G1 G2 ..."
 *   tinit stat PATH       "TYPE MODE UID GID SIZE" or "missing"
 *   tinit write PATH TEXT writes TEXT and a newline to PATH
 *   tinit exit N          exits with status N
 *   tinit mounts          /proc/self/mounts, verbatim
 *   tinit spawn SECONDS   forks a child that sleeps SECONDS with stdout open, then exits 0
 *   tinit lines N         prints "line 1" .. "line N"
 *   tinit segv            dies of SIGSEGV (a fault kills even a PID 1)
 *   tinit sys CALL [ARG]  tries one system call, prints "CALL ok" or "CALL errno N":
 *                         userns (unshare CLONE_NEWUSER, then "CapEff HEX" when it worked),
 *                         clone-userns (clone CLONE_NEWUSER), clone3, add-key (a user key in
 *                         the session keyring), socket FAMILY, personality PERSONA (hex)
 *   tinit keyring         "keyring ID": the session keyring's serial, or "keyring errno N"
 *   tinit connect ADDR PORT        TCP connect to an IPv4/IPv6 literal: "connect ok" or
 *                                  "connect errno N"
 *   tinit connect-abstract NAME    connect to the abstract unix socket NAME, likewise
 *   tinit http ADDR PORT HOST PATH "http STATUS-LINE" of GET PATH (HTTP/1.1, Host: HOST),
 *                                  or "http errno N"
 *   tinit join-keyring CMD [ARG...]  joins a new session keyring, prints it as tinit keyring
 *                         does, then execs CMD
 *
 * It is deliberately independent of strata's sources (built with plain gcc -static).
 */

#include <dirent.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
die(const char *what)
{
    fprintf(stderr, "tinit: %s: %s\n", what, strerror(errno));
    return 1;
}

static int
cat_file(const char *path)
{
    char b[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return die(path);
    while ((n = read(fd, b, sizeof(b))) > 0)
        fwrite(b, 1, (size_t)n, stdout);
    close(fd);
    return 0;
}

static int
cmd_pid1(void)
{
    DIR *d = opendir("/proc");
    struct dirent *de;

    printf("pid %d\n", (int)getpid());
    if (!d)
        return die("/proc");
    printf("procs");
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
            printf(" %s", de->d_name);
    printf("\n");
    closedir(d);
    return 0;
}

static int
cmd_ns(void)
{
    DIR *d = opendir("/proc/self/ns");
    struct dirent *de;

    if (!d)
        return die("/proc/self/ns");
    while ((de = readdir(d)) != NULL) {
        char p[300];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "/proc/self/ns/%s", de->d_name);
        if (stat(p, &st) < 0)
            continue;
        printf("%s %lu\n", de->d_name, (unsigned long)st.st_ino);
    }
    closedir(d);
    return 0;
}

static int
cmd_netifs(void)
{
    FILE *f = fopen("/proc/net/dev", "r");
    char line[512];
    int n = 0;

    if (!f)
        return die("/proc/net/dev");
    while (fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':'), *s = line;
        if (++n <= 2 || !colon)
            continue; /* two header lines */
        *colon = '\0';
        while (*s == ' ')
            s++;
        printf("%s\n", s);
    }
    fclose(f);
    return 0;
}

static int
grep_status(const char *const *keys)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[512];

    if (!f)
        return die("/proc/self/status");
    while (fgets(line, sizeof(line), f)) {
        for (const char *const *k = keys; *k; k++) {
            size_t kl = strlen(*k);
            if (!strncmp(line, *k, kl) && line[kl] == ':') {
                char *v = line + kl + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                printf("%s %s", *k, v);
            }
        }
    }
    fclose(f);
    return 0;
}

static int
cmd_id(void)
{
    gid_t groups[256];
    int n = getgroups(256, groups);

    printf("uid %u gid %u groups", (unsigned)getuid(), (unsigned)getgid());
    for (int i = 0; i < n; i++)
        printf(" %u", (unsigned)groups[i]);
    printf("\n");
    return 0;
}

static int
cmd_stat(const char *path)
{
    struct stat st;
    const char *t = "other";

    if (lstat(path, &st) < 0) {
        printf("missing\n");
        return 0;
    }
    if (S_ISREG(st.st_mode))
        t = "file";
    else if (S_ISDIR(st.st_mode))
        t = "dir";
    else if (S_ISLNK(st.st_mode))
        t = "symlink";
    else if (S_ISCHR(st.st_mode))
        t = "char";
    printf("%s %o %u %u %lld\n", t, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
           (unsigned)st.st_gid, (long long)st.st_size);
    return 0;
}

static int
cmd_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return die(path);
    fprintf(f, "%s\n", text);
    return fclose(f) == 0 ? 0 : die(path);
}

static int
cmd_spawn(const char *secs)
{
    pid_t p = fork();

    if (p < 0)
        return die("fork");
    if (p == 0) {
        /* keeps the inherited stdout open: the build must not wait for it */
        sleep((unsigned)atoi(secs));
        _exit(0);
    }
    printf("spawned %d\n", (int)p);
    return 0;
}

static int
report(const char *call, long rc)
{
    if (rc < 0)
        printf("%s errno %d\n", call, errno);
    else
        printf("%s ok\n", call);
    return 0;
}

static int
cmd_sys(const char *call, const char *arg)
{
    long rc;

    if (!strcmp(call, "userns")) {
        rc = unshare(CLONE_NEWUSER);
        report(call, rc);
        return rc < 0 ? 0 : grep_status((const char *const[]){"CapEff", NULL});
    }
    if (!strcmp(call, "clone-userns")) {
        rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (rc == 0)
            _exit(0);
        if (rc > 0)
            waitpid((pid_t)rc, NULL, 0);
        return report(call, rc);
    }
    if (!strcmp(call, "clone3")) {
        char args[88] = {0}; /* struct clone_args, flags 0, exit signal SIGCHLD */
        args[32] = SIGCHLD;
        rc = syscall(SYS_clone3, args, sizeof(args));
        if (rc == 0)
            _exit(0);
        if (rc > 0)
            waitpid((pid_t)rc, NULL, 0);
        return report(call, rc);
    }
    if (!strcmp(call, "add-key"))
        return report(
            call, syscall(SYS_add_key, "user", "strata-test", "x", 1, KEY_SPEC_SESSION_KEYRING));
    if (!strcmp(call, "socket") && arg) {
        rc = socket(atoi(arg), SOCK_STREAM, 0);
        if (rc >= 0)
            close((int)rc);
        return report(call, rc);
    }
    if (!strcmp(call, "personality") && arg)
        return report(call, syscall(SYS_personality, strtoul(arg, NULL, 16)));
    return 2;
}

/* A connected socket to ADDR:PORT (numeric: no resolver in a static binary), or -1. */
static int
tcp_connect(const char *addr, const char *port)
{
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    int fd;

    memset(&a4, 0, sizeof(a4));
    memset(&a6, 0, sizeof(a6));
    if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((unsigned short)atoi(port));
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a4, sizeof(a4)) == 0)
            return fd;
    } else if (inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((unsigned short)atoi(port));
        fd = socket(AF_INET6, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a6, sizeof(a6)) == 0)
            return fd;
    } else {
        errno = EINVAL;
        return -1;
    }
    if (fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return -1;
}

static int
cmd_connect_abstract(const char *name)
{
    struct sockaddr_un a;
    size_t n = strlen(name);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0), rc;

    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    if (n + 1 > sizeof(a.sun_path))
        n = sizeof(a.sun_path) - 1;
    memcpy(a.sun_path + 1, name, n); /* a leading NUL: the abstract namespace */
    rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&a, (socklen_t)(sizeof(sa_family_t) + 1 + n));
    report("connect-abstract", rc);
    if (fd >= 0)
        close(fd);
    return 0;
}

static int
cmd_http(const char *addr, const char *port, const char *host, const char *path)
{
    char req[512], line[256];
    size_t got = 0;
    int fd = tcp_connect(addr, port);

    if (fd < 0)
        return report("http", -1);
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tinit\r\nConnection: close\r\n\r\n", path,
             host);
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
        close(fd);
        return report("http", -1);
    }
    while (got + 1 < sizeof(line)) {
        ssize_t n = read(fd, line + got, 1);
        if (n <= 0 || line[got] == '\n' || line[got] == '\r')
            break;
        got++;
    }
    line[got] = '\0';
    close(fd);
    printf("http %s\n", line);
    return 0;
}

static int
cmd_keyring(void)
{
    long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);

    if (id < 0)
        printf("keyring errno %d\n", errno);
    else
        printf("keyring %ld\n", id);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: tinit pid1|hostname|ns|netifs|caps|nnp|id|mounts|"
                    "stat PATH|write PATH TEXT|exit N|spawn SECONDS|lines N|segv|"
                    "sys CALL [ARG]|keyring|join-keyring CMD...|connect ADDR PORT|"
                    "connect-abstract NAME|http ADDR PORT HOST PATH\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    int rc;

    if (!strcmp(cmd, "pid1"))
        rc = cmd_pid1();
    else if (!strcmp(cmd, "hostname")) {
        char h[256] = "";
        rc = gethostname(h, sizeof(h)) < 0 ? die("gethostname") : (printf("%s\n", h), 0);
    } else if (!strcmp(cmd, "ns"))
        rc = cmd_ns();
    else if (!strcmp(cmd, "netifs"))
        rc = cmd_netifs();
    else if (!strcmp(cmd, "caps"))
        rc = grep_status((const char *const[]){"CapBnd", "CapEff", "CapPrm", "CapInh", NULL});
    else if (!strcmp(cmd, "nnp"))
        rc = grep_status((const char *const[]){"NoNewPrivs", NULL});
    else if (!strcmp(cmd, "id"))
        rc = cmd_id();
    else if (!strcmp(cmd, "mounts"))
        rc = cat_file("/proc/self/mounts");
    else if (!strcmp(cmd, "stat") && argc == 3)
        rc = cmd_stat(argv[2]);
    else if (!strcmp(cmd, "write") && argc == 4)
        rc = cmd_write(argv[2], argv[3]);
    else if (!strcmp(cmd, "exit") && argc == 3)
        rc = atoi(argv[2]);
    else if (!strcmp(cmd, "spawn") && argc == 3)
        rc = cmd_spawn(argv[2]);
    else if (!strcmp(cmd, "segv")) {
        fflush(stdout);
        *(volatile int *)(uintptr_t)argc = 0; /* argc is a small number: never mapped */
        rc = 1;
    } else if (!strcmp(cmd, "lines") && argc == 3) {
        for (int i = 1; i <= atoi(argv[2]); i++)
            printf("line %d\n", i);
        rc = 0;
    } else if (!strcmp(cmd, "sys") && argc >= 3) {
        rc = cmd_sys(argv[2], argc > 3 ? argv[3] : NULL);
        if (rc == 2)
            rc = usage();
    } else if (!strcmp(cmd, "connect") && argc == 4) {
        int fd = tcp_connect(argv[2], argv[3]);
        rc = report("connect", fd);
        if (fd >= 0)
            close(fd);
    } else if (!strcmp(cmd, "connect-abstract") && argc == 3) {
        rc = cmd_connect_abstract(argv[2]);
    } else if (!strcmp(cmd, "http") && argc == 6) {
        rc = cmd_http(argv[2], argv[3], argv[4], argv[5]);
    } else if (!strcmp(cmd, "keyring")) {
        rc = cmd_keyring();
    } else if (!strcmp(cmd, "join-keyring") && argc >= 3) {
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "strata-test") < 0)
            return die("join a session keyring");
        cmd_keyring();
        fflush(stdout);
        execvp(argv[2], argv + 2);
        return die(argv[2]);
    } else
        rc = usage();
    fflush(stdout);
    return rc;
}
