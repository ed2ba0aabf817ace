#include "store/layer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "store/blob.h"
#include "store/diffid.h"
#include "store/snapshot.h"
#include "store/txn.h"

#include "formats/core/banned.h"

void
layer_staged_abort(struct layer_staged *st)
{
    blob_writer_abort(&st->w);
    if (st->dfd >= 0)
        close(st->dfd);
    st->dfd = -1;
    free(st->dir);
    st->dir = NULL;
}

static int
layer_stage_tree(struct store *s, const char *dir, const struct tar_write_opts *opts,
                 int keep_empty, struct layer_staged *st, struct error *err)
{
    struct tar_write_result res;
    double t0 = log_now_ms();

    memset(st, 0, sizeof(*st));
    st->w.fd = -1;
    st->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dfd < 0)
        return error_set(err, errno, "layer: open %s", dir);
    st->dir = xstrdup(dir);
    if (blob_writer_open(s, &st->w, err) < 0 ||
        tar_write_dir(st->dfd, opts, st->w.fd, &res, err) < 0) {
        layer_staged_abort(st);
        return error_wrap(err, "capture layer");
    }
    st->info.entries = res.entries;
    st->info.media_type = compress_layer_media_type(opts->compression);
    if (res.entries == 0 && !keep_empty) {
        layer_staged_abort(st);
        return 0;
    }
    memcpy(st->info.digest, res.digest, sizeof(st->info.digest));
    memcpy(st->info.diff_id, res.diff_id, sizeof(st->info.diff_id));
    st->info.size = (long long)res.size;
    st->info.tar_size = (long long)res.tar_size;
    log_debug("layer %s: %llu entries, %lld -> %lld bytes; tar+compress %.0f ms", res.digest,
              (unsigned long long)res.entries, st->info.tar_size, st->info.size, log_now_ms() - t0);
    return 0;
}

int
layer_stage(struct store *s, const char *dir, const struct tar_write_opts *opts,
            struct layer_staged *st, struct error *err)
{
    return layer_stage_tree(s, dir, opts, 1, st, err);
}

int
layer_publish(struct store *s, struct layer_staged *st, struct error *err)
{
    const struct layer_info *info = &st->info;
    double t1 = log_now_ms(), t2;
    int rc = -1;

    txn_crash_point("layer-before-blob");
    /*
     * Two flushes for the layer instead of four: one syncfs makes the staged
     * blob, every file of the tree and whatever else the caller staged (all
     * under STORE/tmp: link and rename into the store need its file system)
     * durable, then the names appear, then a second syncfs makes the names
     * durable. A power cut between the two loses a name, never leaves a
     * name without its content.
     */
    if (syncfs(st->dfd) < 0) {
        error_set(err, errno, "layer %s: syncfs", info->digest);
        goto out;
    }
    if (blob_writer_link(&st->w, info->digest, err) < 0 ||
        diffid_record(s, info->digest, info->diff_id, err) < 0)
        goto out;
    t2 = log_now_ms();
    txn_crash_point("layer-before-snapshot");
    if (snapshot_link(s, st->dir, info->diff_id, err) < 0)
        goto out;
    if (syncfs(st->dfd) < 0) {
        error_set(err, errno, "layer %s: syncfs", info->digest);
        goto out;
    }
    log_debug("layer %s: blob sync %.0f ms, snapshot %.0f ms", info->digest, t2 - t1,
              log_now_ms() - t2);
    rc = 0;
out:
    layer_staged_abort(st); /* the writer is released already on every path but the first */
    return rc;
}

static int
layer_capture_tree(struct store *s, const char *dir, const struct tar_write_opts *opts,
                   int keep_empty, struct layer_info *info, struct error *err)
{
    struct layer_staged st;

    if (layer_stage_tree(s, dir, opts, keep_empty, &st, err) < 0)
        return -1;
    *info = st.info;
    if (!st.dir) /* empty, not kept */
        return 0;
    return layer_publish(s, &st, err);
}

int
layer_capture(struct store *s, const char *dir, const struct tar_write_opts *opts,
              struct layer_info *info, struct error *err)
{
    return layer_capture_tree(s, dir, opts, 0, info, err);
}

int
layer_capture_always(struct store *s, const char *dir, const struct tar_write_opts *opts,
                     struct layer_info *info, struct error *err)
{
    return layer_capture_tree(s, dir, opts, 1, info, err);
}
