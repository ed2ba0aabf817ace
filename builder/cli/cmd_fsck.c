/* strata fsck: re-hash every blob and check every reference of the store. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/cli/cli.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/blob.h"
#include "store/reach.h"
#include "store/snapshot.h"

static void
fsck_blobs(const struct store *s, struct strvec *problems, size_t *count)
{
    cleanup_free char *dir = store_path(s, "blobs/sha256");
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d) {
        strvec_pushf(problems, "blobs/sha256: %s", strerror(errno));
        return;
    }
    while ((de = readdir(d)) != NULL) {
        char want[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1];
        cleanup_free char *p = NULL;
        struct error err;

        if (de->d_name[0] == '.')
            continue;
        snprintf(want, sizeof(want), "sha256:%.64s", de->d_name);
        error_init(&err);
        if (strlen(de->d_name) != DIGEST_HEX_LEN || digest_validate(want, &err) < 0) {
            strvec_pushf(problems, "blobs/sha256/%s: not a digest name", de->d_name);
            continue;
        }
        (*count)++;
        p = fs_join(dir, de->d_name);
        if (digest_file(AT_FDCWD, p, got, &err) < 0)
            strvec_pushf(problems, "blob %s: %s", want, err.msg);
        else if (strcmp(got, want) != 0)
            strvec_pushf(problems, "blob %s: content hashes to %s", want, got);
    }
    closedir(d);
}

static void
fsck_refs(const struct reach *r, struct strvec *problems)
{
    size_t i;

    for (i = 0; i < r->problems.n; i++)
        strvec_push(problems, r->problems.v[i]);
}

int
cmd_fsck(struct cli *cli, int argc, char **argv, struct error *err)
{
    cleanup_strvec struct strvec problems = STRVEC_INIT;
    struct store s;
    struct reach r;
    size_t nblobs = 0, swept, i;

    (void)argv;
    if (argc > 1)
        return error_input(err, "usage: strata fsck");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    swept = reach_sweep_tmp(&s, 0);
    fsck_blobs(&s, &problems, &nblobs);
    if (reach_collect(&s, &r, err) < 0) {
        store_release(&s);
        return -1;
    }
    fsck_refs(&r, &problems);
    for (i = 0; i < problems.n; i++)
        printf("error: %s\n", problems.v[i]);
    printf("checked %zu blobs, %zu images, %zu cache records; removed %zu stale tmp entries\n",
           nblobs, r.images, r.records, swept);
    reach_release(&r);
    store_release(&s);
    if (problems.n)
        return error_set(err, 0, "fsck: %zu problems in store", problems.n);
    printf("store ok\n");
    return 0;
}
