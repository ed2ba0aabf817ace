/* strata gc: remove blobs and snapshots no image name or cache record reaches. */
#include <stdio.h>

#include "builder/cli/cli.h"
#include "formats/core/log.h"
#include "store/prune.h"

#include "formats/core/banned.h"

int
cmd_gc(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    struct prune_result res;
    char human[32];
    int rc;

    if (cli_no_options("gc", argc, argv, err) < 0)
        return -1;
    if (argc > 1)
        return error_input(err, "usage: strata gc");
    if (store_open(&s, cli->root, STORE_LOCK_EXCLUSIVE, err) < 0)
        return -1;
    rc = prune_gc(&s, &res, err);
    store_release(&s);
    if (rc < 0)
        return -1;
    log_human_size(res.freed, human, sizeof(human));
    printf("removed %zu blobs, %zu snapshots, %zu tmp entries; freed %s\n", res.blobs,
           res.snapshots, res.tmp, human);
    return 0;
}
