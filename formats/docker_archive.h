#ifndef STRATA_FORMATS_DOCKER_ARCHIVE_H
#define STRATA_FORMATS_DOCKER_ARCHIVE_H

/*
 * The `docker save` / `docker load` archive format (docker's
 * image/spec/v1.2 "Combined Image JSON + Filesystem Changeset Format"):
 * a tar holding manifest.json, repositories, the image config
 * "<hex>.json" and one "<id>/layer.tar" per layer.
 *
 *   manifest.json  [{"Config":"<hex>.json","RepoTags":["name:tag"],
 *                    "Layers":["<id>/layer.tar",...]}, ...]
 *   repositories   {"name":{"tag":"<id of the top layer>"}}   (legacy, written only)
 *
 * Every docker version loads uncompressed layer.tar files; docker >= 1.10
 * and podman also accept gzip ones, zstd only docker >= 23 and podman.
 */

#include <stddef.h>

#include "formats/core/error.h"
#include "formats/core/strvec.h"

/* Largest manifest.json / repositories file we read. */
#define DOCKER_ARCHIVE_DOC_MAX (4u << 20)

struct docker_archive_image {
    char *config;            /* path of the config in the archive */
    struct strvec repo_tags; /* "name:tag", may be empty */
    struct strvec layers;    /* paths of the layer tars, base first */
};

struct docker_archive_manifest {
    struct docker_archive_image *images;
    size_t n;
};

void docker_archive_manifest_init(struct docker_archive_manifest *m);
/* Frees everything m holds. Accepts a zeroed manifest. */
void docker_archive_manifest_release(struct docker_archive_manifest *m);

/*
 * Appends an image entry (copies of config, the tags and the layer paths;
 * tags may be NULL) to m and returns it.
 */
struct docker_archive_image *docker_archive_manifest_add(struct docker_archive_manifest *m,
                                                         const char *config,
                                                         const struct strvec *tags,
                                                         const struct strvec *layers);

/*
 * Parses manifest.json. Checks the shape (an array of objects with a
 * string Config, an optional array of strings RepoTags and a non-empty
 * array of strings Layers) and that every path is a clean relative path
 * (docker_archive_path_ok). Errors name the failing member:
 * `manifest.json: [0].Layers[2]: expected a string`.
 */
int docker_archive_manifest_parse(const char *json, size_t len, struct docker_archive_manifest *m,
                                  struct error *err);

/* Writes manifest.json for m (malloc'ed, no whitespace, stable member order). */
char *docker_archive_manifest_write(const struct docker_archive_manifest *m);

/*
 * Writes the legacy `repositories` file: for every "name:tag" of every image,
 * name -> tag -> top_ids[image index] (the directory name of its last layer).
 * Returns malloc'ed JSON.
 */
char *docker_archive_repositories_write(const struct docker_archive_manifest *m,
                                        const char *const *top_ids);

/*
 * Returns the index of the image to use: the only one when name is NULL,
 * else the one whose RepoTags holds name, or name with a "docker.io/",
 * "docker.io/library/" or "localhost/" prefix removed or added.
 * Returns -1 with an input error naming what is there when none or several
 * fit.
 */
long docker_archive_select(const struct docker_archive_manifest *m, const char *name,
                           struct error *err);

/*
 * Returns 1 when p is a path we accept inside an archive: not empty, not
 * absolute, no "." or ".." components, no empty components, < 4096 bytes.
 */
int docker_archive_path_ok(const char *p);

#endif
