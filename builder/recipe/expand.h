#ifndef STRATA_BUILDER_RECIPE_EXPAND_H
#define STRATA_BUILDER_RECIPE_EXPAND_H

/*
 * Variable expansion and word processing of the Dockerfile reference
 * ("Environment replacement"), as BuildKit's shell lexer does it: $V, ${V},
 * ${V:-w}, ${V-w}, ${V:+w}, ${V+w}, ${V:?msg}, ${V?msg}, ${V#p}, ${V##p},
 * ${V%p}, ${V%%p}, ${V/p/r}, ${V//p/r}; the escape character escapes `$`
 * and quotes; single quotes are literal, double quotes allow expansion;
 * quotes are removed. Unset variables expand to "". Patterns p are shell
 * globs: `*`, `?`, `[...]` (`[!...]` or `[^...]` negates), `\x` is x. As in
 * BuildKit's lexer, an unquoted "<<" keeps the blanks after it in its word
 * ("<< EOF" is one word), which decides what the parser takes for a heredoc.
 *
 * Variables come as a "KEY=VALUE" list; when a key appears more than once
 * the last entry wins; an entry without '=' sets KEY to "".
 */

#include <stddef.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"

/*
 * Expands one word (quotes removed, no splitting) with vars, a "KEY=VALUE"
 * list (NULL means none). Returns a new string in *out. ${V:?msg} of an
 * unset V fails with an input error carrying msg; so do syntax errors (an
 * unclosed quote, a missing '}', a bad substitution).
 */
int expand_word(const char *word, char escape, const struct strvec *vars, char **out,
                struct error *err);

/*
 * Splits text into words on unquoted whitespace, expanding each (quotes
 * removed); used for ENV/LABEL/ARG pairs and COPY/ADD sources. As in
 * BuildKit, whitespace produced by an unquoted expansion splits words too,
 * and a word that ends up empty ("" alone) is dropped. Appends to out.
 */
int expand_words(const char *text, char escape, const struct strvec *vars, struct strvec *out,
                 struct error *err);

/* How expand_process() treats its input (BuildKit's Lex fields). */
struct expand_opts {
    char escape;     /* '\\' or '`' */
    int raw_quotes;  /* keep quote characters in the result */
    int raw_escapes; /* keep escape characters in the result */
    int skip_unset;  /* leave references to unset variables as written */
    int skip_quotes; /* quotes are ordinary characters (SkipProcessQuotes) */
    /* when not NULL, each variable looked up is added ("NAME=") to matched when set,
       to unmatched when not (BuildKit's ProcessWordWithMatches, for the build checks) */
    struct strvec *matched, *unmatched;
};

/*
 * The general form of expand_word/expand_words: processes word under opts,
 * setting *out to the whole result when out is not NULL and appending the
 * split words to words when it is not NULL. With skip_unset and no vars it
 * only checks the syntax of a word. Fails like expand_word.
 */
int expand_process(const char *word, const struct expand_opts *opts, const struct strvec *vars,
                   char **out, struct strvec *words, struct error *err);

/*
 * Shell pattern matching of the whole s (n bytes) against pat (patn bytes):
 * `*` any string, `?` one character, `[...]` a class, `\x` a literal x.
 * Returns 1 on a match.
 */
int expand_glob_match(const char *pat, size_t patn, const char *s, size_t n);

#endif
