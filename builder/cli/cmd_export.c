/* strata export IMAGE --format oci|oci-archive|docker-archive -o PATH: hand an image to other
 * tools. */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/compress.h"
#include "formats/platform.h"
#include "store/export.h"
#include "store/store.h"

static const char export_usage[] =
    "usage: strata export [--format oci|oci-archive|docker-archive] [--compression "
    "gzip|zstd|none]\n"
    "                     [--name NAME[:TAG]] [--platform P] -o PATH IMAGE\n"
    "\n"
    "Writes IMAGE (a name or a manifest digest) for other tools:\n"
    "  oci             an OCI image layout directory (skopeo oci:PATH, umoci --image PATH:TAG)\n"
    "  oci-archive     the same layout as one tar (podman load, skopeo oci-archive:PATH)\n"
    "  docker-archive  the `docker save` tar (docker load, podman load); the default\n"
    "\n"
    "--compression re-encodes the layers that are not in that compression (the\n"
    "layers' diff_ids and the config stay the same; the manifest digest changes).\n"
    "Without it, oci and oci-archive keep the layers as stored (strata stores zstd by\n"
    "default) and docker-archive writes plain layer.tar files, which every docker\n"
    "version loads. gzip is the safe choice for older runtimes: docker before 23 and\n"
    "containerd before 1.5 cannot read zstd layers; podman, buildah, skopeo and\n"
    "current docker read all three.\n"
    "A multi-platform image (an image index) is written whole to oci and oci-archive\n"
    "(the index and every image), or only its image for --platform P; a\n"
    "docker-archive holds one image: the one for P (default: this machine's).\n"
    "--name sets the name written into the output (index.json ref name, RepoTags);\n"
    "by default it is IMAGE when IMAGE is a name.\n"
    "PATH is written under a temporary name beside it and renamed at the end.\n";

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
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
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
            return error_input(err, "export: unknown option %s", argv[i]);
        } else if (a->image) {
            return error_input(err, "export: too many arguments (\"%s\")", argv[i]);
        } else {
            a->image = argv[i];
        }
    }
    if (!a->image || !a->dest || !*a->dest)
        return error_input(err, "export: need IMAGE and -o PATH (see strata export --help)");
    return 0;
}

int
cmd_export(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct export_args a = {NULL, NULL, NULL, NULL, EXPORT_DOCKER_ARCHIVE, COMPRESS_NONE, 0};
    struct platform plat;
    struct store s;
    int rc = export_parse_args(argc, argv, &a, err);

    if (rc != 0) {
        if (rc > 0)
            fputs(export_usage, stdout);
        return rc > 0 ? 0 : -1;
    }
    if (a.platform && platform_parse(a.platform, &plat, err) < 0)
        return error_wrap(err, "export --platform");
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
    return rc;
}
