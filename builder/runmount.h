#ifndef STRATA_BUILDER_RUNMOUNT_H
#define STRATA_BUILDER_RUNMOUNT_H

/*
 * RUN --mount (Dockerfile reference, "RUN --mount"): type=cache (a directory
 * kept in the store across builds, by id, sharing=shared|private|locked),
 * type=bind (from the context or a stage, read-only unless rw, writes then
 * discarded), type=tmpfs, type=secret (a file given with `strata build
 * --secret id=X,src=FILE|env=VAR`, never part of a layer, config or key).
 */

#include "builder/build_internal.h"
#include "builder/cachekey.h"
#include "builder/sandbox.h"

enum runmount_type {
    RUNMOUNT_BIND = 0,
    RUNMOUNT_CACHE,
    RUNMOUNT_TMPFS,
    RUNMOUNT_SECRET,
};

struct runmount {
    enum runmount_type type;
    char *target;
    char *source;             /* bind: path in the context or stage; secret: file on the host */
    char *id;                 /* cache/secret id */
    char *sharing;            /* cache: shared, private, locked */
    char *size;               /* tmpfs size option */
    const struct stage *from; /* bind/cache from a stage, or NULL */
    int rw, required;
    long mode, uid, gid;
};

struct runmount_set {
    struct runmount *m;
    size_t n;
    /* filled by runmount_prepare */
    struct sandbox_mount *mounts; /* the mounts to make (an absent optional secret has none) */
    size_t nmounts;
    struct overlay_prep *preps;
    struct strvec paths; /* strings the sandbox mounts point at */
    int *locks;          /* flock fds held for the run, -1 when none */
};

/*
 * Parses every --mount flag of a RUN (values expanded with vars), checks it,
 * and adds what the step's result depends on to k: types, targets, ids, and
 * for binds the content they expose. A secret's content is never added.
 */
int runmount_parse(struct build *b, struct stage *st, const struct parse_instr *in,
                   const struct strvec *vars, struct runmount_set *set, struct cachekey *k,
                   struct error *err);

/*
 * Makes the mounts ready for the sandbox below the step's scratch dir
 * (cache directories, locks, overlay views, secret files).
 */
int runmount_prepare(struct build *b, struct runmount_set *set, const char *scratch,
                     struct error *err);

/* Releases locks and memory. Accepts a zeroed set. */
void runmount_release(struct runmount_set *set);

#endif
