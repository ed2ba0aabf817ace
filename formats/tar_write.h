#ifndef STRATA_FORMATS_TAR_WRITE_H
#define STRATA_FORMATS_TAR_WRITE_H

/*
 * Layer capture: a directory tree (an overlay upper dir or any plain tree)
 * becomes a deterministic POSIX pax tar, hashed (diff_id), compressed and
 * hashed again (blob digest) in one streaming pass into an output fd.
 *
 * Determinism (DESIGN.md "Layer format"): entries in depth-first order with
 * each directory's children sorted bytewise, parents before children; numeric
 * uid/gid only, no user/group names; no atime/ctime; mtime in whole seconds,
 * clamped to clamp_mtime when that is >= 0; modes incl. setuid/setgid/sticky;
 * xattrs except the overlay's own (trusted.overlay.*, user.overlay.*);
 * hard links within the tree as tar hard links (first path in walk order is
 * the file, later ones link to it).
 *
 * Overlay deletions become OCI whiteouts (image-spec layer.md, Whiteouts):
 * a character device 0:0 named N -> an empty regular file `.wh.N` (mode 0,
 * mtime clamped like others); a directory with xattr trusted.overlay.opaque
 * or user.overlay.opaque == "y" -> the directory entry, then `.wh..wh..opq`
 * as its first child. The root directory itself is not emitted.
 */

#include <stdint.h>

#include "formats/compress.h"
#include "formats/core/error.h"
#include "formats/digest.h"

struct tar_write_opts {
    enum compress_kind compression;
    int level;              /* 0 = default for the kind */
    int threads;            /* 0 = all CPUs (zstd) */
    long long clamp_mtime;  /* -1: keep mtimes; else mtimes above it become it */
};

struct tar_write_result {
    char diff_id[DIGEST_STR_LEN + 1]; /* sha256 of the uncompressed tar */
    char digest[DIGEST_STR_LEN + 1];  /* sha256 of the bytes written to out_fd */
    uint64_t size;                    /* bytes written to out_fd */
    uint64_t tar_size;                /* uncompressed tar bytes */
    uint64_t entries;                 /* tar entries written */
};

/* Sets opts to zstd, default level, all CPUs, no clamping. */
void tar_write_opts_init(struct tar_write_opts *opts);

/*
 * Writes the tree below dirfd as a layer into out_fd (which must be open for
 * writing; it is not fsynced or closed). Memory use does not grow with file
 * sizes. Fails naming the path that could not be read.
 */
int tar_write_dir(int dirfd, const struct tar_write_opts *opts, int out_fd,
                  struct tar_write_result *res, struct error *err);

#endif
