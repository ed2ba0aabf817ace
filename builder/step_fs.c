/*
 * Steps that change the file system: RUN in the sandbox, COPY/ADD and
 * WORKDIR's mkdir through an overlay in a private mount namespace, each
 * captured from the overlay's upper dir as a layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/build_internal.h"
#include "builder/cachekey.h"
#include "builder/copy.h"
#include "builder/expand.h"
#include "builder/overlay.h"
#include "builder/runmount.h"
#include "builder/sandbox.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/layer.h"
#include "store/snapshot.h"
#include "store/txn.h"

#define STEP_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- steps with a filesystem change ------------------------------------ */

struct step_dir {
    char *root; /* tmp/<pid>-<n>-step */
    char *upper, *work, *merged, *links;
    struct strvec lowers; /* snapshot paths, top-most first */
};

static void
step_dir_release(struct step_dir *d)
{
    if (d->root)
        txn_discard(d->root);
    free(d->root);
    free(d->upper);
    free(d->work);
    free(d->merged);
    free(d->links);
    strvec_release(&d->lowers);
    memset(d, 0, sizeof(*d));
}

/* Makes sure every layer of a stage is unpacked; lists them top-most first. */
static int
step_lowers(struct build *b, const struct stage *st, struct strvec *out, struct error *err)
{
    size_t i;

    for (i = st->layers.nlayers; i-- > 0;) {
        if (snapshot_ensure(b->store, st->layers.layers[i].digest, st->diff_ids.v[i], err) < 0)
            return -1;
        strvec_push_owned(out, snapshot_path(b->store, st->diff_ids.v[i]));
    }
    return 0;
}

static int
step_dir_make(struct build *b, const struct stage *st, struct step_dir *d, struct error *err)
{
    static const char *const subs[] = { "upper", "work", "merged", "links" };
    size_t i;

    memset(d, 0, sizeof(*d));
    d->root = txn_tmp_path(b->store->tmp, "step");
    if (mkdir(d->root, 0700) < 0)
        return error_set(err, errno, "mkdir %s", d->root);
    for (i = 0; i < 4; i++) {
        cleanup_free char *p = fs_join(d->root, subs[i]);
        if (mkdir(p, 0755) < 0)
            return error_set(err, errno, "mkdir %s", p);
    }
    d->upper = fs_join(d->root, "upper");
    d->work = fs_join(d->root, "work");
    d->merged = fs_join(d->root, "merged");
    d->links = fs_join(d->root, "links");
    return step_lowers(b, st, &d->lowers, err);
}

static void
step_overlay_spec(const struct step_dir *d, struct overlay_spec *o)
{
    memset(o, 0, sizeof(*o));
    o->lowers = (const char *const *)d->lowers.v;
    o->nlowers = d->lowers.n;
    o->upper = d->upper;
    o->work = d->work;
    o->merged = d->merged;
    o->linkdir = d->links;
    o->userxattr = geteuid() != 0;
}

/* Captures the step's upper dir and records the step. */
static int
step_capture(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
             struct step_dir *d, const char *created_by, cJSON *prov, cJSON *cfg,
             struct error *err)
{
    struct tar_write_opts opts;
    struct layer_info info;
    struct step_out o = { 0 };

    tar_write_opts_init(&opts);
    opts.compression = b->o->compression;
    opts.clamp_mtime = b->o->source_date_epoch;
    if (layer_capture(b->store, d->upper, &opts, &info, err) < 0) {
        cJSON_Delete(prov);
        cJSON_Delete(cfg);
        return error_wrap(err, "%s:%d", b->recipe.file, in->line);
    }
    if (info.entries) {
        cJSON_AddStringToObject(prov, "diff_id", info.diff_id);
        cJSON_AddStringToObject(prov, "digest", info.digest);
    }
    o.config = cfg ? cfg : cJSON_Duplicate(step_cfg(st), 1);
    o.created_by = created_by;
    o.layer = &info;
    o.provenance = prov;
    return step_commit(b, st, key, &o, err);
}

struct step_run_ctx {
    const char *prefix;
};

static void
step_on_output(void *opaque, const char *line, size_t len)
{
    const struct step_run_ctx *c = opaque;

    progress_output(c->prefix, line, len);
}

static void
step_run_argv(const struct stage *st, const struct parse_instr *in, struct strvec *argv)
{
    size_t i;

    if (in->json) {
        strvec_copy(argv, &in->args);
        return;
    }
    step_shell(step_cfg(st), argv);
    if (in->nheredocs && in->args.n && !strncmp(in->args.v[0], "<<", 2) &&
        !strchr(in->args.v[0], ' ')) {
        /* RUN <<EOF: the heredoc is the script */
        strvec_push(argv, in->heredocs[0].content);
        return;
    }
    {
        struct buf script = BUF_INIT;
        buf_adds(&script, in->args.n ? in->args.v[0] : "");
        for (i = 0; i < in->nheredocs; i++)
            buf_addf(&script, "\n%s%s", in->heredocs[i].content, in->heredocs[i].name);
        strvec_push_owned(argv, buf_detach(&script));
    }
}

static void
step_run_env(const struct stage *st, struct strvec *env)
{
    step_vars(st, env);
    if (!strvec_getenv(env, "PATH"))
        strvec_setenv(env, "PATH", STEP_DEFAULT_PATH);
}

static int
step_run_exec(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
              struct sandbox_spec *spec, struct runmount_set *mounts, struct error *err)
{
    struct step_dir d;
    struct sandbox_result res;
    cleanup_free char *prefix = xasprintf("[%s%zu/%zu]", st->label, st->step_no, st->nsteps);
    struct step_run_ctx rc = { prefix };
    double t0 = log_now_ms();
    cJSON *prov;
    int r;

    progress_line("%s %s", prefix, in->original);
    if (step_dir_make(b, st, &d, err) < 0) {
        step_dir_release(&d);
        return -1;
    }
    step_overlay_spec(&d, &spec->overlay);
    if (runmount_prepare(b, mounts, d.root, err) < 0) {
        step_dir_release(&d);
        return error_wrap(err, "%s:%d:%d", b->recipe.file, in->line, in->col);
    }
    spec->mounts = mounts->mounts;
    spec->nmounts = mounts->nmounts;
    spec->on_output = step_on_output;
    spec->opaque = &rc;
    memset(&res, 0, sizeof(res));
    if (sandbox_run(spec, &res, err) < 0) {
        step_dir_release(&d);
        return error_wrap(err, "%s:%d:%d: %s", b->recipe.file, in->line, in->col, in->original);
    }
    if (res.exit_code != 0) {
        step_dir_release(&d);
        return error_set(err, 0, "%s:%d:%d: %s: exit code %d%s%s", b->recipe.file, in->line,
                         in->col, in->original, res.exit_code, res.tail[0] ? "; last output:\n" : "",
                         res.tail);
    }
    prov = step_provenance(st, in, key);
    r = step_capture(b, st, in, key, &d, in->original, prov, NULL, err);
    step_dir_release(&d);
    if (r == 0)
        progress_line("%s DONE %.3fs", prefix, (log_now_ms() - t0) / 1000.0);
    return r;
}

int
step_run(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    cleanup_strvec struct strvec argv = STRVEC_INIT;
    cleanup_strvec struct strvec env = STRVEC_INIT;
    const cJSON *cfg = step_cfg(st);
    const char *user = json_string(cfg, "User", 0, "", err);
    const char *wd = json_string(cfg, "WorkingDir", 0, "", err);
    const char *net = step_flag(in, "network");
    struct sandbox_spec spec;
    struct runmount_set mounts;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1];
    char where[256];
    int r;

    step_where(b, in, where, sizeof(where));
    memset(&spec, 0, sizeof(spec));
    memset(&mounts, 0, sizeof(mounts));
    spec.net = b->o->network;
    if (net && !strcmp(net, "none"))
        spec.net = SANDBOX_NET_NONE;
    else if (net && strcmp(net, "host") && strcmp(net, "default"))
        return error_input(err, "%s: RUN --network=%s: use none, host or default", where, net);
    if (step_flag(in, "security") && strcmp(step_flag(in, "security"), "sandbox"))
        return error_input(err, "%s: RUN --security=%s is not supported (only sandbox)", where,
                           step_flag(in, "security"));
    step_run_argv(st, in, &argv);
    step_run_env(st, &env);
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", "run");
    cachekey_add_vec(&k, "argv", &argv);
    cachekey_add_vec(&k, "env", &env);
    cachekey_add(&k, "user", user ? user : "");
    cachekey_add(&k, "workdir", wd ? wd : "/");
    cachekey_add(&k, "network", spec.net == SANDBOX_NET_NONE ? "none" : "host");
    if (runmount_parse(b, st, in, &env, &mounts, &k, err) < 0) {
        digest_release(&k.d);
        runmount_release(&mounts);
        return -1;
    }
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key)) {
        runmount_release(&mounts);
        return 0;
    }
    spec.argv = strvec_argv(&argv);
    spec.env = strvec_argv(&env);
    spec.cwd = wd && *wd ? wd : "/";
    spec.user = user;
    spec.hostname = "strata";
    r = step_run_exec(b, st, in, key, &spec, &mounts, err);
    runmount_release(&mounts);
    return r;
}

/* ---- COPY / ADD --------------------------------------------------------- */

struct step_copy {
    struct build *b;
    const struct stage *from;     /* --from stage, or NULL */
    struct step_dir *d;
    struct copy_job job;
};

static int
step_copy_child(const char *merged, void *arg, struct error *err)
{
    struct step_copy *c = arg;
    cleanup_close int rootfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int srcfd = -1;

    if (rootfd < 0)
        return error_set(err, errno, "open %s", merged);
    if (c->from) {
        cleanup_free char *fu = fs_join(c->d->root, "from-upper");
        cleanup_free char *fw = fs_join(c->d->root, "from-work");
        cleanup_free char *fm = fs_join(c->d->root, "from");
        cleanup_free char *fl = fs_join(c->d->root, "from-links");
        cleanup_strvec struct strvec lowers = STRVEC_INIT;
        struct overlay_spec o;
        size_t i;

        for (i = c->from->diff_ids.n; i-- > 0;)
            strvec_push_owned(&lowers, snapshot_path(c->b->store, c->from->diff_ids.v[i]));
        if (mkdir(fu, 0755) < 0 || mkdir(fw, 0755) < 0 || mkdir(fm, 0755) < 0)
            return error_set(err, errno, "mkdir %s", fu);
        memset(&o, 0, sizeof(o));
        o.lowers = (const char *const *)lowers.v;
        o.nlowers = lowers.n;
        o.upper = fu;
        o.work = fw;
        o.merged = fm;
        o.linkdir = fl;
        o.userxattr = geteuid() != 0;
        if (overlay_mount(&o, err) < 0)
            return -1;
        srcfd = open(fm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (srcfd < 0)
            return error_set(err, errno, "open %s", fm);
        c->job.src_root = srcfd;
    }
    return copy_run(rootfd, &c->job, err);
}

/*
 * Resolves the sources and hashes them into srcd (the provenance digest of
 * the inputs), which then goes into the step key k.
 */
static int
step_copy_sources(struct build *b, const struct parse_instr *in, const struct stage *from,
                  const struct strvec *words, struct strvec *srcs, struct cachekey *k,
                  char srcd[DIGEST_STR_LEN + 1], const char *where, struct error *err)
{
    struct cachekey sk;
    size_t i;

    for (i = 0; i + 1 < words->n; i++) {
        const char *w = words->v[i];
        if (!strncmp(w, "http://", 7) || !strncmp(w, "https://", 8) || !strncmp(w, "git@", 4))
            return error_input(err, "%s: %s from a URL is not supported yet: %s", where,
                               in->keyword, w);
        if (from) {
            char *c = context_clean(w, err);
            if (!c)
                return error_wrap(err, "%s", where);
            strvec_push_owned(srcs, c);
        } else if (context_match(&b->ctx, w, srcs, err) < 0) {
            return error_wrap(err, "%s", where);
        }
    }
    cachekey_init(&sk, "sources");
    cachekey_add_vec(&sk, "paths", srcs);
    if (from)
        cachekey_add(&sk, "from", from->key);
    for (i = 0; !from && i < srcs->n; i++) {
        if (context_hash(&b->ctx, srcs->v[i], &sk, err) < 0) {
            digest_release(&sk.d);
            return error_wrap(err, "%s", where);
        }
    }
    cachekey_final(&sk, srcd);
    cachekey_add(k, "sources", srcd);
    return 0;
}

int
step_copy(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    cleanup_strvec struct strvec words = STRVEC_INIT;
    cleanup_strvec struct strvec srcs = STRVEC_INIT;
    cleanup_free char *dest = NULL;
    const char *from_ref = step_flag(in, "from");
    const char *chmod_s = step_flag(in, "chmod");
    const struct stage *from = NULL;
    struct step_copy c;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1], where[256], srcd[DIGEST_STR_LEN + 1];
    int add = !strcmp(in->keyword, "add");
    const cJSON *wd = cJSON_GetObjectItemCaseSensitive(step_cfg(st), "WorkingDir");
    size_t i;

    step_where(b, in, where, sizeof(where));
    memset(&c, 0, sizeof(c));
    c.job.chmod = -1;
    step_vars(st, &vars);
    if (step_words(b, in, &vars, &words, where, err) < 0)
        return -1;
    if (in->nheredocs)
        return error_input(err, "%s: %s with a heredoc is not supported yet", where, in->keyword);
    if (words.n < 2)
        return error_input(err, "%s: %s needs a source and a destination", where, in->keyword);
    if (from_ref) {
        from = build_find_stage(b, from_ref);
        if (!from || from->index >= st->index || !from->done)
            return error_input(err, "%s: --from=%s: no such earlier stage (images as --from "
                               "are not supported yet)", where, from_ref);
    }
    if (chmod_s) {
        char *end;
        c.job.chmod = strtol(chmod_s, &end, 8);
        if (!*chmod_s || *end || c.job.chmod < 0 || c.job.chmod > 07777)
            return error_input(err, "%s: --chmod=%s: expected an octal mode", where, chmod_s);
    }
    cachekey_init(&k, st->key);
    cachekey_add(&k, "instruction", in->keyword);
    for (i = 0; i < in->flags.n; i++)
        cachekey_add(&k, "flag", in->flags.v[i]);
    cachekey_add_vec(&k, "words", &words);
    cachekey_add(&k, "workdir", cJSON_IsString(wd) ? wd->valuestring : "/");
    if (step_copy_sources(b, in, from, &words, &srcs, &k, srcd, where, err) < 0) {
        digest_release(&k.d);
        return -1;
    }
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    {
        const char *dw = words.v[words.n - 1];
        size_t dl = strlen(dw);
        cleanup_free char *joined = dw[0] == '/' ? xstrdup(dw)
            : fs_join(cJSON_IsString(wd) && *wd->valuestring ? wd->valuestring : "/", dw);
        cleanup_free char *clean = context_clean(joined, err);
        if (!clean)
            return error_wrap(err, "%s", where);
        dest = strcmp(clean, ".") ? xasprintf("/%s", clean) : xstrdup("/");
        c.job.dest_is_dir = (dl && dw[dl - 1] == '/') || srcs.n > 1 || !strcmp(dest, "/") ||
                            (dl >= 2 && !strcmp(dw + dl - 2, "/.")) || !strcmp(dw, ".");
        for (i = 0; i + 1 < words.n; i++)
            if (strpbrk(words.v[i], "*?["))
                c.job.dest_is_dir = 1;
    }
    {
        struct step_dir d;
        double t0 = log_now_ms();
        cJSON *prov;
        cleanup_free char *prefix = xasprintf("[%s%zu/%zu]", st->label, st->step_no, st->nsteps);
        int r;

        progress_line("%s %s", prefix, in->original);
        if (step_dir_make(b, st, &d, err) < 0) {
            step_dir_release(&d);
            return -1;
        }
        if (from) {
            cleanup_strvec struct strvec tmp = STRVEC_INIT;
            if (step_lowers(b, from, &tmp, err) < 0) {
                step_dir_release(&d);
                return -1;
            }
        }
        c.b = b;
        c.from = from;
        c.d = &d;
        c.job.src_root = b->ctx.fd;
        c.job.ignore = from ? NULL : &b->ctx;
        c.job.sources = &srcs;
        c.job.dest = dest;
        c.job.chown = step_flag(in, "chown");
        c.job.extract = add;
        {
            struct overlay_spec o;
            step_overlay_spec(&d, &o);
            r = overlay_run(&o, step_copy_child, &c, err);
        }
        if (r < 0) {
            step_dir_release(&d);
            return error_wrap(err, "%s: %s", where, in->original);
        }
        prov = step_provenance(st, in, key);
        cJSON_AddStringToObject(prov, "sources", srcd);
        r = step_capture(b, st, in, key, &d, in->original, prov, NULL, err);
        step_dir_release(&d);
        if (r == 0)
            progress_line("%s DONE %.3fs", prefix, (log_now_ms() - t0) / 1000.0);
        return r;
    }
}

struct step_mkdir {
    const char *path;
    const char *user;
};

static int
step_mkdir_child(const char *merged, void *arg, struct error *err)
{
    const struct step_mkdir *m = arg;
    cleanup_close int rootfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (rootfd < 0)
        return error_set(err, errno, "open %s", merged);
    return copy_mkdir_p(rootfd, m->path, m->user, err);
}

/*
 * WORKDIR makes its directory (owned by USER) like BuildKit does; a layer
 * results only when the directory was missing.
 */
int
step_workdir(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
             cJSON *cfg, struct error *err)
{
    const char *wd = json_string(cfg, "WorkingDir", 0, "", err);
    const char *user = json_string(cfg, "User", 0, "", err);
    cleanup_free char *by = xasprintf("WORKDIR %s", wd ? wd : "/");
    struct step_mkdir m = { wd, user };
    struct overlay_spec o;
    struct step_dir d;
    int r;

    progress_line("[%s%zu/%zu] %s", st->label, st->step_no, st->nsteps, in->original);
    if (step_dir_make(b, st, &d, err) < 0) {
        step_dir_release(&d);
        cJSON_Delete(cfg);
        return -1;
    }
    step_overlay_spec(&d, &o);
    r = overlay_run(&o, step_mkdir_child, &m, err);
    if (r == 0)
        r = step_capture(b, st, in, key, &d, by, step_provenance(st, in, key), cfg, err);
    else
        cJSON_Delete(cfg);
    step_dir_release(&d);
    return r;
}

