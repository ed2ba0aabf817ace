/*
 * COPY and ADD (Dockerfile reference, "COPY", "ADD"): sources from the
 * context, a stage, an image, heredocs or URLs, copied through an overlay in
 * a private mount namespace (a thread's, overlay_run_thread); the upper dir
 * becomes the step's layer.
 */
#include "builder/engine/step_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/engine/cachekey.h"
#include "builder/engine/copy.h"
#include "builder/engine/progress.h"
#include "builder/engine/stage_image.h"
#include "builder/recipe/expand.h"
#include "builder/sandbox/netbroker.h"
#include "builder/sandbox/overlay.h"
#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/snapshot.h"
#include "store/txn.h"

#include "formats/core/banned.h"

struct step_copy {
    struct build *b;
    const struct stage *from; /* --from stage, or NULL */
    struct scratch *d;
    struct copy_job job;
};

static int
step_copy_child(const char *merged, void *arg, struct error *err)
{
    const struct step_copy *c = arg;
    struct copy_job job = c->job; /* the caller's stays as it was: this runs in its process */
    cleanup_close int rootfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int srcfd = -1;
    cleanup_close int upperfd = open(c->d->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (rootfd < 0)
        return error_set(err, errno, "open %s", merged);
    /* new directories are filled in the upper dir directly (copy_run); the variable is
       for tests that compare that with a copy through the overlay */
    if (!getenv("STRATA_COPY_VIA_OVERLAY")) {
        job.upper = upperfd;
        job.merged = merged;
    }
    if (c->from) { /* a view of the other stage's tree, in this child's mount namespace */
        struct scratch v;
        struct overlay_spec o;
        size_t i;
        int rc = scratch_init(&v, fs_join(c->d->root, "from"), err);

        for (i = c->from->diff_ids.n; rc == 0 && i-- > 0;)
            strvec_push_owned(&v.lowers, snapshot_path(c->b->store, c->from->diff_ids.v[i]));
        scratch_overlay(&v, &o);
        if (rc == 0 && overlay_mount(&o, err) < 0)
            rc = -1;
        if (rc == 0 && (srcfd = open(v.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            rc = error_set(err, errno, "open %s", v.merged);
        scratch_forget(&v); /* the step's own cleanup removes the directory */
        if (rc < 0)
            return -1;
        job.src_root = srcfd;
    }
    return copy_run(rootfd, &job, err);
}

/* Cleanup for a registered tmp path: removed with its content when the scope ends. */
static void
step_discard(char **path)
{
    if (*path) {
        txn_discard(*path);
        free(*path);
    }
}

static int
step_is_url(const char *w)
{
    return !strncmp(w, "http://", 7) || !strncmp(w, "https://", 8);
}

/*
 * Resolves the sources and hashes them into srcd (the provenance digest of
 * the inputs), which then goes into the step key k.
 */
/*
 * COPY --parents SRC: the pivot ("/./") of the source, and its wildcards
 * (with "**") expanded in the context; from a stage they are expanded in
 * the child that has its tree.
 */
static int
step_copy_parents_word(struct build *b, const struct stage *from, const char *w,
                       struct strvec *srcs, size_t **pivots, const char *where, struct error *err)
{
    size_t pivot = 0, before = srcs->n, i;
    cleanup_free char *c = copy_parents_source(w, &pivot, err);

    if (!c)
        return error_wrap(err, "%s", where);
    if (from || (!strpbrk(c, "*?[") && !strstr(c, "**"))) {
        if (!from && context_match(&b->ctx, c, srcs, err) < 0)
            return error_wrap(err, "%s", where);
        if (from)
            strvec_push(srcs, c);
    } else {
        cleanup_strvec struct strvec found = STRVEC_INIT;
        copy_glob_paths(b->ctx.fd, c, &found);
        for (i = 0; i < found.n; i++)
            if (!context_ignored(&b->ctx, found.v[i]))
                strvec_push(srcs, found.v[i]);
    }
    *pivots = xrealloc(*pivots, (srcs->n + 1) * sizeof(**pivots));
    for (i = before; i < srcs->n; i++)
        (*pivots)[i] = pivot;
    return 0;
}

static int
step_copy_sources(struct build *b, const struct parse_instr *in, const struct stage *from,
                  const struct strvec *words, struct strvec *srcs, size_t **pivots,
                  struct cachekey *k, char srcd[DIGEST_STR_LEN + 1], cJSON *files,
                  const struct dockerignore *exclude, const char *where, struct error *err)
{
    struct cachekey sk;
    size_t i;

    for (i = 0; i + 1 < words->n; i++) {
        const char *w = words->v[i];
        if (!strncmp(w, "git@", 4) || (step_is_url(w) && strstr(w, ".git")))
            return error_input(err, "%s: %s from a git repository is not supported: %s", where,
                               in->keyword, w);
        if (in->f.parents) {
            if (step_copy_parents_word(b, from, w, srcs, pivots, where, err) < 0)
                return -1;
        } else if (from) {
            char *c = context_clean(w, err);
            if (!c)
                return error_wrap(err, "%s", where);
            strvec_push_owned(srcs, c); /* wildcards are expanded in the stage's tree */
        } else if (strpbrk(w, "*?[")) {
            /* BuildKit's AllowEmptyWildcard: a wildcard may match nothing */
            cleanup_free char *c = context_clean(w, err);
            struct error none;
            if (!c)
                return error_wrap(err, "%s", where);
            error_init(&none);
            (void)context_match(&b->ctx, c, srcs, &none);
        } else if (context_match(&b->ctx, w, srcs, err) < 0) {
            return error_wrap(err, "%s", where);
        }
    }
    if (in->f.parents) /* the pivots are part of what the step does */
        for (i = 0; i < srcs->n; i++)
            cachekey_add_bytes(k, "pivot", &(*pivots)[i], sizeof((*pivots)[i]));
    cachekey_init(&sk, "sources");
    cachekey_add_vec(&sk, "paths", srcs);
    if (from)
        cachekey_add(&sk, "from", from->key);
    for (i = 0; !from && i < srcs->n; i++) {
        if (context_hash_list(&b->ctx, srcs->v[i], &sk, files, exclude, err) < 0) {
            digest_release(&sk.d);
            return error_wrap(err, "%s", where);
        }
    }
    cachekey_final(&sk, srcd);
    cachekey_add(k, "sources", srcd);
    return 0;
}

/*
 * COPY <<EOF /dest (Dockerfile reference, "Here-Documents"): each heredoc
 * becomes a file named after its delimiter, its body expanded unless the
 * delimiter was quoted. All sources of the instruction must be heredocs.
 */
static int
step_heredoc_sources(const struct parse_instr *in, const struct strvec *vars,
                     const struct strvec *words, struct strvec *names, struct strvec *bodies,
                     struct cachekey *k, char srcd[DIGEST_STR_LEN + 1], const char *where,
                     struct error *err)
{
    /*
     * BuildKit's ExpandRaw for heredoc bodies (dockerfile2llb): a lexer with
     * the backslash escape whatever the escape directive, quotes that are
     * ordinary characters ('${name}' expands), escapes that are consumed.
     */
    const struct expand_opts eo = {'\\', 0, 0, 0, 1, NULL, NULL};
    struct cachekey sk;
    size_t i;

    if (words->n - 1 != in->nheredocs)
        return error_input(err, "%s: %s mixes heredocs and other sources", where, in->keyword);
    cachekey_init(&sk, "heredocs");
    for (i = 0; i < in->nheredocs; i++) {
        const struct parse_heredoc *h = &in->heredocs[i];
        char *body = NULL;
        if (strchr(h->name, '/') || !strcmp(h->name, ".") || !strcmp(h->name, "..")) {
            digest_release(&sk.d);
            return error_input(err, "%s: heredoc name \"%s\" cannot be a file name", where,
                               h->name);
        }
        if (h->expand && expand_process(h->content, &eo, vars, &body, NULL, err) < 0) {
            digest_release(&sk.d);
            return error_wrap(err, "%s", where);
        }
        strvec_push(names, h->name);
        strvec_push_owned(bodies, body ? body : xstrdup(h->content));
        cachekey_add(&sk, h->name, bodies->v[i]);
    }
    cachekey_final(&sk, srcd);
    cachekey_add(k, "sources", srcd);
    return 0;
}

/* Writes the heredoc files into the step's scratch dir; returns a dir fd on them. */
static int
step_heredoc_files(struct build *b, const struct scratch *d, const struct strvec *names,
                   const struct strvec *bodies, struct error *err)
{
    cleanup_free char *dir = fs_join(d->root, "heredocs");
    struct timespec ts[2] = {{(time_t)b->now, 0}, {(time_t)b->now, 0}};
    int dfd;
    size_t i;

    if (mkdir(dir, 0755) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return error_set(err, errno, "mkdir %s", dir);
    for (i = 0; i < names->n; i++) {
        int fd = openat(dfd, names->v[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || fs_write_all(fd, bodies->v[i], strlen(bodies->v[i]), err) < 0 ||
            futimens(fd, ts) < 0) {
            if (!err->msg[0])
                error_set(err, errno, "heredoc %s", names->v[i]);
            if (fd >= 0)
                close(fd);
            close(dfd);
            return -1;
        }
        close(fd);
    }
    return dfd;
}

/* One COPY/ADD step from its words to its layer. */
struct step_copy_plan {
    struct build *b;
    struct stage *st;
    const struct parse_instr *in;
    char where[256];
    struct strvec vars, words; /* words expanded: sources..., destination */
    struct strvec srcs;        /* resolved source paths (or heredoc/URL file names) */
    struct strvec hd_bodies;   /* heredoc bodies, expanded */
    char *url_dir;             /* ADD <url>: the downloads (a registered tmp path) */
    struct step_urls urls;     /* ADD <url>: what each URL is */
    char *checksum;            /* ADD --checksum, expanded */
    size_t *pivots;            /* COPY --parents: the "/./" of each source */
    char *chmod_s, *chown_v;
    const struct stage *from;        /* --from stage or image, or NULL */
    char *from_ref;                  /* --from as expanded */
    struct stage image_src;          /* --from=IMAGE: its state */
    struct dockerignore exclude;     /* --exclude patterns */
    const struct dockerignore *excl; /* &exclude when there are any */
    struct step_copy c;
    char key[DIGEST_STR_LEN + 1], srcd[DIGEST_STR_LEN + 1];
};

static void
step_copy_plan_release(struct step_copy_plan *p)
{
    strvec_release(&p->vars);
    strvec_release(&p->words);
    strvec_release(&p->srcs);
    strvec_release(&p->hd_bodies);
    step_urls_release(&p->urls);
    free(p->pivots);
    step_discard(&p->url_dir);
    free(p->checksum);
    free(p->chmod_s);
    free(p->chown_v);
    free(p->from_ref);
    free((char *)p->c.job.dest);
    stage_release(&p->image_src);
    dockerignore_release(&p->exclude);
}

/* --from (an earlier stage, or an image), --exclude, --chown, --chmod. */
static int
step_copy_resolve(struct step_copy_plan *p, struct error *err)
{
    const struct parse_instr *in = p->in;
    struct build *b = p->b;
    size_t i;

    step_vars(p->st, &p->vars);
    if (step_words(b, in, &p->vars, &p->words, p->where, err) < 0)
        return -1;
    if (p->words.n < 2)
        return error_input(err, "%s: %s needs a source and a destination", p->where, in->keyword);
    /* BuildKit expands build args and ENV in --chown and --chmod */
    if ((in->f.chown &&
         expand_word(in->f.chown, b->plan.recipe.escape, &p->vars, &p->chown_v, err) < 0) ||
        (in->f.chmod &&
         expand_word(in->f.chmod, b->plan.recipe.escape, &p->vars, &p->chmod_s, err) < 0) ||
        (in->f.checksum &&
         expand_word(in->f.checksum, b->plan.recipe.escape, &p->vars, &p->checksum, err) < 0))
        return error_wrap(err, "%s", p->where);
    /* BuildKit's dispatchCopy: --checksum is for one HTTP(S) source only */
    if (p->checksum && (p->words.n != 2 || !step_is_url(p->words.v[0])))
        return error_input(err, "%s: ADD --checksum: %s", p->where,
                           p->words.n != 2 ? "checksum can't be specified for multiple sources"
                                           : "checksum can't be specified for non-HTTP(S) sources");
    if (in->f.from) {
        cleanup_free char *ref = NULL;
        if (expand_word(in->f.from, b->plan.recipe.escape, &p->vars, &ref, err) < 0)
            return error_wrap(err, "%s", p->where);
        p->from_ref = xstrdup(ref);
        p->from = plan_find_stage(&b->plan, ref);
        if (p->from && (p->from->index >= p->st->index || !p->from->done))
            return error_input(err, "%s: --from=%s: a stage can only copy from an earlier one",
                               p->where, ref);
        if (!p->from) {                              /* an image: its tree is the source */
            p->image_src.platform = p->st->platform; /* the image for this stage's platform */
            if (stage_image_load(b, &p->image_src, ref, err) < 0)
                return error_wrap(err, "%s: --from=%s", p->where, ref);
            p->from = &p->image_src;
        }
    }
    for (i = 0; i < in->f.exclude.n; i++) { /* --exclude=PATTERN, repeatable */
        p->excl = &p->exclude;
        if (dockerignore_add(&p->exclude, in->f.exclude.v[i], err) < 0)
            return error_wrap(err, "%s: --exclude", p->where);
    }
    if (copy_chmod_parse(p->chmod_s, &p->c.job.chmod, err) < 0)
        return error_wrap(err, "%s", p->where);
    return 0;
}

/* The step's key: the instruction, its flags and words, the workdir and the sources' content. */
static int
step_copy_hash(struct step_copy_plan *p, const char *workdir, struct error *err)
{
    const struct parse_instr *in = p->in;
    struct cachekey k;
    size_t i;
    int rc;

    cachekey_init(&k, p->st->key);
    cachekey_add(&k, "instruction", in->keyword);
    for (i = 0; i < in->flags.n; i++)
        cachekey_add(&k, "flag", in->flags.v[i]);
    cachekey_add_vec(&k, "words", &p->words);
    cachekey_add(&k, "workdir", workdir);
    if (step_is_url(p->words.v[0])) {
        p->url_dir = txn_tmp_path(p->b->store->tmp, "add-url");
        p->urls.dir = p->url_dir;
        rc = step_urls_resolve(p->b, in, &p->words, p->checksum, &p->urls, &p->srcs, &k, p->srcd,
                               p->where, err);
        if (rc == 0)
            step_urls_record(&p->urls, json_add_array(p->st->inputs, "urls"));
    } else if (in->nheredocs) {
        rc = step_heredoc_sources(in, &p->vars, &p->words, &p->srcs, &p->hd_bodies, &k, p->srcd,
                                  p->where, err);
    } else {
        rc = step_copy_sources(p->b, in, p->from, &p->words, &p->srcs, &p->pivots, &k, p->srcd,
                               json_add_object(p->st->inputs, "files"), p->excl, p->where, err);
    }
    if (rc < 0) {
        digest_release(&k.d);
        return -1;
    }
    cJSON_AddStringToObject(p->st->inputs, "sources", p->srcd);
    cachekey_final(&k, p->key);
    return 0;
}

/*
 * The destination inside the image, absolute and clean, and whether it is a
 * directory (Dockerfile reference, "COPY": a trailing slash, several
 * sources or a wildcard make it one).
 */
static int
step_copy_dest(struct step_copy_plan *p, const char *workdir, struct error *err)
{
    const char *dw = p->words.v[p->words.n - 1];
    size_t dl = strlen(dw);
    cleanup_free char *joined = dw[0] == '/' ? xstrdup(dw) : fs_join(workdir, dw);
    cleanup_free char *clean = context_clean(joined, err);

    if (!clean)
        return error_wrap(err, "%s", p->where);
    p->c.job.dest = strcmp(clean, ".") ? xasprintf("/%s", clean) : xstrdup("/");
    /* a wildcard that matches one file copies it to dest itself (`COPY f*.go foo2.go`) */
    p->c.job.dest_is_dir = (dl && dw[dl - 1] == '/') || p->srcs.n > 1 ||
                           !strcmp(p->c.job.dest, "/") || (dl >= 2 && !strcmp(dw + dl - 2, "/.")) ||
                           !strcmp(dw, ".");
    return 0;
}

/*
 * What blame needs to map a file of the layer back to its input: the
 * destination, the resolved sources and where they were read from.
 */
static void
step_copy_record(const struct step_copy_plan *p, cJSON *prov)
{
    cJSON *c = json_add_object(prov, "copy");
    cJSON *srcs = json_add_array(c, "sources");
    size_t i;

    cJSON_AddStringToObject(c, "dest", p->c.job.dest);
    cJSON_AddBoolToObject(c, "dest_is_dir", p->c.job.dest_is_dir);
    cJSON_AddBoolToObject(c, "parents", p->in->f.parents != 0);
    for (i = 0; i < p->srcs.n; i++)
        cJSON_AddItemToArray(srcs, cJSON_CreateString(p->srcs.v[i]));
    if (p->from_ref)
        cJSON_AddStringToObject(c, "from", p->from_ref);
    if (p->from == &p->image_src)
        cJSON_AddStringToObject(c, "from_image", p->image_src.base);
    else if (p->from && p->from->name)
        cJSON_AddStringToObject(c, "from_stage", p->from->name);
    if (p->in->nheredocs)
        cJSON_AddTrueToObject(c, "heredoc");
}

/*
 * BuildKit's history text of COPY and ADD (dockerfile2llb dispatchCopy):
 * the keyword, --parents, --chown and --chmod as expanded (never --from,
 * --link or --checksum), the sources and the destination as expanded, then
 * " # buildkit".
 */
static void
step_copy_history(const struct step_copy_plan *p, struct buf *hist)
{
    size_t i;

    buf_adds(hist, p->in->kind == INSTR_ADD ? "ADD" : "COPY");
    if (p->in->f.parents)
        buf_adds(hist, " --parents");
    if (p->chown_v)
        buf_addf(hist, " --chown=%s", p->chown_v);
    if (p->chmod_s)
        buf_addf(hist, " --chmod=%s", p->chmod_s);
    for (i = 0; i < p->words.n; i++)
        buf_addf(hist, " %s", p->words.v[i]);
    buf_adds(hist, " # buildkit");
}

/* Copies through an overlay of the stage in a private mount namespace, then captures. */
static int
step_copy_execute(struct step_copy_plan *p, struct scratch *d, struct error *err)
{
    const struct parse_instr *in = p->in;
    struct build *b = p->b;
    cleanup_buf struct buf hist = BUF_INIT;
    cleanup_close int src_fd = -1;
    struct overlay_spec o;
    cJSON *prov;

    if (scratch_make(b, p->st, d, err) < 0)
        return -1;
    if (p->from) { /* the source stage's snapshots must be unpacked */
        cleanup_strvec struct strvec tmp = STRVEC_INIT;
        if (scratch_lowers(b, p->from, &tmp, err) < 0)
            return -1;
    }
    if (in->nheredocs && (src_fd = step_heredoc_files(b, d, &p->srcs, &p->hd_bodies, err)) < 0)
        return -1;
    if (p->url_dir && (src_fd = open(p->url_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return error_set(err, errno, "open %s", p->url_dir);
    p->c.b = b;
    p->c.from = p->from;
    p->c.d = d;
    p->c.job.src_root = src_fd >= 0 ? src_fd : b->ctx.fd;
    p->c.job.ignore = p->from || src_fd >= 0 ? NULL : &b->ctx;
    /* ADD --unpack (Dockerfile 1.17): local archives unpack unless false, URLs only if true */
    p->c.job.extract = in->kind == INSTR_ADD &&
                       (in->f.unpack ? strcasecmp(in->f.unpack, "false") != 0 : !p->url_dir);
    p->c.job.sources = &p->srcs;
    p->c.job.chown = p->chown_v;
    p->c.job.keep_owner = p->from != NULL;
    p->c.job.glob = p->from != NULL;
    p->c.job.exclude = p->excl;
    p->c.job.parents = in->f.parents;
    p->c.job.pivots = p->pivots;
    scratch_overlay(d, &o);
    if (overlay_run_thread(&o, step_copy_child, &p->c, err) < 0)
        return error_wrap(err, "%s: %s", p->where, in->original);
    prov = step_provenance(p->st, in, p->key);
    cJSON_AddStringToObject(prov, "sources", p->srcd);
    step_copy_record(p, prov);
    step_copy_history(p, &hist);
    return step_capture(b, p->st, in, p->key, d, buf_cstr(&hist), prov, NULL, err);
}

int
step_copy(struct build *b, struct stage *st, const struct parse_instr *in,
          const struct step_runner *run, struct error *err)
{
    const cJSON *wd = cJSON_GetObjectItemCaseSensitive(step_cfg(st), "WorkingDir");
    const char *workdir = cJSON_IsString(wd) && *wd->valuestring ? wd->valuestring : "/";
    struct step_copy_plan p;
    struct scratch d;
    cleanup_free char *prefix = NULL;
    double t0;
    int r = -1;

    memset(&p, 0, sizeof(p));
    memset(&d, 0, sizeof(d));
    p.b = b;
    p.st = st;
    p.in = in;
    p.urls.dfd = -1;
    dockerignore_init(&p.exclude);
    plan_where(&b->plan, in, p.where, sizeof(p.where));
    if (step_copy_resolve(&p, err) < 0 || step_copy_hash(&p, workdir, err) < 0)
        goto out;
    if (step_try_cache(b, st, in, p.key) || run->on_miss(b, st, in, p.key)) {
        r = 0;
        goto out;
    }
    /* a lazy stage's steps run now that a step reading it is not cached */
    if (p.from && p.from->lazy && run->realize(b, (struct stage *)p.from, err) < 0)
        goto out;
    if (step_copy_dest(&p, workdir, err) < 0 ||
        (p.url_dir && step_urls_fetch(b, &p.urls, p.where, err) < 0))
        goto out;
    prefix = xasprintf("[%s%zu/%zu]", st->label, st->step_no, st->nsteps);
    progress_line("%s %s", prefix, in->original);
    t0 = log_now_ms();
    r = step_copy_execute(&p, &d, err);
    if (r == 0)
        progress_line("%s DONE %.3fs", prefix, (log_now_ms() - t0) / 1000.0);
out:
    scratch_release(&d);
    step_copy_plan_release(&p);
    return r;
}
