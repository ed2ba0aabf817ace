#include "builder/engine/context.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

#define CONTEXT_IGNORE_MAX (4u << 20)

/* path made absolute against the working directory and cleaned of ".", ".." and "//" */
static char *
context_abs_lexical(const char *path)
{
    cleanup_free char *cwd = path[0] == '/' ? NULL : getcwd(NULL, 0);
    cleanup_free char *joined = cwd ? fs_join(cwd, path) : xstrdup(path);
    struct error ignored;
    char *clean;

    if (path[0] != '/' && !cwd)
        return NULL;
    error_init(&ignored);
    clean = context_clean(joined, &ignored); /* ".." past the root is an error there */
    if (!clean)
        return NULL;
    if (!strcmp(clean, ".")) {
        free(clean);
        return xstrdup("/");
    }
    {
        char *abs = xasprintf("/%s", clean);
        free(clean);
        return abs;
    }
}

/* path's name relative to dir when it lies inside dir (both made absolute), else NULL */
static char *
context_inside(const char *dir, const char *path)
{
    cleanup_free char *d = context_abs_lexical(dir);
    cleanup_free char *p = context_abs_lexical(path);
    size_t dl;

    if (!d || !p)
        return NULL;
    dl = strlen(d);
    if (!strcmp(d, "/"))
        return strcmp(p, "/") ? xstrdup(p + 1) : NULL;
    if (strncmp(p, d, dl) || p[dl] != '/' || !p[dl + 1])
        return NULL;
    return xstrdup(p + dl + 1);
}

int
context_read_file(const char *context_dir, const char *path, size_t max, struct buf *out,
                  struct error *err)
{
    cleanup_free char *rel = context_inside(context_dir, path);
    cleanup_close int root = -1, fd = -1;

    if (!rel)
        fd = open(path, O_RDONLY | O_CLOEXEC);
    else if ((root = open(context_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0)
        fd = fs_open_in_root(root, rel, O_RDONLY, err);
    if (fd < 0) {
        int e = rel && root >= 0 ? err->sys_errno : errno;
        if (rel)
            error_set(err, e, "open %s (inside the build context %s)", path, context_dir);
        else
            error_set(err, e, "open %s", path);
        err->exit_code = 2; /* a recipe or ignore file that is not there is bad input */
        return -1;
    }
    return fs_read_fd_max(fd, path, max, out, err);
}

/*
 * The ignore file beside the recipe, as podman and buildah look for it
 * (buildah's ContainerIgnoreFile): RECIPE.dockerignore, else
 * RECIPE.containerignore. NULL when neither exists.
 */
static char *
context_ignore_beside(const char *recipe_path)
{
    static const char *const ext[] = {".dockerignore", ".containerignore"};
    size_t i;

    for (i = 0; recipe_path && strcmp(recipe_path, "-") && i < 2; i++) {
        char *p = xasprintf("%s%s", recipe_path, ext[i]);
        if (fs_exists(AT_FDCWD, p))
            return p;
        free(p);
    }
    return NULL;
}

static int
context_load_ignore(struct context *c, const char *context_dir, const char *recipe_path,
                    struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_free char *beside = context_ignore_beside(recipe_path);
    cleanup_free char *inside = NULL;
    const char *name = NULL, *file = NULL;

    /* then .containerignore in the context, then .dockerignore, as podman reads them;
       lstat only: whatever they are, all are read by context_read_file's rules */
    if (beside)
        file = name = beside;
    else if (fs_exists(c->fd, ".containerignore"))
        name = ".containerignore";
    else if (fs_exists(c->fd, ".dockerignore"))
        name = ".dockerignore";
    if (!name)
        return 0;
    if (!file)
        file = inside = fs_join(context_dir, name);
    if (context_read_file(context_dir, file, CONTEXT_IGNORE_MAX, &b, err) < 0)
        return -1;
    if (dockerignore_load(&c->ignore, buf_cstr(&b), b.len, name, err) < 0)
        return -1;
    c->has_ignore = 1;
    return 0;
}

int
context_open(struct context *c, const char *dir, const char *recipe_path, struct error *err)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->path = realpath(dir, NULL);
    if (!c->path)
        return error_input(err, "build context %s: %s", dir, strerror(errno));
    c->fd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->fd < 0)
        return error_input(err, "build context %s: %s", dir, strerror(errno));
    if (context_load_ignore(c, dir, recipe_path, err) < 0) {
        context_release(c);
        return -1;
    }
    return 0;
}

void
context_release(struct context *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->path);
    if (c->has_ignore)
        dockerignore_release(&c->ignore);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

char *
context_clean(const char *src, struct error *err)
{
    struct strvec parts = STRVEC_INIT;
    struct buf out = BUF_INIT;
    const char *p = src;
    size_t i;

    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && !strncmp(p, "..", 2)) {
            if (parts.n == 0) {
                strvec_release(&parts);
                error_input(err, "source \"%s\" is outside the build context", src);
                return NULL;
            }
            free(parts.v[--parts.n]);
            parts.v[parts.n] = NULL;
        } else if (n && !(n == 1 && *p == '.')) {
            strvec_push_owned(&parts, xstrndup(p, n));
        }
        p += n;
        if (*p == '/')
            p++;
    }
    for (i = 0; i < parts.n; i++) {
        if (i)
            buf_addch(&out, '/');
        buf_adds(&out, parts.v[i]);
    }
    strvec_release(&parts);
    if (!out.len)
        buf_adds(&out, ".");
    return buf_detach(&out);
}

int
context_ignored(const struct context *c, const char *rel)
{
    if (!c->has_ignore || !strcmp(rel, "."))
        return 0;
    return dockerignore_match(&c->ignore, rel) == 1;
}

int
context_leave_out(const struct context *c, const char *rel, int dirfd, const char *name)
{
    struct stat st;

    if (!c || !context_ignored(c, rel))
        return 0;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return dockerignore_skip_dir(&c->ignore, rel);
    return 1;
}

/* Makes mask dir rel and its missing parents, each like the context's own directory. */
static int
context_mask_parents(const struct context *c, int maskfd, const char *rel, struct error *err)
{
    cleanup_free char *p = xstrdup(rel);
    char *s = p;

    for (;;) {
        char *slash = strchr(s, '/');
        struct stat st;
        if (slash)
            *slash = '\0';
        if (fstatat(maskfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            struct timespec ts[2];
            if (fstatat(c->fd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                return error_set(err, errno ? errno : ENOTDIR, "context mask %s", p);
            ts[0] = st.st_atim;
            ts[1] = st.st_mtim;
            if (mkdirat(maskfd, p, st.st_mode & 07777) < 0 ||
                fchownat(maskfd, p, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                fchmodat(maskfd, p, st.st_mode & 07777, 0) < 0 ||
                utimensat(maskfd, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return error_set(err, errno, "context mask %s", p);
        }
        if (!slash)
            return 0;
        *slash = '/';
        s = slash + 1;
    }
}

/* overlayfs.rst, "whiteouts and opaque directories": a 0/0 character device hides rel */
static int
context_mask_whiteout(const struct context *c, int maskfd, const char *rel, struct error *err)
{
    const char *slash = strrchr(rel, '/');

    if (slash) {
        cleanup_free char *parent = xstrndup(rel, (size_t)(slash - rel));
        if (context_mask_parents(c, maskfd, parent, err) < 0)
            return -1;
    }
    if (mknodat(maskfd, rel, S_IFCHR | 0000, makedev(0, 0)) < 0)
        return error_set(err, errno, "context mask: whiteout %s", rel);
    return 0;
}

static int
context_mask_dir(const struct context *c, int maskfd, int dirfd, struct buf *rel, struct error *err)
{
    cleanup_strvec struct strvec names = STRVEC_INIT;
    DIR *d = fdopendir(dup(dirfd));
    struct dirent *de;
    size_t i, rl = rel->len;

    if (!d)
        return error_set(err, errno, "read directory %s", rl ? buf_cstr(rel) : ".");
    rewinddir(d); /* a dup shares the offset of an earlier walk */
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            strvec_push(&names, de->d_name);
    closedir(d);
    for (i = 0; i < names.n; i++) {
        struct stat st;
        int rc = 0;
        if (rl)
            buf_addch(rel, '/');
        buf_adds(rel, names.v[i]);
        if (context_leave_out(c, buf_cstr(rel), dirfd, names.v[i])) {
            rc = context_mask_whiteout(c, maskfd, buf_cstr(rel), err);
        } else if (fstatat(dirfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                   S_ISDIR(st.st_mode)) {
            cleanup_close int sub =
                openat(dirfd, names.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = sub < 0 ? error_set(err, errno, "open %s", buf_cstr(rel))
                         : context_mask_dir(c, maskfd, sub, rel, err);
        }
        rel->len = rl;
        rel->data[rl] = '\0';
        if (rc < 0)
            return -1;
    }
    return 0;
}

int
context_mask(const struct context *c, int maskfd, struct error *err)
{
    cleanup_buf struct buf rel = BUF_INIT;
    cleanup_close int root = -1;

    if (!c->has_ignore)
        return 0;
    root = openat(c->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return error_set(err, errno, "open build context %s", c->path);
    buf_adds(&rel, "");
    return context_mask_dir(c, maskfd, root, &rel, err);
}

static int
context_has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds to out every existing path that matches components[i..] below prefix. */
static void
context_glob(struct context *c, const char *prefix, char **comps, size_t i, size_t n,
             struct strvec *out)
{
    struct error ignored;
    cleanup_free char *joined = NULL;
    DIR *d;
    struct dirent *de;
    int fd;

    if (i == n) {
        if (!context_ignored(c, prefix))
            strvec_push(out, prefix);
        return;
    }
    if (!context_has_glob(comps[i])) {
        joined = strcmp(prefix, ".") ? xasprintf("%s/%s", prefix, comps[i]) : xstrdup(comps[i]);
        fd = fs_open_in_root(c->fd, joined, O_PATH, &ignored);
        if (fd >= 0) {
            close(fd);
            context_glob(c, joined, comps, i + 1, n, out);
        }
        return;
    }
    fd = fs_open_in_root(c->fd, prefix, O_RDONLY | O_DIRECTORY, &ignored);
    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        char *sub;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (fnmatch(comps[i], de->d_name, 0) != 0)
            continue;
        sub = strcmp(prefix, ".") ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
        context_glob(c, sub, comps, i + 1, n, out);
        free(sub);
    }
    closedir(d);
}

int
context_match(struct context *c, const char *src, struct strvec *out, struct error *err)
{
    cleanup_free char *clean = context_clean(src, err);
    cleanup_strvec struct strvec comps = STRVEC_INIT;
    size_t before = out->n;
    char *p, *save = NULL;

    if (!clean)
        return -1;
    if (!strcmp(clean, ".")) {
        strvec_push(out, ".");
        return 0;
    }
    for (p = strtok_r(clean, "/", &save); p; p = strtok_r(NULL, "/", &save))
        strvec_push(&comps, p);
    context_glob(c, ".", comps.v, 0, comps.n, out);
    if (out->n == before)
        return error_input(err, "COPY source \"%s\" not found in build context %s", src, c->path);
    qsort(out->v + before, out->n - before, sizeof(char *), cmp_str);
    return 0;
}

static int
context_hash_file(int fd, const struct stat *st, struct hashmemo *memo, struct cachekey *k,
                  const char *name, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    char hex[DIGEST_STR_LEN + 1];

    if (memo && hashmemo_get(memo, st, hex)) {
        cachekey_add(k, "data", hex);
        memcpy(out, hex, sizeof(hex));
        return 0;
    }
    if (digest_fd(fd, hex, err) < 0)
        return error_wrap(err, "%s", name);
    if (memo)
        hashmemo_put(memo, st, hex);
    cachekey_add(k, "data", hex);
    memcpy(out, hex, sizeof(hex));
    return 0;
}

struct context_walk {
    const struct context *c; /* NULL: no ignore file */
    struct hashmemo *memo;
    cJSON *files;                       /* NULL, or where to list file digests */
    const struct dockerignore *exclude; /* COPY --exclude, or NULL */
    struct cachekey *k;
    struct buf rel;  /* path relative to the context root (for ignore rules) */
    struct buf name; /* path relative to the source (what the key records) */
};

static int context_hash_entry(struct context_walk *w, int dirfd, const char *base,
                              struct error *err);

static void
context_list(struct context_walk *w, const char *digest)
{
    if (w->files && cJSON_GetArraySize(w->files) < CONTEXT_LIST_MAX)
        cJSON_AddStringToObject(w->files, buf_cstr(&w->rel), digest);
}

static int
context_hash_children(struct context_walk *w, int fd, struct error *err)
{
    cleanup_strvec struct strvec names = STRVEC_INIT;
    DIR *d = fdopendir(dup(fd));
    struct dirent *de;
    size_t i, rl = w->rel.len, nl = w->name.len;

    if (!d)
        return error_set(err, errno, "read directory %s", buf_cstr(&w->rel));
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            strvec_push(&names, de->d_name);
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    for (i = 0; i < names.n; i++) {
        if (rl)
            buf_addch(&w->rel, '/');
        buf_adds(&w->rel, names.v[i]);
        if (nl)
            buf_addch(&w->name, '/');
        buf_adds(&w->name, names.v[i]);
        if (!context_leave_out(w->c, buf_cstr(&w->rel), fd, names.v[i]) &&
            !(w->exclude && (dockerignore_match(w->exclude, buf_cstr(&w->rel)) == 1 ||
                             dockerignore_match(w->exclude, buf_cstr(&w->name)) == 1)) &&
            context_hash_entry(w, fd, names.v[i], err) < 0)
            return -1;
        w->rel.len = rl;
        w->rel.data[rl] = '\0';
        w->name.len = nl;
        w->name.data[nl] = '\0';
    }
    return 0;
}

static int
context_hash_entry(struct context_walk *w, int dirfd, const char *base, struct error *err)
{
    struct stat st;
    char meta[96];
    char link[4096];
    cleanup_close int fd = -1;
    ssize_t n;

    if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return error_set(err, errno, "stat %s", buf_cstr(&w->rel));
    snprintf(meta, sizeof(meta), "%o %lld", (unsigned)st.st_mode,
             S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL);
    cachekey_add(w->k, "name", buf_cstr(&w->name));
    cachekey_add(w->k, "meta", meta);
    if (S_ISLNK(st.st_mode)) {
        n = readlinkat(dirfd, base, link, sizeof(link) - 1);
        if (n < 0)
            return error_set(err, errno, "readlink %s", buf_cstr(&w->rel));
        link[n] = '\0';
        cachekey_add(w->k, "link", link);
        return 0;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return 0;
    if (S_ISREG(st.st_mode) && w->memo && hashmemo_get(w->memo, &st, link)) {
        cachekey_add(w->k, "data", link); /* unchanged since it was last hashed */
        context_list(w, link);
        return 0;
    }
    fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, errno, "open %s", buf_cstr(&w->rel));
    if (S_ISREG(st.st_mode)) {
        if (context_hash_file(fd, &st, w->memo, w->k, buf_cstr(&w->rel), link, err) < 0)
            return -1;
        context_list(w, link);
        return 0;
    }
    return context_hash_children(w, fd, err);
}

static int
context_hash_top(struct context_walk *w, int fd, struct error *err)
{
    struct stat st;
    char meta[96];

    if (fstat(fd, &st) < 0)
        return error_set(err, errno, "stat %s", buf_cstr(&w->rel));
    snprintf(meta, sizeof(meta), "%o %lld", (unsigned)st.st_mode,
             S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL);
    cachekey_add(w->k, "top", meta);
    if (S_ISREG(st.st_mode)) {
        char d[DIGEST_STR_LEN + 1];
        if (context_hash_file(fd, &st, w->memo, w->k, buf_cstr(&w->rel), d, err) < 0)
            return -1;
        context_list(w, d);
        return 0;
    }
    if (S_ISDIR(st.st_mode))
        return context_hash_children(w, fd, err);
    return 0;
}

int
context_hash(struct context *c, const char *rel, struct cachekey *k, struct error *err)
{
    return context_hash_list(c, rel, k, NULL, NULL, err);
}

int
context_hash_list(struct context *c, const char *rel, struct cachekey *k, void *files,
                  const struct dockerignore *exclude, struct error *err)
{
    struct context_walk w = {c, c->memo, files, exclude, k, BUF_INIT, BUF_INIT};
    cleanup_close int fd = fs_open_in_root(c->fd, rel, O_RDONLY, err);
    int rc;

    if (fd < 0)
        return error_wrap(err, "build context %s", c->path);
    buf_adds(&w.rel, strcmp(rel, ".") ? rel : "");
    cachekey_add(k, "source", rel);
    rc = context_hash_top(&w, fd, err);
    buf_release(&w.rel);
    buf_release(&w.name);
    return rc;
}
