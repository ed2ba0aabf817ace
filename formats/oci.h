#ifndef STRATA_FORMATS_OCI_H
#define STRATA_FORMATS_OCI_H

/*
 * OCI image-spec documents: descriptors, image manifests, image configs and
 * image indexes (image-spec manifest.md, config.md, image-index.md,
 * descriptor.md). Parsing validates what strata relies on and names the
 * failing member; writing is deterministic (fixed member order, no
 * whitespace) so the same image always has the same digest.
 */

#include <cjson/cJSON.h>
#include <stdint.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"
#include "formats/digest.h"
#include "formats/platform.h"

#define OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MEDIA_LAYER "application/vnd.oci.image.layer.v1.tar"
#define OCI_MEDIA_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MEDIA_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define DOCKER_MEDIA_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MEDIA_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MEDIA_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MEDIA_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_MEDIA_LAYER "application/vnd.docker.image.rootfs.diff.tar"

struct oci_descriptor {
    char *media_type;
    char digest[DIGEST_STR_LEN + 1];
    long long size;
    struct strvec annotations; /* "key=value", in order */
};

struct oci_manifest {
    char *media_type;
    struct oci_descriptor config;
    struct oci_descriptor *layers;
    size_t nlayers;
    struct strvec annotations;
};

void oci_descriptor_release(struct oci_descriptor *d);
/* Deep copy of src into dst. */
void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src);

void oci_manifest_init(struct oci_manifest *m);
void oci_manifest_release(struct oci_manifest *m);
/* Appends a copy of d to m's layers. */
void oci_manifest_add_layer(struct oci_manifest *m, const struct oci_descriptor *d);

/*
 * Parses an image manifest (OCI or Docker schema 2). what names the document
 * in errors. Checks schemaVersion 2, the media types and every digest.
 */
int oci_manifest_parse(const char *json, size_t len, const char *what, struct oci_manifest *m,
                       struct error *err);

/*
 * Writes m as an image manifest (malloc'ed JSON): an OCI one, or a Docker
 * schema 2 one when m->media_type is DOCKER_MEDIA_MANIFEST (the caller gives
 * the config and layers Docker media types; Docker's schema has no
 * annotations, so they are left out).
 */
char *oci_manifest_write(const struct oci_manifest *m);

/*
 * The Docker schema 2 media type of an OCI layer media type: plain tar and
 * gzip have one, zstd does not (NULL). A Docker type is returned as is.
 */
const char *oci_docker_layer_type(const char *media_type);

/*
 * Parses an image config and checks rootfs.diff_ids (each a valid digest)
 * and, when nlayers >= 0, that there are exactly that many. Returns the
 * parsed document (caller frees with cJSON_Delete) or NULL.
 */
cJSON *oci_config_parse(const char *json, size_t len, const char *what, long nlayers,
                        struct error *err);

/* Fills out with the config's rootfs.diff_ids (config already validated). */
void oci_config_diff_ids(const cJSON *config, struct strvec *out);

/* Returns a new empty config: architecture/os of this machine, rootfs, history. */
cJSON *oci_config_new(void);

/*
 * Sets the config's platform members (config.md: architecture, os, variant;
 * variant removed when p has none).
 */
void oci_config_set_platform(cJSON *config, const struct platform *p);

/*
 * Reads the config's platform into out (normalised). Returns -1 when
 * architecture or os is missing.
 */
int oci_config_platform(const cJSON *config, struct platform *out);

/* Formats a Unix time as RFC 3339 UTC ("2026-11-29T06:30:00Z") into out (32 bytes). */
void oci_time_format(long long t, char out[32]);

/*
 * Parses an RFC 3339 time ("2026-11-29T06:30:00Z", "...:00.123+02:00") into
 * a Unix time. Returns 0, or -1 when text is not one.
 */
int oci_time_parse(const char *text, long long *out);

#endif
