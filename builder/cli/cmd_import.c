/*
 * strata import PATH NAME[:TAG]: a one-layer image from a rootfs tarball, or an
 * image from an OCI layout, an oci-archive or a docker-archive (detected).
 */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/mem.h"
#include "formats/limits.h"
#include "formats/platform.h"
#include "store/importer.h"
#include "store/index.h"
#include "store/store.h"

#include "formats/core/banned.h"

int
cmd_import(struct cli *cli, int argc, char **argv, struct error *err)
{
    enum compress_kind comp = COMPRESS_ZSTD;
    struct platform plat;
    int have_plat = 0;
    enum importer_kind kind;
    const char *pos[2] = {NULL, NULL};
    cleanup_free char *name = NULL;
    struct store s;
    int i, npos = 0, rc;

    for (i = 1; i < argc; i++) {
        const char *v;
        uint64_t max;
        int r = cli_opt_value(argc, argv, &i, "--compression", &v, err);
        if (r < 0 || (r > 0 && compress_parse(v, &comp, err) < 0))
            return -1;
        if (r > 0)
            continue;
        r = cli_opt_value(argc, argv, &i, "--max-unpack", &v, err);
        if (r < 0 || (r > 0 && limits_parse_size(v, "--max-unpack", &max, err) < 0))
            return -1;
        if (r > 0) {
            limits_set_unpack(max);
            continue;
        }
        r = cli_opt_value(argc, argv, &i, "--platform", &v, err);
        if (r < 0 || (r > 0 && platform_parse(v, &plat, err) < 0))
            return r < 0 ? -1 : error_wrap(err, "import --platform");
        if (r > 0) {
            have_plat = 1;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return error_input(err, "import: unknown option %s", argv[i]);
        if (npos == 2)
            return error_input(err, "import: too many arguments (\"%s\")", argv[i]);
        pos[npos++] = argv[i];
    }
    if (npos != 2)
        return error_input(err, "import: need a PATH and a NAME (see strata import --help)");
    name = index_normalize(pos[1], err);
    if (!name)
        return -1;
    if (importer_detect(pos[0], &kind, err) < 0)
        return -1;
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    {
        struct importer_opts io = {comp, have_plat ? &plat : NULL};
        char digest[DIGEST_STR_LEN + 1];
        rc = importer_import(&s, pos[0], kind, pos[1], &io, digest, err);
        if (rc == 0)
            printf("%s\n", digest);
    }
    store_release(&s);
    return rc;
}
