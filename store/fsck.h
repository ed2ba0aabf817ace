#ifndef STRATA_STORE_FSCK_H
#define STRATA_STORE_FSCK_H

/*
 * The deeper checks of `strata fsck` (blob hashes and references are
 * checked by the command with store/reach):
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
