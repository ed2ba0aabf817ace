#ifndef STRATA_BUILDER_EXPAND_H
#define STRATA_BUILDER_EXPAND_H

/*
 * Variable expansion and word processing of the Dockerfile reference
 * ("Environment replacement"), as BuildKit's shell lexer does it: $V, ${V},
 * ${V:-w}, ${V-w}, ${V:+w}, ${V+w}, ${V:?msg}, ${V?msg}, ${V#p}, ${V##p},
 * ${V%p}, ${V%%p}; the escape character escapes `$` and quotes; single
 * quotes are literal, double quotes allow expansion; quotes are removed.
 */

#include "formats/core/error.h"
#include "formats/core/strvec.h"

/*
 * Expands one word (quotes removed, no splitting) with vars, a "KEY=VALUE"
 * list. Returns a new string in *out. ${V:?msg} of an unset V fails with an
 * input error carrying msg.
 */
int expand_word(const char *word, char escape, const struct strvec *vars, char **out,
                struct error *err);

/*
 * Splits text into words on unquoted whitespace, expanding each (quotes
 * removed); used for ENV/LABEL/ARG pairs and COPY/ADD sources.
 */
int expand_words(const char *text, char escape, const struct strvec *vars, struct strvec *out,
                 struct error *err);

#endif
