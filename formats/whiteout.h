#ifndef STRATA_FORMATS_WHITEOUT_H
#define STRATA_FORMATS_WHITEOUT_H

/*
 * Naming rules shared by layer capture and extraction: OCI whiteout files
 * (image-spec layer.md, "Whiteouts") and the overlayfs xattrs that must
 * never travel inside a layer.
 */

#include <stdbool.h>

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_PREFIX_LEN 4
/* Opaque whiteout: the directory it sits in hides what lower layers had there. */
#define WHITEOUT_OPAQUE ".wh..wh..opq"
/* AUFS metadata names (".wh..wh.plnk" etc.): never real entries, skipped on extraction. */
#define WHITEOUT_META_PREFIX ".wh..wh."

#define WHITEOUT_XATTR_OPAQUE "trusted.overlay.opaque"
#define WHITEOUT_USERXATTR_OPAQUE "user.overlay.opaque"
/*
 * overlayfs "xwhiteouts" (Documentation/filesystems/overlayfs.rst, Linux
 * 6.7): a regular file with this xattr (user.overlay.whiteout with
 * userxattr) deletes its name, like a character device 0:0.
 */
#define WHITEOUT_XATTR_XWHITEOUT "trusted.overlay.whiteout"
/* fuse-overlayfs marks an opaque directory with this (and a .wh..wh..opq file in it) */
#define WHITEOUT_FUSE_OPAQUE "user.fuseoverlayfs.opaque"
#define WHITEOUT_USERXATTR_XWHITEOUT "user.overlay.whiteout"

/*
 * A device node that an unprivileged extraction could not create (mknod
 * needs CAP_MKNOD of the host) is stored in a snapshot as an empty regular
 * file with this xattr, value "c MAJOR MINOR" or "b MAJOR MINOR"; layer
 * capture turns it back into the device entry, so a rootless store holds the
 * same layers as root's. Never kept in a layer as an xattr.
 */
#define WHITEOUT_XATTR_DEVNODE "user.strata.devnode"

enum whiteout_kind {
    WHITEOUT_NONE = 0, /* an ordinary name */
    WHITEOUT_FILE,     /* ".wh.N": N is deleted */
    WHITEOUT_OPAQUE_DIR,
    WHITEOUT_META, /* ".wh..wh.*" other than the opaque marker */
    WHITEOUT_BAD,  /* ".wh." with a target of "", "." or ".." */
};

/*
 * Classifies a base name (no '/'). For WHITEOUT_FILE, *target (when target is
 * not NULL) points into base at the deleted name.
 */
enum whiteout_kind whiteout_classify(const char *base, const char **target);

/*
 * True for xattrs of overlayfs itself (trusted.overlay.*, user.overlay.*), of
 * fuse-overlayfs (trusted.fuseoverlayfs.*, user.fuseoverlayfs.*) and
 * strata's own snapshot marker (WHITEOUT_XATTR_DEVNODE): never in a layer.
 */
bool whiteout_is_overlay_xattr(const char *name);

#endif
