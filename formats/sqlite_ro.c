/*
 * Read-only SQLite 3 table b-trees, from the file format description
 * (sqlite.org/fileformat2.html; section numbers below are that page's).
 */
#include "formats/sqlite_ro.h"

#include <stdlib.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

#define SQLITE_RO_MAX_DEPTH 32
#define SQLITE_RO_MAX_COLS 64

static uint32_t
sqlite_ro_be(const unsigned char *p, size_t n)
{
    uint32_t v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* 1.5 "Varint": 1-9 bytes, big-endian 7 bits each, the 9th byte whole. Returns its length. */
static size_t
sqlite_ro_varint(const unsigned char *p, const unsigned char *end, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < 9 && p + i < end; i++) {
        if (i == 8) {
            *out = (v << 8) | p[i];
            return 9;
        }
        v = (v << 7) | (p[i] & 0x7f);
        if (!(p[i] & 0x80)) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

int
sqlite_ro_open(struct sqlite_ro *db, const void *data, size_t len, const char *what,
               struct error *err)
{
    const unsigned char *h = data;
    uint32_t ps;

    /* 1.3 "The Database Header" */
    if (len < 100 || memcmp(h, "SQLite format 3", 16) != 0)
        return error_input(err, "%s: not an SQLite 3 database", what);
    ps = sqlite_ro_be(h + 16, 2);
    if (ps == 1)
        ps = 65536;
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)) || h[20] > ps - 480)
        return error_input(err, "%s: bad page size %u", what, ps);
    if (sqlite_ro_be(h + 56, 4) > 1)
        return error_input(err, "%s: text encoding %u is not UTF-8", what, sqlite_ro_be(h + 56, 4));
    db->data = h;
    db->len = len;
    db->page_size = ps;
    db->usable = ps - h[20];
    db->npages = (uint32_t)(len / ps);
    db->what = what;
    return 0;
}

static const unsigned char *
sqlite_ro_page(const struct sqlite_ro *db, uint32_t n, struct error *err)
{
    if (n < 1 || n > db->npages) {
        error_input(err, "%s: page %u is outside the file (%u pages)", db->what, n, db->npages);
        return NULL;
    }
    return db->data + (size_t)(n - 1) * db->page_size;
}

/*
 * 1.6 "B-tree Pages": a leaf cell's payload, local part plus overflow chain,
 * copied into out.
 */
static int
sqlite_ro_payload(const struct sqlite_ro *db, uint32_t pgno, const unsigned char *cell,
                  const unsigned char *end, uint64_t size, struct buf *out, struct error *err)
{
    uint64_t u = db->usable, x = u - 35, m = ((u - 12) * 32 / 255) - 23, k, local;
    uint32_t next, hops = 0;

    if (size > (uint64_t)db->len)
        return error_input(err, "%s: page %u: a cell of %llu bytes", db->what, pgno,
                           (unsigned long long)size);
    k = m + ((size - m) % (u - 4));
    local = size <= x ? size : k <= x ? k : m;
    if (cell + local + (size > local ? 4 : 0) > end)
        return error_input(err, "%s: page %u: cell overruns the page", db->what, pgno);
    buf_add(out, cell, (size_t)local);
    if (size == local)
        return 0;
    next = sqlite_ro_be(cell + local, 4);
    while (out->len < size) {
        const unsigned char *p = sqlite_ro_page(db, next, err);
        size_t n = (size_t)(size - out->len) < u - 4 ? (size_t)(size - out->len) : u - 4;
        if (!p || ++hops > db->npages)
            return p ? error_input(err, "%s: overflow chain from page %u loops", db->what, pgno)
                     : -1;
        buf_add(out, p + 4, n);
        next = sqlite_ro_be(p, 4);
    }
    return 0;
}

/* 2.1 "Record Format": the header of serial types, then the values. */
static int
sqlite_ro_record(const struct sqlite_ro *db, const struct buf *rec, struct sqlite_ro_value *cols,
                 size_t ncols, struct error *err)
{
    const unsigned char *p = (const unsigned char *)rec->data, *end = p + rec->len;
    const unsigned char *h, *body;
    uint64_t hsize, st;
    size_t c, n;

    memset(cols, 0, ncols * sizeof(*cols));
    if (!rec->len || !(n = sqlite_ro_varint(p, end, &hsize)) || hsize > rec->len || hsize < n)
        return error_input(err, "%s: bad record header", db->what);
    h = p + n;
    body = p + hsize;
    for (c = 0; h < p + hsize; c++) {
        size_t len = 0;
        if (!(n = sqlite_ro_varint(h, p + hsize, &st)))
            return error_input(err, "%s: bad record header", db->what);
        h += n;
        if (st >= 1 && st <= 6)
            len = st == 5 ? 6 : st == 6 ? 8 : st;
        else if (st == 7)
            len = 8;
        else if (st >= 12)
            len = (size_t)((st - 12) / 2);
        else if (st == 10 || st == 11)
            return error_input(err, "%s: reserved serial type %llu", db->what,
                               (unsigned long long)st);
        if (len > (size_t)(end - body))
            return error_input(err, "%s: record value overruns the record", db->what);
        if (c < ncols) {
            struct sqlite_ro_value *v = &cols[c];
            if (st >= 1 && st <= 6) { /* big-endian two's complement */
                uint64_t u = 0;
                size_t i;
                for (i = 0; i < len; i++)
                    u = (u << 8) | body[i];
                if (len < 8 && (body[0] & 0x80))
                    u |= ~(uint64_t)0 << (len * 8);
                v->type = 1;
                v->i = (int64_t)u;
            } else if (st == 8 || st == 9) {
                v->type = 1;
                v->i = st == 9;
            } else if (st == 7) {
                v->type = 2;
            } else if (st >= 12) {
                v->type = st % 2 ? 4 : 3;
                v->p = body;
                v->n = len;
            }
        }
        body += len;
    }
    return 0;
}

struct sqlite_ro_walk {
    const struct sqlite_ro *db;
    size_t ncols;
    sqlite_ro_row_fn fn;
    void *arg;
    uint32_t visited;
};

static int sqlite_ro_tree(struct sqlite_ro_walk *w, uint32_t pgno, int depth, struct error *err);

static int
sqlite_ro_leaf_cell(struct sqlite_ro_walk *w, uint32_t pgno, const unsigned char *cell,
                    const unsigned char *end, struct error *err)
{
    struct sqlite_ro_value cols[SQLITE_RO_MAX_COLS];
    cleanup_buf struct buf rec = BUF_INIT;
    uint64_t size, rowid;
    size_t a, b;

    if (!(a = sqlite_ro_varint(cell, end, &size)) || !(b = sqlite_ro_varint(cell + a, end, &rowid)))
        return error_input(err, "%s: page %u: bad cell", w->db->what, pgno);
    if (sqlite_ro_payload(w->db, pgno, cell + a + b, end, size, &rec, err) < 0 ||
        sqlite_ro_record(w->db, &rec, cols, w->ncols, err) < 0)
        return -1;
    return w->fn(w->arg, (int64_t)rowid, cols, w->ncols, err);
}

static int
sqlite_ro_tree(struct sqlite_ro_walk *w, uint32_t pgno, int depth, struct error *err)
{
    const unsigned char *page = sqlite_ro_page(w->db, pgno, err);
    const unsigned char *h, *end;
    uint32_t ncells, i;
    int leaf;

    if (!page)
        return -1;
    if (depth > SQLITE_RO_MAX_DEPTH || ++w->visited > w->db->npages)
        return error_input(err, "%s: the b-tree at page %u loops", w->db->what, pgno);
    h = page + (pgno == 1 ? 100 : 0); /* page 1 starts with the database header */
    end = page + w->db->usable;
    if (h[0] != 0x0d && h[0] != 0x05)
        return error_input(err, "%s: page %u is not a table b-tree page (type %u)", w->db->what,
                           pgno, h[0]);
    leaf = h[0] == 0x0d;
    ncells = sqlite_ro_be(h + 3, 2);
    if (h + (leaf ? 8 : 12) + 2 * (size_t)ncells > end)
        return error_input(err, "%s: page %u: %u cells do not fit", w->db->what, pgno, ncells);
    for (i = 0; i < ncells; i++) {
        uint32_t off = sqlite_ro_be(h + (leaf ? 8 : 12) + 2 * i, 2);
        const unsigned char *cell = page + off;
        if (off < 8 || cell >= end)
            return error_input(err, "%s: page %u: cell %u is outside the page", w->db->what, pgno,
                               i);
        if (leaf && sqlite_ro_leaf_cell(w, pgno, cell, end, err) < 0)
            return -1;
        if (!leaf &&
            (cell + 4 > end || sqlite_ro_tree(w, sqlite_ro_be(cell, 4), depth + 1, err) < 0))
            return cell + 4 > end ? error_input(err, "%s: page %u: bad cell", w->db->what, pgno)
                                  : -1;
    }
    return leaf ? 0 : sqlite_ro_tree(w, sqlite_ro_be(h + 8, 4), depth + 1, err);
}

int
sqlite_ro_scan(const struct sqlite_ro *db, uint32_t root, size_t ncols, sqlite_ro_row_fn fn,
               void *arg, struct error *err)
{
    struct sqlite_ro_walk w = {db, ncols > SQLITE_RO_MAX_COLS ? SQLITE_RO_MAX_COLS : ncols, fn, arg,
                               0};

    return sqlite_ro_tree(&w, root, 0, err);
}

struct sqlite_ro_find {
    const char *name;
    uint32_t root;
};

/* 2.6 "Storage Of The SQL Database Schema": type, name, tbl_name, rootpage, sql */
static int
sqlite_ro_schema_row(void *arg, int64_t rowid, const struct sqlite_ro_value *c, size_t n,
                     struct error *err)
{
    struct sqlite_ro_find *f = arg;
    size_t nl = strlen(f->name);

    (void)rowid;
    (void)err;
    if (n >= 4 && c[0].type == 4 && c[0].n == 5 && !memcmp(c[0].p, "table", 5) && c[1].type == 4 &&
        c[1].n == nl && !memcmp(c[1].p, f->name, nl) && c[3].type == 1 && c[3].i > 0 &&
        c[3].i <= UINT32_MAX)
        f->root = (uint32_t)c[3].i;
    return 0;
}

int
sqlite_ro_table_root(const struct sqlite_ro *db, const char *name, uint32_t *root,
                     struct error *err)
{
    struct sqlite_ro_find f = {name, 0};

    if (sqlite_ro_scan(db, 1, 5, sqlite_ro_schema_row, &f, err) < 0)
        return -1;
    if (!f.root)
        return 1;
    *root = f.root;
    return 0;
}
