#ifndef STRATA_FORMATS_TAR_READ_H
#define STRATA_FORMATS_TAR_READ_H

/*
 * Safe extraction of layer tarballs (plain, gzip, zstd, xz: detected from the
 * bytes) while hashing them: the digest of the bytes read and the diff_id of
 * the uncompressed tar come out of the same pass.
 *
 * Nothing is ever written outside the target directory (image-spec layer.md;
 * the tar CVEs of docker cp, runc and umoci): entries with ".." components
 * or absolute names, symlinks that a later entry would be written through,
 * and hard links whose target is outside the tree or not yet extracted are
 * rejected with an input error naming the entry. Leading "./" is cleaned.
 */

#include <stdint.h>

#include "formats/core/error.h"
#include "formats/digest.h"

enum tar_read_mode {
    /*
     * Extract one layer into an empty directory in overlay form, so the
     * directory can be an overlay lower dir: `.wh.N` -> character device 0:0
     * named N; `.wh..wh..opq` -> xattr trusted.overlay.opaque="y" on its
     * directory (user.overlay.opaque when TAR_READ_USERXATTR).
     */
    TAR_READ_SNAPSHOT = 0,
    /*
     * Apply a layer on top of an existing tree (flattening): `.wh.N` removes N,
     * `.wh..wh..opq` removes what the directory held from earlier layers.
     */
    TAR_READ_APPLY,
};

#define TAR_READ_USERXATTR 1 /* overlay xattrs in the user.* namespace */
#define TAR_READ_NO_OWNER 2  /* do not chown (unprivileged extraction) */

struct tar_read_result {
    char digest[DIGEST_STR_LEN + 1];  /* sha256 of the bytes read from in_fd */
    char diff_id[DIGEST_STR_LEN + 1]; /* sha256 of the uncompressed tar */
    uint64_t size;                    /* bytes read from in_fd */
    uint64_t entries;
};

/*
 * Reads the whole stream from in_fd and extracts it below dest_dirfd.
 * `what` names the stream in error messages (e.g. "layer sha256:ab12…" or a
 * file name): `what: entry "../x": path leaves the layer`.
 */
int tar_read_extract(int in_fd, int dest_dirfd, enum tar_read_mode mode, int flags,
                     const char *what, struct tar_read_result *res, struct error *err);

#endif
