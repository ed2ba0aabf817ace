/* SBOMs from the package databases in an image's layers. */
#include "store/sbom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/core/buf.h"
#include "formats/core/fsutil.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/pkgdb.h"
#include "formats/spdx.h"
#include "formats/sqlite_ro.h"
#include "store/image.h"
#include "store/snapshot.h"

#include "formats/core/banned.h"

#define SBOM_DB_MAX (256u << 20)
#define SBOM_COPYRIGHT_MAX (4u << 20)

static const struct {
    enum pkgdb_kind kind;
    const char *path;
} sbom_dbs[] = {
    {PKGDB_DPKG, "var/lib/dpkg/status"},
    {PKGDB_APK, "lib/apk/db/installed"},
};
#define SBOM_NDBS (sizeof(sbom_dbs) / sizeof(sbom_dbs[0]))

/* rpm's sqlite databases (rpm 4.16 and later), read with formats/sqlite_ro.h */
static const char *const sbom_rpm_dbs[] = {"var/lib/rpm/rpmdb.sqlite",
                                           "usr/lib/sysimage/rpm/rpmdb.sqlite"};
/* rpm's Berkeley DB (before 4.16): seen, not read */
static const char *const sbom_rpm_bdb[] = {"var/lib/rpm/Packages", "usr/lib/sysimage/rpm/Packages"};

/*
 * Reads rel inside root when it is a regular file (never a device node or
 * a fifo an image could put there). Returns 0, 1 when there is no such
 * regular file.
 */
static int
sbom_read(int root, const char *rel, size_t max, struct buf *out, struct error *err)
{
    struct error e;
    struct stat st;
    cleanup_close int pfd = -1;
    cleanup_close int fd = -1;
    char proc[64];

    error_init(&e);
    pfd = fs_open_in_root(root, rel, O_PATH, &e);
    if (pfd < 0 || fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode))
        return 1;
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
    fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return error_set(err, errno, "open %s", rel);
    return fs_read_fd_max(fd, rel, max, out, err);
}

/* The state of one database after each layer, and where each package came from. */
struct sbom_db {
    struct pkgdb now;
    size_t *layer; /* per package of now: the layer that brought it */
    int seen;
};

static int
sbom_same(const struct pkgdb_package *a, const struct pkgdb_package *b)
{
    return !strcmp(a->name, b->name) && !strcmp(a->version, b->version) &&
           !strcmp(a->arch ? a->arch : "", b->arch ? b->arch : "");
}

/* A new copy of the database in layer i: packages as before keep their layer. */
static void
sbom_update(struct sbom_db *d, struct pkgdb *fresh, size_t i)
{
    size_t *layer = xcalloc(fresh->n + 1, sizeof(*layer));
    size_t k, j;

    for (k = 0; k < fresh->n; k++) {
        layer[k] = i;
        for (j = 0; d->seen && j < d->now.n; j++) {
            if (sbom_same(&fresh->pkgs[k], &d->now.pkgs[j])) {
                layer[k] = d->layer[j];
                break;
            }
        }
    }
    pkgdb_release(&d->now);
    free(d->layer);
    d->now = *fresh;
    d->layer = layer;
    d->seen = 1;
    memset(fresh, 0, sizeof(*fresh));
}

struct sbom_rpm_rows {
    struct pkgdb *db;
    const char *what;
};

static int
sbom_rpm_row(void *arg, int64_t rowid, const struct sqlite_ro_value *c, size_t n, struct error *err)
{
    struct sbom_rpm_rows *r = arg;
    char what[300];

    if (n < 2 || c[1].type != 3)
        return 0; /* (hnum, blob): a row without a blob is no package */
    snprintf(what, sizeof(what), "%s: package %lld", r->what, (long long)rowid);
    return pkgdb_parse_rpm_header(c[1].p, c[1].n, what, r->db, err);
}

/* rpm's sqlite database at rel in layer root, when the layer has it. */
static int
sbom_rpm(int root, size_t i, const char *what, const char *rel, struct sbom_db *d,
         struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_buf struct buf wal = BUF_INIT;
    cleanup_free char *walrel = xasprintf("%s-wal", rel);
    char name[256];
    struct sqlite_ro db;
    struct pkgdb fresh;
    struct sbom_rpm_rows rows;
    uint32_t table;
    int rc = sbom_read(root, rel, SBOM_DB_MAX, &b, err);

    if (rc != 0)
        return rc < 0 ? error_wrap(err, "%s", what) : 0;
    snprintf(name, sizeof(name), "%s: /%s", what, rel);
    if (sbom_read(root, walrel, SBOM_DB_MAX, &wal, err) == 0 && wal.len)
        log_warn("%s: a write-ahead log is not applied: the latest changes may be missing", name);
    if (sqlite_ro_open(&db, b.data, b.len, name, err) < 0)
        return -1;
    rc = sqlite_ro_table_root(&db, "Packages", &table, err);
    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "%s: no Packages table", name);
    pkgdb_init(&fresh, PKGDB_RPM);
    rows.db = &fresh;
    rows.what = name;
    if (sqlite_ro_scan(&db, table, 2, sbom_rpm_row, &rows, err) < 0) {
        pkgdb_release(&fresh);
        return -1;
    }
    sbom_update(d, &fresh, i);
    return 0;
}

static int
sbom_layer(int root, size_t i, const char *what, struct sbom_db *dbs, struct error *err)
{
    size_t k;

    for (k = 0; k < sizeof(sbom_dbs) / sizeof(sbom_dbs[0]); k++) {
        cleanup_buf struct buf b = BUF_INIT;
        struct pkgdb fresh;
        char name[256];
        int rc = sbom_read(root, sbom_dbs[k].path, SBOM_DB_MAX, &b, err);
        if (rc < 0)
            return error_wrap(err, "%s", what);
        if (rc == 1)
            continue;
        snprintf(name, sizeof(name), "%s: /%s", what, sbom_dbs[k].path);
        pkgdb_init(&fresh, sbom_dbs[k].kind);
        rc = sbom_dbs[k].kind == PKGDB_APK
                 ? pkgdb_parse_apk(buf_cstr(&b), b.len, name, &fresh, err)
                 : pkgdb_parse_dpkg(buf_cstr(&b), b.len, name, &fresh, err);
        if (rc < 0) {
            pkgdb_release(&fresh);
            return -1;
        }
        sbom_update(&dbs[k], &fresh, i);
    }
    for (k = 0; k < sizeof(sbom_rpm_dbs) / sizeof(sbom_rpm_dbs[0]); k++)
        if (sbom_rpm(root, i, what, sbom_rpm_dbs[k], &dbs[SBOM_NDBS], err) < 0)
            return -1;
    for (k = 0; k < sizeof(sbom_rpm_bdb) / sizeof(sbom_rpm_bdb[0]); k++)
        if (faccessat(root, sbom_rpm_bdb[k], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            log_warn("%s: /%s: rpm's Berkeley DB is not read; its packages are not in the SBOM",
                     what, sbom_rpm_bdb[k]);
    return 0;
}

/* dpkg: the license of /usr/share/doc/NAME/copyright in the topmost layer that has it. */
static char *
sbom_debian_license(const int *roots, size_t nroots, const char *name)
{
    cleanup_free char *rel = NULL;
    size_t i;

    if (strchr(name, '/') || name[0] == '.' || !name[0])
        return NULL;
    rel = xasprintf("usr/share/doc/%s/copyright", name);
    for (i = nroots; i-- > 0;) {
        cleanup_buf struct buf b = BUF_INIT;
        struct error e;
        error_init(&e);
        if (roots[i] >= 0 && sbom_read(roots[i], rel, SBOM_COPYRIGHT_MAX, &b, &e) == 0)
            return pkgdb_debian_license(buf_cstr(&b), b.len);
    }
    return NULL;
}

/* ID= of /etc/os-release (or /usr/lib/os-release): the purl namespace. */
static char *
sbom_distro(const int *roots, size_t nroots)
{
    static const char *const files[] = {"etc/os-release", "usr/lib/os-release"};
    size_t i, f;

    for (i = nroots; i-- > 0;) {
        for (f = 0; f < 2; f++) {
            cleanup_buf struct buf b = BUF_INIT;
            struct error e;
            const char *p;
            error_init(&e);
            if (roots[i] < 0 || sbom_read(roots[i], files[f], 1u << 16, &b, &e) != 0)
                continue;
            for (p = buf_cstr(&b); p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                if (!strncmp(p, "ID=", 3)) {
                    size_t n = strcspn(p + 3, "\n");
                    char *id = xstrndup(p + 3, n);
                    if (id[0] == '"' && n >= 2 && id[n - 1] == '"') {
                        memmove(id, id + 1, n - 2);
                        id[n - 2] = '\0';
                    }
                    return id;
                }
            }
        }
    }
    return NULL;
}

struct sbom_items {
    struct spdx_item *items;
    struct strvec strings; /* owns what items point to */
    size_t n;
};

static void
sbom_items_release(struct sbom_items *it)
{
    free(it->items);
    strvec_release(&it->strings);
}

static const char *
sbom_keep(struct sbom_items *it, char *s)
{
    if (!s)
        return NULL;
    strvec_push_owned(&it->strings, s);
    return s;
}

static void
sbom_collect(struct sbom_items *it, const struct sbom_db *d, const struct image *img,
             const struct sbom_opts *o, const int *roots, const char *distro, const char *dbpath)
{
    size_t k;

    it->items = xrealloc(it->items, (it->n + d->now.n + 1) * sizeof(*it->items));
    for (k = 0; k < d->now.n; k++) {
        const struct pkgdb_package *p = &d->now.pkgs[k];
        struct spdx_item *x = &it->items[it->n++];
        size_t l = d->layer[k];
        const char *step = o->steps && l < o->steps->n ? o->steps->v[l] : NULL;
        memset(x, 0, sizeof(*x));
        x->name = p->name;
        x->version = p->version;
        x->license =
            p->license
                ? p->license
                : sbom_keep(it, d->now.kind == PKGDB_DPKG
                                    ? sbom_debian_license(roots, img->manifest.nlayers, p->name)
                                    : NULL);
        x->purl = sbom_keep(it, pkgdb_purl(&d->now, p, distro));
        x->source_info =
            sbom_keep(it, xasprintf("%s database /%s", pkgdb_kind_name(d->now.kind), dbpath));
        x->comment = sbom_keep(it, xasprintf("architecture: %s; layer: %zu %s%s%s",
                                             p->arch ? p->arch : "none", l + 1,
                                             img->manifest.layers[l].digest,
                                             step && *step ? "; step: " : "", step ? step : ""));
    }
}

cJSON *
sbom_generate(struct store *s, const char *digest, const struct sbom_opts *o, struct error *err)
{
    struct sbom_db dbs[SBOM_NDBS + 1]; /* the text databases, then rpm's */
    struct sbom_items it;
    struct spdx_subject subj;
    struct image img;
    cleanup_free int *roots = NULL;
    cleanup_free char *distro = NULL, *ns = NULL;
    cJSON *doc = NULL;
    size_t i, k;

    memset(dbs, 0, sizeof(dbs));
    memset(&it, 0, sizeof(it));
    if (image_load_digest(s, digest, &img, err) < 0 || image_ensure_snapshots(s, &img, err) < 0)
        goto out_img;
    roots = xcalloc(img.manifest.nlayers + 1, sizeof(*roots));
    for (i = 0; i < img.manifest.nlayers; i++) {
        cleanup_free char *path = snapshot_path(s, img.diff_ids.v[i]);
        roots[i] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    for (i = 0; i < img.manifest.nlayers; i++) {
        char what[128];
        snprintf(what, sizeof(what), "layer %zu (%.19s)", i + 1, img.manifest.layers[i].digest);
        if (roots[i] < 0) {
            error_set(err, errno, "%s: snapshot", what);
            goto out;
        }
        if (sbom_layer(roots[i], i, what, dbs, err) < 0)
            goto out;
    }
    distro = sbom_distro(roots, img.manifest.nlayers);
    for (k = 0; k < SBOM_NDBS + 1; k++)
        if (dbs[k].seen)
            sbom_collect(&it, &dbs[k], &img, o, roots, distro,
                         k < SBOM_NDBS ? sbom_dbs[k].path : "var/lib/rpm/rpmdb.sqlite");
    ns = xasprintf("https://strata.invalid/spdx/%s", digest_hex(digest));
    subj.name = o->name ? o->name : digest;
    subj.digest = digest;
    subj.namespace = ns;
    subj.creator = "Tool: strata-0.1.0";
    subj.created = o->created;
    doc = spdx_document(&subj, it.items, it.n);
out:
    for (i = 0; roots && i < img.manifest.nlayers; i++)
        if (roots[i] >= 0)
            close(roots[i]);
    for (k = 0; k < sizeof(dbs) / sizeof(dbs[0]); k++) {
        pkgdb_release(&dbs[k].now);
        free(dbs[k].layer);
    }
    sbom_items_release(&it);
    image_release(&img);
    return doc;
out_img:
    image_release(&img);
    return NULL;
}
