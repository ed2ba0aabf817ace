#ifndef STRATA_FORMATS_TAR_WRITE_H
#define STRATA_FORMATS_TAR_WRITE_H

/*
 * Layer capture: a directory tree (an overlay upper dir or any plain tree)
 * becomes a deterministic POSIX pax tar, hashed (diff_id), compressed and
 * hashed again (blob digest) in one streaming pass into an output fd. The
 * tar is never held in memory or in a temp file: a second thread hashes and
 * compresses 1 MiB buffers that the walk fills (4 in flight), so memory is
 * about 4 MiB plus the compressor's, whatever the layer size.
 *
 * Determinism (DESIGN.md "Layer format"):
 * - Order: depth first, parents before children; the root itself is not
 *   emitted. The children of a directory are sorted bytewise (strcmp) by
 *   their emitted base name, so a whiteout `.wh.N` sorts as `.wh.N`, not as
 *   N; the trailing "/" of directories plays no part in the order. The one
 *   exception is `.wh..wh..opq`, which always comes right after its
 *   directory's own entry.
 * - Names: relative, no leading "./"; directories end with "/" (as BuildKit
 *   writes them), e.g. `etc/`, `etc/passwd`. Raw bytes, no charset
 *   conversion.
 * - Headers: ustar (names up to 100 bytes, or split into the 155-byte
 *   prefix); a pax 'x' header named `PaxHeaders/<base name>` (mode 0644,
 *   ids 0, mtime 0) precedes an entry only when needed: xattrs, a path or
 *   link target that does not fit, uid/gid above 07777777, size above
 *   077777777777, or an mtime out of the ustar range. Its records are in key
 *   order (SCHILY.xattr.* by xattr name, gid, linkpath, mtime, path, size,
 *   uid), like Go's archive/tar. Fields that overflow into pax keep a
 *   truncated copy (strings) or 0 (numbers) in ustar.
 * - Numeric uid/gid only, empty uname/gname, no atime/ctime; mtime in whole
 *   seconds (nanoseconds dropped), clamped to clamp_mtime when that is >= 0;
 *   modes incl. setuid/setgid/sticky.
 * - xattrs as SCHILY.xattr.<name> records, sorted by name, except overlayfs'
 *   own (trusted.overlay.*, user.overlay.*). Symlinks' and device nodes'
 *   xattrs are read through /proc/self/fd (none are kept without /proc).
 * - Hard links: regular files with st_nlink > 1 are tracked by (dev, ino);
 *   the first path in walk order is the file, later ones are tar hard links
 *   (size 0) to it.
 * - Symlinks, character and block devices, FIFOs; sockets are skipped. A
 *   directory on another file system is emitted but not descended into.
 * - The archive ends with two zero blocks and is not padded to a record size.
 *
 * Overlay deletions become OCI whiteouts (image-spec layer.md, Whiteouts):
 * a character device 0:0 named N, or an empty regular file N carrying
 * overlayfs' xwhiteout xattr -> an empty regular file `.wh.N` (mode 0,
 * uid/gid 0, mtime of the device, clamped like others); an empty regular
 * file already named `.wh.N` (fuse-overlayfs's whiteout where it may not
 * mknod) -> the same; a directory with xattr trusted.overlay.opaque,
 * user.overlay.opaque or user.fuseoverlayfs.opaque == "y", or holding an
 * empty regular file `.wh..wh..opq` -> the directory entry, then
 * `.wh..wh..opq` (empty regular file, mode 0, uid/gid 0, the directory's
 * mtime) as its first child. fuse-overlayfs's own `.wh..wh..opq` file and
 * `.wh..opq` whiteout device are not copied.
 * A regular empty file with xattr user.strata.devnode (whiteout.h) becomes
 * the device node it names.
 */

#include <stdint.h>

#include "formats/compress.h"
#include "formats/core/error.h"
#include "formats/digest.h"

struct tar_write_opts {
    enum compress_kind compression;
    int level;             /* 0 = default for the kind */
    int threads;           /* 0 = all CPUs (zstd) */
    long long clamp_mtime; /* -1: keep mtimes; else mtimes above it become it */
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
 * sizes. Fails (runtime error, "capture layer: ...") naming the path that
 * could not be read, a file that shrank or changed type while being read,
 * or the write to out_fd that failed; out_fd then holds a partial stream.
 */
int tar_write_dir(int dirfd, const struct tar_write_opts *opts, int out_fd,
                  struct tar_write_result *res, struct error *err);

#endif
