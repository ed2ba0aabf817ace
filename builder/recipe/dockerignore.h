#ifndef STRATA_BUILDER_RECIPE_DOCKERIGNORE_H
#define STRATA_BUILDER_RECIPE_DOCKERIGNORE_H

/*
 * The .dockerignore matcher, with the rules of moby/patternmatcher and its
 * ignorefile reader (what `docker build` and BuildKit use):
 *
 * - one pattern a line; a line starting with '#' is a comment; blanks around
 *   a pattern are trimmed and empty lines ignored; a UTF-8 BOM is skipped;
 * - patterns are cleaned like Go's filepath.Clean ("./a//b/" is "a/b") and a
 *   leading '/' is dropped: every pattern is relative to the context root;
 * - `*` matches any run of characters except '/', `?` one character except
 *   '/', `[...]` a class (`[^...]` negates), `\x` a literal x, `**` any number
 *   of directories (`**\/` may match none; a trailing `**` matches anything);
 * - a pattern matches a path or any of its parent directories, so excluding a
 *   directory excludes everything below it;
 * - a line starting with '!' re-includes what it matches; the last matching
 *   line decides.
 *
 * Usage: dockerignore_init(), dockerignore_load() (and/or
 * dockerignore_add()), then dockerignore_match() per path, then
 * dockerignore_release().
 */

#include <stddef.h>

#include "formats/core/error.h"

struct dockerignore_pattern {
    char *text;                    /* the cleaned pattern, without the '!' */
    int exclusion;                 /* a "!" line: re-includes */
    int kind;                      /* how it is matched (private to dockerignore.c) */
    struct dockerignore_tok *toks; /* the compiled pattern (private) */
    size_t ntoks;
};

struct dockerignore {
    struct dockerignore_pattern *pats;
    size_t n, alloc;
    int exclusions; /* some pattern starts with '!' */
};

#define DOCKERIGNORE_INIT                                                                          \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Makes d empty. Does not allocate. */
void dockerignore_init(struct dockerignore *d);

/*
 * Appends the patterns of a .dockerignore text (len bytes) to d. file names
 * it in messages. Fails with an input error "file:line:1: ..." on a lone "!"
 * or a malformed pattern (an unclosed '[', a trailing '\'), leaving the
 * patterns of earlier lines in d.
 */
int dockerignore_load(struct dockerignore *d, const char *text, size_t len, const char *file,
                      struct error *err);

/*
 * Appends one pattern as a line of the file would give it (a leading '!'
 * re-includes); used for COPY --exclude. Fails like dockerignore_load,
 * naming the pattern.
 */
int dockerignore_add(struct dockerignore *d, const char *pattern, struct error *err);

/*
 * Returns 1 when relpath (relative to the context root, '/'-separated; it is
 * cleaned first) is excluded, 0 when it is kept. The root itself ("", ".")
 * is never excluded.
 */
int dockerignore_match(const struct dockerignore *d, const char *relpath);

/*
 * Returns 1 when a walker may skip the directory dirpath and everything
 * below it: the directory is excluded and no '!' pattern could re-include
 * something inside. Returns 0 when it must look inside.
 */
int dockerignore_skip_dir(const struct dockerignore *d, const char *dirpath);

/* Frees d's contents and makes it empty. Accepts a zeroed struct. */
void dockerignore_release(struct dockerignore *d);

#endif
