#ifndef STRATA_STORE_HASHMEMO_H
#define STRATA_STORE_HASHMEMO_H

/*
 * Memoised content hashes of build-context files, keyed like git's index by
 * (device, inode) and trusted only while size, mtime and ctime (in ns) are
 * unchanged. Kept in STORE/cache/hashmemo, rewritten atomically at the end of
 * a build when it changed. Entries whose times are too recent to be safe
 * (a change within the file system's time granularity would go unseen) are
 * not recorded, as git does for "racily clean" entries.
 */

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>

#include "formats/core/error.h"
#include "formats/digest.h"
#include "store/store.h"

/* One remembered file; the memo file holds these as they are in memory. */
struct hashmemo_entry {
    uint64_t dev, ino, size; /* ino 0: an empty slot */
    int64_t mtime_ns, ctime_ns;
    unsigned char sum[DIGEST_BYTES]; /* the content's SHA-256 */
};

struct hashmemo {
    struct hashmemo_entry *slots; /* open addressing by (dev, ino), linear probing */
    size_t n, cap;
    int dirty;
    int64_t now_ns;       /* when this build started hashing */
    pthread_mutex_t lock; /* stages hash in parallel */
};

/* Loads the memo of store s (an empty memo when there is none or it is damaged). */
void hashmemo_load(struct hashmemo *m, const struct store *s);

/* Writes the memo back when it changed. */
int hashmemo_save(struct hashmemo *m, struct store *s, struct error *err);

void hashmemo_release(struct hashmemo *m);

/* Copies the remembered digest of the file described by st into out; 1 hit, 0 miss. */
int hashmemo_get(struct hashmemo *m, const struct stat *st, char out[DIGEST_STR_LEN + 1]);

/* Remembers digest for st (ignored when st's times are too recent). */
void hashmemo_put(struct hashmemo *m, const struct stat *st, const char *digest);

#endif
