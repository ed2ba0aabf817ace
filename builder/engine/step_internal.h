#ifndef STRATA_BUILDER_ENGINE_STEP_INTERNAL_H
#define STRATA_BUILDER_ENGINE_STEP_INTERNAL_H

/* Shared by the step_*.c files: helpers, the cache record, and each kind of step. */

#include <cjson/cJSON.h>

#include "builder/engine/cachekey.h"
#include "builder/engine/engine.h"
#include "builder/engine/scratch.h"
#include "builder/engine/stage.h"
#include "builder/engine/step.h"
#include "builder/recipe/parse.h"
#include "builder/sandbox/netbroker.h"
#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/http.h"
#include "store/layer.h"

/* ---- step.c: helpers ---- */

/* The stage's "config" object (borrowed). */
cJSON *step_cfg(const struct stage *st);
/* The variables for expansion in st: config Env, then ARGs in scope (Env wins). */
void step_vars(const struct stage *st, struct strvec *out);
/* The shell for shell-form commands: config Shell or ["/bin/sh", "-c"]. */
void step_shell(const cJSON *cfg, struct strvec *out);
/* Expands every argument of in into out; errors are prefixed with where. */
int step_words(struct build *b, const struct parse_instr *in, const struct strvec *vars,
               struct strvec *out, const char *where, struct error *err);

/* ---- step_cache.c: cache records ---- */

/* What a step produced, for its cache record. */
struct step_out {
    cJSON *config; /* new "config" object (owned) */
    const char *created_by;
    const struct layer_info *layer;
    cJSON *provenance; /* owned */
    const char *author;
    int no_history; /* the step adds no history entry (ONBUILD, as in BuildKit) */
};

/* 1 when the steps of st run without the cache (--no-cache, or --no-cache-filter naming st). */
int step_cache_off(const struct build *b, const struct stage *st);
/* Returns 1 when the step is a cache hit (then applied to st), 0 on a miss. */
int step_try_cache(struct build *b, struct stage *st, const struct parse_instr *in,
                   const char *key);
/* Writes the cache record of key from o (taking o's owned members) and applies it. */
int step_commit(struct build *b, struct stage *st, const char *key, struct step_out *o,
                struct error *err);
/* A new provenance object for the record of key. */
cJSON *step_provenance(const struct stage *st, const struct parse_instr *in, const char *key);
/*
 * Captures d's upper dir as the step's layer and commits the record (prov
 * and cfg are taken; cfg NULL keeps the stage's config).
 */
int step_capture(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
                 struct scratch *d, const char *created_by, cJSON *prov, cJSON *cfg,
                 struct error *err);

/* ---- step_url.c: ADD <url> ---- */

struct step_url {
    char *url;
    char name[256];                  /* file name in the image */
    char digest[DIGEST_STR_LEN + 1]; /* content: known, kept from a HEAD check, or --checksum */
    long long last_modified;
    int fetched; /* downloaded into the downloads dir */
};

struct step_urls {
    char *dir; /* downloads dir (a registered tmp path, made here; not owned) */
    int dfd;
    const char *checksum; /* --checksum, expanded, or NULL */
    struct step_url *v;
    size_t n;
    struct netbroker nb; /* the step's private network, once a request needs it */
    int nb_started;
    struct http_sockets via;
};

/*
 * Names and content digests of the URLs among words (all sources must be
 * URLs), added to k as the step's sources (their digest into srcd); names
 * get the file names. A URL is downloaded into us->dir only when its digest
 * cannot be known otherwise (no --checksum, and no earlier download whose
 * ETag or Last-Modified a HEAD request confirms).
 */
int step_urls_resolve(struct build *b, const struct parse_instr *in, const struct strvec *words,
                      const char *checksum, struct step_urls *us, struct strvec *names,
                      struct cachekey *k, char srcd[DIGEST_STR_LEN + 1], const char *where,
                      struct error *err);
/* Downloads the URLs resolve did not fetch, checking each against its digest. */
int step_urls_fetch(struct build *b, struct step_urls *us, const char *where, struct error *err);
/* Appends {url, digest, file} for each URL to the JSON array urls (the step's inputs). */
void step_urls_record(const struct step_urls *us, cJSON *urls);
void step_urls_release(struct step_urls *us);

/* ---- one function per kind of step ---- */

int step_run(struct build *b, struct stage *st, const struct parse_instr *in,
             const struct step_runner *run, struct error *err);
int step_copy(struct build *b, struct stage *st, const struct parse_instr *in,
              const struct step_runner *run, struct error *err);
int step_meta(struct build *b, struct stage *st, const struct parse_instr *in,
              const struct step_runner *run, struct error *err);
int step_arg(struct build *b, struct stage *st, const struct parse_instr *in,
             const struct step_runner *run, struct error *err);
/* WORKDIR's mkdir (cfg, taken, is the config after the step). */
int step_workdir(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
                 cJSON *cfg, struct error *err);

#endif
