/* strata tag SRC DST and strata rm NAME...: names in the store's index. */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "store/blob.h"
#include "store/index.h"

#include "formats/core/banned.h"

int
cmd_tag(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    char digest[DIGEST_STR_LEN + 1];
    int rc;

    if (cli_no_options("tag", argc, argv, err) < 0)
        return -1;
    if (argc != 3)
        return error_input(err, "usage: strata tag IMAGE NEW-NAME");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    /* a name pointing at an index (several platforms, attestations) gives the index */
    rc = index_resolve_top(&s, argv[1], digest, err);
    if (rc == 1)
        error_input(err, "tag: no such image \"%s\"", argv[1]);
    if (rc == 0)
        rc = index_set(&s, argv[2], digest, blob_size(&s, digest), err);
    store_release(&s);
    return rc == 0 ? 0 : -1;
}

int
cmd_rm(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    int i, rc = 0;

    if (cli_no_options("rm", argc, argv, err) < 0)
        return -1;
    if (argc < 2)
        return error_input(err, "usage: strata rm NAME...");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    for (i = 1; i < argc && rc == 0; i++) {
        rc = index_remove(&s, argv[i], err);
        if (rc == 1) {
            error_input(err, "rm: no such image \"%s\"", argv[i]);
            rc = -1;
        } else if (rc == 0) {
            printf("untagged %s\n", argv[i]);
        }
    }
    store_release(&s);
    return rc;
}
