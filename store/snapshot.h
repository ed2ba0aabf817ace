#ifndef STRATA_STORE_SNAPSHOT_H
#define STRATA_STORE_SNAPSHOT_H

/*
 * Unpacked layers: STORE/snapshots/<diff_id hex>/ holds the layer's tree in
 * overlay form (whiteouts as 0:0 character devices, opaque directories by
 * xattr), ready to be an overlay lower dir. A snapshot is built under tmp/
 * and renamed into place only after syncfs, so a present name is complete.
 * One snapshot per diff_id, whatever image uses the layer.
 */

#include "formats/core/error.h"
#include "formats/digest.h"
#include "store/store.h"

/* Returns STORE/snapshots/<hex> (malloc'ed). */
char *snapshot_path(const struct store *s, const char *diff_id);

/* Returns 1 when the snapshot exists. */
int snapshot_exists(const struct store *s, const char *diff_id);

/*
 * Makes the tree at dir (under STORE/tmp) the snapshot of diff_id: syncfs,
 * rename, fsync. When the snapshot already exists, dir is removed instead
 * (deduplication). dir is gone afterwards either way on success.
 */
int snapshot_commit(struct store *s, const char *dir, const char *diff_id, struct error *err);

/*
 * snapshot_commit without making anything durable: the caller has synced the
 * tree (syncfs) and syncs the new name after.
 */
int snapshot_link(struct store *s, const char *dir, const char *diff_id, struct error *err);

/*
 * Makes sure the snapshot of a layer exists, extracting the blob `digest`
 * when needed and checking that its uncompressed content hashes to diff_id.
 * An existing snapshot is used only when digest is known to decompress to
 * diff_id (diffid_verify): it may belong to another image.
 */
int snapshot_ensure(struct store *s, const char *digest, const char *diff_id, struct error *err);

#endif
