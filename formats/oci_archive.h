#ifndef STRATA_FORMATS_OCI_ARCHIVE_H
#define STRATA_FORMATS_OCI_ARCHIVE_H

/*
 * OCI image layouts (image-spec image-layout.md) and their tar form, the
 * "oci-archive" of skopeo/podman/buildah: an `oci-layout` file, index.json
 * and blobs/sha256/<hex>. This module reads and writes the two JSON files.
 *
 * struct oci_archive_index is strata's one model of an image index
 * (image-spec image-index.md): a layout's index.json, an index or Docker
 * manifest list a registry serves, a multi-platform image in the store. It
 * holds any descriptors (image manifests with their platform, nested
 * indexes, attestation manifests with platform unknown/unknown and
 * BuildKit's vnd.docker.reference.* annotations) and the index's own
 * annotations; writing keeps them all.
 *
 * Tags: an index entry's org.opencontainers.image.ref.name is the tag as
 * skopeo's `oci:DIR:TAG` and umoci's `--image DIR:TAG` use it ("latest");
 * strata also writes containerd's io.containerd.image.name with the full
 * name ("localhost/busybox:latest") and matches either when importing.
 */

#include <stddef.h>

#include "formats/core/error.h"
#include "formats/compress.h"
#include "formats/oci.h"
#include "formats/platform.h"

#define OCI_ARCHIVE_LAYOUT_VERSION "1.0.0"
#define OCI_ARCHIVE_REF_NAME "org.opencontainers.image.ref.name"
#define OCI_ARCHIVE_FULL_NAME "io.containerd.image.name"
/* Largest index.json / manifest we read from an archive or a registry. */
#define OCI_ARCHIVE_DOC_MAX (4u << 20)
/* BuildKit's marks on an attestation manifest in an index (attestation-storage.md). */
#define OCI_ARCHIVE_REF_TYPE "vnd.docker.reference.type"
#define OCI_ARCHIVE_REF_TYPE_ATTESTATION "attestation-manifest"

struct oci_archive_entry {
    struct oci_descriptor desc; /* desc.annotations holds every annotation */
    char *ref_name;             /* org.opencontainers.image.ref.name, or NULL */
    char *full_name;            /* io.containerd.image.name, or NULL */
    char *os, *arch, *variant;  /* platform, as written; each NULL when absent */
    char *os_version;           /* platform "os.version", or NULL */
    struct strvec os_features;  /* platform "os.features" */
};

struct oci_archive_index {
    char *media_type; /* as written, or NULL when absent */
    struct oci_archive_entry *entries;
    size_t n;
    struct strvec annotations; /* the index's own, "key=value" in order */
};

void oci_archive_index_init(struct oci_archive_index *idx);
/* Frees everything idx holds. Accepts a zeroed index. */
void oci_archive_index_release(struct oci_archive_index *idx);

/*
 * Parses an image index (index.json of a layout, an OCI index or a Docker
 * manifest list from a registry): schemaVersion 2, a "manifests" array of
 * valid descriptors. what names the document in errors:
 * `index.json: manifests[1]: missing "digest"`. Larger than
 * OCI_ARCHIVE_DOC_MAX is an input error.
 */
int oci_archive_index_parse(const char *json, size_t len, const char *what,
                            struct oci_archive_index *idx, struct error *err);

/*
 * Appends a manifest descriptor (copied) with the two name annotations made
 * from name ("localhost/busybox:latest" -> ref.name "latest"); name may be
 * NULL (no annotations).
 */
void oci_archive_index_add(struct oci_archive_index *idx, const struct oci_descriptor *d,
                           const char *name);

/*
 * Appends a manifest descriptor (copied) for platform p (NULL: none; written
 * in its normalised form, variant only when it has one).
 */
void oci_archive_index_add_platform(struct oci_archive_index *idx, const struct oci_descriptor *d,
                                    const struct platform *p);

/*
 * Writes idx as an OCI image index (malloc'ed JSON, no whitespace): members
 * in the order of image-spec's Go types (descriptor: mediaType, digest, size,
 * annotations, platform; platform: architecture, os, os.version,
 * os.features, variant), so the same index always has the same digest.
 */
char *oci_archive_index_write(const struct oci_archive_index *idx);

/*
 * The platform of entry e (normalised). Returns -1 when it has none (or an
 * unusable one, such as a part too long).
 */
int oci_archive_entry_platform(const struct oci_archive_entry *e, struct platform *out);

/*
 * Whether e is an image of the index: an image manifest (OCI or Docker)
 * that is not an attestation manifest.
 */
int oci_archive_entry_is_image(const struct oci_archive_entry *e);

/* Whether e is itself an image index (OCI index or Docker manifest list). */
int oci_archive_entry_is_index(const struct oci_archive_entry *e);

/*
 * Picks an entry of a layout's index.json for name: the one whose full name
 * or ref.name equals name, or whose ref.name equals name's tag; with no
 * match (or name NULL) the only entry. Returns the index or -1 with an
 * input error listing what is there.
 */
long oci_archive_index_select(const struct oci_archive_index *idx, const char *name,
                              struct error *err);

/*
 * Picks the image or nested index for want in a multi-platform index: the
 * entry that serves it best by platform_match (the first such entry on a
 * tie); entries without a platform and attestation manifests never match.
 * Returns -1 with an input error naming the platforms on offer when none
 * fits: "WHAT: no image for linux/amd64 (has: linux/arm64, linux/s390x)".
 */
long oci_archive_index_match(const struct oci_archive_index *idx, const struct platform *want,
                             const char *what, struct error *err);

/* Lists the platforms of idx's images ("linux/amd64, linux/arm64") into out (n bytes). */
void oci_archive_index_platforms(const struct oci_archive_index *idx, char *out, size_t n);

/* Checks an `oci-layout` file: a JSON object with imageLayoutVersion "1.x". */
int oci_archive_layout_check(const char *json, size_t len, struct error *err);

/* Returns the `oci-layout` file content (static string). */
const char *oci_archive_layout_json(void);

/*
 * Compression of a layer by its media type: "+gzip"/".gzip" -> gzip,
 * "+zstd" -> zstd, else none.
 */
enum compress_kind oci_archive_layer_compression(const char *media_type);

#endif
