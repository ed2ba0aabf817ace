#ifndef STRATA_FORMATS_COMPRESS_H
#define STRATA_FORMATS_COMPRESS_H

/*
 * Streaming compressors behind one interface: zstd (multi-threaded), gzip
 * (zlib) and none. Output goes to a sink callback. Parameters are fixed per
 * kind and level so that the same input always gives the same bytes
 * (reproducible blob digests): no timestamps or names in gzip headers, no
 * dependence on thread count in zstd output.
 *
 * zstd: the input is cut into frames of COMPRESS_ZSTD_FRAME bytes (the last
 * one shorter; empty input gives one empty frame), each compressed on its own
 * with single-threaded ZSTD_compress2 (content size in the frame header, no
 * content checksum, no dictionary) by a pool of `threads` workers, and
 * written in order. The frame boundaries depend only on the byte count, so
 * the output is the same for any thread count and any split of the input
 * into compress_write() calls. (zstd's own multi-threaded mode,
 * ZSTD_c_nbWorkers, is not used: with libzstd 1.5.4 its output varied from
 * run to run with one worker, as its reused contexts' tables leak into later
 * jobs.) A stream of concatenated frames is plain zstd (RFC 8878 section 3);
 * every decoder reads it. Memory: (threads + 1) * (4 MiB + bound) plus a
 * context per worker, about 30 MB with 2 workers at level 3; threads 0
 * means one per online CPU, at most COMPRESS_ZSTD_MAX_THREADS, so that
 * memory stays bounded on big machines.
 *
 * gzip: zlib deflate, window 15, memLevel 8, default strategy, with a fixed
 * header: mtime 0, no name or comment, OS byte 255 ("unknown", as Go's
 * compress/gzip writes it) so the bytes do not depend on the build host.
 * The bytes still depend on the zlib implementation (zlib vs zlib-ng).
 *
 * The decompressing side (compress_reader) reads gzip (incl. concatenated
 * members), zstd (incl. several frames) and xz (through libarchive's xz
 * filter), and passes plain bytes through.
 */

#include <stddef.h>
#include <sys/types.h>

#include "formats/core/error.h"

enum compress_kind {
    COMPRESS_NONE = 0,
    COMPRESS_GZIP,
    COMPRESS_ZSTD,
    COMPRESS_XZ, /* read side only: compress_writer_new() does not take it */
};

/* Uncompressed bytes per zstd frame. Part of the format: changing it changes blob digests. */
#define COMPRESS_ZSTD_FRAME (4 * 1024 * 1024)
/* the default number of zstd workers is the online CPUs, up to this */
#define COMPRESS_ZSTD_MAX_THREADS 4

/* Receives compressed bytes. Returns 0 or -1 with err set. */
typedef int (*compress_sink_fn)(void *opaque, const void *data, size_t n, struct error *err);

struct compress_writer;

/*
 * Starts a compressor. level 0 means the kind's default (zstd 3, gzip 6);
 * threads 0 means one worker per online CPU, at most COMPRESS_ZSTD_MAX_THREADS
 * (zstd only; the output does not depend on it). Aborts on OOM, and with BUG() for COMPRESS_XZ.
 */
struct compress_writer *compress_writer_new(enum compress_kind kind, int level, int threads,
                                            compress_sink_fn sink, void *opaque);
/* Feeds n bytes of input. Fails only when the sink or the library fails. */
int compress_write(struct compress_writer *w, const void *data, size_t n, struct error *err);
/* Flushes the end of the stream into the sink. Call once. */
int compress_finish(struct compress_writer *w, struct error *err);
/* Frees w (NULL is fine). */
void compress_writer_free(struct compress_writer *w);

/* "zstd", "gzip", "none" <-> kind. Returns -1 with an input error for other names. */
int compress_parse(const char *name, enum compress_kind *out, struct error *err);
/* "none", "gzip", "zstd" or "xz". */
const char *compress_name(enum compress_kind kind);

/*
 * OCI layer media type for the kind (image-spec media-types.md). NULL for
 * COMPRESS_XZ, which has no OCI layer media type.
 */
const char *compress_layer_media_type(enum compress_kind kind);

/* Bytes compress_detect() wants to see (fewer are fine at end of input). */
#define COMPRESS_DETECT_LEN 6

/*
 * Recognizes the compression of a stream from its first n bytes by magic
 * number: gzip 1f 8b, zstd 28 b5 2f fd, xz fd 37 7a 58 5a 00; anything else
 * (including a short or empty head) is COMPRESS_NONE.
 */
enum compress_kind compress_detect(const void *head, size_t n);

/*
 * Supplies compressed input: fills up to cap bytes of buf, returns the
 * count, 0 at end of input, or -1 with err set.
 */
typedef ssize_t (*compress_source_fn)(void *opaque, void *buf, size_t cap, struct error *err);

struct compress_reader;

/*
 * Starts a decompressor of the given kind (COMPRESS_NONE passes bytes
 * through) that pulls its input from src. Aborts on OOM.
 */
struct compress_reader *compress_reader_new(enum compress_kind kind, compress_source_fn src,
                                            void *opaque);
/*
 * Fills up to cap bytes of buf with decompressed data. Returns the count (> 0),
 * 0 once the source is exhausted at the end of a complete stream, or -1: an
 * input error for corrupt data ("corrupt zstd data: ...") or a stream that
 * ends early ("truncated gzip stream"), or whatever the source reported.
 * Memory use is bounded (zstd windows above 128 MiB are refused as corrupt).
 */
ssize_t compress_read(struct compress_reader *r, void *buf, size_t cap, struct error *err);
/* Frees r (NULL is fine). */
void compress_reader_free(struct compress_reader *r);

struct digest_ctx;
/*
 * A decompressor of what fd holds from its current offset, its kind detected
 * from the first bytes (compress_detect), which are read first and replayed.
 * When raw is not NULL (an initialised digest), every byte read from fd is
 * also fed to it. NULL with err set when fd cannot be read; what names it.
 * The caller keeps fd open until compress_reader_free.
 */
struct compress_reader *compress_reader_fd(int fd, struct digest_ctx *raw, const char *what,
                                           struct error *err);

#endif
