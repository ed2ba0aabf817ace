#ifndef STRATA_BUILDER_CLI_HELP_TEXT_H
#define STRATA_BUILDER_CLI_HELP_TEXT_H

/*
 * What `strata COMMAND --help` prints. The texts are generated at build time
 * from the man pages (man/strata-COMMAND.1.scd, by man/scd2help.awk, into
 * build/gen/help_text.c), so --help and the man page have one source: the
 * usage is the SYNOPSIS, then the first paragraph of DESCRIPTION and the
 * OPTIONS (or COMMANDS) entries.
 */

struct help_text {
    const char *verb;    /* "build"; "" for strata itself; NULL ends the table */
    const char *summary; /* the NAME line's summary */
    const char *options; /* "-f= --file= --no-cache ...": "=" marks an option taking a value */
    const char *text;    /* the whole --help output */
};

extern const struct help_text help_texts[];

#endif
