/*
 * strata fsck [--snapshots]: re-hash every blob, check every reference of the
 * store and what each layer blob decompresses to; with --snapshots also every
 * snapshot's files (store/fsck.h does the work; this prints it).
 */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "formats/core/buf.h"
#include "formats/core/termsafe.h"
#include "store/fsck.h"

#include "formats/core/banned.h"

static void
fsck_print(const char *tag, const struct strvec *lines)
{
    size_t i;

    for (i = 0; i < lines->n; i++) {
        cleanup_buf struct buf safe = BUF_INIT;
        termsafe_add(&safe, lines->v[i], strlen(lines->v[i]));
        printf("%s: %s\n", tag, buf_cstr(&safe));
    }
}

int
cmd_fsck(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct fsck_result res;
    struct store s;
    int snapshots = 0, i, rc;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--snapshots"))
            snapshots = 1;
        else if (argv[i][0] == '-')
            return error_input(err, "fsck: unknown option %s (see strata fsck --help)", argv[i]);
        else
            return error_input(err, "usage: strata fsck [--snapshots]");
    }
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = fsck_run(&s, snapshots, &res, err);
    store_release(&s);
    if (rc < 0)
        return -1;
    fsck_print("error", &res.problems);
    fsck_print("note", &res.notes);
    printf("checked %zu blobs (%zu layers unpacked), %zu images, %zu cache records", res.blobs,
           res.layers, res.images, res.records);
    if (snapshots)
        printf(", %zu snapshots", res.snapshots);
    printf("; removed %zu stale tmp entries\n", res.swept);
    rc = res.problems.n ? error_set(err, 0, "fsck: %zu problems in store", res.problems.n) : 0;
    fsck_result_release(&res);
    if (rc == 0)
        printf("store ok\n");
    return rc;
}
