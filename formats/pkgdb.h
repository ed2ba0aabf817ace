#ifndef STRATA_FORMATS_PKGDB_H
#define STRATA_FORMATS_PKGDB_H

/*
 * The package databases of an image's root file system, read as text:
 *   dpkg  var/lib/dpkg/status (deb-control(5) paragraphs; only packages whose
 *         Status is "install ok installed" count)
 *   apk   lib/apk/db/installed (apk's "P:", "V:", "A:", "L:" lines, one
 *         blank-line separated block per package)
 *   rpm   the header blobs of rpm's Packages table (formats/sqlite_ro.h reads
 *         the sqlite database they are in)
 * and Debian's machine-readable copyright files
 * (/usr/share/doc/PKG/copyright, DEP-5), whose License fields give a
 * package's licenses.
 *
 * The texts come from images and are untrusted: a malformed line is an input
 * error naming what (the file) and the line; nothing is ever executed.
 */

#include <stddef.h>

#include "formats/core/error.h"

enum pkgdb_kind {
    PKGDB_DPKG = 0,
    PKGDB_APK,
    PKGDB_RPM,
};

struct pkgdb_package {
    char *name;
    char *version;
    char *arch;    /* NULL when the database does not say */
    char *license; /* SPDX expression (apk, rpm), or NULL: not recorded */
    char *source;  /* the source package (dpkg Source, apk origin), or NULL */
};

struct pkgdb {
    enum pkgdb_kind kind;
    struct pkgdb_package *pkgs;
    size_t n, alloc;
};

void pkgdb_init(struct pkgdb *db, enum pkgdb_kind kind);
/* Frees every package. Accepts a zeroed or initialised db. */
void pkgdb_release(struct pkgdb *db);

/* Appends a package (copies every string; license, arch and source may be NULL). */
void pkgdb_add(struct pkgdb *db, const char *name, const char *version, const char *arch,
               const char *license, const char *source);

/* Parses a dpkg status file of len bytes into db (initialised with PKGDB_DPKG). */
int pkgdb_parse_dpkg(const char *text, size_t len, const char *what, struct pkgdb *db,
                     struct error *err);

/* Parses an apk installed database of len bytes into db (initialised with PKGDB_APK). */
int pkgdb_parse_apk(const char *text, size_t len, const char *what, struct pkgdb *db,
                    struct error *err);

/*
 * Parses one rpm header blob (a row of rpm's sqlite Packages table: the
 * index entry count, the data length, the index entries and the data store,
 * without the lead magic) and adds its package to db (initialised with
 * PKGDB_RPM): NAME, [EPOCH:]VERSION-RELEASE, ARCH and LICENSE. The
 * gpg-pubkey pseudo-packages rpm keeps its keys as are left out.
 */
int pkgdb_parse_rpm_header(const unsigned char *blob, size_t len, const char *what,
                           struct pkgdb *db, struct error *err);

/*
 * The licenses of a Debian copyright file as one SPDX license expression
 * (malloc'ed), or NULL when the file is not machine-readable (no DEP-5
 * Format field) or names no license. Each License field's short name is
 * mapped to its SPDX identifier where DEP-5 and SPDX name the same license
 * ("GPL-2+" is GPL-2.0-or-later, "Expat" is MIT); any other name becomes
 * LicenseRef-<name> (SPDX 2.3 annex D). Distinct licenses are joined with
 * AND, in order of first appearance.
 */
char *pkgdb_debian_license(const char *text, size_t len);

/*
 * A license field of a package database as an SPDX license expression
 * (malloc'ed; NULL when empty): "and"/"or" become AND/OR, names side by
 * side are joined with AND, known DEP-5 names map to SPDX ids, SPDX ids
 * stay, anything else becomes LicenseRef-<name>.
 */
char *pkgdb_spdx_expression(const char *license);

/* Package URL (purl spec) of p: pkg:deb/NAMESPACE/NAME@VERSION?arch=ARCH; malloc'ed. */
char *pkgdb_purl(const struct pkgdb *db, const struct pkgdb_package *p, const char *distro);

/* "deb", "apk" or "rpm". */
const char *pkgdb_kind_name(enum pkgdb_kind kind);

#endif
