/*
 * WORKDIR's directory: made (owned by USER) like BuildKit does, as a layer
 * only when it was missing.
 */
#include "builder/engine/step_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/engine/copy.h"
#include "builder/engine/progress.h"
#include "formats/core/mem.h"
#include "formats/json.h"

#include "formats/core/banned.h"

struct step_mkdir {
    const char *path;
    const char *user;
};

static int
step_mkdir_child(const char *merged, void *arg, struct error *err)
{
    const struct step_mkdir *m = arg;
    cleanup_close int rootfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (rootfd < 0)
        return error_set(err, errno, "open %s", merged);
    return copy_mkdir_p(rootfd, m->path, m->user, err);
}

/*
 * WORKDIR makes its directory (owned by USER) like BuildKit does; a layer
 * results only when the directory was missing.
 */
int
step_workdir(struct build *b, struct stage *st, const struct parse_instr *in, const char *key,
             cJSON *cfg, struct error *err)
{
    const char *wd = json_string(cfg, "WorkingDir", 0, "", err);
    const char *user = json_string(cfg, "User", 0, "", err);
    cleanup_free char *by = xasprintf("WORKDIR %s", wd ? wd : "/");
    struct step_mkdir m = {wd, user};
    struct overlay_spec o;
    struct scratch d;
    int r;

    progress_line("[%s%zu/%zu] %s", st->label, st->step_no, st->nsteps, in->original);
    if (scratch_make(b, st, &d, err) < 0) {
        scratch_release(&d);
        cJSON_Delete(cfg);
        return -1;
    }
    scratch_overlay(&d, &o);
    r = overlay_run_thread(&o, step_mkdir_child, &m, err);
    if (r == 0)
        r = step_capture(b, st, in, key, &d, by, step_provenance(st, in, key), cfg, err);
    else
        cJSON_Delete(cfg);
    scratch_release(&d);
    return r;
}
