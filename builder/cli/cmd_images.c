/* strata images: the tagged images of the store. */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/image.h"
#include "store/index.h"

int
cmd_images(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    struct index idx;
    size_t i, j;
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
        printf("%-40s %-19s %-21s %s\n", "NAME", "IMAGE ID", "CREATED", "SIZE");
    for (i = 0; i < idx.n; i++) {
        struct image img;
        struct error e;
        long long total = 0;
        char size[32];
        const char *created = "?";

        if (quiet) {
            printf("%s\n", idx.entries[i].name);
            continue;
        }
        error_init(&e);
        if (image_load_digest(&s, idx.entries[i].digest, &img, &e) < 0) {
            printf("%-40s %-19.19s %s\n", idx.entries[i].name, digest_hex(idx.entries[i].digest),
                   "(damaged: run strata fsck)");
            continue;
        }
        for (j = 0; j < img.manifest.nlayers; j++)
            total += img.manifest.layers[j].size;
        created = json_string(img.config, "created", 0, "", &e);
        log_human_size(total, size, sizeof(size));
        printf("%-40s %-19.12s %-21s %s\n", idx.entries[i].name, digest_hex(img.digest),
               created ? created : "-", size);
        image_release(&img);
    }
    index_release(&idx);
    store_release(&s);
    return 0;
}
