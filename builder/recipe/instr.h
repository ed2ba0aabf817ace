#ifndef STRATA_BUILDER_RECIPE_INSTR_H
#define STRATA_BUILDER_RECIPE_INSTR_H

/*
 * One parsed instruction of a recipe: its kind, its words and heredocs with
 * their positions, and its flags typed (filled by parse_type, parse_flags.c).
 * The parser (parse.h) produces these; the build reads them.
 */

#include <stddef.h>

#include "formats/core/strvec.h"

/* A 1-based position in the recipe (bytes, tabs count as one column). */
struct parse_pos {
    int line, col;
};

struct parse_heredoc {
    char *name;    /* delimiter word, without quotes or "-" */
    char *content; /* body, with its line ends as written; tabs stripped for <<- */
    int expand;    /* 0 when the delimiter was quoted */
    int strip_tabs;
    int fd; /* N of "N<<EOF", else 0 */
};

/* The instructions, in the alphabetical order of BuildKit's command list. */
enum parse_kind {
    INSTR_ADD = 0,
    INSTR_ARG,
    INSTR_CMD,
    INSTR_COPY,
    INSTR_ENTRYPOINT,
    INSTR_ENV,
    INSTR_EXPOSE,
    INSTR_FROM,
    INSTR_HEALTHCHECK,
    INSTR_LABEL,
    INSTR_MAINTAINER,
    INSTR_ONBUILD,
    INSTR_RUN,
    INSTR_SHELL,
    INSTR_STOPSIGNAL,
    INSTR_USER,
    INSTR_VOLUME,
    INSTR_WORKDIR,
    INSTR_NKINDS,
    /* an instruction BuildKit does not know: parse_recipe keeps it as BuildKit's
     * parser does, parse_validate refuses it, so no step ever sees it */
    INSTR_UNKNOWN = INSTR_NKINDS,
};

/*
 * One RUN --mount (Dockerfile reference, "RUN --mount"), split into its
 * fields once, here. Values are as written: the build expands each field on
 * its own when the step runs, as BuildKit does. NULL when a field is absent;
 * ro and rw are "" when given bare.
 */
struct parse_mount {
    char *type, *target, *source, *from, *id, *sharing, *mode, *uid, *gid, *size, *env;
    char *required, *ro, *rw;
    struct parse_pos pos; /* where the flag starts */
};

/*
 * The flags of an instruction, typed (filled by parse_type). Strings point
 * into the instruction's flags and are NULL when the flag is absent ("" for
 * a bare --flag). Each instruction has only its own.
 */
struct parse_flags {
    const char *platform;                                 /* FROM */
    struct parse_mount *mounts;                           /* RUN, in order */
    size_t nmounts;                                       /* RUN */
    const char *network, *security;                       /* RUN */
    const char *from, *chown, *chmod, *checksum, *unpack; /* COPY, ADD */
    int link, parents, keep_git_dir;                      /* COPY, ADD: 1 when true */
    struct strvec exclude;                                /* COPY, ADD --exclude */
    const char *interval, *timeout, *start_period, *start_interval, *retries; /* HEALTHCHECK */
};

struct parse_instr {
    enum parse_kind kind;
    char *keyword;       /* lower case: "run", "copy", ... */
    char *original;      /* the instruction as written from the keyword on, continuations joined */
    int line, col;       /* 1-based position of the keyword */
    int end_line;        /* last line of the instruction (heredocs included) */
    struct strvec flags; /* "--from=build", quotes removed as BuildKit does */
    struct strvec args;  /* as in BuildKit's dump; ENV/LABEL: key, value, sep triples */
    int json;            /* exec (JSON array) form */
    struct parse_heredoc *heredocs; /* RUN/COPY/ADD (and ONBUILD wrapping one) */
    size_t nheredocs;
    struct parse_instr *sub; /* ONBUILD's inner instruction, else NULL */
    /* additions */
    struct parse_pos *flag_pos; /* where each flag starts */
    struct parse_pos *arg_pos;  /* where each argument starts (JSON: its opening quote) */
    size_t *arg_len;            /* byte length of each argument; larger than strlen only
                                 * when a JSON string held \u0000 */
    struct parse_flags f;       /* the flags typed, once parse_type (or parse_validate) ran */
    int empty_continuation;     /* an empty line continued the instruction (a warning) */
};

#endif
