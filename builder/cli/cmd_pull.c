/* strata pull REF [NAME]: download an image from an OCI registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/engine/progress.h"
#include "formats/core/mem.h"
#include "formats/platform.h"
#include "formats/registry.h"
#include "store/remote.h"
#include "store/store.h"

#include "formats/core/banned.h"

static void
pull_line(void *opaque, const char *line)
{
    (void)opaque;
    progress_line("%s", line);
}

/*
 * --platform LIST and --all-platforms (an index's images to fetch) are
 * pull's own; the rest goes to cli_registry_args through rest.
 */
static int
pull_platform_args(int argc, char **argv, char **rest, int *nrest, struct remote_platforms *want,
                   struct platform **plats, struct error *err)
{
    int i;

    for (i = 0; i < argc; i++) {
        const char *v;
        int r = i ? cli_opt_value(argc, argv, &i, "--platform", &v, err) : 0;
        if (r < 0)
            return -1;
        if (r > 0) {
            free(*plats);
            *plats = NULL;
            if (platform_parse_list(v, plats, &want->n, err) < 0)
                return error_wrap(err, "pull");
            want->v = *plats;
        } else if (i && !strcmp(argv[i], "--all-platforms")) {
            want->all = 1;
        } else {
            rest[(*nrest)++] = argv[i];
        }
    }
    if (want->all && want->n)
        return error_input(err, "pull: --platform and --all-platforms exclude each other");
    return 0;
}

int
cmd_pull(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct registry_opts o;
    const char *pos[2] = {NULL, NULL};
    char digest[DIGEST_STR_LEN + 1];
    struct progress_meter meter;
    struct remote_platforms want = {NULL, 0, 0};
    cleanup_free struct platform *plats = NULL;
    cleanup_free char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
    struct store s;
    int npos = 0, nrest = 0, rc;

    if (pull_platform_args(argc, argv, rest, &nrest, &want, &plats, err) < 0)
        return -1;
    rc = cli_registry_args("pull", nrest, rest, &o, pos, &npos, err);
    if (rc != 0) {
        if (rc > 0)
            cli_help(argv[0], stdout);
        return rc > 0 ? 0 : -1;
    }
    memset(&meter, 0, sizeof(meter));
    if (o.progress) {
        /* lines through progress_line, so they replace a redrawn transfer line */
        o.progress = pull_line;
        o.xfer = progress_xfer;
        o.progress_opaque = &meter;
    }
    if (npos < 1)
        return error_input(err, "pull: need REF (see strata pull --help)");
    if (store_open(&s, cli->root, STORE_LOCK_SHARED, err) < 0)
        return -1;
    rc = remote_pull(&s, pos[0], pos[1], &want, &o, digest, err);
    store_release(&s);
    if (rc == 0)
        printf("%s\n", digest);
    return rc;
}
