/* strata verify IMAGE --recipe FILE --context DIR: is the image reproducible? */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/engine/progress.h"
#include "builder/engine/verify.h"
#include "formats/core/buf.h"
#include "formats/core/log.h"

#include "formats/core/banned.h"

static const char verify_usage[] =
    "usage: strata verify IMAGE --recipe FILE --context DIR [--progress plain|quiet]";

int
cmd_verify(struct cli *cli, int argc, char **argv, struct error *err)
{
    cleanup_buf struct buf verdict = BUF_INIT;
    struct verify_opts o = {NULL, NULL, NULL};
    const char *prog = "quiet", *v;
    struct store s;
    double t0 = log_now_ms();
    int i, r, rc;

    for (i = 1; i < argc; i++) {
        if ((r = cli_opt_value(argc, argv, &i, "--recipe", &v, err)) != 0 ||
            (r = cli_opt_value(argc, argv, &i, "-f", &v, err)) != 0) {
            if (r < 0)
                return -1;
            o.recipe = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--context", &v, err)) != 0) {
            if (r < 0)
                return -1;
            o.context = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--progress", &v, err)) != 0) {
            if (r < 0)
                return -1;
            prog = v;
        } else if (argv[i][0] == '-') {
            return error_input(err, "verify: unknown option %s (%s)", argv[i], verify_usage);
        } else if (o.image) {
            return error_input(err, "%s", verify_usage);
        } else {
            o.image = argv[i];
        }
    }
    if (!o.image || !o.recipe || !o.context)
        return error_input(err, "%s", verify_usage);
    if (!strcmp(prog, "quiet"))
        progress_set_mode(PROGRESS_QUIET);
    else
        progress_set_mode(PROGRESS_PLAIN);
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = verify_run(&s, &o, &verdict, err);
    store_release(&s);
    if (rc < 0)
        return -1;
    printf("%s\n", buf_cstr(&verdict));
    fprintf(stderr, "verify: rebuilt in %.2fs\n", (log_now_ms() - t0) / 1000.0);
    return rc == 0 ? 0 : 1;
}
