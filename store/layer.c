#include "store/layer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "store/blob.h"
#include "store/diffid.h"
#include "store/snapshot.h"
#include "store/txn.h"

#include "formats/core/banned.h"

static int
layer_capture_tree(struct store *s, const char *dir, const struct tar_write_opts *opts,
                   int keep_empty, struct layer_info *info, struct error *err)
{
    cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct blob_writer w = {NULL, NULL, -1};
    struct tar_write_result res;
    double t0 = log_now_ms(), t1, t2;

    if (dfd < 0)
        return error_set(err, errno, "layer: open %s", dir);
    if (blob_writer_open(s, &w, err) < 0)
        return -1;
    if (tar_write_dir(dfd, opts, w.fd, &res, err) < 0) {
        blob_writer_abort(&w);
        return error_wrap(err, "capture layer");
    }
    memset(info, 0, sizeof(*info));
    info->entries = res.entries;
    info->media_type = compress_layer_media_type(opts->compression);
    if (res.entries == 0 && !keep_empty) {
        blob_writer_abort(&w);
        return 0;
    }
    memcpy(info->digest, res.digest, sizeof(info->digest));
    memcpy(info->diff_id, res.diff_id, sizeof(info->diff_id));
    info->size = (long long)res.size;
    info->tar_size = (long long)res.tar_size;
    t1 = log_now_ms();
    txn_crash_point("layer-before-blob");
    /*
     * Two flushes for the layer instead of four: one syncfs makes the staged
     * blob and every file of the tree durable (both are under STORE/tmp: link
     * and rename into the store need its file system), then both names
     * appear, then a second syncfs makes the names durable. A power cut
     * between the two loses a name, never leaves a name without its content.
     */
    if (syncfs(dfd) < 0) {
        error_set(err, errno, "layer %s: syncfs", res.digest);
        blob_writer_abort(&w);
        return -1;
    }
    if (blob_writer_link(&w, res.digest, err) < 0 ||
        diffid_record(s, res.digest, res.diff_id, err) < 0)
        return -1;
    t2 = log_now_ms();
    txn_crash_point("layer-before-snapshot");
    if (snapshot_link(s, dir, res.diff_id, err) < 0)
        return -1;
    if (syncfs(dfd) < 0)
        return error_set(err, errno, "layer %s: syncfs", res.digest);
    log_debug("layer %s: %llu entries, %lld -> %lld bytes; tar+compress %.0f ms, blob sync %.0f "
              "ms, snapshot %.0f ms",
              res.digest, (unsigned long long)res.entries, info->tar_size, info->size, t1 - t0,
              t2 - t1, log_now_ms() - t2);
    return 0;
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
