#include "store/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "formats/tar_read.h"
#include "store/blob.h"
#include "store/diffid.h"
#include "store/store.h"
#include "store/txn.h"

#include "formats/core/banned.h"

char *
snapshot_path(const struct store *s, const char *diff_id)
{
    return xasprintf("%s/snapshots/%s", s->root, digest_hex(diff_id));
}

int
snapshot_exists(const struct store *s, const char *diff_id)
{
    cleanup_free char *rel = xasprintf("snapshots/%s", digest_hex(diff_id));

    return fs_exists(s->root_fd, rel);
}

/* Renames dir into snapshots/; 1 when it was renamed, 0 when the layer was there already. */
static int
snapshot_rename(const char *dir, const char *dst, const char *diff_id, struct error *err)
{
    txn_crash_point("snapshot-before-rename");
    if (rename(dir, dst) < 0) {
        if (errno != EEXIST && errno != ENOTEMPTY)
            return error_set(err, errno, "snapshot %s: rename into store", diff_id);
        txn_discard(dir); /* the same layer is already unpacked */
        return 0;
    }
    txn_unregister(dir);
    return 1;
}

int
snapshot_link(struct store *s, const char *dir, const char *diff_id, struct error *err)
{
    cleanup_free char *dst = snapshot_path(s, diff_id);

    return snapshot_rename(dir, dst, diff_id, err) < 0 ? -1 : 0;
}

int
snapshot_commit(struct store *s, const char *dir, const char *diff_id, struct error *err)
{
    cleanup_free char *dst = snapshot_path(s, diff_id);
    cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return error_set(err, errno, "snapshot %s: open %s", diff_id, dir);
    /* one syncfs makes every file of the tree durable before the name appears */
    if (syncfs(fd) < 0)
        return error_set(err, errno, "snapshot %s: syncfs", diff_id);
    rc = snapshot_rename(dir, dst, diff_id, err);
    return rc <= 0 ? rc : fs_fsync_dir(s->root_fd, "snapshots", err);
}

int
snapshot_ensure(struct store *s, const char *digest, const char *diff_id, struct error *err)
{
    cleanup_free char *dir = NULL;
    cleanup_close int in = -1;
    cleanup_close int dfd = -1;
    struct tar_read_result res;
    char what[128];

    /* the snapshot may be another image's: use it only when this blob really is that layer */
    if (snapshot_exists(s, diff_id))
        return diffid_verify(s, digest, diff_id, err);
    in = blob_open(s, digest, err);
    if (in < 0)
        return error_wrap(err, "snapshot %s", diff_id);
    dir = txn_tmp_path(s->tmp, "snap");
    if (mkdir(dir, 0755) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        error_set(err, errno, "snapshot %s: mkdir %s", diff_id, dir);
        txn_discard(dir);
        return -1;
    }
    snprintf(what, sizeof(what), "layer %s", digest);
    if (tar_read_extract(in, dfd, TAR_READ_SNAPSHOT, store_host_root() ? 0 : TAR_READ_USERXATTR,
                         what, &res, err) < 0) {
        txn_discard(dir);
        return -1;
    }
    if (strcmp(res.diff_id, diff_id) != 0 || strcmp(res.digest, digest) != 0) {
        txn_discard(dir);
        return error_input(err, "layer %s: content has diff_id %s, config says %s", digest,
                           res.diff_id, diff_id);
    }
    if (diffid_record(s, digest, diff_id, err) < 0) {
        txn_discard(dir);
        return -1;
    }
    return snapshot_commit(s, dir, diff_id, err);
}
