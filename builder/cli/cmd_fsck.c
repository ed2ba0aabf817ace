/*
 * strata fsck [--snapshots]: re-hash every blob, check every reference of the
 * store and what each layer blob decompresses to; with --snapshots also every
 * snapshot's files (store/fsck.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/cli/cli.h"
#include "formats/core/fsutil.h"
#include "formats/core/buf.h"
#include "formats/core/mem.h"
#include "formats/core/termsafe.h"
#include "store/blob.h"
#include "store/fsck.h"
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
    cleanup_strvec struct strvec problems = STRVEC_INIT;
    cleanup_strvec struct strvec notes = STRVEC_INIT;
    struct store s;
    struct reach r;
    size_t nblobs = 0, nlayers = 0, nsnaps = 0, swept;
    int snapshots = 0, i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--snapshots"))
            snapshots = 1;
        else
            return error_input(err, "usage: strata fsck [--snapshots]");
    }
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    swept = reach_sweep_tmp(&s, 0);
    fsck_blobs(&s, &problems, &nblobs);
    if (reach_collect(&s, &r, err) < 0) {
        store_release(&s);
        return -1;
    }
    fsck_refs(&r, &problems);
    fsck_layer_pairs(&s, &r, &problems, &nlayers);
    if (snapshots)
        fsck_snapshots(&s, &r, &problems, &notes, &nsnaps);
    fsck_print("error", &problems);
    fsck_print("note", &notes);
    printf("checked %zu blobs (%zu layers unpacked), %zu images, %zu cache records", nblobs,
           nlayers, r.images, r.records);
    if (snapshots)
        printf(", %zu snapshots", nsnaps);
    printf("; removed %zu stale tmp entries\n", swept);
    reach_release(&r);
    store_release(&s);
    if (problems.n)
        return error_set(err, 0, "fsck: %zu problems in store", problems.n);
    printf("store ok\n");
    return 0;
}
