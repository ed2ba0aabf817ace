/* strata gc: remove blobs and snapshots no image name or cache record reaches. */
#include <stdio.h>

#include "builder/cli/cli.h"
#include "formats/core/log.h"
#include "store/prune.h"
#include "store/reach.h"

int
cmd_gc(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    struct reach r;
    struct prune_result res = {0};
    struct prune_record *recs = NULL;
    size_t nrecs = 0;
    char human[32];

    (void)argv;
    if (argc > 1)
        return error_input(err, "usage: strata gc");
    if (store_open(&s, cli->root, STORE_LOCK_EXCLUSIVE, err) < 0)
        return -1;
    /* record times first: reading records moves their atime, prune's "last used" */
    if (prune_list_records(&s, &recs, &nrecs, err) < 0 || reach_collect(&s, &r, err) < 0) {
        prune_records_free(recs, nrecs);
        store_release(&s);
        return -1;
    }
    if (r.problems.n) {
        error_set(err, 0, "gc: the store has %zu problems (first: %s); run strata fsck",
                  r.problems.n, r.problems.v[0]);
        reach_release(&r);
        prune_records_restore(&s, recs, nrecs);
        prune_records_free(recs, nrecs);
        store_release(&s);
        return -1;
    }
    prune_sweep(&s, &r, &res);
    log_human_size(res.freed, human, sizeof(human));
    printf("removed %zu blobs, %zu snapshots, %zu tmp entries; freed %s\n", res.blobs,
           res.snapshots, res.tmp, human);
    reach_release(&r);
    prune_records_restore(&s, recs, nrecs);
    prune_records_free(recs, nrecs);
    store_release(&s);
    return 0;
}
