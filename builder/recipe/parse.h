#ifndef STRATA_BUILDER_RECIPE_PARSE_H
#define STRATA_BUILDER_RECIPE_PARSE_H

/*
 * The recipe (Dockerfile) parser: text -> instructions with file:line:col,
 * following BuildKit's frontend/dockerfile/parser rules (directives, escape
 * character, line continuations, comments, heredocs, JSON vs shell form).
 * It does no variable expansion; builder/expand does that per instruction.
 *
 * The work is split as BuildKit splits it. parse_recipe() accepts exactly
 * what BuildKit's parser accepts, unknown instructions and missing arguments
 * included, so that `strata parse` prints BuildKit's dump of any file.
 * parse_validate() adds what BuildKit's instructions package and build
 * refuse (unknown instructions, argument counts, FROM first, known flags,
 * HEALTHCHECK forms, word syntax); a build runs both.
 */

#include <stddef.h>

#include "builder/recipe/instr.h"
#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"

struct parse_recipe {
    char *file;   /* name used in messages */
    char escape;  /* '\\' or '`' */
    char *syntax; /* "# syntax=" value or NULL */
    struct parse_instr *instrs;
    size_t n;
    struct strvec warnings; /* "Recipe:3:1: message" lines, not fatal */
    /* additions */
    char *check; /* "# check=" value or NULL */
    char *text;  /* a copy of the source, for messages quoting it */
    size_t len;
};

/*
 * Parses text (len bytes, need not be NUL-terminated) named file. On failure
 * sets an input error "file:line:col: message" (followed by the quoted line
 * and a caret line) and leaves out empty. Fails where BuildKit's parser
 * fails: an empty recipe (no instructions), a line longer than 65535 bytes,
 * a repeated or invalid directive, ENV/LABEL without a value, a JSON array
 * holding a non-string, an unterminated heredoc; and on a NUL byte outside
 * comment lines, which BuildKit's parser keeps but no build can use. An
 * unknown instruction is kept with one empty argument, as BuildKit's
 * parseIgnore keeps it.
 */
int parse_recipe(const char *file, const char *text, size_t len, struct parse_recipe *out,
                 struct error *err);

/*
 * The checks a build needs beyond parse_recipe, which BuildKit makes when it
 * turns the tree into instructions (its parser test cases violate them):
 * every instruction is known (with a "did you mean" suggestion); argument
 * counts (FROM, COPY/ADD with fewer than two, ARG, ENV, LABEL, EXPOSE,
 * VOLUME, WORKDIR, USER, STOPSIGNAL, MAINTAINER, SHELL, ONBUILD); FROM is
 * "FROM image [AS name]"; SHELL is in JSON form; an ONBUILD trigger is not
 * ONBUILD, FROM or MAINTAINER; only ARG may come before the first FROM and
 * there must be a FROM; every
 * flag is known for its instruction (FROM --platform; RUN --mount --network
 * --security --device; COPY --from --chown --chmod --link --parents --exclude;
 * ADD those plus --checksum --keep-git-dir --unpack; HEALTHCHECK --interval --timeout
 * --start-period --start-interval --retries), has a value when it needs one
 * and is not repeated (--mount, --device and --exclude may be); HEALTHCHECK is NONE
 * alone or CMD with a command; stage names are valid; exec-form arguments
 * hold no NUL byte; every word that the build expands has valid syntax
 * (quotes closed, ${...} well formed). Returns 0, or -1 with an input error
 * like parse_recipe's.
 */
int parse_validate(struct parse_recipe *r, struct error *err);

/*
 * Types the flags of every instruction of r (ONBUILD's inner ones too) into
 * their struct parse_flags: bool flags, repeated flags, and RUN --mount split
 * into fields by one parser (CSV, as BuildKit reads it). Fails with an input
 * error at the flag's position on an unknown --mount field, a field without
 * a value where one is needed, or a literal value that cannot be right
 * (type, sharing, mode, uid, gid). parse_validate calls it; ONBUILD triggers
 * read back from an image are typed by parse_validate_triggers.
 */
int parse_type(struct parse_recipe *r, struct error *err);

/*
 * parse_validate for ONBUILD triggers a child build runs (r parsed from the
 * base image's OnBuild list): the same checks per instruction, with no FROM,
 * and no ONBUILD, FROM or MAINTAINER among them; then parse_type.
 */
int parse_validate_triggers(struct parse_recipe *r, struct error *err);

/*
 * BuildKit's ParseHeredoc: whether word, as a whole, opens a heredoc
 * (^(\d*)<<(-?)\s*([^<]*)$ with a rest that lexes as one word: "<<EOF",
 * "<<-'EOF'", "3<<EOF", "<< EOF"). Returns 1 and fills hd's name (allocated),
 * expand, strip_tabs and fd; 0 for another word; -1 with an input error when
 * the delimiter cannot be lexed.
 */
int parse_heredoc_word(const char *word, struct parse_heredoc *hd, struct error *err);

/* Appends BuildKit's dump format (see ../shared/conformance/README.md) to out. */
void parse_dump(const struct parse_recipe *r, struct buf *out);

/*
 * The value of flag --name=value of in (after the "="), "" for a bare
 * --name, or NULL when in has no such flag. The first one wins.
 */
const char *parse_flag(const struct parse_instr *in, const char *name);

/* Frees everything r holds. Accepts a zeroed recipe. */
void parse_recipe_release(struct parse_recipe *r);

#endif
