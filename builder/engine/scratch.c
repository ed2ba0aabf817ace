/*
 * A step's scratch directory under the store's tmp/: upper, work, merged and
 * links dirs of an overlay whose lower dirs are the stage's layer snapshots.
 */
#include "builder/engine/scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/engine/engine.h"
#include "formats/core/fsutil.h"
#include "formats/core/mem.h"
#include "store/snapshot.h"
#include "store/txn.h"

#include "formats/core/banned.h"

void
scratch_forget(struct scratch *d)
{
    free(d->root);
    free(d->upper);
    free(d->work);
    free(d->merged);
    free(d->links);
    strvec_release(&d->lowers);
    memset(d, 0, sizeof(*d));
}

void
scratch_release(struct scratch *d)
{
    if (d->root)
        txn_discard_later(d->root);
    scratch_forget(d);
}

int
scratch_lowers(struct build *b, const struct stage *st, struct strvec *out, struct error *err)
{
    size_t i;

    for (i = st->layers.nlayers; i-- > 0;) {
        if (cachebook_need_blob(b->book, st->layers.layers[i].digest, st->diff_ids.v[i], err) < 0 ||
            snapshot_ensure(b->store, st->layers.layers[i].digest, st->diff_ids.v[i], err) < 0)
            return -1;
        strvec_push_owned(out, snapshot_path(b->store, st->diff_ids.v[i]));
    }
    return 0;
}

int
scratch_init(struct scratch *d, char *root, struct error *err)
{
    static const char *const subs[] = {"upper", "work", "merged", "links"};
    size_t i;

    memset(d, 0, sizeof(*d));
    d->root = root;
    if (mkdir(d->root, 0700) < 0)
        return error_set(err, errno, "mkdir %s", d->root);
    for (i = 0; i < 4; i++) {
        cleanup_free char *p = fs_join(d->root, subs[i]);
        if (mkdir(p, 0755) < 0)
            return error_set(err, errno, "mkdir %s", p);
    }
    d->upper = fs_join(d->root, "upper");
    d->work = fs_join(d->root, "work");
    d->merged = fs_join(d->root, "merged");
    d->links = fs_join(d->root, "links");
    return 0;
}

int
scratch_make(struct build *b, const struct stage *st, struct scratch *d, struct error *err)
{
    if (scratch_init(d, txn_tmp_path(b->store->tmp, "step"), err) < 0)
        return -1;
    return scratch_lowers(b, st, &d->lowers, err);
}

void
scratch_overlay(const struct scratch *d, struct overlay_spec *o)
{
    memset(o, 0, sizeof(*o));
    o->lowers = (const char *const *)d->lowers.v;
    o->nlowers = d->lowers.n;
    o->upper = d->upper;
    o->work = d->work;
    o->merged = d->merged;
    o->linkdir = d->links;
    o->userxattr = geteuid() != 0;
    o->volatile_upper = 1; /* captured (and synced) or thrown away */
}
