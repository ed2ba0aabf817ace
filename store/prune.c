#include "store/prune.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/digest.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/cache.h"
#include "store/image.h"
#include "store/index.h"
#include "store/txn.h"

#include "formats/core/banned.h"

void
prune_opts_init(struct prune_opts *o)
{
    o->all = 0;
    o->keep_storage = -1;
    o->until = -1;
    o->now = time(NULL);
}

/* ---- records ------------------------------------------------------------ */

static int
prune_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
prune_sort(struct strvec *v)
{
    if (v->n > 1)
        qsort(v->v, v->n, sizeof(char *), prune_strcmp);
}

static int
prune_is_hex_name(const char *name)
{
    size_t i;

    for (i = 0; name[i]; i++) {
        if (!isxdigit((unsigned char)name[i]) || isupper((unsigned char)name[i]))
            return 0;
    }
    return i == DIGEST_HEX_LEN;
}

/* Reads what a record references; mirrors the builder's check of a usable record. */
static void
prune_record_read(const struct store *s, struct prune_record *r)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    cleanup_free char *key = xasprintf("sha256:%s", r->hex);
    const cJSON *layer;
    const char *dg, *di;
    struct error e;

    error_init(&e);
    r->usable = 0;
    if (cache_get(s, key, &b, &e) != 0 || !(j = json_parse(buf_cstr(&b), b.len, "record", &e)))
        return;
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "config")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "history")))
        return;
    layer = cJSON_GetObjectItemCaseSensitive(j, "layer");
    if (!layer || cJSON_IsNull(layer)) {
        r->usable = 1;
        return;
    }
    dg = json_string(layer, "digest", 1, "", &e);
    di = json_string(layer, "diff_id", 1, "", &e);
    if (!dg || !di || digest_validate(dg, &e) < 0 || digest_validate(di, &e) < 0)
        return;
    r->blob = xstrdup(dg);
    r->snapshot = xstrdup(digest_hex(di));
    r->usable = blob_exists(s, dg);
}

static int
prune_record_cmp(const void *a, const void *b)
{
    const struct prune_record *x = a, *y = b;

    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    if (x->used.tv_nsec != y->used.tv_nsec)
        return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
    return strcmp(x->hex, y->hex);
}

void
prune_records_free(struct prune_record *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++) {
        free(v[i].blob);
        free(v[i].snapshot);
    }
    free(v);
}

void
prune_records_restore(const struct store *s, const struct prune_record *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        cleanup_free char *rel = xasprintf("cache/%s", v[i].hex);
        struct timespec ts[2] = {v[i].atime, {0, UTIME_OMIT}};
        utimensat(s->root_fd, rel, ts, AT_SYMLINK_NOFOLLOW); /* ENOENT: it was dropped */
    }
}

int
prune_list_records(const struct store *s, struct prune_record **out, size_t *n, struct error *err)
{
    cleanup_closedir DIR *d = NULL;
    struct prune_record *v = NULL;
    size_t len = 0, alloc = 0;
    struct dirent *de;
    int fd = openat(s->root_fd, "cache", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 && errno != ENOENT)
        return error_set(err, errno, "%s/cache", s->root);
    if (fd >= 0 && !(d = fdopendir(fd))) {
        close(fd);
        return error_set(err, errno, "%s/cache", s->root);
    }
    while (d && (de = readdir(d)) != NULL) {
        struct prune_record *r;
        struct stat st;

        if (!prune_is_hex_name(de->d_name))
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue; /* gone meanwhile, or not ours */
        v = xgrow(v, sizeof(*v), len + 1, &alloc);
        r = &v[len++];
        memset(r, 0, sizeof(*r));
        memcpy(r->hex, de->d_name, DIGEST_HEX_LEN + 1); /* checked: 64 hex + NUL */
        /* last use: the later of the write (mtime) and the last hit (atime, cache_touch) */
        r->atime = st.st_atim;
        r->used = st.st_mtim;
        if (st.st_atim.tv_sec > st.st_mtim.tv_sec ||
            (st.st_atim.tv_sec == st.st_mtim.tv_sec && st.st_atim.tv_nsec > st.st_mtim.tv_nsec))
            r->used = st.st_atim;
        r->size = (long long)st.st_size;
        prune_record_read(s, r);
    }
    if (len)
        qsort(v, len, sizeof(*v), prune_record_cmp);
    *out = v;
    *n = len;
    return 0;
}

/* ---- choosing ----------------------------------------------------------- */

static int
prune_candidate(const struct prune_opts *o, const struct prune_record *r)
{
    if (!r->usable)
        return 1; /* can never be a hit */
    if (o->until >= 0 && (long long)(o->now - r->used.tv_sec) < o->until)
        return 0;
    return o->all || o->until >= 0 || o->keep_storage >= 0;
}

/* Does a record other than skip, not yet picked, still reach name? */
static int
prune_still_used(const struct prune_record *recs, size_t n, const char *picked, size_t skip,
                 const char *name, int blob)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *v = blob ? recs[i].blob : recs[i].snapshot;
        if (i != skip && !picked[i] && v && !strcmp(v, name))
            return 1;
    }
    return 0;
}

/* Bytes that go once record i is dropped: its layer blob and snapshot, unless still used. */
static long long
prune_frees(const struct store *s, const struct prune_record *recs, size_t n, const char *picked,
            size_t i, const struct reach *pinned)
{
    const struct prune_record *r = &recs[i];
    long long bytes = r->size;

    if (r->blob && !reach_has(&pinned->blobs, r->blob) &&
        !prune_still_used(recs, n, picked, i, r->blob, 1)) {
        long long b = blob_size(s, r->blob);
        bytes += b > 0 ? b : 0;
    }
    if (r->snapshot && !reach_has(&pinned->snapshots, r->snapshot) &&
        !prune_still_used(recs, n, picked, i, r->snapshot, 0)) {
        cleanup_free char *rel = xasprintf("snapshots/%s", r->snapshot);
        bytes += (long long)fs_du(s->root_fd, rel);
    }
    return bytes;
}

void
prune_pick(const struct store *s, const struct prune_opts *o, const struct prune_record *recs,
           size_t n, const struct reach *pinned, long long total, size_t *pick, size_t *npick,
           long long *after)
{
    cleanup_free char *picked = xcalloc(n ? n : 1, 1);
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        if (!prune_candidate(o, &recs[i]))
            continue;
        /* under the limit: only records that can never hit still go */
        if (o->keep_storage >= 0 && !o->all && total <= o->keep_storage && recs[i].usable)
            continue;
        total -= prune_frees(s, recs, n, picked, i, pinned);
        picked[i] = 1;
        pick[k++] = i;
    }
    *npick = k;
    *after = total;
}

/* ---- deleting ----------------------------------------------------------- */

/* Removes STORE/rel/name; a directory is renamed into tmp/ first (atomic for readers). */
static int
prune_remove(const struct store *s, const char *rel, const char *name, int is_dir, long long *bytes)
{
    cleanup_free char *p = xasprintf("%s/%s/%s", s->root, rel, name);
    cleanup_free char *tmp = NULL;
    struct error err;
    struct stat st;

    if (lstat(p, &st) < 0)
        return -1;
    if (!is_dir) {
        if (unlink(p) < 0)
            return -1;
        *bytes += (long long)st.st_size;
        return 0;
    }
    tmp = txn_tmp_path(s->tmp, "prune");
    if (rename(p, tmp) < 0) {
        txn_unregister(tmp);
        return -1;
    }
    *bytes += (long long)fs_du(AT_FDCWD, tmp);
    error_init(&err);
    fs_rm_rf(AT_FDCWD, tmp, &err); /* what stays is swept from tmp/ later */
    txn_unregister(tmp);
    return 0;
}

static void
prune_sweep_dir(const struct store *s, const char *rel, const struct strvec *keep, int blobs,
                size_t *count, long long *bytes)
{
    cleanup_free char *dir = store_path(s, rel);
    cleanup_closedir DIR *d = opendir(dir);
    struct error err;
    struct dirent *de;

    while (d && (de = readdir(d)) != NULL) {
        cleanup_free char *name = NULL;

        if (de->d_name[0] == '.')
            continue;
        name = blobs ? xasprintf("sha256:%s", de->d_name) : xstrdup(de->d_name);
        if (reach_has(keep, name))
            continue;
        if (prune_remove(s, rel, de->d_name, !blobs, bytes) == 0)
            (*count)++;
    }
    error_init(&err);
    fs_fsync_dir(AT_FDCWD, dir, &err); /* best effort: a lost unlink only delays the freeing */
}

void
prune_sweep(const struct store *s, const struct reach *r, struct prune_result *res)
{
    size_t records = 0;
    long long bytes = 0;

    res->tmp += reach_sweep_tmp(s, 1);
    prune_sweep_dir(s, "blobs/sha256", &r->blobs, 1, &res->blobs, &res->freed);
    prune_sweep_dir(s, "snapshots", &r->snapshots, 0, &res->snapshots, &res->freed);
    /* diff_id records of removed blobs (tiny; not counted) */
    prune_sweep_dir(s, "diffids", &r->blobs, 1, &records, &bytes);
}

/* What image names reach, like reach_collect without the cache records. */
static int
prune_pinned(const struct store *s, struct reach *p, struct error *err)
{
    struct index idx;

    memset(p, 0, sizeof(*p));
    if (index_load(s, &idx, err) < 0)
        return -1;
    reach_names(s, &idx, p);
    index_release(&idx);
    prune_sort(&p->blobs);
    prune_sort(&p->snapshots);
    return 0;
}

/* Bytes under STORE/rel that keep does not reach: the sweep frees them whatever is picked. */
static long long
prune_unreached(const struct store *s, const char *rel, const struct strvec *keep, int blobs)
{
    cleanup_free char *dir = store_path(s, rel);
    cleanup_closedir DIR *d = opendir(dir);
    struct dirent *de;
    long long bytes = 0;

    while (d && (de = readdir(d)) != NULL) {
        cleanup_free char *name = NULL;

        if (de->d_name[0] == '.')
            continue;
        name = blobs ? xasprintf("sha256:%s", de->d_name) : xstrdup(de->d_name);
        if (!reach_has(keep, name))
            bytes += (long long)fs_du(dirfd(d), de->d_name);
    }
    return bytes;
}

struct prune_mount {
    char *name;
    time_t mtime;
};

static int
prune_mount_cmp(const void *a, const void *b)
{
    const struct prune_mount *x = a, *y = b;

    if (x->mtime != y->mtime)
        return x->mtime < y->mtime ? -1 : 1;
    return strcmp(x->name, y->name);
}

/*
 * Drops RUN cache mounts, oldest first: all of them (--all, within --filter
 * until), or while the store is above --keep-storage.
 */
static void
prune_mounts(const struct store *s, const struct prune_opts *o, long long *total,
             struct prune_result *res)
{
    cleanup_free char *dir = store_path(s, "cache-mounts");
    cleanup_closedir DIR *d = opendir(dir);
    struct prune_mount *v = NULL;
    size_t n = 0, alloc = 0, i;
    struct dirent *de;

    while (d && (de = readdir(d)) != NULL) {
        struct stat st;
        if (!prune_is_hex_name(de->d_name) ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        if (o->until >= 0 && (long long)(o->now - st.st_mtime) < o->until)
            continue;
        v = xgrow(v, sizeof(*v), n + 1, &alloc);
        v[n].name = xstrdup(de->d_name);
        v[n++].mtime = st.st_mtime;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), prune_mount_cmp);
    for (i = 0; i < n; i++) {
        long long bytes = 0;
        if (o->all || (o->keep_storage >= 0 && *total > o->keep_storage)) {
            cleanup_free char *lock = xasprintf("%s.lock", v[i].name);
            if (prune_remove(s, "cache-mounts", v[i].name, 1, &bytes) == 0) {
                res->mounts++;
                res->freed += bytes;
                *total -= bytes;
            }
            prune_remove(s, "cache-mounts", lock, 0, &bytes);
        }
        free(v[i].name);
    }
    free(v);
}

/* Problems of image names stop a prune; broken records are only dropped. */
static int
prune_check(const struct reach *r, struct error *err)
{
    size_t i;

    for (i = 0; i < r->problems.n; i++) {
        if (strncmp(r->problems.v[i], "cache record ", 13) != 0)
            return error_set(err, 0, "prune: the store has problems (first: %s); run strata fsck",
                             r->problems.v[i]);
    }
    return 0;
}

/* Drops the picked records of recs (LRU first); each goes before what it references. */
static int
prune_records(struct store *s, const struct prune_opts *o, const struct prune_record *recs,
              size_t n, long long *total, struct prune_result *res, struct error *err)
{
    cleanup_free size_t *pick = NULL;
    struct reach pinned;
    size_t npick = 0, i;
    int rc = 0;

    if (prune_pinned(s, &pinned, err) < 0)
        return -1;
    pick = xcalloc(n ? n : 1, sizeof(*pick));
    prune_pick(s, o, recs, n, &pinned, *total, pick, &npick, total);
    for (i = 0; i < npick && rc == 0; i++) {
        cleanup_free char *key = xasprintf("sha256:%s", recs[pick[i]].hex);
        rc = cache_remove(s, key, err);
        if (rc == 0) {
            res->records++;
            res->freed += recs[pick[i]].size;
        }
    }
    if (rc == 0 && npick) {
        cleanup_free char *dir = store_path(s, "cache");
        rc = fs_fsync_dir(AT_FDCWD, dir, err);
    }
    reach_release(&pinned);
    return rc;
}

/* The store's bytes (blobs, snapshots, cache mounts) that stay whatever records go. */
static long long
prune_total(const struct store *s, const struct reach *r)
{
    return (long long)(fs_du(s->root_fd, "blobs") + fs_du(s->root_fd, "snapshots") +
                       fs_du(s->root_fd, "cache-mounts")) -
           prune_unreached(s, "blobs/sha256", &r->blobs, 1) -
           prune_unreached(s, "snapshots", &r->snapshots, 0);
}

static int
prune_run_locked(struct store *s, const struct prune_opts *o, const struct prune_record *recs,
                 size_t n, struct prune_result *res, struct error *err)
{
    struct reach r;
    long long total = 0;

    if (reach_collect(s, &r, err) < 0)
        return -1;
    if (prune_check(&r, err) < 0) {
        reach_release(&r);
        return -1;
    }
    if (o->keep_storage >= 0)
        total = prune_total(s, &r);
    reach_release(&r);
    if (prune_records(s, o, recs, n, &total, res, err) < 0)
        return -1;
    prune_mounts(s, o, &total, res);
    /* the authoritative set: what names and the remaining records reach */
    if (reach_collect(s, &r, err) < 0)
        return -1;
    if (prune_check(&r, err) < 0) {
        reach_release(&r);
        return -1;
    }
    prune_sweep(s, &r, res);
    reach_release(&r);
    return 0;
}

int
prune_run(struct store *s, const struct prune_opts *o, struct prune_result *res, struct error *err)
{
    struct prune_record *recs = NULL;
    size_t n = 0;
    int rc;

    memset(res, 0, sizeof(*res));
    /* first, before anything reads a record and moves its atime */
    if (prune_list_records(s, &recs, &n, err) < 0)
        return -1;
    rc = prune_run_locked(s, o, recs, n, res, err);
    prune_records_restore(s, recs, n);
    prune_records_free(recs, n);
    return rc;
}

int
prune_gc(struct store *s, struct prune_result *res, struct error *err)
{
    struct prune_record *recs = NULL;
    struct reach r;
    size_t n = 0;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    /* record times first: reading records moves their atime, prune's "last used" */
    if (prune_list_records(s, &recs, &n, err) < 0)
        return -1;
    if (reach_collect(s, &r, err) == 0) {
        if (r.problems.n)
            rc = error_set(err, 0, "gc: the store has %zu problems (first: %s); run strata fsck",
                           r.problems.n, r.problems.v[0]);
        else
            prune_sweep(s, &r, res);
        reach_release(&r);
    } else {
        rc = -1;
    }
    prune_records_restore(s, recs, n);
    prune_records_free(recs, n);
    return rc;
}
