/* strata gc: remove blobs and snapshots no image name or cache record reaches. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/cli.h"
#include "formats/core/log.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/refs.h"

static void
gc_dir(const struct store *s, const char *rel, const struct strvec *keep, int blobs, size_t *count,
       long long *bytes)
{
    cleanup_free char *dir = store_path(s, rel);
    DIR *d = opendir(dir);
    struct dirent *de;

    while (d && (de = readdir(d)) != NULL) {
        cleanup_free char *p = NULL;
        cleanup_free char *name = NULL;
        struct error err;
        struct stat st;

        if (de->d_name[0] == '.')
            continue;
        name = blobs ? xasprintf("sha256:%s", de->d_name) : xstrdup(de->d_name);
        if (refs_has(keep, name))
            continue;
        p = fs_join(dir, de->d_name);
        error_init(&err);
        if (stat(p, &st) == 0)
            *bytes += blobs ? (long long)st.st_size : (long long)fs_du(AT_FDCWD, p);
        if (fs_rm_rf(AT_FDCWD, p, &err) == 0)
            (*count)++;
    }
    if (d)
        closedir(d);
}

int
cmd_gc(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct store s;
    struct refs r;
    size_t nb = 0, ns = 0, nt;
    long long bytes = 0;
    char human[32];

    (void)argv;
    if (argc > 1)
        return error_input(err, "usage: strata gc");
    if (store_open(&s, cli->root, STORE_LOCK_EXCLUSIVE, err) < 0)
        return -1;
    if (refs_collect(&s, &r, err) < 0) {
        store_release(&s);
        return -1;
    }
    if (r.problems.n) {
        error_set(err, 0, "gc: the store has %zu problems (first: %s); run strata fsck",
                  r.problems.n, r.problems.v[0]);
        refs_release(&r);
        store_release(&s);
        return -1;
    }
    nt = refs_sweep_tmp(&s, 1);
    gc_dir(&s, "blobs/sha256", &r.blobs, 1, &nb, &bytes);
    gc_dir(&s, "snapshots", &r.snapshots, 0, &ns, &bytes);
    log_human_size(bytes, human, sizeof(human));
    printf("removed %zu blobs, %zu snapshots, %zu tmp entries; freed %s\n", nb, ns, nt, human);
    refs_release(&r);
    store_release(&s);
    return 0;
}
