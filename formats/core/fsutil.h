#ifndef STRATA_FORMATS_CORE_FSUTIL_H
#define STRATA_FORMATS_CORE_FSUTIL_H

/*
 * File-system helpers built on the *at() system calls. Paths given with a
 * directory fd are relative to it; dirfd may be AT_FDCWD.
 */

#include <stddef.h>
#include <fcntl.h>
#include <sys/types.h>

#include "formats/core/buf.h"
#include "formats/core/error.h"

/* Writes all n bytes, retrying on EINTR and short writes. */
int fs_write_all(int fd, const void *data, size_t n, struct error *err);

/* Reads the whole file into out (appending). Fails naming path. */
int fs_read_file(int dirfd, const char *path, struct buf *out, struct error *err);

/*
 * Reads at most max bytes of a file; a larger file is an input error naming
 * path. Use it for JSON documents from untrusted places.
 */
int fs_read_file_max(int dirfd, const char *path, size_t max, struct buf *out, struct error *err);

/*
 * Copies the rest of in to out: copy_file_range (reflinks or in-kernel copy
 * where the file systems allow), else read/write. what names the source in
 * errors.
 */
int fs_copy_fd(int in, int out, const char *what, struct error *err);

/*
 * fs_copy_fd that remembers a refusal: when *no_cfr is set (an earlier copy
 * between the same two file systems was refused) copy_file_range is not
 * tried; it is set when copy_file_range is refused (EXDEV and the like).
 */
int fs_copy_fd_hint(int in, int out, int *no_cfr, const char *what, struct error *err);

/* Reads fd to its end (at most max bytes, 0 = no limit) into out; what names it in errors. */
int fs_read_fd_max(int fd, const char *what, size_t max, struct buf *out, struct error *err);

/* fsyncs the directory at path (relative to dirfd). */
int fs_fsync_dir(int dirfd, const char *path, struct error *err);

/* Creates path and its missing parents with mode; existing directories are fine. */
int fs_mkdir_p(int dirfd, const char *path, mode_t mode, struct error *err);

/*
 * Removes path (relative to dirfd) recursively without following symlinks
 * and without crossing mount points. A missing path is not an error.
 */
int fs_rm_rf(int dirfd, const char *path, struct error *err);

/* Returns 1 when path exists (lstat), 0 when it does not. */
int fs_exists(int dirfd, const char *path);

/* Joins a and b with exactly one '/'; returns a new string. */
char *fs_join(const char *a, const char *b);

/*
 * Writes data to dirfd/path atomically: a tmp file beside it, fsync, rename,
 * fsync of the directory.
 */
int fs_write_atomic(int dirfd, const char *path, const void *data, size_t n, mode_t mode,
                    struct error *err);

/*
 * Opens rel below root as if root were "/" (openat2 RESOLVE_IN_ROOT, no
 * magic links): symlinks, "..", and absolute names can never leave root.
 * flags are open(2) flags (O_CLOEXEC is added). Returns the fd or -1.
 */
int fs_open_in_root(int root, const char *rel, int flags, struct error *err);

/* Called for each directory fs_mkdir_in_root() creates: name in dirfd. */
typedef int fs_made_fn(int dirfd, const char *name, void *arg, struct error *err);

/*
 * Opens directory path below root as fs_open_in_root() would, first
 * creating what is missing: each missing directory is made with mode (and
 * reported to made, when given), and a symlink whose target does not exist
 * yet is followed by making that target, resolved inside root as the link
 * would be (`COPY x /link/` with link -> ../tmp/dir makes root/tmp/dir).
 * Symlinks are followed at most 40 times (ELOOP). flags are open(2) flags
 * for the returned fd (O_DIRECTORY is added). Returns the fd or -1.
 */
int fs_mkdir_in_root(int root, const char *path, mode_t mode, int flags, fs_made_fn *made,
                     void *arg, struct error *err);

/*
 * Hints that the subdirectories of the directory fd are unrelated trees
 * (FS_TOPDIR_FL, chattr +T): ext2/3/4's Orlov allocator then places each new
 * subdirectory, and the files below it, in a block group of its own rather
 * than beside its siblings. Best effort: file systems without the flag, or a
 * caller not allowed to set it, leave things as they were.
 */
void fs_hint_topdir(int fd);

/* Returns the total apparent size in bytes of regular files below path. */
unsigned long long fs_du(int dirfd, const char *path);

#endif
