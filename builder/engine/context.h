#ifndef STRATA_BUILDER_ENGINE_CONTEXT_H
#define STRATA_BUILDER_ENGINE_CONTEXT_H

/*
 * The build context: the directory COPY and ADD read from, filtered by its
 * ignore file, found as podman finds it: <recipe>.dockerignore or else
 * <recipe>.containerignore beside the recipe, else .containerignore in the
 * context, else .dockerignore.
 * Sources are resolved inside the context: symlinks in a source path are
 * followed as if the context were "/", so nothing outside it is ever read.
 */

#include "builder/engine/cachekey.h"
#include "builder/recipe/dockerignore.h"
#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "store/hashmemo.h"

struct context {
    char *path; /* absolute */
    int fd;     /* O_PATH|O_DIRECTORY of path */
    struct dockerignore ignore;
    int has_ignore;
    struct hashmemo *memo; /* content hashes remembered by stat data, or NULL */
};

/*
 * Reads file path (the recipe, or its .dockerignore) into out, at most max
 * bytes. A path inside the context directory (by name, as the default
 * CONTEXT/Dockerfile is) is opened inside the context as if it were "/",
 * like a COPY source, so a symlink there never makes the build read a host
 * file; a path outside it is the user's own file and is read as it is.
 * Errors name the path; a file that cannot be opened is an input error.
 */
int context_read_file(const char *context_dir, const char *path, size_t max, struct buf *out,
                      struct error *err);

/* Opens dir as the context and loads its ignore file (recipe-specific first). */
int context_open(struct context *c, const char *dir, const char *recipe_path, struct error *err);
void context_release(struct context *c);

/*
 * Cleans a source path of COPY/ADD ("./a//b/" -> "a/b", "/" -> ".") and
 * rejects one that leaves the context. Returns a new string.
 */
char *context_clean(const char *src, struct error *err);

/*
 * Expands a cleaned source (with *, ?, [..] wildcards per component) into the
 * context-relative paths it names, sorted. A pattern that matches nothing is
 * an input error naming it. Ignored paths do not match.
 */
int context_match(struct context *c, const char *src, struct strvec *out, struct error *err);

/* Returns 1 when rel (context-relative) is excluded by the ignore file. */
int context_ignored(const struct context *c, const char *rel);

/*
 * Returns 1 when a walk below the context must leave out entry rel (found in
 * directory dirfd as name): an excluded file, or an excluded directory that
 * no '!' exception reaches into (such a directory is still entered, as
 * BuildKit does, so that "docs/" + "!docs/README.md" keeps the README).
 */
int context_leave_out(const struct context *c, const char *rel, int dirfd, const char *name);

/*
 * Fills maskfd (an empty directory) with a mask of the context for an
 * overlay stacked on the context's root: a whiteout for every path a walk
 * leaves out (context_leave_out), in directories that copy the context's
 * own modes, owners and times. The overlay then shows what COPY would see
 * (BuildKit does not send ignored files at all). Nothing is made when there
 * is no ignore file. Symlinks are never followed.
 */
int context_mask(const struct context *c, int maskfd, struct error *err);

/*
 * Adds the content of rel (a file, or a directory's whole tree minus ignored
 * paths) to k: relative names, types, permission bits, sizes, contents and
 * link targets. Not owners or times: a touched file is still a hit.
 */
int context_hash(struct context *c, const char *rel, struct cachekey *k, struct error *err);

/*
 * Like context_hash, and also records "path": "sha256:..." for regular files
 * in files (a cJSON object), up to CONTEXT_LIST_MAX entries, so a cache miss
 * can name the file that changed. Paths matching exclude (COPY --exclude, in
 * the context or below rel) are left out.
 */
#define CONTEXT_LIST_MAX 1000
int context_hash_list(struct context *c, const char *rel, struct cachekey *k, void *files,
                      const struct dockerignore *exclude, struct error *err);

#endif
