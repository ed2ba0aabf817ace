#include "formats/whiteout.h"

#include <string.h>

#include "formats/core/banned.h"

enum whiteout_kind
whiteout_classify(const char *base, const char **target)
{
    const char *t;

    if (strncmp(base, WHITEOUT_PREFIX, WHITEOUT_PREFIX_LEN) != 0)
        return WHITEOUT_NONE;
    if (!strcmp(base, WHITEOUT_OPAQUE))
        return WHITEOUT_OPAQUE_DIR;
    if (!strncmp(base, WHITEOUT_META_PREFIX, strlen(WHITEOUT_META_PREFIX)))
        return WHITEOUT_META;
    t = base + WHITEOUT_PREFIX_LEN;
    /* ".wh..." would delete the parent: a path escape, never a whiteout */
    if (!*t || !strcmp(t, ".") || !strcmp(t, "..") || strchr(t, '/'))
        return WHITEOUT_BAD;
    if (target)
        *target = t;
    return WHITEOUT_FILE;
}

bool
whiteout_is_overlay_xattr(const char *name)
{
    return !strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13) ||
           !strncmp(name, "user.fuseoverlayfs.", 19) ||
           !strncmp(name, "trusted.fuseoverlayfs.", 22) || !strcmp(name, WHITEOUT_XATTR_DEVNODE);
}
