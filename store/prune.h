#ifndef STRATA_STORE_PRUNE_H
#define STRATA_STORE_PRUNE_H

/*
 * Freeing space in the store (strata prune, strata gc).
 *
 * Step-cache records (STORE/cache/<64 hex>) are dropped least recently used
 * first. A record's last use is the later of its file's mtime (written) and
 * atime (cache_touch sets it on every cache hit). Since relatime also moves
 * atime when a record is merely read, prune takes the times before it reads
 * anything and puts the atimes of the records it keeps back afterwards. Then everything that
 * neither an image name (index.json) nor a remaining record reaches (reach_collect) is deleted:
 * blobs, snapshots and stale tmp/ entries. RUN cache mounts
 * (STORE/cache-mounts/<hex>/ with their <hex>.lock) go with --all, or oldest
 * mtime first while the store is still above --keep-storage.
 *
 * Callers hold the store's exclusive lock, so no build reads what goes.
 * Every single removal leaves a store that fsck passes: a record goes before
 * what it references (a record whose blob is gone is only a miss), and a
 * snapshot is first renamed into tmp/ and only then removed, so a crash
 * never leaves a half-deleted tree under a snapshot's name.
 */

#include <stddef.h>
#include <time.h>

#include "formats/core/error.h"
#include "store/reach.h"
#include "store/store.h"

/* One step-cache record, as prune_list_records finds it. */
struct prune_record {
    char hex[65];          /* file name: the cache key's hex */
    struct timespec used;  /* later of mtime and atime: the last write or cache hit */
    struct timespec atime; /* as found, to undo atime updates of our own reads */
    long long size;        /* the record file's bytes */
    char *blob;            /* "sha256:<hex>" of its layer blob, or NULL (no layer or unreadable) */
    char *snapshot;        /* diff_id hex of its layer, or NULL */
    int usable;            /* 0 when the record can never be a hit (bad JSON, layer blob gone) */
};

struct prune_opts {
    int all;                /* every record is a candidate; cache mounts go too */
    long long keep_storage; /* bytes; -1: no limit */
    long long until;        /* seconds; records unused for at least this long; -1: any age */
    time_t now;             /* "now" for until (tests pass a fixed time) */
};

struct prune_result {
    size_t records, blobs, snapshots, mounts, tmp;
    long long freed; /* bytes of files removed */
};

/* Sets o to: no flags (only unusable records go), no size limit, any age, now. */
void prune_opts_init(struct prune_opts *o);

/*
 * Lists the records in STORE/cache (64-hex names only), least recently used
 * first (oldest mtime, ties by name). *out is malloc'ed; free it with
 * prune_records_free. A missing cache dir gives an empty list.
 */
int prune_list_records(const struct store *s, struct prune_record **out, size_t *n,
                       struct error *err);
void prune_records_free(struct prune_record *v, size_t n);

/*
 * Sets the atime of each record in v that still exists back to v[i].atime
 * (mtime untouched): reading records under relatime moves their atime,
 * which would make them look used. Best effort.
 */
void prune_records_restore(const struct store *s, const struct prune_record *v, size_t n);

/*
 * Picks the records to drop, in order, from recs (LRU first, as listed) and
 * writes their indices to pick (room for n) and the count to *npick.
 * pinned holds what image names reach (sorted blobs and snapshot hexes, as in
 * struct reach); sizes of what a record frees come from the store. total is the
 * store's size with unreachable data already subtracted; *after gets the
 * estimated size once the picked records and what only they reached are gone.
 */
void prune_pick(const struct store *s, const struct prune_opts *o, const struct prune_record *recs,
                size_t n, const struct reach *pinned, long long total, size_t *pick, size_t *npick,
                long long *after);

/*
 * Deletes blobs and snapshots that r (a reach_collect result) does not reach,
 * and every tmp/ entry. Adds counts and bytes to res. Used by gc and prune.
 */
void prune_sweep(const struct store *s, const struct reach *r, struct prune_result *res);

/*
 * Runs a prune: drops the records o selects, removes cache mounts when o
 * asks, then sweeps. Fails without deleting anything when an image name is
 * broken (the sweep could lose data a damaged manifest still needs; run
 * fsck) and on I/O errors.
 */
/*
 * strata gc: removes every blob and snapshot that no name and no cache record
 * reaches, and what interrupted writes left in tmp/; cache records and cache
 * mounts are kept. s must be locked exclusively. Refuses to delete anything
 * when the store has problems (fsck lists them). Leaves record access times
 * (prune's "last used") as they were.
 */
int prune_gc(struct store *s, struct prune_result *res, struct error *err);

int prune_run(struct store *s, const struct prune_opts *o, struct prune_result *res,
              struct error *err);

#endif
