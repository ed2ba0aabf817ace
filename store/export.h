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
 * is never a half-written dest. An existing dest is replaced only when it is
 * a regular file (for an OCI layout, a directory that is empty or an OCI
 * layout); a symlink, a device or anything else there is refused, so that
 * "-o /dev/stdout" cannot replace the system's link. dest "-" streams an
 * archive to standard output instead, as `docker save` does.
 */

#include "formats/compress.h"
#include "formats/core/error.h"
#include "formats/platform.h"
#include "formats/oci.h"
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
/*
 * Checks that dest may be replaced by a file (is_dir 0) or a directory
 * (is_dir 1): it is missing, or a regular file (a directory). Anything else
 * is an input error naming what is there.
 */
int export_dest_check(const char *dest, int is_dir, struct error *err);

/*
 * Stores a copy of layer blob digest (whose uncompressed content is
 * diff_id, checked on the way) compressed as to, records its diff_id and
 * fills out (OCI layer media type; caller releases). Used where an image
 * format cannot carry the stored compression (zstd in a Docker manifest).
 */
int export_recompress_blob(struct store *s, const char *digest, const char *diff_id,
                           enum compress_kind to, struct oci_descriptor *out, struct error *err);

int export_image(struct store *s, const char *ref_or_digest, const struct platform *platform,
                 enum export_format fmt, enum compress_kind comp, int recompress, const char *dest,
                 const char *name_for_tags, struct error *err);

/*
 * The files of image ref (a name, an ID or a manifest digest): its layers
 * applied in order (whiteouts remove), into directory dest (made when
 * missing; an existing directory is written into, replacing what the image
 * has too; a symlink or a file there is refused). Owners are kept when
 * running as root.
 */
int export_rootfs_dir(struct store *s, const char *ref, const char *dest, struct error *err);

/*
 * The same tree as one uncompressed tar (sorted, as layers are written) at
 * dest (replaced only when it is a regular file), or "-": standard output.
 */
int export_rootfs_tar(struct store *s, const char *ref, const char *dest, struct error *err);

#endif
