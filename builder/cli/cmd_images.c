/*
 * strata images: the named images of the store, one line each. A
 * multi-platform image (an image index) is one line too: its id is the
 * index digest and PLATFORM lists its images' platforms (attestation
 * manifests are not images and are not listed).
 */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/buf.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/blob.h"
#include "store/image.h"
#include "store/index.h"

struct images_row {
    long long size;
    char created[64];
    struct buf platforms;
    size_t absent; /* images of a pulled index that were not fetched */
};

/* Adds one image to the row: its layers' size, its creation time (the newest), its platform. */
static int
images_add(const struct store *s, const char *digest, const char *platform, struct images_row *r,
           struct error *err)
{
    struct image img;
    struct platform p;
    char ps[PLATFORM_STR_MAX];
    const char *created;
    size_t j;

    if (image_load_digest(s, digest, &img, err) < 0)
        return -1;
    for (j = 0; j < img.manifest.nlayers; j++)
        r->size += img.manifest.layers[j].size;
    created = json_string(img.config, "created", 0, "", err);
    if (created && strcmp(created, r->created) > 0)
        snprintf(r->created, sizeof(r->created), "%s", created);
    if (!platform && oci_config_platform(img.config, &p) == 0) {
        platform_format(&p, ps);
        platform = ps;
    }
    buf_addf(&r->platforms, "%s%s", r->platforms.len ? "," : "", platform ? platform : "-");
    image_release(&img);
    return 0;
}

static int
images_index(const struct store *s, const char *digest, struct images_row *r, struct error *err)
{
    struct oci_archive_index idx;
    size_t i;
    int rc = 0;

    if (image_index_load(s, digest, &idx, err) < 0)
        return -1;
    for (i = 0; i < idx.n && rc == 0; i++) {
        const struct oci_archive_entry *e = &idx.entries[i];
        struct platform p;
        char ps[PLATFORM_STR_MAX];
        if (!oci_archive_entry_is_image(e))
            continue;
        if (!blob_exists(s, e->desc.digest)) {
            r->absent++;
            continue;
        }
        if (oci_archive_entry_platform(e, &p) == 0)
            platform_format(&p, ps);
        rc = images_add(s, e->desc.digest, oci_archive_entry_platform(e, &p) == 0 ? ps : NULL, r,
                        err);
    }
    oci_archive_index_release(&idx);
    return rc;
}

static void
images_line(const struct store *s, const struct index_entry *e)
{
    struct images_row r;
    struct error err;
    char size[32];
    /* what the name points at: its index (several platforms, attestations) or its image */
    const char *top = e->index_digest[0] ? e->index_digest : e->digest;
    int is_index;

    memset(&r, 0, sizeof(r));
    buf_init(&r.platforms);
    error_init(&err);
    is_index = image_is_index(s, top, &err);
    if (is_index < 0 ||
        (is_index ? images_index(s, top, &r, &err) : images_add(s, top, NULL, &r, &err)) < 0) {
        printf("%-40s %-19.12s %s\n", e->name, digest_hex(top), "(damaged: run strata fsck)");
        buf_release(&r.platforms);
        return;
    }
    if (r.absent)
        buf_addf(&r.platforms, " (+%zu not pulled)", r.absent);
    log_human_size(r.size, size, sizeof(size));
    printf("%-40s %-19.12s %-21s %-8s %s\n", e->name, digest_hex(top),
           r.created[0] ? r.created : "-", size, buf_cstr(&r.platforms));
    buf_release(&r.platforms);
}

int
cmd_images(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    struct index idx;
    size_t i;
    int quiet = argc > 1 && (!strcmp(argv[1], "-q") || !strcmp(argv[1], "--quiet"));

    if (argc > 1 && !quiet)
        return error_input(err, "usage: strata images [-q]");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    if (index_load(&s, &idx, err) < 0) {
        store_release(&s);
        return -1;
    }
    if (!quiet)
        printf("%-40s %-19s %-21s %-8s %s\n", "NAME", "IMAGE ID", "CREATED", "SIZE", "PLATFORM");
    for (i = 0; i < idx.n; i++) {
        if (quiet)
            printf("%s\n", idx.entries[i].name);
        else
            images_line(&s, &idx.entries[i]);
    }
    index_release(&idx);
    store_release(&s);
    return 0;
}
