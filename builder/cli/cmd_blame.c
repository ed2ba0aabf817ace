/*
 * strata blame IMAGE PATH...: the layer, step, recipe line and input that
 * last changed each path (--all: every step that touched it);
 * strata blame IMAGE --largest N: the N largest files with their steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/engine/blame.h"

#include "formats/core/banned.h"

static const char blame_usage[] = "usage: strata blame [--all] IMAGE PATH... | strata blame IMAGE "
                                  "--largest N";

int
cmd_blame(struct cli *cli, int argc, char **argv, struct error *err)
{
    const char *ref = NULL;
    struct blame b;
    struct store s;
    long largest = -1;
    int all = 0, i, rc = 0, missing = 0, npaths = 0;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all")) {
            all = 1;
        } else if (!strcmp(argv[i], "--largest")) {
            char *end;
            if (i + 1 >= argc || (largest = strtol(argv[++i], &end, 10)) <= 0 || *end)
                return error_input(err, "blame: --largest needs a positive number");
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return error_input(err, "blame: unknown option %s (%s)", argv[i], blame_usage);
        } else if (!ref) {
            ref = argv[i];
        } else {
            npaths++;
        }
    }
    if (!ref || (largest < 0 && !npaths) || (largest > 0 && npaths))
        return error_input(err, "%s", blame_usage);
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    if (blame_open(&s, ref, &b, err) < 0) {
        blame_release(&b);
        store_release(&s);
        return -1;
    }
    if (largest > 0)
        rc = blame_largest(&b, (size_t)largest, stdout, err);
    for (i = 1; largest < 0 && i < argc && rc >= 0; i++) {
        if (argv[i][0] == '-' || argv[i] == ref)
            continue;
        rc = blame_path(&b, argv[i], all, stdout, err);
        missing += rc == 1;
    }
    blame_release(&b);
    store_release(&s);
    if (rc < 0)
        return -1;
    return missing ? error_set(err, 0, "blame: %d path%s not in the image", missing,
                               missing > 1 ? "s" : "")
                   : 0;
}
