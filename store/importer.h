#ifndef STRATA_STORE_IMPORTER_H
#define STRATA_STORE_IMPORTER_H

/*
 * Importing images made by other tools into the store: an OCI image layout
 * directory, an oci-archive (a tar of a layout), a docker-archive (`docker
 * save`, as a tar or unpacked). Every digest given is checked: blob bytes
 * against their descriptor (digest and size), each layer's uncompressed
 * content against the config's diff_id. Layers are unpacked into snapshots
 * right away with tar_read_extract, so a hostile layer (.., absolute names,
 * writes through symlinks, outside hard links) fails the import with an
 * error naming the entry. Blobs are staged and verified before they enter
 * blobs/, and the name is set last: a failed import tags nothing.
 *
 * The manifest of a layout is stored byte for byte, so its digest survives
 * an export/import round trip. A docker-archive has no manifest: one is
 * written (OCI, deterministic) over the config bytes as found.
 */

#include "formats/compress.h"
#include "formats/core/error.h"
#include "formats/digest.h"
#include "formats/platform.h"
#include "store/store.h"

enum importer_kind {
    IMPORTER_ROOTFS = 0,     /* a root file system tarball: a one-layer image */
    IMPORTER_OCI_LAYOUT,     /* a directory with oci-layout and index.json */
    IMPORTER_OCI_ARCHIVE,    /* a tar of an OCI layout */
    IMPORTER_DOCKER_ARCHIVE, /* a `docker save` tar */
    IMPORTER_DOCKER_DIR,     /* an unpacked `docker save` tar */
};

/* "rootfs", "oci", "oci-archive", "docker-archive", "docker-dir". */
const char *importer_kind_name(enum importer_kind kind);

/*
 * Looks at path: a directory with `oci-layout` is an OCI layout, one with
 * manifest.json an unpacked docker-archive; a tar (optionally compressed)
 * whose top level has `oci-layout` and index.json is an oci-archive, one with
 * manifest.json a docker-archive; any other tar a rootfs. Fails (input
 * error) when path cannot be read or is neither.
 */
int importer_detect(const char *path, enum importer_kind *out, struct error *err);

struct importer_opts {
    enum compress_kind compression;  /* of the layer made from a rootfs tarball */
    const struct platform *platform; /* a rootfs tarball's platform; the image an index has
                                        for it. NULL: this machine's */
};

/*
 * Imports the image at path (kind from importer_detect) and names it name
 * (normalised). name also picks the image when the source holds several (by
 * ref name / RepoTags); with one image it is taken whatever its name. A
 * rootfs tarball becomes a one-layer image (compressed as o says) whose time
 * is $SOURCE_DATE_EPOCH, else the newest file time in the archive, so the same
 * tarball always gives the same digest; its config says o->platform. From
 * an image index, the image for o->platform is taken (formats/platform.h
 * matching). Writes the manifest digest to out_digest.
 */
int importer_import(struct store *s, const char *path, enum importer_kind kind, const char *name,
                    const struct importer_opts *o, char out_digest[DIGEST_STR_LEN + 1],
                    struct error *err);

/*
 * Stores one layer read from in_fd: stages the bytes as a blob while hashing,
 * checks them against want_digest/want_size when given (NULL / -1 to skip),
 * unpacks them into a snapshot checking the uncompressed content against
 * diff_id, then commits blob and snapshot. Writes the digest and size to
 * out_digest/out_size (may be NULL). what names the layer in errors.
 */
int importer_layer(struct store *s, int in_fd, const char *what, const char *want_digest,
                   long long want_size, const char *diff_id, char out_digest[DIGEST_STR_LEN + 1],
                   long long *out_size, struct error *err);

#endif
