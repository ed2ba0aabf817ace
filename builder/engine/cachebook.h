#ifndef STRATA_BUILDER_ENGINE_CACHEBOOK_H
#define STRATA_BUILDER_ENGINE_CACHEBOOK_H

/*
 * The build's cache bookkeeping:
 * - the step records it used or made, with the stage of each (--cache-to
 *   exports them: mode=min those of the stages the final image is made of,
 *   mode=max all);
 * - the --cache-from sources, whose layers are fetched only when needed, one
 *   fetch at a time per source (never under a build-wide lock);
 * - the keys of the previous build of the same recipe and target, which
 *   --explain-cache compares with this build's at each stage's first miss.
 */

#include <cjson/cJSON.h>
#include <pthread.h>

#include "builder/engine/stage.h"
#include "builder/recipe/parse.h"
#include "formats/core/error.h"
#include "store/cache_transfer.h"
#include "store/store.h"

struct build_opts;

struct cachebook {
    struct store *store;
    const struct build_opts *o;
    pthread_mutex_t lock;                  /* guards used, used_stage, now_keys */
    cJSON *used;                           /* records this build used or made: key -> record */
    cJSON *used_stage;                     /* key -> index of the stage that used it */
    cJSON *last;                           /* the previous build of this recipe: stage -> [keys] */
    cJSON *now_keys;                       /* this build's: stage -> [keys] */
    cJSON *ran;                            /* keys of the steps this build ran: key -> true */
    struct cache_transfer_source *sources; /* --cache-from, opened */
    pthread_mutex_t *source_locks;         /* one per source: its client is not shared */
    size_t nsources;
    int wrote; /* some step ran: the store may have grown */
};

void cachebook_init(struct cachebook *cb, struct store *s, const struct build_opts *o);
void cachebook_release(struct cachebook *cb);

/*
 * Opens every --cache-from source. A source that cannot be opened is a
 * warning (the build goes on without it); a malformed spec is an input error.
 * Also loads the previous build's keys of this recipe.
 */
int cachebook_open(struct cachebook *cb, struct error *err);

/* Remembers that st used (or made) record rec of key. */
void cachebook_note(struct cachebook *cb, const struct stage *st, const char *key,
                    const cJSON *rec);

/* Remembers that the step of key ran in this build (was not a cache hit), for provenance. */
void cachebook_ran(struct cachebook *cb, const char *key);

/* With --explain-cache, says why the first miss of stage st (at in) missed. */
void cachebook_explain_miss(struct cachebook *cb, struct stage *st, const struct parse_instr *in,
                            const char *key);

/*
 * Makes sure layer blob digest is in the store, fetching it from a
 * --cache-from source (checked against digest and diff_id) when it is not.
 */
int cachebook_need_blob(struct cachebook *cb, const char *digest, const char *diff_id,
                        struct error *err);

/*
 * --cache-to: exports the records used by the stages whose in_final[index]
 * is set (mode=min), or by every stage (mode=max), with their layers.
 */
int cachebook_export(struct cachebook *cb, const unsigned char *in_final, struct error *err);

/* Records this build's keys for the next --explain-cache (only when they changed). */
void cachebook_save(struct cachebook *cb);

#endif
