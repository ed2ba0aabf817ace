#ifndef STRATA_STORE_LAYER_H
#define STRATA_STORE_LAYER_H

/*
 * Turning a directory tree into a stored layer in one streaming pass
 * (DESIGN.md "Data flow"): tree -> sorted pax tar -> sha256 (diff_id) ->
 * compressor -> sha256 (digest) -> blob staging file; then the blob is
 * linked into blobs/ and the tree itself becomes the layer's snapshot (or is
 * dropped when that diff_id is already unpacked: identical layers are stored
 * once). No temporary copy of the tar is made.
 */

#include <stdint.h>

#include "formats/core/error.h"
#include "formats/tar_write.h"
#include "store/blob.h"
#include "store/store.h"

struct layer_info {
    char digest[DIGEST_STR_LEN + 1];
    char diff_id[DIGEST_STR_LEN + 1];
    long long size;         /* compressed bytes */
    long long tar_size;     /* uncompressed bytes */
    const char *media_type; /* static string */
    uint64_t entries;       /* 0: the tree was empty, nothing was stored */
};

/*
 * Captures the tree at dir (a directory under STORE/tmp) as a layer. On
 * success dir has been moved into snapshots/ or removed. An empty tree
 * stores nothing and sets info->entries to 0 (dir is left alone).
 */
int layer_capture(struct store *s, const char *dir, const struct tar_write_opts *opts,
                  struct layer_info *info, struct error *err);

/*
 * layer_capture, except that an empty tree is stored too: a layer whose tar
 * holds only the end-of-archive blocks. BuildKit gives every RUN, COPY and
 * ADD a layer even when it changes nothing, so an image may list that empty
 * layer several times (its blob and snapshot are stored once).
 */
int layer_capture_always(struct store *s, const char *dir, const struct tar_write_opts *opts,
                         struct layer_info *info, struct error *err);

/*
 * layer_capture_always in two halves, for a caller with more to flush with
 * the layer (a step's cache record, see cache_stage): layer_stage writes the
 * blob and fills st->info, nothing durable yet; layer_publish makes the blob,
 * the tree and every file the caller staged under STORE/tmp since durable
 * with one syncfs, then names the blob and the snapshot. layer_staged_abort
 * drops a staged layer that is not to be published.
 */
struct layer_staged {
    struct layer_info info;
    struct blob_writer w;
    char *dir; /* the tree */
    int dfd;   /* open on it: syncfs */
};
int layer_stage(struct store *s, const char *dir, const struct tar_write_opts *opts,
                struct layer_staged *st, struct error *err);
int layer_publish(struct store *s, struct layer_staged *st, struct error *err);
void layer_staged_abort(struct layer_staged *st);

#endif
