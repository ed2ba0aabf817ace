#ifndef STRATA_STORE_ATTEST_H
#define STRATA_STORE_ATTEST_H

/*
 * Attestations of the store's images, kept as BuildKit keeps them: a name
 * points at an image index holding the image manifest and an attestation
 * manifest of in-toto Statements about it (the model and how it is read:
 * store/attest_index.h). Attaching writes such an index; finding reads a
 * statement back through the image's name.
 */

#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/digest.h"
#include "store/store.h"

/* One statement to attach: its predicate type and its JSON bytes (borrowed). */
struct attest_statement {
    const char *predicate_type;
    const char *json;
    size_t len;
};

/*
 * Attaches statements to image manifest image: writes them, an attestation
 * manifest and an index holding the image manifest (with the platform of
 * its config) and the attestation manifest; referrers marks the index for
 * push as referrers. Writes the index digest and size to out_digest and
 * out_size. The caller names the index (index_set).
 */
int attest_attach(struct store *s, const char *image, const struct attest_statement *st, size_t n,
                  int referrers, char out_digest[DIGEST_STR_LEN + 1], long long *out_size,
                  struct error *err);

/*
 * Finds the statement of predicate_type about the image named ref (a name
 * of the store pointing at an index) and reads it into out; writes the
 * image manifest digest to image (may be NULL). Returns 0, 1 when the image
 * has no such statement (err untouched), -1 on error (no such image: input
 * error).
 */
int attest_find(const struct store *s, const char *ref, const char *predicate_type, struct buf *out,
                char image[DIGEST_STR_LEN + 1], struct error *err);

#endif
