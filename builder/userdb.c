#include "builder/userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"

#define USERDB_MAX (8u << 20)

/* Reads rootfs file rel into b; a missing file leaves b empty. */
static void
userdb_read(int rootfd, const char *rel, struct buf *b)
{
    struct error err;
    char tmp[65536];
    int fd = fs_open_in_root(rootfd, rel, O_RDONLY, &err);
    ssize_t r;

    if (fd < 0)
        return;
    while ((r = read(fd, tmp, sizeof(tmp))) > 0 && b->len < USERDB_MAX)
        buf_add(b, tmp, (size_t)r);
    close(fd);
}

static int
userdb_number(const char *s, unsigned long *out)
{
    char *end;

    if (!*s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return !*end && !errno && *out <= 0xfffffffeUL;
}

/*
 * Finds the line whose field 0 (name) equals key, or whose field 2 (id)
 * equals it when by_id; copies fields 2 and 3 into id / id2.
 */
static int
userdb_find(const char *text, const char *key, int by_id, unsigned long *id, unsigned long *id2,
            char *name_out, size_t name_len)
{
    const char *line = text;

    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        cleanup_free char *copy = xstrndup(line, n);
        char *f[5] = { 0 };
        char *p = copy;
        int i;

        for (i = 0; i < 5 && p; i++) {
            f[i] = p;
            p = strchr(p, ':');
            if (p)
                *p++ = '\0';
        }
        if (f[2] && ((!by_id && !strcmp(f[0], key)) || (by_id && !strcmp(f[2], key)))) {
            unsigned long a = 0, b = 0;
            if (userdb_number(f[2], &a)) {
                *id = a;
                if (id2 && f[3] && userdb_number(f[3], &b))
                    *id2 = b;
                if (name_out)
                    snprintf(name_out, name_len, "%s", f[0]);
                return 1;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

int
userdb_resolve(int rootfd, const char *spec, uid_t *uid, gid_t *gid, struct error *err)
{
    cleanup_buf struct buf pw = BUF_INIT;
    cleanup_buf struct buf gr = BUF_INIT;
    cleanup_free char *user = xstrdup(spec && *spec ? spec : "0");
    char *group = strchr(user, ':');
    unsigned long u = 0, g = 0, pg = 0;
    int have_pg = 0;

    if (group)
        *group++ = '\0';
    userdb_read(rootfd, "etc/passwd", &pw);
    if (userdb_number(user, &u)) {
        unsigned long dummy;
        have_pg = userdb_find(buf_cstr(&pw), user, 1, &dummy, &pg, NULL, 0);
    } else if (userdb_find(buf_cstr(&pw), user, 0, &u, &pg, NULL, 0)) {
        have_pg = 1;
    } else {
        return error_input(err, "unable to find user %s: no matching entries in passwd file",
                           user);
    }
    if (group && *group) {
        userdb_read(rootfd, "etc/group", &gr);
        if (!userdb_number(group, &g) && !userdb_find(buf_cstr(&gr), group, 0, &g, NULL, NULL, 0))
            return error_input(err, "unable to find group %s: no matching entries in group file",
                               group);
    } else {
        g = have_pg ? pg : 0;
    }
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

int
userdb_groups(int rootfd, const char *name, gid_t gid, gid_t *groups, int max)
{
    cleanup_buf struct buf gr = BUF_INIT;
    const char *line;
    int n = 0;

    userdb_read(rootfd, "etc/group", &gr);
    for (line = buf_cstr(&gr); line && *line && n < max;) {
        const char *nl = strchr(line, '\n');
        cleanup_free char *copy = xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
        char *f[4] = { 0 };
        char *p = copy, *m, *save = NULL;
        unsigned long g;
        int i;

        for (i = 0; i < 4 && p; i++) {
            f[i] = p;
            p = strchr(p, ':');
            if (p)
                *p++ = '\0';
        }
        if (f[3] && userdb_number(f[2], &g) && (gid_t)g != gid) {
            for (m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
                if (!strcmp(m, name) && n < max)
                    groups[n++] = (gid_t)g;
        }
        line = nl ? nl + 1 : NULL;
    }
    return n;
}
