#ifndef STRATA_STORE_CACHE_TRANSFER_H
#define STRATA_STORE_CACHE_TRANSFER_H

/*
 * Portable step caches (--cache-to / --cache-from): a set of step cache
 * records plus the layer blobs they name, kept as an OCI artifact so that a
 * directory (an OCI image layout) or any OCI registry can hold it:
 *
 *   manifest  config = the records, media type CACHE_TRANSFER_MEDIA_RECORDS,
 *             {"records": {"<cache key>": <record>, ...}}
 *             layers = the layer blobs the records name
 *
 * Importing reads only the manifest and the records; a layer blob is
 * fetched when the build needs it (lazily), checked against its digest.
 */

#include <cjson/cJSON.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/registry.h"
#include "store/store.h"

#define CACHE_TRANSFER_MEDIA_RECORDS "application/vnd.strata.cache.records.v1+json"
#define CACHE_TRANSFER_DEFAULT_TAG "buildcache"

enum cache_transfer_type {
    CACHE_TRANSFER_LOCAL = 0, /* type=local,dest=DIR / src=DIR */
    CACHE_TRANSFER_REGISTRY,  /* type=registry,ref=HOST/REPO:TAG */
};

struct cache_transfer_spec {
    enum cache_transfer_type type;
    char *path; /* local: the directory */
    char *ref;  /* registry: the reference */
    int max;    /* --cache-to mode=max */
};

/* Parses "type=local,dest=DIR[,mode=min|max]" (to) or "type=local,src=DIR" (from). */
int cache_transfer_parse(const char *text, int to, struct cache_transfer_spec *out,
                         struct error *err);
void cache_transfer_spec_release(struct cache_transfer_spec *spec);

/*
 * Writes records (an object: cache key -> record) and the layer blobs they
 * name, taken from store s, to spec. The blobs the target already has are
 * not copied again.
 */
int cache_transfer_export(struct store *s, const struct cache_transfer_spec *spec,
                          const cJSON *records, const struct registry_opts *o, struct error *err);

struct cache_transfer_source {
    struct cache_transfer_spec spec;
    cJSON *doc; /* {"records": {...}} */
    struct registry_client *client;
    struct registry_ref ref;
    struct strvec sizes; /* "digest=size" of the layers the manifest lists */
};

/*
 * Opens a cache source: reads its manifest and records. A source that does
 * not exist yet (an empty directory, an unknown tag) opens empty, as a cache
 * miss, with a warning; a damaged one is an error.
 */
int cache_transfer_open(struct cache_transfer_source *src, const char *text,
                        const struct registry_opts *o, struct error *err);
void cache_transfer_close(struct cache_transfer_source *src);

/* The record of key in src, or NULL. */
const cJSON *cache_transfer_find(const struct cache_transfer_source *src, const char *key);

/*
 * Copies layer blob digest from src into store s, checking its digest and
 * that its uncompressed content hashes to diff_id. Returns 1 when src does
 * not list it.
 */
int cache_transfer_fetch(struct cache_transfer_source *src, struct store *s, const char *digest,
                         const char *diff_id, struct error *err);

#endif
