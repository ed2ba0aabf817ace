#ifndef STRATA_FORMATS_LIMITS_H
#define STRATA_FORMATS_LIMITS_H

/*
 * Bounds on what untrusted input can make strata write (issue 9): a tiny
 * archive must not unpack into gigabytes (sparse members, compression
 * bombs), and a registry must not fill the disk or hang a pull.
 *
 * Unpacking: the bytes one archive (an image archive being staged, a layer,
 * a root file system tarball) may unpack to, counted as the apparent size of
 * every regular file (holes included: what later hashing and re-packing
 * read) plus 512 bytes per entry. Set by `--max-unpack SIZE` (import) or
 * $STRATA_MAX_UNPACK (a size: "500MB", "20GiB"; "0": no limit); by default 1 GiB or 100 times the
 * archive's own size, whichever is more, which no plain tar reaches and only
 * a layer of mostly zeros compressed does.
 */

#include <stdint.h>
#include <sys/stat.h>

#include "formats/core/error.h"

#define LIMITS_UNPACK_FLOOR (1ULL << 30)
#define LIMITS_UNPACK_RATIO 100
#define LIMITS_UNPACK_ENV "STRATA_MAX_UNPACK"
#define LIMITS_ENTRY_COST 512 /* charged per archive entry: one tar header */

/*
 * Pulling: the largest blob size a manifest may declare, $STRATA_MAX_BLOB
 * ("0": no limit), 64 GiB by default (the largest public layers are a few
 * GiB).
 */
#define LIMITS_BLOB_DEFAULT (64ULL << 30)
#define LIMITS_BLOB_ENV "STRATA_MAX_BLOB"

/* Parses a size (formats/core/units.h: "500MB", "20GiB"); the error names what. */
int limits_parse_size(const char *s, const char *what, uint64_t *out, struct error *err);

/* Sets the unpack limit for the rest of the process (0: none), over the environment's. */
void limits_set_unpack(uint64_t max);

/*
 * Returns in *out the most an archive of input_size bytes (0 when unknown)
 * may unpack to; UINT64_MAX means no limit. Fails on a malformed
 * $STRATA_MAX_UNPACK.
 */
int limits_unpack_max(uint64_t input_size, uint64_t *out, struct error *err);

/*
 * The size of an archive for limits_unpack_max: what the file at fd really
 * holds (a sparse file counts only its allocated blocks, not its holes), or
 * 0 when fd is not a regular file.
 */
uint64_t limits_input_size(int fd);

/* Returns in *out the largest blob a registry may declare (UINT64_MAX: no limit). */
int limits_blob_max(uint64_t *out, struct error *err);

#endif
