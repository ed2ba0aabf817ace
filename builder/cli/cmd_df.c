/* strata df: logical size of all images against the bytes the store keeps. */
#include <stdio.h>

#include "builder/cli/cli.h"
#include "formats/core/log.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/reach.h"

int
cmd_df(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    struct reach r;
    char a[32], b[32], c[32];
    long long blobs, snaps;

    (void)argv;
    if (argc > 1)
        return error_input(err, "usage: strata df");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    if (reach_collect(&s, &r, err) < 0) {
        store_release(&s);
        return -1;
    }
    blobs = (long long)fs_du(s.root_fd, "blobs");
    snaps = (long long)fs_du(s.root_fd, "snapshots");
    log_human_size(r.logical, a, sizeof(a));
    log_human_size(blobs, b, sizeof(b));
    log_human_size(snaps, c, sizeof(c));
    printf("%-22s %s\n", "images:", "");
    printf("  %-20s %zu\n", "count", r.images);
    printf("  %-20s %s (%lld bytes; a shared layer counts in every image using it)\n",
           "logical size", a, r.logical);
    printf("  %-20s %s (%lld bytes; every blob once)\n", "stored blobs", b, blobs);
    printf("  %-20s %s (%lld bytes of unpacked layers)\n", "stored snapshots", c, snaps);
    printf("  %-20s %zu\n", "cache records", r.records);
    reach_release(&r);
    store_release(&s);
    return 0;
}
