/*
 * COPY and ADD (Dockerfile reference, "COPY", "ADD"): sources from the
 * context, a stage, an image, heredocs or URLs, copied through an overlay in
 * a private mount namespace; the upper dir becomes the step's layer.
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
#include "builder/recipe/expand.h"
#include "builder/sandbox/overlay.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/http.h"
#include "formats/json.h"
#include "store/snapshot.h"
#include "store/txn.h"

struct step_copy {
    struct build *b;
    const struct stage *from; /* --from stage, or NULL */
    struct scratch *d;
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
        c->job.src_root = srcfd;
    }
    return copy_run(rootfd, &c->job, err);
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
static int
step_copy_sources(struct build *b, const struct parse_instr *in, const struct stage *from,
                  const struct strvec *words, struct strvec *srcs, struct cachekey *k,
                  char srcd[DIGEST_STR_LEN + 1], cJSON *files, const struct dockerignore *exclude,
                  const char *where, struct error *err)
{
    struct cachekey sk;
    size_t i;

    for (i = 0; i + 1 < words->n; i++) {
        const char *w = words->v[i];
        if (!strncmp(w, "git@", 4) || (step_is_url(w) && strstr(w, ".git")))
            return error_input(err, "%s: %s from a git repository is not supported: %s", where,
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
 * ADD <url>... (Dockerfile reference, "ADD"): the files are downloaded into
 * dir (created here); their content (or --checksum, which is also verified)
 * is the step's input. Downloaded files get mode 0600 and the server's
 * Last-Modified time; archives are not unpacked.
 */
static int
step_url_sources(struct build *b, const struct parse_instr *in, const struct strvec *words,
                 const char *dir, struct strvec *names, struct cachekey *k,
                 char srcd[DIGEST_STR_LEN + 1], const char *where, struct error *err)
{
    const char *checksum = parse_flag(in, "checksum");
    cleanup_close int dfd = -1;
    struct cachekey sk;
    size_t i;

    if (strcmp(in->keyword, "add") != 0)
        return error_input(err, "%s: COPY does not download URLs (use ADD)", where);
    if (checksum && (digest_validate(checksum, err) < 0 || words->n != 2))
        return error_input(err, "%s: ADD --checksum=%s: needs one URL and a sha256:<hex> digest",
                           where, checksum);
    if (mkdir(dir, 0700) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return error_set(err, errno, "mkdir %s", dir);
    cachekey_init(&sk, "urls");
    for (i = 0; i + 1 < words->n; i++) {
        struct http_result res;
        cleanup_close int fd = -1;
        cleanup_free char *tmpname = xasprintf("download-%zu", i);
        if (!step_is_url(words->v[i])) {
            digest_release(&sk.d);
            return error_input(err, "%s: ADD mixes URLs and local files", where);
        }
        fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || http_download(words->v[i], fd, &res, err) < 0) {
            digest_release(&sk.d);
            return fd < 0 ? error_set(err, errno, "%s/%s", dir, tmpname)
                          : error_wrap(err, "%s", where);
        }
        if (checksum && strcmp(checksum, res.digest)) {
            digest_release(&sk.d);
            return error_input(err, "%s: ADD %s: content is %s, --checksum says %s", where,
                               words->v[i], res.digest, checksum);
        }
        if (!res.name[0] || strchr(res.name, '/'))
            snprintf(res.name, sizeof(res.name), "download");
        if (renameat(dfd, tmpname, dfd, res.name) < 0) {
            digest_release(&sk.d);
            return error_set(err, errno, "%s/%s", dir, res.name);
        }
        if (res.last_modified >= 0) {
            struct timespec ts[2] = {{(time_t)res.last_modified, 0},
                                     {(time_t)res.last_modified, 0}};
            utimensat(dfd, res.name, ts, 0);
        }
        strvec_push(names, res.name);
        cachekey_add(&sk, res.name, res.digest);
    }
    (void)b;
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
step_heredoc_sources(struct build *b, const struct parse_instr *in, const struct strvec *vars,
                     const struct strvec *words, struct strvec *names, struct strvec *bodies,
                     struct cachekey *k, char srcd[DIGEST_STR_LEN + 1], const char *where,
                     struct error *err)
{
    struct expand_opts eo = {b->plan.recipe.escape, 1, 1, 0};
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

static int
step_copy_do(struct build *b, struct stage *st, const struct parse_instr *in,
             struct stage *image_src_out, struct dockerignore *exclude_out, struct error *err)
{
    cleanup_strvec struct strvec vars = STRVEC_INIT;
    cleanup_strvec struct strvec words = STRVEC_INIT;
    cleanup_strvec struct strvec srcs = STRVEC_INIT;
    cleanup_strvec struct strvec hd_bodies = STRVEC_INIT;
    cleanup_close int hd_fd = -1;
    cleanup_free char *dest = NULL;
    __attribute__((cleanup(step_discard))) char *url_dir = NULL;
    const char *from_ref = parse_flag(in, "from");
    const char *chmod_flag = parse_flag(in, "chmod");
    const char *chown_flag = parse_flag(in, "chown");
    cleanup_free char *chmod_s = NULL, *chown_v = NULL;
    const struct stage *from = NULL;
    const struct dockerignore *excl = NULL;
    struct step_copy c;
    struct cachekey k;
    char key[DIGEST_STR_LEN + 1], where[256], srcd[DIGEST_STR_LEN + 1];
    int add = !strcmp(in->keyword, "add");
    const cJSON *wd = cJSON_GetObjectItemCaseSensitive(step_cfg(st), "WorkingDir");
    size_t i;

    plan_where(&b->plan, in, where, sizeof(where));
    memset(&c, 0, sizeof(c));
    c.job.chmod = -1;
    step_vars(st, &vars);
    if (step_words(b, in, &vars, &words, where, err) < 0)
        return -1;
    if (words.n < 2)
        return error_input(err, "%s: %s needs a source and a destination", where, in->keyword);
    /* BuildKit expands build args and ENV in --chown and --chmod */
    if ((chown_flag && expand_word(chown_flag, b->plan.recipe.escape, &vars, &chown_v, err) < 0) ||
        (chmod_flag && expand_word(chmod_flag, b->plan.recipe.escape, &vars, &chmod_s, err) < 0))
        return error_wrap(err, "%s", where);
    if (from_ref) {
        cleanup_free char *ref = NULL;
        if (expand_word(from_ref, b->plan.recipe.escape, &vars, &ref, err) < 0)
            return error_wrap(err, "%s", where);
        from = plan_find_stage(&b->plan, ref);
        if (from && (from->index >= st->index || !from->done))
            return error_input(err, "%s: --from=%s: a stage can only copy from an earlier one",
                               where, ref);
        if (!from) { /* an image: its tree is the source */
            if (stage_from_image(b, image_src_out, ref, err) < 0)
                return error_wrap(err, "%s: --from=%s", where, ref);
            from = image_src_out;
        }
    }
    for (i = 0; i < in->flags.n; i++) { /* --exclude=PATTERN, repeatable */
        if (strncmp(in->flags.v[i], "--exclude=", 10))
            continue;
        excl = exclude_out;
        if (dockerignore_add(exclude_out, in->flags.v[i] + 10, err) < 0)
            return error_wrap(err, "%s: --exclude", where);
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
    if (step_is_url(words.v[0])) {
        url_dir = txn_tmp_path(b->store->tmp, "add-url");
        if (step_url_sources(b, in, &words, url_dir, &srcs, &k, srcd, where, err) < 0) {
            digest_release(&k.d);
            return -1;
        }
    } else if (in->nheredocs) {
        if (step_heredoc_sources(b, in, &vars, &words, &srcs, &hd_bodies, &k, srcd, where, err) <
            0) {
            digest_release(&k.d);
            return -1;
        }
    } else if (step_copy_sources(b, in, from, &words, &srcs, &k, srcd,
                                 json_add_object(st->inputs, "files"), excl, where, err) < 0) {
        digest_release(&k.d);
        return -1;
    }
    cJSON_AddStringToObject(st->inputs, "sources", srcd);
    cachekey_final(&k, key);
    if (step_try_cache(b, st, in, key))
        return 0;
    {
        const char *dw = words.v[words.n - 1];
        size_t dl = strlen(dw);
        cleanup_free char *joined =
            dw[0] == '/'
                ? xstrdup(dw)
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
        struct scratch d;
        double t0 = log_now_ms();
        cJSON *prov;
        cleanup_free char *prefix = xasprintf("[%s%zu/%zu]", st->label, st->step_no, st->nsteps);
        int r;

        progress_line("%s %s", prefix, in->original);
        if (scratch_make(b, st, &d, err) < 0) {
            scratch_release(&d);
            return -1;
        }
        if (from) {
            cleanup_strvec struct strvec tmp = STRVEC_INIT;
            if (scratch_lowers(b, from, &tmp, err) < 0) {
                scratch_release(&d);
                return -1;
            }
        }
        if (in->nheredocs && (hd_fd = step_heredoc_files(b, &d, &srcs, &hd_bodies, err)) < 0) {
            scratch_release(&d);
            return -1;
        }
        c.b = b;
        c.from = from;
        c.d = &d;
        if (url_dir && (hd_fd = open(url_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            error_set(err, errno, "open %s", url_dir);
            scratch_release(&d);
            return -1;
        }
        c.job.src_root = hd_fd >= 0 ? hd_fd : b->ctx.fd;
        c.job.ignore = from || hd_fd >= 0 ? NULL : &b->ctx;
        c.job.extract = add && !url_dir;
        c.job.sources = &srcs;
        c.job.dest = dest;
        c.job.chown = chown_v;
        c.job.keep_owner = from != NULL;
        c.job.exclude = excl;
        c.job.parents = parse_flag(in, "parents") != NULL;
        {
            struct overlay_spec o;
            scratch_overlay(&d, &o);
            r = overlay_run(&o, step_copy_child, &c, err);
        }
        if (r < 0) {
            scratch_release(&d);
            return error_wrap(err, "%s: %s", where, in->original);
        }
        prov = step_provenance(st, in, key);
        cJSON_AddStringToObject(prov, "sources", srcd);
        r = step_capture(b, st, in, key, &d, in->original, prov, NULL, err);
        scratch_release(&d);
        if (r == 0)
            progress_line("%s DONE %.3fs", prefix, (log_now_ms() - t0) / 1000.0);
        return r;
    }
}

int
step_copy(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err)
{
    struct stage image_src;
    struct dockerignore exclude;
    int r;

    memset(&image_src, 0, sizeof(image_src));
    dockerignore_init(&exclude);
    r = step_copy_do(b, st, in, &image_src, &exclude, err);
    stage_release(&image_src);
    dockerignore_release(&exclude);
    return r;
}
