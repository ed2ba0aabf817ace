#ifndef STRATA_BUILDER_ENGINE_BUILD_INTERNAL_H
#define STRATA_BUILDER_ENGINE_BUILD_INTERNAL_H

/* Shared between builder/build.c (stages) and builder/step.c (instructions). */

#include <cjson/cJSON.h>
#include <pthread.h>

#include "builder/engine/build.h"
#include "builder/engine/context.h"
#include "builder/sandbox/overlay.h"
#include "builder/recipe/parse.h"
#include "store/cache_transfer.h"
#include "store/layer.h"
#include "formats/oci.h"

struct stage {
    size_t index;
    char *name;                     /* AS name (lower case), or NULL */
    const struct parse_instr *from; /* its FROM instruction */
    size_t first, end;              /* instruction range after FROM: [first, end) */
    int needed;
    int done;
    int started;
    struct stage **deps; /* stages this one reads (FROM, COPY --from) */
    size_t ndeps;

    /* state while building */
    cJSON *config;              /* full image config: config, history, rootfs */
    struct oci_manifest layers; /* layer descriptors so far */
    struct strvec diff_ids;
    char key[DIGEST_STR_LEN + 1];  /* cache key of the last step */
    char base[DIGEST_STR_LEN + 1]; /* base manifest digest (provenance), or "" */
    struct strvec args;            /* ARGs in scope, "K=V" */
    cJSON *inputs;                 /* what the current step reads (for --explain-cache) */
    int explained;                 /* this stage's first miss was explained */
    int cmd_set;                   /* CMD set in this stage (ENTRYPOINT keeps it) */
    char *label;                   /* progress prefix: "[build 2/5]" base */
    struct parse_recipe onbuild;   /* the base image's ONBUILD triggers, run after FROM */
    size_t step_no, nsteps;
};

struct build {
    struct store *store;
    const struct build_opts *o;
    struct parse_recipe recipe;
    struct context ctx;
    struct stage *stages;
    size_t nstages;
    struct strvec global_args;             /* ARGs declared before the first FROM, "K=V" */
    struct strvec used_args;               /* --build-arg names some ARG consumed */
    long long now;                         /* creation time for new steps */
    struct hashmemo memo;                  /* context file hashes remembered across builds */
    pthread_mutex_t lock;                  /* guards used_args, memo and the scheduler state */
    pthread_cond_t cond;                   /* a stage finished */
    int running;                           /* stages being built now */
    int failed;                            /* a stage failed: start no more */
    struct error first_err;                /* the first stage failure */
    struct cache_transfer_source *sources; /* --cache-from, opened */
    size_t nsources;
    cJSON *used;       /* records this build used or made: key -> record */
    cJSON *used_stage; /* key -> index of the stage that used it */
    cJSON *last;       /* the previous build of this recipe: stage -> [keys] */
    int wrote;         /* some step ran: the store may have grown */
    cJSON *now_keys;   /* this build's: stage -> [keys] */
};

/* What a step produced, for its cache record (step.c). */
struct step_out {
    cJSON *config; /* new "config" object (owned) */
    const char *created_by;
    const struct layer_info *layer;
    cJSON *provenance; /* owned */
    const char *author;
};

/* step.c: the stage's "config" object; records; provenance; helpers */
cJSON *step_cfg(const struct stage *st);
/* Returns 1 when the step is a cache hit (then applied to st), 0 on a miss. */
int step_try_cache(struct build *b, struct stage *st, const struct parse_instr *in,
                   const char *key);
/* Writes the cache record of key from o (taking o's owned members) and applies it. */
int step_commit(struct build *b, struct stage *st, const char *key, struct step_out *o,
                struct error *err);
/* A new provenance object for the record of key. */
cJSON *step_provenance(const struct stage *st, const struct parse_instr *in, const char *key);
/* The shell for shell-form commands: config Shell or ["/bin/sh", "-c"]. */
void step_shell(const cJSON *cfg, struct strvec *out);
/* Expands every argument of in into out. */
int step_words(struct build *b, const struct parse_instr *in, const struct strvec *vars,
               struct strvec *out, const char *where, struct error *err);

/* step_fs.c: steps that change the file system */
int step_run(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err);
int step_copy(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err);
/*
 * Makes sure every layer of stage st is unpacked (fetching blobs from
 * --cache-from sources when needed) and appends their snapshot paths to out,
 * top-most first: the lower dirs of an overlay of st.
 */
int step_lowers(struct build *b, const struct stage *st, struct strvec *out, struct error *err);
/* A step's scratch dirs: root/{upper,work,merged,links}, and the lower dirs. */
struct step_dir {
    char *root;
    char *upper, *work, *merged, *links;
    struct strvec lowers; /* snapshot paths, top-most first */
};

/* Makes root (taken over) and its four subdirectories; d->lowers starts empty. */
int step_dir_init(struct step_dir *d, char *root, struct error *err);
/* Frees d's strings and lowers; the directories stay. */
void step_dir_forget(struct step_dir *d);
/* The overlay of d: its lowers under its upper, mounted on its merged dir. */
void step_overlay_spec(const struct step_dir *d, struct overlay_spec *o);

/* WORKDIR's mkdir (cfg, owned, is the config after the step). */
int step_workdir(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
                 cJSON *cfg, struct error *err);

/* build.c: cache bookkeeping */
/* Remembers that st used (or made) record rec of key: for --cache-to and --explain-cache. */
void build_note_record(struct build *b, const struct stage *st, const char *key, const cJSON *rec);
/* With --explain-cache, says why the first miss of a stage missed. */
void build_explain_miss(struct build *b, struct stage *st, const struct parse_instr *in,
                        const char *key);
/* Makes sure layer blob digest is in the store, fetching it from a --cache-from source. */
int build_need_blob(struct build *b, const char *digest, const char *diff_id, struct error *err);

/* Runs one instruction of stage st (step.c). */
int step_exec(struct build *b, struct stage *st, const struct parse_instr *in, struct error *err);

/* Returns the value of --name=value in in's flags, "" for a bare --name, or NULL. */
const char *step_flag(const struct parse_instr *in, const char *name);

/* "file:line:col" prefix of an instruction, into out. */
void step_where(const struct build *b, const struct parse_instr *in, char *out, size_t n);

/* Loads image ref from the store as the starting state of st (its layers, config, key). */
int stage_from_image(struct build *b, struct stage *st, const char *ref, struct error *err);
/* Frees what a stage holds. */
void stage_release(struct stage *st);

/* Finds a stage by name or index string, or NULL. */
struct stage *build_find_stage(struct build *b, const char *ref);

/*
 * Declares the ARGs of in into scope (build.c): `ARG k=default` (expanded
 * with vars) or `ARG k`, which takes globals' value; --build-arg wins.
 */
int build_declare_args(struct build *b, const struct parse_instr *in, const struct strvec *vars,
                       const struct strvec *globals, struct strvec *scope, struct error *err);

/* The variables for expansion in st: config Env, then ARGs in scope (Env wins). */
void step_vars(const struct stage *st, struct strvec *out);

#endif
