#include "builder/sandbox/passwd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/fsutil.h"

#include "formats/core/banned.h"

/* A line reader over an fd with a fixed buffer; over-long lines are skipped whole. */
struct passwd_reader {
    int fd;
    size_t start, end;
    int eof;
    char buf[8192];
};

static int
passwd_open(struct passwd_reader *r, int rootfd, const char *path)
{
    struct error ignored;

    /* a rootfs fd (COPY --chown) is resolved as "/" so its symlinks stay inside it;
     * after pivot_root (AT_FDCWD) the process root already does that */
    if (rootfd == AT_FDCWD)
        r->fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
    else
        r->fd = fs_open_in_root(rootfd, path, O_RDONLY, &ignored);
    r->start = r->end = 0;
    r->eof = 0;
    return r->fd;
}

static void
passwd_fill(struct passwd_reader *r)
{
    ssize_t n;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    do
        n = read(r->fd, r->buf + r->end, sizeof(r->buf) - 1 - r->end);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        r->eof = 1;
    else
        r->end += (size_t)n;
}

/* Returns the next line, NUL-terminated in place, or NULL at the end. */
static char *
passwd_next(struct passwd_reader *r)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            char *line = r->buf + r->start;
            *nl = '\0';
            r->start = (size_t)(nl - r->buf) + 1;
            return line;
        }
        if (r->eof) {
            if (r->start == r->end)
                return NULL;
            r->buf[r->end] = '\0'; /* last line without '\n' */
            char *line = r->buf + r->start;
            r->start = r->end;
            return line;
        }
        if (r->start == 0 && r->end == sizeof(r->buf) - 1)
            r->end = 0; /* a line longer than the buffer: drop what we have */
        passwd_fill(r);
    }
}

/* Splits line at ':' into at most n fields; returns the count. */
static size_t
passwd_fields(char *line, char **f, size_t n)
{
    size_t i = 0;

    while (i < n) {
        f[i++] = line;
        line = strchr(line, ':');
        if (!line)
            break;
        *line++ = '\0';
    }
    return i;
}

/* Parses a decimal id; returns 1 on success. */
static int
passwd_id(const char *s, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!*s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > 0xFFFFFFFEUL)
        return 0;
    *out = v;
    return 1;
}

static void
passwd_add_group(struct passwd_ids *out, gid_t g)
{
    for (size_t i = 0; i < out->ngroups; i++)
        if (out->groups[i] == g)
            return;
    if (out->ngroups < PASSWD_MAX_GROUPS)
        out->groups[out->ngroups++] = g;
}

/*
 * The primary gid is a supplementary group too, put first unless a
 * membership already lists it: the CVE-2023-25173 hardening of containerd
 * (oci.ensureAdditionalGids) that BuildKit applies to every RUN since 0.11.4,
 * so that a group the image denies access with ("rwx---rwx") denies it.
 */
static void
passwd_primary_first(struct passwd_ids *ids)
{
    size_t i;

    for (i = 0; i < ids->ngroups; i++)
        if (ids->groups[i] == ids->gid)
            return;
    if (ids->ngroups == PASSWD_MAX_GROUPS)
        ids->ngroups--; /* the last membership makes room: the primary gid matters more */
    memmove(ids->groups + 1, ids->groups, ids->ngroups * sizeof(ids->groups[0]));
    ids->groups[0] = ids->gid;
    ids->ngroups++;
}

/* Looks name (or the numeric uid) up in passwd; returns 1 when found, filling out. */
static int
passwd_find_user(int rootfd, const char *name, size_t nlen, struct passwd_ids *out,
                 char *found_name, size_t found_len)
{
    struct passwd_reader r;
    unsigned long num, uid, gid;
    int numeric = 0;
    char *line, *f[7];
    char want[256];

    if (nlen >= sizeof(want))
        return 0;
    memcpy(want, name, nlen);
    want[nlen] = '\0';
    numeric = passwd_id(want, &num);
    if (passwd_open(&r, rootfd, "etc/passwd") < 0)
        return 0;
    while ((line = passwd_next(&r)) != NULL) {
        size_t nf = passwd_fields(line, f, 7);
        if (nf < 4 || !passwd_id(f[2], &uid) || !passwd_id(f[3], &gid))
            continue;
        if (numeric ? uid == num : !strcmp(f[0], want)) {
            out->uid = (uid_t)uid;
            out->gid = (gid_t)gid;
            snprintf(out->home, sizeof(out->home), "%s", nf > 5 && *f[5] ? f[5] : "/");
            snprintf(found_name, found_len, "%s", f[0]);
            close(r.fd);
            return 1;
        }
    }
    close(r.fd);
    return 0;
}

/*
 * Walks etc/group once: resolves group (name or number) into *gid when
 * group is non-NULL, and collects the groups that list member_name.
 */
static int
passwd_scan_groups(int rootfd, const char *group, const char *member_name, struct passwd_ids *out,
                   gid_t *gid)
{
    struct passwd_reader r;
    unsigned long num, g;
    int numeric = group && passwd_id(group, &num), found = 0;
    char *line, *f[4];

    if (passwd_open(&r, rootfd, "etc/group") < 0)
        return 0;
    while ((line = passwd_next(&r)) != NULL) {
        size_t nf = passwd_fields(line, f, 4);
        char *m;
        if (nf < 3 || !passwd_id(f[2], &g))
            continue;
        if (group && !found && (numeric ? g == num : !strcmp(f[0], group))) {
            *gid = (gid_t)g;
            found = 1;
        }
        if (!member_name || !*member_name || nf < 4)
            continue;
        for (m = f[3]; m && *m;) {
            char *comma = strchr(m, ',');
            size_t len = comma ? (size_t)(comma - m) : strlen(m);
            if (len == strlen(member_name) && !strncmp(m, member_name, len))
                passwd_add_group(out, (gid_t)g);
            m = comma ? comma + 1 : NULL;
        }
    }
    close(r.fd);
    return found;
}

int
passwd_resolve(int rootfd, const char *user, struct passwd_ids *out, struct error *err)
{
    const char *colon, *group = NULL;
    char name[256] = "", found[256] = "";
    struct passwd_ids ids;
    unsigned long num;
    size_t nlen;
    gid_t g;

    memset(&ids, 0, sizeof(ids));
    if (!user || !*user)
        user = "0";
    colon = strchr(user, ':');
    nlen = colon ? (size_t)(colon - user) : strlen(user);
    if (colon)
        group = colon + 1;
    if (nlen == 0 || nlen >= sizeof(name) || (group && !*group))
        return error_input(err, "invalid user \"%s\"", user);
    memcpy(name, user, nlen);
    if (!passwd_find_user(rootfd, name, nlen, &ids, found, sizeof(found))) {
        if (!passwd_id(name, &num))
            return error_set(err, 0, "unable to find user %s: no matching entries in passwd file",
                             name);
        ids.uid = (uid_t)num; /* a numeric user need not exist, as in Docker */
        ids.gid = 0;
        snprintf(ids.home, sizeof(ids.home), "/");
    }
    if (group) {
        if (!passwd_scan_groups(rootfd, group, NULL, &ids, &g)) {
            if (!passwd_id(group, &num))
                return error_set(
                    err, 0, "unable to find group %s: no matching entries in group file", group);
            g = (gid_t)num;
        }
        ids.gid = g; /* runc: an explicit group gives no supplementary groups */
    } else {
        passwd_scan_groups(rootfd, NULL, found, &ids, &g);
    }
    passwd_primary_first(&ids);
    *out = ids;
    return 0;
}
