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

/* True for xattrs of overlayfs itself (trusted.overlay.*, user.overlay.*). */
bool whiteout_is_overlay_xattr(const char *name);

#endif
