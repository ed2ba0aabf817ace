#ifndef STRATA_STORE_EXPORT_H
#define STRATA_STORE_EXPORT_H

/*
 * Writing an image of the store out for other tools:
 *
 *   EXPORT_OCI             an OCI image layout directory (image-spec
 *                          image-layout.md): oci-layout, index.json, blobs/sha256/
 *   EXPORT_OCI_ARCHIVE     the same layout as one tar (skopeo/podman "oci-archive")
 *   EXPORT_DOCKER_ARCHIVE  the `docker save` tar that `docker load` and
 *                          `podman load` read (manifest.json, repositories,
 *                          <config hex>.json, <layer id>/layer.tar)
 *
 * Layers keep their diff_ids whatever their compression; a layer is
 * re-encoded (and its uncompressed content checked against its diff_id on
 * the way) only when asked to. When no layer changes, an OCI export carries
 * the stored manifest byte for byte, so the manifest digest is the store's.
 *
 * Output goes to a tmp name beside dest (registered with txn, so it is
 * removed on failure or signal) and is renamed over dest at the end: there
 * is never a half-written dest. An existing dest file is replaced; an
 * existing dest directory only when it is empty or an OCI layout.
 */

#include "formats/compress.h"
#include "formats/core/error.h"
#include "formats/platform.h"
#include "store/store.h"

enum export_format {
    EXPORT_OCI = 0,
    EXPORT_OCI_ARCHIVE,
    EXPORT_DOCKER_ARCHIVE,
};

/* "oci", "oci-archive", "docker-archive" -> format; else an input error. */
int export_format_parse(const char *name, enum export_format *out, struct error *err);
const char *export_format_name(enum export_format fmt);

/*
 * Exports the image ref_or_digest (a name, a manifest digest or a unique hex
 * prefix) of s to dest in format fmt. A multi-platform image (an image
 * index) is written whole to an OCI layout or oci-archive (the index, each
 * of its images and its other manifests; layout index.json names the
 * index), unless platform picks one of its images; a docker-archive holds
 * one image, the one for platform (NULL: this machine's). With recompress set, every layer not
 * already in compression comp is re-encoded to it (COMPRESS_NONE gives plain
 * tars, which every docker version loads; gzip is what every OCI runtime
 * reads); without it layers stay as stored. name_for_tags is the name written
 * into the output (index.json ref name / RepoTags); NULL means ref_or_digest
 * when that is a name of the store, else no name. An unknown image is an
 * input error (exit code 2).
 */
int export_image(struct store *s, const char *ref_or_digest, const struct platform *platform,
                 enum export_format fmt, enum compress_kind comp, int recompress, const char *dest,
                 const char *name_for_tags, struct error *err);

#endif
