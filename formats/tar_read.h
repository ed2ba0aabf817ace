#ifndef STRATA_FORMATS_TAR_READ_H
#define STRATA_FORMATS_TAR_READ_H

/*
 * Safe extraction of layer tarballs (plain, gzip, zstd, xz: detected from the
 * magic bytes) while hashing them: the digest of the bytes read and the
 * diff_id of the uncompressed tar come out of the same pass. libarchive only
 * parses (tar: ustar, pax, GNU, v7); decompression is ours and every file
 * system change is made with *at() calls, never archive_write_disk. After
 * the end-of-archive blocks the rest of the stream is read too, so both
 * digests cover every byte.
 *
 * Nothing is ever written outside the target directory (image-spec layer.md;
 * the tar CVEs of docker cp, runc and umoci): each entry's parent is reached
 * from dest_dirfd one component at a time with O_NOFOLLOW|O_DIRECTORY, so
 * entries with ".." components or absolute names, entries below a symlink
 * (even one pointing inside the layer), and hard links whose target is
 * outside the tree, missing or not a regular file are rejected with an
 * input error naming the entry. Leading "./", "." and empty components are
 * cleaned; a "./" entry applies to dest_dirfd itself.
 *
 * Entries: missing parents are created (0755); an existing entry is replaced
 * (a directory recursively), except that an existing directory stays when
 * the entry is a directory and takes its owner, mode, xattrs and times.
 * Regular files are created with O_CREAT|O_EXCL|O_NOFOLLOW. Then owner
 * (unless TAR_READ_NO_OWNER), xattrs (overlayfs' own are dropped), mode
 * (setuid etc. kept, set after chown) and times; directories get their mode
 * and times at the end. Sparse files keep their holes. A later entry with the
 * same name wins. Device nodes need privilege: with TAR_READ_NO_OWNER a
 * refused mknod of a device is skipped, as are refused or unsupported
 * xattrs; ENOTSUP xattrs are skipped always.
 */

#include <stdint.h>

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/digest.h"

enum tar_read_mode {
    /*
     * Extract one layer into an empty directory in overlay form, so the
     * directory can be an overlay lower dir: `.wh.N` -> character device 0:0
     * named N (owner, mode and times from the entry); `.wh..wh..opq` -> xattr
     * trusted.overlay.opaque="y" on its directory (user.overlay.opaque when
     * TAR_READ_USERXATTR). `.wh..wh.*` AUFS metadata entries are skipped;
     * `.wh.`, `.wh..` and `.wh...` are rejected as invalid whiteouts.
     */
    TAR_READ_SNAPSHOT = 0,
    /*
     * Apply a layer on top of an existing tree (flattening): `.wh.N` removes N
     * (nothing happens when N or its directory does not exist);
     * `.wh..wh..opq` removes what the directory held from earlier layers,
     * i.e. everything below it that this layer has not itself provided
     * (entries are tracked by path, so the marker may come before or after
     * the layer's own children).
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
    long long max_mtime; /* newest entry mtime (seconds), or 0 */
};

/*
 * Reads the whole stream from in_fd and extracts it below dest_dirfd (any fd
 * of a directory, O_PATH is fine). `what` names the stream in error messages
 * (e.g. "layer sha256:ab12…" or a file name). res is written only on
 * success. Input errors (exit code 2) for bad archives:
 *   `what: entry "../x": path leaves the layer ("..")`, `... absolute path`,
 *   `what: entry "a/x": path goes through a symlink ("a")`,
 *   `what: entry "h": hard link target "t" does not exist`,
 *   `what: not a tar archive`, `what: truncated`, `what: corrupt zstd data: ...`
 * and runtime errors for I/O (`what: entry "x": create` with errno). On
 * failure dest holds whatever was extracted so far; nothing outside it.
 */
int tar_read_extract(int in_fd, int dest_dirfd, enum tar_read_mode mode, int flags,
                     const char *what, struct tar_read_result *res, struct error *err);

/* What tar_read_extract_in() adds for ADD of a local archive into an image. */
struct tar_read_opts {
    int flags;                /* TAR_READ_* */
    int root_fd;              /* the image root dest_dirfd lies in */
    const char *dest_in_root; /* dest_dirfd's path below root_fd ("/opt/app") */
    int set_owner;            /* every entry (and implied parent) gets uid:gid */
    unsigned uid, gid;
};

/*
 * tar_read_extract() for ADD (Dockerfile reference, "ADD"; BuildKit's
 * Untar): an entry's parent path may go through a symlink already in the
 * image (var/run -> /run), which is then resolved inside o->root_fd as if it
 * were "/" (openat2 RESOLVE_IN_ROOT), its target made when missing; the entry
 * itself is still never followed. With o->set_owner every entry (ADD
 * --chown) is owned by o->uid:o->gid instead of the archive's owners.
 */
int tar_read_extract_in(int in_fd, int dest_dirfd, enum tar_read_mode mode,
                        const struct tar_read_opts *o, const char *what,
                        struct tar_read_result *res, struct error *err);

/*
 * Normalizes an archive entry name: drops "." and empty components (so
 * "./a//b/" is "a/b"); absolute names and ".." components are refused
 * (image-spec layer.md: paths are relative to the layer's root). "" means the
 * root. Returns 0, or -1 with *why set to the reason.
 */
int tar_read_clean_path(const char *raw, struct buf *out, const char **why);

#endif
