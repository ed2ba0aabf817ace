/*
 * strata history [--no-trunc] [--platform P] IMAGE: one line per step with
 * its layer; of a multi-platform image, the image for P (default: this
 * machine's platform).
 */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/log.h"
#include "formats/core/mem.h"
#include "formats/core/termsafe.h"
#include "formats/json.h"
#include "store/image.h"

int
cmd_history(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    struct image img;
    const cJSON *hist, *h;
    size_t layer = 0;
    int step = 0, rc, full = 0, i, r;
    const char *ref = NULL, *pv = NULL;
    struct platform plat;

    for (i = 1; i < argc; i++) {
        if ((r = cli_opt_value(argc, argv, &i, "--platform", &pv, err)) != 0) {
            if (r < 0 || platform_parse(pv, &plat, err) < 0)
                return r < 0 ? -1 : error_wrap(err, "history --platform");
        } else if (!strcmp(argv[i], "--no-trunc"))
            full = 1;
        else if (argv[i][0] == '-')
            return error_input(err, "history: unknown option %s", argv[i]);
        else if (!ref)
            ref = argv[i];
        else
            return error_input(err, "usage: strata history [--no-trunc] [--platform P] IMAGE");
    }
    if (!ref)
        return error_input(err, "usage: strata history [--no-trunc] [--platform P] IMAGE");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = image_load_platform(&s, ref, pv ? &plat : NULL, &img, err);
    store_release(&s);
    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "history: no such image \"%s\"", ref);
    printf("%-5s %-8s %-19s %s\n", "STEP", "SIZE", "LAYER", "CREATED BY");
    hist = cJSON_GetObjectItemCaseSensitive(img.config, "history");
    cJSON_ArrayForEach(h, hist)
    {
        const cJSON *empty = cJSON_GetObjectItemCaseSensitive(h, "empty_layer");
        const char *by = json_string(h, "created_by", 0, "", err);
        char size[32] = "0B";
        const char *dg = "-";
        cleanup_buf struct buf safe = BUF_INIT;

        step++;
        if (!cJSON_IsTrue(empty) && layer < img.manifest.nlayers) {
            log_human_size(img.manifest.layers[layer].size, size, sizeof(size));
            dg = img.manifest.layers[layer].digest;
            layer++;
        }
        /* created_by comes from the image: its controls are shown, not obeyed */
        termsafe_add(&safe, by ? by : "", by ? strlen(by) : 0);
        printf("%-5d %-8s %-19.*s %.*s\n", step, size, full ? 71 : 19, dg, full ? 4096 : 100,
               buf_cstr(&safe));
    }
    image_release(&img);
    return 0;
}
