#ifndef STRATA_BUILDER_ENGINE_PROVENANCE_H
#define STRATA_BUILDER_ENGINE_PROVENANCE_H

/*
 * The attestations of a build: SLSA provenance v1 (in-toto Statement,
 * predicate https://slsa.dev/provenance/v1) made from what the build and
 * its step records know, and the SPDX SBOM of the result (store/sbom.h);
 * both attached to the image as BuildKit attaches them (store/attest.h).
 *
 * The predicate (buildType PROVENANCE_BUILD_TYPE, documented in README.md):
 *   buildDefinition.externalParameters
 *     configSource {path, digest}       the recipe
 *     request {frontend, target, platform, secrets (ids only), args (max)}
 *   buildDefinition.internalParameters
 *     builderPlatform, compression, sourceDateEpoch (when set),
 *     buildConfig.steps (max): per step its stage, instruction, recipe
 *     line, layer digest, cached or not and step record key
 *   buildDefinition.resolvedDependencies
 *     the context (one digest of its tree after .dockerignore), each base
 *     image and COPY --from image (manifest digest), each ADD <url>
 *     (content digest; --checksum when given)
 *   runDetails.builder {id, version}, runDetails.metadata {invocationId,
 *     startedOn, finishedOn} (SOURCE_DATE_EPOCH for both when set)
 * mode=min leaves out the build args and the steps, as buildx's min does.
 */

#include <cjson/cJSON.h>

#include "builder/engine/engine.h"
#include "builder/engine/stage.h"
#include "formats/core/error.h"

#define PROVENANCE_BUILD_TYPE "urn:strata:buildtype:recipe:v1"
#define PROVENANCE_BUILDER_ID "urn:strata:builder"
#define PROVENANCE_VERSION "0.1.0"

enum {
    PROVENANCE_OFF = 0,
    PROVENANCE_MIN,
    PROVENANCE_MAX,
};

/*
 * Parses a --provenance value as buildx does: "true", "mode=min" (or "min")
 * is min, "mode=max" (or "max") max, "false" off; "version=v1" is accepted
 * (the only version). Input error otherwise.
 */
int provenance_parse(const char *v, int *out, struct error *err);

/* The SLSA v1 predicate of the finished build b whose result is target (mode min or max). */
cJSON *provenance_predicate(struct build *b, const struct stage *target, int mode,
                            long long started, long long finished, struct error *err);

/*
 * Makes the attestations --provenance and --sbom ask for about image (the
 * manifest digest of target's image, named name for the subjects) and
 * attaches them. Writes the index digest and size; returns 1 (and writes
 * nothing) when none is asked for.
 */
int provenance_attach(struct build *b, const struct stage *target, const char *image,
                      long long started, char out[DIGEST_STR_LEN + 1], long long *out_size,
                      struct error *err);

#endif
