#ifndef STRATA_STORE_DIFFID_H
#define STRATA_STORE_DIFFID_H

/*
 * Which uncompressed content (diff_id) each layer blob has:
 * STORE/diffids/<blob hex> holds "sha256:<diff_id hex>\n", written only
 * after the blob was seen to decompress to it. A blob's digest fixes its
 * bytes, so a record is true forever; gc drops the records of gone blobs.
 *
 * Snapshots are named by diff_id and shared by every image with that layer.
 * An image (a pulled manifest, an imported archive, a --cache-from record)
 * that pairs some blob with the diff_id of another image's layer would get
 * that layer's snapshot, i.e. another image's private files. Every pairing
 * is therefore checked against the record (or, without one, against the
 * blob's content, and then recorded) before a snapshot is used for it.
 */

#include "formats/core/error.h"
#include "formats/digest.h"
#include "store/store.h"

/* Records that blob digest decompresses to diff_id (checked by the caller). */
int diffid_record(struct store *s, const char *digest, const char *diff_id, struct error *err);

/* Copies the recorded diff_id of digest to out: 1 when there is a record, 0 when not. */
int diffid_lookup(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1]);

/*
 * Decompresses blob digest of the store and writes the sha256 of its
 * content to out (no record is read or written).
 */
int diffid_compute(const struct store *s, const char *digest, char out[DIGEST_STR_LEN + 1],
                   struct error *err);

/*
 * Checks that the stored blob digest decompresses to diff_id: by its record,
 * or by decompressing it and recording the result. A mismatch is an input
 * error: `layer sha256:ab…: uncompressed content hashes to sha256:cd…, the
 * image says sha256:ef…`; a missing blob a runtime error.
 */
int diffid_verify(struct store *s, const char *digest, const char *diff_id, struct error *err);

#endif
