#ifndef STRATA_STORE_STORE_H
#define STRATA_STORE_STORE_H

/*
 * The local store (DESIGN.md "Store"): an OCI image layout plus unpacked
 * layer snapshots, the step cache and a tmp dir on the same file system.
 *
 *   oci-layout, index.json   image-spec image-layout.md; tags are index entries
 *   blobs/sha256/<hex>       content-addressed, immutable
 *   snapshots/<hex>/         unpacked layer (overlay form), named by diff_id hex
 *   diffids/<hex>            checked diff_id of layer blob <hex> (store/diffid.h)
 *   cache/<hex>              step cache records, named by cache key hex
 *   tmp/                     staging for every write
 *   lock                     flock: shared for builds, exclusive for gc
 */

#include <stddef.h>

#include "formats/core/error.h"

enum store_lock {
    STORE_LOCK_SHARED = 0,
    STORE_LOCK_EXCLUSIVE,
};

struct store {
    char *root;  /* absolute path */
    char *tmp;   /* root/tmp */
    int root_fd; /* O_DIRECTORY fd of root */
    int lock_fd;
};

/*
 * Returns the default store root for this user (malloc'ed): /var/lib/strata
 * for root of the host, $XDG_DATA_HOME/strata or ~/.local/share/strata for
 * anyone else. "Root" means uid 0 of the initial user namespace, the real
 * one: root of a user namespace (`unshare -r`, a rootless strata, a rootless
 * container) is a plain user of the host and gets the private store.
 */
char *store_default_root(void);

/*
 * Returns 1 when the process is uid 0 of the initial user namespace, which
 * may use trusted.* xattrs (overlayfs' own metadata); 0 otherwise, when
 * snapshots carry their overlay markers in user.overlay.* instead.
 */
int store_host_root(void);

/*
 * Opens (creating when missing) the store at root (NULL: the default) and
 * takes its lock in the given mode, waiting for other holders.
 */
int store_open(struct store *s, const char *root, enum store_lock lock, struct error *err);

/*
 * Opens the store with its exclusive lock only if no one else holds the
 * lock now. Returns 0, 1 when it is busy (s untouched), -1 on error.
 */
int store_open_try(struct store *s, const char *root, struct error *err);

/* Unlocks and frees s. Accepts a zeroed store. */
void store_release(struct store *s);

/* Returns root/rel (malloc'ed). */
char *store_path(const struct store *s, const char *rel);

/*
 * Writes a small file at root/rel atomically: staged under tmp/ (registered
 * for cleanup), fsynced, renamed over rel, directory fsynced.
 */
int store_write_file(struct store *s, const char *rel, const void *data, size_t n,
                     struct error *err);

/*
 * store_write_file for a cache's file: the content is durable before the
 * name appears, but the directory is not fsynced, so a power cut may lose
 * the name (a cache miss), never leave it with torn content.
 */
int store_write_cache_file(struct store *s, const char *rel, const void *data, size_t n,
                           struct error *err);

/*
 * store_write_cache_file in two halves, for a file flushed with a layer
 * (layer_publish): store_stage_file writes the content to a new file under
 * tmp/ (registered for cleanup, not fsynced) and returns its path;
 * store_publish_file renames it to rel once the caller has synced the store
 * (syncfs), or removes it on failure, and frees tmp either way.
 */
char *store_stage_file(struct store *s, const void *data, size_t n, struct error *err);
int store_publish_file(struct store *s, char *tmp, const char *rel, struct error *err);

/* store_write_file of what fill writes to fd (0, or -1 with err set), for a large file. */
int store_write_file_fn(struct store *s, const char *rel,
                        int (*fill)(int fd, void *opaque, struct error *err), void *opaque,
                        struct error *err);

/*
 * Serialises read-modify-write of index.json between processes holding the
 * shared store lock. Returns an fd to pass to store_unlock_index.
 */
int store_lock_index(struct store *s, struct error *err);
void store_unlock_index(int fd);

#endif
