#include "builder/sandbox/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/banned.h"

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

int
userns_parse_idmap(const char *text, struct userns_idmap *map, struct error *err)
{
    unsigned line = 0;

    memset(map, 0, sizeof(*map));
    while (*text) {
        unsigned long inner, outer, count;
        char *end;
        line++;
        inner = strtoul(text, &end, 10);
        if (end == text)
            return error_set(err, 0, "id map line %u: no inner id", line);
        text = end;
        outer = strtoul(text, &end, 10);
        if (end == text)
            return error_set(err, 0, "id map line %u: no outer id", line);
        text = end;
        count = strtoul(text, &end, 10);
        if (end == text || inner > 0xffffffffUL || outer > 0xffffffffUL || count > 0xffffffffUL)
            return error_set(err, 0, "id map line %u: bad count", line);
        text = end;
        while (*text == ' ' || *text == '\t')
            text++;
        if (*text && *text != '\n')
            return error_set(err, 0, "id map line %u: trailing text", line);
        if (*text)
            text++;
        if (map->n < USERNS_MAX_EXTENTS) {
            map->ext[map->n].inner = (unsigned)inner;
            map->ext[map->n].outer = (unsigned)outer;
            map->ext[map->n].count = (unsigned)count;
            map->n++;
        }
    }
    return 0;
}

int
userns_read_idmap(int gid, struct userns_idmap *map, struct error *err)
{
    const char *path = gid ? "/proc/self/gid_map" : "/proc/self/uid_map";
    char text[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return error_set(err, errno, "open %s", path);
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0)
        return error_set(err, errno, "read %s", path);
    text[n] = '\0';
    if (userns_parse_idmap(text, map, err) < 0)
        return error_wrap(err, "%s", path);
    return 0;
}

int
userns_idmap_has(const struct userns_idmap *map, unsigned id)
{
    for (unsigned i = 0; i < map->n; i++)
        if (id >= map->ext[i].inner && id - map->ext[i].inner < map->ext[i].count)
            return 1;
    return 0;
}

unsigned
userns_idmap_top(const struct userns_idmap *map)
{
    unsigned top = 0;

    if (!userns_idmap_has(map, 0))
        return 0;
    /* extents need not be sorted: extend while one of them continues the run */
    for (int grew = 1; grew;) {
        grew = 0;
        for (unsigned i = 0; i < map->n; i++) {
            unsigned lo = map->ext[i].inner, hi = lo + map->ext[i].count - 1;
            if (map->ext[i].count && lo <= top + 1 && hi > top) {
                top = hi;
                grew = 1;
            }
        }
    }
    return top;
}

int
userns_setgroups_allowed(void)
{
    char v[16];
    ssize_t n;
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 1; /* before Linux 3.19 there was no such switch */
    n = read(fd, v, sizeof(v) - 1);
    close(fd);
    return n < 4 || strncmp(v, "deny", 4) != 0;
}
