#ifndef STRATA_BUILDER_ENGINE_CACHEKEY_H
#define STRATA_BUILDER_ENGINE_CACHEKEY_H

/*
 * Step cache keys (DESIGN.md "Step cache key"):
 *   key = sha256(parent key, instruction after expansion incl. flags, inputs)
 * Every field is added as a labelled, length-prefixed record so that no two
 * different field lists can hash alike ("ab"+"c" vs "a"+"bc").
 */

#include <stddef.h>

#include "formats/core/strvec.h"
#include "formats/digest.h"

/* v2: empty layers for every RUN/COPY/ADD, BuildKit's history texts */
#define CACHEKEY_VERSION "strata-cache-v2"

struct cachekey {
    struct digest_ctx d;
};

/* Starts a key chained to parent (a digest, or "scratch"). */
void cachekey_init(struct cachekey *k, const char *parent);
void cachekey_add(struct cachekey *k, const char *label, const char *value);
void cachekey_add_bytes(struct cachekey *k, const char *label, const void *data, size_t n);
/* Adds every string of v under one label, order preserved. */
void cachekey_add_vec(struct cachekey *k, const char *label, const struct strvec *v);
void cachekey_final(struct cachekey *k, char out[DIGEST_STR_LEN + 1]);

#endif
