#ifndef STRATA_FORMATS_ARCHIVE_IO_H
#define STRATA_FORMATS_ARCHIVE_IO_H

/*
 * Tar containers of image archives (oci-archive, docker-archive) as opposed
 * to layer tars (tar_read/tar_write): listing and unpacking an archive into
 * a private staging directory, and writing one entry by entry. Also the
 * uncompressed-content hash of a layer (its diff_id).
 */

#include <stddef.h>
#include <stdint.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/digest.h"

/*
 * Reads the tar (plain or compressed by any filter libarchive knows) at
 * in_fd and appends the path of every entry (leading "./" removed) to out.
 * Stops after max_entries entries (0: no limit). Fails on an unreadable or
 * non-tar stream (input error naming what).
 */
int archive_io_list(int in_fd, size_t max_entries, const char *what, struct strvec *out,
                    struct error *err);

/*
 * Unpacks the image archive at in_fd into the empty directory dest_dirfd.
 * Only directories and regular files are created; a symlink or hard link
 * entry (docker save links identical layer.tar files) becomes a hard link to
 * the regular file it resolves to inside the archive. Every other entry type,
 * a path that is absolute or has "..", a link that leaves the archive or
 * points to nothing extracted is an input error naming the entry:
 * `what: entry "../x": path leaves the archive`.
 */
int archive_io_unpack(int in_fd, int dest_dirfd, const char *what, struct error *err);

/* Writes a tar archive to an fd, one entry at a time (ustar/pax, uid 0, mtime 0). */
struct archive_io_writer;

/* Starts a tar stream on fd (not closed by the writer). Aborts on OOM. */
struct archive_io_writer *archive_io_writer_new(int fd);
/* Adds a directory entry (mode 0755). */
int archive_io_add_dir(struct archive_io_writer *w, const char *name, struct error *err);
/* Adds a regular file (mode 0644) from memory. */
int archive_io_add_bytes(struct archive_io_writer *w, const char *name, const void *data, size_t n,
                         struct error *err);
/*
 * Adds a regular file of exactly size bytes read from fd (from its current
 * offset); a shorter file is an error naming name. When hash is not NULL
 * (an initialised digest), every byte read is also fed to it, so the caller
 * can check the content it streamed.
 */
int archive_io_add_fd(struct archive_io_writer *w, const char *name, int fd, uint64_t size,
                      struct digest_ctx *hash, struct error *err);
/* Writes the end-of-archive blocks. */
int archive_io_writer_finish(struct archive_io_writer *w, struct error *err);
/* Frees w (NULL is fine). */
void archive_io_writer_free(struct archive_io_writer *w);

/*
 * Reads fd to its end, decompressing when it starts with a gzip, zstd or xz
 * magic, and writes the sha256 of the uncompressed bytes (a layer's diff_id)
 * to out; the sha256 of the raw bytes goes to raw (may be NULL). Corrupt
 * data is an input error naming what.
 */
int archive_io_diff_id(int fd, const char *what, char out[DIGEST_STR_LEN + 1],
                       char raw[DIGEST_STR_LEN + 1], struct error *err);

#endif
