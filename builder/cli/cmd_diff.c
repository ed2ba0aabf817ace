/*
 * strata diff IMAGE1 IMAGE2: which files differ between two images and how
 * (formats/treediff.h: each image's final tree is computed from its layer
 * tars in memory, nothing is extracted), which config fields differ, and
 * which layers. Exit status as diff(1): 0 same, 1 different, 2 trouble.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builder/cli/cli.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/json.h"
#include "store/image.h"
#include "store/imagediff.h"

#include "formats/core/banned.h"

static int
diff_load(const struct store *s, const char *ref, struct image *img, struct error *err)
{
    int rc = image_load(s, ref, img, err);

    if (rc == 1)
        return error_input(err, "diff: no such image \"%s\"", ref);
    if (rc < 0)
        return error_wrap(err, "diff");
    return 0;
}

int
cmd_diff(struct cli *cli, int argc, char **argv, struct error *err)
{
    cleanup_strvec struct strvec out = STRVEC_INIT;
    struct image a = {0}, b = {0};
    struct store s;
    size_t i;
    int rc;

    if (cli_no_options("diff", argc, argv, err) < 0)
        return -1;
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
        return error_input(err, "usage: strata diff IMAGE1 IMAGE2");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0) {
        err->exit_code = 2;
        return -1;
    }
    rc = diff_load(&s, argv[1], &a, err);
    if (rc == 0)
        rc = diff_load(&s, argv[2], &b, err);
    if (rc == 0 && strcmp(a.digest, b.digest) != 0)
        rc = imagediff_images(&s, &a, &b, &out, err);
    image_release(&a); /* zeroed when not loaded */
    image_release(&b);
    store_release(&s);
    if (rc < 0) {
        err->exit_code = 2; /* diff(1): 2 is trouble, 1 means "different" */
        return -1;
    }
    for (i = 0; i < out.n; i++)
        puts(out.v[i]);
    if (!out.n)
        puts("images are identical");
    return out.n ? 1 : 0;
}
