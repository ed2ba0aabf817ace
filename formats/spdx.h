#ifndef STRATA_FORMATS_SPDX_H
#define STRATA_FORMATS_SPDX_H

/*
 * SPDX 2.3 documents in JSON (SPDX specification 2.3, clauses 6-11 and
 * the JSON schema spdx-schema.json): one package for the image, one per
 * installed package, a DESCRIBES relationship from the document to the
 * image and CONTAINS from the image to each package. Package licenses are
 * licenseDeclared; each LicenseRef- they use is declared in
 * hasExtractedLicensingInfos (clause 10), as the spec requires.
 */

#include <cjson/cJSON.h>
#include <stddef.h>

/* One installed package. Strings are borrowed; NULL means "not recorded". */
struct spdx_item {
    const char *name;
    const char *version;
    const char *license;     /* SPDX license expression */
    const char *purl;        /* Package URL, an externalRef of category PACKAGE-MANAGER */
    const char *source_info; /* where it was found (sourceInfo, clause 7.19) */
    const char *comment;     /* free text (comment, clause 7.24): architecture, layer */
};

/* The document's subject: the image. */
struct spdx_subject {
    const char *name;      /* image name (or its digest when it has none) */
    const char *digest;    /* manifest digest "sha256:..." */
    const char *namespace; /* documentNamespace, a unique URI */
    const char *creator;   /* "strata-0.1.0" (a "Tool: " creator) */
    long long created;     /* Unix time (SOURCE_DATE_EPOCH for reproducible documents) */
};

/* Returns the document (caller frees with cJSON_Delete). */
cJSON *spdx_document(const struct spdx_subject *s, const struct spdx_item *items, size_t n);

#endif
