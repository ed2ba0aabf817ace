/*
 * strata manifest create|add|remove|inspect: image indexes ("manifest
 * lists") assembled from images of the store, as buildah's and podman's
 * manifest commands do it. The index is stored like any image and named;
 * strata push writes it with every image, strata rm removes the name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/core/termsafe.h"
#include "formats/json.h"
#include "formats/oci_archive.h"
#include "formats/platform.h"
#include "store/blob.h"
#include "store/image.h"
#include "store/index.h"

#include "formats/core/banned.h"

static const char manifest_usage[] =
    "usage: strata manifest create NAME [IMAGE...]\n"
    "       strata manifest add [--os OS] [--arch ARCH] [--variant V] [--annotation K=V]\n"
    "                           NAME IMAGE\n"
    "       strata manifest remove NAME DIGEST\n"
    "       strata manifest inspect NAME\n"
    "\n"
    "An image index (a manifest list) lists images of several platforms under one\n"
    "name. create makes one (with IMAGEs, added as add does); add adds IMAGE (a name\n"
    "or digest of the store) with the platform of its config, or the one --os,\n"
    "--arch and --variant say, replacing an entry of the same digest; an IMAGE that\n"
    "is itself an index adds each of its images. remove drops the entry DIGEST.\n"
    "inspect prints the index. Each change stores a new index and moves NAME to it;\n"
    "strata push NAME REF sends it with every image, strata rm NAME removes it.\n";

struct manifest_add_opts {
    const char *os, *arch, *variant;
    struct strvec annotations;
};

/* The platform of image digest: its config's, with the options' overrides. */
static int
manifest_platform(const struct store *s, const char *digest, const struct manifest_add_opts *a,
                  struct platform *out, struct error *err)
{
    struct image img;
    struct platform p;
    int have;

    if (image_load_digest(s, digest, &img, err) < 0)
        return -1;
    have = oci_config_platform(img.config, &p) == 0;
    image_release(&img);
    if (!have && (!a->os || !a->arch))
        return error_input(err, "manifest add: image %s names no platform: give --os and --arch",
                           digest);
    if (platform_set(out, a->os ? a->os : p.os, a->arch ? a->arch : p.arch,
                     a->variant ? a->variant : (a->arch ? NULL : p.variant)) < 0)
        return error_input(err, "manifest add: bad --os, --arch or --variant");
    return 0;
}

/* Drops entry i of idx. */
static void
manifest_drop(struct oci_archive_index *idx, size_t i)
{
    struct oci_archive_entry *e = &idx->entries[i];

    oci_descriptor_release(&e->desc);
    free(e->ref_name);
    free(e->full_name);
    free(e->os);
    free(e->arch);
    free(e->variant);
    free(e->os_version);
    strvec_release(&e->os_features);
    memmove(e, e + 1, (idx->n - i - 1) * sizeof(*idx->entries));
    idx->n--;
}

/* Adds (or replaces, by digest) one image manifest of the store to idx. */
static int
manifest_add_one(const struct store *s, struct oci_archive_index *idx, const char *digest,
                 const struct manifest_add_opts *a, struct error *err)
{
    struct oci_descriptor d = {0};
    struct platform p;
    size_t i;

    if (manifest_platform(s, digest, a, &p, err) < 0)
        return -1;
    for (i = 0; i < idx->n; i++) {
        if (!strcmp(idx->entries[i].desc.digest, digest)) {
            manifest_drop(idx, i);
            break;
        }
    }
    d.media_type = (char *)OCI_MEDIA_MANIFEST;
    memcpy(d.digest, digest, sizeof(d.digest));
    d.size = blob_size(s, digest);
    oci_archive_index_add_platform(idx, &d, &p);
    for (i = 0; i < a->annotations.n; i++)
        strvec_push(&idx->entries[idx->n - 1].desc.annotations, a->annotations.v[i]);
    return 0;
}

/* IMAGE: one image, or each image of an index (buildah's --all). */
static int
manifest_add(const struct store *s, struct oci_archive_index *idx, const char *image,
             const struct manifest_add_opts *a, struct error *err)
{
    struct oci_archive_index src;
    char digest[DIGEST_STR_LEN + 1];
    size_t i;
    int rc = index_resolve_top(s, image, digest, err), is_index;

    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "manifest: no such image \"%s\"", image);
    if ((is_index = image_is_index(s, digest, err)) < 0)
        return -1;
    if (!is_index)
        return manifest_add_one(s, idx, digest, a, err);
    if (image_index_load(s, digest, &src, err) < 0)
        return -1;
    for (i = 0; i < src.n && rc == 0; i++) {
        if (oci_archive_entry_is_image(&src.entries[i]) &&
            blob_exists(s, src.entries[i].desc.digest))
            rc = manifest_add_one(s, idx, src.entries[i].desc.digest, a, err);
    }
    oci_archive_index_release(&src);
    return rc;
}

/* Stores idx and points name at it. */
static int
manifest_save(struct store *s, const char *name, const struct oci_archive_index *idx,
              struct error *err)
{
    char digest[DIGEST_STR_LEN + 1];
    long long size;

    if (image_commit_index(s, idx, digest, &size, err) < 0 ||
        index_set(s, name, digest, size, err) < 0)
        return -1;
    printf("%s\n", digest);
    return 0;
}

/* Loads the index name points at; an image that is not an index is an input error. */
static int
manifest_load(const struct store *s, const char *name, struct oci_archive_index *idx,
              char digest[DIGEST_STR_LEN + 1], struct error *err)
{
    int rc = index_resolve_top(s, name, digest, err), is_index;

    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "manifest: no such image index \"%s\"", name);
    if ((is_index = image_is_index(s, digest, err)) < 0)
        return -1;
    if (!is_index)
        return error_input(err, "manifest: %s is an image, not an image index", name);
    return image_index_load(s, digest, idx, err);
}

static int
manifest_add_args(int argc, char **argv, int *i, struct manifest_add_opts *a, struct error *err)
{
    const char *v;
    int r;

    if ((r = cli_opt_value(argc, argv, i, "--os", &a->os, err)) != 0 ||
        (r = cli_opt_value(argc, argv, i, "--arch", &a->arch, err)) != 0 ||
        (r = cli_opt_value(argc, argv, i, "--variant", &a->variant, err)) != 0)
        return r < 0 ? -1 : 1;
    if ((r = cli_opt_value(argc, argv, i, "--annotation", &v, err)) != 0) {
        if (r < 0)
            return -1;
        if (!strchr(v, '=') || v[0] == '=')
            return error_input(err, "manifest add: --annotation %s: expected KEY=VALUE", v);
        strvec_push(&a->annotations, v);
        return 1;
    }
    return 0;
}

static int
manifest_inspect(const struct store *s, const char *name, struct error *err)
{
    cleanup_buf struct buf b = BUF_INIT;
    cleanup_buf struct buf safe = BUF_INIT;
    cleanup_cjson cJSON *j = NULL;
    cleanup_free char *text = NULL;
    struct oci_archive_index idx;
    char digest[DIGEST_STR_LEN + 1];

    if (manifest_load(s, name, &idx, digest, err) < 0)
        return -1;
    oci_archive_index_release(&idx);
    if (blob_read(s, digest, OCI_ARCHIVE_DOC_MAX, &b, err) < 0 ||
        !(j = json_parse(buf_cstr(&b), b.len, digest, err)))
        return -1;
    text = cJSON_Print(j);
    termsafe_add_json(&safe, text, strlen(text));
    printf("%s\n", buf_cstr(&safe));
    return 0;
}

static int
manifest_run(struct store *s, const char *verb, const char **pos, int npos,
             const struct manifest_add_opts *a, struct error *err)
{
    struct oci_archive_index idx;
    char digest[DIGEST_STR_LEN + 1];
    int i, rc = 0;

    if (!strcmp(verb, "inspect"))
        return manifest_inspect(s, pos[0], err);
    if (!strcmp(verb, "create")) {
        if (index_resolve_top(s, pos[0], digest, err) == 0)
            return error_input(err,
                               "manifest create: %s exists (manifest add adds to it; strata rm "
                               "removes it)",
                               pos[0]);
        oci_archive_index_init(&idx);
    } else if (manifest_load(s, pos[0], &idx, digest, err) < 0) {
        return -1;
    }
    for (i = 1; i < npos && rc == 0 && strcmp(verb, "remove"); i++)
        rc = manifest_add(s, &idx, pos[i], a, err);
    if (!strcmp(verb, "remove")) {
        /* DIGEST: sha256:<hex> or a unique prefix of the hex */
        const char *want = strncmp(pos[1], "sha256:", 7) ? pos[1] : pos[1] + 7;
        size_t k, found = idx.n, hits = 0;
        for (k = 0; k < idx.n; k++) {
            if (strlen(want) >= 4 &&
                !strncmp(digest_hex(idx.entries[k].desc.digest), want, strlen(want))) {
                found = k;
                hits++;
            }
        }
        if (hits != 1)
            rc = error_input(err, "manifest remove: %s lists %s manifest %s", pos[0],
                             hits ? "more than one" : "no", pos[1]);
        else
            manifest_drop(&idx, found);
    }
    if (rc == 0)
        rc = manifest_save(s, pos[0], &idx, err);
    oci_archive_index_release(&idx);
    return rc;
}

int
cmd_manifest(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct manifest_add_opts a = {NULL, NULL, NULL, STRVEC_INIT};
    const char *verb = argc > 1 ? argv[1] : NULL;
    cleanup_free const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
    struct store s;
    int i, npos = 0, rc, min = 1, max = 1;

    if (!verb || !strcmp(verb, "-h") || !strcmp(verb, "--help")) {
        fputs(manifest_usage, verb ? stdout : stderr);
        return verb ? 0 : error_input(err, "manifest: need a subcommand");
    }
    if (!strcmp(verb, "create"))
        max = argc;
    else if (!strcmp(verb, "add") || !strcmp(verb, "remove"))
        min = max = 2;
    else if (strcmp(verb, "inspect"))
        return error_input(err,
                           "manifest: unknown subcommand \"%s\" (create, add, remove, "
                           "inspect)",
                           verb);
    for (i = 2; i < argc; i++) {
        rc = !strcmp(verb, "add") ? manifest_add_args(argc, argv, &i, &a, err) : 0;
        if (rc < 0) {
            strvec_release(&a.annotations);
            return -1;
        }
        if (rc > 0)
            continue;
        if (argv[i][0] == '-') {
            strvec_release(&a.annotations);
            return error_input(err, "manifest %s: unknown option %s", verb, argv[i]);
        }
        pos[npos++] = argv[i];
    }
    if (npos < min || npos > max) {
        strvec_release(&a.annotations);
        return error_input(err, "manifest %s: wrong arguments (see strata manifest --help)", verb);
    }
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0) {
        strvec_release(&a.annotations);
        return -1;
    }
    rc = manifest_run(&s, verb, pos, npos, &a, err);
    store_release(&s);
    strvec_release(&a.annotations);
    return rc;
}
