/*
 * Fuzz target: the package databases an SBOM reads from images. The first
 * byte picks the reader: 0 an SQLite file holding rpm's Packages table
 * (formats/sqlite_ro.c, then each rpm header), 1 a dpkg status file, 2 an
 * apk installed database, 3 a Debian copyright file. Invariants: no crash,
 * no leak, no hang; every failure is an input error (exit code 2).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pkgdb.h"
#include "formats/sqlite_ro.h"

#include "formats/core/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_row(void *arg, int64_t rowid, const struct sqlite_ro_value *c, size_t n, struct error *err)
{
    (void)rowid;
    if (n >= 2 && c[1].type == 3)
        return pkgdb_parse_rpm_header(c[1].p, c[1].n, "rpm", arg, err);
    return 0;
}

static int
fuzz_sqlite(const uint8_t *data, size_t size, struct pkgdb *db, struct error *err)
{
    struct sqlite_ro s;
    uint32_t root;
    int rc;

    if (sqlite_ro_open(&s, data, size, "rpmdb.sqlite", err) < 0)
        return -1;
    rc = sqlite_ro_table_root(&s, "Packages", &root, err);
    if (rc != 0)
        return rc;
    return sqlite_ro_scan(&s, root, 2, fuzz_row, db, err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pkgdb db;
    struct error err;
    char *lic;
    int rc = 0;

    if (!size)
        return 0;
    error_init(&err);
    pkgdb_init(&db, data[0] == 0 ? PKGDB_RPM : data[0] == 2 ? PKGDB_APK : PKGDB_DPKG);
    switch (data[0]) {
    case 0: rc = fuzz_sqlite(data + 1, size - 1, &db, &err); break;
    case 1: rc = pkgdb_parse_dpkg((const char *)data + 1, size - 1, "status", &db, &err); break;
    case 2: rc = pkgdb_parse_apk((const char *)data + 1, size - 1, "installed", &db, &err); break;
    case 3:
        lic = pkgdb_debian_license((const char *)data + 1, size - 1);
        free(lic);
        break;
    default: break;
    }
    if (rc < 0 && err.exit_code != 2)
        abort();
    pkgdb_release(&db);
    return 0;
}
