#ifndef STRATA_FORMATS_COMPRESS_H
#define STRATA_FORMATS_COMPRESS_H

/*
 * Streaming compressors behind one interface: zstd (multi-threaded), gzip
 * (zlib) and none. Output goes to a sink callback. Parameters are fixed per
 * kind and level so that the same input always gives the same bytes
 * (reproducible blob digests): no timestamps or names in gzip headers, no
 * dependence on thread count in zstd output.
 */

#include <stddef.h>

#include "formats/core/error.h"

enum compress_kind {
    COMPRESS_NONE = 0,
    COMPRESS_GZIP,
    COMPRESS_ZSTD,
};

/* Receives compressed bytes. Returns 0 or -1 with err set. */
typedef int (*compress_sink_fn)(void *opaque, const void *data, size_t n, struct error *err);

struct compress_writer;

/*
 * Starts a compressor. level 0 means the kind's default (zstd 3, gzip 6);
 * threads 0 means one worker per online CPU (zstd only). Aborts on OOM.
 */
struct compress_writer *compress_writer_new(enum compress_kind kind, int level, int threads,
                                            compress_sink_fn sink, void *opaque);
/* Feeds n bytes of input. */
int compress_write(struct compress_writer *w, const void *data, size_t n, struct error *err);
/* Flushes the end of the stream into the sink. Call once. */
int compress_finish(struct compress_writer *w, struct error *err);
/* Frees w (NULL is fine). */
void compress_writer_free(struct compress_writer *w);

/* "zstd", "gzip", "none" <-> kind. Returns -1 with an input error for other names. */
int compress_parse(const char *name, enum compress_kind *out, struct error *err);
const char *compress_name(enum compress_kind kind);

/* OCI layer media type for the kind (image-spec media-types.md). */
const char *compress_layer_media_type(enum compress_kind kind);

#endif
