#include "builder/engine/run_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/engine/copy.h"
#include "builder/engine/scratch.h"
#include "builder/engine/stage_image.h"
#include "builder/engine/stage_tree.h"
#include "builder/recipe/expand.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/snapshot.h"
#include "store/txn.h"

#include "formats/core/banned.h"

static void
run_mounts_free_one(struct run_mount *m)
{
    free(m->target);
    free(m->source);
    free(m->id);
    free(m->sharing);
    free(m->size);
    free(m->env);
    if (m->image) {
        stage_release(m->image);
        free(m->image);
    }
}

/* The environment copy holds secret values: overwritten before the memory goes back. */
static void
run_mounts_env_wipe(struct strvec *env)
{
    size_t i;

    for (i = 0; i < env->n; i++)
        explicit_bzero(env->v[i], strlen(env->v[i]));
    strvec_release(env);
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
        if (set->cache_names)
            free(set->cache_names[i]);
    }
    free(set->m);
    free(set->mounts);
    free(set->preps);
    free(set->fds);
    free(set->cache_names);
    strvec_release(&set->paths);
    run_mounts_env_wipe(&set->env);
    memset(set, 0, sizeof(*set));
}

/* ---- values ------------------------------------------------------------ */

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

/* mode (octal), uid, gid (decimal): unsigned 32-bit, as BuildKit's ParseUint(v, base, 32). */
static int
run_mounts_number(const char *v, int base, long *out)
{
    unsigned long long n;
    char *end;

    if (!v)
        return 1;
    if (*v < '0' || *v > '9')
        return 0;
    errno = 0;
    n = strtoull(v, &end, base);
    if (errno || *end || n > UINT32_MAX)
        return 0;
    *out = (long)n;
    return 1;
}

/*
 * tmpfs size= as BuildKit reads it (docker/go-units RAMInBytes): a number,
 * fractions allowed, an optional space and an optional unit k, m, g, t or p
 * (any case, with an optional "i" and "b"), all of them powers of 1024.
 */
static int
run_mounts_size(const char *v, long long *out)
{
    static const char units[] = "kmgtp";
    const char *p = v, *u;
    double n, mult = 1;
    char *end;

    if (*p < '0' || *p > '9')
        return -1;
    while ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))
        p++;
    n = strtod(v, &end);
    if (end != p)
        return -1;
    if (*p == ' ')
        p++;
    if (*p && (u = strchr(units, *p | 0x20)) != NULL) {
        for (; u >= units; u--)
            mult *= 1024;
        p++;
    }
    if (*p == 'i' || *p == 'I')
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p || n * mult > (double)LLONG_MAX)
        return -1;
    *out = (long long)(n * mult);
    return 0;
}

/*
 * A path cleaned the way Go's path.Clean cleans "/" + p: no empty, "." or
 * ".." components (".." stops at the root). Returns the components joined
 * with "/" and no leading "/"; "" is the root.
 */
static char *
run_mounts_clean(const char *p)
{
    struct strvec parts = STRVEC_INIT;
    struct buf out = BUF_INIT;
    size_t i;

    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 2 && !strncmp(p, "..", 2)) {
            if (parts.n) {
                free(parts.v[--parts.n]);
                parts.v[parts.n] = NULL;
            }
        } else if (n && !(n == 1 && *p == '.')) {
            strvec_push_owned(&parts, xstrndup(p, n));
        }
        p += n;
        p += *p == '/';
    }
    for (i = 0; i < parts.n; i++)
        buf_addf(&out, "%s%s", i ? "/" : "", parts.v[i]);
    strvec_release(&parts);
    return buf_detach(&out);
}

/* Go's path.Base: the last element, trailing slashes ignored; "." for "", "/" for "/". */
static char *
run_mounts_base(const char *p)
{
    size_t n = strlen(p), s;

    while (n > 1 && p[n - 1] == '/')
        n--;
    if (!n)
        return xstrdup(".");
    for (s = n; s > 0 && p[s - 1] != '/'; s--)
        ;
    return s == n ? xstrdup("/") : xstrndup(p + s, n - s);
}

/* ---- parsing ----------------------------------------------------------- */

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

static const char *const run_mounts_type_names[] = {"bind", "cache", "tmpfs", "secret"};

static int
run_mounts_type(const char *t, struct run_mount *m)
{
    size_t i;

    for (i = 0; i < sizeof(run_mounts_type_names) / sizeof(run_mounts_type_names[0]); i++) {
        if (!strcasecmp(t, run_mounts_type_names[i])) {
            m->type = (enum run_mounts_type)i;
            return 0;
        }
    }
    return -1;
}

/*
 * from= names an earlier stage or an image. BuildKit refuses a variable
 * there: the stages a step reads are known before any variable has a value.
 */
static int
run_mounts_from(struct build *b, struct stage *st, const char *raw, struct run_mount *m,
                const char *where, struct error *err)
{
    const char *dollar = strchr(raw, '$');

    if (dollar && dollar[1])
        return error_input(
            err,
            "%s: --mount from=%s: 'from' doesn't support variable expansion, define alias "
            "stage instead",
            where, raw);
    m->from = plan_find_stage(&b->plan, raw);
    if (m->from && m->from->index >= st->index)
        return error_input(err,
                           "%s: cannot mount from stage \"%s\", stage needs to be defined before "
                           "current command",
                           where, raw);
    if (m->from)
        return 0;
    m->image = xcalloc(1, sizeof(*m->image));
    if (stage_image_load(b, m->image, raw, err) < 0)
        return error_wrap(err, "%s: --mount from=%s", where, raw);
    m->from = m->image;
    return 0;
}

/* The options only some types take (BuildKit's parseMount and validateMount). */
static int
run_mounts_check_type(const struct run_mount *m, const struct run_mounts_fields *x,
                      const char *where, struct error *err)
{
    const char *type = run_mounts_type_names[m->type];
    const char *perm = x->mode ? "mode" : x->uid ? "uid" : x->gid ? "gid" : NULL;

    if (perm && m->type != RUNMOUNT_CACHE && m->type != RUNMOUNT_SECRET)
        return error_input(err, "%s: --mount: %s not allowed for \"%s\" type mounts", where, perm,
                           type);
    if (x->required && m->type != RUNMOUNT_SECRET)
        return error_input(err, "%s: --mount: unexpected key 'required' for mount type '%s'", where,
                           type);
    if (x->size && m->type != RUNMOUNT_TMPFS)
        return error_input(err, "%s: --mount: unexpected key 'size' for mount type '%s'", where,
                           type);
    if (m->type == RUNMOUNT_SECRET && x->from)
        return error_input(err, "%s: --mount: secret mount should not have a from", where);
    if (m->type == RUNMOUNT_SECRET && x->sharing)
        return error_input(err, "%s: --mount: secret mount should not define sharing", where);
    if (x->sharing && m->type != RUNMOUNT_CACHE)
        return error_input(err, "%s: --mount: invalid cache sharing set for %s mount", where, type);
    if (x->env && m->type == RUNMOUNT_SECRET && (!*x->env || strchr(x->env, '=')))
        return error_input(err, "%s: --mount env=%s: not a variable name", where, x->env);
    return 0;
}

/* Turns the expanded fields into m, checking each value. */
static int
run_mounts_resolve(struct build *b, struct stage *st, const struct parse_mount *pm,
                   struct run_mount *m, const struct run_mounts_fields *x, const char *where,
                   struct error *err)
{
    long long size;
    int ro = 0, rw = 0;

    if (run_mounts_type(x->type ? x->type : "bind", m) < 0)
        return error_input(err, "%s: --mount type=%s is not supported (bind, cache, tmpfs, secret)",
                           where, x->type);
    if (run_mounts_check_type(m, x, where, err) < 0)
        return -1;
    if (x->sharing && strcasecmp(x->sharing, "shared") && strcasecmp(x->sharing, "private") &&
        strcasecmp(x->sharing, "locked"))
        return error_input(err, "%s: --mount sharing=%s: use shared, private or locked", where,
                           x->sharing);
    if (x->sharing) {
        m->sharing = xstrdup(x->sharing);
        for (char *c = m->sharing; *c; c++)
            *c = (char)(*c | 0x20);
    }
    if (x->size && run_mounts_size(x->size, &size) < 0)
        return error_input(err, "%s: --mount size=%s: invalid value", where, x->size);
    if (x->size && size > 0)
        m->size = xasprintf("size=%lld", size);
    if (!run_mounts_number(x->mode, 8, &m->mode))
        return error_input(err, "%s: --mount mode=%s: expected an octal mode", where, x->mode);
    if (!run_mounts_number(x->uid, 10, &m->uid) || !run_mounts_number(x->gid, 10, &m->gid))
        return error_input(err, "%s: --mount uid/gid: expected a number", where);
    if (run_mounts_bool(x->required, 0, &m->required) < 0)
        return error_input(err, "%s: --mount required=%s: expected true or false", where,
                           x->required);
    if (run_mounts_bool(x->ro, 0, &ro) < 0 || run_mounts_bool(x->rw, 0, &rw) < 0)
        return error_input(err, "%s: --mount ro/rw: expected true or false", where);
    /* cache and tmpfs mounts are writable unless ro; the others read-only unless rw */
    m->readonly = x->rw ? !rw : x->ro ? ro : m->type != RUNMOUNT_CACHE && m->type != RUNMOUNT_TMPFS;
    if (m->type == RUNMOUNT_SECRET && x->env)
        m->env = xstrdup(x->env);
    if (x->from && m->type != RUNMOUNT_TMPFS)
        return run_mounts_from(b, st, pm->from, m, where, err);
    return 0;
}

/*
 * A secret's id is source=, else id=, else the target's last element; its
 * file is the target, else /run/secrets/<id>, unless only env= asks for it
 * (convert_secrets.go, dispatchSecret).
 */
static int
run_mounts_secret_names(struct run_mount *m, const char *where, struct error *err)
{
    if (!m->source && !m->target && !m->id)
        return error_input(err, "%s: --mount: invalid secret mount. one of source, target required",
                           where);
    if (m->source && m->id)
        return error_input(err, "%s: --mount: both source and id can't be set", where);
    if (m->source) {
        m->id = m->source;
        m->source = NULL;
    }
    if (!m->id)
        m->id = run_mounts_base(m->target);
    if (!m->target && !m->env) {
        cleanup_free char *base = run_mounts_base(m->id);
        m->target = xasprintf("/run/secrets/%s", base);
    }
    return 0;
}

/* One --mount: expanded, checked, defaults filled in (the target still as written). */
static int
run_mounts_parse_one(struct build *b, struct stage *st, const struct parse_mount *pm,
                     const struct strvec *vars, struct run_mount *m, const char *where,
                     struct error *err)
{
    struct run_mounts_fields x = {0};
    int rc;

    memset(m, 0, sizeof(*m));
    m->mode = m->uid = m->gid = -1;
    rc = run_mounts_expand_all(b, pm, vars, m, &x, err);
    if (rc < 0)
        error_wrap(err, "%s", where);
    else
        rc = run_mounts_resolve(b, st, pm, m, &x, where, err);
    run_mounts_fields_release(&x);
    if (rc < 0)
        return -1;
    if (m->type == RUNMOUNT_SECRET)
        return run_mounts_secret_names(m, where, err);
    if (!m->target)
        return error_input(err, "%s: --mount needs a target", where);
    if (m->type == RUNMOUNT_CACHE && !m->id) { /* Go's path.Clean(target), before WORKDIR */
        cleanup_free char *c = run_mounts_clean(m->target);
        m->id = m->target[0] == '/' ? xasprintf("/%s", c) : *c ? xstrdup(c) : xstrdup(".");
    }
    return 0;
}

/* Makes the target absolute against the working directory and clean (not "/"). */
static int
run_mounts_target(struct run_mount *m, const char *wd, const char *where, struct error *err)
{
    cleanup_free char *joined = NULL, *clean = NULL;

    if (!m->target)
        return 0; /* a secret given only as env= */
    joined = m->target[0] == '/' ? xstrdup(m->target) : fs_join(wd ? wd : "/", m->target);
    clean = run_mounts_clean(joined);
    if (!*clean)
        return error_input(err, "%s: --mount: invalid mount target \"/\"", where);
    free(m->target);
    m->target = xasprintf("/%s", clean);
    return 0;
}

/* The source relative to its tree (a context, stage or cache), or NULL for its root. */
static void
run_mounts_source(struct run_mount *m)
{
    char *c;

    if (!m->source || m->type == RUNMOUNT_SECRET)
        return;
    c = run_mounts_clean(m->source);
    free(m->source);
    m->source = *c ? c : NULL;
    if (!*c)
        free(c);
}

static const char *
run_mounts_secret_spec(struct build *b, const char *id)
{
    size_t il = strlen(id), i;

    for (i = 0; i < b->o->secrets.n; i++) {
        const char *s = b->o->secrets.v[i];
        if (!strncmp(s, "id=", 3) && !strncmp(s + 3, id, il) && (s[3 + il] == ',' || !s[3 + il]))
            return s;
    }
    return NULL;
}

static void
run_mounts_key(struct run_mount *m, struct cachekey *k)
{
    cleanup_free char *line = xasprintf(
        "%d %s %s %s %d %ld %ld %ld %s %s %s %d", (int)m->type, m->target ? m->target : "",
        m->id ? m->id : "", m->source ? m->source : "", !m->readonly, m->mode, m->uid, m->gid,
        m->env ? m->env : "", m->sharing ? m->sharing : "", m->size ? m->size : "", m->required);

    cachekey_add(k, "mount", line);
}

/* What the mount exposes of another tree: part of the step's input, like a COPY source. */
static int
run_mounts_key_content(struct build *b, struct run_mount *m, struct cachekey *k, const char *where,
                       struct error *err)
{
    if (m->from && m->from != m->image && m->type == RUNMOUNT_BIND) {
        /* a stage's tree: keyed on what is mounted, as BuildKit does, not on how the stage
         * made it; a source that cannot be hashed (missing) keeps the stage key below and
         * fails at the mount */
        struct error ignored;
        error_init(&ignored);
        if (stage_tree_hash(b, m->from, m->source ? m->source : ".", k, &ignored) == 0)
            return 0;
    }
    if (m->from && (m->type == RUNMOUNT_BIND || m->type == RUNMOUNT_CACHE)) {
        cachekey_add(k, "mount-from", m->from->key);
        return 0;
    }
    if (m->type != RUNMOUNT_BIND)
        return 0;
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
        run_mounts_source(m);
        if (m->source && m->type == RUNMOUNT_BIND && !m->from &&
            context_ignored(&b->ctx, m->source))
            return error_input(err, "%s: --mount source %s is excluded by .dockerignore", where,
                               m->source);
        run_mounts_key(m, k);
        if (run_mounts_key_content(b, m, k, where, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- cache mounts ------------------------------------------------------ */

/*
 * Who this process is, for "this build already emptied that cache": the
 * boot, the pid and the process's start time (a pid alone comes back).
 */
static void
run_mounts_token(char *out, size_t n)
{
    char boot[64] = "", stat[1024] = "";
    unsigned long long start = 0;
    const char *p;
    int fd;

    if ((fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)) >= 0) {
        ssize_t r = read(fd, boot, sizeof(boot) - 1);
        boot[r > 0 ? r : 0] = '\0';
        boot[strcspn(boot, "\n")] = '\0';
        close(fd);
    }
    if ((fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) >= 0) {
        ssize_t r = read(fd, stat, sizeof(stat) - 1);
        stat[r > 0 ? r : 0] = '\0';
        close(fd);
    }
    /* proc(5): starttime is field 22, the 20th after the ")" that ends comm */
    if ((p = strrchr(stat, ')')) != NULL) {
        int field;
        for (field = 2; field < 22 && (p = strchr(p + 1, ' ')) != NULL; field++)
            ;
        if (p)
            start = strtoull(p + 1, NULL, 10);
    }
    snprintf(out, n, "strata-build %s %ld %llu", boot, (long)getpid(), start);
}

/*
 * The cache's directory name: a digest of its id, and of what BuildKit
 * keys a cache on besides (the ref it starts from): the from= tree, or the
 * root directory that uid, gid and mode make (solver/llbsolver/mounts,
 * getRefCacheDir: key = id + ":" + ref).
 */
static char *
run_mounts_cache_name(const struct run_mount *m)
{
    struct buf key = BUF_INIT;
    char d[DIGEST_STR_LEN + 1];

    buf_adds(&key, m->id);
    if (m->from)
        buf_addf(&key, "\nfrom %s %s", m->from->key, m->source ? m->source : "");
    if ((m->mode >= 0 || m->uid >= 0 || m->gid >= 0) && !m->source)
        buf_addf(&key, "\nperm %lo %ld %ld", m->mode, m->uid, m->gid);
    digest_bytes(buf_cstr(&key), key.len, d);
    buf_release(&key);
    return xstrdup(digest_hex(d));
}

struct run_mounts_seed {
    int destfd;
    const char *source;
};

/* In a child with the from= tree mounted at merged: copies source into the new cache. */
static int
run_mounts_seed_child(const char *merged, void *arg, struct error *err)
{
    const struct run_mounts_seed *s = arg;
    cleanup_close int srcfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_free char *dest = xasprintf("/%s", s->source ? s->source : "");
    struct strvec sources = STRVEC_INIT;
    struct copy_job job;
    int rc;

    if (srcfd < 0)
        return error_set(err, errno, "open %s", merged);
    memset(&job, 0, sizeof(job));
    job.upper = -1; /* not an overlay: the copy goes where it is told */
    strvec_push(&sources, s->source ? s->source : ".");
    job.src_root = srcfd;
    job.sources = &sources;
    job.dest = dest;
    job.dest_is_dir = 1;
    job.keep_owner = 1;
    rc = copy_run(s->destfd, &job, err);
    strvec_release(&sources);
    return rc;
}

/*
 * A new cache's first content, from= tree: BuildKit starts the cache from
 * the whole stage; only what the mount shows (source) is copied here, at
 * the same place in the cache.
 */
static int
run_mounts_seed(struct build *b, const struct run_mount *m, int destfd, const char *scratch,
                size_t i, struct error *err)
{
    struct run_mounts_seed s = {destfd, m->source};
    struct overlay_spec o;
    struct scratch v;
    int rc = scratch_init(&v, xasprintf("%s/seed-%zu", scratch, i), err);

    if (rc == 0)
        rc = scratch_lowers(b, m->from, &v.lowers, err);
    scratch_overlay(&v, &o);
    if (rc == 0)
        rc = overlay_run(&o, run_mounts_seed_child, &s, err);
    scratch_forget(&v); /* the step's scratch dir goes with the step */
    return rc < 0 ? error_wrap(err, "cache mount %s: from=%s", m->target,
                               m->from->name ? m->from->name : m->from->base_ref)
                  : 0;
}

/*
 * Makes cache directory name in dirfd: from= content, or the root that
 * uid, gid and mode describe (0755 root's otherwise). It is filled below
 * the store's tmp/ and renamed into place, so no build sees it half made;
 * when another build made it first, theirs stays.
 */
static int
run_mounts_cache_make(struct build *b, const struct run_mount *m, int dirfd, const char *name,
                      const char *scratch, size_t i, struct error *err)
{
    int perm = (m->mode >= 0 || m->uid >= 0 || m->gid >= 0) && !m->source;
    mode_t mode = perm && m->mode >= 0 ? (mode_t)(m->mode & 07777) : 0755;
    char *tmp = txn_tmp_path(b->store->tmp, "cache");
    cleanup_close int fd = -1;
    int rc = 0;

    if (mkdir(tmp, 0700) < 0 ||
        (fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        rc = error_set(err, errno, "cache mount %s: mkdir %s", m->target, tmp);
    if (rc == 0 && perm &&
        fchown(fd, (uid_t)(m->uid >= 0 ? m->uid : 0), (gid_t)(m->gid >= 0 ? m->gid : 0)) < 0)
        rc = error_set(err, errno, "cache mount %s: owner %ld:%ld", m->target, m->uid, m->gid);
    if (rc == 0 && fchmod(fd, mode) < 0)
        rc = error_set(err, errno, "cache mount %s: mode %o", m->target, (unsigned)mode);
    if (rc == 0 && m->from && !perm)
        rc = run_mounts_seed(b, m, fd, scratch, i, err);
    if (rc == 0 && renameat2(AT_FDCWD, tmp, dirfd, name, RENAME_NOREPLACE) < 0 && errno != EEXIST)
        rc = error_set(err, errno, "cache mount %s: rename %s", m->target, tmp);
    if (rc == 0 && fs_exists(AT_FDCWD, tmp))
        txn_discard(tmp); /* made meanwhile by another build */
    else if (rc == 0)
        txn_unregister(tmp);
    else
        txn_discard(tmp);
    free(tmp);
    return rc;
}

/*
 * --no-cache: BuildKit prunes the cache mounts of the steps it runs anew
 * before the build (llbsolver bridge, PruneCacheMounts), so each starts
 * empty and what the build leaves in it is the cache afterwards. The lock
 * file records which build emptied it, so that the steps of one build
 * share what they put there. Called with the lock held.
 */
static int
run_mounts_cache_reset(struct build *b, int basefd, const char *name, int lockfd, const char *what,
                       struct error *err)
{
    char token[160], seen[160];
    size_t len;
    ssize_t r;
    char *old;

    run_mounts_token(token, sizeof(token));
    len = strlen(token);
    r = pread(lockfd, seen, sizeof(seen), 0);
    if (r == (ssize_t)len && !memcmp(seen, token, len))
        return 0;
    old = txn_tmp_path(b->store->tmp, "cache-old");
    if (renameat(basefd, name, AT_FDCWD, old) < 0 && errno != ENOENT) {
        int e = errno;
        txn_unregister(old);
        free(old);
        return error_set(err, e, "cache mount %s: empty it", what);
    }
    txn_discard(old);
    free(old);
    if (ftruncate(lockfd, 0) < 0 || pwrite(lockfd, token, len, 0) != (ssize_t)len)
        return error_set(err, errno, "cache mount %s: lock", what);
    return 0;
}

/*
 * Creates the directories of rel that are missing below the tree of root
 * (each name resolved inside it, so a symlink in the cache never leads
 * out).
 */
static int
run_mounts_subdir(int root, const char *rel, const char *what, struct error *err)
{
    cleanup_free char *path = xstrdup(rel);
    char *slash = path;
    struct error e;

    for (;;) {
        int fd, pfd;
        slash = strchr(slash, '/');
        if (slash)
            *slash = '\0';
        error_init(&e);
        fd = fs_open_in_root(root, path, O_PATH | O_DIRECTORY, &e);
        if (fd < 0 && e.sys_errno == ENOENT) {
            char *last = strrchr(path, '/');
            if (last)
                *last = '\0';
            pfd = fs_open_in_root(root, last ? path : ".", O_PATH | O_DIRECTORY, &e);
            if (last)
                *last = '/';
            if (pfd >= 0 && mkdirat(pfd, last ? last + 1 : path, 0755) < 0 && errno != EEXIST)
                e.sys_errno = errno;
            if (pfd >= 0)
                close(pfd);
            fd = fs_open_in_root(root, path, O_PATH | O_DIRECTORY, &e);
        }
        if (fd < 0)
            return error_set(err, e.sys_errno, "cache mount %s: source %s", what, path);
        close(fd);
        if (!slash)
            return 0;
        *slash++ = '/';
    }
}

/* sharing=locked waits for the cache; private takes a copy of its own when it is busy. */
static int
run_mounts_cache_lock(struct run_mounts *set, size_t i, int *busy, struct error *err)
{
    const struct run_mount *m = &set->m[i];
    int how = m->sharing && !strcmp(m->sharing, "private") ? LOCK_EX | LOCK_NB : LOCK_EX;

    *busy = 0;
    while (flock(set->fds[2 * i + 1], how) < 0) {
        if (errno == EWOULDBLOCK) {
            *busy = 1;
            return 0;
        }
        if (errno != EINTR)
            return error_set(err, errno, "cache mount %s: lock", m->target);
    }
    return 0;
}

static int
run_mounts_cache_open(int dirfd, const char *name, const char *what, struct error *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    return fd < 0 ? error_set(err, errno, "cache mount %s", what) : fd;
}

/*
 * A mount whose target lies below cache mount i (--mount=type=cache,
 * target=/foo/bar and target=/foo/bar/baz) needs its mount point inside the
 * cache directory. Stages running in parallel share that directory (same
 * id), and two sandboxes creating the same mount point at once would see each
 * other's mkdir as EEXIST, which the sandbox takes for a dangling symlink.
 * Made here first, under the build's own process, where EEXIST is harmless.
 * Each component is opened with O_NOFOLLOW: the cache's content comes from
 * earlier RUNs, and a symlink in it is left for the sandbox to resolve
 * inside the rootfs. root is the directory mounted at the target (the cache,
 * or its source= subdirectory).
 */
static void
run_mounts_cache_stubs(const struct run_mounts *set, size_t i, int root)
{
    const char *top = set->m[i].target;
    size_t tl = strlen(top), j;

    for (j = 0; j < set->n; j++) {
        const char *t = set->m[j].target;
        cleanup_free char *rel = NULL;
        char *comp, *save = NULL;
        int fd;
        if (j == i || strncmp(t, top, tl) || t[tl] != '/' || set->m[j].type == RUNMOUNT_SECRET)
            continue;
        rel = xstrdup(t + tl + 1);
        fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
        for (comp = strtok_r(rel, "/", &save); fd >= 0 && comp; comp = strtok_r(NULL, "/", &save)) {
            int next;
            if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
                break;
            next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            close(fd);
            fd = next;
        }
        if (fd >= 0)
            close(fd);
    }
}

/* The directory cache mount i shows: its cache, or the source= subdirectory (made when missing). */
static int
run_mounts_cache_root(struct run_mounts *set, size_t i, int fd, struct error *err)
{
    const struct run_mount *m = &set->m[i];
    cleanup_close int sub = -1;

    if (!m->source) {
        run_mounts_cache_stubs(set, i, fd);
        return 0;
    }
    if (run_mounts_subdir(fd, m->source, m->target, err) < 0)
        return -1;
    sub = fs_open_in_root(fd, m->source, O_RDONLY | O_DIRECTORY, err);
    if (sub < 0)
        return error_wrap(err, "cache mount %s", m->target);
    run_mounts_cache_stubs(set, i, sub);
    return 0;
}

static int
run_mounts_cache_dir(struct build *b, struct run_mounts *set, size_t i, struct sandbox_mount *sm,
                     const char *scratch, struct error *err)
{
    struct run_mount *m = &set->m[i];
    const char *how = m->sharing ? m->sharing : "shared";
    cleanup_free char *lock = NULL;
    cleanup_close int basefd = -1;
    char *name = set->cache_names[i] = run_mounts_cache_name(m);
    int busy = 0, fd, j;

    sm->kind = SANDBOX_MOUNT_BIND;
    sm->path = m->source;
    for (j = (int)i - 1; j >= 0; j--) { /* the same cache twice in one RUN: one directory */
        if (set->cache_names[j] && !strcmp(set->cache_names[j], name) && set->fds[2 * j] >= 0) {
            sm->root_fd = set->fds[2 * j];
            return run_mounts_cache_root(set, i, sm->root_fd, err);
        }
    }
    lock = xasprintf("%s.lock", name);
    if (mkdirat(b->store->root_fd, "cache-mounts", 0700) < 0 && errno != EEXIST)
        return error_set(err, errno, "cache mount %s", m->target);
    basefd =
        openat(b->store->root_fd, "cache-mounts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (basefd < 0)
        return error_set(err, errno, "cache mount %s", m->target);
    if (set->fresh_caches || strcmp(how, "shared")) {
        set->fds[2 * i + 1] = openat(basefd, lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (set->fds[2 * i + 1] < 0)
            return error_set(err, errno, "cache mount %s: lock", m->target);
        if (run_mounts_cache_lock(set, i, &busy, err) < 0)
            return -1;
    }
    if (busy) { /* private and busy: a fresh cache for this run only */
        close(basefd);
        basefd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (basefd < 0)
            return error_set(err, errno, "open %s", scratch);
        free(name);
        name = set->cache_names[i] = xasprintf("cache-private-%zu", i);
    } else if (set->fresh_caches &&
               run_mounts_cache_reset(b, basefd, name, set->fds[2 * i + 1], m->target, err) < 0) {
        return -1;
    }
    if (!busy && set->fds[2 * i + 1] >= 0 && !strcmp(how, "shared"))
        flock(set->fds[2 * i + 1], LOCK_UN); /* only the reset needed it */
    fd = openat(basefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if (run_mounts_cache_make(b, m, basefd, name, scratch, i, err) < 0)
            return -1;
        fd = run_mounts_cache_open(basefd, name, m->target, err);
    } else if (fd < 0) {
        fd = error_set(err, errno, "cache mount %s", m->target);
    }
    if (fd < 0)
        return -1;
    set->fds[2 * i] = fd;
    sm->root_fd = fd;
    return run_mounts_cache_root(set, i, fd, err);
}

/* ---- secrets ----------------------------------------------------------- */

/* BuildKit's limit on a secret (secrets/secretsprovider, MaxSecretSize = 500 KiB) */
#define RUN_MOUNTS_SECRET_MAX (500 * 1024)

/*
 * Where --secret id=ID[,type=file|env][,src|source=FILE][,env=VAR] takes
 * the value (buildx's --secret, BuildKit's secretsprovider.NewStore): a
 * file or a variable; with neither, the variable ID when it is set, else
 * the file ID.
 */
static int
run_mounts_secret_from(const char *spec, const char *id, char **file, char **env, struct error *err)
{
    cleanup_free char *type = NULL;
    const char *p = spec;

    *file = *env = NULL;
    while (*p) {
        size_t n = strcspn(p, ","), kl = strcspn(p, "=,");
        char **slot = NULL;
        if (kl == 2 && !strncmp(p, "id", 2))
            slot = NULL;
        else if (kl == 4 && !strncmp(p, "type", 4))
            slot = &type;
        else if ((kl == 3 && !strncmp(p, "src", 3)) || (kl == 6 && !strncmp(p, "source", 6)))
            slot = file;
        else if (kl == 3 && !strncmp(p, "env", 3))
            slot = env;
        else
            return error_input(err, "--secret %s: unexpected key '%.*s'", spec, (int)kl, p);
        if (slot) {
            free(*slot);
            *slot = kl < n ? xstrndup(p + kl + 1, n - kl - 1) : xstrdup("");
        }
        p += n;
        p += *p == ',';
    }
    if (type && strcmp(type, "file") && strcmp(type, "env"))
        return error_input(err, "--secret %s: type must be file or env", spec);
    if (type && !strcmp(type, "env") && !*env) {
        *env = *file;
        *file = NULL;
    }
    if (!*file && !*env) {
        if (getenv(id))
            *env = xstrdup(id);
        else
            *file = xstrdup(id);
    }
    return 0;
}

/* The secret's value into memfd, from a file (the user's own --secret src=) or a variable. */
static int
run_mounts_secret_fill(const struct run_mount *m, const char *file, const char *env, int memfd,
                       struct error *err)
{
    cleanup_close int in = -1;
    struct stat st;
    const char *val;

    if (file) {
        in = open(file, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
            return error_input(err, "secret %s: cannot read %s: %s", m->id, file, strerror(errno));
        if (st.st_size > RUN_MOUNTS_SECRET_MAX)
            return error_input(err, "secret %s: %s is larger than %d bytes", m->id, file,
                               RUN_MOUNTS_SECRET_MAX);
        if (fs_copy_fd(in, memfd, file, err) < 0)
            return error_wrap(err, "secret %s", m->id);
        if (fstat(memfd, &st) < 0 || st.st_size > RUN_MOUNTS_SECRET_MAX)
            return error_input(err, "secret %s: %s is larger than %d bytes", m->id, file,
                               RUN_MOUNTS_SECRET_MAX);
        return 0;
    }
    val = getenv(env);
    if (!val)
        return error_input(err, "secret %s: environment variable %s is not set", m->id, env);
    if (strlen(val) > RUN_MOUNTS_SECRET_MAX)
        return error_input(err, "secret %s: $%s is larger than %d bytes", m->id, env,
                           RUN_MOUNTS_SECRET_MAX);
    return fs_write_all(memfd, val, strlen(val), err) < 0 ? error_wrap(err, "secret %s", m->id) : 0;
}

/* The whole value of a secret's memfd, NUL-terminated (the caller wipes and frees it). */
static char *
run_mounts_secret_value(int fd, size_t *len)
{
    struct stat st;
    size_t n = 0;
    char *v;

    if (fstat(fd, &st) < 0 || st.st_size < 0)
        st.st_size = 0;
    v = xmalloc((size_t)st.st_size + 1);
    while (n < (size_t)st.st_size) {
        ssize_t r = pread(fd, v + n, (size_t)st.st_size - n, (off_t)n);
        if (r <= 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    v[n] = '\0';
    *len = n;
    return v;
}

/*
 * A secret lives in a sealed memfd, never in a file on the store's disk (so
 * nothing is left behind by kill -9); the sandbox copies it into a tmpfs.
 * Returns 1 when there is nothing to mount: an optional secret not given,
 * or one given only as env=.
 */
static int
run_mounts_secret(struct build *b, struct run_mounts *set, size_t i, struct sandbox_mount *sm,
                  struct error *err)
{
    struct run_mount *m = &set->m[i];
    const char *spec = run_mounts_secret_spec(b, m->id);
    cleanup_free char *file = NULL, *env = NULL;
    int fd;

    if (!spec && m->required) /* BuildKit's words: a test looks for them */
        return error_input(err, "secret %s: not found (pass --secret id=%s,src=FILE or env=VAR)",
                           m->id, m->id);
    if (!spec)
        return 1;
    if (run_mounts_secret_from(spec, m->id, &file, &env, err) < 0)
        return -1;
    fd = memfd_create("strata-secret", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return error_set(err, errno, "secret %s: memfd", m->id);
    set->fds[2 * i] = fd;
    if (run_mounts_secret_fill(m, file, env, fd, err) < 0)
        return -1;
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        return error_set(err, errno, "secret %s: seal", m->id);
    if (m->env) {
        size_t len;
        char *v = run_mounts_secret_value(fd, &len);
        int nul = memchr(v, '\0', len) != NULL;
        explicit_bzero(v, len);
        free(v);
        if (nul)
            return error_input(err, "secret %s: a NUL byte cannot go into variable %s", m->id,
                               m->env);
    }
    if (!m->target)
        return 1;
    sm->kind = SANDBOX_MOUNT_FILE;
    sm->data_fd = fd;
    /* llb.AddSecret: mode 0400, uid and gid 0 unless given; the mounter keeps mode & 0777 */
    sm->mode = m->mode >= 0 ? (unsigned)m->mode & 0777 : 0400;
    sm->uid = m->uid >= 0 ? (unsigned)m->uid : 0;
    sm->gid = m->gid >= 0 ? (unsigned)m->gid : 0;
    return 0;
}

char *const *
run_mounts_env(struct run_mounts *set, char *const *base)
{
    size_t i, j;
    int any = 0;

    for (i = 0; i < set->n; i++)
        any |= set->m[i].type == RUNMOUNT_SECRET && set->m[i].env;
    if (!any)
        return base;
    run_mounts_env_wipe(&set->env);
    for (; base && *base; base++)
        strvec_push(&set->env, *base);
    for (i = 0; i < set->n; i++) {
        const struct run_mount *m = &set->m[i];
        size_t nl = m->env ? strlen(m->env) : 0, len = 0;
        char *v, *entry;
        if (m->type != RUNMOUNT_SECRET || !m->env)
            continue;
        /* an optional secret that was not given: NAME= (llbsolver exec, loadSecretEnv) */
        v = set->fds && set->fds[2 * i] >= 0 ? run_mounts_secret_value(set->fds[2 * i], &len)
                                             : xstrdup("");
        entry = xmalloc(nl + 1 + len + 1);
        memcpy(entry, m->env, nl);
        entry[nl] = '=';
        memcpy(entry + nl + 1, v, len + 1);
        explicit_bzero(v, len);
        free(v);
        for (j = 0; j < set->env.n; j++)
            if (!strncmp(set->env.v[j], m->env, nl) && set->env.v[j][nl] == '=')
                break;
        if (j < set->env.n) {
            explicit_bzero(set->env.v[j], strlen(set->env.v[j]));
            free(set->env.v[j]);
            set->env.v[j] = entry;
        } else {
            strvec_push_owned(&set->env, entry);
        }
    }
    return strvec_argv(&set->env);
}

/* ---- binds and the rest ------------------------------------------------ */

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
 * Whether src is a file in the tree of lowers (top-most first), so that the
 * sandbox makes a file, not a directory, as its mount point: the first
 * layer that has the name decides (a whiteout hides it). The sandbox
 * resolves the source again in the mounted view and refuses a mismatch.
 */
static int
run_mounts_lowers_file(const struct strvec *lowers, const char *src)
{
    struct error e;
    struct stat st;
    size_t i;

    for (i = 0; i < lowers->n; i++) {
        cleanup_close int root = open(lowers->v[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        cleanup_close int fd = -1;
        if (root < 0)
            continue;
        error_init(&e);
        fd = fs_open_in_root(root, src, O_PATH, &e);
        if (fd < 0 || fstat(fd, &st) < 0)
            continue; /* (a symlink to another layer's file is not followed there) */
        if (S_ISCHR(st.st_mode) && st.st_rdev == 0) /* image-spec layer.md: a whiteout */
            return 0;
        return !S_ISDIR(st.st_mode);
    }
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
        sm->file = rc == 0 && run_mounts_lowers_file(&v.lowers, src);
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
    sm->readonly = m->readonly;
    switch (m->type) {
    case RUNMOUNT_CACHE:
        return run_mounts_cache_dir(b, set, i, sm, scratch, err);
    case RUNMOUNT_TMPFS:
        sm->kind = SANDBOX_MOUNT_TMPFS;
        sm->options = m->size;
        return 0;
    case RUNMOUNT_SECRET:
        sm->readonly = 1;
        return run_mounts_secret(b, set, i, sm, err);
    case RUNMOUNT_BIND:
        if (m->from || !m->readonly || b->ctx.has_ignore)
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
    set->cache_names = xcalloc(set->n, sizeof(*set->cache_names));
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
            memset(sm, 0, sizeof(*sm)); /* a secret with no file to mount */
    }
    set->nmounts = out; /* m[] keeps every parsed mount; mounts[] only the ones to make */
    return 0;
}
