#ifndef STRATA_STORE_BLOB_H
#define STRATA_STORE_BLOB_H

/*
 * Content-addressed blobs under STORE/blobs/sha256/<hex>. A name under
 * blobs/ always matches its content: writes go to tmp, are fsynced, then
 * hard-linked into place (EEXIST means the blob is already there: the write
 * is deduplicated), and the directory is fsynced.
 */

#include <stddef.h>
#include <stdint.h>

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/digest.h"
#include "store/store.h"

struct blob_writer {
    struct store *store;
    char *tmp; /* staging path */
    int fd;    /* write the content here */
};

/* Returns 1 when the blob exists, 0 when not. digest must be valid. */
int blob_exists(const struct store *s, const char *digest);

/* Returns STORE/blobs/sha256/<hex> (malloc'ed). */
char *blob_path(const struct store *s, const char *digest);

/* Returns the blob's size, or -1 when missing. */
long long blob_size(const struct store *s, const char *digest);

/*
 * Stores data and writes its digest to out. Writes nothing when the blob
 * is already present.
 */
int blob_put(struct store *s, const void *data, size_t n, char out[DIGEST_STR_LEN + 1],
             struct error *err);

/* Opens a staging file; the caller writes to w->fd. */
int blob_writer_open(struct store *s, struct blob_writer *w, struct error *err);

/*
 * Makes the staged content the blob `digest` (which the caller computed while
 * writing): fsync, link into blobs/, fsync the directory, remove the staging
 * file. Releases w either way.
 */
int blob_writer_commit(struct blob_writer *w, const char *digest, struct error *err);

/*
 * blob_writer_commit without making anything durable: the caller has synced
 * the staged bytes (syncfs) and syncs the new name after. Releases w.
 */
int blob_writer_link(struct blob_writer *w, const char *digest, struct error *err);

/* Drops the staged content. Accepts a zeroed or committed writer. */
void blob_writer_abort(struct blob_writer *w);

/*
 * Reads a whole blob (at most max bytes, 0 = no limit) into out and checks
 * that it hashes to digest.
 */
int blob_read(const struct store *s, const char *digest, size_t max, struct buf *out,
              struct error *err);

/* Opens a blob for reading; returns the fd or -1. */
int blob_open(const struct store *s, const char *digest, struct error *err);

#endif
