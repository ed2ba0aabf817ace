#include "builder/sandbox/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* include/linux/proc_ns.h: PROC_USER_INIT_INO, stable kernel ABI since 3.8 */
#define NSUTIL_INIT_USERNS_INO 0xEFFFFFFDUL

int
userns_privileged(void)
{
    struct stat st;

    if (geteuid() != 0)
        return 0;
    if (stat("/proc/self/ns/user", &st) < 0)
        return 1; /* no /proc: assume the classic setup */
    return (unsigned long)st.st_ino == NSUTIL_INIT_USERNS_INO;
}

int
userns_write_file(const char *path, const char *text, struct error *err)
{
    size_t n = strlen(text);
    ssize_t w;
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return error_set(err, errno, "open %s", path);
    do
        w = write(fd, text, n);
    while (w < 0 && errno == EINTR);
    if (w < 0 || (size_t)w != n) {
        int e = w < 0 ? errno : EIO;
        close(fd);
        return error_set(err, e, "write %s", path);
    }
    close(fd);
    return 0;
}

int
userns_map_root(uid_t outer_uid, gid_t outer_gid, struct error *err)
{
    char line[64];

    /* user_namespaces(7): an unprivileged gid_map needs setgroups denied first */
    if (userns_write_file("/proc/self/setgroups", "deny", err) < 0 && err->sys_errno != ENOENT)
        return -1;
    snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)outer_uid);
    if (userns_write_file("/proc/self/uid_map", line, err) < 0)
        return -1;
    snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)outer_gid);
    return userns_write_file("/proc/self/gid_map", line, err);
}
