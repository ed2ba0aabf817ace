#ifndef STRATA_FORMATS_DIGEST_H
#define STRATA_FORMATS_DIGEST_H

/*
 * Streaming SHA-256 (OpenSSL EVP) and the "sha256:<hex>" digest strings of
 * image-spec descriptor.md, "Digests".
 */

#include <stddef.h>

#include "formats/core/error.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */
#define DIGEST_BYTES 32                     /* a SHA-256 sum */

struct digest_ctx {
    void *evp; /* EVP_MD_CTX */
};

/* Starts a hash. Aborts on OOM only. */
void digest_init(struct digest_ctx *d);
void digest_update(struct digest_ctx *d, const void *data, size_t n);
/* Writes "sha256:<hex>" (DIGEST_STR_LEN + 1 bytes) into out and releases d. */
void digest_final(struct digest_ctx *d, char out[DIGEST_STR_LEN + 1]);
/* Releases d without producing a digest. Accepts a zeroed ctx. */
void digest_release(struct digest_ctx *d);

/* One-shot: digest of data into out. */
void digest_bytes(const void *data, size_t n, char out[DIGEST_STR_LEN + 1]);

/* Hashes what is left of fd (read to its end). */
int digest_fd(int fd, char out[DIGEST_STR_LEN + 1], struct error *err);

/* Hashes a whole file. */
int digest_file(int dirfd, const char *path, char out[DIGEST_STR_LEN + 1], struct error *err);

/*
 * Checks that s is "sha256:" followed by exactly 64 lower-case hex digits.
 * Returns 0 or an input error naming s.
 */
int digest_validate(const char *s, struct error *err);

/* Writes "sha256:<hex>" of the sum's bytes into out. */
void digest_from_bytes(const unsigned char sum[DIGEST_BYTES], char out[DIGEST_STR_LEN + 1]);

/* The bytes of a "sha256:<hex>" digest (lower-case hex); -1 when digest is not one. */
int digest_to_bytes(const char *digest, unsigned char sum[DIGEST_BYTES]);

/* Returns the hex part of a valid digest string. */
const char *digest_hex(const char *digest);

#endif
