/*
 * Hashing a path of a stage's tree: an overlay of the stage's layers,
 * mounted in a child's private mount namespace (overlay_run), read there as
 * if it were a build context; the digest comes back through a shared page.
 */
#include "builder/engine/stage_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "builder/engine/context.h"
#include "builder/engine/engine.h"
#include "builder/engine/scratch.h"
#include "builder/sandbox/overlay.h"
#include "formats/core/mem.h"

#include "formats/core/banned.h"

struct stage_tree_job {
    const char *src;
    char *digest; /* DIGEST_STR_LEN + 1 bytes shared with the parent */
};

static int
stage_tree_child(const char *merged, void *arg, struct error *err)
{
    struct stage_tree_job *j = arg;
    struct context c;
    struct cachekey k;
    int rc;

    memset(&c, 0, sizeof(c));
    c.path = (char *)merged;
    c.fd = open(merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (c.fd < 0)
        return error_set(err, errno, "open %s", merged);
    cachekey_init(&k, "stage-tree");
    rc = context_hash(&c, j->src, &k, err);
    close(c.fd);
    if (rc < 0) {
        digest_release(&k.d);
        return -1;
    }
    cachekey_final(&k, j->digest);
    return 0;
}

int
stage_tree_hash(struct build *b, const struct stage *st, const char *src, struct cachekey *k,
                struct error *err)
{
    struct stage_tree_job j = {src, NULL};
    struct overlay_spec o;
    struct scratch d;
    int rc;

    j.digest =
        mmap(NULL, DIGEST_STR_LEN + 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (j.digest == MAP_FAILED)
        return error_set(err, errno, "mmap");
    memset(&d, 0, sizeof(d));
    rc = scratch_make(b, st, &d, err);
    if (rc == 0) {
        scratch_overlay(&d, &o);
        rc = overlay_run(&o, stage_tree_child, &j, err);
    }
    if (rc == 0)
        cachekey_add(k, "stage-tree", j.digest);
    scratch_release(&d);
    munmap(j.digest, DIGEST_STR_LEN + 1);
    return rc;
}
