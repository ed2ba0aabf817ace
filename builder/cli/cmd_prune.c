/*
 * strata prune: drop step-cache records least recently used first, then the
 * blobs and snapshots nothing references any more (store/prune.h).
 */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/units.h"
#include "formats/core/log.h"
#include "store/prune.h"

#include "formats/core/banned.h"

static int
prune_args(int argc, char **argv, struct prune_opts *o, struct error *err)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;

        if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a")) {
            o->all = 1;
            continue;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--keep-storage", &v, err)) != 0) {
            if (r < 0 || units_parse_size(v, &o->keep_storage, err) < 0)
                return error_wrap(err, "prune: --keep-storage");
            continue;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--filter", &v, err)) != 0) {
            if (r < 0)
                return error_wrap(err, "prune");
            if (strncmp(v, "until=", 6) != 0)
                return error_input(err, "prune: --filter \"%s\": only until=DURATION is supported",
                                   v);
            if (units_parse_duration(v + 6, &o->until, err) < 0)
                return error_wrap(err, "prune: --filter");
            continue;
        }
        return error_input(err, "prune: unexpected argument \"%s\" (see strata prune --help)",
                           argv[i]);
    }
    return 0;
}

int
cmd_prune(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct prune_opts o;
    struct prune_result res;
    struct store s;
    char human[32];

    prune_opts_init(&o);
    if (prune_args(argc, argv, &o, err) < 0)
        return -1;
    if (store_open(&s, cli->root, STORE_LOCK_EXCLUSIVE, err) < 0)
        return -1;
    if (prune_run(&s, &o, &res, err) < 0) {
        store_release(&s);
        return -1;
    }
    log_human_size(res.freed, human, sizeof(human));
    printf("removed %zu cache records, %zu blobs, %zu snapshots, %zu cache mounts; freed %s\n",
           res.records, res.blobs, res.snapshots, res.mounts, human);
    store_release(&s);
    return 0;
}
