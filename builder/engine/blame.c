/* strata blame: from a file of an image back to the step and the input that made it. */
#include "builder/engine/blame.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/hashmap.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/core/termsafe.h"
#include "formats/intoto.h"
#include "formats/json.h"
#include "formats/whiteout.h"
#include "store/attest.h"
#include "store/cache.h"
#include "store/snapshot.h"

#include "formats/core/banned.h"

void
blame_release(struct blame *b)
{
    size_t i;

    for (i = 0; b && i < b->n; i++) {
        free(b->layers[i].created_by);
        cJSON_Delete(b->layers[i].rec);
        if (b->layers[i].root >= 0)
            close(b->layers[i].root);
    }
    if (!b)
        return;
    free(b->layers);
    free(b->recipe);
    image_release(&b->img);
    memset(b, 0, sizeof(*b));
}

static cJSON *
blame_record(const struct store *s, const char *key)
{
    cleanup_buf struct buf rec = BUF_INIT;
    struct error e;

    error_init(&e);
    if (digest_validate(key, &e) < 0 || cache_get(s, key, &rec, &e) != 0)
        return NULL;
    return json_parse(buf_cstr(&rec), rec.len, "cache record", &e);
}

static void
blame_take(struct blame *b, const char *layer, cJSON *rec)
{
    size_t i;

    for (i = 0; i < b->n; i++) {
        if (!b->layers[i].rec && !strcmp(b->layers[i].digest, layer)) {
            b->layers[i].rec = rec;
            return;
        }
    }
    cJSON_Delete(rec);
}

/* The steps the image's provenance names (mode=max), with their record keys. */
static void
blame_from_provenance(const struct store *s, const char *ref, struct blame *b)
{
    cleanup_buf struct buf doc = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    const cJSON *pred, *steps, *st, *cs;
    struct error e;

    error_init(&e);
    if (attest_find(s, ref, INTOTO_SLSA_V1, &doc, NULL, &e) != 0 ||
        !(j = cJSON_ParseWithLength(buf_cstr(&doc), doc.len)))
        return;
    pred = cJSON_GetObjectItemCaseSensitive(j, "predicate");
    cs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pred, "buildDefinition"),
                                         "externalParameters"),
        "configSource");
    if (json_string(cs, "path", 0, "", NULL))
        b->recipe = xstrdup(json_string(cs, "path", 0, "", NULL));
    steps = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(pred, "buildDefinition"), "internalParameters"),
            "buildConfig"),
        "steps");
    cJSON_ArrayForEach(st, steps)
    {
        const char *layer = json_string(st, "layer", 0, "", NULL);
        const char *key = json_string(st, "key", 0, "", NULL);
        cJSON *rec = layer && key ? blame_record(s, key) : NULL;
        if (rec)
            blame_take(b, layer, rec);
    }
}

/* Layers still without a record: the step records whose layer they are. */
static void
blame_from_records(const struct store *s, struct blame *b)
{
    cleanup_free char *dir = store_path(s, "cache");
    cleanup_closedir DIR *d = opendir(dir);
    struct dirent *de;
    size_t i, missing = 0;

    for (i = 0; i < b->n; i++)
        missing += !b->layers[i].rec;
    while (missing && d && (de = readdir(d))) {
        cleanup_free char *key = NULL;
        cJSON *rec;
        const char *dg;
        if (strlen(de->d_name) != DIGEST_HEX_LEN)
            continue;
        key = xasprintf("sha256:%s", de->d_name);
        if (!(rec = blame_record(s, key)))
            continue;
        dg = json_string(cJSON_GetObjectItemCaseSensitive(rec, "layer"), "digest", 0, "", NULL);
        if (dg && cJSON_GetObjectItemCaseSensitive(rec, "provenance")) {
            size_t before = missing;
            for (i = 0; i < b->n; i++)
                missing -= !b->layers[i].rec && !strcmp(b->layers[i].digest, dg);
            if (missing < before) {
                blame_take(b, dg, rec);
                continue;
            }
        }
        cJSON_Delete(rec);
    }
}

int
blame_open(struct store *s, const char *ref, struct blame *b, struct error *err)
{
    const cJSON *h;
    size_t i, l = 0;
    int rc;

    memset(b, 0, sizeof(*b));
    rc = image_load(s, ref, &b->img, err);
    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "blame: no such image \"%s\"", ref);
    if (image_ensure_snapshots(s, &b->img, err) < 0)
        return -1;
    b->n = b->img.manifest.nlayers;
    b->layers = xcalloc(b->n + 1, sizeof(*b->layers));
    for (i = 0; i < b->n; i++) {
        cleanup_free char *p = snapshot_path(s, b->img.diff_ids.v[i]);
        b->layers[i].digest = b->img.manifest.layers[i].digest;
        b->layers[i].size = b->img.manifest.layers[i].size;
        b->layers[i].root = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->layers[i].root < 0)
            return error_set(err, errno, "open %s", p);
    }
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(b->img.config, "history"))
    {
        const char *by = json_string(h, "created_by", 0, "", NULL);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "empty_layer")) || l >= b->n)
            continue;
        b->layers[l++].created_by = xstrdup(by ? by : "");
    }
    blame_from_provenance(s, ref, b);
    blame_from_records(s, b);
    return 0;
}

enum blame_state {
    BLAME_ABSENT = 0,
    BLAME_PRESENT,
    BLAME_DELETED, /* a whiteout of the path or of a parent, or an opaque parent */
};

static int
blame_is_whiteout(int root, const char *rel)
{
    struct stat st;
    struct error e;
    cleanup_close int fd = -1;

    error_init(&e);
    fd = fs_open_in_root(root, rel, O_PATH | O_NOFOLLOW, &e);
    return fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static int
blame_is_opaque(int root, const char *rel)
{
    struct error e;
    cleanup_close int fd = -1;
    char v[2];

    error_init(&e);
    fd = fs_open_in_root(root, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, &e);
    return fd >= 0 && (fgetxattr(fd, WHITEOUT_XATTR_OPAQUE, v, 1) == 1 ||
                       fgetxattr(fd, WHITEOUT_USERXATTR_OPAQUE, v, 1) == 1);
}

/* What layer root says of rel (relative, no leading '/'); *size for a present file. */
static enum blame_state
blame_probe(int root, const char *rel, long long *size)
{
    cleanup_free char *parent = xstrdup(rel);
    struct stat st;
    struct error e;
    cleanup_close int fd = -1;
    char *slash;

    if (blame_is_whiteout(root, rel))
        return BLAME_DELETED;
    error_init(&e);
    fd = fs_open_in_root(root, rel, O_PATH | O_NOFOLLOW, &e);
    if (fd >= 0 && fstat(fd, &st) == 0) {
        if (size)
            *size = (long long)st.st_size;
        return BLAME_PRESENT;
    }
    while ((slash = strrchr(parent, '/'))) {
        *slash = '\0';
        if (blame_is_whiteout(root, parent) || blame_is_opaque(root, parent))
            return BLAME_DELETED;
    }
    return BLAME_ABSENT;
}

/* "line N: INSTRUCTION" or "Recipe:N: INSTRUCTION" of the layer's step. */
static void
blame_step(const struct blame *b, const struct blame_layer *l, struct buf *out)
{
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(l->rec, "provenance");
    const char *ins = json_string(prov, "instruction", 0, "", NULL);
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(prov, "line");

    if (!l->rec || !ins) {
        buf_addf(out, "(from the base image) %s", l->created_by ? l->created_by : "");
        return;
    }
    if (cJSON_IsNumber(line))
        buf_addf(out, "%s%sline %d: ", b->recipe ? b->recipe : "", b->recipe ? ", " : "",
                 (int)line->valuedouble);
    buf_adds(out, ins);
}

/*
 * For a COPY: the source that gave dest path p (context-relative, or in the
 * --from tree). Dockerfile reference, "COPY": a file source lands at
 * dest/<its name> (or at dest itself), a directory's content lands in dest.
 * files (the context files the step hashed) tells which it was; without it
 * (--from) a name match wins, else the directory reading.
 */
static char *
blame_copy_source(const cJSON *copy, const cJSON *files, const char *p)
{
    const char *dest = json_string(copy, "dest", 0, "", NULL);
    const cJSON *srcs = cJSON_GetObjectItemCaseSensitive(copy, "sources"), *s;
    char *guess = NULL;
    size_t dl;

    if (!dest)
        return NULL;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(copy, "dest_is_dir")))
        return cJSON_GetArraySize(srcs) == 1 && !strcmp(dest, p)
                   ? xstrdup(cJSON_GetArrayItem(srcs, 0)->valuestring)
                   : NULL;
    dl = !strcmp(dest, "/") ? 0 : strlen(dest);
    if (strncmp(p, dest, dl) != 0 || p[dl] != '/')
        return NULL;
    p += dl + 1;
    cJSON_ArrayForEach(s, srcs)
    {
        const char *v = cJSON_IsString(s) ? s->valuestring : "";
        const char *base = strrchr(v, '/') ? strrchr(v, '/') + 1 : v;
        char *inside = !strcmp(v, ".") ? xstrdup(p) : xasprintf("%s/%s", v, p);
        if (!strcmp(p, base) && (!files || cJSON_GetObjectItemCaseSensitive(files, v))) {
            free(inside);
            free(guess);
            return xstrdup(v);
        }
        if (files && cJSON_GetObjectItemCaseSensitive(files, inside)) {
            free(guess);
            return inside;
        }
        if (!guess)
            guess = inside;
        else
            free(inside);
    }
    return guess;
}

/* The input the step read for path p: a context file, a stage's path, a URL or a command. */
static void
blame_input(const struct blame_layer *l, const char *p, struct buf *out)
{
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(l->rec, "provenance");
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(prov, "inputs");
    const cJSON *copy = cJSON_GetObjectItemCaseSensitive(prov, "copy");
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(inputs, "command"), *u, *a;
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(inputs, "files");
    cleanup_free char *src =
        copy ? blame_copy_source(copy, json_string(copy, "from", 0, "", NULL) ? NULL : files, p)
             : NULL;

    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(inputs, "urls"))
    {
        buf_addf(out, "URL %s (%s)", json_string(u, "url", 0, "", NULL),
                 json_string(u, "digest", 0, "", NULL));
        return;
    }
    if (copy && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(copy, "heredoc"))) {
        buf_adds(out, "a heredoc of the recipe");
    } else if (copy && json_string(copy, "from", 0, "", NULL)) {
        const char *img = json_string(copy, "from_image", 0, "", NULL);
        buf_addf(out, "%s %s, path /%s", img ? "image" : "stage",
                 json_string(copy, "from", 0, "", NULL), src ? src : "?");
        if (img)
            buf_addf(out, " (%s)", img);
    } else if (copy) {
        const char *dg =
            src ? json_string(cJSON_GetObjectItemCaseSensitive(inputs, "files"), src, 0, "", NULL)
                : NULL;
        buf_addf(out, "context file %s", src ? src : "?");
        if (dg)
            buf_addf(out, " (%s)", dg);
    } else if (cJSON_IsArray(cmd)) {
        buf_adds(out, "RUN command:");
        cJSON_ArrayForEach(a, cmd) buf_addf(out, " %s", cJSON_IsString(a) ? a->valuestring : "");
    } else {
        buf_adds(out, "-");
    }
}

static void
blame_print(FILE *out, const char *label, const struct buf *text)
{
    cleanup_buf struct buf safe = BUF_INIT;

    /* instructions, names and commands come from the image and its records */
    termsafe_add(&safe, text->data ? text->data : "", text->len);
    fprintf(out, "  %-8s %s\n", label, buf_cstr(&safe));
}

int
blame_path(const struct blame *b, const char *path, int all, FILE *out, struct error *err)
{
    cleanup_free char *norm = NULL;
    const char *rel = path;
    size_t i, last = 0, del = 0;
    long long size = -1;

    (void)err;
    while (*rel == '/')
        rel++;
    norm = xasprintf("/%s", rel);
    fprintf(out, "%s\n", norm);
    for (i = 0; i < b->n; i++) {
        enum blame_state st = blame_probe(b->layers[i].root, rel, &size);
        cleanup_buf struct buf step = BUF_INIT;
        if (st == BLAME_ABSENT)
            continue;
        if (st == BLAME_PRESENT)
            last = i + 1, del = 0;
        else if (last)
            del = i + 1;
        if (all) {
            blame_step(b, &b->layers[i], &step);
            fprintf(out, "  layer %zu %s\n", i + 1,
                    st == BLAME_PRESENT ? "changed it" : "deleted it");
            blame_print(out, "step", &step);
        }
    }
    if (!last) {
        fprintf(out, "  not in any layer of the image\n");
        return 1;
    }
    {
        const struct blame_layer *l = &b->layers[last - 1];
        cleanup_buf struct buf step = BUF_INIT;
        cleanup_buf struct buf in = BUF_INIT;
        cleanup_buf struct buf lay = BUF_INIT;
        cleanup_buf struct buf gone = BUF_INIT;
        buf_addf(&lay, "%zu of %zu, %s", last, b->n, l->digest);
        blame_step(b, l, &step);
        if (l->rec)
            blame_input(l, norm, &in);
        else
            buf_adds(&in, "the base image's layer");
        if (del)
            buf_addf(&gone, "yes, by layer %zu: ", del);
        if (del)
            blame_step(b, &b->layers[del - 1], &gone);
        else
            buf_adds(&gone, "no");
        blame_print(out, "layer", &lay);
        blame_print(out, "step", &step);
        blame_print(out, "input", &in);
        blame_print(out, "deleted", &gone);
    }
    return 0;
}

struct blame_file {
    char *path;
    long long size;
    size_t layer;
};

struct blame_walk {
    struct hashmap seen;   /* paths a higher layer decided (present or deleted) */
    struct hashmap hidden; /* directories a higher layer deleted or made opaque */
    struct blame_file *files;
    size_t n, alloc;
    size_t layer;
};

/* A higher layer deleted an ancestor of rel, or made one opaque. */
static int
blame_hidden(const struct blame_walk *w, const char *rel)
{
    const char *p = rel;

    while ((p = strchr(p, '/'))) {
        void **v = hashmap_get(&w->hidden, rel, (size_t)(p - rel));
        if (v && (size_t)(uintptr_t)*v > w->layer)
            return 1;
        p++;
    }
    return 0;
}

static void
blame_mark(struct hashmap *m, const char *rel, size_t layer)
{
    void **v = hashmap_put(m, rel, strlen(rel), NULL);

    if (!*v)
        *v = (void *)(uintptr_t)(layer + 1);
}

static void
blame_walk_dir(struct blame_walk *w, int dfd, struct buf *rel)
{
    cleanup_closedir DIR *d = fdopendir(dfd);
    struct dirent *de;
    size_t len = rel->len;

    if (!d) {
        close(dfd);
        return;
    }
    while ((de = readdir(d))) {
        struct stat st;
        int added = 0;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        rel->len = len;
        buf_addf(rel, "%s%s", len ? "/" : "", de->d_name);
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            blame_hidden(w, buf_cstr(rel)))
            continue;
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
            hashmap_put(&w->seen, rel->data, rel->len, NULL);
            blame_mark(&w->hidden, buf_cstr(rel), w->layer);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            char v[2];
            if (sub >= 0 && (fgetxattr(sub, WHITEOUT_XATTR_OPAQUE, v, 1) == 1 ||
                             fgetxattr(sub, WHITEOUT_USERXATTR_OPAQUE, v, 1) == 1))
                blame_mark(&w->hidden, buf_cstr(rel), w->layer);
            if (sub >= 0)
                blame_walk_dir(w, sub, rel);
            continue;
        }
        hashmap_put(&w->seen, rel->data, rel->len, &added);
        if (added && S_ISREG(st.st_mode)) {
            w->files = xgrow(w->files, sizeof(*w->files), w->n + 1, &w->alloc);
            w->files[w->n].path = xstrdup(buf_cstr(rel));
            w->files[w->n].size = (long long)st.st_size;
            w->files[w->n].layer = w->layer;
            w->n++;
        }
    }
    rel->len = len;
}

static int
blame_by_size(const void *a, const void *b)
{
    const struct blame_file *x = a, *y = b;

    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return strcmp(x->path, y->path);
}

int
blame_largest(const struct blame *b, size_t n, FILE *out, struct error *err)
{
    struct blame_walk w;
    cleanup_buf struct buf rel = BUF_INIT;
    size_t i;

    memset(&w, 0, sizeof(w));
    for (i = b->n; i-- > 0;) {
        int fd = dup(b->layers[i].root);
        if (fd < 0)
            return error_set(err, errno, "dup");
        w.layer = i;
        buf_reset(&rel);
        lseek(fd, 0, SEEK_SET);
        blame_walk_dir(&w, fd, &rel);
    }
    qsort(w.files, w.n, sizeof(*w.files), blame_by_size);
    fprintf(out, "%-10s %-6s %-40s %s\n", "SIZE", "LAYER", "PATH", "STEP");
    for (i = 0; i < w.n; i++) {
        if (i < n) {
            cleanup_buf struct buf step = BUF_INIT;
            cleanup_buf struct buf safe = BUF_INIT;
            char sz[32];
            log_human_size(w.files[i].size, sz, sizeof(sz));
            blame_step(b, &b->layers[w.files[i].layer], &step);
            buf_addf(&safe, "/%s", w.files[i].path);
            termsafe_add(&safe, " ", 1);
            fprintf(out, "%-10s %-6zu ", sz, w.files[i].layer + 1);
            {
                cleanup_buf struct buf t = BUF_INIT;
                termsafe_add(&t, safe.data, safe.len - 1);
                fprintf(out, "%-40s ", buf_cstr(&t));
            }
            buf_reset(&safe);
            termsafe_add(&safe, step.data ? step.data : "", step.len);
            fprintf(out, "%s\n", buf_cstr(&safe));
        }
        free(w.files[i].path);
    }
    free(w.files);
    hashmap_release(&w.seen, NULL);
    hashmap_release(&w.hidden, NULL);
    return 0;
}
