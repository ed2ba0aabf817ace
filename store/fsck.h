#ifndef STRATA_STORE_FSCK_H
#define STRATA_STORE_FSCK_H

/*
 * `strata fsck`: every blob hashes to its name; every reference of names and
 * cache records reaches something that exists (store/reach); and the deeper
 * checks:
 *
 * - layer pairs: every layer blob an image or a cache record names is
 *   decompressed and its content hashed; it must be the diff_id they pair it
 *   with, and the one diffids/ records for it (store/diffid.h);
 * - snapshots (--snapshots): each snapshot's tree is written again as a tar
 *   (formats/tar_write, the capture code of builds) and hashed; a snapshot
 *   of a layer strata captured itself gives its diff_id again. Other layers
 *   (pulled, imported, captured with clamped mtimes) are unpacked once more
 *   from a blob that decompresses to that diff_id, and both trees must tar
 *   to the same bytes.
 *
 * Problems are appended to problems as one line each; nothing is repaired.
 */

#include <stddef.h>

#include "formats/core/strvec.h"
#include "store/reach.h"
#include "store/store.h"

struct fsck_result {
    struct strvec problems; /* one line each: what is broken */
    struct strvec notes;    /* what could not be checked, and why */
    size_t blobs, layers, snapshots, images, records;
    size_t swept; /* stale tmp entries removed (their writer is gone) */
};

/*
 * Runs every check on s (locked shared), sweeping stale tmp/ entries first;
 * with snapshots, also every snapshot's tree. Returns 0 with res filled
 * (problems found are in res, not an error), or -1 when the store cannot be
 * read. The caller releases res.
 */
int fsck_run(struct store *s, int snapshots, struct fsck_result *res, struct error *err);

void fsck_result_release(struct fsck_result *res);

/* Checks the pairs of r (from reach_collect) and the diffids/ records. */
void fsck_layer_pairs(const struct store *s, const struct reach *r, struct strvec *problems,
                      size_t *nlayers);

/*
 * Checks every snapshot of the store. Snapshots no blob can vouch for are
 * listed in notes, not problems.
 */
void fsck_snapshots(struct store *s, const struct reach *r, struct strvec *problems,
                    struct strvec *notes, size_t *nsnapshots);

#endif
