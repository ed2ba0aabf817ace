/*
 * Package databases as text: dpkg's status file, apk's installed database
 * and Debian's machine-readable copyright files.
 */
#include "formats/pkgdb.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"

#include "formats/core/banned.h"

void
pkgdb_init(struct pkgdb *db, enum pkgdb_kind kind)
{
    memset(db, 0, sizeof(*db));
    db->kind = kind;
}

void
pkgdb_release(struct pkgdb *db)
{
    size_t i;

    if (!db)
        return;
    for (i = 0; i < db->n; i++) {
        free(db->pkgs[i].name);
        free(db->pkgs[i].version);
        free(db->pkgs[i].arch);
        free(db->pkgs[i].license);
        free(db->pkgs[i].source);
    }
    free(db->pkgs);
    db->pkgs = NULL;
    db->n = db->alloc = 0;
}

static char *
pkgdb_dup(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

void
pkgdb_add(struct pkgdb *db, const char *name, const char *version, const char *arch,
          const char *license, const char *source)
{
    struct pkgdb_package *p;

    db->pkgs = xgrow(db->pkgs, sizeof(*db->pkgs), db->n + 1, &db->alloc);
    p = &db->pkgs[db->n++];
    p->name = xstrdup(name);
    p->version = xstrdup(version ? version : "");
    p->arch = pkgdb_dup(arch);
    p->license = pkgdb_dup(license);
    p->source = pkgdb_dup(source);
}

const char *
pkgdb_kind_name(enum pkgdb_kind kind)
{
    return kind == PKGDB_APK ? "apk" : kind == PKGDB_RPM ? "rpm" : "deb";
}

/* One line of text at *pos (without its newline); returns 0 at the end. */
static int
pkgdb_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    const char *nl;

    if (*pos >= len)
        return 0;
    *line = text + *pos;
    nl = memchr(*line, '\n', len - *pos);
    *n = nl ? (size_t)(nl - *line) : len - *pos;
    *pos += *n + (nl ? 1 : 0);
    if (*n && (*line)[*n - 1] == '\r')
        (*n)--;
    return 1;
}

/* The value of a "Name: value" line, trimmed, malloc'ed. */
static char *
pkgdb_value(const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return xstrndup(v, n);
}

/* The fields of one dpkg paragraph that the SBOM uses. */
struct pkgdb_para {
    char *package, *status, *version, *arch, *source;
};

static void
pkgdb_para_clear(struct pkgdb_para *p)
{
    free(p->package);
    free(p->status);
    free(p->version);
    free(p->arch);
    free(p->source);
    memset(p, 0, sizeof(*p));
}

/* dpkg-query(1): Status is "want flag status"; only "installed" packages are on the system. */
static void
pkgdb_para_flush(struct pkgdb *db, struct pkgdb_para *p)
{
    const char *st = p->status ? strrchr(p->status, ' ') : NULL;

    if (p->package && st && !strcmp(st + 1, "installed")) {
        /* "Source: name (version)" names the source package and, when it differs, its version */
        if (p->source)
            p->source[strcspn(p->source, " (")] = '\0';
        pkgdb_add(db, p->package, p->version, p->arch, NULL, p->source);
    }
    pkgdb_para_clear(p);
}

static void
pkgdb_para_set(struct pkgdb_para *p, const char *line, size_t colon, size_t n)
{
    static const char *const names[] = {"Package", "Status", "Version", "Architecture", "Source"};
    char **slots[] = {&p->package, &p->status, &p->version, &p->arch, &p->source};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) == colon && !strncasecmp(line, names[i], colon)) {
            free(*slots[i]);
            *slots[i] = pkgdb_value(line + colon + 1, n - colon - 1);
        }
    }
}

int
pkgdb_parse_dpkg(const char *text, size_t len, const char *what, struct pkgdb *db,
                 struct error *err)
{
    struct pkgdb_para p = {0};
    const char *line;
    size_t pos = 0, n, lineno = 0;

    while (pkgdb_line(text, len, &pos, &line, &n)) {
        const char *colon;
        lineno++;
        if (n == 0) {
            pkgdb_para_flush(db, &p);
            continue;
        }
        if (line[0] == ' ' || line[0] == '\t' || line[0] == '#')
            continue; /* a continuation of a multi-line field (deb-control(5)), or a comment */
        colon = memchr(line, ':', n);
        if (!colon || colon == line || memchr(line, ' ', (size_t)(colon - line))) {
            pkgdb_para_clear(&p);
            return error_input(err, "%s:%zu: expected \"Field: value\"", what, lineno);
        }
        pkgdb_para_set(&p, line, (size_t)(colon - line), n);
    }
    pkgdb_para_flush(db, &p);
    return 0;
}

int
pkgdb_parse_apk(const char *text, size_t len, const char *what, struct pkgdb *db, struct error *err)
{
    char *name = NULL, *version = NULL, *arch = NULL, *lic = NULL, *origin = NULL;
    const char *line;
    size_t pos = 0, n, lineno = 0;
    int more = 1;

    /* apk-package(5)/apk's database: one "K:value" line per field, blank line between packages */
    while (more) {
        char **slot = NULL;
        more = pkgdb_line(text, len, &pos, &line, &n);
        lineno += more;
        if (!more || n == 0) {
            if (name) {
                cleanup_free char *expr = lic ? pkgdb_spdx_expression(lic) : NULL;
                pkgdb_add(db, name, version, arch, expr, origin);
            }
            free(name);
            free(version);
            free(arch);
            free(lic);
            free(origin);
            name = version = arch = lic = origin = NULL;
            continue;
        }
        if (n < 2 || line[1] != ':') {
            free(name);
            free(version);
            free(arch);
            free(lic);
            free(origin);
            return error_input(err, "%s:%zu: expected \"K:value\"", what, lineno);
        }
        switch (line[0]) {
        case 'P':
            slot = &name;
            break;
        case 'V':
            slot = &version;
            break;
        case 'A':
            slot = &arch;
            break;
        case 'L':
            slot = &lic;
            break;
        case 'o':
            slot = &origin;
            break;
        default:
            break;
        }
        if (slot) {
            free(*slot);
            *slot = pkgdb_value(line + 2, n - 2);
        }
    }
    return 0;
}

/*
 * DEP-5 short names (copyright-format 1.0, "License specification") whose
 * SPDX identifier is known to name the same license.
 */
static const char *const pkgdb_spdx_map[][2] = {
    {"Apache-1.0", "Apache-1.0"},
    {"Apache-1.1", "Apache-1.1"},
    {"Apache-2.0", "Apache-2.0"},
    {"BSD-2-clause", "BSD-2-Clause"},
    {"BSD-3-clause", "BSD-3-Clause"},
    {"BSD-4-clause", "BSD-4-Clause"},
    {"CC0-1.0", "CC0-1.0"},
    {"Expat", "MIT"},
    {"MIT", "MIT"},
    {"ISC", "ISC"},
    {"Zlib", "Zlib"},
    {"GPL-1", "GPL-1.0-only"},
    {"GPL-1+", "GPL-1.0-or-later"},
    {"GPL-2", "GPL-2.0-only"},
    {"GPL-2+", "GPL-2.0-or-later"},
    {"GPL-3", "GPL-3.0-only"},
    {"GPL-3+", "GPL-3.0-or-later"},
    {"LGPL-2", "LGPL-2.0-only"},
    {"LGPL-2+", "LGPL-2.0-or-later"},
    {"LGPL-2.1", "LGPL-2.1-only"},
    {"LGPL-2.1+", "LGPL-2.1-or-later"},
    {"LGPL-3", "LGPL-3.0-only"},
    {"LGPL-3+", "LGPL-3.0-or-later"},
    {"GFDL-1.2", "GFDL-1.2-only"},
    {"GFDL-1.2+", "GFDL-1.2-or-later"},
    {"GFDL-1.3", "GFDL-1.3-only"},
    {"GFDL-1.3+", "GFDL-1.3-or-later"},
    {"MPL-1.1", "MPL-1.1"},
    {"MPL-2.0", "MPL-2.0"},
    {"Python-2.0", "Python-2.0"},
    {"OpenSSL", "OpenSSL"},
    {"curl", "curl"},
    {"X11", "X11"},
    {"Artistic-2.0", "Artistic-2.0"},
};

/* One DEP-5 license name as an SPDX identifier or LicenseRef-<name> (SPDX 2.3 annex D). */
static void
pkgdb_license_id(struct buf *out, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < sizeof(pkgdb_spdx_map) / sizeof(pkgdb_spdx_map[0]); i++) {
        if (strlen(pkgdb_spdx_map[i][0]) == n && !strncasecmp(pkgdb_spdx_map[i][0], name, n)) {
            buf_adds(out, pkgdb_spdx_map[i][1]);
            return;
        }
        /* already an SPDX id (apk and rpm databases often use them) */
        if (strlen(pkgdb_spdx_map[i][1]) == n && !strncmp(pkgdb_spdx_map[i][1], name, n)) {
            buf_add(out, name, n);
            return;
        }
    }
    if (n > 11 && !strncmp(name, "LicenseRef-", 11)) {
        buf_add(out, name, n);
        return;
    }
    /* idstring: letters, digits, "." and "-" only; DEP-5's "+" is "or later" */
    buf_adds(out, "LicenseRef-");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '+')
            buf_adds(out, "-or-later");
        else
            buf_addch(out, isalnum(c) || c == '.' || c == '-' ? (char)c : '-');
    }
}

/*
 * A DEP-5 License short name ("GPL-2+ or Artistic", "MIT and BSD-3-clause")
 * as an SPDX expression. An exception ("with X exception") has no SPDX id
 * here, so the whole name becomes one LicenseRef.
 */
static void
pkgdb_license_expr(struct buf *out, const char *name)
{
    const char *p = name;
    int words = 0, compound = 0;

    if (strcasestr(name, " with ")) {
        pkgdb_license_id(out, name, strlen(name));
        return;
    }
    while (*p) {
        size_t n;
        p += strspn(p, " \t,");
        n = strcspn(p, " \t,");
        if (!n)
            break;
        if ((n == 2 && !strncasecmp(p, "or", 2)) || (n == 1 && *p == '|')) {
            buf_adds(out, " OR ");
            compound = 1;
        } else if ((n == 3 && !strncasecmp(p, "and", 3)) || (n == 1 && *p == '&')) {
            buf_adds(out, " AND ");
            compound = 1;
        } else {
            if (words && !compound)
                buf_adds(out, " AND "); /* two names side by side: both apply */
            pkgdb_license_id(out, p, n);
            compound = 0;
            words++;
        }
        p += n;
    }
}

char *
pkgdb_spdx_expression(const char *license)
{
    struct buf b = BUF_INIT;

    pkgdb_license_expr(&b, license);
    if (!b.len) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b);
}

static int
pkgdb_is_dep5(const char *text, size_t len)
{
    const char *line;
    size_t pos = 0, n;

    /* the Format field is in the first paragraph (copyright-format 1.0, "Header paragraph") */
    while (pkgdb_line(text, len, &pos, &line, &n) && n) {
        if (n > 7 && !strncasecmp(line, "Format:", 7))
            return 1;
    }
    return 0;
}

char *
pkgdb_debian_license(const char *text, size_t len)
{
    cleanup_strvec struct strvec seen = STRVEC_INIT;
    cleanup_buf struct buf out = BUF_INIT;
    const char *line;
    size_t pos = 0, n, i;

    if (!pkgdb_is_dep5(text, len))
        return NULL;
    while (pkgdb_line(text, len, &pos, &line, &n)) {
        cleanup_free char *name = NULL;
        cleanup_buf struct buf e = BUF_INIT;
        int dup = 0;
        if (n <= 8 || strncasecmp(line, "License:", 8) != 0)
            continue;
        name = pkgdb_value(line + 8, n - 8);
        if (!*name)
            continue;
        pkgdb_license_expr(&e, name);
        for (i = 0; i < seen.n; i++)
            dup |= !strcmp(seen.v[i], buf_cstr(&e));
        if (!dup && e.len)
            strvec_push(&seen, buf_cstr(&e));
    }
    for (i = 0; i < seen.n; i++) {
        int paren = seen.n > 1 && strchr(seen.v[i], ' ');
        if (i)
            buf_adds(&out, " AND ");
        buf_addf(&out, paren ? "(%s)" : "%s", seen.v[i]);
    }
    return seen.n ? buf_detach(&out) : NULL;
}

/* purl-spec: percent-encode everything but unreserved characters. */
static void
pkgdb_purl_add(struct buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == '+')
            buf_addch(b, (char)c);
        else
            buf_addf(b, "%%%02X", c);
    }
}

char *
pkgdb_purl(const struct pkgdb *db, const struct pkgdb_package *p, const char *distro)
{
    struct buf b = BUF_INIT;

    buf_addf(&b, "pkg:%s/", pkgdb_kind_name(db->kind));
    pkgdb_purl_add(&b, distro && *distro       ? distro
                       : db->kind == PKGDB_APK ? "alpine"
                       : db->kind == PKGDB_RPM ? "redhat"
                                               : "debian");
    buf_addch(&b, '/');
    pkgdb_purl_add(&b, p->name);
    if (*p->version) {
        buf_addch(&b, '@');
        pkgdb_purl_add(&b, p->version);
    }
    if (p->arch) {
        buf_adds(&b, "?arch=");
        pkgdb_purl_add(&b, p->arch);
    }
    return buf_detach(&b);
}

/* rpm's tags and types (rpm's header format: rpmtag.h, "Header Format" in rpm's docs) */
#define PKGDB_RPMTAG_NAME 1000
#define PKGDB_RPMTAG_VERSION 1001
#define PKGDB_RPMTAG_RELEASE 1002
#define PKGDB_RPMTAG_EPOCH 1003
#define PKGDB_RPMTAG_LICENSE 1014
#define PKGDB_RPMTAG_ARCH 1022
#define PKGDB_RPM_INT32 4
#define PKGDB_RPM_STRING 6
#define PKGDB_RPM_I18NSTRING 9

static uint32_t
pkgdb_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct pkgdb_rpm {
    const char *name, *version, *release, *license, *arch;
    long long epoch;
};

/* One index entry: a string (the first of an i18n array) or the epoch. */
static int
pkgdb_rpm_entry(const unsigned char *e, const unsigned char *data, uint32_t dl, struct pkgdb_rpm *r)
{
    uint32_t tag = pkgdb_be32(e), type = pkgdb_be32(e + 4), off = pkgdb_be32(e + 8);
    const char **slot = NULL;

    switch (tag) {
    case PKGDB_RPMTAG_NAME:
        slot = &r->name;
        break;
    case PKGDB_RPMTAG_VERSION:
        slot = &r->version;
        break;
    case PKGDB_RPMTAG_RELEASE:
        slot = &r->release;
        break;
    case PKGDB_RPMTAG_LICENSE:
        slot = &r->license;
        break;
    case PKGDB_RPMTAG_ARCH:
        slot = &r->arch;
        break;
    case PKGDB_RPMTAG_EPOCH:
        if (type != PKGDB_RPM_INT32 || off > dl || dl - off < 4)
            return -1;
        r->epoch = pkgdb_be32(data + off);
        return 0;
    default:
        return 0;
    }
    if ((type != PKGDB_RPM_STRING && type != PKGDB_RPM_I18NSTRING) || off >= dl ||
        !memchr(data + off, '\0', dl - off))
        return -1;
    *slot = (const char *)(data + off);
    return 0;
}

int
pkgdb_parse_rpm_header(const unsigned char *blob, size_t len, const char *what, struct pkgdb *db,
                       struct error *err)
{
    struct pkgdb_rpm r = {NULL, NULL, NULL, NULL, NULL, -1};
    cleanup_free char *version = NULL, *expr = NULL;
    uint32_t il, dl, i;

    if (len < 8)
        return error_input(err, "%s: rpm header of %zu bytes", what, len);
    il = pkgdb_be32(blob);
    dl = pkgdb_be32(blob + 4);
    if (il > len / 16 || dl > len || 8 + 16 * (uint64_t)il + dl > len)
        return error_input(err, "%s: rpm header: %u entries and %u data bytes do not fit in %zu",
                           what, il, dl, len);
    for (i = 0; i < il; i++) {
        if (pkgdb_rpm_entry(blob + 8 + 16 * (size_t)i, blob + 8 + 16 * (size_t)il, dl, &r) < 0)
            return error_input(err, "%s: rpm header: entry %u (tag %u) is malformed", what, i,
                               pkgdb_be32(blob + 8 + 16 * (size_t)i));
    }
    if (!r.name || !r.version)
        return error_input(err, "%s: rpm header without a name and a version", what);
    if (!strcmp(r.name, "gpg-pubkey"))
        return 0;
    version = r.epoch >= 0 ? xasprintf("%lld:%s%s%s", r.epoch, r.version, r.release ? "-" : "",
                                       r.release ? r.release : "")
                           : xasprintf("%s%s%s", r.version, r.release ? "-" : "",
                                       r.release ? r.release : "");
    expr = r.license ? pkgdb_spdx_expression(r.license) : NULL;
    pkgdb_add(db, r.name, version, r.arch, expr, NULL);
    return 0;
}
