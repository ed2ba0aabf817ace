#include "builder/engine/run_mounts.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/engine/scratch.h"
#include "builder/recipe/expand.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/snapshot.h"

static void
run_mounts_free_one(struct run_mount *m)
{
    free(m->target);
    free(m->source);
    free(m->id);
    free(m->sharing);
    free(m->size);
}

void
run_mounts_release(struct run_mounts *set)
{
    size_t i;

    for (i = 0; i < set->n; i++) {
        run_mounts_free_one(&set->m[i]);
        if (set->preps)
            overlay_prep_release(&set->preps[i]);
        if (set->fds && set->fds[2 * i] >= 0)
            close(set->fds[2 * i]);
        if (set->fds && set->fds[2 * i + 1] >= 0)
            close(set->fds[2 * i + 1]);
    }
    free(set->m);
    free(set->mounts);
    free(set->preps);
    free(set->fds);
    strvec_release(&set->paths);
    memset(set, 0, sizeof(*set));
}

/* A bool field: absent is dflt, bare or true/1 is 1 (Go's strconv.ParseBool). */
static int
run_mounts_bool(const char *v, int dflt, int *out)
{
    if (!v)
        *out = dflt;
    else if (!*v || !strcmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "t"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "f"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int
run_mounts_number(const char *v, int base, long *out)
{
    char *end;

    if (!v)
        return 1;
    *out = strtol(v, &end, base);
    return *v && !*end && *out >= 0;
}

/* The fields of one --mount after expansion (each on its own, as BuildKit expands them). */
struct run_mounts_fields {
    char *type, *from, *sharing, *mode, *uid, *gid, *size, *env, *required, *ro, *rw;
};

static void
run_mounts_fields_release(struct run_mounts_fields *x)
{
    char **all[] = {&x->type, &x->from, &x->sharing,  &x->mode, &x->uid, &x->gid,
                    &x->size, &x->env,  &x->required, &x->ro,   &x->rw};
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        free(*all[i]);
}

static int
run_mounts_expand(struct build *b, const char *raw, const struct strvec *vars, char **out,
                  struct error *err)
{
    *out = NULL;
    return raw ? expand_word(raw, b->plan.recipe.escape, vars, out, err) : 0;
}

static int
run_mounts_expand_all(struct build *b, const struct parse_mount *pm, const struct strvec *vars,
                      struct run_mount *m, struct run_mounts_fields *x, struct error *err)
{
    const struct {
        const char *raw;
        char **out;
    } f[] = {{pm->type, &x->type}, {pm->target, &m->target}, {pm->source, &m->source},
             {pm->from, &x->from}, {pm->id, &m->id},         {pm->sharing, &x->sharing},
             {pm->mode, &x->mode}, {pm->uid, &x->uid},       {pm->gid, &x->gid},
             {pm->size, &x->size}, {pm->env, &x->env},       {pm->required, &x->required},
             {pm->ro, &x->ro},     {pm->rw, &x->rw}};
    size_t i;

    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (run_mounts_expand(b, f[i].raw, vars, f[i].out, err) < 0)
            return -1;
    return 0;
}

static int
run_mounts_type(const char *t, struct run_mount *m)
{
    static const char *const names[] = {"bind", "cache", "tmpfs", "secret"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!strcasecmp(t, names[i])) {
            m->type = (enum run_mounts_type)i;
            return 0;
        }
    }
    return -1;
}

/* Turns the expanded fields into m, checking each value. */
static int
run_mounts_resolve(struct build *b, struct stage *st, struct run_mount *m,
                   const struct run_mounts_fields *x, const char *where, struct error *err)
{
    if (run_mounts_type(x->type ? x->type : "bind", m) < 0)
        return error_input(err, "%s: --mount type=%s is not supported (bind, cache, tmpfs, secret)",
                           where, x->type);
    if (x->from) {
        m->from = plan_find_stage(&b->plan, x->from);
        if (!m->from || m->from->index >= st->index)
            return error_input(err, "%s: --mount from=%s: no such earlier stage", where, x->from);
    }
    if (x->env)
        return error_input(err, "%s: --mount env=%s is not supported yet", where, x->env);
    if (x->sharing && strcmp(x->sharing, "shared") && strcmp(x->sharing, "private") &&
        strcmp(x->sharing, "locked"))
        return error_input(err, "%s: --mount sharing=%s: use shared, private or locked", where,
                           x->sharing);
    m->sharing = x->sharing ? xstrdup(x->sharing) : NULL;
    if (x->size)
        m->size = xasprintf("size=%s", x->size);
    if (!run_mounts_number(x->mode, 8, &m->mode))
        return error_input(err, "%s: --mount mode=%s: expected an octal mode", where, x->mode);
    if (!run_mounts_number(x->uid, 10, &m->uid) || !run_mounts_number(x->gid, 10, &m->gid))
        return error_input(err, "%s: --mount uid/gid: expected a number", where);
    if (run_mounts_bool(x->required, 0, &m->required) < 0)
        return error_input(err, "%s: --mount required=%s: expected true or false", where,
                           x->required);
    {
        int ro = 0, rw = 0;
        if (run_mounts_bool(x->ro, 0, &ro) < 0 || run_mounts_bool(x->rw, 0, &rw) < 0)
            return error_input(err, "%s: --mount ro/rw: expected true or false", where);
        m->rw = x->rw ? rw : x->ro ? !ro : 0;
    }
    return 0;
}

/* One --mount: expanded, checked, defaults filled in. */
static int
run_mounts_parse_one(struct build *b, struct stage *st, const struct parse_mount *pm,
                     const struct strvec *vars, struct run_mount *m, const char *where,
                     struct error *err)
{
    struct run_mounts_fields x = {0};
    int rc;

    memset(m, 0, sizeof(*m));
    m->mode = -1;
    rc = run_mounts_expand_all(b, pm, vars, m, &x, err);
    if (rc < 0)
        error_wrap(err, "%s", where);
    else
        rc = run_mounts_resolve(b, st, m, &x, where, err);
    run_mounts_fields_release(&x);
    if (rc < 0)
        return -1;
    if (m->type == RUNMOUNT_SECRET && !m->id && m->target)
        m->id = xstrdup(strrchr(m->target, '/') ? strrchr(m->target, '/') + 1 : m->target);
    if (m->type == RUNMOUNT_SECRET && !m->id)
        return error_input(err, "%s: --mount type=secret needs an id", where);
    if (m->type == RUNMOUNT_SECRET && !m->target)
        m->target = xasprintf("/run/secrets/%s", m->id);
    if (!m->target)
        return error_input(err, "%s: --mount needs a target", where);
    return 0;
}

/* Makes target absolute against the working directory and free of "..". */
static int
run_mounts_target(struct run_mount *m, const char *wd, const char *where, struct error *err)
{
    cleanup_free char *joined =
        m->target[0] == '/' ? xstrdup(m->target) : fs_join(wd ? wd : "/", m->target);
    cleanup_free char *clean = strstr(joined, "..") ? NULL : xstrdup(joined);

    if (!clean || !strcmp(clean, "/"))
        return error_input(err, "%s: --mount target \"%s\" is not allowed", where, m->target);
    free(m->target);
    m->target = steal_ptr(&clean);
    return 0;
}

static const char *
run_mounts_secret_source(struct build *b, const char *id)
{
    size_t il = strlen(id), i;

    for (i = 0; i < b->o->secrets.n; i++) {
        const char *s = b->o->secrets.v[i];
        if (!strncmp(s, "id=", 3) && !strncmp(s + 3, id, il) && (s[3 + il] == ',' || !s[3 + il]))
            return s;
    }
    return NULL;
}

static int
run_mounts_key(struct build *b, struct run_mount *m, struct cachekey *k, const char *where,
               struct error *err)
{
    char line[512];

    snprintf(line, sizeof(line), "%d %s %s %s %d %ld %ld %ld", (int)m->type, m->target,
             m->id ? m->id : "", m->source ? m->source : "", m->rw, m->mode, m->uid, m->gid);
    cachekey_add(k, "mount", line);
    if (m->type != RUNMOUNT_BIND)
        return 0;
    /* a bind's content is an input of the step, like a COPY source */
    if (m->from) {
        cachekey_add(k, "mount-from", m->from->key);
        return 0;
    }
    if (context_hash(&b->ctx, m->source ? m->source : ".", k, err) < 0)
        return error_wrap(err, "%s: --mount source", where);
    return 0;
}

int
run_mounts_parse(struct build *b, struct stage *st, const struct parse_instr *in,
                 const struct strvec *vars, const char *workdir, struct run_mounts *set,
                 struct cachekey *k, struct error *err)
{
    char where[256];
    size_t i;

    memset(set, 0, sizeof(*set));
    plan_where(&b->plan, in, where, sizeof(where));
    for (i = 0; i < in->f.nmounts; i++) {
        struct run_mount *m;
        set->m = xrealloc(set->m, (set->n + 1) * sizeof(*set->m));
        m = &set->m[set->n];
        if (run_mounts_parse_one(b, st, &in->f.mounts[i], vars, m, where, err) < 0) {
            run_mounts_free_one(m);
            return -1;
        }
        set->n++;
        if (run_mounts_target(m, workdir && *workdir ? workdir : "/", where, err) < 0)
            return -1;
        if (m->type == RUNMOUNT_SECRET && m->required && !run_mounts_secret_source(b, m->id))
            return error_input(err, "%s: secret \"%s\" is required: pass --secret id=%s,src=FILE",
                               where, m->id, m->id);
        if (m->source && m->type == RUNMOUNT_BIND && !m->from) {
            char *c = context_clean(m->source, err);
            if (!c)
                return error_wrap(err, "%s: --mount source", where);
            free(m->source);
            m->source = c;
            if (context_ignored(&b->ctx, c))
                return error_input(err, "%s: --mount source %s is excluded by .dockerignore", where,
                                   c);
        }
        if (run_mounts_key(b, m, k, where, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- preparing for the run --------------------------------------------- */

/* Opens (making it when missing) directory name in dirfd, never through a symlink. */
static int
run_mounts_open_dir(int dirfd, const char *name, const struct run_mount *m, struct error *err)
{
    mode_t mode = m->mode >= 0 ? (mode_t)m->mode : 0755;
    int made = mkdirat(dirfd, name, mode) == 0, fd;

    if (!made && errno != EEXIST)
        return error_set(err, errno, "cache mount %s", name);
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, errno, "cache mount %s", name);
    if (made && (fchown(fd, (uid_t)m->uid, (gid_t)m->gid) < 0 || fchmod(fd, mode) < 0)) {
        close(fd);
        return error_set(err, errno, "cache mount %s", name);
    }
    return fd;
}

static int
run_mounts_cache_dir(struct build *b, struct run_mounts *set, size_t i, struct sandbox_mount *sm,
                     const char *scratch, struct error *err)
{
    struct run_mount *m = &set->m[i];
    char hex[DIGEST_STR_LEN + 1];
    cleanup_free char *id = xstrdup(m->id ? m->id : m->target);
    cleanup_free char *name = NULL, *lock = NULL;
    cleanup_close int basefd = -1;
    int how = 0;

    digest_bytes(id, strlen(id), hex);
    name = xstrdup(digest_hex(hex));
    lock = xasprintf("%s.lock", name);
    if (mkdirat(b->store->root_fd, "cache-mounts", 0700) < 0 && errno != EEXIST)
        return error_set(err, errno, "cache mount %s", id);
    basefd =
        openat(b->store->root_fd, "cache-mounts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (basefd < 0)
        return error_set(err, errno, "cache mount %s", id);
    if (m->sharing && strcmp(m->sharing, "shared")) {
        set->fds[2 * i + 1] = openat(basefd, lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (set->fds[2 * i + 1] < 0)
            return error_set(err, errno, "cache mount %s: lock", id);
        how = !strcmp(m->sharing, "locked") ? LOCK_EX : LOCK_EX | LOCK_NB;
        while (flock(set->fds[2 * i + 1], how) < 0) {
            if (errno == EWOULDBLOCK) { /* private and busy: a fresh directory for this run */
                close(basefd);
                basefd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (basefd < 0)
                    return error_set(err, errno, "open %s", scratch);
                free(name);
                name = xstrdup("cache-private");
                break;
            }
            if (errno != EINTR)
                return error_set(err, errno, "cache mount %s: lock", id);
        }
    }
    set->fds[2 * i] = run_mounts_open_dir(basefd, name, m, err);
    if (set->fds[2 * i] < 0)
        return -1;
    sm->kind = SANDBOX_MOUNT_BIND;
    sm->root_fd = set->fds[2 * i];
    return 0;
}

/* BuildKit's limit on a secret (secrets/secretsprovider, MaxSecretSize = 500 KiB) */
#define RUN_MOUNTS_SECRET_MAX (500 * 1024)

/* The secret's value into memfd, from a file (the user's own --secret src=) or a variable. */
static int
run_mounts_secret_fill(const struct run_mount *m, const char *src, const char *env, int memfd,
                       struct error *err)
{
    cleanup_free char *envname = NULL;
    cleanup_close int in = -1;
    struct stat st;
    const char *val;

    if (src) {
        cleanup_free char *path = xstrndup(src + 5, strcspn(src + 5, ","));
        in = open(path, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
            return error_input(err, "secret %s: cannot read %s: %s", m->id, path, strerror(errno));
        if (st.st_size > RUN_MOUNTS_SECRET_MAX)
            return error_input(err, "secret %s: %s is larger than %d bytes", m->id, path,
                               RUN_MOUNTS_SECRET_MAX);
        if (fs_copy_fd(in, memfd, path, err) < 0)
            return error_wrap(err, "secret %s", m->id);
        if (fstat(memfd, &st) < 0 || st.st_size > RUN_MOUNTS_SECRET_MAX)
            return error_input(err, "secret %s: %s is larger than %d bytes", m->id, path,
                               RUN_MOUNTS_SECRET_MAX);
        return 0;
    }
    envname = env ? xstrndup(env + 5, strcspn(env + 5, ",")) : xstrdup(m->id);
    val = getenv(envname);
    if (!val)
        return error_input(err, "secret %s: environment variable %s is not set", m->id, envname);
    if (strlen(val) > RUN_MOUNTS_SECRET_MAX)
        return error_input(err, "secret %s: $%s is larger than %d bytes", m->id, envname,
                           RUN_MOUNTS_SECRET_MAX);
    return fs_write_all(memfd, val, strlen(val), err) < 0 ? error_wrap(err, "secret %s", m->id) : 0;
}

/*
 * A secret lives in a sealed memfd, never in a file on the store's disk (so
 * nothing is left behind by kill -9); the sandbox copies it into a tmpfs.
 */
static int
run_mounts_secret(struct build *b, struct run_mounts *set, size_t i, struct sandbox_mount *sm,
                  struct error *err)
{
    struct run_mount *m = &set->m[i];
    const char *spec = run_mounts_secret_source(b, m->id);
    const char *src = spec ? strstr(spec, ",src=") : NULL;
    const char *env = spec ? strstr(spec, ",env=") : NULL;
    int fd;

    if (!spec)
        return 1; /* not given and not required: no mount */
    fd = memfd_create("strata-secret", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return error_set(err, errno, "secret %s: memfd", m->id);
    set->fds[2 * i] = fd;
    if (run_mounts_secret_fill(m, src, env, fd, err) < 0)
        return -1;
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        return error_set(err, errno, "secret %s: seal", m->id);
    sm->kind = SANDBOX_MOUNT_FILE;
    sm->data_fd = fd;
    sm->mode = m->mode >= 0 ? (unsigned)m->mode : 0400;
    sm->uid = (unsigned)m->uid;
    sm->gid = (unsigned)m->gid;
    return 0;
}

/* The whiteouts of the context's ignored files, as the top-most lower of view v. */
static int
run_mounts_mask(struct build *b, struct scratch *v, struct error *err)
{
    cleanup_free char *dir = fs_join(v->root, "mask");
    cleanup_close int fd = -1;

    if (mkdir(dir, 0755) < 0 || (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return error_set(err, errno, "mkdir %s", dir);
    if (context_mask(&b->ctx, fd, err) < 0)
        return error_wrap(err, "RUN --mount of the context");
    strvec_push(&v->lowers, dir);
    return 0;
}

/*
 * An overlay view: another stage's tree, or the context's for a writable
 * bind (its writes land in the view's upper dir and are dropped). The
 * source is resolved inside the view by the sandbox.
 */
static int
run_mounts_overlay(struct build *b, struct run_mounts *set, size_t i, struct sandbox_mount *sm,
                   const char *scratch, struct error *err)
{
    struct run_mount *m = &set->m[i];
    char *src = context_clean(m->source ? m->source : ".", err);
    struct overlay_spec o;
    struct scratch v;
    struct stat st;
    int rc;

    if (!src)
        return -1;
    strvec_push_owned(&set->paths, src);
    rc = scratch_init(&v, xasprintf("%s/mount-%zu", scratch, i), err);
    if (rc == 0 && m->from) {
        rc = scratch_lowers(b, m->from, &v.lowers, err);
    } else if (rc == 0) {
        cleanup_close int fd = fs_open_in_root(b->ctx.fd, src, O_PATH, err);
        if (fd < 0 || fstat(fd, &st) < 0)
            rc = fd < 0 ? error_wrap(err, "--mount source %s", src)
                        : error_set(err, errno, "--mount source %s", src);
        else
            sm->file = !S_ISDIR(st.st_mode);
        if (rc == 0 && b->ctx.has_ignore) /* .dockerignore'd files hidden, as BuildKit does */
            rc = run_mounts_mask(b, &v, err);
        strvec_push(&v.lowers, b->ctx.path); /* the context's root, as the user named it */
    }
    scratch_overlay(&v, &o);
    if (rc == 0)
        rc = overlay_prepare(&o, &set->preps[i], err);
    if (rc == 0) {
        sm->kind = SANDBOX_MOUNT_OVERLAY;
        sm->prep = &set->preps[i];
        sm->path = src;
    }
    scratch_forget(&v); /* the step's scratch dir goes with the step */
    return rc;
}

static int
run_mounts_prepare_one(struct build *b, struct run_mounts *set, size_t i, struct sandbox_mount *sm,
                       const char *scratch, struct error *err)
{
    struct run_mount *m = &set->m[i];

    sm->target = m->target;
    sm->readonly = !m->rw;
    switch (m->type) {
    case RUNMOUNT_CACHE:
        sm->readonly = 0;
        return run_mounts_cache_dir(b, set, i, sm, scratch, err);
    case RUNMOUNT_TMPFS:
        sm->kind = SANDBOX_MOUNT_TMPFS;
        sm->readonly = 0;
        sm->options = m->size;
        return 0;
    case RUNMOUNT_SECRET:
        sm->readonly = 1;
        return run_mounts_secret(b, set, i, sm, err);
    case RUNMOUNT_BIND:
        if (m->from || m->rw || b->ctx.has_ignore)
            return run_mounts_overlay(b, set, i, sm, scratch, err);
        sm->kind = SANDBOX_MOUNT_BIND;
        sm->root_fd = b->ctx.fd;
        sm->path = m->source;
        return 0;
    }
    return 0;
}

int
run_mounts_prepare(struct build *b, struct run_mounts *set, const char *scratch, struct error *err)
{
    size_t i, out = 0;

    if (!set->n)
        return 0;
    set->mounts = xcalloc(set->n, sizeof(*set->mounts));
    set->preps = xcalloc(set->n, sizeof(*set->preps));
    set->fds = xmalloc(2 * set->n * sizeof(*set->fds));
    for (i = 0; i < 2 * set->n; i++)
        set->fds[i] = -1;
    for (i = 0; i < set->n; i++) {
        struct sandbox_mount *sm = &set->mounts[out];
        int r = run_mounts_prepare_one(b, set, i, sm, scratch, err);
        if (r < 0)
            return -1;
        if (r == 0)
            out++;
        else
            memset(sm, 0, sizeof(*sm)); /* an optional secret that was not given */
    }
    set->nmounts = out; /* m[] keeps every parsed mount; mounts[] only the ones to make */
    return 0;
}
