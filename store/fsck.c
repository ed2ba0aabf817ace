#include "store/fsck.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/tar_read.h"
#include "formats/tar_write.h"
#include "store/blob.h"
#include "store/diffid.h"
#include "store/store.h"
#include "store/txn.h"

#include "formats/core/banned.h"

/* "digest content" of every blob decompressed so far (content "!" when it failed) */
struct fsck_seen {
    struct strvec v;
};

/* The diff_id blob digest decompresses to, computed once; NULL when it cannot be read. */
static const char *
fsck_content(const struct store *s, struct fsck_seen *seen, const char *digest,
             struct strvec *problems)
{
    char got[DIGEST_STR_LEN + 1];
    struct error err;
    size_t i;

    for (i = 0; i < seen->v.n; i++) {
        if (!strncmp(seen->v.v[i], digest, DIGEST_STR_LEN) && seen->v.v[i][DIGEST_STR_LEN] == ' ')
            return seen->v.v[i][DIGEST_STR_LEN + 1] == '!' ? NULL
                                                           : seen->v.v[i] + DIGEST_STR_LEN + 1;
    }
    error_init(&err);
    if (diffid_compute(s, digest, got, &err) < 0) {
        strvec_pushf(problems, "%s", err.msg);
        strvec_pushf(&seen->v, "%s !", digest);
        return NULL;
    }
    strvec_pushf(&seen->v, "%s %s", digest, got);
    return seen->v.v[seen->v.n - 1] + DIGEST_STR_LEN + 1;
}

/* The records of diffids/: each must say what its blob decompresses to. */
static void
fsck_records(const struct store *s, struct fsck_seen *seen, struct strvec *problems)
{
    cleanup_closedir DIR *d = NULL;
    struct dirent *de;
    int fd = openat(s->root_fd, "diffids", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        char digest[DIGEST_STR_LEN + 1], rec[DIGEST_STR_LEN + 1];
        const char *got;
        struct error err;

        if (de->d_name[0] == '.')
            continue;
        snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
        error_init(&err);
        if (strlen(de->d_name) != DIGEST_HEX_LEN || digest_validate(digest, &err) < 0) {
            strvec_pushf(problems, "diffids/%s: not a digest name", de->d_name);
            continue;
        }
        if (!diffid_lookup(s, digest, rec)) {
            strvec_pushf(problems, "diffids/%s: damaged record", de->d_name);
            continue;
        }
        if (!blob_exists(s, digest))
            continue; /* the blob was removed; gc drops the record */
        got = fsck_content(s, seen, digest, problems);
        if (got && strcmp(got, rec) != 0)
            strvec_pushf(problems, "layer %s: diffids/ records %s, its content hashes to %s",
                         digest, rec, got);
    }
}

void
fsck_layer_pairs(const struct store *s, const struct reach *r, struct strvec *problems,
                 size_t *nlayers)
{
    struct fsck_seen seen = {STRVEC_INIT};
    size_t i;

    for (i = 0; i < r->pairs.n; i++) {
        const char *p = r->pairs.v[i];
        char digest[DIGEST_STR_LEN + 1], claim[DIGEST_STR_LEN + 1];
        const char *who = p + 2 * (DIGEST_STR_LEN + 1), *got;

        if (strlen(p) <= 2 * (DIGEST_STR_LEN + 1))
            continue;
        memcpy(digest, p, DIGEST_STR_LEN);
        digest[DIGEST_STR_LEN] = '\0';
        memcpy(claim, p + DIGEST_STR_LEN + 1, DIGEST_STR_LEN);
        claim[DIGEST_STR_LEN] = '\0';
        if (!blob_exists(s, digest))
            continue; /* reported as missing (images) or a plain cache miss (records) */
        got = fsck_content(s, &seen, digest, problems);
        if (got && strcmp(got, claim) != 0)
            strvec_pushf(problems, "%s: layer %s: uncompressed content hashes to %s, not %s", who,
                         digest, got, claim);
    }
    fsck_records(s, &seen, problems);
    *nlayers = seen.v.n;
    strvec_release(&seen.v);
}

/* The diff_id of the tree at dirfd as tar_write captures it (plain tar, mtimes clamped). */
static int
fsck_tree_digest(int dirfd, long long clamp, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    cleanup_close int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    struct tar_write_opts o;
    struct tar_write_result res;

    if (null < 0)
        return error_set(err, errno, "open /dev/null");
    tar_write_opts_init(&o);
    o.compression = COMPRESS_NONE;
    o.clamp_mtime = clamp;
    if (tar_write_dir(dirfd, &o, null, &res, err) < 0)
        return -1;
    memcpy(out, res.diff_id, DIGEST_STR_LEN + 1);
    return 0;
}

/* A stored blob that decompresses to diff_id (by r's pairs), or NULL. */
static const char *
fsck_blob_of(const struct store *s, const struct reach *r, const char *diff_id)
{
    char rec[DIGEST_STR_LEN + 1];
    size_t i;

    for (i = 0; i < r->pairs.n; i++) {
        const char *p = r->pairs.v[i];
        if (strncmp(p + DIGEST_STR_LEN + 1, diff_id, DIGEST_STR_LEN) != 0)
            continue;
        memcpy(rec, p, DIGEST_STR_LEN);
        rec[DIGEST_STR_LEN] = '\0';
        if (blob_exists(s, rec))
            return p;
    }
    return NULL;
}

/* Unpacks blob digest into a tmp dir and compares both trees, clamped alike. */
static void
fsck_snapshot_against(struct store *s, int snapfd, const char *diff_id, const char *digest,
                      struct strvec *problems)
{
    cleanup_free char *dir = txn_tmp_path(s->tmp, "fsck");
    cleanup_close int in = -1;
    cleanup_close int dfd = -1;
    struct tar_read_result res;
    char a[DIGEST_STR_LEN + 1], b[DIGEST_STR_LEN + 1], what[DIGEST_STR_LEN + 16];
    struct error err;

    error_init(&err);
    snprintf(what, sizeof(what), "layer %s", digest);
    if ((in = blob_open(s, digest, &err)) < 0 || mkdir(dir, 0700) < 0 ||
        (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        tar_read_extract(in, dfd, TAR_READ_SNAPSHOT, store_host_root() ? 0 : TAR_READ_USERXATTR,
                         what, &res, &err) < 0) {
        if (!err.msg[0])
            error_set(&err, errno, "%s", dir);
        strvec_pushf(problems, "snapshot %s: cannot unpack %s to compare: %s", diff_id, digest,
                     err.msg);
    } else if (strcmp(res.diff_id, diff_id) != 0) {
        strvec_pushf(problems, "layer %s: uncompressed content hashes to %s, not %s", digest,
                     res.diff_id, diff_id);
    } else if (fsck_tree_digest(snapfd, res.max_mtime, a, &err) < 0 ||
               fsck_tree_digest(dfd, res.max_mtime, b, &err) < 0) {
        strvec_pushf(problems, "snapshot %s: %s", diff_id, err.msg);
    } else if (strcmp(a, b) != 0) {
        strvec_pushf(problems, "snapshot %s: its files differ from those of layer %s", diff_id,
                     digest);
    }
    txn_discard(dir);
}

static void
fsck_snapshot(struct store *s, const struct reach *r, int snapsfd, const char *hex,
              struct strvec *problems, struct strvec *notes)
{
    cleanup_close int fd = openat(snapsfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char diff_id[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1], digest[DIGEST_STR_LEN + 1];
    const char *pair;
    struct error err;

    error_init(&err);
    snprintf(diff_id, sizeof(diff_id), "sha256:%.64s", hex);
    if (strlen(hex) != DIGEST_HEX_LEN || digest_validate(diff_id, &err) < 0) {
        strvec_pushf(problems, "snapshots/%s: not a digest name", hex);
        return;
    }
    if (fd < 0) {
        strvec_pushf(problems, "snapshot %s: %s", diff_id, strerror(errno));
        return;
    }
    if (fsck_tree_digest(fd, -1, got, &err) < 0) {
        strvec_pushf(problems, "snapshot %s: %s", diff_id, err.msg);
        return;
    }
    if (!strcmp(got, diff_id))
        return; /* captured by strata: the same tar again */
    pair = fsck_blob_of(s, r, diff_id);
    if (!pair) {
        strvec_pushf(notes, "snapshot %s: no layer blob to compare it with", diff_id);
        return;
    }
    memcpy(digest, pair, DIGEST_STR_LEN);
    digest[DIGEST_STR_LEN] = '\0';
    fsck_snapshot_against(s, fd, diff_id, digest, problems);
}

void
fsck_snapshots(struct store *s, const struct reach *r, struct strvec *problems,
               struct strvec *notes, size_t *nsnapshots)
{
    cleanup_closedir DIR *d = NULL;
    struct dirent *de;
    int fd = openat(s->root_fd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    *nsnapshots = 0;
    if (fd < 0 || !(d = fdopendir(fd))) {
        strvec_pushf(problems, "snapshots: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        (*nsnapshots)++;
        fsck_snapshot(s, r, dirfd(d), de->d_name, problems, notes);
    }
}

/* Every file in blobs/sha256 must hash to its name. */
static void
fsck_blobs(const struct store *s, struct strvec *problems, size_t *count)
{
    cleanup_free char *dir = store_path(s, "blobs/sha256");
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d) {
        strvec_pushf(problems, "blobs/sha256: %s", strerror(errno));
        return;
    }
    while ((de = readdir(d)) != NULL) {
        char want[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1];
        cleanup_free char *p = NULL;
        struct error err;

        if (de->d_name[0] == '.')
            continue;
        snprintf(want, sizeof(want), "sha256:%.64s", de->d_name);
        error_init(&err);
        if (strlen(de->d_name) != DIGEST_HEX_LEN || digest_validate(want, &err) < 0) {
            strvec_pushf(problems, "blobs/sha256/%s: not a digest name", de->d_name);
            continue;
        }
        (*count)++;
        p = fs_join(dir, de->d_name);
        if (digest_file(AT_FDCWD, p, got, &err) < 0)
            strvec_pushf(problems, "blob %s: %s", want, err.msg);
        else if (strcmp(got, want) != 0)
            strvec_pushf(problems, "blob %s: content hashes to %s", want, got);
    }
    closedir(d);
}

void
fsck_result_release(struct fsck_result *res)
{
    strvec_release(&res->problems);
    strvec_release(&res->notes);
}

int
fsck_run(struct store *s, int snapshots, struct fsck_result *res, struct error *err)
{
    struct reach r;
    size_t i;

    memset(res, 0, sizeof(*res));
    res->swept = reach_sweep_tmp(s, 0);
    fsck_blobs(s, &res->problems, &res->blobs);
    if (reach_collect(s, &r, err) < 0)
        return -1;
    for (i = 0; i < r.problems.n; i++)
        strvec_push(&res->problems, r.problems.v[i]);
    fsck_layer_pairs(s, &r, &res->problems, &res->layers);
    if (snapshots)
        fsck_snapshots(s, &r, &res->problems, &res->notes, &res->snapshots);
    res->images = r.images;
    res->records = r.records;
    reach_release(&r);
    return 0;
}
