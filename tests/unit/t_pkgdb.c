#include <stdlib.h>
#include <string.h>

#include "formats/core/mem.h"
#include "formats/intoto.h"
#include "formats/json.h"
#include "formats/pkgdb.h"
#include "formats/spdx.h"
#include "tests/unit/harness.h"

#include "formats/core/banned.h"

/* Two paragraphs of a real bookworm status file (jq, and one removed package) plus libonig5. */
static const char dpkg_status[] =
    "Package: jq\n"
    "Status: install ok installed\n"
    "Priority: optional\n"
    "Architecture: amd64\n"
    "Source: jq (1.6-2.1)\n"
    "Version: 1.6-2.1+deb12u2\n"
    "Depends: libjq1 (= 1.6-2.1+deb12u2), libc6 (>= 2.34)\n"
    "Description: lightweight and flexible command-line JSON processor\n"
    " jq is like sed for JSON data.\n"
    " .\n"
    " It is written in portable C.\n"
    "\n"
    "Package: gone\n"
    "Status: deinstall ok config-files\n"
    "Version: 1\n"
    "\n"
    "Package: libonig5\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Multi-Arch: same\n"
    "Version: 6.9.8-1\n";

TEST(pkgdb_dpkg_keeps_installed_packages_only)
{
    struct pkgdb db;
    struct error err;

    error_init(&err);
    pkgdb_init(&db, PKGDB_DPKG);
    CHECK_OK(pkgdb_parse_dpkg(dpkg_status, strlen(dpkg_status), "status", &db, &err), err);
    CHECK_INT(db.n, 2);
    CHECK_STR(db.pkgs[0].name, "jq");
    CHECK_STR(db.pkgs[0].version, "1.6-2.1+deb12u2");
    CHECK_STR(db.pkgs[0].arch, "amd64");
    CHECK_STR(db.pkgs[0].source, "jq");
    CHECK_STR(db.pkgs[1].name, "libonig5");
    CHECK_INT(db.pkgs[1].source == NULL, 1);
    pkgdb_release(&db);
}

TEST(pkgdb_dpkg_bad_line_names_file_and_line)
{
    const char *bad = "Package: a\nStatus: install ok installed\nnot a field\n";
    struct pkgdb db;
    struct error err;

    error_init(&err);
    pkgdb_init(&db, PKGDB_DPKG);
    CHECK_INT(pkgdb_parse_dpkg(bad, strlen(bad), "layer 2: /var/lib/dpkg/status", &db, &err), -1);
    CHECK_STR(err.msg, "layer 2: /var/lib/dpkg/status:3: expected \"Field: value\"");
    CHECK_INT(err.exit_code, 2);
    pkgdb_release(&db);
}

TEST(pkgdb_apk_reads_name_version_arch_license)
{
    const char *db_text = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\n"
                          "P:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\n";
    const char *bad = "P:x\nbroken\n";
    struct pkgdb db;
    struct error err;

    error_init(&err);
    pkgdb_init(&db, PKGDB_APK);
    CHECK_OK(pkgdb_parse_apk(db_text, strlen(db_text), "installed", &db, &err), err);
    CHECK_INT(db.n, 2);
    CHECK_STR(db.pkgs[0].name, "musl");
    CHECK_STR(db.pkgs[0].license, "MIT");
    CHECK_STR(db.pkgs[1].version, "1.36.1-r5");
    CHECK_STR(db.pkgs[1].arch, "x86_64");
    CHECK_INT(pkgdb_parse_apk(bad, strlen(bad), "installed", &db, &err), -1);
    CHECK_STR(err.msg, "installed:2: expected \"K:value\"");
    pkgdb_release(&db);
}

TEST(pkgdb_debian_license_maps_dep5_names_to_spdx)
{
    const char *dep5 =
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: x\n\n"
        "Files: *\nCopyright: 2012 A\nLicense: Expat\n\n"
        "Files: doc/*\nLicense: GPL-2+ or Artistic\n\n"
        "Files: m4/*\nLicense: Expat\n\n"
        "License: Expat\n Permission is hereby granted...\n";
    const char *old = "This package was debianized by someone.\nIt is GPL.\n";
    char *l = pkgdb_debian_license(dep5, strlen(dep5));

    CHECK_STR(l, "MIT AND (GPL-2.0-or-later OR LicenseRef-Artistic)");
    free(l);
    CHECK_INT(pkgdb_debian_license(old, strlen(old)) == NULL, 1);
}

TEST(pkgdb_purl_encodes_version_and_arch)
{
    struct pkgdb db;
    char *p;

    pkgdb_init(&db, PKGDB_DPKG);
    pkgdb_add(&db, "libc6", "1:2.36-9", "amd64", NULL, NULL);
    p = pkgdb_purl(&db, &db.pkgs[0], "debian");
    CHECK_STR(p, "pkg:deb/debian/libc6@1%3A2.36-9?arch=amd64");
    free(p);
    pkgdb_release(&db);
}

TEST(spdx_document_declares_license_refs)
{
    struct spdx_item it = {"jq",
                           "1.6",
                           "MIT AND LicenseRef-x.1",
                           "pkg:deb/debian/jq@1.6",
                           NULL,
                           "architecture: amd64"};
    struct spdx_subject s = {
        "app:1", "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "https://strata.invalid/spdx/1", "Tool: strata-0.1.0", 0};
    cJSON *doc = spdx_document(&s, &it, 1);
    const cJSON *ext = cJSON_GetObjectItemCaseSensitive(doc, "hasExtractedLicensingInfos");
    const cJSON *pk = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "packages"), 1);

    CHECK_INT(cJSON_GetArraySize(ext), 1);
    CHECK_STR(json_string(cJSON_GetArrayItem(ext, 0), "licenseId", 1, "", NULL), "LicenseRef-x.1");
    CHECK_STR(json_string(pk, "licenseDeclared", 1, "", NULL), "MIT AND LicenseRef-x.1");
    CHECK_STR(json_string(doc, "spdxVersion", 1, "", NULL), "SPDX-2.3");
    CHECK_STR(
        json_string(cJSON_GetObjectItemCaseSensitive(doc, "creationInfo"), "created", 1, "", NULL),
        "1970-01-01T00:00:00Z");
    cJSON_Delete(doc);
}

TEST(intoto_parse_checks_type_predicate_and_subject)
{
    const char *dg = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    cJSON *st = intoto_statement("pkg:docker/app@1?platform=linux%2Famd64", dg, INTOTO_SLSA_V1,
                                 cJSON_CreateObject());
    char *text = json_print(st);
    struct error err;
    cJSON *back;

    error_init(&err);
    back = intoto_parse(text, strlen(text), "st", INTOTO_SLSA_V1, dg, &err);
    CHECK_INT(back != NULL, 1);
    cJSON_Delete(back);
    CHECK_INT(intoto_parse(text, strlen(text), "st", INTOTO_SPDX, dg, &err) == NULL, 1);
    CHECK_STR(err.msg, "st: predicateType is \"https://slsa.dev/provenance/v1\", expected "
                       "\"https://spdx.dev/Document\"");
    CHECK_INT(
        intoto_parse(text, strlen(text), "st", NULL,
                     "sha256:3333333333333333333333333333333333333333333333333333333333333333",
                     &err) == NULL,
        1);
    free(text);
    cJSON_Delete(st);
    text = intoto_subject_name("localhost:5000/team/app:1", "linux/amd64");
    CHECK_STR(text, "pkg:docker/localhost:5000/team/app@1?platform=linux%2Famd64");
    free(text);
}
