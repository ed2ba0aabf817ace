/*
 * strata inspect [--manifest] [--platform P] IMAGE: the image config (or
 * manifest) JSON; of a multi-platform image, the image for P (default: this
 * machine's platform).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/core/termsafe.h"
#include "formats/json.h"
#include "store/image.h"

int
cmd_inspect(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    struct image img;
    const char *ref = NULL, *pv = NULL;
    struct platform plat;
    int manifest = 0, rc, i, r;
    char *text;
    cleanup_buf struct buf safe = BUF_INIT;

    for (i = 1; i < argc; i++) {
        if ((r = cli_opt_value(argc, argv, &i, "--platform", &pv, err)) != 0) {
            if (r < 0 || platform_parse(pv, &plat, err) < 0)
                return r < 0 ? -1 : error_wrap(err, "inspect --platform");
        } else if (!strcmp(argv[i], "--manifest"))
            manifest = 1;
        else if (argv[i][0] == '-')
            return error_input(err, "inspect: unknown option %s", argv[i]);
        else if (!ref)
            ref = argv[i];
        else
            return error_input(err, "usage: strata inspect [--manifest] [--platform P] IMAGE");
    }
    if (!ref)
        return error_input(err, "usage: strata inspect [--manifest] [--platform P] IMAGE");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = image_load_platform(&s, ref, pv ? &plat : NULL, &img, err);
    store_release(&s);
    if (rc != 0)
        return rc < 0 ? -1 : error_input(err, "inspect: no such image \"%s\"", ref);
    if (manifest) {
        char *m = oci_manifest_write(&img.manifest);
        cJSON *j = cJSON_Parse(m);
        text = cJSON_Print(j);
        cJSON_Delete(j);
        free(m);
    } else {
        text = cJSON_Print(img.config);
    }
    /* the JSON is the image's: show its DEL and C1 controls as \u escapes, not raw */
    termsafe_add_json(&safe, text, strlen(text));
    printf("%s\n", buf_cstr(&safe));
    free(text);
    image_release(&img);
    return 0;
}
