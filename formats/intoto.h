#ifndef STRATA_FORMATS_INTOTO_H
#define STRATA_FORMATS_INTOTO_H

/*
 * in-toto attestation Statements v1 (in-toto/attestation spec/v1
 * statement.md) and how BuildKit attaches them to images (BuildKit
 * docs/attestations/attestation-storage.md): an attestation manifest beside
 * the image manifest in the image index, platform unknown/unknown,
 * annotated vnd.docker.reference.type=attestation-manifest and
 * vnd.docker.reference.digest=<image manifest digest>; each of its layers
 * is one Statement, media type application/vnd.in-toto+json, annotated
 * in-toto.io/predicate-type.
 */

#include <cjson/cJSON.h>

#include "formats/core/error.h"
#include "formats/digest.h"

#define INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define INTOTO_MEDIA_TYPE "application/vnd.in-toto+json"
#define INTOTO_PREDICATE_ANNOTATION "in-toto.io/predicate-type"
#define INTOTO_SLSA_V1 "https://slsa.dev/provenance/v1"
#define INTOTO_SPDX "https://spdx.dev/Document"
#define INTOTO_REF_TYPE "vnd.docker.reference.type"
#define INTOTO_REF_DIGEST "vnd.docker.reference.digest"
#define INTOTO_REF_ATTESTATION "attestation-manifest"

/*
 * A Statement about one subject (name, and the sha256 digest "sha256:...")
 * with predicate (taken). Returns the new document.
 */
cJSON *intoto_statement(const char *subject_name, const char *subject_digest,
                        const char *predicate_type, cJSON *predicate);

/*
 * Checks that json (len bytes, what names it) is a Statement v1 of
 * predicate_type whose subjects include digest (NULL: any). Returns the
 * parsed document, or NULL with an input error naming the first thing
 * that is wrong.
 */
cJSON *intoto_parse(const char *json, size_t len, const char *what, const char *predicate_type,
                    const char *digest, struct error *err);

/* "pkg:docker/NAME@TAG?platform=OS%2FARCH" (BuildKit's subject names); malloc'ed. */
char *intoto_subject_name(const char *image_name, const char *platform);

#endif
