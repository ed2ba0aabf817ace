/* strata pull REF [NAME]: download an image from an OCI registry. */
#include <stdio.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/engine/progress.h"
#include "formats/registry.h"
#include "store/remote.h"
#include "store/store.h"

static void
pull_line(void *opaque, const char *line)
{
    (void)opaque;
    progress_line("%s", line);
}

int
cmd_pull(struct cli *cli, int argc, char **argv, struct error *err)
{
    struct registry_opts o;
    const char *pos[2] = {NULL, NULL};
    char digest[DIGEST_STR_LEN + 1];
    struct progress_meter meter;
    struct store s;
    int npos = 0, rc = cli_registry_args("pull", argc, argv, &o, pos, &npos, err);

    if (rc != 0) {
        if (rc > 0)
            fputs(cli_registry_usage, stdout);
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
    rc = remote_pull(&s, pos[0], pos[1], &o, digest, err);
    store_release(&s);
    if (rc == 0)
        printf("%s\n", digest);
    return rc;
}
