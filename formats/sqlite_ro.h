#ifndef STRATA_FORMATS_SQLITE_RO_H
#define STRATA_FORMATS_SQLITE_RO_H

/*
 * A minimal read-only reader of SQLite 3 database files (sqlite.org
 * fileformat2.html), enough to read rpm's package database: the schema
 * table, table b-trees (interior and leaf pages, overflow chains) and
 * records. It reads the main file only: a write-ahead log the database
 * still has is not applied (the caller warns). No index b-trees, no
 * free-list, no writes.
 *
 * The file comes from an image and is untrusted: every page number, offset,
 * length and varint is checked against the file; cycles and runaway depth
 * are refused. Errors are input errors naming what and the page.
 */

#include <stddef.h>
#include <stdint.h>

#include "formats/core/error.h"

struct sqlite_ro {
    const unsigned char *data; /* the whole file (borrowed) */
    size_t len;
    uint32_t page_size;
    uint32_t usable; /* page size less the reserved bytes */
    uint32_t npages;
    const char *what;
};

/* One column of a row: a blob/text with its bytes, an integer, or NULL. */
struct sqlite_ro_value {
    int type; /* 0 NULL, 1 integer, 2 float (not decoded), 3 blob, 4 text */
    int64_t i;
    const unsigned char *p; /* blob/text bytes (into the row's buffer) */
    size_t n;
};

/* Checks the header of data (len bytes, what names the file) and fills db. */
int sqlite_ro_open(struct sqlite_ro *db, const void *data, size_t len, const char *what,
                   struct error *err);

/*
 * The root page of the table named name (sqlite_schema rows of type
 * "table"). Returns 0 and sets *root, 1 when there is no such table.
 */
int sqlite_ro_table_root(const struct sqlite_ro *db, const char *name, uint32_t *root,
                         struct error *err);

/*
 * Calls fn for every row of the table b-tree at root, in rowid order, with
 * its columns (at most ncols; missing trailing columns are NULL). fn returns
 * 0 to go on, -1 to stop with its error.
 */
typedef int (*sqlite_ro_row_fn)(void *arg, int64_t rowid, const struct sqlite_ro_value *cols,
                                size_t ncols, struct error *err);
int sqlite_ro_scan(const struct sqlite_ro *db, uint32_t root, size_t ncols, sqlite_ro_row_fn fn,
                   void *arg, struct error *err);

#endif
