#ifndef STRATA_BUILDER_RECIPE_LEX_H
#define STRATA_BUILDER_RECIPE_LEX_H

/*
 * The recipe lexer: physical lines -> logical lines, as BuildKit's
 * frontend/dockerfile/parser Parse() loop does it. It handles the UTF-8 BOM,
 * CRLF endings, the parser directives at the top (`# syntax=`, `# escape=`,
 * `# check=`), comment and empty lines, line continuations with the escape
 * character (comment and empty lines inside a continuation are skipped) and
 * heredoc bodies. Every byte of a logical line can be mapped back to its
 * physical line and column for messages.
 *
 * It also holds the small lexical helpers the parser shares: Go's
 * unicode.IsSpace, Go's strconv.Quote (the dump format) and a JSON array
 * reader with Go's encoding/json acceptance rules.
 */

#include <stdarg.h>
#include <stddef.h>

#include "formats/core/buf.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"

/* A run of a logical line that comes from one physical line. */
struct lex_seg {
    size_t off; /* offset in the logical line */
    int line;   /* 1-based physical line */
    int col;    /* 1-based byte column of the run's first byte */
};

struct lex_line {
    struct buf text; /* continuations joined, comments and line ends removed */
    struct lex_seg *segs;
    size_t nsegs, alloc;
    int start_line, end_line;
    int empty_continuation; /* an empty line inside the continuation was skipped */
};

struct lex {
    const char *file; /* borrowed: name used in messages */
    const char *src;  /* borrowed: the whole recipe */
    size_t len;
    size_t pos;  /* offset of the next physical line */
    int line;    /* physical lines consumed so far */
    char escape; /* '\\' or '`' */
    int directives_done;
    unsigned seen; /* LEX_SEEN_* bits */
    char *syntax;  /* owned: "# syntax=" value or NULL */
    char *check;   /* owned: "# check=" value or NULL */
};

/* Prepares lx over len bytes of text; lx borrows file and text. */
void lex_init(struct lex *lx, const char *file, const char *text, size_t len);

/* Frees what lx owns (directive values). Accepts a zeroed lex. */
void lex_release(struct lex *lx);

/*
 * Reads the next logical line (an instruction with its continuations) into
 * out, which is reset first. Returns 1 with a line, 0 at the end of the
 * input, -1 with an input error "file:line:col: message" (a duplicate or
 * invalid directive, a NUL byte in an instruction; one in a comment line
 * goes with the comment, as in BuildKit).
 */
int lex_next(struct lex *lx, struct lex_line *out, struct error *err);

/*
 * Reads a heredoc body up to the line equal to name (after leading tabs are
 * removed when strip_tabs). Appends the body lines, line ends included, to
 * content; with strip_tabs the leading tabs of each line are removed.
 * Returns 1 when the terminator was found, 0 at the end of the input, -1
 * with an input error on a body line holding a NUL byte.
 */
int lex_heredoc(struct lex *lx, const char *name, int strip_tabs, struct buf *content,
                struct error *err);

/* Maps offset off of the logical line l to its physical line and column. */
void lex_line_pos(const struct lex_line *l, size_t off, int *line, int *col);

/* Frees l's contents. Accepts a zeroed line. */
void lex_line_release(struct lex_line *l);

/*
 * Sets an input error "file:line:col: message", followed by the source line
 * (from src, len bytes) quoted and a caret under col. Returns -1. Nothing is
 * allocated.
 */
int lex_error_at(struct error *err, const char *file, const char *src, size_t len, int line,
                 int col, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int lex_verror_at(struct error *err, const char *file, const char *src, size_t len, int line,
                  int col, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

/*
 * Go's unicode.IsSpace for the UTF-8 character at s (n bytes available):
 * returns its length when it is white space, else 0.
 */
size_t lex_space_len(const char *s, size_t n);

/* Go's unicode.IsSpace(rune(b)) on a single byte (so 0x85 and 0xA0 count). */
int lex_byte_space(unsigned char b);

/* Decodes one UTF-8 character at s; returns its length (1 for an invalid byte, *cp = -1). */
size_t lex_utf8(const char *s, size_t n, long *cp);

/* Appends s (n bytes) quoted the way Go's strconv.Quote does it. */
void lex_quote(struct buf *out, const char *s, size_t n);

/*
 * A list of words cut from a text, each with its byte length (a JSON string
 * may hold "\u0000", so strlen is not enough) and its offset in the text.
 * A zeroed struct is empty.
 */
struct lex_words {
    struct strvec v;
    size_t *len;
    size_t *off;
    size_t alloc;
};

/* Appends a copy of the n bytes at s (NUL-terminated in the copy), cut at offset off. */
void lex_words_push(struct lex_words *w, const char *s, size_t n, size_t off);
/* Frees w's contents; accepts a zeroed struct. */
void lex_words_release(struct lex_words *w);

/*
 * Reads s (n bytes) as a JSON array of strings with encoding/json's rules
 * (whitespace around it, invalid UTF-8 becomes U+FFFD, \u0000 allowed,
 * nesting deeper than 10000 is a syntax error). Returns 1 and appends each
 * element to out (offsets relative to s); 0 when s is not valid JSON or not
 * an array; -1 when it is valid JSON but an element is not a string. Nothing
 * is appended unless it returns 1.
 */
int lex_json_array(const char *s, size_t n, struct lex_words *out);

#endif
