/* SPDX 2.3 JSON documents for the packages of an image. */
#include "formats/spdx.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/core/strvec.h"
#include "formats/digest.h"
#include "formats/json.h"
#include "formats/oci.h"

#include "formats/core/banned.h"

/* SPDX 2.3 clause 7.2: SPDXRef-[idstring], idstring of letters, digits, "." and "-". */
static char *
spdx_id(const char *kind, const char *name, size_t n)
{
    struct buf b = BUF_INIT;
    const char *p;

    buf_addf(&b, "SPDXRef-%s-", kind);
    for (p = name; *p; p++)
        buf_addch(&b, isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '-');
    buf_addf(&b, "-%zu", n);
    return buf_detach(&b);
}

/* Adds every LicenseRef-... of expr (once) to refs. */
static void
spdx_collect_refs(const char *expr, struct strvec *refs)
{
    const char *p = expr;

    while ((p = strstr(p, "LicenseRef-"))) {
        size_t n = 11, i;
        int dup = 0;
        while (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '-')
            n++;
        for (i = 0; i < refs->n; i++)
            dup |= strlen(refs->v[i]) == n && !strncmp(refs->v[i], p, n);
        if (!dup)
            strvec_push_owned(refs, xstrndup(p, n));
        p += n;
    }
}

static cJSON *
spdx_package(const struct spdx_item *it, size_t n, struct strvec *refs)
{
    cJSON *p = cJSON_CreateObject();
    cleanup_free char *id = spdx_id("Package", it->name, n);

    cJSON_AddStringToObject(p, "SPDXID", id);
    cJSON_AddStringToObject(p, "name", it->name);
    if (it->version && *it->version)
        cJSON_AddStringToObject(p, "versionInfo", it->version);
    cJSON_AddStringToObject(p, "downloadLocation", "NOASSERTION");
    cJSON_AddFalseToObject(p, "filesAnalyzed");
    cJSON_AddStringToObject(p, "licenseConcluded", "NOASSERTION");
    cJSON_AddStringToObject(p, "licenseDeclared", it->license ? it->license : "NOASSERTION");
    cJSON_AddStringToObject(p, "copyrightText", "NOASSERTION");
    if (it->license)
        spdx_collect_refs(it->license, refs);
    if (it->source_info)
        cJSON_AddStringToObject(p, "sourceInfo", it->source_info);
    if (it->comment)
        cJSON_AddStringToObject(p, "comment", it->comment);
    if (it->purl) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "referenceCategory", "PACKAGE-MANAGER");
        cJSON_AddStringToObject(r, "referenceType", "purl");
        cJSON_AddStringToObject(r, "referenceLocator", it->purl);
        cJSON_AddItemToArray(json_add_array(p, "externalRefs"), r);
    }
    return p;
}

static void
spdx_relationship(cJSON *rels, const char *from, const char *type, const char *to)
{
    cJSON *r = cJSON_CreateObject();

    cJSON_AddStringToObject(r, "spdxElementId", from);
    cJSON_AddStringToObject(r, "relationshipType", type);
    cJSON_AddStringToObject(r, "relatedSpdxElement", to);
    cJSON_AddItemToArray(rels, r);
}

static cJSON *
spdx_image(const struct spdx_subject *s)
{
    cJSON *img = cJSON_CreateObject();
    cJSON *ck = cJSON_CreateObject();

    cJSON_AddStringToObject(img, "SPDXID", "SPDXRef-Image");
    cJSON_AddStringToObject(img, "name", s->name);
    cJSON_AddStringToObject(img, "versionInfo", s->digest);
    cJSON_AddStringToObject(img, "downloadLocation", "NOASSERTION");
    cJSON_AddFalseToObject(img, "filesAnalyzed");
    cJSON_AddStringToObject(img, "primaryPackagePurpose", "CONTAINER");
    cJSON_AddStringToObject(ck, "algorithm", "SHA256");
    cJSON_AddStringToObject(ck, "checksumValue", digest_hex(s->digest));
    cJSON_AddItemToArray(json_add_array(img, "checksums"), ck);
    return img;
}

cJSON *
spdx_document(const struct spdx_subject *s, const struct spdx_item *items, size_t n)
{
    cleanup_strvec struct strvec refs = STRVEC_INIT;
    cJSON *doc = cJSON_CreateObject();
    cJSON *ci, *pkgs, *rels, *ext;
    char when[32];
    size_t i;

    oci_time_format(s->created, when);
    /* clause 6: document creation information */
    cJSON_AddStringToObject(doc, "spdxVersion", "SPDX-2.3");
    cJSON_AddStringToObject(doc, "dataLicense", "CC0-1.0");
    cJSON_AddStringToObject(doc, "SPDXID", "SPDXRef-DOCUMENT");
    cJSON_AddStringToObject(doc, "name", s->name);
    cJSON_AddStringToObject(doc, "documentNamespace", s->namespace);
    ci = json_add_object(doc, "creationInfo");
    cJSON_AddStringToObject(ci, "created", when);
    cJSON_AddItemToArray(json_add_array(ci, "creators"),
                         cJSON_CreateString(s->creator ? s->creator : "Tool: strata"));
    pkgs = json_add_array(doc, "packages");
    rels = json_add_array(doc, "relationships");
    cJSON_AddItemToArray(pkgs, spdx_image(s));
    spdx_relationship(rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
    for (i = 0; i < n; i++) {
        cJSON *p = spdx_package(&items[i], i + 1, &refs);
        spdx_relationship(rels, "SPDXRef-Image", "CONTAINS",
                          cJSON_GetObjectItemCaseSensitive(p, "SPDXID")->valuestring);
        cJSON_AddItemToArray(pkgs, p);
    }
    if (refs.n) {
        ext = json_add_array(doc, "hasExtractedLicensingInfos");
        for (i = 0; i < refs.n; i++) {
            cJSON *e = cJSON_CreateObject();
            cleanup_free char *text = xasprintf(
                "The license named \"%s\" in a package's copyright file; its text is there.",
                refs.v[i] + 11);
            cJSON_AddStringToObject(e, "licenseId", refs.v[i]);
            cJSON_AddStringToObject(e, "name", refs.v[i] + 11);
            cJSON_AddStringToObject(e, "extractedText", text);
            cJSON_AddItemToArray(ext, e);
        }
    }
    return doc;
}
