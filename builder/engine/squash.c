/*
 * --squash / --squash-all (podman build's, buildah's and docker's options):
 * layers [from, n) of a stage applied in order into one tree under the
 * store's tmp/ (formats/tar_read.h TAR_READ_APPLY), then captured as one
 * layer. With layers left below (--squash), the deletions the squashed
 * layers made of their files must survive: image-spec layer.md,
 * "Whiteouts", so each whiteout and opaque directory of the squashed layers
 * is put back into the tree unless a later squashed layer made the path
 * again.
 */
#include "builder/engine/squash.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "builder/engine/engine.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "formats/tar_read.h"
#include "formats/treediff.h"
#include "formats/whiteout.h"
#include "store/blob.h"
#include "store/layer.h"
#include "store/txn.h"

#include "formats/core/banned.h"

/* A deletion one of the squashed layers made: path (no leading '/') and kind (1 file, 2 opaque). */
struct squash_mark {
    char *path;
    int kind;
    long long mtime; /* the whiteout entry's time, given to the whiteout made again */
};

struct squash_marks {
    struct squash_mark *v;
    size_t n, alloc;
};

static void
squash_marks_release(struct squash_marks *m)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
}

/* The whiteouts of layer digest, in archive order. */
static int
squash_read_marks(const struct store *s, const char *digest, struct squash_marks *m,
                  struct error *err)
{
    struct treediff_layer l = TREEDIFF_LAYER_INIT;
    cleanup_free char *what = xasprintf("layer %s", digest);
    cleanup_close int fd = blob_open(s, digest, err);
    size_t i;

    if (fd < 0 || treediff_layer_read(fd, what, &l, err) < 0) {
        treediff_layer_release(&l);
        return -1;
    }
    for (i = 0; i < l.n; i++) {
        if (!l.v[i].whiteout)
            continue;
        m->v = xgrow(m->v, sizeof(*m->v), m->n + 1, &m->alloc);
        m->v[m->n].path = xstrdup(l.v[i].path + (l.v[i].path[0] == '/'));
        m->v[m->n].mtime = l.v[i].mtime;
        m->v[m->n++].kind = l.v[i].whiteout;
    }
    treediff_layer_release(&l);
    return 0;
}

/* path's parent inside root, reached without following any symlink; -1 when there is none. */
static int
squash_parent(int root, const char *path, const char **base)
{
    struct open_how how = {O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                           RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    const char *slash = strrchr(path, '/');
    cleanup_free char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");

    *base = slash ? slash + 1 : path;
    return (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
}

/*
 * A whiteout (an overlayfs 0:0 character device) named base in dir, at time
 * t; dir keeps its own times, so the same layers always give the same layer.
 */
static int
squash_whiteout(int dir, const char *base, long long t, struct error *err)
{
    struct timespec ts[2] = {{(time_t)t, 0}, {(time_t)t, 0}};
    struct stat ds;

    if (fstat(dir, &ds) < 0 || mknodat(dir, base, S_IFCHR | 0600, makedev(0, 0)) < 0 ||
        utimensat(dir, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return error_set(err, errno, "mknod");
    ts[0] = ds.st_atim;
    ts[1] = ds.st_mtim;
    if (futimens(dir, ts) < 0)
        return error_set(err, errno, "set the directory's times");
    return 0;
}

/*
 * Puts the squashed layers' deletions back into the tree: a whiteout where
 * the path is gone (a later squashed layer did not make it again), the
 * opaque mark on a directory that is still there. A path whose parent is
 * gone or a symlink needs nothing: what hid the lower files hides them still.
 */
static int
squash_put_marks(int root, const struct squash_marks *m, int userxattr, struct error *err)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        const char *base;
        cleanup_close int dir = squash_parent(root, m->v[i].path, &base);
        struct stat st;
        int here;

        if (dir < 0 || !*base)
            continue;
        here = fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (m->v[i].kind == 1 && !here &&
            squash_whiteout(dir, base, m->v[i].mtime, err) < 0) /* overlayfs whiteout */
            return error_wrap(err, "squash: whiteout %s", m->v[i].path);
        if (m->v[i].kind == 2 && here && S_ISDIR(st.st_mode)) {
            cleanup_close int fd = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            const char *x = userxattr ? WHITEOUT_USERXATTR_OPAQUE : WHITEOUT_XATTR_OPAQUE;
            if (fd < 0 || fsetxattr(fd, x, "y", 1, 0) < 0)
                return error_set(err, errno, "squash: opaque directory %s", m->v[i].path);
        }
    }
    return 0;
}

/* Applies layers [from, n) of st to the empty directory dfd. */
static int
squash_apply(struct build *b, const struct stage *st, size_t from, int dfd, int flags,
             struct squash_marks *marks, struct error *err)
{
    size_t i;

    for (i = from; i < st->layers.nlayers; i++) {
        const char *dg = st->layers.layers[i].digest;
        cleanup_free char *what = xasprintf("layer %s", dg);
        cleanup_close int fd = blob_open(b->store, dg, err);
        struct tar_read_result res;
        if (fd < 0 || tar_read_extract(fd, dfd, TAR_READ_APPLY, flags, what, &res, err) < 0)
            return error_wrap(err, "squash");
        if (from > 0 && squash_read_marks(b->store, dg, marks, err) < 0)
            return error_wrap(err, "squash");
    }
    return 0;
}

/* The history: entries of squashed layers become empty; one entry for the new layer. */
static void
squash_history(struct build *b, struct stage *st, size_t from, const char *by, int layer)
{
    cJSON *hist = cJSON_GetObjectItemCaseSensitive(st->config, "history"), *h, *n;
    const char *created = json_string(st->config, "created", 0, "", NULL);
    size_t seen = 0;
    char when[32];

    cJSON_ArrayForEach(h, hist)
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "empty_layer")))
            continue;
        if (seen++ >= from)
            cJSON_AddTrueToObject(h, "empty_layer");
    }
    /* the image's time (its last step's), so an all-cached rebuild gives the same image */
    oci_time_format(b->now, when);
    n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "created", created ? created : when);
    cJSON_AddStringToObject(n, "created_by", by);
    cJSON_AddStringToObject(n, "comment", "strata");
    if (!layer)
        cJSON_AddTrueToObject(n, "empty_layer");
    cJSON_AddItemToArray(hist, n);
}

/* st's layers [from, n) become info's layer (or none, for an empty tree). */
static void
squash_replace(struct stage *st, size_t from, const struct layer_info *info)
{
    cJSON *rootfs = cJSON_GetObjectItemCaseSensitive(st->config, "rootfs");
    cJSON *ids;
    size_t i;

    cJSON_DeleteItemFromObjectCaseSensitive(rootfs, "diff_ids");
    ids = json_add_array(rootfs, "diff_ids");
    for (i = from; i < st->layers.nlayers; i++)
        oci_descriptor_release(&st->layers.layers[i]);
    st->layers.nlayers = from;
    while (st->diff_ids.n > from)
        free(st->diff_ids.v[--st->diff_ids.n]);
    if (info->entries) {
        struct oci_descriptor d = {0};
        d.media_type = (char *)info->media_type;
        memcpy(d.digest, info->digest, sizeof(d.digest));
        d.size = info->size;
        oci_manifest_add_layer(&st->layers, &d);
        strvec_push(&st->diff_ids, info->diff_id);
    }
    for (i = 0; i < st->diff_ids.n; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateString(st->diff_ids.v[i]));
}

int
squash_stage(struct build *b, struct stage *st, size_t from, const char *by, struct error *err)
{
    cleanup_free char *dir = NULL;
    cleanup_close int dfd = -1;
    struct squash_marks marks = {NULL, 0, 0};
    struct tar_write_opts opts;
    struct layer_info info;
    int userx = geteuid() != 0;

    if (from > st->layers.nlayers || st->layers.nlayers - from < 2)
        return 0;
    dir = txn_tmp_path(b->store->tmp, "squash");
    if (mkdir(dir, 0755) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        error_set(err, errno, "squash: mkdir %s", dir);
        txn_discard(dir);
        return -1;
    }
    if (squash_apply(b, st, from, dfd, userx ? TAR_READ_USERXATTR : 0, &marks, err) < 0 ||
        squash_put_marks(dfd, &marks, userx, err) < 0)
        goto fail;
    tar_write_opts_init(&opts);
    opts.compression = b->o->compression;
    opts.clamp_mtime = b->o->source_date_epoch;
    if (layer_capture(b->store, dir, &opts, &info, err) < 0)
        goto fail;
    if (!info.entries)
        txn_discard(dir); /* an empty tree is left to its caller */
    squash_marks_release(&marks);
    squash_history(b, st, from, by, info.entries != 0);
    squash_replace(st, from, &info);
    return 0;
fail:
    squash_marks_release(&marks);
    txn_discard(dir);
    return -1;
}
