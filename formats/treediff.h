#ifndef STRATA_FORMATS_TREEDIFF_H
#define STRATA_FORMATS_TREEDIFF_H

/*
 * The final file tree of an image, computed from its layer tars without
 * extracting anything, and the comparison of two such trees (strata diff).
 *
 * A layer is read once into a list of entries (treediff_layer_read), which
 * can then be applied to any number of trees. Applying follows image-spec
 * layer.md: `.wh.N` removes N and everything below it, `.wh..wh..opq`
 * removes what lower layers had below its directory; both act on lower
 * layers only, whatever their position in the tar. An entry replaces an
 * existing one of the same path (a directory replacing a directory keeps its
 * children; anything else replacing a directory drops them). Missing parents
 * are implied as directories 0755 0:0 with mtime 0. A hard link becomes a copy
 * of its target's node (same content), since that is what a runtime sees.
 */

#include <stddef.h>
#include <stdint.h>

#include "formats/core/error.h"
#include "formats/core/hashmap.h"
#include "formats/core/strvec.h"
#include "formats/digest.h"

/* What a path is in a tree. */
struct treediff_node {
    char *path;    /* "/a/b": absolute, no trailing slash, cleaned */
    unsigned type; /* S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO */
    unsigned mode; /* permission bits incl. setuid/setgid/sticky (07777) */
    long long uid, gid;
    long long size;  /* regular files */
    long long mtime; /* seconds since the epoch */
    unsigned rdev_major, rdev_minor;
    char *link;     /* symlink target, else NULL */
    char *hardlink; /* in a layer only: the hard link's target path ("/x"), else NULL */
    char sha256[DIGEST_STR_LEN + 1]; /* regular files: content digest; else "" */
    char *xattrs;                    /* "name=sha256prefix,..." sorted by name, or NULL when none */
    int whiteout; /* in a layer only: 1 `.wh.N` (path is N), 2 opaque (path is the dir) */
    int gone;     /* in a tree: removed (the slot stays for reuse) */
};

/* The entries of one layer tar, in archive order. */
struct treediff_layer {
    struct treediff_node *v;
    size_t n, alloc;
};

/* A file tree: nodes plus a hash index by path. */
struct treediff_tree {
    struct treediff_node *v;
    size_t n, alloc;
    struct hashmap index; /* path -> index + 1 into v */
    size_t live;
};

#define TREEDIFF_LAYER_INIT                                                                        \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }
#define TREEDIFF_TREE_INIT                                                                         \
    {                                                                                              \
        NULL, 0, 0, HASHMAP_INIT, 0                                                                \
    }

/*
 * Reads the layer tar at fd (plain, gzip, zstd or xz, by magic) to its end
 * and appends its entries to layer, hashing every regular file's content.
 * `what` names the stream in errors. Fails with an input error for a damaged
 * or non-tar stream, an entry whose path is absolute or has "..", or an
 * invalid whiteout name (`what: entry "x": ...`); layer then holds what was
 * read so far (release it).
 */
int treediff_layer_read(int fd, const char *what, struct treediff_layer *layer, struct error *err);
void treediff_layer_release(struct treediff_layer *layer);

/* Applies a layer on top of tree (see above). Cannot fail. */
void treediff_tree_apply(struct treediff_tree *tree, const struct treediff_layer *layer);

/* Returns the live node at path ("/a/b"), or NULL. */
const struct treediff_node *treediff_tree_get(const struct treediff_tree *tree, const char *path);

void treediff_tree_release(struct treediff_tree *tree);

/*
 * Compares two trees and appends one line per difference to out, sorted
 * bytewise by path:
 *   "A /path"   only in b           "D /path"   only in a
 *   "M /path (what; what)"  in both, where each `what` is one of
 *     "type file -> symlink", "content 123 B sha256:ab12cd34ef56 -> 130 B sha256:...",
 *     "symlink target x -> y", "mode 0644 -> 0755", "owner 0:0 -> 1000:1000",
 *     "mtime 2023-01-02T03:04:05Z -> ...", "device 1,3 -> 1,5", "xattrs [...] -> [...]"
 * A type change lists only type, mode, owner and mtime. Returns the number
 * of lines appended.
 */
size_t treediff_compare(const struct treediff_tree *a, const struct treediff_tree *b,
                        struct strvec *out);

/* Formats t as "2023-01-02T03:04:05Z" (UTC) into out. */
void treediff_time(long long t, char out[32]);

#endif
