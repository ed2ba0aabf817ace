#ifndef STRATA_BUILDER_ENGINE_RUN_MOUNTS_H
#define STRATA_BUILDER_ENGINE_RUN_MOUNTS_H

/*
 * RUN --mount (Dockerfile reference, "RUN --mount"): type=cache (a directory
 * kept in the store across builds, by id, sharing=shared|private|locked),
 * type=bind (from the context or a stage, read-only unless rw, writes then
 * discarded), type=tmpfs, type=secret (a file given with `strata build
 * --secret id=X,src=FILE|env=VAR`, never part of a layer, config or key).
 */

#include "builder/engine/engine.h"
#include "builder/engine/stage.h"
#include "builder/engine/cachekey.h"
#include "builder/sandbox/sandbox.h"

enum run_mounts_type {
    RUNMOUNT_BIND = 0,
    RUNMOUNT_CACHE,
    RUNMOUNT_TMPFS,
    RUNMOUNT_SECRET,
};

struct run_mount {
    enum run_mounts_type type;
    char *target;
    char *source;             /* bind: path in the context or stage; secret: file on the host */
    char *id;                 /* cache/secret id */
    char *sharing;            /* cache: shared, private, locked */
    char *size;               /* tmpfs size option */
    const struct stage *from; /* bind/cache from a stage, or NULL */
    int rw, required;
    long mode, uid, gid;
};

struct run_mounts {
    struct run_mount *m;
    size_t n;
    /* filled by run_mounts_prepare */
    struct sandbox_mount *mounts; /* the mounts to make (an absent optional secret has none) */
    size_t nmounts;
    struct overlay_prep *preps;
    struct strvec paths; /* strings the sandbox mounts point at */
    int *fds;            /* two per mount, -1 when none: the source (a cache dir, a secret's
                            memfd), and the flock held for the run */
};

/*
 * Parses every --mount flag of a RUN (values expanded with vars; relative
 * targets are against workdir), checks it,
 * and adds what the step's result depends on to k: types, targets, ids, and
 * for binds the content they expose. A secret's content is never added.
 */
int run_mounts_parse(struct build *b, struct stage *st, const struct parse_instr *in,
                     const struct strvec *vars, const char *workdir, struct run_mounts *set,
                     struct cachekey *k, struct error *err);

/*
 * Makes the mounts ready for the sandbox: cache directories (opened, never
 * through a symlink) and their locks, overlay views below the step's
 * scratch dir, secrets in sealed memfds. Sources are left for the sandbox
 * to resolve inside their own trees.
 */
int run_mounts_prepare(struct build *b, struct run_mounts *set, const char *scratch,
                       struct error *err);

/* Releases locks and memory. Accepts a zeroed set. */
void run_mounts_release(struct run_mounts *set);

#endif
