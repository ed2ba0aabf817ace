#ifndef STRATA_BUILDER_PARSE_H
#define STRATA_BUILDER_PARSE_H

/*
 * The recipe (Dockerfile) parser: text -> instructions with file:line:col,
 * following BuildKit's frontend/dockerfile/parser rules (directives, escape
 * character, line continuations, comments, heredocs, JSON vs shell form).
 * It does no variable expansion; builder/expand does that per instruction.
 */

#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"

struct parse_heredoc {
    char *name;    /* delimiter word, without quotes or "-" */
    char *content; /* body, with a trailing newline per line; tabs stripped for <<- */
    int expand;    /* 0 when the delimiter was quoted */
    int strip_tabs;
};

struct parse_instr {
    char *keyword;        /* lower case: "run", "copy", ... */
    char *original;       /* the instruction as written from the keyword on, continuations joined */
    int line, col;        /* 1-based position of the keyword */
    int end_line;         /* last line of the instruction (heredocs included) */
    struct strvec flags;  /* "--from=build", as written */
    struct strvec args;   /* as in BuildKit's dump; ENV/LABEL: key, value, sep triples */
    int json;             /* exec (JSON array) form */
    struct parse_heredoc *heredocs;
    size_t nheredocs;
    struct parse_instr *sub; /* ONBUILD's inner instruction, else NULL */
};

struct parse_recipe {
    char *file;        /* name used in messages */
    char escape;       /* '\\' or '`' */
    char *syntax;      /* "# syntax=" value or NULL */
    struct parse_instr *instrs;
    size_t n;
    struct strvec warnings; /* "Recipe:3:1: message" lines, not fatal */
};

/*
 * Parses text (len bytes, need not be NUL-terminated) named file. On failure
 * sets an input error "file:line:col: message" (followed by the quoted line
 * and a caret line) and leaves out empty.
 */
int parse_recipe(const char *file, const char *text, size_t len, struct parse_recipe *out,
                 struct error *err);

/* Appends BuildKit's dump format (see ../shared/conformance/README.md) to out. */
void parse_dump(const struct parse_recipe *r, struct buf *out);

/* Frees everything r holds. Accepts a zeroed recipe. */
void parse_recipe_release(struct parse_recipe *r);

#endif
