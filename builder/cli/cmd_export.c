/*
 * strata export [--format oci|oci-archive|docker-archive] [-o PATH] IMAGE:
 * hand an image to other tools; an archive streams to standard output with
 * -o - or when standard output is not a terminal, as docker save does.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builder/cli/cli.h"
#include "formats/compress.h"
#include "formats/platform.h"
#include "store/export.h"
#include "store/store.h"

#include "formats/core/banned.h"

struct export_args {
    const char *image, *dest, *name, *platform;
    enum export_format fmt;
    enum compress_kind comp;
    int recompress;
};

static int
export_parse_args(int argc, char **argv, struct export_args *a, struct error *err)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *v;
        int r;
        if ((r = cli_opt_value(argc, argv, &i, "--format", &v, err)) != 0) {
            if (r < 0 || export_format_parse(v, &a->fmt, err) < 0)
                return -1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--compression", &v, err)) != 0) {
            if (r < 0 || compress_parse(v, &a->comp, err) < 0)
                return -1;
            a->recompress = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--name", &a->name, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "--platform", &a->platform, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "--output", &a->dest, err)) != 0 ||
                   (r = cli_opt_value(argc, argv, &i, "-o", &a->dest, err)) != 0) {
            if (r < 0)
                return -1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return error_input(err, "export: unknown option %s (see strata export --help)",
                               argv[i]);
        } else if (a->image) {
            return error_input(err, "export: too many arguments (\"%s\")", argv[i]);
        } else {
            a->image = argv[i];
        }
    }
    if (!a->image)
        return error_input(err, "export: need an IMAGE (see strata export --help)");
    if (a->dest && !*a->dest)
        return error_input(err, "export: -o needs a PATH (or - for standard output)");
    return 0;
}

int
cmd_export(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct export_args a = {NULL, NULL, NULL, NULL, EXPORT_DOCKER_ARCHIVE, COMPRESS_NONE, 0};
    struct platform plat;
    struct store s;
    int rc;

    if (export_parse_args(argc, argv, &a, err) < 0)
        return -1;
    if (a.platform && platform_parse(a.platform, &plat, err) < 0)
        return error_wrap(err, "export --platform");
    if (!a.dest)
        a.dest = "-"; /* as docker save: standard output, unless that is a terminal */
    if (!strcmp(a.dest, "-") && a.fmt != EXPORT_OCI && isatty(STDOUT_FILENO))
        return error_input(err, "export: standard output is a terminal; give -o PATH or "
                                "redirect it");
    /* docker-archive: plain layer.tar unless asked otherwise */
    if (a.fmt == EXPORT_DOCKER_ARCHIVE && !a.recompress) {
        a.comp = COMPRESS_NONE;
        a.recompress = 1;
    }
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = export_image(&s, a.image, a.platform ? &plat : NULL, a.fmt, a.comp, a.recompress, a.dest,
                      a.name, err);
    store_release(&s);
    if (rc == 0 && !strcmp(a.dest, "-") && fflush(stdout) != 0)
        return error_set(err, 0, "export: writing to standard output failed");
    return rc;
}
