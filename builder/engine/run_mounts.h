#ifndef STRATA_BUILDER_ENGINE_RUN_MOUNTS_H
#define STRATA_BUILDER_ENGINE_RUN_MOUNTS_H

/*
 * RUN --mount (Dockerfile reference, "RUN --mount"), with BuildKit's rules
 * (frontend/dockerfile/instructions/commands_runmount.go and
 * dockerfile2llb/convert_runmount.go, convert_secrets.go):
 * - type=cache: a directory kept in the store across builds, by id (the
 *   target by default), sharing=shared|private|locked; from= a stage or
 *   image gives a new cache its first content; source= mounts a
 *   subdirectory of the cache; uid, gid and mode make its root directory
 *   (and, as in BuildKit, a cache of its own); a build whose cache is off
 *   (--no-cache, --no-cache-filter) starts each cache it uses empty.
 * - type=bind: a path of the context, a stage or an image, read-only
 *   unless rw (then its writes are discarded).
 * - type=tmpfs: a fresh tmpfs, size= in bytes or with a unit (binary).
 * - type=secret: a value given with `strata build --secret`, as a file
 *   (target, /run/secrets/<id> by default; mode 0400, uid and gid 0 unless
 *   given) and/or as an environment variable of the RUN (env=NAME), never
 *   part of a layer, config, cache key, record or log.
 * Cache and tmpfs mounts are writable unless ro; bind and secret mounts are
 * read-only unless rw.
 */

#include "builder/engine/cachekey.h"
#include "builder/engine/engine.h"
#include "builder/engine/stage.h"
#include "builder/sandbox/sandbox.h"

enum run_mounts_type {
    RUNMOUNT_BIND = 0,
    RUNMOUNT_CACHE,
    RUNMOUNT_TMPFS,
    RUNMOUNT_SECRET,
};

struct run_mount {
    enum run_mounts_type type;
    char *target;             /* absolute, clean; NULL for a secret given only as env= */
    char *source;             /* bind, cache: path in the context, stage or cache (clean,
                                 relative), or NULL for its root */
    char *id;                 /* cache and secret id (defaults filled in) */
    char *sharing;            /* cache: shared, private, locked */
    char *size;               /* tmpfs: "size=BYTES", or NULL */
    char *env;                /* secret: the variable of the RUN that gets the value */
    const struct stage *from; /* bind/cache from a stage or an image, or NULL */
    struct stage *image;      /* from= an image: its state (owned; from points at it) */
    int readonly, required;
    long mode, uid, gid; /* -1 when not given */
};

struct run_mounts {
    struct run_mount *m;
    size_t n;
    int fresh_caches; /* set by the caller before run_mounts_prepare: this step runs with
                         its cache off, so each cache mount starts empty once per build */
    /* filled by run_mounts_prepare */
    struct sandbox_mount *mounts; /* the mounts to make (an absent optional secret, or a
                                     secret given only as env=, has none) */
    size_t nmounts;
    struct overlay_prep *preps;
    struct strvec paths; /* strings the sandbox mounts point at */
    int *fds;            /* two per mount, -1 when none: the source (a cache dir, a secret's
                            memfd), and the flock held for the run */
    char **cache_names;  /* per mount: the cache's directory name, or NULL */
    struct strvec env;   /* run_mounts_env's result (holds secret values; wiped) */
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
 * through a symlink; made, seeded or emptied as needed) and their locks,
 * overlay views below the step's scratch dir, secrets in sealed memfds
 * (failing with "secret ID: not found" for a required one not given).
 * Sources are left for the sandbox to resolve inside their own trees.
 */
int run_mounts_prepare(struct build *b, struct run_mounts *set, const char *scratch,
                       struct error *err);

/*
 * The environment of the run after run_mounts_prepare: base (a NULL-ended
 * "KEY=VALUE" array) with NAME=VALUE for every secret mount with env=NAME,
 * replacing NAME when base has it; an optional secret that was not given
 * sets NAME to the empty string, as BuildKit does. Returns base itself when
 * no mount has env=; otherwise an array owned by set, whose strings
 * run_mounts_release wipes.
 */
char *const *run_mounts_env(struct run_mounts *set, char *const *base);

/* Releases locks and memory. Accepts a zeroed set. */
void run_mounts_release(struct run_mounts *set);

#endif
