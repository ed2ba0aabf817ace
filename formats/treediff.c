#include "formats/treediff.h"

#include "formats/tar_read.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/whiteout.h"

#include "formats/core/banned.h"

/* Hex digits of a digest shown in diff lines: enough to tell contents apart. */
#define TREEDIFF_SHORT 12

static void
treediff_node_release(struct treediff_node *n)
{
    free(n->path);
    free(n->link);
    free(n->hardlink);
    free(n->xattrs);
    memset(n, 0, sizeof(*n));
}

/* Deep copy of src's content under another path. */
static void
treediff_node_copy(struct treediff_node *dst, const struct treediff_node *src, const char *path)
{
    *dst = *src;
    dst->path = xstrdup(path);
    dst->link = src->link ? xstrdup(src->link) : NULL;
    dst->hardlink = NULL;
    dst->xattrs = src->xattrs ? xstrdup(src->xattrs) : NULL;
    dst->whiteout = 0;
    dst->gone = 0;
}

void
treediff_layer_release(struct treediff_layer *layer)
{
    size_t i;

    for (i = 0; i < layer->n; i++)
        treediff_node_release(&layer->v[i]);
    free(layer->v);
    memset(layer, 0, sizeof(*layer));
}

void
treediff_tree_release(struct treediff_tree *tree)
{
    size_t i;

    for (i = 0; i < tree->n; i++)
        treediff_node_release(&tree->v[i]);
    free(tree->v);
    hashmap_release(&tree->index, NULL);
    memset(tree, 0, sizeof(*tree));
}

/* ---- reading a layer ---------------------------------------------------- */

/* An archive path in "/a/b" form ("" or "." is "/"), through tar_read's rules. */
static int
treediff_clean(const char *raw, struct buf *out, const char **why)
{
    struct buf rel = BUF_INIT;
    int rc = tar_read_clean_path(raw, &rel, why);

    buf_reset(out);
    if (rc == 0) {
        buf_addch(out, '/');
        buf_add(out, rel.data ? rel.data : "", rel.len);
    }
    buf_release(&rel);
    return rc;
}

static int
treediff_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name=sha256:<12 hex>,..." of the entry's xattrs, overlayfs' own left out. */
static char *
treediff_xattrs(struct archive_entry *e)
{
    cleanup_strvec struct strvec v = STRVEC_INIT;
    cleanup_buf struct buf b = BUF_INIT;
    const char *name;
    const void *val;
    size_t len, i;

    if (archive_entry_xattr_reset(e) == 0)
        return NULL;
    while (archive_entry_xattr_next(e, &name, &val, &len) == ARCHIVE_OK) {
        char d[DIGEST_STR_LEN + 1];
        if (whiteout_is_overlay_xattr(name))
            continue;
        digest_bytes(val, len, d);
        strvec_pushf(&v, "%s=sha256:%.*s", name, TREEDIFF_SHORT, digest_hex(d));
    }
    if (!v.n)
        return NULL;
    qsort(v.v, v.n, sizeof(char *), treediff_cmp_str);
    for (i = 0; i < v.n; i++)
        buf_addf(&b, "%s%s", i ? "," : "", v.v[i]);
    return buf_detach(&b);
}

static const char treediff_zero_block[4096];

/* Hashes count zero bytes (a hole of a sparse file). */
static void
treediff_zeros(struct digest_ctx *d, long long count)
{
    while (count > 0) {
        size_t k = count < (long long)sizeof(treediff_zero_block) ? (size_t)count
                                                                  : sizeof(treediff_zero_block);
        digest_update(d, treediff_zero_block, k);
        count -= (long long)k;
    }
}

/* Hashes the entry's data; holes of sparse files count as zeros. */
static int
treediff_content(struct archive *a, struct treediff_node *n, struct error *err)
{
    struct digest_ctx d;
    long long pos = 0;
    const void *data;
    size_t len;
    la_int64_t off;
    int rc;

    digest_init(&d);
    while ((rc = archive_read_data_block(a, &data, &len, &off)) == ARCHIVE_OK) {
        treediff_zeros(&d, (long long)off - pos);
        digest_update(&d, data, len);
        pos = (long long)off + (long long)len;
    }
    if (rc != ARCHIVE_EOF) {
        const char *msg = archive_error_string(a);
        digest_release(&d);
        return error_input(err, "%s", msg ? msg : "damaged data");
    }
    treediff_zeros(&d, n->size - pos);
    digest_final(&d, n->sha256);
    return 0;
}

/* Fills n from a non-whiteout entry. */
static int
treediff_entry(struct archive *a, struct archive_entry *e, struct treediff_node *n,
               struct error *err)
{
    const char *hl = archive_entry_hardlink(e);
    const char *why;

    n->type = archive_entry_filetype(e);
    n->mode = archive_entry_perm(e) & 07777;
    n->uid = archive_entry_uid(e);
    n->gid = archive_entry_gid(e);
    n->mtime = archive_entry_mtime(e);
    n->xattrs = treediff_xattrs(e);
    if (hl) {
        cleanup_buf struct buf t = BUF_INIT;
        if (treediff_clean(hl, &t, &why) < 0)
            return error_input(err, "hard link target \"%s\": %s", hl, why);
        n->hardlink = buf_detach(&t);
        n->type = S_IFREG;
        return 0;
    }
    switch (n->type) {
    case S_IFREG:
        n->size = archive_entry_size(e);
        return treediff_content(a, n, err);
    case S_IFLNK:
        n->link = xstrdup(archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
        return 0;
    case S_IFCHR:
    case S_IFBLK:
        n->rdev_major = (unsigned)archive_entry_rdevmajor(e);
        n->rdev_minor = (unsigned)archive_entry_rdevminor(e);
        return 0;
    case S_IFDIR:
    case S_IFIFO:
        return 0;
    default:
        return error_input(err, "unsupported entry type 0%o", n->type);
    }
}

/* Turns one archive entry into a node of layer (or nothing, for AUFS metadata). */
static int
treediff_read_one(struct archive *a, struct archive_entry *e, const char *name,
                  struct treediff_layer *layer, struct error *err)
{
    cleanup_buf struct buf path = BUF_INIT;
    struct treediff_node n = {0};
    const char *why, *base, *victim = NULL;

    if (treediff_clean(name, &path, &why) < 0)
        return error_input(err, "%s", why);
    if (!strcmp(buf_cstr(&path), "/"))
        return 0; /* the root's own entry: not a file of the image */
    base = strrchr(path.data, '/') + 1;
    switch (whiteout_classify(base, &victim)) {
    case WHITEOUT_BAD:
        return error_input(err, "invalid whiteout name");
    case WHITEOUT_META:
        return 0;
    case WHITEOUT_OPAQUE_DIR:
        n.whiteout = 2;
        path.len = (size_t)(base - path.data) - 1; /* its directory */
        path.data[path.len] = '\0';
        n.path = xstrdup(path.len ? path.data : "/");
        break;
    case WHITEOUT_FILE: {
        cleanup_free char *v = xstrdup(victim);
        n.whiteout = 1;
        path.len = (size_t)(base - path.data);
        path.data[path.len] = '\0';
        buf_adds(&path, v);
        n.path = buf_detach(&path);
        break;
    }
    default:
        n.path = buf_detach(&path);
        if (treediff_entry(a, e, &n, err) < 0) {
            treediff_node_release(&n);
            return -1;
        }
        break;
    }
    layer->v = xgrow(layer->v, sizeof(*layer->v), layer->n + 1, &layer->alloc);
    layer->v[layer->n++] = n;
    return 0;
}

int
treediff_layer_read(int fd, const char *what, struct treediff_layer *layer, struct error *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    unsigned long long count = 0;
    int rc;

    if (!a)
        BUG("archive_read_new failed");
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
        error_input(err, "%s: %s", what, archive_error_string(a));
        archive_read_free(a);
        return -1;
    }
    while ((rc = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
        const char *name;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            const char *msg = archive_error_string(a);
            if (!count && msg && strstr(msg, "Unrecognized archive format"))
                error_input(err, "%s: not a tar archive", what);
            else
                error_input(err, "%s: %s", what, msg ? msg : "damaged archive");
            archive_read_free(a);
            return -1;
        }
        count++;
        name = archive_entry_pathname(e);
        if (!name)
            name = "";
        if (treediff_read_one(a, e, name, layer, err) < 0) {
            error_wrap(err, "%s: entry \"%s\"", what, name);
            archive_read_free(a);
            return -1;
        }
    }
    archive_read_free(a);
    return 0;
}

/* ---- the tree ----------------------------------------------------------- */

const struct treediff_node *
treediff_tree_get(const struct treediff_tree *tree, const char *path)
{
    void **slot = hashmap_get(&tree->index, path, strlen(path));
    const struct treediff_node *n = slot ? &tree->v[(uintptr_t)*slot - 1] : NULL;

    return n && !n->gone ? n : NULL;
}

/* Returns the node for path, reusing its slot: the caller fills it (path stays). */
static struct treediff_node *
treediff_put(struct treediff_tree *t, const char *path)
{
    void **slot = hashmap_put(&t->index, path, strlen(path), NULL);
    struct treediff_node *n;

    if (*slot) {
        n = &t->v[(uintptr_t)*slot - 1];
        if (!n->gone)
            t->live--;
        treediff_node_release(n);
    } else {
        t->v = xgrow(t->v, sizeof(*t->v), t->n + 1, &t->alloc);
        n = &t->v[t->n++];
        *slot = (void *)(uintptr_t)t->n;
    }
    memset(n, 0, sizeof(*n));
    t->live++;
    return n;
}

static void
treediff_drop(struct treediff_tree *t, struct treediff_node *n)
{
    cleanup_free char *path = n->path;

    n->path = NULL;
    treediff_node_release(n);
    n->path = steal_ptr(&path); /* the index still needs the name */
    n->gone = 1;
    t->live--;
}

/* Removes everything strictly below dir. */
static void
treediff_drop_below(struct treediff_tree *t, const char *dir)
{
    size_t i, l = strlen(dir);

    for (i = 0; i < t->n; i++) {
        struct treediff_node *n = &t->v[i];
        if (n->gone)
            continue;
        if (l == 1 ? n->path[1] != '\0' : !strncmp(n->path, dir, l) && n->path[l] == '/')
            treediff_drop(t, n);
    }
}

/* Is path hidden by this layer's whiteouts (W: whiteout paths, O: opaque dirs)? */
static bool
treediff_hidden(const struct treediff_tree *w, const struct treediff_tree *o, const char *path)
{
    cleanup_free char *p = xstrdup(path);
    char *slash;

    if (treediff_tree_get(w, p))
        return true;
    while ((slash = strrchr(p, '/')) != NULL) {
        if (slash == p) {
            return treediff_tree_get(o, "/") != NULL;
        }
        *slash = '\0';
        if (treediff_tree_get(w, p) || treediff_tree_get(o, p))
            return true;
    }
    return false;
}

/* image-spec layer.md, Whiteouts: they hide what lower layers put there. */
static void
treediff_whiteouts(struct treediff_tree *tree, const struct treediff_layer *layer)
{
    struct treediff_tree w = TREEDIFF_TREE_INIT, o = TREEDIFF_TREE_INIT;
    size_t i;

    for (i = 0; i < layer->n; i++) {
        const struct treediff_node *n = &layer->v[i];
        if (n->whiteout)
            treediff_put(n->whiteout == 1 ? &w : &o, n->path)->path = xstrdup(n->path);
    }
    if (w.live || o.live) {
        for (i = 0; i < tree->n; i++) {
            if (!tree->v[i].gone && treediff_hidden(&w, &o, tree->v[i].path))
                treediff_drop(tree, &tree->v[i]);
        }
    }
    treediff_tree_release(&w);
    treediff_tree_release(&o);
}

/* Implied parents: tar_read makes them 0755 root-owned, so do we. */
static void
treediff_parents(struct treediff_tree *tree, const char *path)
{
    cleanup_free char *p = xstrdup(path);
    char *slash = p;

    while ((slash = strchr(slash + 1, '/')) != NULL) {
        const struct treediff_node *have;
        struct treediff_node *n;
        *slash = '\0';
        have = treediff_tree_get(tree, p);
        if (!have || have->type != S_IFDIR) {
            n = treediff_put(tree, p);
            n->path = xstrdup(p);
            n->type = S_IFDIR;
            n->mode = 0755;
        }
        *slash = '/';
    }
}

void
treediff_tree_apply(struct treediff_tree *tree, const struct treediff_layer *layer)
{
    size_t i;

    treediff_whiteouts(tree, layer);
    for (i = 0; i < layer->n; i++) {
        const struct treediff_node *src = &layer->v[i];
        const struct treediff_node *have;
        struct treediff_node copy, *n;

        if (src->whiteout)
            continue;
        treediff_parents(tree, src->path);
        have = treediff_tree_get(tree, src->path);
        if (have && have->type == S_IFDIR && src->type != S_IFDIR)
            treediff_drop_below(tree, src->path);
        if (src->hardlink && (have = treediff_tree_get(tree, src->hardlink)) != NULL)
            treediff_node_copy(&copy, have, src->path); /* copy first: put may move nodes */
        else
            treediff_node_copy(&copy, src, src->path);
        n = treediff_put(tree, src->path);
        *n = copy;
    }
}

/* ---- comparing ---------------------------------------------------------- */

void
treediff_time(long long t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "@%lld", t);
}

static const char *
treediff_type_name(unsigned type)
{
    switch (type) {
    case S_IFREG:
        return "file";
    case S_IFDIR:
        return "dir";
    case S_IFLNK:
        return "symlink";
    case S_IFCHR:
        return "char device";
    case S_IFBLK:
        return "block device";
    case S_IFIFO:
        return "fifo";
    default:
        return "other";
    }
}

static void
treediff_sep(struct buf *b)
{
    buf_adds(b, b->len ? "; " : "");
}

/* What differs in the node's own data: content, link target, device numbers. */
static void
treediff_what_data(const struct treediff_node *x, const struct treediff_node *y, struct buf *b)
{
    if (x->type == S_IFREG && (x->size != y->size || strcmp(x->sha256, y->sha256))) {
        treediff_sep(b);
        buf_addf(b, "content %lld B sha256:%.*s -> %lld B sha256:%.*s", x->size, TREEDIFF_SHORT,
                 digest_hex(x->sha256), y->size, TREEDIFF_SHORT, digest_hex(y->sha256));
    }
    if (x->type == S_IFLNK && strcmp(x->link, y->link)) {
        treediff_sep(b);
        buf_addf(b, "symlink target %s -> %s", x->link, y->link);
    }
    if ((x->type == S_IFCHR || x->type == S_IFBLK) &&
        (x->rdev_major != y->rdev_major || x->rdev_minor != y->rdev_minor)) {
        treediff_sep(b);
        buf_addf(b, "device %u,%u -> %u,%u", x->rdev_major, x->rdev_minor, y->rdev_major,
                 y->rdev_minor);
    }
}

/* Writes "what; what" for two nodes of one path into b (empty when equal). */
static void
treediff_what(const struct treediff_node *x, const struct treediff_node *y, struct buf *b)
{
    if (x->type != y->type)
        buf_addf(b, "type %s -> %s", treediff_type_name(x->type), treediff_type_name(y->type));
    else
        treediff_what_data(x, y, b);
    if (x->mode != y->mode) {
        treediff_sep(b);
        buf_addf(b, "mode %04o -> %04o", x->mode, y->mode);
    }
    if (x->uid != y->uid || x->gid != y->gid) {
        treediff_sep(b);
        buf_addf(b, "owner %lld:%lld -> %lld:%lld", x->uid, x->gid, y->uid, y->gid);
    }
    if (x->mtime != y->mtime) {
        char t1[32], t2[32];
        treediff_time(x->mtime, t1);
        treediff_time(y->mtime, t2);
        treediff_sep(b);
        buf_addf(b, "mtime %s -> %s", t1, t2);
    }
    if (x->type == y->type && strcmp(x->xattrs ? x->xattrs : "", y->xattrs ? y->xattrs : "")) {
        treediff_sep(b);
        buf_addf(b, "xattrs [%s] -> [%s]", x->xattrs ? x->xattrs : "", y->xattrs ? y->xattrs : "");
    }
}

static int
treediff_cmp_node(const void *a, const void *b)
{
    return strcmp((*(const struct treediff_node *const *)a)->path,
                  (*(const struct treediff_node *const *)b)->path);
}

/* The live nodes of t, sorted by path (malloc'ed; *n gets the count). */
static const struct treediff_node **
treediff_sorted(const struct treediff_tree *t, size_t *n)
{
    const struct treediff_node **v = xcalloc(t->live + 1, sizeof(*v));
    size_t i, k = 0;

    for (i = 0; i < t->n; i++) {
        if (!t->v[i].gone)
            v[k++] = &t->v[i];
    }
    if (k > 1)
        qsort(v, k, sizeof(*v), treediff_cmp_node);
    *n = k;
    return v;
}

size_t
treediff_compare(const struct treediff_tree *a, const struct treediff_tree *b, struct strvec *out)
{
    size_t na, nb, i = 0, j = 0, lines = 0;
    cleanup_free const struct treediff_node **va = treediff_sorted(a, &na);
    cleanup_free const struct treediff_node **vb = treediff_sorted(b, &nb);
    cleanup_buf struct buf what = BUF_INIT;

    while (i < na || j < nb) {
        int c = i >= na ? 1 : j >= nb ? -1 : strcmp(va[i]->path, vb[j]->path);
        if (c < 0) {
            strvec_pushf(out, "D %s", va[i++]->path);
        } else if (c > 0) {
            strvec_pushf(out, "A %s", vb[j++]->path);
        } else {
            buf_reset(&what);
            treediff_what(va[i], vb[j], &what);
            i++;
            j++;
            if (!what.len)
                continue;
            strvec_pushf(out, "M %s (%s)", va[i - 1]->path, buf_cstr(&what));
        }
        lines++;
    }
    return lines;
}
